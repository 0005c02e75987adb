"""JATS XML: the reference list of an article (``<ref-list>``), each ``<ref>``'s
``<element-citation>`` (or mixed-citation) read into a work. The article itself (its body and
the publisher's citation links) is read by ``loaders/jats.py``. Claims ``.xml`` files whose
root is a JATS ``<article>``; no writer.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from kb.formats import Format
from kb.normalise import bare_initials
from kb.normalise import pages as normalise_pages
from kb.records import KbError, Work


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text_of(elem: ET.Element) -> str:
    return "".join(elem.itertext())


_TYPES = {
    "journal": "article-journal",
    "book": "book",
    "web": "webpage",
    "webpage": "webpage",
    "other": "document",
    "confproc": "paper-conference",
    "conf-proc": "paper-conference",
    "thesis": "thesis",
    "report": "report",
    "data": "dataset",
    "software": "software",
    "patent": "patent",
    "preprint": "article",
}


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
                name["given"] = bare_initials(giv)
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
    for tag, var in (
        ("volume", "volume"),
        ("issue", "issue"),
        ("publisher-name", "publisher"),
        ("publisher-loc", "publisher-place"),
        ("edition", "edition"),
    ):
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


def read_jats(text: str, source: str) -> list[Work]:
    """Every <ref> of a JATS article as a work, in list order; its id is the ref's id."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise KbError(f"not well-formed XML: {e}", source, e.position[0]) from None
    lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<ref\b", text)]
    works = []
    for i, ref in enumerate((e for e in root.iter() if _local(e.tag) == "ref"), 1):
        csl, et_al = reference_item(ref)
        works.append(
            Work(
                csl={"id": ref.get("id") or f"ref{i}", **csl},
                key_given=bool(ref.get("id")),
                et_al=et_al,
                source=source,
                line=lines[i - 1] if i - 1 < len(lines) else None,
            )
        )
    return works


def is_jats(text: str) -> bool:
    """An XML document whose root element is a JATS <article>."""
    return re.search(r"<article[\s>]", text[:4000]) is not None


FORMAT = Format(name="jats", label="JATS XML", extensions=(".xml",), read=read_jats, sniff=is_jats)
