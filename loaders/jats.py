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

from kb.formats.jats import _local, _text_of, reference_item  # noqa: F401
from kb.records import Document, KbError, Passage, Work

SKIP = {"fig", "table-wrap", "disp-formula", "supplementary-material", "fn-group"}


@dataclass
class GoldLink:
    passage_id: str
    start: int  # offsets into the document text
    end: int
    reference: int  # 1-based position in the reference list


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


def load_references(path: Path) -> list[tuple[dict[str, Any], bool]]:
    """Every <ref> of a JATS article as (CSL item with its ref id, et al.), in list order."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        raise KbError(f"not well-formed XML: {e}", str(path), e.position[0]) from None
    out = []
    for i, ref in enumerate((e for e in root.iter() if _local(e.tag) == "ref"), 1):
        csl, et_al = reference_item(ref)
        out.append(({"id": ref.get("id") or f"ref{i}", **csl}, et_al))
    return out


def printed_references(path: Path, style: str = "elife") -> list[tuple[dict[str, Any], bool, str]]:
    """Every reference of the article with the text its journal prints for it: the
    element-citation rendered by citeproc-py in the journal's CSL style (eLife's by default),
    "et al." where the source cut the author list, a/b after the year as printed.
    Returns (CSL item, et al., printed text) in list order."""
    from kb.parser.synth import Renderer, add_year_suffix

    refs = load_references(path)
    items = []
    for csl, et_al in refs:
        item = {k: v for k, v in csl.items() if k not in ("year-suffix", "status", "citation-label")}
        if et_al:
            item["author"] = list(item.get("author", [])) + [{"literal": "et al."}]
        items.append(item)
    texts = Renderer(style).render(items)
    return [(csl, et_al, add_year_suffix(texts[csl["id"]], csl)) for csl, et_al in refs if csl["id"] in texts]


def _numbered_in_list_order(root: ET.Element, position: dict[str | None, int]) -> bool:
    """Whether the article cites by number, each number its reference's place in the list (BMC
    prints no <label>; its callouts "[1]" to "[64]" say so)."""
    numbers = [
        (_text_of(x).strip(), position.get(x.get("rid")))
        for x in root.iter()
        if _local(x.tag) == "xref" and x.get("ref-type") == "bibr"
    ]
    numeric = [(t, p) for t, p in numbers if t.isdigit()]
    return bool(numeric) and all(int(t) == p for t, p in numeric)


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
    numbered = _numbered_in_list_order(root, position)
    for i, ref in enumerate(refs, 1):
        csl, et_al = reference_item(ref)
        label = next((_text_of(e).strip(" .[]") for e in ref if _local(e.tag) == "label"), "")
        if label or numbered:
            csl["citation-label"] = label or str(i)
        works.append(
            Work(
                csl={"id": ref.get("id") or f"ref{i}", **csl},
                key_given=bool(ref.get("id")),
                source=str(path),
                position=i,
                et_al=et_al,
            )
        )
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
            if previous and re.fullmatch(r"\]?\s*[-–—]\s*\[?", text[previous[1] : start]) and ref > previous[2] + 1:
                for between in range(previous[2] + 1, ref):
                    gold.append(GoldLink(pid, offset + previous[1], offset + start, between))
            gold.append(GoldLink(pid, offset + start, offset + end, ref))
            previous = (start, end, ref)
        parts.append(text)
        offset += len(text) + 2
    doc.text = "\n\n".join(parts)
    return doc, works, gold
