"""Pages: one per concept (/-/concepts/<slug>), the concept index, the evidence map, the map
of the knowledge base (/-/map, /-/map/<concept>) and paths between concepts (/-/path). They
read the first kb database Datasette serves; with none, they answer 404 and there is no menu.
A package, so that Datasette finds its templates (``templates/``) beside it."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from kb.publish import is_kb_database, kb_databases, row_url, safe_url
from kb.publish.svg import legend, node_url, render_svg
from kb.schema import RELATED, RELATED_LIMIT, TABLES


def _kb_database(datasette):
    from datasette.utils.asgi import NotFound

    names = kb_databases(datasette)
    if not names:
        raise NotFound("No kb database is served here: build one with kb build and serve it")
    return names[0], datasette.get_database(names[0])


def _context(datasette, database: str, **context):
    """What every kb page template gets: the database and URL builders (rows by primary key,
    tables, kb pages), so that no template builds a URL by hand."""
    return {
        "database": database,
        "row_url": lambda table, *pk: row_url(datasette, database, table, *pk),
        "table_url": lambda table: datasette.urls.table(database, table),
        "query_url": lambda query: datasette.urls.query(database, query),
        "page_url": lambda path: datasette.urls.path(path),
        "safe_url": safe_url,
        **context,
    }


def _highlight(text: str, spans: list[tuple[int, int]]) -> Markup:
    """Text with the given character spans wrapped in <mark>."""
    out, pos = [], 0
    for start, end in sorted(set(spans)):
        if start < pos:
            continue
        out.append(str(escape(text[pos:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


async def concepts_index(datasette, request):
    from datasette.utils.asgi import Response

    name, db = _kb_database(datasette)
    rows = (
        await db.execute(
            "select concepts.id, concepts.pref_label, concepts.definition, "
            "(select count(*) from concept_links where concept_links.concept_id = concepts.id) as links "
            "from concepts order by pref_label collate nocase"
        )
    ).rows
    return Response.html(
        await datasette.render_template(
            "kb_concepts.html", _context(datasette, name, concepts=[dict(r) for r in rows]), request=request
        )
    )


async def concept_page(datasette, request):
    from datasette.utils.asgi import NotFound, Response

    slug = request.url_vars["slug"]
    name, db = _kb_database(datasette)
    found = (await db.execute("select * from concepts where id = ?", [slug])).rows
    if not found:
        raise NotFound(f"No concept {slug!r}: see /-/concepts")
    concept = dict(found[0])

    async def fetch(sql: str, params: list | tuple = (slug,)) -> list[dict]:
        return [dict(r) for r in (await db.execute(sql, list(params))).rows]

    labels = await fetch(
        "select label, kind from concept_labels where concept_id = ? and kind != 'hidden' order by kind, label"
    )
    relations: dict[str, list[dict]] = {}
    for r in await fetch(
        "select concept_relations.relation, concepts.id, concepts.pref_label from concept_relations "
        "join concepts on concepts.id = concept_relations.other_id where concept_relations.concept_id = ? "
        "order by concepts.pref_label"
    ):
        relations.setdefault(r["relation"], []).append(r)
    # each list the first RELATED_LIMIT rows, with the count of all and a link to them in the
    # concept links' table (at 100,000 works a concept is discussed in 200,000 claims: the whole
    # page was 200 MB, and every other page waited for it)
    shown = RELATED_LIMIT
    counts, links = {}, {}  # each kind's rows, and the links to them (a passage may match twice)
    for r in await fetch(
        "select target_table, count(distinct target_id) as n, count(*) as links from concept_links "
        "where concept_id = ? and (target_table in ('claims', 'works') "
        "or (target_table = 'passages' and method = 'matched')) group by target_table"
    ):
        counts[r["target_table"]], links[r["target_table"]] = r["n"], r["links"]
    claim_rows = await fetch(
        "select claims.id, claims.text, claims.passage_id, claims.start - passages.start as offset "
        "from claims join passages on passages.id = claims.passage_id where claims.id in "
        "(select target_id from concept_links where target_table = 'claims' and concept_id = ?) "
        "order by claims.document_id, claims.start limit ?",
        (slug, shown),
    )
    passages = await fetch(
        "select id, text from passages where id in "
        "(select target_id from concept_links where concept_id = ? and target_table = 'passages' "
        "and method = 'matched') order by id limit ?",
        (slug, shown),
    )
    # where the concept's labels were matched, in the passages shown and those of the claims shown
    passage_spans: dict[str, list[tuple[int, int]]] = {}
    around = sorted({r["passage_id"] for r in claim_rows} | {p["id"] for p in passages})
    for r in await fetch(
        "select target_id, start, end from concept_links where concept_id = ? and target_table = 'passages' "
        f"and method = 'matched' and target_id in ({', '.join('?' * len(around))})",
        (slug, *around),
    ):
        passage_spans.setdefault(r["target_id"], []).append((r["start"], r["end"]))
    cites_of: dict[str, list[dict]] = {}
    for c in await fetch(
        "select claim_citations.claim_id, citations.id, citations.text, citations.status from claim_citations "
        "join citations on citations.id = claim_citations.citation_id "
        f"where claim_citations.claim_id in ({', '.join('?' * len(claim_rows))}) order by citations.start",
        [r["id"] for r in claim_rows],
    ):
        cites_of.setdefault(c["claim_id"], []).append(c)
    claims = []
    for r in claim_rows:
        spans = [
            (s - r["offset"], e - r["offset"])
            for s, e in passage_spans.get(r["passage_id"], [])
            if s >= r["offset"] and e - r["offset"] <= len(r["text"])
        ]
        claims.append(
            {
                "id": r["id"],
                "passage_id": r["passage_id"],
                "html": _highlight(r["text"], spans),
                "citations": cites_of.get(r["id"], []),
            }
        )
    for p in passages:
        p["html"] = _highlight(p["text"], passage_spans[p["id"]])
    works = await fetch(
        # one row a work: cited-in-candidate only when that is its only way (its note on the page)
        "select works.id, works.apa, min(concept_links.method) as method, count(*) as n from concept_links "
        "join works on works.id = concept_links.target_id "
        "where concept_links.target_table = 'works' and concept_links.concept_id = ? "
        "group by works.id order by 3, works.apa limit ?",
        (slug, shown),
    )
    # a finding linked to the concept in two ways is one finding, with both ways named
    findings = await fetch(
        "select findings.id, findings.summary, findings.quote, findings.focus_group, "
        "focus_groups.label as focus_group_label, findings.criterion, "
        "group_concat(distinct concept_links.method) as method, max(concept_links.note) as note "
        "from concept_links join findings on findings.id = concept_links.target_id "
        "left join focus_groups on focus_groups.id = findings.focus_group "
        "where concept_links.target_table = 'findings' and concept_links.concept_id = ? "
        "group by findings.id order by findings.id"
    )
    evidence_records = await fetch(
        "select concept_links.target_table, concept_links.target_id, concept_links.method, concept_links.note, "
        "coalesce(focus_groups.label, criteria.label, topics.label, methods.label, concept_links.target_id) as label "
        "from concept_links "
        "left join focus_groups on concept_links.target_table = 'focus_groups' and focus_groups.id = concept_links.target_id "
        "left join criteria on concept_links.target_table = 'criteria' and criteria.id = concept_links.target_id "
        "left join topics on concept_links.target_table = 'topics' and topics.id = concept_links.target_id "
        "left join methods on concept_links.target_table = 'methods' and methods.id = concept_links.target_id "
        "where concept_links.concept_id = ? and concept_links.target_table in ('focus_groups', 'criteria', 'topics', 'methods') "
        "order by concept_links.target_table, concept_links.target_id"
    )
    # the concepts discussed in the same passages, claims or findings, as the build counted them
    cooccurring = await fetch(
        "select concepts.id, concepts.pref_label, pairs.shared from ("
        "select concept_b as other, shared from concept_cooccurrence where concept_a = ? "
        "union all select concept_a, shared from concept_cooccurrence where concept_b = ?) as pairs "
        "join concepts on concepts.id = pairs.other order by pairs.shared desc, concepts.pref_label",
        (slug, slug),
    )
    # past RELATED_LIMIT, all of a list in the concept links' table, filtered to this concept
    more = {
        table: datasette.urls.table(name, "concept_links")
        + "?"
        + urlencode(
            {"concept_id": slug, "target_table": table, **({"method": "matched"} if table == "passages" else {})}
        )
        for table in ("claims", "passages", "works")
        if counts.get(table, 0) > shown
    }
    return Response.html(
        await datasette.render_template(
            "kb_concept.html",
            _context(
                datasette,
                name,
                concept=concept,
                labels=labels,
                relations=relations,
                claims=claims,
                passages=passages,
                works=works,
                findings=findings,
                evidence_records=evidence_records,
                cooccurring=cooccurring,
                counts=counts,
                links=links,
                more=more,
                page_rows=datasette.setting("max_returned_rows"),
            ),
            request=request,
        )
    )


EVIDENCE_COLUMNS = (
    "literature by decade",
    "findings by focus group",
    "findings by criterion",
    "focus groups",
    "usability criteria",
)


async def evidence_map(datasette, request):
    from datasette.utils.asgi import Response

    name, db = _kb_database(datasette)
    rows = (
        await db.execute(
            "select concept_id, evidence, bucket, count(*) as n from evidence group by concept_id, evidence, bucket"
        )
    ).rows
    concepts = [
        dict(r)
        for r in (await db.execute("select id, pref_label from concepts order by pref_label collate nocase")).rows
    ]
    buckets = {kind: sorted({r["bucket"] for r in rows if r["evidence"] == kind}) for kind in EVIDENCE_COLUMNS}
    counts = {(r["concept_id"], r["evidence"], r["bucket"]): r["n"] for r in rows}
    return Response.html(
        await datasette.render_template(
            "kb_evidence_map.html",
            _context(
                datasette,
                name,
                concepts=concepts,
                kinds=EVIDENCE_COLUMNS,
                buckets=buckets,
                counts=counts,
            ),
            request=request,
        )
    )


def _behind_note(datasette, name: str) -> str | None:
    """What a page of the graph's analyses says after an update in place left them as they were."""
    from kb.publish.metadata import behind_note, served_analyses_behind

    behind = served_analyses_behind(datasette, name)
    return behind_note(behind) if behind else None


async def map_page(datasette, request):
    from datasette.utils.asgi import NotFound, Response

    name, db = _kb_database(datasette)
    which = request.url_vars.get("concept") or "all"
    nodes = [dict(r) for r in (await db.execute("select * from map_nodes where map = ? order by node", [which])).rows]
    if not nodes:
        raise NotFound(f"No map {which!r}: see /-/map")
    edges = [dict(r) for r in (await db.execute("select * from map_edges where map = ?", [which])).rows]
    concept = None
    if which != "all":
        concept = dict((await db.execute("select id, pref_label from concepts where id = ?", [which])).rows[0])
    concepts = [
        dict(r)
        for r in (await db.execute("select id, pref_label from concepts order by pref_label collate nocase")).rows
    ]
    if request.path.endswith(".svg"):
        return Response(render_svg(datasette, name, nodes, edges), content_type="image/svg+xml; charset=utf-8")
    return Response.html(
        await datasette.render_template(
            "kb_map.html",
            _context(
                datasette,
                name,
                svg=Markup(render_svg(datasette, name, nodes, edges)),
                concept=concept,
                concepts=concepts,
                legend=legend(nodes, edges),
                count=len(nodes),
                behind=_behind_note(datasette, name),
            ),
            request=request,
        )
    )


async def path_page(datasette, request):
    from datasette.utils.asgi import Response

    name, db = _kb_database(datasette)
    a, b = request.args.get("from") or "ict", request.args.get("to") or "exclusion"
    rows = (await db.execute("select * from concept_paths where from_concept = ? and to_concept = ?", [a, b])).rows
    concepts = [
        dict(r)
        for r in (await db.execute("select id, pref_label from concepts order by pref_label collate nocase")).rows
    ]
    steps = []
    if rows and rows[0]["path"]:
        for node in json.loads(rows[0]["path"]):
            kind, ref = node.split(":", 1)
            label = (await db.execute("select label from map_nodes where node = ? limit 1", [node])).rows
            steps.append(
                {
                    "type": kind,
                    "ref": ref,
                    "label": label[0]["label"] if label else ref,
                    "url": node_url(datasette, name, kind, ref),
                }
            )
    # without a path of works and findings, what else links them: the scheme, and passages
    labels = {c["id"]: c["pref_label"] for c in concepts}
    scheme, shared = [], 0
    if not steps and a != b:
        for x, y in ((a, b), (b, a)):
            row = (await db.execute("select related, broader from concepts where id = ?", [x])).rows
            if row:
                if y in json.loads(row[0]["related"] or "[]"):
                    scheme.append(f"the scheme marks {labels.get(a, a)} and {labels.get(b, b)} related")
                if y in json.loads(row[0]["broader"] or "[]"):
                    scheme.append(f"the scheme makes {labels.get(y, y)} broader than {labels.get(x, x)}")
        low, high = sorted((a, b))
        together = (
            await db.execute(
                "select shared from concept_cooccurrence where concept_a = ? and concept_b = ?", [low, high]
            )
        ).rows
        shared = together[0]["shared"] if together else 0
    return Response.html(
        await datasette.render_template(
            "kb_path.html",
            _context(
                datasette,
                name,
                concepts=concepts,
                steps=steps,
                scheme=sorted(set(scheme)),
                shared=shared,
                **{"from": a, "to": b},
            ),
            request=request,
        )
    )


@hookimpl
def menu_links(datasette):
    if not kb_databases(datasette):
        return None
    return [
        {"href": datasette.urls.path(path), "label": label}
        for path, label in (
            ("/-/concepts", "Concepts"),
            ("/-/evidence-map", "Evidence map"),
            ("/-/map", "Map"),
            ("/-/path", "Paths between concepts"),
            ("/-/search", "Search everything"),
        )
    ]


# what the site adds to Datasette's own styles, on every page while a kb database is served:
# SQL (a canned query's, a table's schema) wraps within the page at any width instead of
# scrolling it sideways; a facet's count is not broken inside its number (Datasette breaks a
# facet's line at any character)
STYLESHEET = """pre#sql-query, pre.wrapped-sql { white-space: pre-wrap; overflow-wrap: anywhere; }
.facet-info ul.tight-bullets li { word-break: normal; overflow-wrap: anywhere; }
"""


async def stylesheet(datasette, request):
    from datasette.utils.asgi import Response

    return Response(STYLESHEET, content_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@hookimpl
def extra_css_urls(datasette):
    if not kb_databases(datasette):
        return None
    return [datasette.urls.path("/-/kb.css")]


def searchable(query_string: bytes) -> bytes:
    """A URL's query string without the table searches (``_search``, ``_search_<column>``) that
    search for nothing once Datasette escapes them: a search box holding only double quotes
    (``"``, ``""``) became an empty full-text query, which SQLite refuses, and the table page
    answered 400 "Invalid SQL". Without them the page is the whole table, as for an empty
    search box. Any other query string is returned as it came (``_searchmode=raw`` too: its
    errors are what a raw query asks for).

    >>> searchable(b"_search=%22&_sort=year"), searchable(b"_search=%22co-production%22"), searchable(b"_search=")
    (b'_sort=year', b'_search=%22co-production%22', b'_search=')
    """
    from urllib.parse import parse_qsl

    from datasette.utils import escape_fts

    if b"_search" not in query_string or b"_searchmode=raw" in query_string:
        return query_string
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)

    def nothing(name: str, value: str) -> bool:
        return (
            (name == "_search" or name.startswith("_search_"))
            and bool(value.strip())
            and not escape_fts(value).strip('" ')
        )

    if not any(nothing(n, v) for n, v in pairs):
        return query_string
    return urlencode([(n, v) for n, v in pairs if not nothing(n, v)]).encode("latin-1")


def unrepeated_facets(query_string: bytes, declared: set[str]) -> bytes:
    """A query string without the ``_facet`` of a column the table shows a facet of already
    (``declared``, kb.schema's) or asked twice: Datasette 0.65 drew such a facet twice
    (``/kb/citations?_facet=status``, the link a column's "Facet by this" makes).

    >>> unrepeated_facets(b"_facet=status&_facet=kind&_facet=kind", {"status"})
    b'_facet=kind'
    >>> unrepeated_facets(b"_facet=kind", {"status"})
    b'_facet=kind'
    """
    from urllib.parse import parse_qsl

    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    seen = set(declared)
    kept = []
    for name, value in pairs:
        if name == "_facet":
            if value in seen:
                continue
            seen.add(value)
        kept.append((name, value))
    return query_string if len(kept) == len(pairs) else urlencode(kept).encode("latin-1")


# each table's facets as kb.schema declares them (columns; array facets aside)
_DECLARED_FACETS = {t.name: {f for f in (t.facets or []) if isinstance(f, str)} for t in TABLES}


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def tidied(scope, receive, send):
            query = scope.get("query_string", b"") if scope.get("type") == "http" else b""
            if b"_search" in query:
                query = searchable(query)
            if b"_facet=" in query:
                parts = scope.get("path", "").strip("/").split("/")
                if len(parts) == 2 and parts[0] in kb_databases(datasette):
                    query = unrepeated_facets(query, _DECLARED_FACETS.get(parts[1].split(".", 1)[0], set()))
            if query != scope.get("query_string", b""):
                scope = {**scope, "query_string": query}
            await app(scope, receive, send)

        return tidied

    return wrap


@hookimpl
def register_routes():
    return [
        (r"^/-/kb\.css$", stylesheet),
        (r"^/-/concepts$", concepts_index),
        (r"^/-/concepts/(?P<slug>[a-z0-9-]+)$", concept_page),
        (r"^/-/evidence-map$", evidence_map),
        (r"^/-/map(?:\.svg)?$", map_page),
        (r"^/-/map/(?P<concept>[a-z0-9-]+)(?:\.svg)?$", map_page),
        (r"^/-/path$", path_page),
        (r"^/-/search$", search_page),
    ]


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    """For a row page of a kb database: ``kb_card`` (the row is shown as a card, a column a line:
    ``templates/row.html``) and ``kb_related``, the rows ``kb.schema.RELATED`` lists for its table,
    each with its URL (shown under the row)."""
    if view_name != "row" or request is None or not is_kb_database(datasette, database):
        return None
    if table not in RELATED:
        return {"kb_card": True, "kb_related": []}

    async def related():
        from datasette.utils import urlsafe_components

        pks = request.url_vars.get("pks")
        if not pks:
            return {}
        (ident,) = urlsafe_components(pks)[:1] or [None]
        db = datasette.get_database(database)
        groups = []
        for spec in RELATED[table]:
            rows = (await db.execute(f"{spec.sql} limit {RELATED_LIMIT + 1}", {"id": ident})).rows
            if not rows:
                continue
            items = [
                {
                    "url": datasette.urls.path(f"/-/concepts/{tilde_encode(str(r['id']))}")
                    if spec.table == "concepts"
                    else row_url(datasette, database, spec.table, r["id"]),
                    "label": _shorten(str(r["label"] if r["label"] is not None else r["id"])),
                    "detail": r["detail"],
                }
                for r in rows[:RELATED_LIMIT]
            ]
            groups.append({"title": spec.title, "items": items, "count": len(items), "more": len(rows) > RELATED_LIMIT})
        return {"kb_card": True, "kb_related": groups}

    return related


def _shorten(text: str, limit: int = 300) -> str:
    """A label short enough for a list: a whole paragraph is cut at a word, with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


SEARCH_SHOWN = 10  # results a search page lists per table; the rest are on the table's own search


async def search_page(datasette, request):
    """One search across the tables with full-text search (``Table.fts`` in ``kb/schema.py``)
    and the concept labels: what a table's own search box finds, table by table, with links to
    each table's full result. The query is read as Datasette's table search reads it (each
    word as a word), so the counts here and on the table agree."""
    from datasette.utils import escape_fts
    from datasette.utils.asgi import Response

    name, db = _kb_database(datasette)
    q = (request.args.get("q") or "").strip()
    groups = []
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        concepts = (
            await db.execute(
                "select concepts.id, concepts.pref_label, group_concat(distinct concept_labels.label) as labels "
                "from concepts join concept_labels on concept_labels.concept_id = concepts.id "
                "where concept_labels.kind != 'hidden' and (concept_labels.label like :like escape '\\' "
                "or concepts.id like :like escape '\\') group by concepts.id order by concepts.pref_label collate nocase",
                {"like": like},
            )
        ).rows
        if concepts:
            groups.append(
                {
                    "title": "Concepts",
                    "count": len(concepts),
                    "items": [
                        {
                            "url": datasette.urls.path(f"/-/concepts/{tilde_encode(r['id'])}"),
                            "label": r["pref_label"],
                            "snippet": r["labels"],
                        }
                        for r in concepts
                    ],
                    "all_url": None,
                }
            )
        match = escape_fts(q)
        for table in TABLES:
            if not table.fts or not match.strip('" '):
                continue
            fts = f"[{table.name}_fts]"
            label = f"[{table.name}].[{table.label_column or table.pk}]"
            snippet = table.search_detail or f"snippet({fts}, -1, char(2), char(3), ' … ', 16)"
            where = f"from {fts} join [{table.name}] on [{table.name}].rowid = {fts}.rowid where {fts} match :q"
            count = (await db.execute(f"select count(*) {where}", {"q": match})).rows[0][0]
            if not count:
                continue
            rows = (
                await db.execute(
                    f"select [{table.name}].[{table.pk}] as id, {label} as label, "
                    f"{snippet} as snippet {where} order by rank limit {SEARCH_SHOWN}",
                    {"q": match},
                )
            ).rows
            # a row named by the very text searched (a claim, its sentence): its snippet names it,
            # not its text and then the same words again
            named_by_text = table.fts == (table.label_column,) and not table.search_detail
            groups.append(
                {
                    "title": table.name.replace("_", " ").capitalize(),
                    "count": count,
                    "items": [
                        {
                            "url": row_url(datasette, name, table.name, r["id"]),
                            "label": _marked(r["snippet"] or "")
                            if named_by_text and r["snippet"]
                            else _shorten(str(r["label"] if r["label"] is not None else r["id"]), 200),
                            "snippet": None if named_by_text and r["snippet"] else _marked(r["snippet"] or ""),
                        }
                        for r in rows
                    ],
                    "all_url": datasette.urls.table(name, table.name) + "?" + urlencode({"_search": q}),
                }
            )
    return Response.html(
        await datasette.render_template(
            "kb_search.html", _context(datasette, name, q=q, groups=groups), request=request
        )
    )


def _marked(snippet: str) -> Markup:
    """An FTS snippet as HTML: its matches (between control characters 2 and 3) in <mark>."""
    html = str(escape(snippet))
    return Markup(html.replace("\x02", "<mark>").replace("\x03", "</mark>"))
