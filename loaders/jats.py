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
from kb.normalise import pages as normalise_pages

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


_TYPES = {"journal": "article-journal", "book": "book", "web": "webpage", "webpage": "webpage", "other": "document",
          "confproc": "paper-conference", "conf-proc": "paper-conference", "thesis": "thesis", "report": "report",
          "data": "dataset", "software": "software", "patent": "patent", "preprint": "article"}


def _initials(given: str) -> str:
    """JATS prints initials bare ("PR"); CSL wants them as "P. R.". Full given names stay."""
    if re.fullmatch(r"[A-Z]{1,4}", given):
        return " ".join(c + "." for c in given)
    if re.fullmatch(r"(?:[A-Z]\.?\s*)+", given):
        return " ".join(c + "." for c in re.findall(r"[A-Z]", given))
    return given


def _names(group: ET.Element) -> list[dict[str, str]]:
    out = []
    for e in group:
        tag = _local(e.tag)
        if tag in ("name", "string-name"):
            fam = next((_text_of(x) for x in e if _local(x.tag) == "surname"), "").strip()
            giv = next((_text_of(x) for x in e if _local(x.tag) == "given-names"), "").strip()
            suffix = next((_text_of(x) for x in e if _local(x.tag) == "suffix"), "").strip()
            name = {"family": " ".join(fam.split())}
            if giv:
                name["given"] = _initials(giv)
            if suffix:
                name["suffix"] = suffix
            out.append(name)
        elif tag == "collab":
            out.append({"literal": " ".join(_text_of(e).split())})
    return out


def reference_item(ref: ET.Element) -> tuple[dict[str, Any], bool]:
    """A JATS <ref> -> (CSL-JSON item without id, whether its author list ends in <etal/>):
    every field its <element-citation> (or mixed-citation) gives."""
    cit = None
    for tag in ("element-citation", "mixed-citation", "citation", "nlm-citation"):
        cit = next((e for e in ref.iter() if _local(e.tag) == tag), None)
        if cit is not None:
            break
    csl: dict[str, Any] = {"type": "article-journal"}
    if cit is None:
        return csl, False
    kind = cit.get("publication-type") or cit.get("citation-type") or "journal"
    csl["type"] = _TYPES.get(kind, "document")
    groups = [g for g in cit.iter() if _local(g.tag) == "person-group"]
    authors = next((g for g in groups if g.get("person-group-type") in (None, "author")), None)
    names = _names(authors) if authors is not None else _names(cit)
    et_al_named = [n for n in names if re.fullmatch(r"et\.?\s*al\.?", n.get("family") or n.get("literal") or "")]
    names = [n for n in names if n not in et_al_named]  # "et al" typed in as an author's name
    if names:
        csl["author"] = names
    editors = next((g for g in groups if g.get("person-group-type") == "editor"), None)
    if editors is not None and _names(editors):
        csl["editor"] = _names(editors)
    et_al = bool(et_al_named) or (authors is not None and any(_local(e.tag) == "etal" for e in authors))
    first: dict[str, str] = {}
    for e in cit.iter():
        tag = _local(e.tag)
        if tag not in first:
            first[tag] = " ".join(_text_of(e).split())
    if first.get("year"):
        m = re.search(r"(\d{4})([a-z])?", first["year"])
        if m:
            csl["issued"] = {"date-parts": [[int(m.group(1))]]}
            if m.group(2):
                csl["year-suffix"] = m.group(2)
    title = first.get("article-title") or first.get("chapter-title")
    source = first.get("source")
    if title:
        csl["title"] = title
        if source:
            csl["container-title"] = source
        if kind == "book":
            csl["type"] = "chapter"
    elif source:
        csl["title"] = source
    for tag, var in (("volume", "volume"), ("issue", "issue"), ("publisher-name", "publisher"),
                     ("publisher-loc", "publisher-place"), ("edition", "edition")):
        if first.get(tag):
            csl[var] = first[tag]
    fpage, lpage = first.get("fpage"), first.get("lpage")
    if fpage:
        csl["page"] = normalise_pages(f"{fpage}-{lpage}" if lpage else fpage)
    elif first.get("elocation-id"):
        csl["page"] = first["elocation-id"]
    for e in cit.iter():
        if _local(e.tag) == "pub-id" and e.get("pub-id-type") == "doi":
            csl["DOI"] = _text_of(e).strip()
        elif _local(e.tag) == "ext-link" and "URL" not in csl:
            href = e.get("{http://www.w3.org/1999/xlink}href") or _text_of(e)
            if href.strip():
                csl["URL"] = href.strip()
    m = re.match(r"https?://(?:dx\.)?doi\.org/(10\.\S+)", csl.get("URL", ""))
    if m:  # a DOI written as a link is the DOI
        csl.setdefault("DOI", m.group(1))
        del csl["URL"]
    if re.search(r"in press", first.get("comment", ""), re.I):
        csl["status"] = "in press"
    return csl, et_al


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
    numbers = [(_text_of(x).strip(), position.get(x.get("rid"))) for x in root.iter()
               if _local(x.tag) == "xref" and x.get("ref-type") == "bibr"]
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
