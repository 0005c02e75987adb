"""EndNote XML (File > Export > XML in EndNote): ``<xml><records><record>...``, read into works.

Each ``<record>`` has a ``<ref-type name="Journal Article">``, ``<contributors>`` with
``<authors>`` and ``<secondary-authors>`` (editors), ``<titles>`` (``<title>``,
``<secondary-title>`` the journal or book), ``<dates><year>``, ``<pages>``, ``<volume>``,
``<number>`` (issue), ``<publisher>``, ``<pub-location>``, ``<electronic-resource-num>`` (DOI)
and ``<urls>``; text may sit inside ``<style>`` elements. No writer: EndNote reads RIS.

>>> works = read_endnote('''<xml><records><record><ref-type name="Book">6</ref-type>
... <contributors><authors><author>Alford, John</author></authors></contributors>
... <titles><title>Engaging public sector clients</title></titles>
... <dates><year>2009</year></dates><publisher>Palgrave Macmillan</publisher>
... </record></records></xml>''', "x.xml")
>>> works[0].id, works[0].csl["type"], works[0].csl["author"], works[0].line
('alford2009engaging', 'book', [{'family': 'Alford', 'given': 'John'}], 1)
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from kb.formats import Format, assign_keys
from kb.records import KbError, Problem, Work

ENDNOTE_TO_CSL_TYPE = {
    "Journal Article": "article-journal",
    "Magazine Article": "article-magazine",
    "Newspaper Article": "article-newspaper",
    "Book": "book",
    "Edited Book": "book",
    "Book Section": "chapter",
    "Conference Paper": "paper-conference",
    "Conference Proceedings": "paper-conference",
    "Report": "report",
    "Government Document": "report",
    "Thesis": "thesis",
    "Web Page": "webpage",
    "Generic": "document",
}
# EndNote element (path under <record>) -> CSL-JSON variable
ENDNOTE_TO_CSL_FIELD = {
    "titles/title": "title",
    "titles/secondary-title": "container-title",
    "volume": "volume",
    "number": "issue",
    "pages": "page",
    "publisher": "publisher",
    "pub-location": "publisher-place",
    "edition": "edition",
    "electronic-resource-num": "DOI",
    "isbn": "ISBN",
    "urls/related-urls/url": "URL",
}


def _text(elem: ET.Element | None) -> str:
    return " ".join("".join(elem.itertext()).split()) if elem is not None else ""


def _name(text: str) -> dict[str, str]:
    family, _, given = text.partition(",")
    if not given.strip():
        return {"literal": text.strip()}
    return {"family": family.strip(), "given": given.strip()}


def read_endnote(text: str, source: str) -> list[Work]:
    """EndNote XML -> works, in record order; a record with neither title nor author is kept
    as a work with an ``unparsed-reference`` problem."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise KbError(
            f"EndNote XML is not well-formed: {e}",
            source,
            e.position[0],
            hint="export again from EndNote (File > Export, XML), or fix the tag named",
        ) from None
    # the line each <record> starts on, for messages and the reference_entries table
    lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<record\b", text)]
    works = []
    for n, record in enumerate(root.iter("record")):
        ref_type = record.find("ref-type")
        csl: dict = {
            "type": ENDNOTE_TO_CSL_TYPE.get(ref_type.get("name", "") if ref_type is not None else "", "document")
        }
        for role, path in (
            ("author", "contributors/authors/author"),
            ("editor", "contributors/secondary-authors/author"),
        ):
            names = [_name(_text(a)) for a in record.findall(path) if _text(a)]
            if names:
                csl[role] = names
        for path, var in ENDNOTE_TO_CSL_FIELD.items():
            value = _text(record.find(path))
            if value:
                csl[var] = value
        year = re.search(r"\d{4}", _text(record.find("dates/year")))
        if year:
            csl["issued"] = {"date-parts": [[int(year.group(0))]]}
        line = lines[n] if n < len(lines) else None
        work = Work(csl=csl, source=source, line=line)
        if not csl.get("title") and not csl.get("author"):
            work.raw = _text(record)
            work.problems.append(
                Problem("unparsed-reference", "EndNote record with neither a title nor an author", source, line)
            )
        works.append(work)
    assign_keys(works, [None] * len(works))
    return works


FORMAT = Format(name="endnote", label="EndNote XML", extensions=(".xml",), read=read_endnote)
