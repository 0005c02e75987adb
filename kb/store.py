"""Writes. ``create_tables(db)`` makes every table of ``kb.schema`` (so every table exists,
empty when its source is absent); ``save_*(db, ...)`` write one kind of record into them;
``ensure_db_shape(db)`` ends a build with full-text search, indexes and views. The store
decides nothing about what a row means: the schema is declared in ``kb/schema.py`` and the
analyses are computed by ``kb/graph.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from itertools import islice, starmap
from typing import Any, NamedTuple, TypeVar

import sqlite_utils
from sqlite_utils.db import jsonify_if_needed

from kb import schema
from kb.normalise import display_name, family, fold, name_key
from kb.progress import bar
from kb.records import Citation, Concept, ConceptLink, Document, Passage, Problem, Work

T = TypeVar("T")


def _names(names: list[dict[str, str]]) -> str:
    return "; ".join(display_name(n) for n in names)


def author_id(name: dict[str, str]) -> str:
    """A stable author id: ASCII family name and initials ("bovaird-t", "loffler-e")."""
    if name.get("literal"):
        return name_key(name["literal"])
    initials = "".join(w[0] for w in fold(name.get("given", "")).replace("-", " ").replace(".", " ").split() if w)
    return f"{name_key(family(name))}-{initials.lower()}".strip("-")


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """``with db.conn:`` (committed at the end, rolled back on an error), or, inside a
    transaction already open, a savepoint: an update in place writes every row in one
    transaction, which a save must not commit half-way."""
    conn = db.conn
    if not conn.in_transaction:
        with conn:
            yield
        return
    conn.execute("savepoint kb_save")
    try:
        yield
    except BaseException:
        conn.execute("rollback to kb_save")
        conn.execute("release kb_save")
        raise
    conn.execute("release kb_save")


_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


def insert_rows(
    db: sqlite_utils.Database, table: str, rows: Iterable[dict[str, Any]], replace: bool = False, alter: bool = False
) -> None:
    """Rows into a table, as ``db[table].insert_all(rows)`` stores them (a dict or list as its JSON,
    a missing key as null), in one statement run for every row: sqlite-utils' own loop costs
    several microseconds a value, the slowest part of storing a large build. A table or column
    that does not exist yet is left to sqlite-utils, which makes it (``alter``).

    Rows are taken :data:`STORE_BATCH` at a time from ``rows``, which may be a generator: a
    million citations are never all held as dicts at once (at 100,000 works that was 1.4 GB)."""
    verb = "insert or replace" if replace else "insert"
    with transaction(db):
        for batch in _batches(rows, STORE_BATCH):
            columns = list(dict.fromkeys(k for row in batch for k in row))
            existing = db[table].columns_dict if db[table].exists() else {}
            if any(c not in existing for c in columns):
                db[table].insert_all(batch, replace=replace, alter=alter)
                continue
            names = ", ".join(f"[{c}]" for c in columns)
            sql = f"{verb} into [{table}] ({names}) values ({', '.join('?' * len(columns))})"
            db.conn.executemany(
                sql,
                (
                    [v if type(v) in _PLAIN else jsonify_if_needed(v) for v in (row.get(c) for c in columns)]
                    for row in batch
                ),
            )


STORE_BATCH = 20_000


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def insert_tuples(
    db: sqlite_utils.Database,
    table: str,
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    replace: bool = False,
    alter: bool = False,
) -> None:
    """Rows given as tuples, each value in the place of its column in ``columns``, into a table
    that has those columns: the rows ``insert_rows`` would store from the same values as dicts,
    without a dict made or a column looked up per row (the largest tables of a build are
    written this way).

    The values must already be what is stored: str, int, float, bytes or None (a list or dict
    is written as its JSON by the caller, not here; SQLite refuses one given as it is). ``rows``
    may be a generator: it is read as it is written, never held whole. A table that does not
    exist yet is made as ``insert_rows`` makes it; a column it lacks is an error, as there,
    unless ``alter``."""
    existing = db[table].columns_dict if db[table].exists() else {}
    if any(c not in existing for c in columns):
        rows = (dict(zip(columns, row, strict=True)) for row in rows)
        insert_rows(db, table, rows, replace=replace, alter=alter)
        return
    verb = "insert or replace" if replace else "insert"
    names = ", ".join(f"[{c}]" for c in columns)
    with transaction(db):
        db.conn.executemany(f"{verb} into [{table}] ({names}) values ({', '.join('?' * len(columns))})", rows)


class TupleRows(NamedTuple):
    """A table's rows as tuples in the order of ``columns``, for :func:`insert_tuples`: how a
    large table of :func:`save_graph_analyses` is given (a small one may be a list of dicts)."""

    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]


def _json_list(values: list) -> str:
    """``json.dumps(values)``, without the call for an empty list: most citations have no
    problem and no candidates, and there are a million of them at 100,000 works."""
    return json.dumps(values) if values else "[]"


def create_tables(db: sqlite_utils.Database) -> None:
    """Every table the schema declares, and the marker that says kb built this database."""
    for table in schema.TABLES:
        db[table.name].create(table.column_types, pk=table.pk, foreign_keys=table.foreign_keys, if_not_exists=True)
    db[schema.MARKER].insert({"key": "schema_version", "value": str(schema.SCHEMA_VERSION)}, replace=True)


def _lists_of(d: Document) -> str | None:
    """The lists a document cites from, as its front matter names them, and its own list: "refs.bib;
    refs.ris", "its own list (line 40)"."""
    named = [str(d.meta[key]) for key in ("references", "reference_list") if d.meta.get(key)]
    if d.references is not None and d.references.text.strip():
        named.append(f"its own list (line {d.references.line})")
    return "; ".join(named) or None


def document_row(d: Document) -> dict[str, Any]:
    """A document's row of ``documents``."""
    return {
        "id": d.id,
        "title": d.title,
        "kind": d.kind,
        "path": d.path,
        "source": d.meta.get("source"),
        "source_title": d.meta.get("source_title"),
        "source_lines": d.meta.get("source_lines"),
        "note": " ".join(str(d.meta.get("note") or "").split()) or None,
        "references_file": _lists_of(d),
        "passage_count": len(d.passages),
    }


def save_documents(db: sqlite_utils.Database, documents: list[Document]) -> None:
    """The documents and their passages."""
    insert_rows(db, "documents", (document_row(d) for d in documents))
    save_passages(db, documents)


def document_places(document_ids: Iterable[str]) -> dict[str, int]:
    """Each document's place in reading order (1-based), from its id in that order: what its
    paragraphs' and citations' ``ordinal`` starts from (:func:`numbered`)."""
    return {d: k for k, d in enumerate(document_ids, 1)}


def numbered(rows: Iterable[T], document_of: Callable[[T], str], places: dict[str, int]) -> Iterator[tuple[int, T]]:
    """Each row (in reading order) with its ``ordinal``: its document's place (``places``, by
    the id ``document_of`` gives) times ``ORDINAL_STRIDE`` plus the row's place in the document."""
    stride = schema.ORDINAL_STRIDE
    seen: dict[str, int] = {}
    for row in rows:
        d = document_of(row)
        n = seen[d] = seen.get(d, 0) + 1
        if n >= stride:
            raise ValueError(f"{d}: a document of {stride:,} rows or more, more than ordinal numbers")
        yield places[d] * stride + n, row


def save_passages(db: sqlite_utils.Database, documents: list[Document], places: dict[str, int] | None = None) -> None:
    """The documents' passages, numbered in reading order (``ordinal``; ``places`` gives each
    document's place, :func:`document_places`, the documents' own order when not given)."""
    rows = ((d, p) for d in documents for p in d.passages)
    places = places or document_places(d.id for d in documents)
    insert_tuples(
        db,
        "passages",
        ("id", "document_id", "number", "text", "start", "end", "line", "source_line", "kind", "ordinal"),
        (
            (p.id, p.document_id, p.number, p.text, p.start, p.end, p.line, p.source_line, d.kind, ordinal)
            for ordinal, (d, p) in numbered(rows, lambda row: row[1].document_id, places)
        ),
    )


# the columns of works that save_works writes, before the build's own figures (``stats``)
_WORK_COLUMNS = (
    "id",
    "authors",
    "year",
    "title",
    "type",
    "author_count",
    "et_al",
    "container_title",
    "volume",
    "issue",
    "page",
    "decade",
    "publisher",
    "publisher_place",
    "event_title",
    "event_place",
    "doi",
    "url",
    "position",
    "source",
    "line",
    "provenance",
    "raw",
    "csl_json",
    "ordinal",
)


def _stored(value: Any) -> Any:
    """A value as ``insert_rows`` stores it: a list or dict as its JSON (see
    ``sqlite_utils.db.jsonify_if_needed``), a plain value as it is. For the fields of a work's
    CSL-JSON, which any reference list may fill with whatever JSON allows."""
    return value if type(value) in _PLAIN else jsonify_if_needed(value)


def save_works(db: sqlite_utils.Database, works: list[Work], stats: dict[str, dict[str, Any]] | None = None) -> None:
    """Works, their authors and who wrote what. ``stats``: more columns of each work by its id
    (the build's search variants, concepts, problem counts and formatted references)."""
    stats = stats or {}
    extra = tuple(dict.fromkeys(k for figures in stats.values() for k in figures))
    none: dict[str, Any] = {}

    def row(ordinal: int, w: Work) -> tuple[Any, ...]:
        csl = w.csl
        year = w.year
        figures = stats.get(w.id, none)
        return (
            _stored(w.id),
            _names(w.authors) + ("; et al." if w.et_al else ""),
            _stored(year),
            _stored(csl.get("title")),
            _stored(csl.get("type")),
            len(w.authors),
            int(w.et_al),
            _stored(csl.get("container-title")),
            _stored(csl.get("volume")),
            _stored(csl.get("issue")),
            _stored(csl.get("page")),
            f"{year // 10 * 10}s" if year else None,
            _stored(csl.get("publisher")),
            _stored(csl.get("publisher-place")),
            _stored(csl.get("event")),
            _stored(csl.get("event-place")),
            _stored(csl.get("DOI")),
            _stored(csl.get("URL")),
            w.position,
            w.source,
            w.line,
            w.provenance,
            w.raw or None,
            json.dumps(csl, ensure_ascii=False, sort_keys=True),
            ordinal,
            *(_stored(figures.get(k)) for k in extra),
        )

    insert_tuples(db, "works", _WORK_COLUMNS + extra, starmap(row, enumerate(works, 1)), alter=True)
    authors: dict[str, tuple[Any, ...]] = {}
    links = []
    for w in works:
        for role in ("author", "editor"):
            for i, n in enumerate(w.csl.get(role) or [], 1):
                aid = author_id(n)
                printed = _names([n])
                if aid not in authors:
                    authors[aid] = (aid, family(n), _stored(n.get("given")), int("literal" in n), printed)
                links.append((_stored(w.id), aid, role, i, printed))
    insert_tuples(db, "authors", ("id", "family", "given", "is_organisation", "display"), sorted(authors.values()))
    insert_tuples(db, "work_authors", ("work_id", "author_id", "role", "position", "as_printed"), links)


def save_work_sources(db: sqlite_utils.Database, sources: list[Any]) -> None:
    """Which source said what, field by field, for every work."""
    insert_tuples(
        db,
        "work_sources",
        ("work_id", "field", "source", "line", "value"),
        ((s.work_id, s.field, s.source, s.line, s.value) for s in sources),
    )


def save_reference_entries(db: sqlite_utils.Database, entries: list[dict[str, Any]]) -> None:
    """Every entry of every reference list, with its raw text, and the work it is."""
    insert_rows(db, "reference_entries", entries)


def save_citations(
    db: sqlite_utils.Database, citations: Iterable[Citation], passages: dict[str, Any], places: dict[str, int]
) -> None:
    """Citations in the order given, which is reading order (``ordinal``, the table's order,
    numbered from each document's place in ``places``, :func:`document_places`)."""
    insert_tuples(
        db,
        "citations",
        # what a reader looks at first, then where it is, then how it was read
        (
            "id",
            "text",
            "status",
            "problems",
            "expected",
            "message",
            "work_id",
            "reference",
            "candidates",
            "candidate_ids",
            "document_id",
            "passage_id",
            "start",
            "end",
            "passage_start",
            "passage_end",
            "names",
            "et_al",
            "year",
            "locator",
            "narrative",
            "group_number",
            "ordinal",
        ),
        (
            (
                c.id,
                c.text,
                c.status,
                _json_list(c.problems),
                c.expected,
                c.message,
                c.work_id,
                c.reference,
                _json_list(c.candidates),
                _json_list(c.candidate_ids),
                c.document_id,
                c.passage_id,
                c.start,
                c.end,
                c.start - passages[c.passage_id].start if c.passage_id else None,
                c.end - passages[c.passage_id].start if c.passage_id else None,
                "; ".join(c.names),
                int(c.et_al),
                c.year,
                c.locator,
                int(c.narrative),
                c.group,
                ordinal,
            )
            for ordinal, c in numbered(citations, lambda c: c.document_id, places)
        ),
    )


def save_claims(db: sqlite_utils.Database, claims: list[Any], passages: dict[str, Passage]) -> None:
    """Claims (citing sentences) and which citations and works each rests on; ``passages``: each
    passage by its id, whose text each sentence's is."""
    insert_tuples(
        db,
        "claims",
        (
            "id",
            "document_id",
            "passage_id",
            "number",
            "text",
            "start",
            "end",
            "citation_count",
            "works",
            "candidate_works",
        ),
        (
            (
                c.id,
                c.document_id,
                c.passage_id,
                c.sentence.number,
                c.sentence.text_in(passages[c.passage_id]),
                c.sentence.start,
                c.sentence.end,
                len(c.citations),
                _json_list(sorted({x.work_id for x in c.citations if x.work_id})),
                _json_list(sorted({w for x in c.citations for w in x.candidate_ids})),
            )
            for c in claims
        ),
    )
    insert_tuples(
        db,
        "claim_citations",
        ("claim_id", "citation_id", "status", "work_id", "candidates"),
        ((c.id, x.id, x.status, x.work_id, _json_list(x.candidate_ids)) for c in claims for x in c.citations),
    )


def save_concepts(db: sqlite_utils.Database, concepts: list[Concept], labels: list[Any]) -> None:
    insert_rows(
        db,
        "concepts",
        (
            {
                "id": c.id,
                "pref_label": c.pref_label,
                "definition": c.definition,
                "definition_passage_id": c.source["passage_id"],
                "definition_quote": c.source["quote"],
                "broader": json.dumps(c.broader),
                "related": json.dumps(c.related),
                "eurovoc_id": (c.exact_match or {}).get("id"),
                "eurovoc_label": (c.exact_match or {}).get("label"),
                "eurovoc_uri": (c.exact_match or {}).get("uri"),
            }
            for c in concepts
        ),
    )
    insert_rows(
        db,
        "concept_labels",
        (
            {
                "id": f"{lab.concept_id}/{lab.kind}/{lab.text}",
                "concept_id": lab.concept_id,
                "label": lab.text,
                "kind": lab.kind,
            }
            for lab in labels
        ),
        replace=True,
    )
    relations = []
    for c in concepts:
        relations += [{"concept_id": c.id, "relation": "broader", "other_id": o} for o in c.broader]
        relations += [{"concept_id": o, "relation": "narrower", "other_id": c.id} for o in c.broader]
        relations += [{"concept_id": c.id, "relation": "related", "other_id": o} for o in c.related]
        relations += [{"concept_id": o, "relation": "related", "other_id": c.id} for o in c.related]
    insert_rows(
        db,
        "concept_relations",
        sorted(relations, key=lambda r: (r["concept_id"], r["relation"], r["other_id"])),
        replace=True,
    )


def save_concept_links(db: sqlite_utils.Database, links: list[ConceptLink], first: int = 1) -> None:
    """The concept links, numbered from ``first``."""
    insert_tuples(
        db,
        "concept_links",
        (
            "id",
            "concept_id",
            "target_table",
            "target_id",
            "method",
            "passage_id",
            "matched_text",
            "start",
            "end",
            "note",
            "work_id",
            "finding_id",
            "claim_id",
        ),
        (
            (
                i,
                link.concept_id,
                link.target_table,
                link.target_id,
                link.method,
                link.passage_id,
                link.matched_text,
                link.start,
                link.end,
                link.note,
                link.target_id if link.target_table == "works" else None,
                link.target_id if link.target_table == "findings" else None,
                link.target_id if link.target_table == "claims" else None,
            )
            for i, link in enumerate(links, first)
        ),
    )


def work_decades(works: list[Work]) -> dict[str, str]:
    """Each work's decade as the evidence map buckets it ("1990s", "no year"), by its id."""
    same: dict[str, str] = {}
    return {w.id: same.setdefault(d := f"{w.year // 10 * 10}s" if w.year else "no year", d) for w in works}


def save_work_figures(
    db: sqlite_utils.Database, concepts_of: dict[str, set[str]], problem_count: dict[str, int]
) -> None:
    """Each work's concepts (those of the sentences citing it) and problem count, known once the
    citations are resolved and the concepts found, set on the works stored before (with none)."""
    changed = sorted(set(concepts_of) | {w for w, n in problem_count.items() if n})
    with transaction(db):
        db.conn.executemany(
            "update works set concepts = ?, problem_count = ? where id = ?",
            (
                (json.dumps(sorted(concepts_of.get(w, ())), ensure_ascii=False), problem_count.get(w, 0), w)
                for w in changed
            ),
        )


def save_evidence_map(
    db: sqlite_utils.Database, links: list[ConceptLink], decade: dict[str, str], findings: list[dict[str, Any]]
) -> None:
    """One row per piece of evidence on a concept, by kind and bucket: the literature by decade
    (``decade``: :func:`work_decades`), the session findings by focus group and by criterion, and
    the focus groups and usability criteria linked to it. The evidence map counts these rows."""
    by_id = {f["id"]: f for f in findings}
    rows = set()
    for link in links:
        if link.target_table == "works" and link.method == "cited-in":
            rows.add(
                (
                    link.concept_id,
                    "literature by decade",
                    decade.get(link.target_id, "no year"),
                    "works",
                    link.target_id,
                )
            )
        elif link.target_table == "findings" and link.target_id in by_id:
            f = by_id[link.target_id]
            rows.add(
                (
                    link.concept_id,
                    "findings by focus group",
                    f.get("focus_group") or "(all groups)",
                    "findings",
                    f["id"],
                )
            )
            rows.add(
                (link.concept_id, "findings by criterion", f.get("criterion") or "(no criterion)", "findings", f["id"])
            )
        # a focus group or criterion linked to the concept is not a finding: its own kind of evidence
        elif link.target_table == "focus_groups":
            rows.add((link.concept_id, "focus groups", link.target_id, "focus_groups", link.target_id))
        elif link.target_table == "criteria":
            rows.add((link.concept_id, "usability criteria", link.target_id, "criteria", link.target_id))
    insert_tuples(db, "evidence", ("concept_id", "evidence", "bucket", "target_table", "target_id"), sorted(rows))


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v) for k, v in row.items()}


def save_evidence(
    db: sqlite_utils.Database, studies: list[dict[str, Any]], tables: dict[str, list[dict[str, Any]]]
) -> None:
    # an evidence file may name fields the seed's does not: they become columns (alter=True)
    insert_rows(
        db,
        "studies",
        (_jsonable({k: str(v) if k.startswith("period_") else v for k, v in s.items()}) for s in studies),
        alter=True,
    )
    for name in ("sessions", "focus_groups", "topics", "criteria", "instruments"):
        insert_rows(db, name, (_jsonable(r) for r in tables[name]), alter=True)
    insert_rows(db, "methods", (_jsonable(r) for r in tables["methods"]), alter=True)
    insert_rows(db, "method_hats", (_jsonable(r) for r in tables["hats"]), alter=True)
    insert_rows(db, "findings", (_jsonable(r) for r in tables["findings"]), alter=True)


def save_problems(db: sqlite_utils.Database, problems: list[Problem], first: int = 1) -> None:
    """The problems, numbered from ``first``."""
    rows = []
    for i, p in enumerate(problems, first):
        rows.append(
            {
                "id": i,
                "code": p.code,
                "severity": p.severity,
                "message": p.message,
                "source": p.source,
                "line": p.line,
                "work_id": p.work_id,
                "citation_id": p.citation_id,
                "passage_id": p.passage_id,
            }
        )
    insert_rows(db, "problems", rows)


RANK_EDGE_COLUMNS = ("document_id", "claims", "places", "claim_of", "work_of")


def save_rank_edges(
    db: sqlite_utils.Database,
    rows: Iterable[tuple],
    works_key: tuple[str, str],
    documents: Collection[str] | None = None,
) -> None:
    """``rank_edges``' rows (``kb.graph.edge_rows``) stored: those of ``documents`` replaced,
    or, without them, every row; and the key of the works they number set in ``_kb_meta``."""
    with transaction(db):
        if documents is None:
            db.conn.execute("delete from rank_edges")
        else:
            db.conn.executemany("delete from rank_edges where document_id = ?", [(d,) for d in documents])
        insert_tuples(db, "rank_edges", RANK_EDGE_COLUMNS, rows)
        db.conn.execute(f"delete from [{schema.MARKER}] where key = ?", [works_key[0]])
        db.conn.execute(f"insert into [{schema.MARKER}] (key, value) values (?, ?)", works_key)


def ensure_db_shape(db: sqlite_utils.Database, done: Collection[str] = ()) -> None:
    """Full-text search, indexes and views, as the schema declares them: the last step of every
    build (a progress bar on a terminal: at 100,000 works it takes a third of a minute). The
    tables in ``done`` already have theirs (:func:`shape_tables`)."""
    shape_tables(db, [t.name for t in schema.TABLES if t.name not in done], "search and indexes")
    for name, sql in schema.VIEWS.items():
        db.create_view(name, sql, replace=True)


def shape_tables(db: sqlite_utils.Database, names: Collection[str], label: str | None = None) -> None:
    """Full-text search and indexes of the tables ``names``, once their rows are all written
    (an index made first would be updated a row at a time); a progress bar when ``label``."""
    chosen = [t for t in schema.TABLES if t.name in names]
    for table in bar(chosen, label) if label else chosen:
        if table.fts:
            db[table.name].enable_fts(list(table.fts), create_triggers=False, tokenize="porter")
        for columns in table.all_indexes:
            db[table.name].create_index(list(columns), if_not_exists=True)


def _update_work_figures(db: sqlite_utils.Database, work_figures: dict[str, dict[str, Any]]) -> None:
    """The graph's figures of every work in one statement and one transaction (one update and
    one commit per row made this the slowest write of a large build)."""
    if not work_figures:
        return
    columns = sorted({c for figures in work_figures.values() for c in figures})
    existing = db["works"].columns_dict
    for column in columns:
        if column not in existing:
            sample = next(f[column] for f in work_figures.values() if column in f)
            db["works"].add_column(column, type(sample) if sample is not None else str)
    sets = ", ".join(f"[{c}] = ?" for c in columns)
    rows = [[figures.get(c) for c in columns] + [work_id] for work_id, figures in work_figures.items()]
    with transaction(db):
        db.conn.executemany(f"update works set {sets} where id = ?", rows)


def save_graph_analyses(
    db: sqlite_utils.Database,
    work_figures: dict[str, dict[str, Any]],
    tables: dict[str, Iterable[dict[str, Any]] | TupleRows],
) -> None:
    """Store what the citation graph says (``kb.graph``: work_figures, pair_rows, author_rows,
    concept_rows) and the maps' layouts
    (``kb.layout.map_rows``): per-work figures as columns of ``works``, the rest as tables
    (each table's rows as dicts, or as :class:`TupleRows`)."""
    _update_work_figures(db, work_figures)
    for table, rows in bar(list(tables.items()), "graph tables"):
        if isinstance(rows, TupleRows):
            insert_tuples(db, table, rows.columns, rows.rows)
        else:
            insert_rows(db, table, rows)
