"""The build: sources -> parse -> resolve -> link -> graph -> store, into one SQLite file,
atomically (a failed build leaves the previous database as it was)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from kb import graph as kbgraph
from kb.claims import claims as make_claims
from kb.concepts import tag
from kb.model import Citation, Document, KbError, Problem, Work
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
    save_problems,
    save_work_sources,
    save_works,
)
from loaders.bibtex import load_bibtex
from loaders.concepts import load_concepts
from loaders.evidence import load_evidence
from loaders.markdown import load_document

SOURCE_DIRS = ("bibliography", "evidence", "concepts")
ERROR_CODES = {"missing-reference", "wrong-year", "misspelt-name", "unparsed-reference", "source-contradiction"}


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


@dataclass
class Sources:
    documents: list[Document]
    works: list[Work]
    evidence: object
    concepts: list
    curated: list
    problems: list[Problem] = field(default_factory=list)
    field_sources: list = field(default_factory=list)


def read_sources(root: Path) -> Sources:
    """Read every source under ``root``; a broken source raises KbError naming file and line."""
    bib_dir = root / "bibliography"
    if not bib_dir.is_dir():
        raise KbError("no bibliography/ folder", str(root), hint="run kb build from the repository root or pass --sources")
    works: list[Work] = []
    seen: dict[str, Work] = {}
    for path in sorted(bib_dir.glob("*.bib")):
        loaded, failed = load_bibtex(path)
        if failed:
            f = failed[0]
            raise KbError(f"BibTeX entry does not parse: {f.error}", str(path), f.line,
                          hint="fix the entry (a missing brace or comma is the usual cause)")
        for w in loaded:
            if w.id in seen:
                raise KbError(f"duplicate citation key {w.id!r} (also in {seen[w.id].source}:{seen[w.id].line})",
                              str(path), w.line, hint="give each entry its own key")
            seen[w.id] = w
            works.append(w)
    documents = [load_document(p) for p in sorted(bib_dir.glob("*.md"))]
    documents += [load_document(p) for p in sorted((root / "evidence").glob("*.md"))]
    field_sources: list = []
    problems: list[Problem] = []
    for doc in documents:
        listed = doc.meta.get("reference_list")
        if not listed:
            continue
        path = bib_dir / str(listed)
        if not path.is_file():
            raise KbError(f"reference_list {listed!r} not found", str(doc.path), 1,
                          hint="name a free-text reference list in bibliography/")
        from kb.merge import merge_sources
        from loaders.references import read_references

        result = read_references(path)
        for w in result.works:
            problems += [p for p in w.problems if p.code == "unparsed-reference"]
        works, fs, disagreements = merge_sources(works, result.works)
        field_sources += fs
        problems += disagreements
    by_id = {d.id: d for d in documents}
    if len(by_id) != len(documents):
        raise KbError("two documents share an id", str(bib_dir), hint="give each document its own 'id:' in its front matter")
    evidence = load_evidence(sorted((root / "evidence").glob("*.yml")), by_id)
    concepts, curated = load_concepts(sorted((root / "concepts").glob("*.yml")), by_id)
    sources = Sources(documents, works, evidence, concepts, curated, problems, field_sources)
    _relative_paths(sources, root)
    return sources


def _relative_paths(sources: Sources, root: Path) -> None:
    """Store paths relative to the sources folder: the same sources give the same database
    wherever the repository is checked out."""

    def rel(path: str) -> str:
        try:
            return Path(path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path

    for w in sources.works:
        w.source = rel(w.source)
    for fs in sources.field_sources:
        fs.source = rel(fs.source)
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


def document_works(doc: Document, sources: Sources, root: Path) -> list[Work]:
    """The reference list a document cites: its front matter's ``references`` file."""
    ref = doc.meta.get("references")
    if not ref:
        return []
    path = root / "bibliography" / str(ref)
    works = [w for w in sources.works if (root / w.source).resolve() == path.resolve()]
    if not works:
        raise KbError(f"references file {ref!r} not found or empty", doc.path, 1,
                      hint="name a .bib file in bibliography/ in the front matter's 'references:'")
    return works


def build(db_path: Path, root: Path | None = None) -> dict[str, int]:
    """Build the knowledge base into ``db_path`` atomically; return row counts."""
    root = root or default_root()
    sources = read_sources(root)
    citations: list[Citation] = []
    problems: list[Problem] = list(sources.problems)
    for doc in sources.documents:
        works = document_works(doc, sources, root)
        if not works:
            continue
        report = check(doc, works)
        citations += report.citations
        problems += report.reference_problems
        for c in report.citations:
            for code in c.problems:
                problems.append(Problem(code=code, message=c.message, source=doc.path,
                                        line=doc.text.count("\n", 0, c.start) + 1, citation_id=c.id,
                                        passage_id=c.passage_id, work_id=c.work_id,
                                        severity="error" if code in ERROR_CODES else "warning"))
    for row in sources.evidence.tables["contradictions"]:
        quotes = " / ".join(f"{s['passage_id']}: {s['quote']!r}" for s in row["sources"])
        problems.append(Problem(code="source-contradiction", message=f"{row['message']} ({quotes})",
                                source=row["source_file"], line=row["source_file_line"],
                                passage_id=row["sources"][0]["passage_id"]))
    for doc in sources.documents:
        first = doc.passages[0].text
        if first[:1].islower():
            problems.append(Problem(code="incomplete-passage", passage_id=doc.passages[0].id, source=doc.path,
                                    line=doc.passages[0].line,
                                    message="paragraph starts mid-sentence in the source; kept as printed"))
        for p in doc.passages[1:]:
            if p.text[:1].islower():
                problems.append(Problem(code="incomplete-passage", passage_id=p.id, source=doc.path, line=p.line,
                                        message="paragraph starts mid-sentence in the source; kept as printed"))
    for p in problems:
        if p.code in ERROR_CODES:
            p.severity = "error"
    claims = make_claims(sources.documents, citations)
    links, labels = tag(sources.documents, sources.concepts, claims, sources.evidence.tables, sources.curated)
    G = kbgraph.build_graph(sources.documents, sources.works, citations, links, sources.evidence.tables["findings"])
    cited = kbgraph.times_cited(G)
    citing = kbgraph.citing_passages(G)
    ranks = kbgraph.citation_pagerank(G)
    stats = {}
    for w in sources.works:
        node = f"work:{w.id}"
        work_concepts = sorted({lk.concept_id for lk in links
                                if lk.target_table == "works" and lk.target_id == w.id and lk.method == "cited-in"})
        stats[w.id] = {"times_cited": cited.get(node, 0), "citing_passages": citing.get(node, 0),
                       "pagerank": round(ranks.get(node, 0.0), 6), "concepts": _json(work_concepts),
                       "problem_count": sum(1 for p in problems if p.work_id == w.id)}
    from kb.export import format_references

    formatted = {style: format_references(sources.works, style) for style in ("apa", "ieee")}
    for w in sources.works:
        stats[w.id]["apa"] = formatted["apa"].get(w.id)
        stats[w.id]["ieee"] = formatted["ieee"].get(w.id)
    passages = {p.id: p for d in sources.documents for p in d.passages}

    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        tmp.unlink()
    try:
        db = sqlite_utils.Database(tmp)
        save_documents(db, sources.documents)
        save_works(db, sources.works, stats)
        save_work_sources(db, sources.field_sources)
        save_citations(db, citations, passages)
        save_claims(db, claims)
        save_evidence(db, sources.evidence.studies, sources.evidence.tables)
        save_concepts(db, sources.concepts, labels)
        save_concept_links(db, links)
        save_evidence_map(db, links, sources.works, sources.evidence.tables["findings"])
        save_problems(db, problems)
        ensure_db_shape(db)
        counts = {t: db[t].count for t in ("documents", "passages", "works", "authors", "citations", "concepts",
                                          "concept_links", "claims", "sessions", "focus_groups", "topics", "criteria",
                                          "methods", "findings", "problems")}
        db.conn.commit()
        db.close()
        os.replace(tmp, db_path)
    except (sqlite3.Error, OSError) as e:
        raise KbError(f"could not write the database: {e}", str(db_path), hint="check the folder is writable") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return counts


def _json(value: object) -> str:
    import json
    return json.dumps(value, ensure_ascii=False)
