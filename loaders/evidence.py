"""Evidence files (YAML): a study's sessions, focus groups, topics, criteria, methods,
instruments, findings and the contradictions in its source.

Every record carries ``source: {document, paragraph, quote}``; the quote must stand verbatim
in that paragraph, and its character span there is stored. A later file (new findings, say)
may refer to ids defined in an earlier one; files are read in name order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.records import Document, KbError, one_of
from loaders.yamlfile import read_yaml, require

VOCABULARIES = ("sessions", "focus_groups", "topics", "criteria", "methods", "instruments")
# finding field -> the vocabulary its value must come from
FINDING_REFS = {
    "focus_group": "focus_groups",
    "topic": "topics",
    "criterion": "criteria",
    "method": "methods",
    "session": "sessions",
}
FINDING_KINDS = ("observation", "practice", "plan", "result", "suggestion", "problem")


@dataclass
class Evidence:
    studies: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in VOCABULARIES + ("hats", "findings", "contradictions")}
    )


def locate(source: Any, documents: dict[str, Document], path: Path, line: int | None) -> dict[str, Any]:
    """Resolve ``{document, paragraph, quote}`` to a passage id and the quote's span in it."""
    if not isinstance(source, dict):
        raise KbError(
            "record has no 'source'", str(path), line, hint='add source: {document: ..., paragraph: N, quote: "..."}'
        )
    line = getattr(source, "line", None) or line
    doc = documents.get(str(source.get("document")))
    if doc is None:
        raise KbError(
            f"source names unknown document {source.get('document')!r}",
            str(path),
            line,
            hint=one_of(documents.keys(), source.get("document")),
        )
    number = source.get("paragraph")
    if not isinstance(number, int) or not 1 <= number <= len(doc.passages):
        raise KbError(
            f"paragraph {number!r} is not in {doc.id} (it has {len(doc.passages)})",
            str(path),
            line,
            hint="give the 1-based paragraph number of the quote",
        )
    passage = doc.passages[number - 1]
    quote = source.get("quote")
    if not quote or quote not in passage.text:
        raise KbError(
            f"quote not found verbatim in {passage.id}: {str(quote)[:80]!r}",
            str(path),
            line,
            hint="copy the quote exactly from the paragraph (quotes, dashes and apostrophes too)",
        )
    start = passage.text.index(quote)
    return {"passage_id": passage.id, "quote": quote, "quote_start": start, "quote_end": start + len(quote)}


def _row(
    record: dict[str, Any], documents: dict[str, Document], path: Path, skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    row = {k: v for k, v in record.items() if k not in ("source",) + skip}
    row.update(locate(record.get("source"), documents, path, getattr(record, "line", None)))
    row["source_file"] = str(path)
    row["source_file_line"] = getattr(record, "line", None)
    return row


def load_evidence(paths: list[Path], documents: dict[str, Document]) -> Evidence:
    """Read evidence files in order, validate every record and reference, return the rows."""
    evidence = Evidence()
    ids: dict[str, set[str]] = {name: set() for name in VOCABULARIES}
    pending_findings: list[tuple[Path, Any]] = []
    for path in sorted(paths):
        data = read_yaml(path)
        if not isinstance(data, dict):
            raise KbError(
                "an evidence file must be a mapping of sections",
                str(path),
                1,
                hint="start with 'study:', 'focus_groups:', 'findings:' ...",
            )
        study = data.get("study")
        if study is not None:
            require(study, ("id", "title"), path, "study")
            evidence.studies.append(_row(study, documents, path))
        for name in VOCABULARIES:
            for record in data.get(name) or []:
                require(record, ("id",), path, name[:-1].replace("_", " "))
                if record["id"] in ids[name]:
                    raise KbError(
                        f"duplicate {name} id {record['id']!r}",
                        str(path),
                        record.line,
                        hint="ids must be unique across evidence files",
                    )
                ids[name].add(record["id"])
                row = _row(record, documents, path, skip=("hats", "questions"))
                if "questions" in record:
                    row["questions"] = list(record["questions"])
                evidence.tables[name].append(row)
                for hat in record.get("hats") or []:
                    require(hat, ("colour", "role"), path, "hat")
                    hat_row = _row(hat, documents, path)
                    hat_row["method"] = record["id"]
                    hat_row["id"] = f"{record['id']}/{hat['colour']}"
                    evidence.tables["hats"].append(hat_row)
        for record in data.get("findings") or []:
            pending_findings.append((path, record))
        for record in data.get("contradictions") or []:
            require(record, ("id", "message", "sources"), path, "contradiction")
            sources = [locate(s, documents, path, record.line) for s in record["sources"]]
            evidence.tables["contradictions"].append(
                {
                    "id": record["id"],
                    "message": record["message"],
                    "sources": sources,
                    "source_file": str(path),
                    "source_file_line": record.line,
                }
            )
    seen: set[str] = set()
    for path, record in pending_findings:
        require(record, ("id", "kind", "summary", "source"), path, "finding")
        if record["id"] in seen:
            raise KbError(f"duplicate finding id {record['id']!r}", str(path), record.line)
        seen.add(record["id"])
        if record["kind"] not in FINDING_KINDS:
            raise KbError(
                f"finding {record['id']!r} has unknown kind {record['kind']!r}",
                str(path),
                record.line,
                hint=f"use one of: {', '.join(FINDING_KINDS)}",
            )
        for key, vocabulary in FINDING_REFS.items():
            value = record.get(key)
            if value is not None and not isinstance(value, str | int):
                raise KbError(
                    f"finding {record['id']!r}: {key} should name one {key.replace('_', ' ')}, not {value!r}",
                    str(path),
                    record.line,
                    hint=f"one finding names one {key.replace('_', ' ')}; write a finding for each",
                )
            if value is not None and value not in ids[vocabulary]:
                raise KbError(
                    f"finding {record['id']!r} names unknown {key.replace('_', ' ')} {value!r}",
                    str(path),
                    record.line,
                    hint=one_of(ids[vocabulary], value),
                )
        row = _row(record, documents, path)
        for key in FINDING_REFS:
            row.setdefault(key, None)
        evidence.tables["findings"].append(row)
    return evidence
