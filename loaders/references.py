"""Read a reference list in any supported format into works (CSL-JSON), in list order.

Formats by extension: ``.bib`` (BibTeX, bibtexparser 2), ``.ris`` (rispy), ``.json`` (CSL-JSON),
anything else as free text, one reference a line or entries separated by blank lines (the
trained parser). Nothing is dropped: an entry that cannot be read is still a work, with its raw
text and its problem.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.model import KbError, Problem, Work
from kb.normalise import citation_key, family, unique_keys

RIS_TO_CSL_TYPE = {
    "JOUR": "article-journal", "JFULL": "article-journal", "MGZN": "article-magazine", "NEWS": "article-newspaper",
    "BOOK": "book", "EBOOK": "book", "EDBOOK": "book", "CHAP": "chapter", "ECHAP": "chapter",
    "CONF": "paper-conference", "CPAPER": "paper-conference", "RPRT": "report", "THES": "thesis",
    "ELEC": "webpage", "WEB": "webpage", "GEN": "document", "UNPB": "manuscript",
}


@dataclass
class ReadResult:
    works: list[Work]
    warnings: list[str] = field(default_factory=list)


def decode(data: bytes, path: str) -> tuple[str, list[str]]:
    """Bytes -> text: UTF-8 (a byte-order mark dropped), else Latin-1 with a warning; binary is an error."""
    warnings = []
    if b"\x00" in data[:65536] or _control_share(data[:65536]) > 0.1:
        raise KbError("binary data, not a text reference list", path,
                      hint="give a text file: one reference a line, or BibTeX, RIS or CSL-JSON")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        text = data.decode("latin-1")
        warnings.append(f"{path}:{line}: not UTF-8 (byte {data[e.start]:#x}); read as Latin-1. "
                        "Save the file as UTF-8 to be sure of accented names")
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text, warnings


def _control_share(data: bytes) -> float:
    if not data:
        return 0.0
    bad = sum(1 for b in data if b < 32 and b not in (9, 10, 13, 12))
    return bad / len(data)


def read_references(path: Path) -> ReadResult:
    """Read any supported reference file into works, in list order."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KbError(f"cannot read: {e.strerror}", str(path)) from None
    text, warnings = decode(data, str(path))
    if not text.strip():
        raise KbError("no references: the file is empty", str(path), hint="give a file with at least one reference")
    return ReadResult(read_reference_text(text, str(path), path.suffix.lower()), warnings)


def read_reference_text(text: str, source: str, suffix: str = ".txt", first_line: int = 1) -> list[Work]:
    """A reference list already read as text -> works, in list order; ``suffix`` names the format
    (anything but .bib, .ris and .json is free text); ``first_line`` is the line of the text's
    first line in ``source`` (a document's own reference section starts somewhere inside it)."""
    text = unicodedata.normalize("NFC", text)
    if suffix == ".bib":
        works = read_bibtex(text, source)
    elif suffix == ".ris":
        works = read_ris(text, source)
    elif suffix in (".json", ".csljson"):
        works = read_csl_json(text, source)
    else:
        from kb.parser import parse_references

        works = parse_references(text, source)
    from kb.normalise import entry_problems

    for i, w in enumerate(works, 1):
        w.position = i
        if suffix in (".bib", ".ris", ".json", ".csljson"):
            have = {p.code for p in w.problems}
            for code, message in entry_problems(w.csl, w.et_al) if "unparsed-reference" not in have else []:
                if code not in have:
                    w.problems.append(Problem(code, message, w.source, w.line, work_id=w.id))
        if first_line > 1 and w.line is not None:
            w.line += first_line - 1
            for p in w.problems:
                if p.line is not None:
                    p.line += first_line - 1
    return works


def read_bibtex(text: str, source: str) -> list[Work]:
    """BibTeX -> works; a block that fails to parse is kept as a work with its raw text and error."""
    from loaders.bibtex import parse_bibtex  # bibtexparser only for BibTeX

    works, failed = parse_bibtex(text, source)
    for f in failed:
        works.append(Work(csl={"id": f"unparsed-line-{f.line}", "type": "document"}, raw=f.raw, source=source,
                          line=f.line, problems=[Problem("unparsed-reference", f"BibTeX entry does not parse: {f.error}",
                                                         source, f.line, work_id=f"unparsed-line-{f.line}")]))
    works.sort(key=lambda w: w.line or 0)
    return works


def _ris_name(name: str) -> dict[str, str]:
    if "," in name:
        family, given = (p.strip() for p in name.split(",", 1))
        return {"family": family, "given": given} if given else {"family": family}
    return {"literal": name.strip()}


def read_ris(text: str, source: str) -> list[Work]:
    """RIS -> works (rispy)."""
    import rispy

    try:
        entries = rispy.loads(text)
    except Exception as e:  # rispy raises plain IOError/ValueError on malformed input
        raise KbError(f"RIS does not parse: {e}", source, hint="each record starts with 'TY  - ' and ends with 'ER  - '") from None
    starts = [i + 1 for i, ln in enumerate(text.splitlines()) if ln.startswith("TY  -")]
    works = []
    for n, e in enumerate(entries):
        csl: dict[str, Any] = {"type": RIS_TO_CSL_TYPE.get(e.get("type_of_reference", "GEN"), "document")}
        names = e.get("authors") or e.get("first_authors") or []
        if names:
            csl["author"] = [_ris_name(a) for a in names]
        if e.get("secondary_authors") and csl["type"] in ("chapter", "paper-conference"):
            csl["editor"] = [_ris_name(a) for a in e["secondary_authors"]]
        title = e.get("title") or e.get("primary_title")
        if title:
            csl["title"] = title
        container = e.get("journal_name") or e.get("secondary_title") or e.get("alternate_title3")
        if container:
            csl["container-title"] = container
        for key, var in (("volume", "volume"), ("number", "issue"), ("publisher", "publisher"),
                         ("place_published", "publisher-place"), ("doi", "DOI"), ("edition", "edition"),
                         ("issn", "ISBN" if csl["type"] in ("book", "chapter") else "ISSN")):
            if e.get(key):
                csl[var] = str(e[key])
        if e.get("urls"):
            csl["URL"] = e["urls"][0]
        if e.get("start_page"):
            csl["page"] = f"{e['start_page']}-{e['end_page']}" if e.get("end_page") else str(e["start_page"])
        year = re.search(r"\d{4}", str(e.get("year") or e.get("publication_year") or e.get("date") or ""))
        if year:
            csl["issued"] = {"date-parts": [[int(year.group(0))]]}
        line = starts[n] if n < len(starts) else None
        works.append(Work(csl=csl, source=source, line=line))
    _assign_keys(works, [e.get("id") for e in entries])
    return works


def read_csl_json(text: str, source: str) -> list[Work]:
    """CSL-JSON (a list of items, or one item) -> works."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise KbError(f"invalid JSON: {e.msg}", source, e.lineno, hint="give a CSL-JSON array of items") from None
    items = data if isinstance(data, list) else [data]
    lines = _item_lines(text) if isinstance(data, list) else [1]
    works = []
    for i, item in enumerate(items, 1):
        line = lines[i - 1] if i - 1 < len(lines) else None
        if not isinstance(item, dict):
            raise KbError(f"item {i} is not an object", source, line, hint="each CSL-JSON item is a JSON object")
        csl = {k: v for k, v in item.items() if k not in ("raw", "problems")}
        csl.setdefault("type", "document")
        works.append(Work(csl=csl, raw=str(item.get("raw") or ""), source=source, line=line))
    _assign_keys(works, [w.csl.get("id") for w in works])
    return works


def _item_lines(text: str) -> list[int]:
    """The line each item of a JSON array starts on (where its "{" or value is), in order.

    >>> _item_lines('[\\n  {"id": "a"},\\n  {"id": "b",\\n   "title": "x"}\\n]')
    [2, 3]
    """
    lines: list[int] = []
    depth = 0
    line = 1
    in_string = escaped = False
    expect_item = False
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if depth == 1 and expect_item and not ch.isspace() and ch != "]":
            lines.append(line)
            expect_item = False
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth == 1:
                expect_item = True
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 1:
            expect_item = True
    return lines


def _assign_keys(works: list[Work], given: list[Any]) -> None:
    keys = []
    for w, key in zip(works, given, strict=True):
        if key:
            keys.append(str(key))
            continue
        a = (w.csl.get("author") or w.csl.get("editor") or [{}])[0]
        keys.append(citation_key(family(a), w.year, w.csl.get("title", "")))
    for w, key in zip(works, unique_keys(keys), strict=True):
        w.csl = {"id": key, **{k: v for k, v in w.csl.items() if k != "id"}}
        for p in w.problems:
            p.work_id = key
