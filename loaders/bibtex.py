"""BibTeX files: read from disk, parsed by the BibTeX format (``kb/formats/bibtex.py``)."""

from __future__ import annotations

from pathlib import Path

from kb.formats.bibtex import FailedEntry, entry_to_work, name_to_csl, parse_bibtex  # noqa: F401
from kb.records import Work
from loaders.markdown import read_text


def load_bibtex(path: Path) -> tuple[list[Work], list[FailedEntry]]:
    """Read a .bib file (UTF-8) into works and failed blocks."""
    return parse_bibtex(read_text(path), str(path))
