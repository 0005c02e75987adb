"""Free text: one reference a line, or entries separated by blank lines, in any citation style,
read by the trained reference parser (``kb/parser``). The format of any file whose suffix no
other format claims. No writer: formatted references are styles (``kb/formats/styles.py``)."""

from __future__ import annotations

import re

from kb.formats import Format
from kb.records import Work

_BULLET = re.compile(r"^[ \t]*[-*+][ \t]+", re.M)
_EMPHASIS = re.compile(r"(?<!\w)(\*{1,2}|_{1,2})(?=\S)(.+?)(?<=\S)\1(?!\w)")


def plain(text: str) -> str:
    """A list as the plain text a reference parser reads, line for line: Markdown's list bullets
    and emphasis marks go ("- Ostrom, E. (1996). *World Development*"), in a ``.md`` list, a
    document's own list, or a ``.txt`` list pasted from Markdown alike.

    >>> plain("- Ostrom, E. (1996). *World Development*, 24.\\n* __Title__ **75**, 3-35 (2005).")
    'Ostrom, E. (1996). World Development, 24.\\nTitle 75, 3-35 (2005).'
    """
    if "*" not in text and "_" not in text and "-" not in text and "+" not in text:
        return text
    return _EMPHASIS.sub(r"\2", _BULLET.sub("", text))


def read_text(text: str, source: str) -> list[Work]:
    from kb.parser import parse_references  # the model loads only when free text is read

    return parse_references(text, source, prepare=plain)


def read_texts(lists: list[tuple[str, str]]) -> list[list[Work]]:
    """Many free-text lists, their entries labelled in one pass (see parse_reference_lists)."""
    from kb.parser import parse_reference_lists

    return parse_reference_lists(lists, prepare=plain)


FORMAT = Format(
    name="text",
    label="free text",
    extensions=(".txt", ".md"),
    read=read_text,
    read_many=read_texts,
    structured=False,
    default=True,
)
