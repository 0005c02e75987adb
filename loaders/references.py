"""Read a reference list in any supported format into works, in list order."""

from __future__ import annotations

from pathlib import Path

from kb.model import KbError, Work
from loaders.bibtex import load_bibtex


def load_references(path: Path) -> list[Work]:
    """A .bib file -> works. A block that does not parse is an error naming its line."""
    suffix = path.suffix.lower()
    if suffix == ".bib":
        works, failed = load_bibtex(path)
        if failed:
            f = failed[0]
            raise KbError(f"BibTeX entry does not parse: {f.error}", str(path), f.line,
                          hint="fix the entry (a missing brace or comma is the usual cause)")
        return works
    raise KbError(f"unsupported reference format {suffix or '(none)'!r}", str(path), hint="give a .bib file")
