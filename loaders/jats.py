"""JATS XML articles: body paragraphs as a document, the reference list as works, and the
publisher's own links from each in-text citation (<xref ref-type="bibr">) to its reference.

Used to measure citation linking on real articles: the publisher's links are the gold standard.
Where the text gives a range between two linked numbers ("[1]-[9]", "[<xref>1</xref>-<xref>9</xref>]"),
the numbers in between are gold links too: the text links them, though the markup names only the ends.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb.model import Document, KbError, Passage, Work

SKIP = {"fig", "table-wrap", "disp-formula", "supplementary-material", "fn-group"}


@dataclass
class GoldLink:
    passage_id: str
    start: int  # offsets into the document text
    end: int
    reference: int  # 1-based position in the reference list


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text_of(elem: ET.Element) -> str:
    return "".join(elem.itertext())


def _flatten(p: ET.Element, out: list[str], links: list[tuple[int, int, str]], pos: list[int]) -> None:
    """Text of a paragraph; xref spans recorded as (start, end, rid)."""
    if p.text:
        out.append(p.text)
        pos[0] += len(p.text)
    for child in p:
        tag = _local(child.tag)
        if tag in SKIP:
            pass
        elif tag == "xref" and child.get("ref-type") == "bibr":
            start = pos[0]
            text = _text_of(child)
            out.append(text)
            pos[0] += len(text)
            for rid in (child.get("rid") or "").split():
                links.append((start, pos[0], rid))
        else:
            _flatten(child, out, links, pos)
        if child.tail:
            out.append(child.tail)
            pos[0] += len(child.tail)


def _reference(ref: ET.Element) -> dict[str, Any]:
    cit = None
    for tag in ("element-citation", "mixed-citation", "citation", "nlm-citation"):
        cit = next((e for e in ref.iter() if _local(e.tag) == tag), None)
        if cit is not None:
            break
    csl: dict[str, Any] = {"type": "article-journal"}
    if cit is None:
        return csl
    authors = []
    groups = [g for g in cit.iter() if _local(g.tag) == "person-group"]
    scope = next((g for g in groups if g.get("person-group-type") in (None, "author")), cit) if groups else cit
    for e in scope.iter():
        tag = _local(e.tag)
        if tag == "name":
            fam = next((_text_of(x) for x in e if _local(x.tag) == "surname"), "")
            giv = next((_text_of(x) for x in e if _local(x.tag) == "given-names"), "")
            authors.append({"family": fam.strip(), "given": giv.strip()} if giv else {"family": fam.strip()})
        elif tag == "collab":
            authors.append({"literal": _text_of(e).strip()})
    if authors:
        csl["author"] = authors
    if any(_local(e.tag) == "etal" for e in cit.iter()):
        csl["_et_al"] = True
    for e in cit.iter():
        tag = _local(e.tag)
        if tag == "year" and "issued" not in csl:
            m = re.search(r"\d{4}", _text_of(e))
            if m:
                csl["issued"] = {"date-parts": [[int(m.group(0))]]}
                suffix = re.search(r"\d{4}([a-z])", _text_of(e))
                if suffix:
                    csl["year-suffix"] = suffix.group(1)
        elif tag == "article-title" and "title" not in csl:
            csl["title"] = " ".join(_text_of(e).split())
        elif tag == "source" and "container-title" not in csl:
            csl["container-title"] = " ".join(_text_of(e).split())
    return csl


def load_jats(path: Path) -> tuple[Document, list[Work], list[GoldLink]]:
    """A JATS article -> (document of body paragraphs, reference list, gold citation links)."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise KbError(f"not well-formed XML: {e}", str(path), e.position[0]) from None
    body = next((e for e in root.iter() if _local(e.tag) == "body"), None)
    refs = [e for e in root.iter() if _local(e.tag) == "ref"]
    if body is None or not refs:
        raise KbError("no <body> or no <ref-list>", str(path), hint="give a full-text JATS article")
    position = {ref.get("id"): i for i, ref in enumerate(refs, 1)}
    works = []
    for i, ref in enumerate(refs, 1):
        csl = _reference(ref)
        et_al = bool(csl.pop("_et_al", False))
        works.append(Work(csl={"id": ref.get("id") or f"ref{i}", **csl}, source=str(path), position=i, et_al=et_al))
    doc = Document(id=path.stem, title=path.stem, kind="article", path=str(path), text="", meta={})
    parts: list[str] = []
    gold: list[GoldLink] = []
    offset = 0
    paragraphs = [p for p in body.iter() if _local(p.tag) == "p"]
    inside_skip = {id(p) for s in body.iter() if _local(s.tag) in SKIP for p in s.iter() if _local(p.tag) == "p"}
    nested = {id(c) for p in paragraphs for c in p.iter() if c is not p and _local(c.tag) == "p"}
    number = 0
    for p in paragraphs:
        if id(p) in inside_skip or id(p) in nested:
            continue
        out: list[str] = []
        links: list[tuple[int, int, str]] = []
        _flatten(p, out, links, [0])
        text = "".join(out).replace("\n", " ")
        if not text.strip():
            continue
        number += 1
        pid = f"{doc.id}/p{number}"
        doc.passages.append(Passage(pid, doc.id, number, text, offset, offset + len(text), number))
        previous: tuple[int, int, int] | None = None
        for start, end, rid in links:
            if rid not in position:
                continue
            ref = position[rid]
            if previous and re.fullmatch(r"\]?\s*[-–—]\s*\[?", text[previous[1]:start]) and ref > previous[2] + 1:
                for between in range(previous[2] + 1, ref):
                    gold.append(GoldLink(pid, offset + previous[1], offset + start, between))
            gold.append(GoldLink(pid, offset + start, offset + end, ref))
            previous = (start, end, ref)
        parts.append(text)
        offset += len(text) + 2
    doc.text = "\n\n".join(parts)
    return doc, works, gold
