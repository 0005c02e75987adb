"""Formatted references as formats with a writer only: APA 7 and IEEE, through citeproc-py
(``kb/export.py``), one reference a line, in the order the style lists them: APA by authors,
year and title (Pestoff 2012a before 2012b), IEEE in the order given (the order of citing)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from kb.formats import Format
from kb.normalise import apa_title, family, fold_german
from kb.records import Work


def apa_order(work: Work) -> tuple:
    """APA 7's reference-list order: the authors' family names (then given names; the title for
    a work without author), the year (works without one after), the title."""
    key = lambda text: fold_german(text).lower()  # noqa: E731
    title = apa_title(work.csl.get("title", ""))
    # a work without author or editor goes by its title, which APA prints in the author's place
    names = [(key(family(a)), key(a.get("given", ""))) for a in work.authors] or [(title, "")]
    letter = str(work.csl.get("year-suffix") or "")  # a letter the list printed orders its works
    return (names, work.year or 9999, letter, title, work.id)


MARKUPS = ("text", "html", "markdown")


def write_styled(
    works: Iterable[Work], style: str, markup: str = "text", suffixes: dict[str, str] | None = None
) -> str:
    """Formatted references in list order: plain text, one a line; HTML, one ``<div
    class="csl-entry">`` a line, italics as citeproc-py's ``<i>``; or Markdown, one paragraph
    each, italics as ``*...*`` and Markdown's special characters escaped. ``suffixes``: the
    year letters by work id (by default those the works need among themselves)."""
    from kb.formatcache import format_cached

    works = list(works)
    if style == "apa":
        works.sort(key=apa_order)
    # citeproc-py's texts of the whole list, the plainest works made without it (kb.formatcache,
    # as kb build makes them): citeproc-py formatting 100,000 works as one list took 9 minutes
    texts = format_cached(works, (style,), html=markup != "text", suffixes=suffixes)[style]
    if markup == "html":
        return "".join(f'<div class="csl-entry">{texts[w.id]}</div>\n' for w in works)
    if markup == "markdown":
        return "\n".join(html_to_markdown(texts[w.id]) + "\n" for w in works)
    return "".join(texts[w.id] + "\n" for w in works)


_TAG = re.compile(r"<(/?)(\w+)[^>]*>")
_EMPHASIS = {"i": "*", "b": "**"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#!|~^$])")


def markdown_escape(text: str) -> str:
    r"""Text that Markdown (CommonMark, pandoc) shows as it is.

    >>> markdown_escape("R&D_2 *new* [draft] <b>")
    'R&D\\_2 \\*new\\* \\[draft\\] \\<b\\>'
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def html_to_markdown(html_text: str) -> str:
    r"""citeproc-py's HTML for one reference -> Markdown: ``<i>`` and ``<b>`` as ``*`` and ``**``
    (spaces kept outside them), other tags (``<sup>``, small capitals) kept as inline HTML, the
    text unescaped and then escaped for Markdown; a reference that would start a list does not.

    >>> html_to_markdown("Osborne, S. (2006). <i>Public Management Review </i>, <i>8</i>, 1&amp;2 *.")
    'Osborne, S. (2006). *Public Management Review* , *8*, 1&2 \\*.'
    """
    html_text = re.sub(r"<(i|b)>\s*</\1>", "", html_text)
    html_text = re.sub(r"<(i|b)>(\s+)", r"\2<\1>", html_text)
    html_text = re.sub(r"(\s+)</(i|b)>", r"</\2>\1", html_text)
    out: list[str] = []
    pos = 0
    for m in _TAG.finditer(html_text):
        out.append(markdown_escape(html.unescape(html_text[pos : m.start()])))
        out.append(_EMPHASIS.get(m.group(2).lower(), m.group(0)))
        pos = m.end()
    out.append(markdown_escape(html.unescape(html_text[pos:])))
    return re.sub(
        r"^(\d+)\.(?=\s)|^([-+])(?=\s)", lambda m: f"{m.group(1)}\\." if m.group(1) else "\\" + m[2], "".join(out)
    )


def _styled(style: str):
    def write(works: Iterable[Work]) -> str:
        return write_styled(works, style)

    return write


FORMAT = Format(name="apa", label="APA 7", write=_styled("apa"))
MORE_FORMATS = (Format(name="ieee", label="IEEE", write=_styled("ieee")),)
