"""BibTeX files: read from disk, parsed by the BibTeX format (``kb/formats/bibtex.py``)."""

from __future__ import annotations

from pathlib import Path

from kb.formats.bibtex import FailedEntry, entry_to_work, name_to_csl, parse_bibtex  # noqa: F401
from kb.records import Work, severity_of
from loaders.references import decode


def load_bibtex(path: Path) -> tuple[list[Work], list[FailedEntry]]:
    """Read a .bib file into works and failed blocks: UTF-8, or else Latin-1 (as kb check and kb
    parse read it), the ``not-utf8`` problem then kept with the file's first entry."""
    text, warnings = decode(path.read_bytes(), str(path))
    works, failed = parse_bibtex(text, str(path))
    if works and warnings:
        for w in warnings:
            w.severity = severity_of(w.code)  # a problem of the file (no work_id), carried by its first entry
        works[0].problems = [*warnings, *works[0].problems]
    return works, failed
