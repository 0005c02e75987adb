"""Read a reference list in any supported format into works (CSL-JSON), in list order.

The format is the registry's (``kb/formats/``), chosen by the file's suffix: ``.bib`` BibTeX,
``.ris`` RIS, ``.json`` CSL-JSON, ``.xml`` EndNote XML or JATS, anything else free text. Nothing is dropped: an entry that cannot be read is still a work, with its raw
text and its problem.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from kb.formats import Format, format_for_suffix
from kb.formats.bibtex import read_bibtex  # noqa: F401
from kb.formats.csljson import read_csl_json  # noqa: F401
from kb.formats.ris import read_ris  # noqa: F401
from kb.records import Document, KbError, Problem, Work


@dataclass
class ReadResult:
    works: list[Work]
    warnings: list[Problem] = field(default_factory=list)  # of the file itself (not-utf8)


def decode(data: bytes, path: str) -> tuple[str, list[Problem]]:
    """Bytes -> text: UTF-8 (a byte-order mark dropped), else Latin-1 with a warning (a
    ``not-utf8`` problem of the file, which kb parse and kb check print and kb build keeps);
    binary is an error."""
    warnings = []
    if b"\x00" in data[:65536] or _control_share(data[:65536]) > 0.1:
        raise KbError(
            "binary data, not a text reference list",
            path,
            hint="give a text file: one reference a line, or BibTeX, RIS or CSL-JSON",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        text = data.decode("latin-1")
        message = (
            f"not UTF-8 (byte {data[e.start]:#x}); read as Latin-1. Save the file as UTF-8 to be sure of accented names"
        )
        warnings.append(Problem("not-utf8", message, source=path, line=line))
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text, warnings


def said(warning: Problem) -> str:
    """A warning as kb parse and kb check print it: ``path:line: what``."""
    return f"{warning.source}:{warning.line}: {warning.message}"


def _control_share(data: bytes) -> float:
    if not data:
        return 0.0
    bad = sum(1 for b in data if b < 32 and b not in (9, 10, 13, 12))
    return bad / len(data)


def read_references(path: Path) -> ReadResult:
    """Read any supported reference file into works, in list order."""
    text, warnings = _read(path)
    return ReadResult(read_reference_text(text, str(path), path.suffix.lower()), warnings)


def read_references_many(paths: list[Path]) -> list[ReadResult | None]:
    """:func:`read_references` of each file, in order: the same works, read faster where a
    format reads many files at once (free text: the parser labels the entries of all the lists
    in one pass). None for a file :func:`read_references` fails on: asked alone, it raises the
    error."""
    read: dict[int, tuple[Format, str, list[Problem]]] = {}
    for i, path in enumerate(paths):
        try:
            text, warnings = _read(path)
        except KbError:
            continue
        text = unicodedata.normalize("NFC", text)
        read[i] = (format_for_suffix(path.suffix.lower(), text), text, warnings)
    by_format: dict[str, list[int]] = {}
    for i, (fmt, _, _) in read.items():
        by_format.setdefault(fmt.name, []).append(i)
    out: list[ReadResult | None] = [None] * len(paths)
    for indices in by_format.values():
        fmt = read[indices[0]][0]
        texts = [(read[i][1], str(paths[i])) for i in indices]
        for i, works in zip(indices, _read_all(fmt, texts), strict=True):
            if works is not None:
                out[i] = ReadResult(_checked(works, fmt), read[i][2])
    return out


def _read_all(fmt: Format, texts: list[tuple[str, str]]) -> list[list[Work] | None]:
    """Each text's works (None where reading it fails): together when the format can."""
    if fmt.read_many is not None and len(texts) > 1:
        try:
            return list(fmt.read_many(texts))
        except Exception:
            pass  # one of them fails: read one by one, to find which
    out: list[list[Work] | None] = []
    for text, source in texts:
        try:
            out.append(fmt.read(text, source))  # type: ignore[misc]
        except Exception:
            out.append(None)
    return out


def _read(path: Path) -> tuple[str, list[Problem]]:
    """A reference file's text and the warnings reading it gave; an error for an unreadable,
    binary or empty file."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KbError(f"cannot read: {e.strerror}", str(path)) from None
    text, warnings = decode(data, str(path))
    if not text.strip():
        raise KbError("no references: the file is empty", str(path), hint="give a file with at least one reference")
    return text, warnings


def read_reference_text(text: str, source: str, suffix: str = ".txt", first_line: int = 1) -> list[Work]:
    """A reference list already read as text -> works, in list order; ``suffix`` names the format
    (the registry's, by suffix: free text when no format claims it); ``first_line`` is the line of the text's
    first line in ``source`` (a document's own reference section starts somewhere inside it)."""
    text = unicodedata.normalize("NFC", text)
    fmt = format_for_suffix(suffix, text)
    return _checked(fmt.read(text, source), fmt, first_line)  # type: ignore[misc]


def read_own_list(doc: Document, source: str) -> list[Work]:
    """A document's own list (the text after its '## References' heading, ``doc.references``),
    as ``kb check`` and ``kb build`` both read it when no list file is named: free text, its
    lines counted in the document ``source``."""
    return read_reference_text(doc.references.text, source, ".txt", doc.references.line)


def _checked(works: list[Work], fmt: Format, first_line: int = 1) -> list[Work]:
    """A list's works numbered in list order; a structured format's entries checked (a parsed
    list's were checked as they were parsed); lines counted from ``first_line``."""
    from kb.normalise import entry_problems

    for i, w in enumerate(works, 1):
        w.position = i
        if fmt.structured:
            have = {p.code for p in w.problems}
            for code, message in (
                entry_problems(w.csl, w.et_al, w.raw or "") if "unparsed-reference" not in have else []
            ):
                if code not in have:
                    w.problems.append(Problem(code, message, w.source, w.line, work_id=w.id))
        if first_line > 1 and w.line is not None:
            w.line += first_line - 1
            for p in w.problems:
                if p.line is not None:
                    p.line += first_line - 1
    return works
