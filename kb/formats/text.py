"""Free text: one reference a line, or entries separated by blank lines, in any citation style,
read by the trained reference parser (``kb/parser``). The format of any file whose suffix no
other format claims. No writer: formatted references are styles (``kb/formats/styles.py``)."""

from __future__ import annotations

from kb.formats import Format
from kb.records import Work


def read_text(text: str, source: str) -> list[Work]:
    from kb.parser import parse_references  # the model loads only when free text is read

    return parse_references(text, source)


def read_texts(lists: list[tuple[str, str]]) -> list[list[Work]]:
    """Many free-text lists, their entries labelled in one pass (see parse_reference_lists)."""
    from kb.parser import parse_reference_lists

    return parse_reference_lists(lists)


FORMAT = Format(
    name="text",
    label="free text",
    extensions=(".txt", ".md"),
    read=read_text,
    read_many=read_texts,
    structured=False,
    default=True,
)
