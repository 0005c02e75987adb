"""Formatted references as formats with a writer only: APA 7 and IEEE, through citeproc-py
(``kb/export.py``), one reference a line, in the order the style lists them: APA by authors,
year and title (Pestoff 2012a before 2012b), IEEE in the order given (the order of citing)."""

from __future__ import annotations

from collections.abc import Iterable

from kb.formats import Format
from kb.normalise import family, fold_german
from kb.records import Work


def apa_order(work: Work) -> tuple:
    """APA 7's reference-list order: the authors' family names (then given names), the year
    (works without one after), the title."""
    key = lambda text: fold_german(text).lower()  # noqa: E731
    names = [(key(family(a)), key(a.get("given", ""))) for a in work.authors]
    return (names, work.year or 9999, key(work.csl.get("title", "")), work.id)


def _styled(style: str):
    def write(works: Iterable[Work]) -> str:
        from kb.export import format_references

        works = list(works)
        if style == "apa":
            works.sort(key=apa_order)
        texts = format_references(works, style)
        return "".join(texts[w.id] + "\n" for w in works)

    return write


FORMAT = Format(name="apa", label="APA 7", write=_styled("apa"))
MORE_FORMATS = (Format(name="ieee", label="IEEE", write=_styled("ieee")),)
