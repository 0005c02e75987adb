"""The build: sources -> parse -> resolve -> link -> graph -> store, into one SQLite file,
atomically (a failed build leaves the previous database as it was)."""

from __future__ import annotations

import copy
import hashlib
import os
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from kb import graph as kbgraph
from kb.claims import claims as make_claims
from kb.concepts import tag
from kb.formatcache import format_cached
from kb.merge import COMPARED, FieldSource, WorkIndex, _show, merge_sources
from kb.model import ERROR_PROBLEMS, Citation, Document, KbError, Problem, Work
from kb.progress import bar, stage
from kb.resolve import check
from kb.store import (
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
    save_reference_entries,
    save_work_sources,
    save_works,
)
from loaders.bibtex import load_bibtex
from loaders.concepts import load_concepts
from loaders.evidence import load_evidence
from loaders.markdown import line_of, load_document
from loaders.references import read_references

SOURCE_DIRS = ("bibliography", "evidence", "concepts")
T = TypeVar("T")


def default_root() -> Path:
    """The sources folder: the current directory when it has ``bibliography/``, else the
    repository this package was installed from."""
    cwd = Path.cwd()
    if (cwd / "bibliography").is_dir():
        return cwd
    return Path(__file__).resolve().parents[1]


def source_files(root: Path) -> list[Path]:
    files = []
    for name in SOURCE_DIRS:
        folder = root / name
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(files)


def is_stale(db_path: Path, root: Path) -> bool:
    """True when the database is missing or older than any source or the code that builds it."""
    if not db_path.exists():
        return True
    built = db_path.stat().st_mtime
    code = list(Path(__file__).parent.glob("*.py")) + list((Path(__file__).parents[1] / "loaders").glob("*.py"))
    return any(p.stat().st_mtime > built for p in source_files(root) + code if p.exists())


def ensure_built(db_path: Path | None = None, root: Path | None = None) -> Path:
    """The database, built first when it is missing or older than its sources."""
    root = root or default_root()
    db_path = db_path or root / "kb.db"
    if is_stale(db_path, root) and (root / "bibliography").is_dir():
        build(db_path, root)
    if not db_path.exists():
        raise KbError("no database", str(db_path), hint="run kb build first, or pass --db")
    return db_path


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


def read_sources(root: Path) -> Sources:
    """Read every source under ``root``; a broken source raises KbError naming file and line.

    Each citing document names its reference list: ``references`` (hand-checked BibTeX) and/or
    ``reference_list`` (free text, or any format kb parse reads). Both lists of one document are
    merged entry by entry; the same work cited by several documents becomes one work."""
    bib_dir = root / "bibliography"
    if not bib_dir.is_dir():
        raise KbError("no bibliography/ folder", str(root), hint="run kb build from the repository root or pass --sources")
    documents = [load_document(p) for p in bar(sorted(bib_dir.glob("*.md")), "documents")]
    documents += [load_document(p) for p in sorted((root / "evidence").glob("*.md"))]
    by_id = {d.id: d for d in documents}
    if len(by_id) != len(documents):
        raise KbError("two documents share an id", str(bib_dir), hint="give each document its own 'id:' in its front matter")
    index = WorkIndex()
    lists: dict[str, list[Work]] = {}
    entries: list[dict] = []
    field_sources: list = []
    problems: list[Problem] = []
    used_bib: set[Path] = set()
    once = ParsedOnce(documents, bib_dir)
    for doc in bar(documents, "reference lists"):
        bib_name, list_name = doc.meta.get("references"), doc.meta.get("reference_list")
        if not bib_name and not list_name:
            continue
        curated = once.read(_load_bib, _named_file(bib_dir, bib_name, doc, "references")) if bib_name else []
        if bib_name:
            used_bib.add((bib_dir / str(bib_name)).resolve())
        parsed: list[Work] = []
        if list_name:
            result = once.read(read_references, _named_file(bib_dir, list_name, doc, "reference_list"))
            parsed = result.works
            for w in parsed:
                problems += [p for p in w.problems if p.code == "unparsed-reference"]
        if curated and parsed:
            doc_works, fs, disagreements = merge_sources(curated, parsed)
            problems += disagreements
        else:
            doc_works = curated or parsed
            fs = [FieldSource(w.id, f, w.source, w.line, _show(w.csl[f])) for w in doc_works for f in COMPARED if f in w.csl]
        renamed: dict[str, str] = {}
        listed: list[Work] = []
        for position, w in enumerate(doc_works, 1):
            same = index.find(w)
            local_id = w.id
            if same is None:
                same = index.add(w)
            elif not same.raw and w.raw:
                same.raw = w.raw
            renamed[local_id] = same.id
            listed.append(same)
            entries.append({"document_id": doc.id, "position": position, "source": w.source, "line": w.line,
                            "raw": w.raw or None, "work_id": same.id, "key_in_list": local_id})
        for f in fs:
            f.work_id = renamed.get(f.work_id, f.work_id)
        field_sources += fs
        for p in problems:
            if p.work_id in renamed:
                p.work_id = renamed[p.work_id]
        lists[doc.id] = listed
    for path in sorted(bib_dir.glob("*.bib")):  # a BibTeX file no document names: its works still count
        if path.resolve() not in used_bib:
            for w in _load_bib(path):
                if index.find(w) is None:
                    index.add(w)
    evidence = load_evidence(sorted((root / "evidence").glob("*.yml")), by_id)
    concepts, curated_links = load_concepts(sorted((root / "concepts").glob("*.yml")), by_id)
    sources = Sources(documents, index.works, evidence, concepts, curated_links, problems, field_sources, lists, entries)
    _relative_paths(sources, root)
    return sources


class ParsedOnce:
    """Each reference list parsed once per build, however many documents name it: a file named
    by more than one document is kept parsed, by its path and the SHA-256 of its content, and
    each document gets its own copy of the records (a build changes them as it links works).
    A file named once is parsed and handed over as it is."""

    def __init__(self, documents: list[Document], folder: Path):
        self.named = Counter(str(folder / str(doc.meta[key])) for doc in documents
                             for key in ("references", "reference_list") if doc.meta.get(key))
        self.parsed: dict[tuple[str, str, str], Any] = {}

    def read(self, parse: Callable[[Path], T], path: Path) -> T:
        if self.named[str(path)] < 2:
            return parse(path)
        key = (parse.__name__, str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest())
        if key not in self.parsed:
            self.parsed[key] = parse(path)
        return copy.deepcopy(self.parsed[key])


def _named_file(folder: Path, name: object, doc: Document, key: str) -> Path:
    path = folder / str(name)
    if not path.is_file():
        raise KbError(f"{key} file {name!r} not found in {folder.name}/", doc.path, 1,
                      hint=f"name a file in {folder.name}/ in the front matter's '{key}:'")
    return path


def _load_bib(path: Path) -> list[Work]:
    works, failed = load_bibtex(path)
    if failed:
        f = failed[0]
        raise KbError(f"BibTeX entry does not parse: {f.error}", str(path), f.line,
                      hint="fix the entry (a missing brace or comma is the usual cause)")
    seen: dict[str, Work] = {}
    for w in works:
        if w.id in seen:
            raise KbError(f"duplicate citation key {w.id!r} (also on line {seen[w.id].line})", str(path), w.line,
                          hint="give each entry its own key")
        seen[w.id] = w
    return works


def _relative_paths(sources: Sources, root: Path) -> None:
    """Store paths relative to the sources folder: the same sources give the same database
    wherever the repository is checked out."""

    base = root.resolve()
    done: dict[str, str] = {}  # a path is resolved once, not once per record that names it

    def rel(path: str) -> str:
        if path not in done:
            try:
                done[path] = Path(path).resolve().relative_to(base).as_posix()
            except ValueError:
                done[path] = path
        return done[path]

    for w in sources.works:
        w.source = rel(w.source)
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


def document_works(doc: Document, sources: Sources) -> list[Work]:
    """The reference list a document cites, in its order."""
    return sources.lists.get(doc.id, [])


def resolve_citations(sources: Sources) -> tuple[list[Citation], list[Problem]]:
    """Every document's citations checked against its own list: citations, and the problems of
    the citations and of the lists."""
    citations: list[Citation] = []
    problems: list[Problem] = []
    for doc in bar(sources.documents, "citations"):
        works = document_works(doc, sources)
        if not works:
            continue
        report = check(doc, works)
        citations += report.citations
        problems += report.reference_problems
        line = line_of(doc.text)
        for c in report.citations:
            problems += [Problem(code=code, message=c.message, source=doc.path, line=line(c.start),
                                 citation_id=c.id, passage_id=c.passage_id, work_id=c.work_id) for code in c.problems]
    return citations, problems


def source_problems(sources: Sources) -> list[Problem]:
    """What is wrong in the sources themselves: contradictions, paragraphs cut short."""
    problems = []
    for row in sources.evidence.tables["contradictions"]:
        quotes = " / ".join(f"{s['passage_id']}: {s['quote']!r}" for s in row["sources"])
        problems.append(Problem(code="source-contradiction", message=f"{row['message']} ({quotes})",
                                source=row["source_file"], line=row["source_file_line"],
                                passage_id=row["sources"][0]["passage_id"]))
    for doc in sources.documents:
        for p in doc.passages:
            if p.text[:1].islower():
                problems.append(Problem(code="incomplete-passage", passage_id=p.id, source=doc.path, line=p.line,
                                        message="paragraph starts mid-sentence in the source; kept as printed"))
    return problems


def build(db_path: Path, root: Path | None = None) -> dict[str, int]:
    """Build the knowledge base into ``db_path`` atomically; return row counts."""
    root = root or default_root()
    with stage("read"):
        sources = read_sources(root)
    with stage("resolve"):
        citations, citation_problems = resolve_citations(sources)
        problems = sources.problems + citation_problems + source_problems(sources)
        for p in problems:
            p.severity = "error" if p.code in ERROR_PROBLEMS else "warning"
    with stage("claims"):
        claims = make_claims(sources.documents, citations)
    with stage("concepts"):
        links, labels = tag(sources.documents, sources.concepts, claims, sources.evidence.tables, sources.curated)
    with stage("format"):
        formatted = format_cached(sources.works, ("apa", "ieee"), cache=format_cache_path(Path(db_path)))
    with stage("stats"):
        stats = {}
        concepts_of, problem_count = work_concepts(links), Counter(p.work_id for p in problems if p.work_id)
        for w in sources.works:
            stats[w.id] = {"concepts": _json(sorted(concepts_of.get(w.id, ()))), "problem_count": problem_count[w.id],
                           "apa": formatted["apa"].get(w.id), "ieee": formatted["ieee"].get(w.id)}
    passages = {p.id: p for d in sources.documents for p in d.passages}

    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    try:
        db = sqlite_utils.Database(tmp)
        # a temporary file renamed into place when complete: its commits need not each wait on
        # the disk (one fsync at the end makes the renamed file durable)
        db.execute("pragma synchronous = off")
        db.execute("pragma journal_mode = memory")
        with stage("store"):
            save_documents(db, sources.documents)
            save_works(db, sources.works, stats)
            save_work_sources(db, sources.field_sources)
            save_reference_entries(db, sources.entries)
            save_citations(db, citations, passages)
            save_claims(db, claims)
            save_evidence(db, sources.evidence.studies, sources.evidence.tables)
            save_concepts(db, sources.concepts, labels)
            save_concept_links(db, links)
            save_evidence_map(db, links, sources.works, sources.evidence.tables["findings"])
        # graph: built from the stored records, its analyses stored beside them
        with stage("graph"):
            G = kbgraph.build_graph(kbgraph.records_from_db(db))
        save_graph_analyses(db, G)
        with stage("shape"):
            save_problems(db, problems)
            ensure_db_shape(db)
        counts = {t: db[t].count for t in ("documents", "passages", "works", "authors", "citations", "concepts",
                                          "concept_links", "claims", "sessions", "focus_groups", "topics", "criteria",
                                          "methods", "findings", "problems")}
        db.conn.commit()
        db.close()
        with open(tmp, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(tmp, db_path)
    except (sqlite3.Error, OSError) as e:
        raise KbError(f"could not write the database: {e}", str(db_path), hint="check the folder is writable") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return counts


def format_cache_path(db_path: Path) -> Path:
    """Where a database's formatted references are kept between builds: beside it, hidden."""
    return db_path.with_name(f".{db_path.name}.format-cache")


def work_concepts(links: list) -> dict[str, set[str]]:
    """The concepts of the sentences citing each work (``cited-in`` links), in one pass over the
    links rather than one scan of them per work."""
    out: dict[str, set[str]] = defaultdict(set)
    for lk in links:
        if lk.target_table == "works" and lk.method == "cited-in":
            out[lk.target_id].add(lk.concept_id)
    return out


def _json(value: object) -> str:
    import json
    return json.dumps(value, ensure_ascii=False)
