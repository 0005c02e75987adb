"""APA 7 and IEEE text (or HTML) for the plainest, most common works without citeproc-py: the
same text citeproc-py gives with the official styles, in some 20 microseconds instead of 5-20
milliseconds.

Only works of a shape checked against citeproc-py are formatted here (``tests/test_quickformat.py``
compares the two on generated works of every shape let through): a journal article, a book or
a chapter whose fields are among the few below, whose names are a family name with initials or
plain given names (or one literal name), whose values hold no quotes, brackets or markup, in
English. :func:`quick_format` answers None for anything else, and the caller asks citeproc-py
(``kb.formatcache``). The text goes through the same tidying as citeproc-py's
(:func:`kb.export.tidy`); year letters (2012a) are added by the caller as for citeproc-py's.

>>> quick_format({"id": "b", "type": "book", "title": "Engaging clients", "publisher": "Routledge",
...               "author": [{"family": "Alford", "given": "John"}], "issued": {"date-parts": [[2009]]}}, "apa")
'Alford, J. (2009). Engaging clients. Routledge.'
>>> quick_format({"id": "b", "type": "book", "title": "Engaging clients", "edition": "2"}, "apa") is None
True
"""

from __future__ import annotations

import re
from typing import Any

from kb.export import UNSHIELD, shield, tidy
from kb.records import Work

# the fields each type may have to be formatted here (id and type aside); the required ones first
FIELDS = {
    "article-journal": (
        ("author", "title", "container-title"),
        ("issued", "volume", "issue", "page", "DOI", "URL"),
    ),
    "book": (("author", "title"), ("issued", "publisher", "publisher-place", "DOI", "URL")),
    "chapter": (("author", "title", "container-title"), ("issued", "publisher", "page")),
}
MAX_AUTHORS = 20  # APA 7 lists up to 20 names; past that it elides, which is citeproc-py's to do
# text values: letters, digits, spaces and plain punctuation; no quotes, brackets or markup (which
# CSL processors treat as formatting), nothing a style's punctuation rules could collapse at the end
_TEXT = re.compile(r"[^\W_](?:[^\W_]|[ ,:;&%+/?!.-])*(?<![ ,:;&%+/.-])", re.UNICODE)
_NUMBER = re.compile(r"[0-9]{1,6}")
_ISSUE = re.compile(r"[0-9]{1,6}(?:-[0-9]{1,6})?")
_PAGE = re.compile(r"[0-9]{1,6}(?:-[0-9]{1,6})?")
_DOI = re.compile(r"10\.[0-9]{1,9}/[A-Za-z0-9._;:/()-]+")
_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&*+,;=%-]+")
_FAMILY = re.compile(r"[^\W\d_][^\W\d_]*(?:-[^\W\d_]+)?", re.UNICODE)
_LITERAL = re.compile(r"[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+")
_GIVEN_WORD = re.compile(r"[^\W\d_]{2,}")
# citeproc-py's title case (``citeproc.model.TextCased``), for APA's journal names
_STOP_WORDS = frozenset(
    "a an and as at but by down for from in into nor of on onto or over so the till to up via with yet".split()
)


def quick_format(item: dict[str, Any], style: str, html: bool = False) -> str | None:
    """``item`` (CSL-JSON) formatted in ``style`` ("apa" or "ieee") as citeproc-py formats it,
    tidied as :func:`kb.export.format_references` tidies it, without year letters; None when the
    item is not of a shape formatted here. ``html``: citeproc-py's HTML, as
    ``format_references(..., html=True)`` gives it (italics as ``<i>``, ``&``, ``<`` and ``>``
    escaped)."""
    if style not in ("apa", "ieee"):
        return None
    kind = item.get("type")
    if kind not in FIELDS:
        return None
    required, optional = FIELDS[kind]
    allowed = {"id", "type", *required, *optional}
    if any(k not in allowed for k in item) or any(not item.get(k) for k in required):
        return None
    names = _names(item["author"], style)
    if names is None or not all(
        _text(item.get(k)) for k in ("title", "container-title", "publisher", "publisher-place")
    ):
        return None
    year = _year(item.get("issued"))
    if year is False or (year is None and item.get("URL")):
        return None  # APA writes "Retrieved" before the URL of an undated work
    for key, pattern in (("volume", _NUMBER), ("issue", _ISSUE), ("page", _PAGE), ("DOI", _DOI), ("URL", _URL)):
        value = item.get(key)
        if value is not None and not (isinstance(value, str) and pattern.fullmatch(value)):
            return None
    work = Work(csl=item)
    if html:  # a field's special characters kept from the markup as format_references keeps them
        item = shield(item)
    raw = (_apa if style == "apa" else _ieee)(kind, item, names, year, html)
    text = tidy(raw, style, work)
    return text.translate(UNSHIELD) if html else text


def _it(text: str, html: bool) -> str:
    """Text the style sets in italics: in ``<i>`` for HTML."""
    return f"<i>{text}</i>" if html else text


def _text(value: object) -> bool:
    return value is None or (isinstance(value, str) and len(value) < 1000 and bool(_TEXT.fullmatch(value)))


def _year(issued: object) -> int | None | bool:
    """The year of a CSL date that is a year alone; None without a date; False for any other."""
    if issued is None:
        return None
    if not isinstance(issued, dict) or list(issued) != ["date-parts"]:
        return False
    parts = issued["date-parts"]
    if (
        isinstance(parts, list)
        and len(parts) == 1
        and isinstance(parts[0], list)
        and len(parts[0]) == 1
        and type(parts[0][0]) is int
        and 1000 <= parts[0][0] <= 2999
    ):
        return parts[0][0]
    return False


def _initials(given: str) -> str | None:
    """Given names as the styles' ``initialize-with=". "`` writes them: "Stephen P." -> "S. P."."""
    out = []
    for word in given.split(" "):
        if _INITIALS.fullmatch(word) and word[::2].isupper():
            out += [c + "." for c in word[::2]]
        elif _GIVEN_WORD.fullmatch(word) and word[0].isupper() and word[1:].islower():
            out.append(word[0] + ".")
        else:
            return None
    return " ".join(out)


def _names(authors: object, style: str) -> list[tuple[str, str]] | None:
    """(family or literal name, initials or "") for each author; None for a name not plain enough."""
    if not isinstance(authors, list) or not 1 <= len(authors) <= MAX_AUTHORS:
        return None
    out = []
    for name in authors:
        if not isinstance(name, dict):
            return None
        if set(name) == {"literal"} and isinstance(name["literal"], str) and _LITERAL.fullmatch(name["literal"]):
            out.append((name["literal"], ""))
            continue
        fam, given = name.get("family"), name.get("given")
        if set(name) - {"family", "given"} or not isinstance(fam, str) or not _FAMILY.fullmatch(fam):
            return None
        if not fam[0].isupper():
            return None  # a lower-case particle ("van der Graaf") is tidied by the caller's rules
        if given is None:
            out.append((fam, ""))
            continue
        if not isinstance(given, str) or (initials := _initials(given)) is None:
            return None
        out.append((fam, initials))
    return out


def _title_case(text: str) -> str:
    words, prev = [], ":"
    for word in text.split():
        if word.islower() and (word not in _STOP_WORDS or prev in (":", ".")):
            word = word[0].upper() + word[1:]
        prev = word[-1]
        words.append(word)
    return " ".join(words)


def _apa(kind: str, item: dict, names: list[tuple[str, str]], year: int | None, html: bool = False) -> str:
    people = [f"{fam}, {ini}" if ini else fam for fam, ini in names]
    if len(people) == 1:
        who = people[0]
    else:
        who = ", ".join(people[:-1]) + (", &amp; " if html else ", & ") + people[-1]
    if not who.endswith("."):
        who += "."
    title = _it(item["title"], html) if kind == "book" else item["title"]
    out = f"{who} ({year if year is not None else 'n.d.'}). {title}."
    page = item.get("page", "").replace("-", "–")
    if kind == "article-journal":
        parts = [_it(_title_case(item["container-title"]), html)]
        volume, issue = item.get("volume"), item.get("issue", "").replace("-", "–")
        if volume or issue:
            parts.append(f"{_it(volume, html) if volume else ''}{f'({issue})' if issue else ''}")
        if page:
            parts.append(page)
        out += " " + ", ".join(parts) + "."
    elif kind == "chapter":
        pages = f" ({'pp.' if '–' in page else 'p.'} {page})" if page else ""
        out += f" In {_it(item['container-title'], html)}{pages}."
        if item.get("publisher"):
            out += f" {item['publisher']}."
    elif item.get("publisher"):
        out += f" {item['publisher']}."
    if item.get("DOI"):
        out += f" https://doi.org/{item['DOI']}"
    elif item.get("URL"):
        out += f" {item['URL']}"
    return out


def _ieee(kind: str, item: dict, names: list[tuple[str, str]], year: int | None, html: bool = False) -> str:
    people = [f"{ini} {fam}" if ini else fam for fam, ini in names]
    if len(people) >= 7:
        who = people[0] + " " + _it("et al.", html)
    elif len(people) == 1:
        who = people[0]
    elif len(people) == 2:
        who = f"{people[0]} and {people[1]}"
    else:
        who = ", ".join(people[:-1]) + ", and " + people[-1]
    page = item.get("page", "").replace("-", "–")
    pages = f"{'pp.' if '–' in page else 'p.'} {page}" if page else ""
    if kind == "book":
        out = f"{who}, {_it(item['title'], html)}."
        publisher = ": ".join(p for p in (item.get("publisher-place"), item.get("publisher")) if p)
        where = ", ".join(p for p in (publisher, str(year) if year else None) if p)
        if where:
            out += f" {where}."
        if item.get("DOI"):
            out += f" doi: {item['DOI']}."
        elif item.get("URL"):
            out += f" [Online]. Available: {item['URL']}"
        return out
    parts = [f"{who}, “{item['title']}”"]
    if kind == "chapter":
        parts.append(f"in {_it(item['container-title'], html)}")
        parts += [p for p in (item.get("publisher"), str(year) if year else None, pages) if p]
        return ", ".join(parts) + "."
    parts.append(_it(item["container-title"], html))
    if item.get("volume"):
        parts.append(f"vol. {item['volume']}")
    if item.get("issue"):
        parts.append(f"no. {item['issue'].replace('-', '–')}")
    if pages:
        parts.append(pages)
    if year:
        parts.append(str(year))
    if item.get("DOI"):
        return ", ".join(parts) + f", doi: {item['DOI']}."
    if item.get("URL"):
        return ", ".join(parts) + f", [Online]. Available: {item['URL']}"
    return ", ".join(parts) + "."
