"""The Datasette plugin that publishes a kb database.

Registered by entry point (``[project.entry-points.datasette]``), so ``datasette kb.db`` and
``kb serve`` behave alike. Each hook asks only for the arguments it needs.
"""

from __future__ import annotations

import json

from datasette import hookimpl
from markupsafe import Markup, escape

# tables whose rows a concept link may point at
LINKABLE = {"passages", "works", "findings", "focus_groups", "topics", "criteria", "methods", "sessions"}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link polymorphic targets to their rows, and show JSON lists of ids as lists."""
    if table == "concept_links" and column == "target_id" and value:
        target = row["target_table"]
        if target in LINKABLE:
            url = datasette.urls.row(database, target, value)
            return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if column == "rows_url" and isinstance(value, str) and value.startswith("/"):
        return Markup(f'<a href="{escape(value)}">rows</a>')
    if table == "citations" and column == "candidate_ids" and value and value != "[]":
        try:
            ids = json.loads(value)
        except ValueError:
            return None
        return Markup(", ".join(f'<a href="{escape(datasette.urls.row(database, "works", i))}">{escape(i)}</a>' for i in ids))
    if column in ("problems", "broader", "related", "concepts", "questions") and isinstance(value, str) and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return None
        if column in ("broader", "related", "concepts"):
            return Markup(", ".join(
                f'<a href="{escape(datasette.urls.row(database, "concepts", i))}">{escape(i)}</a>' for i in items))
        return Markup("<br>".join(escape(str(i)) for i in items)) if items else ""
    return None


# ---------------------------------------------------------------------------------------------
# Output renderers: .bib, .ris and .csljson on the works table, any filtered, searched or faceted
# view of it, canned queries and other tables whose rows name works (work_id), with every
# matching row, not only the first page.

FORMATS = {"bib": "application/x-bibtex; charset=utf-8", "ris": "application/x-research-info-systems; charset=utf-8",
           "csljson": "application/vnd.citationstyles.csl+json; charset=utf-8"}


def _work_column(columns, table, query_name=None):
    """The column that names works: works.id on the works table, work_id anywhere, and id in a
    query (checked against the works table when the export runs)."""
    if table == "works" and "id" in columns:
        return "id"
    if "work_id" in columns:
        return "work_id"
    if not table and "id" in columns:
        return "id"
    return None


async def _all_rows(datasette, request, database, table, sql, query_name):
    """Every row of the view: table views are paged through, queries run without the row cap."""
    from urllib.parse import parse_qsl, urlencode

    db = datasette.get_database(database)
    if table and not query_name:
        args = [(k, v) for k, v in parse_qsl(request.query_string, keep_blank_values=True)
                if k not in ("_size", "_next", "_shape", "_nocount", "_facet", "_facet_array")]
        base = datasette.urls.table(database, table, format="json")
        rows: list[dict] = []
        next_token = None
        while True:
            query = args + [("_shape", "objects"), ("_size", "max"), ("_nocount", "1")]
            if next_token:
                query.append(("_next", next_token))
            response = await datasette.client.get(f"{base}?{urlencode(query)}")
            data = response.json()
            rows.extend(data["rows"])
            next_token = data.get("next")
            if not next_token:
                return rows
    import re

    params = {name: request.args.get(name) or "" for name in set(re.findall(r"(?<!:):(\w+)", sql))}
    result = await db.execute(sql, params, truncate=False)
    return [dict(r) for r in result.rows]


async def _render(fmt, datasette, request, database, table, columns, sql, query_name):
    from datasette.utils.asgi import Response
    from datasette.views.base import DatasetteError

    from kb.export import to_bibtex, to_csljson, to_ris
    from kb.model import Work

    column = _work_column(columns or [], table, query_name)
    if column is None:
        raise DatasetteError(
            f"This view has no work column (works.id or work_id), so there is nothing to export as .{fmt}. "
            f"Export from the works table, or from a query that returns works.id.", title="Nothing to export", status=400)
    rows = await _all_rows(datasette, request, database, table, sql, query_name)
    ids = list(dict.fromkeys(r[column] for r in rows if r.get(column)))
    db = datasette.get_database(database)
    works = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        found = await db.execute(
            f"select id, csl_json, et_al, position from works where id in ({', '.join('?' for _ in chunk)})", chunk)
        by_id = {r["id"]: r for r in found.rows}
        works += [Work(csl=json.loads(by_id[i]["csl_json"]), et_al=bool(by_id[i]["et_al"]), position=by_id[i]["position"])
                  for i in chunk if i in by_id]
    if ids and not works:
        raise DatasetteError(
            f"The rows of this view are not works (no '{column}' value is a works.id), so there is nothing to export "
            f"as .{fmt}.", title="Nothing to export", status=400)
    body = {"bib": to_bibtex, "ris": to_ris, "csljson": to_csljson}[fmt](works)
    name = query_name or table or "works"
    return Response(body, content_type=FORMATS[fmt],
                    headers={"content-disposition": f'inline; filename="{name}.{fmt}"'})


def _renderer(fmt):
    async def render(datasette, request, database, table, columns, sql, query_name):
        return await _render(fmt, datasette, request, database, table, columns, sql, query_name)

    def can_render(columns, table, query_name):
        return _work_column(columns or [], table, query_name) is not None

    return {"extension": fmt, "render": render, "can_render": can_render}


@hookimpl
def register_output_renderer(datasette):
    return [_renderer(fmt) for fmt in FORMATS]


# ---------------------------------------------------------------------------------------------
# Pages: one per concept (/-/concepts/<slug>), the concept index, and the evidence map.


def _kb_database(datasette):
    for name, db in datasette.databases.items():
        if name != "_internal" and not getattr(db, "is_memory", False):
            return name, db
    raise LookupError("no database")


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
    rows = (await db.execute(
        "select concepts.id, concepts.pref_label, concepts.definition, "
        "(select count(*) from concept_links where concept_links.concept_id = concepts.id) as links "
        "from concepts order by pref_label collate nocase")).rows
    return Response.html(await datasette.render_template(
        "kb_concepts.html", {"database": name, "concepts": [dict(r) for r in rows]}, request=request))


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
        "select label, kind from concept_labels where concept_id = ? and kind != 'hidden' order by kind, label")
    relations: dict[str, list[dict]] = {}
    for r in await fetch(
            "select concept_relations.relation, concepts.id, concepts.pref_label from concept_relations "
            "join concepts on concepts.id = concept_relations.other_id where concept_relations.concept_id = ? "
            "order by concepts.pref_label"):
        relations.setdefault(r["relation"], []).append(r)
    passage_spans: dict[str, list[tuple[int, int]]] = {}
    for r in await fetch("select target_id, start, end from concept_links where concept_id = ? "
                         "and target_table = 'passages' and method = 'matched'"):
        passage_spans.setdefault(r["target_id"], []).append((r["start"], r["end"]))
    cites_of: dict[str, list[dict]] = {}
    for c in await fetch(
            "select claim_citations.claim_id, citations.id, citations.text, citations.status from claim_citations "
            "join citations on citations.id = claim_citations.citation_id where claim_citations.claim_id in "
            "(select target_id from concept_links where target_table = 'claims' and concept_id = ?) "
            "order by citations.start"):
        cites_of.setdefault(c["claim_id"], []).append(c)
    claims = []
    for r in await fetch(
            "select distinct claims.id, claims.text, claims.passage_id, claims.start - passages.start as offset "
            "from concept_links join claims on claims.id = concept_links.target_id "
            "join passages on passages.id = claims.passage_id "
            "where concept_links.target_table = 'claims' and concept_links.concept_id = ? "
            "order by claims.document_id, claims.start"):
        spans = [(s - r["offset"], e - r["offset"]) for s, e in passage_spans.get(r["passage_id"], [])
                 if s >= r["offset"] and e - r["offset"] <= len(r["text"])]
        claims.append({"id": r["id"], "passage_id": r["passage_id"], "html": _highlight(r["text"], spans),
                       "citations": cites_of.get(r["id"], [])})
    passages = await fetch("select id, text from passages where id in "
                           "(select target_id from concept_links where concept_id = ? and target_table = 'passages' "
                           "and method = 'matched') order by id")
    for p in passages:
        p["html"] = _highlight(p["text"], passage_spans[p["id"]])
    works = await fetch(
        "select works.id, works.apa, concept_links.method, count(*) as n from concept_links "
        "join works on works.id = concept_links.target_id "
        "where concept_links.target_table = 'works' and concept_links.concept_id = ? "
        "group by works.id, concept_links.method order by concept_links.method, works.apa")
    findings = await fetch(
        "select distinct findings.id, findings.summary, findings.quote, findings.focus_group, findings.criterion, "
        "concept_links.method, concept_links.note from concept_links join findings on findings.id = concept_links.target_id "
        "where concept_links.target_table = 'findings' and concept_links.concept_id = ? order by findings.id")
    evidence_records = await fetch(
        "select target_table, target_id, method, note, matched_text from concept_links "
        "where concept_id = ? and target_table in ('focus_groups', 'criteria', 'topics', 'methods') "
        "order by target_table, target_id")
    cooccurring = await fetch(
        "select concepts.id, concepts.pref_label, count(distinct b.target_id) as shared "
        "from concept_links a join concept_links b on a.target_table = b.target_table and a.target_id = b.target_id "
        "join concepts on concepts.id = b.concept_id "
        "where a.concept_id = ? and b.concept_id != a.concept_id and a.target_table in ('passages', 'claims') "
        "group by concepts.id order by shared desc, concepts.pref_label")
    return Response.html(await datasette.render_template("kb_concept.html", {
        "database": name, "concept": concept, "labels": labels, "relations": relations,
        "claims": claims, "passages": passages, "works": works,
        "findings": findings, "evidence_records": evidence_records, "cooccurring": cooccurring,
    }, request=request))


EVIDENCE_COLUMNS = ("literature by decade", "findings by focus group", "findings by criterion")


async def evidence_map(datasette, request):
    from datasette.utils.asgi import Response

    name, db = _kb_database(datasette)
    rows = (await db.execute(
        "select concept_id, evidence, bucket, count(*) as n from evidence group by concept_id, evidence, bucket")).rows
    concepts = [dict(r) for r in (await db.execute("select id, pref_label from concepts order by pref_label collate nocase")).rows]
    buckets = {kind: sorted({r["bucket"] for r in rows if r["evidence"] == kind}) for kind in EVIDENCE_COLUMNS}
    counts = {(r["concept_id"], r["evidence"], r["bucket"]): r["n"] for r in rows}
    return Response.html(await datasette.render_template("kb_evidence_map.html", {
        "database": name, "concepts": concepts, "kinds": EVIDENCE_COLUMNS, "buckets": buckets, "counts": counts,
    }, request=request))


@hookimpl
def menu_links(datasette):
    return [{"href": "/-/concepts", "label": "Concepts"}, {"href": "/-/evidence-map", "label": "Evidence map"},
            {"href": "/-/map", "label": "Map"}, {"href": "/-/path", "label": "Paths between concepts"}]


# ---------------------------------------------------------------------------------------------
# The map: an SVG of the whole knowledge base (/-/map) and of each concept's neighbourhood
# (/-/map/<concept>), laid out at build time (table map_nodes), every node a link.

NODE_STYLE = {"concept": ("#d9480f", 9), "work": ("#1c7ed6", 5), "document": ("#2b8a3e", 8),
              "focus_group": ("#7048e8", 7), "finding": ("#e67700", 5)}


def _node_url(datasette, database, node_type, ref):
    if node_type == "concept":
        return f"/-/concepts/{ref}"
    table = {"work": "works", "document": "documents", "focus_group": "focus_groups", "finding": "findings"}.get(node_type)
    return datasette.urls.row(database, table, ref) if table else "#"


def render_svg(datasette, database, nodes, edges) -> str:
    from kb.graph import FONT, label_box

    pos = {n["node"]: (n["x"], n["y"]) for n in nodes}
    half = {n["node"]: label_box(n["label"], n["type"])[0] / 2 for n in nodes}
    min_x = min((x - half[k] for k, (x, _) in pos.items()), default=0) - 10
    max_x = max((x + half[k] for k, (x, _) in pos.items()), default=0) + 10
    min_y = min((y for _, y in pos.values()), default=0) - 30
    max_y = max((y for _, y in pos.values()), default=0) + 30
    vw, vh = max_x - min_x, max_y - min_y
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="kb-map" viewBox="{min_x:.0f} {min_y:.0f} {vw:.0f} {vh:.0f}" '
           f'width="{vw:.0f}" style="max-width: 100%; height: auto" role="img" aria-label="map">',
           '<g class="kb-edges" stroke="#adb5bd" stroke-width="1" opacity="0.7">']
    for e in edges:
        if e["source"] in pos and e["target"] in pos:
            (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
            out.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>')
    out.append("</g><g class=\"kb-nodes\">")
    for n in nodes:
        colour, radius = NODE_STYLE.get(n["type"], ("#495057", 5))
        size = FONT.get(n["type"], 11)
        url = _node_url(datasette, database, n["type"], n["ref"])
        x, y = n["x"], n["y"]
        out.append(f'<a href="{escape(url)}" class="kb-node kb-{escape(n["type"] or "")}" data-node="{escape(n["node"])}">'
                   f'<title>{escape(n["label"])}</title>'
                   f'<circle cx="{x}" cy="{y - size * 0.9:.1f}" r="{radius}" fill="{colour}"/>'
                   f'<text class="kb-label" x="{x}" y="{y + size * 0.45:.1f}" font-size="{size}" text-anchor="middle" '
                   f'font-family="DejaVu Sans, Arial, sans-serif" fill="#212529">{escape(n["label"])}</text></a>')
    out.append("</g></svg>")
    return "\n".join(out)


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
    concepts = [dict(r) for r in (await db.execute("select id, pref_label from concepts order by pref_label collate nocase")).rows]
    if request.path.endswith(".svg"):
        return Response(render_svg(datasette, name, nodes, edges), content_type="image/svg+xml; charset=utf-8")
    return Response.html(await datasette.render_template("kb_map.html", {
        "database": name, "svg": Markup(render_svg(datasette, name, nodes, edges)), "concept": concept,
        "concepts": concepts, "legend": NODE_STYLE, "count": len(nodes)}, request=request))


async def path_page(datasette, request):
    from datasette.utils.asgi import Response

    name, db = _kb_database(datasette)
    a, b = request.args.get("from") or "ict", request.args.get("to") or "exclusion"
    rows = (await db.execute("select * from concept_paths where from_concept = ? and to_concept = ?", [a, b])).rows
    concepts = [dict(r) for r in (await db.execute("select id, pref_label from concepts order by pref_label collate nocase")).rows]
    steps = []
    if rows and rows[0]["path"]:
        for node in json.loads(rows[0]["path"]):
            kind, ref = node.split(":", 1)
            label = (await db.execute("select label from map_nodes where node = ? limit 1", [node])).rows
            steps.append({"type": kind, "ref": ref, "label": label[0]["label"] if label else ref,
                          "url": _node_url(datasette, name, kind, ref)})
    return Response.html(await datasette.render_template("kb_path.html", {
        "database": name, "concepts": concepts, "from": a, "to": b, "steps": steps}, request=request))


@hookimpl
def register_routes():
    return [
        (r"^/-/concepts$", concepts_index),
        (r"^/-/concepts/(?P<slug>[a-z0-9-]+)$", concept_page),
        (r"^/-/evidence-map$", evidence_map),
        (r"^/-/map(?:\.svg)?$", map_page),
        (r"^/-/map/(?P<concept>[a-z0-9-]+)(?:\.svg)?$", map_page),
        (r"^/-/path$", path_page),
    ]


@hookimpl
def extra_body_script(view_name):
    """On table pages, fold the list of column descriptions into a <details> so that the rows
    come first; the descriptions stay one click away and as tooltips on the column headers."""
    if view_name != "table":
        return None
    return """
document.addEventListener("DOMContentLoaded", () => {
  const dl = document.querySelector("dl.column-descriptions");
  if (!dl) return;
  const terms = [...dl.querySelectorAll("dt")];
  for (const dt of terms) {
    const dd = dt.nextElementSibling;
    const th = document.querySelector(`th[data-column="${CSS.escape(dt.textContent.trim())}"]`);
    if (th && dd) th.title = dd.textContent.trim();
  }
  const details = document.createElement("details");
  details.className = "kb-column-descriptions";
  const summary = document.createElement("summary");
  summary.textContent = `What the ${terms.length} columns mean`;
  details.appendChild(summary);
  dl.replaceWith(details);
  details.appendChild(dl);
});
"""
