"""A large library's database updated where one citing document's words changed, instead of
built again from every source (``kb build``; ``kb build --full`` always builds it all).

At 100,000 works a full build takes two minutes, most of it spent on what did not change.
When the only files that changed since the database was built are citing documents of
``bibliography/`` whose front matter is the same (the same id and the same lists), the changed
documents' rows are replaced in the database file, in one SQLite transaction: a failed update,
like a failed build, leaves the previous database as it was (a killed one too: SQLite's journal
puts its pages back). While ``kb serve`` serves the file (it reads it immutable), the rows are
replaced in a copy instead, renamed into place when complete (:mod:`kb.dblock`).

Each changed document is read, resolved against its list (the list as the last build linked
it: ``reference_entries`` gives each entry's work) and matched to the concepts. Its old rows
are found as the old document gives them (kept in the build cache: the same functions on the
same input give the same rows), removed, and the new ones written:

- its ``documents`` row, its ``passages`` and ``citations`` (numbered in reading order where
  the old ones were: the rows after them move up or down), its ``claims`` and
  ``claim_citations``, its ``concept_links`` and its ``problems`` (numbered after the last);
- for each work its old or new citations name, the figures they give: ``times_cited``,
  ``citing_passages``, ``cited_for``, ``concepts``, ``problem_count``, and its rows of the
  evidence map;
- what the graph counts within one document, its old counts taken out and the new ones put in:
  ``co_citations`` (parentheses, sentences and paragraphs are a document's) and
  ``concept_cooccurrence`` (its passages and claims); and its ``bibliographic_coupling`` with
  every other document, counted again;
- the search index of the passages and claims;
- its rows of ``rank_edges``, its part of the ranking, and every work's PageRank (one citation
  more changes every score), made from those parts in the order a full build's graph gives.

Those rows are what a full build of the same sources writes (``tests/test_update.py``
compares every table of the two). The concepts' paths and the maps, which walk the whole graph
and draw its most central works, are not made again: they stay as the last full build made
them, and ``_kb_meta`` names the documents changed since (``analyses_behind``; ``kb build`` says so,
and ``kb build --full`` brings them up to date).

Anything else changed (a list, a Markdown list too, a concept, the evidence, a new or removed
file, kb itself), a document whose passages the evidence or the concept scheme quote or whose
passages or claims the scheme links a concept to by hand, a document whose list entries are not
those the database holds, an abbreviation defined, or a hyphenated word a changed document is
the first or the last to spell (either changes what the whole library matches or finds), a
library of fewer than ``UPDATE_FROM`` citations (a full build of it takes seconds), or an old
document the build cache no longer holds: the full build, as ever.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sqlite3
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlite_utils
from sqlite_utils.db import jsonify_if_needed

from kb import schema
from kb.buildcache import BuildCache, code_version, digest
from kb.claims import claims as make_claims
from kb.claims import keep_what_is_read
from kb.concepts import Label, defined_abbreviations, document_links, document_matcher
from kb.dblock import sole_writer
from kb.graph import RANK_WORKS_KEY, edge_rows, pagerank_from_db, rank_edges, ranked_works, stored_rank, works_key
from kb.normalise import hyphen_spellings
from kb.progress import stage, timings_on
from kb.records import Citation, Document, Problem, Work, severity_of
from kb.sources import BEHIND_KEY
from kb.store import (
    document_places,
    document_row,
    save_citations,
    save_claims,
    save_concept_links,
    save_passages,
    save_problems,
    save_rank_edges,
    transaction,
)
from loaders.markdown import load_document

# citations a library must hold for a changed document to be updated in place: below, a full
# build takes seconds and makes the graph's analyses too. ``KB_UPDATE_FROM`` sets another.
UPDATE_FROM = 50_000
# at most this share of the documents changed (and this many) for an update in place: the
# analyses it leaves as they were describe the library less well the more has changed
UPDATE_SHARE = 0.05
UPDATE_MOST = 200

# the _kb_meta keys a full build writes for an update to read (:func:`kept_for_update`)
FILES_KEY = "source_files"
CODE_KEY = "code_version"
MATCHER_KEY = "matcher"
HYPHENS_KEY = "hyphen_variants"
HYPHEN_SOURCES_KEY = "hyphen_sources"

# what an update leaves as the last full build made it
STALE_TABLES = ("concept_paths", "map_nodes", "map_edges")
# numbered in the order a full build makes them: an update numbers its new rows after the last
RENUMBERED = {"problems": "id", "concept_links": "id"}


def compared_columns(conn: sqlite3.Connection, everything: bool = False) -> dict[str, list[str]]:
    """The tables of a kb database and their columns (sorted) that an update keeps as a full
    build of the same sources writes them: all but the search indexes, ``_kb_meta``, what an
    update leaves as it was and the row numbers it gives after the last (``everything``: those
    too). What ``tests/test_update.py`` and ``benchmarks/compare_tables.py`` compare."""
    out = {}
    for (table,) in conn.execute("select name from sqlite_master where type = 'table' order by name"):
        if "_fts" in table or table.startswith("sqlite_") or table == schema.MARKER:
            continue
        if table in STALE_TABLES and not everything:
            continue
        skip = set() if everything else {RENUMBERED.get(table, "")}
        out[table] = sorted(r[1] for r in conn.execute(f"pragma table_info([{table}])") if r[1] not in skip)
    return out


_EVIDENCE_TABLES = (
    "studies",
    "sessions",
    "focus_groups",
    "topics",
    "criteria",
    "instruments",
    "methods",
    "method_hats",
    "findings",
)


def kept_for_update(
    db: sqlite_utils.Database,
    hashes: dict[str, str],
    labels: list[Label],
    not_within: dict[str, Any],
    variants: dict[str, str],
    hyphens: dict[str, int],
) -> None:
    """What a full build keeps in ``_kb_meta`` for the next build to update from: each source
    file's SHA-256, the code's version, the concept matcher's labels, the hyphenated words the
    library spells and how many of its texts spell each (:func:`hyphen_sources`), each a JSON
    value."""
    _set_meta(
        db,
        [
            {"key": FILES_KEY, "value": json.dumps(hashes, ensure_ascii=False)},
            {"key": CODE_KEY, "value": code_version()},
            {
                "key": MATCHER_KEY,
                "value": json.dumps(
                    {"labels": [[x.concept_id, x.text, x.kind] for x in labels], "not_within": not_within},
                    ensure_ascii=False,
                ),
            },
            {"key": HYPHENS_KEY, "value": json.dumps(variants, ensure_ascii=False)},
            {"key": HYPHEN_SOURCES_KEY, "value": json.dumps(hyphens, ensure_ascii=False)},
        ],
    )


def hyphen_sources(spellings: list[dict[str, set[str]]]) -> dict[str, int]:
    """For each hyphenated word, the number of texts that spell it (``spellings``: one
    :func:`kb.normalise.hyphen_spellings` a text: the works' titles and containers, then each
    document's passages), 0 when they split it two ways ("co-production", "copro-duction"):
    which of them ``hyphen_variants`` keeps depends on the order, and an update never decides it."""
    count: Counter = Counter()
    ways: dict[str, set[str]] = defaultdict(set)
    for spelt in spellings:
        for key, split in spelt.items():
            count[key] += 1
            ways[key] |= split
    return {key: n if len(ways[key]) == 1 else 0 for key, n in count.items()}


def _set_meta(db: sqlite_utils.Database, rows: list[dict[str, str]]) -> None:
    """Rows of ``_kb_meta`` (a table of keys and values without a primary key) set, each key once."""
    with transaction(db):
        db.conn.executemany(f"delete from [{schema.MARKER}] where key = ?", [(r["key"],) for r in rows])
        db.conn.executemany(
            f"insert into [{schema.MARKER}] (key, value) values (?, ?)", [(r["key"], r["value"]) for r in rows]
        )


def update_from() -> int:
    try:
        return int(os.environ.get("KB_UPDATE_FROM", UPDATE_FROM))
    except ValueError:
        return UPDATE_FROM


@dataclass
class _Change:
    """One changed document: as the last build read it and as it is now, and its list."""

    old: Document
    new: Document
    list_works: list[Work]  # as the last build linked them
    path: str  # in the folder, as stored


@dataclass
class _Matching:
    """How a build matches the concepts: the labels (the scheme's and the library's
    abbreviations, as the last build had them) and the phrases each concept is not found in."""

    labels: list[Label]
    not_within: dict[str, Any]
    cache: BuildCache


class _NotHere(Exception):
    """The database cannot be updated for what changed (the message says why): the full build."""


def _not_kept(*_: Any) -> Any:
    raise _NotHere("the build cache no longer holds a changed document's last version")


def update(
    db_path: Path, root: Path, cache: BuildCache, hashes: dict[str, str], fingerprint: str
) -> dict[str, int] | None:
    """The database at ``db_path`` updated for the documents changed since it was built, and its
    row counts; None when it cannot be (see the module's doc), nothing written.

    The rows are changed in the file itself, in one transaction, when no ``kb serve`` is serving
    it (:func:`kb.dblock.sole_writer`); otherwise in a copy renamed into place."""
    if not db_path.is_file():
        return None
    with sole_writer(db_path) as alone:
        with stage("plan"):
            try:
                changes, meta, matching = _plan(db_path, root, cache, hashes)
            except (_NotHere, sqlite3.Error) as e:
                if timings_on():  # why the whole library is built: what a slow rebuild asks first
                    print(
                        f"kb-update: built in full: {e or 'a previous cache value is missing'}",
                        file=sys.stderr,
                        flush=True,
                    )
                return None
        write = _in_place if alone else _in_copy
        return write(db_path, lambda db, at: _apply(db, at, changes, meta, matching, hashes, fingerprint))


def _in_place(db_path: Path, apply: Callable[[sqlite_utils.Database, Any], None]) -> dict[str, int]:
    """``apply`` run on the database file in one transaction: committed whole, or rolled back
    (by SQLite's journal, even when the process is killed) with nothing of it kept. Only the
    pages it changes are written, where a copy wrote and flushed the whole file (at 100,000
    works 1.7 GB, 4.5 s of an 18 s update on a slow disk)."""
    from kb.build import WRITE_CACHE_KIB, _page_cache, _Step, _writing
    from kb.sources import row_counts

    at = _Step()
    at.name = "open the database"
    with _writing(db_path, db_path, at):
        db = sqlite_utils.Database(db_path)
        try:
            _page_cache(db, WRITE_CACHE_KIB)  # the changed pages kept, not spilled to the file at 2 MiB
            db.conn.execute("begin immediate")  # no other writer until it is committed
            try:
                apply(db, at)
                at.name = "commit the update"
                with stage("write"):
                    db.conn.execute("commit")
            except BaseException:
                if db.conn.in_transaction:
                    db.conn.execute("rollback")
                raise
            return row_counts(db)
        finally:
            db.close()


def _in_copy(db_path: Path, apply: Callable[[sqlite_utils.Database, Any], None]) -> dict[str, int]:
    """``apply`` run on a copy of the database, renamed into place when complete (a server
    reading the file meanwhile goes on reading the old one, then opens the new one)."""
    from kb.build import TEMP_SUFFIXES, _Step, _writing
    from kb.sources import row_counts

    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    at = _Step()
    at.name = "copy the database"
    try:
        with _writing(db_path, tmp, at):
            with stage("copy"):
                shutil.copyfile(db_path, tmp)
            db = sqlite_utils.Database(tmp)
            db.conn.execute("pragma journal_mode = off")  # a copy: a failure throws it away
            db.conn.execute("pragma synchronous = off")
            with db.conn:
                apply(db, at)
            counts = row_counts(db)
            db.close()
            with stage("write"), open(tmp, "rb+") as written:
                os.fsync(written.fileno())
            os.replace(tmp, db_path)
    finally:
        for leftover in [tmp] + [tmp.with_name(tmp.name + end) for end in TEMP_SUFFIXES]:
            if leftover.exists():
                leftover.unlink()
    return counts


def _apply(
    db: sqlite_utils.Database,
    at: Any,
    changes: list[_Change],
    meta: dict[str, str],
    matching: _Matching,
    hashes: dict[str, str],
    fingerprint: str,
) -> None:
    """The changed documents' rows replaced, the works' figures and ranks made again and
    ``_kb_meta`` updated, in ``db`` (in the transaction its caller holds)."""
    with stage("update"):
        at.name = "update the changed documents' rows"
        works: set[str] = set()
        ranked_alike = True
        for change in changes:
            changed_works, alike = _replace_document(db, change, matching)
            works |= changed_works
            ranked_alike &= alike
        at.name = "update the works' figures"
        _work_figures(db, works)
        at.name = "update the documents' parts of the ranking"
        nodes = _rank_edges(db, [c.new.id for c in changes])
    if not ranked_alike:  # words changed, not what cites what: the same ranks
        with stage("rank"):
            at.name = "rank the works"
            _pagerank(db.conn, nodes)
    behind = sorted(set(json.loads(meta.get(BEHIND_KEY) or "[]")) | {c.new.id for c in changes})
    files = json.loads(meta[FILES_KEY])
    files.update({c.path: hashes[c.path] for c in changes})
    at.name = "update _kb_meta"
    _set_meta(
        db,
        [
            {"key": FILES_KEY, "value": json.dumps(files, ensure_ascii=False)},
            {"key": BEHIND_KEY, "value": json.dumps(behind, ensure_ascii=False)},
            {"key": HYPHEN_SOURCES_KEY, "value": meta[HYPHEN_SOURCES_KEY]},
            {"key": "sources_digest", "value": fingerprint},
        ],
    )


def _plan(
    db_path: Path, root: Path, cache: BuildCache, hashes: dict[str, str]
) -> tuple[list[_Change], dict[str, str], _Matching]:
    """The changed documents, old and new, when the database can be updated for them alone;
    ``_NotHere`` saying why not otherwise."""
    from kb.build import Sources, _relative_paths

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        meta = dict(conn.execute(f"select key, value from [{schema.MARKER}]").fetchall())
        if FILES_KEY not in meta or MATCHER_KEY not in meta or HYPHEN_SOURCES_KEY not in meta:
            raise _NotHere("the database keeps nothing to update from (built by an earlier kb)")
        if meta.get(CODE_KEY) != code_version() or str(meta.get("schema_version")) != str(schema.SCHEMA_VERSION):
            raise _NotHere("kb changed since the database was built")
        cited = conn.execute("select max(rowid) from citations").fetchone()[0] or 0
        if cited < update_from():
            raise _NotHere(f"{cited} citations, fewer than {update_from()} (KB_UPDATE_FROM)")
        old_files: dict[str, str] = json.loads(meta[FILES_KEY])
        if set(old_files) != set(hashes):
            raise _NotHere("a source file was added, removed or renamed")
        changed = [path for path, sha in hashes.items() if old_files[path] != sha]
        documents = conn.execute("select count(*) from documents").fetchone()[0]
        most = min(UPDATE_MOST, max(1, int(documents * UPDATE_SHARE)))
        if not changed or len(changed) > most:
            raise _NotHere(f"{len(changed)} files changed (at most {most} are updated in place)")
        others = [p for p in changed if not (p.startswith("bibliography/") and p.count("/") == 1 and p.endswith(".md"))]
        if others:
            raise _NotHere(f"{others[0]} is not a citing document of bibliography/")
        lists = _list_files(conn)
        if any(p in lists for p in changed):  # a Markdown file read as a list is read as a document too
            raise _NotHere(f"{next(p for p in changed if p in lists)} is a reference list")
        quoted = _quoted_documents(conn)
        targets = _curated_targets(conn)
        matcher = json.loads(meta[MATCHER_KEY])
        labels = [Label(*x) for x in matcher["labels"]]
        scheme = [x for x in labels if x.kind != "abbreviation"]
        library_hyphens = json.loads(meta.get(HYPHENS_KEY) or "{}")
        hyphens: dict[str, int] = json.loads(meta[HYPHEN_SOURCES_KEY])  # counted on as documents change
        changes = []
        for rel in changed:
            path = root / rel
            old = cache.value("document", digest(str(path), bytes.fromhex(old_files[rel])), _not_kept)
            new = cache.value("document", digest(str(path), bytes.fromhex(hashes[rel])), load_document, path)
            if old.id != new.id or old.meta != new.meta:
                raise _NotHere(f"{rel}: its front matter changed")
            if old.id in quoted:
                raise _NotHere(f"{rel}: the evidence or the concept scheme quote its passages")
            if any(t.startswith(f"{old.id}/") for t in targets):
                raise _NotHere(f"{rel}: the concept scheme links a concept to its passages or claims")
            if _own_list(old) != _own_list(new) and not _names_lists(new):
                raise _NotHere(f"{rel}: its own reference list moved or changed")
            if defined_abbreviations([old], scheme) != defined_abbreviations([new], scheme):
                raise _NotHere(f"{rel}: the abbreviations it defines changed")
            _count_hyphens(rel, old, new, library_hyphens, hyphens)
            works = _document_works(root, new, cache)
            stored = conn.execute(
                "select work_id, key_in_list, line, raw from reference_entries where document_id = ? order by rowid",
                [new.id],
            ).fetchall()
            if [r[1:] for r in stored] != [(w.id, w.line, w.raw or None) for w in works]:
                raise _NotHere(f"{rel}: its list is not the one the database holds")
            entries = [r[0] for r in stored]
            linked = [
                dataclasses.replace(
                    w,
                    csl={**w.csl, "id": wid},
                    problems=[dataclasses.replace(p, work_id=wid) for p in w.problems],
                )
                for w, wid in zip(works, entries, strict=True)
            ]
            # paths as the build stores them, relative to the folder
            _relative_paths(
                Sources([old, new], [], SimpleNamespace(tables={}, studies=[]), [], [], lists={new.id: linked}), root
            )
            changes.append(_Change(old, new, linked, rel))
    finally:
        conn.close()
    meta = {**meta, HYPHEN_SOURCES_KEY: json.dumps(hyphens, ensure_ascii=False)}
    return changes, meta, _Matching(labels, matcher["not_within"], cache)


def _count_hyphens(rel: str, old: Document, new: Document, library: dict[str, str], sources: dict[str, int]) -> None:
    """``sources`` (:func:`hyphen_sources`) counted on for the document's new version; _NotHere
    when the words the library splits at a hyphen (``library``, :func:`kb.normalise.hyphen_variants`)
    change: a word new to it, a word no other text spells, a word it splits two ways. Those decide
    every work's search variants."""
    before, after = hyphen_spellings(p.text for p in old.passages), hyphen_spellings(p.text for p in new.passages)
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        n = sources.get(key, 0)
        if not n or key in after and after[key] != {library.get(key)}:
            raise _NotHere(f"{rel}: it spells {key!r} as the rest of the library does not")
        n += (key in after) - (key in before)
        if n < 1:
            raise _NotHere(f"{rel}: it was the last text to spell {key!r} with a hyphen")
        sources[key] = n


def _names_lists(doc: Document) -> bool:
    return bool(doc.meta.get("references") or doc.meta.get("reference_list"))


def _own_list(doc: Document) -> tuple | None:
    return (doc.references.line, doc.references.text) if doc.references is not None else None


def _document_works(root: Path, doc: Document, cache: BuildCache) -> list[Work]:
    """The document's list as the last build merged it (from the cache, else read again)."""
    from kb.build import ParsedOnce, _document_list, _load_bib, _named_file
    from kb.build import _own_list as own_list
    from loaders.references import read_references

    folder = root / "bibliography"
    bib_name, list_name = doc.meta.get("references"), doc.meta.get("reference_list")
    if bib_name or list_name:
        bib_path = _named_file(folder, bib_name, doc, "references") if bib_name else None
        list_path = _named_file(folder, list_name, doc, "reference_list") if list_name else None
        once = ParsedOnce([doc], folder, cache)
        key = digest(once.key(_load_bib, bib_path), once.key(read_references, list_path))
        works, _, _ = cache.value("merged-list", key, _document_list, once.read, bib_path, list_path)
        return works
    if doc.references is not None and doc.references.text.strip():
        key = digest("own list", doc.path, str(doc.references.line), doc.references.text)
        works, _, _ = cache.value("merged-list", key, own_list, doc)
        return works
    return []


def _list_files(conn: sqlite3.Connection) -> set[str]:
    """The files, by their paths in the folder, that the database's documents read as reference
    lists: those their entries come from, and those their front matter names."""
    files = {r[0] for r in conn.execute("select distinct source from reference_entries") if r[0]}
    for (named,) in conn.execute("select references_file from documents where references_file is not null"):
        files |= {f"bibliography/{name}" for name in named.split("; ") if not name.startswith("its own list")}
    return files


def _curated_targets(conn: sqlite3.Connection) -> list[str]:
    """The passages and claims the concept scheme links a concept to by hand: a change to their
    document changes what the graph counts of them beside its own links (the full build)."""
    return [
        r[0]
        for r in conn.execute(
            "select target_id from concept_links where method = 'curated' and target_table in ('passages', 'claims')"
        )
    ]


def _quoted_documents(conn: sqlite3.Connection) -> set[str]:
    """The documents whose passages the evidence files or the concept scheme quote: a change to
    them is a change to those records (the full build)."""
    tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
    quoted = [f"select passage_id from [{t}]" for t in _EVIDENCE_TABLES if t in tables]
    quoted.append("select definition_passage_id from concepts")
    quoted.append("select passage_id from concept_links where method in ('curated', 'via-criterion')")
    sql = f"select distinct document_id from passages where id in ({' union '.join(quoted)})"
    return {r[0] for r in conn.execute(sql)}


def _derived(
    doc: Document, list_works: list[Work], matching: _Matching
) -> tuple[list[Citation], list[Problem], list, list]:
    """What a build derives from one version of a document: its citations, its problems, its
    claims and its concept links."""
    from kb.build import _resolved_rows, incomplete_passages

    cache = matching.cache
    works = [dataclasses.replace(w, csl=dict(w.csl), problems=list(w.problems)) for w in list_works]
    rows, problems = cache.value("citations", digest(repr(doc), repr(works)), _resolved_rows, doc, works)
    citations = [Citation(*row) for row in rows]
    problems = list(problems) + incomplete_passages(doc)
    for p in problems:
        p.severity = severity_of(p.code)
    made = make_claims([doc], citations)
    keep_what_is_read(made)
    find = document_matcher(matching.labels, matching.not_within, [doc], made, cache)
    return citations, problems, made, document_links([doc], made, find)


def _replace_document(db: sqlite_utils.Database, change: _Change, matching: _Matching) -> tuple[set[str], bool]:
    """One document's rows replaced by those of its new version; the works whose figures that
    changes, and whether the works' PageRank reads the same of both versions (:func:`_ranked`)."""
    old_citations, old_problems, old_made, old_links = _derived(change.old, change.list_works, matching)
    citations, problems, made, links = _derived(change.new, change.list_works, matching)
    doc, conn = change.new, db.conn
    # the pairs counted within the document, as the old version gave them (before its rows go)
    old_cited = _cited_works(old_citations, old_made)
    passages = {p.id: p for p in doc.passages}
    old_passages = [r[0] for r in conn.execute("select id from passages where document_id = ?", [doc.id])]

    row = document_row(doc)  # SQL of its own: sqlite-utils 3's Table.update commits the transaction
    conn.execute(
        f"update documents set {', '.join(f'[{c}] = ?' for c in row)} where id = ?",
        [jsonify_if_needed(v) for v in row.values()] + [doc.id],
    )
    # passages and citations, numbered from the document's place as a full build numbers them
    # (``ordinal``): no other document's rows move
    places = document_places(d for (d,) in conn.execute("select id from documents order by rowid"))
    conn.execute(
        "insert into passages_fts (passages_fts, rowid, text) select 'delete', rowid, text from passages"
        " where document_id = ?",
        [doc.id],
    )
    conn.execute("delete from passages where document_id = ?", [doc.id])
    save_passages(db, [doc], places)
    conn.execute(
        "insert into passages_fts (rowid, text) select rowid, text from passages where document_id = ?", [doc.id]
    )
    conn.execute("delete from citations where document_id = ?", [doc.id])
    save_citations(db, citations, passages, places)
    # claims and which citations each holds
    conn.execute(
        "insert into claims_fts (claims_fts, rowid, text) select 'delete', rowid, text from claims where document_id = ?",
        [doc.id],
    )
    conn.execute(
        "delete from claim_citations where claim_id in (select id from claims where document_id = ?)", [doc.id]
    )
    conn.execute("delete from claims where document_id = ?", [doc.id])
    save_claims(db, made, passages)
    conn.execute("insert into claims_fts (rowid, text) select rowid, text from claims where document_id = ?", [doc.id])
    # concept links: every one of the document's own is on one of its passages
    conn.executemany("delete from concept_links where passage_id = ?", [(p,) for p in old_passages])
    save_concept_links(db, links, _next_id(conn, "concept_links"))
    # problems: the old version's, one row each, out; the new version's in, numbered after the last
    _remove_problems(conn, old_problems)
    save_problems(db, problems, _next_id(conn, "problems"))
    # what the graph counts within one document: its co-citations and concept co-occurrences
    # taken out and put in again; its coupling with every other document counted again
    new_cited = _cited_works(citations, made)
    _add_counts(
        conn, "co_citations", ("work_a", "work_b", "level"), "weight", _co_cited(new_cited), _co_cited(old_cited)
    )
    _add_counts(
        conn,
        "concept_cooccurrence",
        ("concept_a", "concept_b"),
        "shared",
        _concepts_together(links),
        _concepts_together(old_links),
    )
    _couple(conn, doc.id, {w for w, *_ in new_cited})
    return (
        {c.work_id for c in old_citations + citations if c.work_id}
        | {w for c in old_citations + citations for w in c.candidate_ids}
        | {p.work_id for p in old_problems + problems if p.work_id}
    ), _ranked(new_cited) == _ranked(old_cited)


def _ranked(cited: list[tuple[str, str, str, str]]) -> list[list[tuple[str, int]]]:
    """What the works' PageRank reads of a document (``kb.graph.pagerank_from_db``): its claims
    citing works, in reading order, each with the works it cites and how often. Two versions
    alike give every work the same rank, to the last bit."""
    by_claim: dict[str, Counter] = {}
    for work, claim, *_ in cited:
        by_claim.setdefault(claim, Counter())[work] += 1
    return [sorted(c.items()) for c in by_claim.values()]


def _cited_works(citations: list[Citation], claims: list) -> list[tuple[str, str, str, str]]:
    """The document's citations the graph draws (a work's, in a claim), each as (work, claim,
    parenthesis, passage): what co-citation counts."""
    claim_of = {c.id: claim.id for claim in claims for c in claim.citations}
    return [
        (c.work_id, claim_of[c.id], f"{c.document_id}#{c.group}", c.passage_id or "")
        for c in citations
        if c.work_id and c.id in claim_of
    ]


def _co_cited(cited: list[tuple[str, str, str, str]]) -> Counter:
    """Pairs of works cited in one parenthesis, sentence or paragraph, with the number of such
    units, as ``kb.graph.pair_rows`` counts them: ``(work_a, work_b, level)``."""
    out: Counter = Counter()
    for level, place in (("parenthesis", 2), ("sentence", 1), ("paragraph", 3)):
        units: dict[str, set[str]] = defaultdict(set)
        for row in cited:
            units[row[place]].add(row[0])
        for works in units.values():
            for a, b in combinations(sorted(works), 2):
                out[(a, b, level)] += 1
    return out


def _concepts_together(links: list) -> Counter:
    """Pairs of concepts discussed in one of the document's passages or claims, as
    ``kb.graph.concept_cooccurrence`` counts them: ``(concept_a, concept_b)``."""
    units: dict[tuple[str, str], set[str]] = defaultdict(set)
    for link in links:
        if link.target_table in ("passages", "claims") and link.method != "cited-in-candidate":
            units[(link.target_table, link.target_id)].add(link.concept_id)
    out: Counter = Counter()
    for concepts in units.values():
        for a, b in combinations(sorted(concepts), 2):
            out[(a, b)] += 1
    return out


def _add_counts(
    conn: sqlite3.Connection, table: str, keys: tuple[str, ...], count: str, added: Counter, taken: Counter
) -> None:
    """Counts of a table of pairs changed by what one document now adds and no longer adds: a
    row made for a pair new to the library, a row gone when its count comes to nought."""
    where = " and ".join(f"[{k}] = ?" for k in keys)
    for key in sorted(set(added) | set(taken)):
        change = added.get(key, 0) - taken.get(key, 0)
        if not change:
            continue
        row = conn.execute(f"select rowid, [{count}] from [{table}] where {where}", key).fetchone()
        total = (row[1] if row else 0) + change
        if row and total:
            conn.execute(f"update [{table}] set [{count}] = ? where rowid = ?", [total, row[0]])
        elif row:
            conn.execute(f"delete from [{table}] where rowid = ?", [row[0]])
        elif total > 0:
            names = ", ".join(f"[{k}]" for k in (*keys, count))
            conn.execute(f"insert into [{table}] ({names}) values ({', '.join('?' * (len(keys) + 1))})", [*key, total])
        else:
            raise sqlite3.IntegrityError(f"{table}: no row {key} to take {-change} from")


def _couple(conn: sqlite3.Connection, document_id: str, works: set[str]) -> None:
    """The document's bibliographic coupling with every other document counted again: the works
    both cite (``kb.graph.pair_rows``), from the stored citations the graph draws."""
    conn.execute("delete from bibliographic_coupling where document_a = ? or document_b = ?", [document_id] * 2)
    shared: Counter = Counter()
    for work in sorted(works):
        for (other,) in conn.execute(
            "select distinct c.document_id from citations c join claim_citations cc on cc.citation_id = c.id"
            " where c.work_id = ? and c.document_id != ?",
            [work, document_id],
        ):
            shared[other] += 1
    conn.executemany(
        "insert into bibliographic_coupling (document_a, document_b, shared_works) values (?, ?, ?)",
        [(*sorted((document_id, other)), n) for other, n in sorted(shared.items())],
    )


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    return (conn.execute(f"select max(id) from [{table}]").fetchone()[0] or 0) + 1


_PROBLEM_FIELDS = ("code", "message", "source", "line", "work_id", "citation_id", "passage_id")


def _remove_problems(conn: sqlite3.Connection, problems: list[Problem]) -> None:
    """One stored row for each of ``problems`` removed (two alike: two rows)."""
    wanted = Counter(tuple(getattr(p, f) for f in _PROBLEM_FIELDS) for p in problems)
    sources = sorted({p.source for p in problems})
    gone = []
    for source in sources:
        for row in conn.execute(
            f"select id, {', '.join(f'[{f}]' for f in _PROBLEM_FIELDS)} from problems where source = ?", [source]
        ):
            key = tuple(row[1:])
            if wanted[key] > 0:
                wanted[key] -= 1
                gone.append((row[0],))
    conn.executemany("delete from problems where id = ?", gone)


def _rank_edges(db: sqlite_utils.Database, documents: list[str]) -> list[str]:
    """The changed documents' parts of the ranking (``rank_edges``) made again, as a full build
    makes them; every document's when the works they number are not those stored (a work a
    concept link names came or went) or a claim has no passage. The works, in the graph's
    order."""
    conn = db.conn
    works = ranked_works(conn)
    key = (RANK_WORKS_KEY, works_key(works))
    stored = conn.execute(f"select value from [{schema.MARKER}] where key = ?", [RANK_WORKS_KEY]).fetchone()
    parts: dict[str, tuple] = {}
    if stored is not None and stored[0] == key[1]:
        for document_id in documents:
            parts.update(rank_edges(conn, works, document_id))
        if "" not in parts:
            save_rank_edges(db, edge_rows(parts), key, documents=documents)
            return works
    save_rank_edges(db, edge_rows(rank_edges(conn, works)), key)
    return works


def _pagerank(conn: sqlite3.Connection, works: list[str]) -> None:
    """Every work's PageRank made again (one citation more changes every work's score), from
    the documents' parts of it (``pagerank_from_db``, as a full build reads its graph), and set
    where its stored figure (``stored_rank``) changed."""
    ranks = pagerank_from_db(conn, works=works)
    changed = [
        (figure, work)
        for work, old in conn.execute("select id, pagerank from works")
        if (figure := stored_rank(ranks, work)) != old
    ]
    conn.executemany("update works set pagerank = ? where id = ?", changed)


def _work_figures(db: sqlite_utils.Database, works: set[str]) -> None:
    """The figures of ``works`` that their citations, claims, links and problems give, as a full
    build sets them (``save_work_figures``, ``kb.graph.work_figures``), and their rows of the
    evidence map (``save_evidence_map``)."""
    conn = db.conn
    ids = sorted(works)
    conn.execute("create temp table if not exists _changed_works (id text primary key)")
    conn.execute("delete from _changed_works")
    conn.executemany("insert or ignore into _changed_works values (?)", [(w,) for w in ids])
    cited: dict[str, int] = Counter()
    passages: dict[str, set[str]] = defaultdict(set)
    claims_of: dict[str, set[str]] = defaultdict(set)
    for work_id, passage_id, claim_id in conn.execute(
        "select c.work_id, c.passage_id, cc.claim_id from citations c join claim_citations cc on cc.citation_id = c.id"
        " where c.work_id in (select id from _changed_works)"
    ):
        cited[work_id] += 1
        passages[work_id].add(passage_id or "")
        claims_of[work_id].add(claim_id)
    discussed: dict[str, set[str]] = defaultdict(set)
    claims = sorted({c for cs in claims_of.values() for c in cs})
    for start in range(0, len(claims), 500):
        part = claims[start : start + 500]
        for concept_id, claim_id in conn.execute(
            "select concept_id, target_id from concept_links where target_table = 'claims'"
            f" and method != 'cited-in-candidate' and target_id in ({', '.join('?' * len(part))})",
            part,
        ):
            discussed[claim_id].add(concept_id)
    concepts: dict[str, set[str]] = defaultdict(set)
    for concept_id, work_id in conn.execute(
        "select concept_id, target_id from concept_links where target_table = 'works' and method = 'cited-in'"
        " and target_id in (select id from _changed_works)"
    ):
        concepts[work_id].add(concept_id)
    problem_count = Counter(
        dict(
            conn.execute(
                "select work_id, count(*) from problems where work_id in (select id from _changed_works) group by work_id"
            ).fetchall()
        )
    )
    conn.executemany(
        "update works set times_cited = ?, citing_passages = ?, cited_for = ?, concepts = ?, problem_count = ?"
        " where id = ?",
        [
            (
                cited.get(w, 0),
                len(passages.get(w, ())),
                json.dumps(sorted({c for claim in claims_of.get(w, ()) for c in discussed.get(claim, ())})),
                json.dumps(sorted(concepts.get(w, ())), ensure_ascii=False),
                problem_count.get(w, 0),
                w,
            )
            for w in ids
        ],
    )
    # the evidence map's literature: a row for each concept a work is cited for, by its decade
    conn.execute(
        "delete from evidence where target_table = 'works' and evidence = 'literature by decade'"
        " and target_id in (select id from _changed_works)"
    )
    decades = dict(conn.execute("select id, decade from works where id in (select id from _changed_works)").fetchall())
    conn.executemany(
        "insert into evidence (concept_id, evidence, bucket, target_table, target_id) values (?, ?, ?, ?, ?)",
        sorted(
            (c, "literature by decade", decades.get(w) or "no year", "works", w)
            for w in ids
            for c in concepts.get(w, ())
        ),
    )
