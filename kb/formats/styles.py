"""Formatted references as formats with a writer only: APA 7 and IEEE, through citeproc-py
(``kb/export.py``), one reference a line, in the order given."""

from __future__ import annotations

from collections.abc import Iterable

from kb.formats import Format
from kb.records import Work


def _styled(style: str):
    def write(works: Iterable[Work]) -> str:
        from kb.export import format_references

        works = list(works)
        texts = format_references(works, style)
        return "".join(texts[w.id] + "\n" for w in works)

    return write


FORMAT = Format(name="apa", label="APA 7", write=_styled("apa"))
MORE_FORMATS = (Format(name="ieee", label="IEEE", write=_styled("ieee")),)
