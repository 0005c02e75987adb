"""The build: sources -> parse -> resolve -> link -> graph -> store, into one SQLite file,
atomically (a failed build leaves the previous database as it was)."""

from __future__ import annotations

import gc
import glob
import hashlib
import os
import re
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from kb import graph as kbgraph
from kb import progress, schema
from kb.buildcache import BuildCache, digest, dumps, loads, timing_line
from kb.claims import claims as make_claims
from kb.claims import keep_what_is_read
from kb.concepts import defined_abbreviations, labels_of, tag
from kb.formatcache import format_cached
from kb.layout import map_rows
from kb.link import Entry, document_entries, link
from kb.merge import COMPARED, FieldSource, _show, merge_sources
from kb.normalise import hyphens_by_source, line_of, search_variants
from kb.parallel import Later, die_with_parent, no_cycle_collection, one_process, workers
from kb.progress import bar, overlapped, stage, steps
from kb.records import Citation, Document, KbError, Passage, Problem, Work, severity_of
from kb.resolve import check
from kb.sources import default_root, row_counts, source_hashes, sources_digest
from kb.store import (
    create_tables,
    document_places,
    ensure_db_shape,
    save_citations,
    save_claims,
    save_concept_links,
    save_concepts,
    save_documents,
    save_evidence,
    save_evidence_map,
    save_graph_analyses,
    save_problems,
    save_rank_edges,
    save_reference_entries,
    save_work_figures,
    save_work_sources,
    save_works,
    shape_tables,
    work_decades,
)
from kb.update import hyphen_sources, kept_for_update, update
from loaders.bibtex import load_bibtex
from loaders.concepts import load_concepts
from loaders.evidence import load_evidence
from loaders.markdown import load_document
from loaders.references import read_own_list, read_references, read_references_many

T = TypeVar("T")


@dataclass
class Sources:
    documents: list[Document]
    works: list[Work]
    evidence: object
    concepts: list
    curated: list
    problems: list[Problem] = field(default_factory=list)
    field_sources: list = field(default_factory=list)
    lists: dict = field(default_factory=dict)  # document id -> its reference list, as works
    entries: list = field(default_factory=list)  # every reference of every list, with its raw text


def read_sources(root: Path, cache: BuildCache | None = None) -> Sources:
    """Read every source under ``root``; a broken source raises KbError naming file and line.

    Each citing document names its reference list: ``references`` (hand-checked BibTeX) and/or
    ``reference_list`` (free text, or any format kb parse reads). Both lists of one document are
    merged entry by entry; the same work cited by several documents becomes one work.

    ``cache``: documents and lists read by an earlier build, by their content (none: every
    file is read)."""
    cache = cache or BuildCache(None)
    bib_dir = root / "bibliography"
    if not bib_dir.is_dir():
        raise KbError(
            "no bibliography/ folder", str(root), hint="run kb build from the repository root or pass --sources"
        )
    real = _RealPaths()
    paths = _files(root, "bibliography", "*.md", real) + _files(root, "evidence", "*.md", real)
    keys = [digest(str(p), hashlib.sha256(p.read_bytes()).digest()) for p in paths]
    cache.prefill("document", [(key, load_document, (p,)) for key, p in zip(keys, paths, strict=True)], "documents")
    documents = [
        cache.value("document", key, load_document, p)
        for key, p in bar(list(zip(keys, paths, strict=True)), "documents")
    ]
    by_id: dict[str, Document] = {}
    for d in documents:
        if d.id in by_id:
            raise KbError(
                f"two documents have the id {d.id!r}: {by_id[d.id].path} and this one",
                d.path,
                _front_matter_line(d, "id"),
                hint="give each document its own 'id:' in its front matter",
            )
        by_id[d.id] = d
    entries: list[Entry] = []
    used_bib: set[Path] = set()
    once = ParsedOnce(documents, bib_dir, cache)
    named = []  # each document's two lists, checked (a name that is no file here stops the build)
    file_problems: dict[tuple, Problem] = {}  # what reading a list found of the file itself
    for doc in documents:
        bib_name, list_name = doc.meta.get("references"), doc.meta.get("reference_list")
        if bib_name or list_name:
            bib_path = _named_file(bib_dir, bib_name, doc, "references", real) if bib_name else None
            list_path = _named_file(bib_dir, list_name, doc, "reference_list", real) if list_name else None
            named.append((doc, bib_path, list_path))
        elif doc.references is not None and doc.references.text.strip():
            named.append((doc, None, None))  # no file named: its own list, after '## References'
    # a document's list, both readings merged: a pure function of the two files (of its own
    # list's text, where it names none)
    merged = [
        digest(once.key(_load_bib, b), once.key(read_references, t))
        if b or t
        else digest("own list", doc.path, str(doc.references.line), doc.references.text)
        for doc, b, t in named
    ]
    # every list not merged before read across cores first: the loop below finds them ready (a
    # list whose merged list is kept is not read at all, nor kept for the next build). A
    # document's own BibTeX, alone, is made its list there too (at 100,000 works 10,000 lists'
    # records made in this process, and each kept twice); free text is read many lists at once
    # (``ParsedOnce.prefill``), and a file named twice is read once, here
    todo = [(b, t, key) for (_, b, t), key in zip(named, merged, strict=True) if not cache.has("merged-list", key)]
    alone = [(key, b) for b, t, key in todo if b and not t and once.named[str(b)] < 2]
    cache.prefill("merged-list", [(key, _document_list, (_parsed, b, None)) for key, b in alone], "reference lists")
    todo = [(b, t) for b, t, key in todo if not cache.has("merged-list", key)]
    once.prefill([(_load_bib, b) for b, _ in todo if b] + [(read_references, t) for _, t in todo if t])
    for (doc, bib_path, list_path), key in bar(list(zip(named, merged, strict=True)), "reference lists"):
        if bib_path:
            used_bib.add(real(bib_path))
        if bib_path or list_path:
            doc_works, fs, disagreements = cache.value(
                "merged-list", key, _document_list, once.read, bib_path, list_path
            )
        else:
            doc_works, fs, disagreements = cache.value("merged-list", key, _own_list, doc)
        entries += document_entries(doc.id, doc_works, fs, [p for p in disagreements if p.work_id])
        for p in disagreements:
            if not p.work_id and (p.source, p.line, p.code) not in file_problems:  # of the file, once
                file_problems[(p.source, p.line, p.code)] = p
    unlisted = [
        w
        for path in _files(root, "bibliography", "*.bib", real)
        if real(path) not in used_bib
        for w in once.read(_load_bib, path)
    ]
    linked = link(entries, unlisted)
    evidence = load_evidence(_files(root, "evidence", "*.yml", real), by_id)
    concepts, curated_links = load_concepts(_files(root, "concepts", "*.yml", real), by_id)
    sources = Sources(
        documents,
        linked.works,
        evidence,
        concepts,
        curated_links,
        linked.problems + list(file_problems.values()),
        linked.field_sources,
        linked.lists,
        linked.entries,
    )
    _relative_paths(sources, root, real)
    return sources


_LIST_KIND = {".ris": "RIS", ".json": "CSL-JSON", ".bib": "BibTeX", ".xml": "JATS"}  # said in disagreements


def _document_list(
    read: Callable[[Callable[[Path], Any], Path], Any], bib_path: Path | None, list_path: Path | None
) -> tuple[list[Work], list[FieldSource], list[Problem]]:
    """A document's list: its hand-checked BibTeX and its other list merged entry by entry, or
    the one it has; with the field sources and the disagreements merging found. ``read(parse,
    path)`` reads a file (``ParsedOnce.read``; :func:`_parsed` in another process)."""
    curated = read(_load_bib, bib_path) if bib_path else []
    result = read(read_references, list_path) if list_path else None
    parsed = result.works if result else []
    label = _LIST_KIND.get(list_path.suffix.lower(), "free-text") if list_path else "free-text"
    works, fs, problems = merge_sources(curated, parsed, label) if curated and parsed else _one_list(curated or parsed)
    # and what reading found of the file itself (not UTF-8): problems of no work
    return works, fs, problems + (result.warnings if result else [])


def _own_list(doc: Document) -> tuple[list[Work], list[FieldSource], list[Problem]]:
    """The list of a document that names no list file: its own, after its '## References'
    heading, read as ``kb check`` reads it."""
    return _one_list(read_own_list(doc, doc.path))


def _one_list(works: list[Work]) -> tuple[list[Work], list[FieldSource], list[Problem]]:
    fs = [FieldSource(w.id, f, w.source, w.line, _show(w.csl[f])) for w in works for f in COMPARED if f in w.csl]
    return works, fs, []


def _parsed(parse: Callable[[Path], T], path: Path) -> T:
    return parse(path)


class _RealPaths:
    """``Path.resolve()`` for the many files of a few folders: each folder resolved once, and a
    file name that is no symlink joined to it (at 100,000 works some 60,000 paths resolved
    component by component, one system call each, were 1.3 s of a build)."""

    def __init__(self) -> None:
        self._folders: dict[Path, Path] = {}

    def __call__(self, path: Path) -> Path:
        folder = self._folders.get(path.parent)
        if folder is None:
            folder = self._folders[path.parent] = path.parent.resolve()
        if path.name in ("", "..") or os.path.islink(path):
            return path.resolve()
        return folder / path.name


def _files(root: Path, folder: str, pattern: str, real: _RealPaths | None = None) -> list[Path]:
    """The source files of one folder, in name order; a symlink that leads out of the sources is
    an error (the build would publish whatever it points at). ``real``: how paths are resolved."""
    real = real or _RealPaths()
    inside = root.resolve()
    out = []
    for path in sorted((root / folder).glob(pattern)):
        if not real(path).is_relative_to(inside):
            raise KbError(
                f"{folder}/{path.name} links to a file outside the sources folder",
                str(path),
                hint="copy the file into the sources folder instead of linking to it",
            )
        out.append(path)
    return out


def _named_file(folder: Path, name: object, doc: Document, key: str, real: _RealPaths | None = None) -> Path:
    """The file a document's front matter names, which must lie inside ``folder``: an absolute
    path, ``..`` or a symlink that leads out of the sources would publish any file the build can
    read (``reference_list: /etc/passwd``)."""
    line = _front_matter_line(doc, key)  # from the text in memory: no second read of the file
    if not isinstance(name, str) or not name.strip():
        raise KbError(f"{key}: should name one file, not {name!r}", doc.path, line, hint=f"write '{key}: refs.bib'")
    path = folder / name
    real = real or _RealPaths()
    inside = real(folder)
    try:
        resolved = real(path)
    except (OSError, RuntimeError) as e:  # a symlink loop
        raise KbError(f"{key} file {name!r} cannot be opened: {e}", doc.path, line) from None
    if not resolved.is_relative_to(inside):
        raise KbError(
            f"{key} file {name!r} is outside {folder.name}/",
            doc.path,
            line,
            hint=f"a document's lists must be files in {folder.name}/; copy the file there and name it",
        )
    if not path.is_file():
        raise KbError(
            f"{key} file {name!r} not found in {folder.name}/",
            doc.path,
            line,
            hint=f"name a file in {folder.name}/ in the front matter's '{key}:'",
        )
    return path


def _front_matter_line(doc: Document, key: str) -> int:
    """The line of ``key:`` in a document's front matter (1 when it is not there), found in the
    text already read; only an error message needs it."""
    for n, text in enumerate(doc.text.split("\n", 200)[:200], 1):
        if text.startswith(f"{key}:"):
            return n
    return 1


def _load_bib(path: Path) -> list[Work]:
    works, failed = load_bibtex(path)
    if failed:
        f = failed[0]
        duplicate = re.match(r"Duplicate entry key '(.*)'", f.error)
        if duplicate:  # bibtexparser's word for a key used twice: said as the check below says it
            first = next((w.line for w in works if w.id == duplicate.group(1)), None)
            raise KbError(
                f"duplicate citation key {duplicate.group(1)!r}" + (f" (also on line {first})" if first else ""),
                str(path),
                f.line,
                hint="give each entry its own key",
            )
        raise KbError(
            f"BibTeX entry does not parse: {f.error}",
            str(path),
            f.line,
            hint="fix the entry (a missing brace or comma is the usual cause)",
        )
    seen: dict[str, Work] = {}
    for w in works:
        if w.id in seen:
            raise KbError(
                f"duplicate citation key {w.id!r} (also on line {seen[w.id].line})",
                str(path),
                w.line,
                hint="give each entry its own key",
            )
        seen[w.id] = w
    return works


class ParsedOnce:
    """Each reference list parsed once, however many documents name it and however many builds
    read it: by the parser, the file's path and the SHA-256 of its content, within a build and
    (through ``cache``) across builds. Each document gets its own copy of the records (a build
    changes them as it links works): a file named by more than one document is kept pickled
    and handed out as a fresh copy each time."""

    def __init__(self, documents: list[Document], folder: Path, cache: BuildCache | None = None):
        self.named = Counter(
            str(folder / str(doc.meta[key]))
            for doc in documents
            for key in ("references", "reference_list")
            if isinstance(doc.meta.get(key), str)
        )
        self.cache = cache or BuildCache(None)
        self.parsed: dict[str, bytes] = {}
        self.keys: dict[tuple[str, str], str] = {}

    def key(self, parse: Callable[[Path], T], path: Path | None) -> str:
        """What ``read(parse, path)`` is kept by: the parser, the path and the SHA-256 of the
        file's bytes (read once a build); "" for no file."""
        if path is None:
            return ""
        named = (parse.__name__, str(path))
        if named not in self.keys:
            self.keys[named] = digest(*named, hashlib.sha256(path.read_bytes()).digest())
        return self.keys[named]

    def prefill(self, lists: list[tuple[Callable[[Path], Any], Path]]) -> None:
        """Read ``lists`` (parser, path) across cores ahead of :meth:`read` (see
        :meth:`BuildCache.prefill`)."""
        self.cache.prefill(
            "list",
            [(self.key(parse, path), parse, (path,)) for parse, path in lists],
            "reference lists",
            many={read_references: lambda args: read_references_many([path for (path,) in args])},
        )

    def read(self, parse: Callable[[Path], T], path: Path) -> T:
        key = self.key(parse, path)
        if self.named[str(path)] < 2:
            return self.cache.value("list", key, parse, path)
        if key not in self.parsed:
            self.parsed[key] = dumps(self.cache.value("list", key, parse, path))
        return loads(self.parsed[key])


def _relative_paths(sources: Sources, root: Path, real: _RealPaths | None = None) -> None:
    """Store paths relative to the sources folder: the same sources give the same database
    wherever the repository is checked out."""
    real = real or _RealPaths()
    base = root.resolve()
    done: dict[str, str] = {}  # a path is resolved once, not once per record that names it

    def rel(path: str) -> str:
        if path not in done:
            try:
                done[path] = real(Path(path)).relative_to(base).as_posix()
            except ValueError:
                done[path] = path
        return done[path]

    for w in sources.works + [w for ws in sources.lists.values() for w in ws]:
        w.source = rel(w.source)
        for p in w.problems:
            p.source = rel(p.source)
    for fs in sources.field_sources:
        fs.source = rel(fs.source)
    for e in sources.entries:
        e["source"] = rel(e["source"])
    for p in sources.problems:
        p.source = rel(p.source)
        p.message = p.message.replace(str(root.resolve()) + "/", "").replace(str(root) + "/", "")
    for d in sources.documents:
        d.path = rel(d.path)
    for rows in sources.evidence.tables.values():
        for row in rows:
            if "source_file" in row:
                row["source_file"] = rel(row["source_file"])
    for row in sources.evidence.studies:
        row["source_file"] = rel(row["source_file"])


def resolved_documents(
    sources: Sources, cache: BuildCache | None = None
) -> Iterator[tuple[Document, list[Citation], list[Problem]]]:
    """Each document, in order: its citations checked against its own list (none: each is
    missing, with a ``no-reference-list`` problem), and the problems of the citations and of
    the list. One document's records at a time: a build writes
    them and lets them go before the next (at 100,000 works a million citations); and each
    document's list is taken out of ``sources.lists`` once its citations are resolved (nothing
    reads it after).

    A document's citations depend on nothing but the document and its list's works as linking
    left them; ``cache`` keeps them by both (their ``repr``: every field's value), so a
    document an earlier build resolved against the same list is not resolved again. Those it
    does not keep are resolved across cores ``RESOLVED_AT_ONCE`` documents at a time: what the
    other processes give back is held until it is read."""
    cache = cache or BuildCache(None)
    listed = sources.documents  # a list or none: a document without one used to be left out

    def jobs() -> Iterator[tuple[str, Callable, tuple[Document, list[Work]]]]:
        for start in range(0, len(listed), RESOLVED_AT_ONCE):
            lists = [(doc, sources.lists.pop(doc.id, [])) for doc in listed[start : start + RESOLVED_AT_ONCE]]
            part = [
                (digest(repr(doc), repr(works)) if cache.path else "", _resolved_rows, (doc, works))
                for doc, works in lists
            ]
            cache.prefill("citations", part, None)
            yield from part

    for key, _, (doc, works) in bar(jobs(), "citations", len(listed)):
        rows, found_problems = cache.value("citations", key, _resolved_rows, doc, works)
        yield doc, [Citation(*row) for row in rows], found_problems


# documents whose citations are resolved across cores at once (:func:`resolved_documents`; at
# 100,000 works, all at once, what came back was the build's peak memory)
RESOLVED_AT_ONCE = 2500


_CITATION_FIELDS = tuple(f.name for f in fields(Citation))


def _resolved_rows(doc: Document, works: list[Work]) -> tuple[list[tuple], list[Problem]]:
    """:func:`_resolve_document` with each citation as the tuple of its fields, in their
    order: a cached document's citations are made again by ``Citation(*row)``, six times faster
    than unpickling the records themselves."""
    citations, problems = _resolve_document(doc, works)
    return [tuple(getattr(c, name) for name in _CITATION_FIELDS) for c in citations], problems


def _resolve_document(doc: Document, works: list[Work]) -> tuple[list[Citation], list[Problem]]:
    """One document's citations resolved against its list, and the problems of both."""
    report = check(doc, works)
    problems = list(report.reference_problems)
    line = line_of(doc.text)
    if not works and report.citations:
        problems.append(_no_list(doc, len(report.citations)))
    for c in report.citations:
        problems += [
            Problem(
                code=code,
                message=c.message,
                source=doc.path,
                line=line(c.start),
                citation_id=c.id,
                passage_id=c.passage_id,
                work_id=c.work_id,
            )
            for code in c.problems
        ]
    return report.citations, problems


def _no_list(doc: Document, cited: int) -> Problem:
    """The problem of a document that cites and has no list to resolve its citations against."""
    named = [f"{key}: {doc.meta[key]}" for key in ("references", "reference_list") if doc.meta.get(key)]
    if named:
        said = f"its list ({', '.join(named)}) holds no reference: each is kept as missing; put the references in it"
        where = _front_matter_line(doc, named[0].split(":")[0])
    else:
        said = (
            "it names no reference list and has none of its own: each is kept as missing; name a list in the "
            "front matter ('references: refs.bib' or 'reference_list: refs.txt') or end the document with a "
            "'## References' heading and its list"
        )
        where = 1
    return Problem(
        code="no-reference-list",
        message=f"{cited} citation{'s' if cited != 1 else ''} but {said}",
        source=doc.path,
        line=where,
    )


def source_problems(sources: Sources) -> list[Problem]:
    """What is wrong in the sources themselves: contradictions, paragraphs cut short."""
    problems = []
    for row in sources.evidence.tables["contradictions"]:
        quotes = " / ".join(f"{s['passage_id']}: {s['quote']!r}" for s in row["sources"])
        problems.append(
            Problem(
                code="source-contradiction",
                message=f"{row['message']} ({quotes})",
                source=row["source_file"],
                line=row["source_file_line"],
                passage_id=row["sources"][0]["passage_id"],
            )
        )
    for doc in sources.documents:
        problems += incomplete_passages(doc)
    return problems


def incomplete_passages(doc: Document) -> list[Problem]:
    """A problem for each of the document's paragraphs that starts mid-sentence."""
    return [
        Problem(
            code="incomplete-passage",
            passage_id=p.id,
            source=doc.path,
            line=p.line,
            message="paragraph starts mid-sentence in the source; kept as printed",
        )
        for p in doc.passages
        if p.text[:1].islower()
    ]


def build(
    db_path: Path,
    root: Path | None = None,
    fingerprint: str | None = None,
    hashes: dict[str, str] | None = None,
    full: bool = False,
) -> dict[str, int]:
    """Build the knowledge base into ``db_path`` atomically; return row counts. ``fingerprint``
    and ``hashes``: the sources' digest and each file's (:func:`sources_digest`,
    :func:`source_hashes`), when the caller has them already.

    A large library whose citing documents alone changed since ``db_path`` was built is updated
    where they changed (:mod:`kb.update`), its graph's analyses left as they were, unless
    ``full``."""
    # one spelling of the folder, whichever the command was given ("--sources .", its full path,
    # none from inside it): what a build keeps is found by the files' paths
    root = Path(os.path.abspath(root or default_root()))
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(db_path)
    hashes = source_hashes(root) if hashes is None else hashes
    fingerprint = fingerprint or sources_digest(root, hashes)
    cache = BuildCache(build_cache_path(db_path), db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp-build-cache"))
    try:
        counts = None if full else update(db_path, root, cache, hashes, fingerprint)
        if counts is not None:
            cache.save(adding=True)  # what the update read beside what the full build kept
            timing_line(cache)
            return counts
        # millions of records alive and few reference cycles: the cyclic collector would only
        # rescan them (at 8,000 works a seventh of the build's CPU); they are let go explicitly
        with no_cycle_collection():
            counts = _build(db_path, root, cache, fingerprint, hashes)
    except BaseException:
        cache.discard()
        raise
    cache.save()
    timing_line(cache)
    return counts


def _build(db_path: Path, root: Path, cache: BuildCache, fingerprint: str, hashes: dict[str, str]) -> dict[str, int]:
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    try:
        return _built(db_path, tmp, root, cache, fingerprint, hashes)
    finally:
        for leftover in [tmp] + [tmp.with_name(tmp.name + end) for end in TEMP_SUFFIXES]:
            if leftover.exists():
                leftover.unlink()


class _Step:
    """What the build is doing to the database, named in the message of an error doing it."""

    name = "open"


@contextmanager
def _writing(db_path: Path, tmp: Path, at: _Step) -> Iterator[None]:
    """Errors writing the database as KbError: the disk's (space, permissions) as such, any
    other as a bug, naming ``at.name``."""
    try:
        yield
    except OSError as e:
        raise KbError(
            f"could not write the database: {e.strerror or e} ({tmp.name})",
            str(db_path),
            hint="check the folder exists, is writable and has free space",
        ) from None
    except sqlite3.Error as e:
        if isinstance(e, sqlite3.OperationalError) and _io_failure(e):
            raise KbError(
                f"could not write the database: {e}",
                str(db_path),
                hint="check the folder is writable and has free space",
            ) from None
        raise KbError(
            f"could not {at.name}: {e}",
            str(db_path),
            hint="this is a bug in kb, not in your sources: please report it with this message",
        ) from e


def _built(
    db_path: Path, tmp: Path, root: Path, cache: BuildCache, fingerprint: str, hashes: dict[str, str]
) -> dict[str, int]:
    """The build, into ``tmp``, renamed to ``db_path`` when complete (this function holds the
    only reference to the records, which it lets go of before the graph is made)."""
    with stage("read"):
        sources = read_sources(root, cache)
    at = _Step()
    with _writing(db_path, tmp, at):
        db = _writable(tmp)
        at.name = "create the tables"
        create_tables(db)
        # what only the lists give is stored now and let go: the stages to come make the rest
        # of the records beside it (at 100,000 works 1.8 million field sources and 200,000 entries)
        with stage("store-lists"):
            at.name = "save work sources"
            save_work_sources(db, sources.field_sources)
            at.name = "save reference entries"
            save_reference_entries(db, sources.entries)
        sources.field_sources, sources.entries = [], []
        _page_cache(db, READ_CACHE_KIB)  # its memory back while the records are made
    # the works stored next, with what the sources alone give of them (references formatted,
    # search variants), and let go: each document's list keeps its own copies to resolve its
    # citations against (at 100,000 works the works and their columns were 0.3 GB held from here
    # to the end of store). What the citations and concepts give of them is set later.
    with stage("format"):
        formatted = format_cached(sources.works, ("apa", "ieee"), cache=format_cache_path(Path(db_path)))
    with stage("stats"):
        # the words the library writes both ways, and which of its texts (the works' titles and
        # containers, each document's passages) split each and how: what an update in place
        # reads to tell whether a changed document changes them
        variants, spellings = hyphens_by_source(
            [
                [w.csl.get("title", "") for w in sources.works]
                + [w.csl.get("container-title", "") for w in sources.works],
                *([p.text for p in d.passages] for d in sources.documents),
            ]
        )
        hyphens = hyphen_sources(spellings)
        spellings = None
        stats = {}
        for w in bar(sources.works, "works"):
            searched = f"{w.csl.get('title', '')} {w.csl.get('container-title', '')}"
            stats[w.id] = {
                "search_variants": search_variants(searched, variants) or None,
                "concepts": _json([]),  # set by save_work_figures
                "problem_count": 0,
                "apa": formatted["apa"].get(w.id),
                "ieee": formatted["ieee"].get(w.id),
            }
    with _writing(db_path, tmp, at), stage("store-works"):
        at.name = "save works"
        _page_cache(db, WRITE_CACHE_KIB)
        save_works(db, sources.works, stats)
        _page_cache(db, READ_CACHE_KIB)
    decades = work_decades(sources.works)
    work_ids = {w.id: w.id for w in sources.works}
    sources.works = []
    formatted = stats = None
    # each document's citations resolved, made into its claims and written, then let go: the
    # claims keep what the rest of the build reads of them (at 100,000 works a million
    # citations, which held all at once were the build's peak memory)
    claims: list = []
    citation_problems: list[Problem] = []
    cited = 0
    passages = passages_of(sources.documents)

    def citations() -> Iterator[Citation]:
        nonlocal cited
        for doc, found, found_problems in resolved_documents(sources, cache):
            cited += len(found)
            citation_problems.extend(found_problems)
            made = make_claims([doc], found)
            keep_what_is_read(made, work_ids)
            claims.extend(made)
            doc.text = ""
            yield from found

    with _writing(db_path, tmp, at), stage("resolve"):
        # the abbreviations the documents define (the concepts stage matches them) found while
        # the documents' texts are here: each text is let go once its document's citations are
        # resolved (at 100,000 works 116 MB; what is read after that is the passages' own)
        abbreviations = defined_abbreviations(sources.documents, labels_of(sources.concepts))
        at.name = "save citations"
        _page_cache(db, WRITE_CACHE_KIB)
        save_citations(db, citations(), passages, document_places(d.id for d in sources.documents))
        _page_cache(db, READ_CACHE_KIB)
    passages = work_ids = None
    sources.lists = {}  # each document's own list, read by nothing after its citations are resolved
    problems = sources.problems + citation_problems + source_problems(sources)
    for p in problems:
        p.severity = severity_of(p.code)
    with stage("concepts"):
        links, labels = tag(
            sources.documents, sources.concepts, claims, sources.evidence.tables, sources.curated, cache, abbreviations
        )
    with _writing(db_path, tmp, at):
        _page_cache(db, WRITE_CACHE_KIB)
        # the documents and concept links written into a file of their own by another process
        # while this one writes the rest, then copied in by SQLite (a large build; None: here)
        apart = partial(_stored_side, sources.documents, links, decades, sources.evidence.tables["findings"])
        side = _store_apart(tmp, apart, cited)
        steps = [
            (
                "save the works' concepts and problems",
                lambda: save_work_figures(db, work_concepts(links), Counter(p.work_id for p in problems if p.work_id)),
            ),
            ("save claims", lambda: save_claims(db, claims, passages_of(sources.documents))),
            ("save study evidence", lambda: save_evidence(db, sources.evidence.studies, sources.evidence.tables)),
            ("save concepts", lambda: save_concepts(db, sources.concepts, labels)),
            ("save problems", lambda: save_problems(db, problems)),
            (
                "keep what an update reads",
                lambda: kept_for_update(
                    db, hashes, labels, {c.id: c.not_within for c in sources.concepts}, variants, hyphens
                ),
            ),
            *([(f"save {SIDE_WHAT}", lambda: apart(db))] if side is None else []),
        ]
        # the stages a long build reports (KB_TIMINGS=1, progress on a terminal): store, then the
        # graph's own (graph, analyses, maps), shape-wait, save-graph, then shape
        with stage("store"):
            try:
                for name, run in bar(steps, "tables"):
                    at.name = name
                    run()
            except BaseException:
                if side is not None:
                    side.cancel()
                raise
            if side is not None:
                at.name = f"save {SIDE_WHAT}"
                written, *took = side.result()
                overlapped("store-apart", *took)
                _copy_in(db, written, SIDE_TABLES)
        # everything read is stored: the graph is built from the database, so the records need
        # not be held beside it (at 100,000 works, gigabytes)
        sources = problems = claims = links = labels = decades = variants = hyphens = None
        gc.collect()
        if _fresh_worth_it(cited):
            # the rest in a process of its own, started afresh: this one's memory is where the
            # records were (at 100,000 works 1.8 GB, most of it freed but not given back), and
            # the graph would be built on top of it
            at.name = "write the file"
            db.conn.commit()
            db.close()
            counts = _finished_afresh(db_path, tmp, fingerprint)
        else:
            counts = _finish(db, tmp, at, fingerprint)
        os.replace(tmp, db_path)
    return counts


def _finish(db: sqlite_utils.Database, tmp: Path, at: _Step, fingerprint: str) -> dict[str, int]:
    """What a build does once every record is stored: the search and indexes, the graph and its
    analyses, the sources' digest; the file written and synced, not yet renamed. The row counts."""
    at.name = "add search and indexes"
    apart, shaped = _shape_apart(db, tmp)
    try:
        # graph: built from the stored records, its analyses stored beside them; it reads each
        # table once: the write cache is let go meanwhile
        at.name = "build the graph"
        _page_cache(db, READ_CACHE_KIB)
        figures, tables, people, maps = _graph_rows(db, people_elsewhere=apart is not None)
        _page_cache(db, WRITE_CACHE_KIB)
        if apart is not None:
            db.execute("commit")  # the reading begun before the other process wrote
            at.name = "add search and indexes"
            with stage("shape-wait"):  # what is left of the indexes and analyses made meanwhile
                shaping, analysing, people = apart.result()
                overlapped("shape-apart", *shaping)
                overlapped("authors-apart", *analysing)
        tables = {**tables, **people, **maps}  # the order the tables are written in, as ever
    except BaseException:
        if apart is not None:
            apart.cancel()
        raise
    at.name = "save the graph analyses"
    with stage("save-graph"):  # the largest tables are made as they are written: their time is here
        save_graph_analyses(db, figures, tables)
    figures = tables = None
    at.name = "save each document's part of the ranking"
    with stage("rank-edges"):
        works = kbgraph.ranked_works(db.conn)
        save_rank_edges(
            db,
            kbgraph.edge_rows(kbgraph.rank_edges(db.conn, works)),
            (kbgraph.RANK_WORKS_KEY, kbgraph.works_key(works)),
        )
    at.name = "add search, indexes and views"
    with stage("shape"):
        ensure_db_shape(db, done=shaped)
        # one file again, to be renamed (a file still in WAL mode would need its -wal beside it)
        if apart is not None and db.execute("pragma journal_mode = delete").fetchone()[0] != "delete":
            raise sqlite3.OperationalError("the file could not leave WAL mode")
    at.name = "count the rows"
    counts = row_counts(db)
    # what it was built from, last: a build that stops before this point leaves no digest
    db[schema.MARKER].insert({"key": "sources_digest", "value": fingerprint}, replace=True)
    at.name = "write the file"
    db.conn.commit()
    db.close()
    with open(tmp, "rb+") as written:
        os.fsync(written.fileno())
    return counts


# Stored citations from which a build finishes in a process started afresh (:func:`_finished_afresh`)
FRESH_FROM = 50_000


def _fresh_worth_it(citations: int) -> bool:
    """A large build (``FRESH_FROM`` citations), where this process may start another Python:
    not inside a worker, not with ``KB_WORKERS=1``, on a system with ``pass_fds``, from an
    interpreter that runs ``-c`` (not a frozen application)."""
    import multiprocessing
    import sys

    return (
        citations >= FRESH_FROM
        and os.name == "posix"
        and bool(sys.executable)
        and not getattr(sys, "frozen", False)
        and not multiprocessing.current_process().daemon
        and not one_process()
    )


def _finished_afresh(db_path: Path, tmp: Path, fingerprint: str) -> dict[str, int]:
    """:func:`_finish` of the database ``tmp`` (committed and closed) in a Python started afresh,
    not forked: it holds none of this one's memory, only what the graph needs (at 100,000 works
    1.5 GB, against this process's 1.8, most of it freed but not given back). Its errors are
    raised here as they were there; Ctrl-C here stops it.

    A new interpreter, not multiprocessing's "spawn": that one runs the caller's main script
    again in the new process (a script or notebook calling :func:`build` would run twice)."""
    import pickle
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    job = (sys.path, str(db_path), str(tmp), fingerprint, progress.quiet(), write_end)
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _AFRESH],
            stdin=subprocess.PIPE,
            pass_fds=(write_end,),
            start_new_session=True,
            preexec_fn=partial(die_with_parent, os.getpid()),  # not left building when this one is killed
        )
    finally:
        os.close(write_end)
    try:
        with open(read_end, "rb") as answer:
            assert child.stdin is not None
            child.stdin.write(pickle.dumps(job))
            child.stdin.close()
            got = answer.read()
        child.wait()
        if not got:
            raise KbError(
                f"the process finishing the build was stopped (exit code {child.returncode}) before it was done",
                str(db_path),
                hint="the machine may have run out of memory: free some and build again",
            )
        done, value = pickle.loads(got)
        if not done:
            raise value
        return value
    finally:
        if child.poll() is None:  # stopped here (Ctrl-C): stopped there too
            child.terminate()
            child.wait()


# what the Python started afresh runs: the job (plain values) read before kb is imported, from
# where this process imports it. It runs in a session of its own, out of the terminal's reach:
# Ctrl-C is the build's, which stops it (SIGTERM: what it started is stopped too, and it exits
# without a word)
_AFRESH = """import pickle, sys
try:
    job = pickle.load(sys.stdin.buffer)
except EOFError:  # the build stopped before it sent the job
    sys.exit(1)
sys.path[:] = job[0]
import kb.build
kb.build._finish_afresh(*job[1:])
"""


def _finish_afresh(db_path: str, tmp: str, fingerprint: str, quiet: bool, answer: int) -> None:
    """In the Python :func:`_finished_afresh` starts: the build finished, and the row counts (or
    the error that stopped it) written back, pickled, to the file descriptor ``answer``."""
    import pickle
    import signal

    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    progress.set_quiet(quiet)
    at = _Step()
    with open(answer, "wb") as back:
        try:
            with no_cycle_collection(), _writing(Path(db_path), Path(tmp), at):
                db = _writable(Path(tmp))
                result: tuple[bool, Any] = (True, _finish(db, Path(tmp), at, fingerprint))
        except KeyboardInterrupt:
            return  # the process that started this one was interrupted too, and says so
        except BaseException as e:  # noqa: BLE001 - every error goes back to be raised there
            result = (False, e)
        try:
            blob = pickle.dumps(result)
        except Exception as e:  # noqa: BLE001 - an error that does not pickle
            blob = pickle.dumps((False, RuntimeError(f"{type(result[1]).__name__}: {result[1]} ({e})")))
        try:
            back.write(blob)
        except BrokenPipeError:
            pass  # the process that asked is gone


def format_cache_path(db_path: Path) -> Path:
    """Where a database's formatted references are kept between builds: beside it, hidden."""
    return db_path.with_name(f".{db_path.name}.format-cache")


def build_cache_path(db_path: Path) -> Path:
    """Where a database's parsed lists, read documents and resolved citations are kept between
    builds (:mod:`kb.buildcache`): beside it, hidden."""
    return db_path.with_name(f".{db_path.name}.build-cache")


def passages_of(documents: list[Document]) -> dict[str, Passage]:
    """Every passage of ``documents`` by its id."""
    return {p.id: p for d in documents for p in d.passages}


def work_concepts(links: list) -> dict[str, set[str]]:
    """The concepts of the sentences citing each work (``cited-in`` links), in one pass over the
    links rather than one scan of them per work."""
    out: dict[str, set[str]] = defaultdict(set)
    for lk in links:
        if lk.target_table == "works" and lk.method == "cited-in":
            out[lk.target_id].add(lk.concept_id)
    return out


# what a build writes beside its temporary database (``.kb.db.PID.tmp``): SQLite's journal, log
# and shared memory, and the tables written apart (:func:`_store_apart`)
TEMP_SUFFIXES = ("-journal", "-wal", "-shm", "-side")


def remove_stale_temp_files(db_path: Path) -> list[Path]:
    """Remove what killed builds of ``db_path`` left: ``.kb.db.PID.tmp`` and its journal, for
    every PID whose process is gone (a build that is still running keeps its files)."""
    removed = []
    prefix = f".{db_path.name}."
    for path in db_path.parent.glob(f".{glob.escape(db_path.name)}.*.tmp*"):
        pid_text, _, suffix = path.name[len(prefix) :].partition(".tmp")
        if not pid_text.isdigit() or suffix not in ("", "-build-cache", *TEMP_SUFFIXES) or _alive(int(pid_text)):
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass  # another build removed it first, or the folder is read-only: harmless
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # someone else's process: leave its files alone
    return True


# SQLite's page cache while the build writes: 64 MiB, not SQLite's 2 MiB. The primary keys'
# indexes are filled in no order and the last step scans each table once per index: with 2 MiB
# their pages went back and forth to the file.
WRITE_CACHE_KIB = 65536
READ_CACHE_KIB = 2000  # SQLite's default


def _writable(tmp: Path) -> sqlite_utils.Database:
    """The temporary file a build writes, opened for it: renamed into place when complete, its
    commits need not each wait on the disk (one fsync at the end makes the renamed file durable)."""
    db = sqlite_utils.Database(tmp)
    db.execute("pragma synchronous = off")
    db.execute("pragma journal_mode = memory")
    _page_cache(db, WRITE_CACHE_KIB)
    return db


def _page_cache(db: sqlite_utils.Database, kib: int) -> None:
    """Set the connection's page cache to ``kib`` KiB (a smaller one lets the pages above it
    go at once). Nothing of it is stored in the database."""
    db.execute(f"pragma cache_size = -{kib}")


# Stored citations from which the search and indexes of the finished tables are made in another
# process while this one builds the graph (SHAPE_APART_FROM): at 16,000 works 2.6 of the
# shape stage's 3.2 s. A small build forks nothing.
SHAPE_APART_FROM = 50_000


def _apart_worth_it(citations: int) -> bool:
    """Two cores and a large build (``SHAPE_APART_FROM`` citations): a part of the store and of
    the indexes is worth another process."""
    return workers() >= 2 and citations >= SHAPE_APART_FROM


# the tables another process writes while the build's own writes the rest, about half the
# store stage's work (at 100,000 works 400,000 passages, 1.3 million concept links and the
# evidence map made from them, against 575,000 claims, a million of their citations and the
# works' concepts: with the claims there too, the other process took 8 s while this one waited)
SIDE_TABLES = ("documents", "passages", "concept_links", "evidence")
SIDE_WHAT = "documents, concept links and the evidence map"


def _store_apart(path: Path, write: Callable[[sqlite_utils.Database], None], citations: int) -> Later | None:
    """With two cores and a large build (``SHAPE_APART_FROM`` citations), the tables
    ``write(db)`` writes (:data:`SIDE_TABLES`) written into ``PATH-side`` by another process
    (:class:`Later`) while this one writes the others; None otherwise."""
    if not _apart_worth_it(citations):
        return None
    return Later(partial(_stored_apart, path.with_name(path.name + "-side"), write), SIDE_WHAT)


def _stored_side(
    documents: list[Document], links: list, decades: dict[str, str], findings: list, db: sqlite_utils.Database
) -> None:
    """The tables another process writes in a large build (:data:`SIDE_TABLES`), the build's
    own last in a small one."""
    save_documents(db, documents)
    save_concept_links(db, links)
    save_evidence_map(db, links, decades, findings)


def _stored_apart(side: Path, write: Callable[[sqlite_utils.Database], None]) -> tuple[Path, float, float]:
    """``write`` into the file ``side``, made with every table; the file, and the wall and CPU
    seconds it took (``store-apart`` with KB_TIMINGS=1)."""
    start, cpu = time.perf_counter(), time.process_time()
    side.unlink(missing_ok=True)
    db = sqlite_utils.Database(side)
    try:
        db.execute("pragma synchronous = off")
        db.execute("pragma journal_mode = off")
        _page_cache(db, WRITE_CACHE_KIB)
        create_tables(db)  # the same columns in the same order as the build's file
        write(db)
    finally:
        db.close()
    return side, time.perf_counter() - start, time.process_time() - cpu


def _copy_in(db: sqlite_utils.Database, side: Path, tables: tuple[str, ...]) -> None:
    """The rows of ``tables`` in the file ``side`` appended to the same tables of ``db``, in their
    order, by SQLite; then the file is removed."""
    try:
        db.execute("attach database ? as side", [str(side)])
        with db.conn:
            for t in tables:
                db.execute(f"insert into main.[{t}] select * from side.[{t}] order by rowid")
        db.execute("detach database side")
    finally:
        side.unlink(missing_ok=True)


def _shape_apart(db: sqlite_utils.Database, path: Path) -> tuple[Later | None, list[str]]:
    """Start making the search and indexes of every table the graph does not write (those with
    rows but ``works``, whose graph figures are added later) in another process, which is what
    the build waits for before it writes the graph's tables; and name those tables. The database is put
    in WAL mode so that this process reads the tables while the other one writes the indexes.
    With one core, or a small build: nothing started, no table named."""
    if not _apart_worth_it(db["citations"].count):
        return None, []
    names = [
        t.name
        for t in schema.TABLES
        if t.name != "works" and db.execute(f"select 1 from [{t.name}] limit 1").fetchone()
    ]
    if db.execute("pragma journal_mode = wal").fetchone()[0] != "wal":
        return None, []  # a file system without shared memory: made at the end, as ever
    # this connection reads the tables as they are before the other process writes a page: every
    # page it reads is then found in the file without a search of the growing log (the graph
    # stage at 100,000 works took 28-29.5 s reading beside the writer, 23.5 s alone)
    db.execute("begin")
    db.execute("select count(*) from sqlite_master").fetchone()
    return Later(partial(_shaped, path, names), "search and indexes"), names


def _shaped(path: Path, names: list[str]) -> tuple[tuple[float, float], tuple[float, float], dict]:
    """Search and indexes of ``names`` made on a connection of this process's own, then the
    authors' analyses (``kbgraph.author_rows_from_db``: this process has the time, the other one
    builds the graph meanwhile); the wall and CPU seconds of each, and those analyses' rows."""
    start, cpu = time.perf_counter(), time.process_time()
    db = sqlite_utils.Database(path)
    try:
        db.execute("pragma synchronous = off")
        _page_cache(db, WRITE_CACHE_KIB)
        shape_tables(db, names)
        shaped = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        people = kbgraph.author_rows_from_db(db)
    finally:
        db.close()
    return shaped, (time.perf_counter() - start, time.process_time() - cpu), people


def _graph_rows(db: sqlite_utils.Database, people_elsewhere: bool) -> tuple[dict, dict, dict, dict]:
    """The graph, built from the stored records, and what its analyses and maps give as rows:
    per-work figures, the tables of pairs and concepts, the authors' (none when
    ``people_elsewhere``: the process that indexes the tables makes them) and the maps'."""
    with stage("graph"), steps("graph records", kbgraph.GRAPH_STEPS) as tick:
        G = kbgraph.build_graph(kbgraph.records_from_db(db), tick, light=True)
    concepts = sorted(r["id"] for r in db["concepts"].rows)
    with stage("analyses"), steps("analyses", 5) as tick:
        # what the maps share with the analyses, made once; then the maps (and in a large build
        # the concepts' paths) are made in another process while this one makes the works'
        # figures and the pairs (Later: here, with one core). One other process, not one for
        # each: each one forked copies the pages of the graph it reads (at 8,000 works two gave
        # a quarter more memory in all and were slower, the two cores being shared by three)
        kbgraph.citation_pagerank(G)
        tick()
        kbgraph.evidence_graph(G)
        tick()
        if people_elsewhere:  # the concepts' tables there instead: the two processes' shares even
            elsewhere = Later(
                lambda: (map_rows(G, concepts), kbgraph.concept_rows(G, concepts)), "the maps and concepts' paths"
            )
        else:
            # the authors' analyses from the stored rows, as the other process makes them in a
            # large build (the graph a build reads holds no authors)
            people = kbgraph.author_rows_from_db(db)
            elsewhere = Later(lambda: (map_rows(G, concepts), None), "the maps")
        try:
            figures = kbgraph.work_figures(G, [r["id"] for r in db["works"].rows])
            tick()
            pairs = kbgraph.pair_rows(G)
            tick()
            concept_tables = None if people_elsewhere else kbgraph.concept_rows(G, concepts)
            tick()
        except BaseException:
            elsewhere.cancel()
            raise
    with stage("maps"):  # what is left of the other process's work once this one's is done
        maps, concepts_there = elsewhere.result()
    if people_elsewhere:
        people = {}
    return figures, {**pairs, **(concept_tables if concept_tables is not None else concepts_there)}, people, maps


def _io_failure(error: sqlite3.Error) -> bool:
    """True when SQLite could not read or write the file itself (permissions, space, a lock)."""
    text = str(error).lower()
    return any(
        m in text
        for m in (
            "unable to open",
            "readonly",
            "read-only",
            "disk i/o",
            "database or disk is full",
            "database is locked",
            "attempt to write",
        )
    )


def _json(value: object) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
