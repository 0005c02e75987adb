"""Labelled segments -> CSL-JSON fields: titles, containers, dates, volume and issue, pages,
publishers and places, identifiers, and the item's type.

Each normaliser takes a segment as printed ("vol. 23, no. 4,", "(2012a).", "pp. 1616–27.")
and returns the CSL value ("23" and "4", 2012 with suffix "a", "1616-1627").
"""

from __future__ import annotations

import re
from typing import Any

from kb.normalise import pages as norm_pages
from kb.parser.names import parse_names

_STRIP = " ,.;:"


_MEDIUM_IN_TITLE = re.compile(r"\s*\[(?:Internet|Online|online|internet|electronic resource)\]")
_MEDIUM = re.compile(r"\s*\[(?:Internet|Online|online|internet)\]")
_STOP_AFTER_QUOTE = re.compile(r"[”\"»’]\s*[.,;:]$")
_KEPT_STOP = re.compile(r"\b[A-Z]\.$|\bet al\.$|\.\.\.$")
_IN_PREFIX = re.compile(r"^\s*(?:In|in|Im|Dans|En)\s*:?\s+")
_INITIAL = re.compile(r"[A-Z]\.")
_IN_PRESS = re.compile(r"in press|forthcoming|im druck|sous presse|en prensa", re.I)
_WORD = re.compile(r"[^\W\d_]+\.?")
_DASH = re.compile(r"\s*[-–]\s*")
_QUOTED_TITLE_THEN = re.compile(r"\s*[“\"]([^”\"]+[”\"][,.]?)\s+(\S.*)$")
_YEAR_THEN_VOLUME = re.compile(r"^\(?(1[6-9]\d\d|20[0-3]\d)\)?[,;.]\s*(\S.*)$")
_VOLUME_THEN_PAGES = re.compile(r"(\d+[A-Za-z]?),\s*(\S+)")
_EVENT = re.compile(r"proceedings|conference|symposium|workshop|proc\.|congress")
IN_WORD = re.compile(r"\s*in\b", re.I)  # "In" before a container: the one test, shared with the labeller's repairs


def clean(text: str) -> str:
    return text.strip().strip(_STRIP).strip()


def clean_title(text: str) -> str:
    """Drop the quotes and final punctuation an IEEE or APA list puts around a title.

    >>> clean_title("“The New Public Governance?,”")
    'The New Public Governance?'
    >>> clean_title("“Analysing ... Japanese ‘smart Communities,’”")
    'Analysing ... Japanese ‘smart Communities’'
    >>> clean_title("Adaptation of membranes [Internet].")
    'Adaptation of membranes'
    >>> clean_title("'Crossing the great divide: coproduction, synergy, and development',"), clean_title("‘Gender and telework’,")
    ('Crossing the great divide: coproduction, synergy, and development', 'Gender and telework')
    >>> clean_title("'Tis the season"), clean_title("The workers'")
    ("'Tis the season", "The workers'")
    """
    t = _MEDIUM_IN_TITLE.sub("", text.strip()).rstrip(",;")
    if _STOP_AFTER_QUOTE.search(t):  # “Title”. : the list's full stop after the quote
        t = t[:-1].rstrip()
    for _ in range(2):
        t = t.strip()
        if t[:1] in '“"«':
            t = t[1:]
        if t[-1:] in '”"»':
            t = t[:-1]
        t = t.rstrip(",;")
        # Harvard's single quotes ('Title', or ‘Title’): taken off when they open and close it,
        # not an apostrophe at one end alone ('Tis, the workers')
        if len(t) > 2 and t[0] in "'‘" and t[-1] in "'’" and t[1] not in " '’":
            t = t[1:-1].rstrip(",;")
    if t.endswith(",’"):
        t = t[:-2] + "’"
    t = t.strip()
    if t.endswith(".") and not _KEPT_STOP.search(t):
        t = t[:-1]
    return t.strip()


def clean_container(text: str, abbreviations: frozenset[str] | None = None) -> str:
    """A journal or book title: "In:" and the list's punctuation dropped; a final abbreviation's
    full stop kept ("Proc. Natl. Acad. Sci.").

    >>> clean_container("In: New Public Governance, the Third Sector and Coproduction.")
    'New Public Governance, the Third Sector and Coproduction'
    >>> clean_container("Biochim. Biophys. Acta"), clean_container("Proc. Natl. Acad. Sci.,")
    ('Biochim. Biophys. Acta', 'Proc. Natl. Acad. Sci.')
    >>> clean_container("Eur Heart J."), clean_container("Eur. Heart J.")
    ('Eur Heart J', 'Eur. Heart J.')
    """
    t = _IN_PREFIX.sub("", text.strip())
    t = _MEDIUM.sub("", t)
    t = t.strip().rstrip(",;:").strip()
    if t.startswith("(") and t.endswith(")"):
        t = t[1:-1]
    if t.endswith("."):
        last = t.split()[-1]
        if not _keeps_full_stop(last, t):
            t = t[:-1]
    return t.strip().strip('“”"').strip()


def _keeps_full_stop(last: str, text: str) -> bool:
    """Whether a container's final full stop is its last abbreviation's: only where the other
    words are abbreviated with full stops too ("J. Biol. Chem."; "Eur Heart J." is Vancouver's
    full stop after an abbreviation written without them)."""
    if last.endswith("..."):
        return True
    abbreviated = any(w.endswith(".") for w in text.split()[:-1])
    if _INITIAL.fullmatch(last):
        return abbreviated
    from kb.parser.features import title_words

    tw = title_words()
    core = last[:-1].lower()
    return tw.is_abbreviation(last) and not tw.is_word(core) and abbreviated


_YEAR = re.compile(r"(?<![\d])(1[5-9]\d\d|20\d\d)([a-z])?(?![\d])")
_MONTHS = {
    m: i
    for i, ms in enumerate(
        [
            ("jan", "january", "janvier", "januar", "enero"),
            ("feb", "february", "février", "februar", "febrero"),
            ("mar", "march", "mars", "märz", "marzo"),
            ("apr", "april", "avril", "abril"),
            ("may", "mai", "mayo"),
            ("jun", "june", "juin", "juni", "junio"),
            ("jul", "july", "juillet", "juli", "julio"),
            ("aug", "august", "août", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre"),
            ("oct", "october", "octobre", "oktober", "octubre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "décembre", "dezember", "diciembre"),
        ],
        1,
    )
    for m in ms
}


_ISO_DATE = re.compile(r"(1[5-9]\d\d|20\d\d)[-/](\d\d)(?:[-/](\d\d))?")
_LETTERS_AFTER = re.compile(r"\s*[a-z]{2}")


def parse_date(text: str) -> dict[str, Any] | None:
    """A printed date -> CSL issued (year, month, day when printed) and year-suffix.

    >>> parse_date("(2012a)."), parse_date("2012 Sep;"), parse_date("September 5, 2012")
    ({'issued': {'date-parts': [[2012]]}, 'year-suffix': 'a'}, {'issued': {'date-parts': [[2012, 9]]}}, {'issued': {'date-parts': [[2012, 9, 5]]}})
    >>> parse_date("(in press)."), parse_date("n.d.")
    ({'status': 'in press'}, None)
    """
    m = _YEAR.search(text)
    if not m:
        if _IN_PRESS.search(text):
            return {"status": "in press"}
        return None
    parts = [int(m.group(1))]
    month = None
    day = None
    for w in _WORD.findall(text):
        k = w.rstrip(".").lower()
        if k in _MONTHS:
            month = _MONTHS[k]
            break
    if month is None:
        iso = _ISO_DATE.search(text)
        if iso and 1 <= int(iso.group(2)) <= 12:
            month = int(iso.group(2))
            day = int(iso.group(3)) if iso.group(3) else None
    elif re.search(r"\b([0-3]?\d)\b", _YEAR.sub(" ", text)):
        d = int(re.search(r"\b([0-3]?\d)\b", _YEAR.sub(" ", text)).group(1))
        day = d if 1 <= d <= 31 else None
    if month:
        parts.append(month)
        if day:
            parts.append(day)
    out: dict[str, Any] = {"issued": {"date-parts": [parts]}}
    if m.group(2) and not _LETTERS_AFTER.match(text, m.end(2)):
        out["year-suffix"] = m.group(2)
    return out


_ISSUE_WORD = r"(?:no|nos|nr|n|issue|iss|heft|h|num|número|fasc|n°|nᵒ)\.?\s*°?"
_ISSUE_VALUE = (
    r"((?:pt|part|suppl|supplement|spec|special|s)\.?\s*[\w\-–/]+|[\w\-–/]+(?:\s+(?:suppl|pt|part)\.?(?:\s*\d+)?)?)"
)


_YEAR_BEFORE_VOLUME = re.compile(r"^\(?(?:1[5-9]\d\d|20\d\d)[a-z]?\)?\s*[;.]\s*(?=.*\d)")
_ISSUE_ALONE = re.compile(rf"\(?\s*{_ISSUE_WORD}\s*{_ISSUE_VALUE}\)?|\(({_ISSUE_VALUE[1:-1]})\)", re.I)
_VOLUME_ISSUE = re.compile(
    rf"^\(?(?:vol(?:ume)?|v|bd|band|t|tome|jg|vols)?\.?\s*([\dA-Za-z][\w.\-–/]*?)\s*"
    rf"(?:[,.]?\s*{_ISSUE_WORD}\s*|\()\s*{_ISSUE_VALUE}\)?$",
    re.I,
)
_VOLUME_NUMBER = re.compile(r"(?:vol(?:ume)?|v|bd|band|t|tome|jg)?\.?\s*(\d+[A-Za-z]?(?:\s*[-–/]\s*\d+)?)", re.I)
_ISSUE = re.compile(rf"{_ISSUE_WORD}\s*{_ISSUE_VALUE}", re.I)
# ACM's volume and issue, bare numbers, and its article number: "21, 7", "31, 3, Article 8"
_ACM_VOLUME_ISSUE = re.compile(r"(\d{1,5}),\s*(\d{1,4}(?:\s*[-–]\s*\d{1,4})?)(?:,\s*Article\s+\d+)?", re.I)
# a volume and, in parentheses, all that names its issue: "35(Extra Issue)", "12(Suppl 2)"
_VOLUME_PARENTHESIS = re.compile(r"(?:vol(?:ume)?\.?\s*)?(\d{1,5}[A-Za-z]?)\s*\(([^()]*\w[^()]*)\)", re.I)
_ARTICLE = re.compile(r",\s*Article\s+(\w+)\s*$", re.I)
_PAGE_COUNT = re.compile(r"(\d{1,5})\s+pages?\.?", re.I)


def volume_issue(text: str) -> tuple[str | None, str | None]:
    """ "vol. 23, no. 4" -> ("23", "4"); "6(1)" -> ("6", "1"); "v. 19, n. 1–2" -> ("19", "1-2").

    >>> volume_issue("vol. 23, no. 4,"), volume_issue("1817(9):"), volume_issue("1817 (9),"), volume_issue("1817,")
    (('23', '4'), ('1817', '9'), ('1817', '9'), ('1817', None))
    >>> volume_issue("v. 1817, n. 9,"), volume_issue("12(Suppl 2):"), volume_issue("(9)"), volume_issue("2000;355(9222):")
    (('1817', '9'), ('12', 'Suppl 2'), (None, '9'), ('355', '9222'))
    >>> volume_issue("2007. Vol. 15,"), volume_issue("Nr. Pt 3,"), volume_issue("Bd. 51"), volume_issue("Nr. 108 Suppl,")
    (('15', None), (None, 'Pt 3'), ('51', None), (None, '108 Suppl'))
    >>> volume_issue("1817, no. 9"), volume_issue("21, 7"), volume_issue("31, 3, Article 8")
    (('1817', '9'), ('21', '7'), ('31', '3'))
    >>> volume_issue("35(Extra Issue):"), volume_issue("14 (June):")
    (('35', 'Extra Issue'), ('14', 'June'))
    """
    t = text.strip().rstrip(",.;:")
    t = _YEAR_BEFORE_VOLUME.sub("", t)  # "2000;355(9222)": the year is not the volume
    m = _ACM_VOLUME_ISSUE.fullmatch(t)
    if m:  # ACM: "Commun. ACM 21, 7 (July 1978)", "31, 3, Article 8"
        return m.group(1), _dash(m.group(2))
    m = _ISSUE_ALONE.fullmatch(t)
    if m:
        return None, _dash((m.group(1) or m.group(2)).strip())
    m = _VOLUME_PARENTHESIS.fullmatch(t)
    if m:
        return _dash(m.group(1)), _dash(m.group(2).strip())
    m = _VOLUME_ISSUE.match(t)
    if m and any(c.isdecimal() for c in m.group(1)):
        return _dash(m.group(1)), _dash(m.group(2).strip())
    m = _VOLUME_NUMBER.search(t)
    if m:
        rest = t[m.end() :]
        issue = _ISSUE.search(rest)
        return _dash(m.group(1)), (_dash(issue.group(1).strip()) if issue else None)
    return None, None


def _dash(text: str) -> str:
    return _DASH.sub("-", text)


def doi(text: str) -> str | None:
    """ "https://doi.org/10.1016/j.x." -> "10.1016/j.x".

    >>> doi("doi: 10.1016/j.bbabio.2012.03.010."), doi("https://doi.org/10.1038/nature01234"), doi("DOI:")
    ('10.1016/j.bbabio.2012.03.010', '10.1038/nature01234', None)
    """
    m = re.search(r"10\.\d{4,9}/\S+", text)
    if not m:
        return None
    return m.group(0).rstrip(".,;)]>")


def url(text: str) -> str | None:
    m = re.search(r"(?:https?://|www\.)\S+", text)
    if not m:
        return None
    return m.group(0).rstrip(".,;)]>")


def edition(text: str) -> str:
    """ "2nd ed." -> "2"; "Revised edition" stays.

    >>> edition("2nd ed."), edition("3rd edn,"), edition("Revised edition."), edition("(Anniversary ed.).")
    ('2', '3', 'Revised edition', 'Anniversary')
    """
    m = re.search(r"(\d+)\s*(?:st|nd|rd|th|e|\.)?\s*(?:ed|edn|edition|éd|aufl|Aufl)", text, re.I)
    if m:
        return m.group(1)
    # "(Anniversary ed.)": the word, without the list's parentheses and "ed."
    words = re.sub(r"\s*\b(?:ed|edn)\.?$", "", clean(text).strip("()[] ").rstrip(".").strip(), flags=re.I)
    return words or clean(text)


def pages(text: str) -> str:
    return norm_pages(text)


_TRANSLATED = re.compile(r"[,;]?\s*\b(?:Trans(?:l|lated|lators?)?)\b\.?(?:\s*by\b)?", re.I)
_EDITED = re.compile(r"\b(?:Eds?|Editors?|Edited)\b", re.I)
_APA_DATE = re.compile(r"\s*\((?:1[5-9]\d\d|20\d\d|n\.\s?d\.|in press)", re.I)
_PRESENTED = re.compile(r"(?:paper\s+)?presented at\s+(?:the\s+)?(.*)", re.I)


def to_csl(
    segs: list[tuple[str, str]], raw: str, orders: dict[str, str | None] | None = None
) -> tuple[dict[str, Any], bool]:
    """Labelled segments -> (a CSL-JSON item without ``id``, whether its authors end in "et al.").
    ``orders`` gives the list's name order for authors and editors (see kb.parser.names)."""
    orders = orders or {}
    csl: dict[str, Any] = {}
    first: dict[str, str] = {}
    for lab, text in segs:
        first.setdefault(lab, text)
    et_al = False
    if "author" in first:
        names, et_al = parse_names(first["author"], orders.get("author"))
        if names:
            csl["author"] = names
    if "editor" in first and _TRANSLATED.search(first["editor"]) and not _EDITED.search(first["editor"]):
        # "(F. W. Truscott & F. L. Emory, Trans.)" read as editors: the translators
        first.setdefault("translator", first.pop("editor"))
    if "editor" in first:
        ed, _ = parse_names(first["editor"], orders.get("editor"))
        if ed:
            csl["editor"] = ed
    if "translator" in first and "publisher" not in first:
        # "(C. Borde & S. Malovany-Chevallier, Trans.). Vintage Books.": the publisher ran into it
        m = re.fullmatch(rf"(.*?{_TRANSLATED.pattern}\)?[.,;]?)\s+([A-Z][^()]*)", first["translator"].strip(), re.I)
        if m:
            first["translator"], first["publisher"] = m.group(1), m.group(2)
    if "translator" in first:  # APA's "(J. Strachey, Trans.)": the parentheses and role are the list's
        names = _TRANSLATED.sub("", first["translator"].strip().strip("()").rstrip(".,;)").strip("()"))
        tr, _ = parse_names(names.strip(" ,;"), orders.get("editor"))
        if tr:
            csl["translator"] = tr
    if "title" in first:
        raw_title = first["title"]
        m = _QUOTED_TITLE_THEN.match(raw_title)
        if m and not (first.get("journal") or first.get("container-title")):
            # “Title,” Container, 1980: a quoted title ends at its closing quote
            raw_title = "“" + m.group(1)
            first["container-title"] = m.group(2)
            segs = segs + [("container-title", m.group(2))]
        title = clean_title(raw_title)
        if title:
            csl["title"] = title
    container = first.get("journal") or first.get("container-title")
    presented = None
    if container:
        c = clean(container)
        m = _PRESENTED.match(c)
        if m:
            presented = m.group(1)
        else:
            c = clean_container(container)
            if c:
                csl["container-title"] = c
    for text in (t for lab, t in segs if lab == "note"):  # APA's "(Original work published 1949)"
        original = re.search(r"original(?:ly)? (?:work )?published (?:in )?(1[5-9]\d\d|20\d\d)", text, re.I)
        if original:
            csl["original-date"] = {"date-parts": [[int(original.group(1))]]}
    note = first.get("note")
    if note and not presented:
        m = _PRESENTED.match(clean(note))
        if m:
            presented = m.group(1)
    has_year = any(lab == "date" and _YEAR.search(t) for lab, t in segs)
    for text in (t for lab, t in segs if lab == "volume"):  # "Bd. 1 (2011), Nr. 108": two segments
        m = _YEAR_THEN_VOLUME.match(text.strip())
        if m and not has_year:  # "Nat Protoc, 2008, 3, 977": the year was read with the volume
            csl["issued"] = {"date-parts": [[int(m.group(1))]]}
            has_year = True
            text = m.group(2)
        vol, issue = volume_issue(text)
        if vol and "volume" not in csl and "issue" not in csl:
            csl["volume"] = vol
        if issue and "issue" not in csl:
            csl["issue"] = issue
    for text in (t for lab, t in segs if lab == "volume"):
        m = _ARTICLE.search(text.strip().rstrip(",.;:"))
        if m:  # ACM's article number: CSL's number
            csl["number"] = m.group(1)
    if "pages" in first and (m := _PAGE_COUNT.fullmatch(first["pages"].strip())):
        csl["number-of-pages"] = m.group(1)  # "22 pages": how long, not where
    elif "pages" in first:
        p = pages(first["pages"])
        m = _VOLUME_THEN_PAGES.fullmatch(p)
        if m and "volume" not in csl:  # "35, W375-W383": the volume was read with the pages
            csl["volume"], p = m.group(1), pages(m.group(2))
        if p:
            csl["page"] = p
    for lab, text in segs:
        if lab == "date":
            d = parse_date(text)
            if d and "issued" in d:
                csl.update(d)
                break
            if d and "status" in d:
                csl.update(d)
    for text in (t for lab, t in segs if lab == "accessed"):  # when a web page was read, not its date
        d = parse_date(re.sub(r"^\W*\w+:?", "", text))
        if d and "issued" in d:
            csl["accessed"] = d["issued"]
    labels_in_order = [lab for lab, _ in segs]
    if presented:
        # "presented at the Annual Meeting of the | American Society ... | San Francisco": the
        # labeller may cut the event's name in two; what follows it up to the place is the event.
        i = next(k for k, (lab, text) in enumerate(segs) if re.search(r"presented at", text, re.I))
        joined = segs[i][1]
        for lab, text in segs[i + 1 :]:
            if lab in ("location", "date"):
                break
            joined += " " + text
        event = re.sub(r"^.*?presented at\s+(?:the\s+)?", "", clean(joined), flags=re.I)
        parts = [p.strip() for p in event.split(",") if p.strip()]
        if parts:
            csl["event"] = parts[0]
            if len(parts) > 1:
                csl["event-place"] = ", ".join(parts[1:])
        first.pop("publisher", None)
    if "publisher" in first:  # "Princeton University]." of "[Doctoral dissertation, Princeton University]."
        pub = clean(first["publisher"]).strip("()[]").strip()
        if pub:
            csl["publisher"] = pub
    if "location" in first:
        loc = clean(first["location"]).strip("()").strip()
        k = labels_in_order.index("location")
        followed_by_date = k + 1 < len(segs) and segs[k + 1][0] == "date"
        if presented:
            csl.setdefault("event-place", loc)
        elif "publisher" not in csl and followed_by_date and first["location"].rstrip().endswith(","):
            # "..., Routledge, 2012.": a name right before the year, with no publisher, is the publisher
            csl["publisher"] = loc
        elif "publisher" not in csl and _APA_DATE.match(first.get("date", "")) and ":" not in loc:
            # APA 7 prints no places: "(pp. 241–258). Greenwood." is the publisher
            csl["publisher"] = loc
        elif loc:
            csl["publisher-place"] = loc
    if "doi" in first:
        value = doi(first["doi"])
        if value:
            csl["DOI"] = value
    if "url" in first:
        value = doi(first["url"]) if re.search(r"doi\.org/", first["url"]) else None
        if value and "DOI" not in csl:
            csl["DOI"] = value
        elif not value:
            u = url(first["url"])
            if u:
                csl["URL"] = u
    if "edition" in first:
        csl["edition"] = edition(first["edition"])
    for lab, var in (("isbn", "ISBN"), ("collection-title", "collection-title"), ("genre", "genre")):
        if lab in first:
            value = clean(first[lab])
            if var == "ISBN":
                value = re.sub(r"^ISBN[:\s-]*", "", value, flags=re.I)
            if var == "genre":
                value = value.strip("[]()").strip()
            if value:
                csl[var] = value
    csl["type"] = guess_type(csl, first, presented)
    dated = ((csl.get("issued") or {}).get("date-parts") or [[]])[0]
    if (
        csl["type"] == "book"
        and len(dated) >= 2
        and csl.get("publisher")
        and not csl.keys() & {"publisher-place", "edition"}
    ):
        # "(2011, May). Title. Vanity Fair.": a book has no month, its "publisher" is the periodical
        csl["container-title"], csl["type"] = csl.pop("publisher"), "article-journal"
    if csl["type"] == "article-journal" and len(dated) >= 2 and not csl.keys() & {"volume", "issue", "page"}:
        # "(2020, March 3). Floods return. The Guardian.": a periodical dated to the day or month
        csl["type"] = "article-newspaper" if len(dated) >= 3 else "article-magazine"
    if csl["type"] == "article-journal" and "accessed" in csl and not csl.keys() & {"volume", "issue", "page", "DOI"}:
        csl["type"] = "webpage"  # read online on a day, with no volume or pages: a page of a site
    if csl["type"] == "paper-conference" and not presented:
        _conference_place(csl)
    return csl, et_al


# a conference's acronym, "NeurIPS", "(CVPR)": capitals and letters, no space
_ACRONYM = re.compile(r"\(?([A-Z][A-Za-z]*[A-Z][A-Za-z-]*'?\d{0,4})\)?")


def _conference_place(csl: dict[str, Any]) -> None:
    """IEEE's and ACM's proceedings name where the conference met, not a publisher: "in Proc.
    CVPR, Las Vegas, NV, USA, 2016". A "publisher" that is a place, or the conference's acronym,
    and a place without publisher are the event's.

    >>> item = {"container-title": "Proc. Adv. Neural Inf. Process. Syst.", "publisher": "NeurIPS",
    ...         "publisher-place": "Long Beach, CA, USA"}
    >>> _conference_place(item); item
    {'container-title': 'Proc. Adv. Neural Inf. Process. Syst. (NeurIPS)', 'event-place': 'Long Beach, CA, USA'}
    >>> item = {"container-title": "Proc. CVPR", "publisher": "Las Vegas, NV, USA"}
    >>> _conference_place(item); item
    {'container-title': 'Proc. CVPR', 'event-place': 'Las Vegas, NV, USA'}
    """
    from kb.parser.features import places

    publisher = csl.get("publisher", "")
    acronym = _ACRONYM.fullmatch(publisher)
    if acronym and "container-title" in csl:
        if acronym.group(1) not in csl["container-title"]:
            csl["container-title"] += f" ({acronym.group(1)})"
        del csl["publisher"]
    one, two = places()
    where = csl.get("publisher", "").split(",")[0].strip().lower()
    if where and (where in one or where in two) and "publisher-place" not in csl:
        csl["event-place"] = csl.pop("publisher")
    elif "publisher" not in csl and "publisher-place" in csl:
        csl["event-place"] = csl.pop("publisher-place")


def guess_type(csl: dict[str, Any], first: dict[str, str], presented: str | None) -> str:
    genre = (first.get("genre") or first.get("note") or "").lower()
    container = (csl.get("container-title") or "").lower()
    if presented:
        return "paper-conference"
    if "thesis" in genre or "dissertation" in genre or "these" in genre or "thèse" in genre:
        return "thesis"
    if "report" in genre:
        return "report"
    if "journal" in first:
        return "article-journal"
    if "container-title" in first:
        if _EVENT.search(container):
            return "paper-conference"
        if (
            not IN_WORD.match(first["container-title"])
            and "editor" not in first
            and "publisher" not in first
            and "location" not in first
        ):
            return "article-journal"  # a container with no "In", editors or publisher is a periodical
        return "chapter"
    if "volume" in first and "pages" in first and "publisher" not in first:
        return "article-journal"
    if "publisher" in first:
        return "book"
    authors = csl.get("author") or []
    if authors and all("literal" in a for a in authors):
        return "report"
    if "URL" in csl:
        return "webpage"
    if "title" in first and not first["title"].strip().startswith(("“", '"')):
        return "book"
    return "document"
