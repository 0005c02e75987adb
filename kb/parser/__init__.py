"""Reference strings -> CSL-JSON works.

A reference list is read in three steps: each entry is cut into tokens (``tokens``) and
labelled by a CRF sequence labeller (``labeller``, python-crfsuite, with the features of
``features``); the list as a whole then decides its conventions (the order in which it prints
names, ``names``); and each entry's labelled segments become CSL-JSON fields (``fields``).

The labeller is trained on AnyStyle's annotated reference strings (BSD-2-Clause, copyright
Sylvester Keil; see kb/models/LICENSE-anystyle.txt) and on references rendered in many CSL
styles by ``kb synth-references``. Rebuild the shipped model with ``kb train-parser``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kb.normalise import citation_key, entry_problems, unique_keys
from kb.parallel import forked_map, no_cycle_collection, workers
from kb.parser.features import load_word_lists
from kb.parser.fields import IN_WORD, clean_title, to_csl
from kb.parser.labeller import MODEL_PATH, Labeller, default_labeller, train, training_sequences
from kb.parser.names import is_organisation, list_order, parse_names, read_names
from kb.parser.tokens import join, tokenize
from kb.records import Problem, Work

__all__ = [
    "MODEL_PATH",
    "Labeller",
    "Parsed",
    "UNPARSED",
    "clean_title",
    "parse_names",
    "parse_reference",
    "parse_reference_lists",
    "parse_references",
    "segments",
    "split_entries",
    "train",
    "training_sequences",
]

UNPARSED = ("unparsed-reference", "could not find a title or an author in this reference")
_MAX_TOKENS = 2000


def segments(tokens: list[str], labels: list[str], glued: list[bool] | None = None) -> list[tuple[str, str]]:
    """Join labelled tokens into (label, text) segments. A "B-" label starts a segment; an
    "I-" label (or a plain label) continues the segment of the same label before it.

    >>> segments(["(2007).", "Beyond", "engagement."], ["B-date", "B-title", "I-title"])
    [('date', '(2007).'), ('title', 'Beyond engagement.')]
    >>> segments(["2012;", "1817", "(9):"], ["B-date", "B-volume", "I-volume"], [False, True, True])
    [('date', '2012;'), ('volume', '1817(9):')]
    """
    glued = glued or [False] * len(tokens)
    out: list[tuple[str, list[str], list[bool]]] = []
    for tok, lab, g in zip(tokens, labels, glued, strict=True):
        begin, _, name = lab.partition("-") if lab[:2] in ("B-", "I-") else ("", "", lab)
        if out and out[-1][0] == name and begin != "B":
            out[-1][1].append(tok)
            out[-1][2].append(g)
        else:
            out.append((name, [tok], [False]))
    return [(name, join(toks, gs)) for name, toks, gs in out]


@dataclass
class Parsed:
    csl: dict[str, Any]
    et_al: bool
    problems: list[tuple[str, str]] = field(default_factory=list)  # (code, message)


@dataclass
class _Labelled:
    raw: str
    label: str | None  # "12" of a leading "[12]"
    segments: list[tuple[str, str]]


_LABEL = re.compile(r"^\s*(?:\[(\d+)\]|\((\d+)\)|(\d+)\.(?=\s))\s*")


PARALLEL_FROM = 1500  # entries in one list past which labelling is spread across cores


def _label_all(raws: list[str], labeller: Labeller) -> list[_Labelled]:
    """Every entry of a list labelled. Each entry is labelled on its own, so a long list is cut
    into one chunk per core and labelled in forked processes (which share the loaded model and
    word lists, loaded first); the result is the same, entry for entry, as labelling it here."""
    n = workers() if len(raws) >= PARALLEL_FROM else 1
    if n == 1:
        return _label_serial(raws, labeller)
    size = -(-len(raws) // n)
    chunks = [raws[i : i + size] for i in range(0, len(raws), size)]
    load_word_lists()
    done = forked_map(lambda chunk: _label_serial(chunk, labeller), chunks, n, chunks_per_process=1)
    return [item for chunk in done for item in chunk]


def _label_serial(raws: list[str], labeller: Labeller) -> list[_Labelled]:
    """Every entry of a list labelled, in one pass of the labeller."""
    prepared = []
    for raw in raws:
        text = unicodedata.normalize("NFC", raw)
        m = _LABEL.match(text)
        number = None
        if m:
            number = m.group(1) or m.group(2) or m.group(3)
            text = text[m.end() :]
        tokens, _, glued = tokenize(text)
        if len(tokens) > _MAX_TOKENS:  # not a reference: kept, with its problem, unlabelled
            tokens, glued = [], []
        prepared.append((raw, number, tokens, glued))
    labels = labeller.label_many([(tokens, glued) for _, _, tokens, glued in prepared])
    return [
        _labelled(raw, number, segments(tokens, labs, glued)) if tokens else _Labelled(raw, number, [])
        for (raw, number, tokens, glued), labs in zip(prepared, labels, strict=True)
    ]


def _labelled(raw: str, number: str | None, segs: list[tuple[str, str]]) -> _Labelled:
    if segs and segs[0][0] == "citation-number":
        if number and len(segs) > 1:  # "317. 1000 Genomes Project Consortium": the number was read already
            segs = [(segs[1][0], f"{segs[0][1]} {segs[1][1]}")] + segs[2:]
        else:
            number = number or re.sub(r"\D", "", segs[0][1]) or None
            segs = segs[1:]
    segs = [s for s in segs if s[0] != "citation-number"]
    labels = [lab for lab, _ in segs]
    if not _PERIODICAL & set(labels) and "editor" not in labels:
        # "... co-production. Palgrave Macmillan. https://doi.org/...": a book's publisher the
        # labeller took for a journal (a DOI after it): no volume, issue or pages, a publisher's name
        segs = [
            ("publisher", t) if lab in ("journal", "container-title") and _PUBLISHER.search(t) else (lab, t)
            for lab, t in segs
        ]
    if "publisher" not in labels and labels and labels[-1] == "title":
        m = _TITLE_THEN_PUBLISHER.fullmatch(segs[-1][1].strip())
        if m:
            segs = [*segs[:-1], ("title", m.group(1)), ("publisher", m.group(2))]
            labels = [lab for lab, _ in segs]
    if "editor" in labels and "container-title" in labels:
        segs = _springer_series(segs)
        labels = [lab for lab, _ in segs]
    if "editor" in labels:
        segs = _book_and_chapter(segs)
        labels = [lab for lab, _ in segs]
    if "journal" in labels and "volume" not in labels:
        segs = _journal_volume(segs)
    if "journal" in labels and "volume" not in labels and "pages" not in labels:
        segs = _issue_and_pages(segs)
    if "date" in labels and "volume" in labels:
        segs = _day_before_volume(segs)
    if "date" in labels and "title" in labels:
        segs = _year_opening_title(segs)
    if "container-title" in labels and "journal" in labels:
        segs = _proceedings_name(segs)
    if "title" in labels:
        segs = _title_tail(segs)
    segs = _access_date(segs)
    if "title" in labels and not {"container-title", "journal", "publisher"} & {lab for lab, _ in segs}:
        segs = _periodical_after_title(segs)
    if "container-title" in labels and "editor" not in labels:
        segs = _subtitle_after_colon(segs)
    if labels and labels[0] == "title" and "author" not in labels and "editor" not in labels:
        # MLA's corporate author, its full stop then the title, read as one title: "Food and
        # Agriculture Organization of the United Nations. The State of World Fisheries ..."
        body, stop, rest = segs[0][1].partition(". ")
        if stop and rest and len(body.split()) >= 3 and is_organisation(body):
            segs = [("author", body + "."), ("title", rest)] + segs[1:]
            labels = [lab for lab, _ in segs]
    if labels[:2] == ["title", "date"] and "title" in labels[2:] and "author" not in labels:
        # "Office for National Statistics (2022) Is hybrid working here to stay?": a title before
        # the date and another after it; the first is the author, a body the labeller did not know
        segs = [("author", segs[0][1])] + segs[1:]
    return _Labelled(raw, number, segs)


# a book series after a proceedings' name (Springer's LNCS style): "In: Kozen, D. (ed.) Logic of
# Programs 1981. LNCS, vol. 131, pp. 52–71. Springer, Heidelberg (1982)"
_SERIES = re.compile(
    r"(?:LNCS|LNAI|LNBI|LNBIP|LNICST|CCIS|LIPIcs|EPTCS|IFIP\s+AICT|CEUR(?:-WS)?|Lecture\s+Notes\s+in\s+[A-Z][\w ]+)[,.]?"
)
_CONTAINER_SERIES = re.compile(rf"(.+?)\.\s+({_SERIES.pattern})\s*$")
_PARENTHESISED_YEAR = re.compile(r"\(\s*(?:1[5-9]\d\d|20\d\d)[a-z]?\s*\)[.,]?")


def _springer_series(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A proceedings paper in Springer's style, its series and its year told apart from the
    proceedings' name: the series the labeller took for a journal ("LNCS,") or left in the
    container ("CAV 2008. LNCS,") is the collection; a year inside the proceedings' name ("Logic
    of Programs 1981.") is the name's when the entry ends in its own year in parentheses.

    >>> _springer_series([("editor", "In: Kozen, D. (ed.)"), ("container-title", "Logic of Programs"),
    ...     ("date", "1981."), ("journal", "LNCS,"), ("date", "(1982)")])  # doctest: +NORMALIZE_WHITESPACE
    [('editor', 'In: Kozen, D. (ed.)'), ('container-title', 'Logic of Programs 1981.'),
     ('collection-title', 'LNCS,'), ('date', '(1982)')]
    """
    out: list[tuple[str, str]] = []
    ends_in_year = bool(segs) and segs[-1][0] == "date" and _PARENTHESISED_YEAR.fullmatch(segs[-1][1].strip())
    for k, (lab, text) in enumerate(segs):
        if lab == "journal" and out and out[-1][0] in ("container-title", "date") and _SERIES.fullmatch(text.strip()):
            out.append(("collection-title", text))
        elif lab == "container-title" and (m := _CONTAINER_SERIES.match(text.strip())):
            out += [("container-title", m.group(1) + "."), ("collection-title", m.group(2))]
        elif lab == "date" and ends_in_year and k < len(segs) - 1 and out and out[-1][0] == "container-title":
            out[-1] = ("container-title", f"{out[-1][1].rstrip()} {text.strip()}")
        else:
            out.append((lab, text))
    return out


# a volume and its issue in words the labeller left in the journal's name:
# "Journal of Farm Economics, 35(Extra Issue),"
_TRAILING_VOLUME = re.compile(r"(.+?),\s*(\d{1,5}\s*\([^()]*[^\W\d_][^()]*\)[,.:;]?)")


def _journal_volume(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A volume with its issue in words, left at the end of the journal's name, split off.

    >>> _journal_volume([("journal", "Journal of Farm Economics, 35(Extra Issue),"), ("pages", "pp. 1–12.")])
    [('journal', 'Journal of Farm Economics,'), ('volume', '35(Extra Issue),'), ('pages', 'pp. 1–12.')]
    """
    out: list[tuple[str, str]] = []
    for lab, text in segs:
        m = _TRAILING_VOLUME.fullmatch(text.strip()) if lab == "journal" else None
        out += [("journal", m.group(1) + ","), ("volume", m.group(2))] if m else [(lab, text)]
    return out


_BARE_YEAR_AT_END = re.compile(r"(.*?)\s*\b((?:1[5-9]|20)\d\d)$", re.S)
_A_YEAR = re.compile(r"(?<!\d)(?:1[5-9]|20)\d\d(?!\d)")


def _year_opening_title(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A title that opens with a year, "2019 ESC/EAS guidelines for ...", whose year was read as
    the date: given back to the title when the entry prints its date elsewhere ("Eur Heart J.
    2020;41(1)", APA's "(2020). 2019 ESC/EAS ..."). The year must stand bare, no full stop or
    bracket after it, straight before the title.

    >>> _year_opening_title([("author", "Mach F."), ("date", "2019"), ("title", "ESC guidelines."),
    ...     ("journal", "Eur Heart J."), ("date", "2020;")])  # doctest: +NORMALIZE_WHITESPACE
    [('author', 'Mach F.'), ('title', '2019 ESC guidelines.'), ('journal', 'Eur Heart J.'), ('date', '2020;')]
    >>> _year_opening_title([("date", "(2020). 2019"), ("title", "ESC guidelines.")])
    [('date', '(2020).'), ('title', '2019 ESC guidelines.')]
    """
    for k in range(len(segs) - 1):
        (lab, text), (after, title) = segs[k], segs[k + 1]
        m = _BARE_YEAR_AT_END.fullmatch(text.strip()) if lab == "date" and after == "title" else None
        if m is None:
            continue
        before = m.group(1).strip()
        if _A_YEAR.search(before) or any(
            lb == "date" and _A_YEAR.search(t) for j, (lb, t) in enumerate(segs) if j != k
        ):
            given_back = ("title", f"{m.group(2)} {title}")
            return [*segs[:k], *([("date", before)] if before else []), given_back, *segs[k + 2 :]]
    return segs


# an issue without volume and its article number: the Cochrane Database's "2013;(1):CD004816."
_ISSUE_THEN_PAGES = re.compile(r"(\([^()]{1,12}\):)\s*([A-Za-z]{0,3}\d[\w-]*\.?)")


def _issue_and_pages(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """An article's issue and pages the labeller took for something else.

    >>> _issue_and_pages([("journal", "Cochrane Database Syst Rev."), ("date", "2013;"), ("publisher", "(1):CD004816.")])
    [('journal', 'Cochrane Database Syst Rev.'), ('date', '2013;'), ('volume', '(1):'), ('pages', 'CD004816.')]
    """
    out: list[tuple[str, str]] = []
    for lab, text in segs:
        m = _ISSUE_THEN_PAGES.fullmatch(text.strip()) if lab != "journal" else None
        out += [("volume", m.group(1)), ("pages", m.group(2))] if m else [(lab, text)]
    return out


_ACRONYM_FIRST = re.compile(r"\s*(\([A-Z][A-Za-z]*[A-Z][A-Za-z]*'?\d{0,4}\)),?\s*(.*)", re.S)


def _proceedings_name(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """IEEE's proceedings cut in two, "in Proc. Adv." and "Neural Inf. Process. Syst.", one name
    again; its acronym, read with the date ("(NIPS), 2012,"), goes with it.

    >>> _proceedings_name([("container-title", "in Proc. Adv."), ("journal", "Neural Inf. Process. Syst."),
    ...     ("date", "(NIPS), 2012,")])
    [('container-title', 'in Proc. Adv. Neural Inf. Process. Syst. (NIPS),'), ('date', '2012,')]
    """
    for k in range(len(segs) - 1):
        (lab, text), (nxt, name) = segs[k], segs[k + 1]
        if lab == "container-title" and nxt == "journal" and IN_WORD.match(text):
            merged, rest = f"{text.rstrip()} {name.strip()}", segs[k + 2 :]
            m = _ACRONYM_FIRST.fullmatch(rest[0][1]) if rest and rest[0][0] == "date" else None
            if m:
                merged = f"{merged.rstrip(', ')} {m.group(1)},"
                rest = [("date", m.group(2))] + rest[1:] if m.group(2).strip() else rest[1:]
            return [*segs[:k], ("container-title", merged), *rest]
    return segs


# a title in quotes and more after it: "'Title', BBC News, 23 March." and IEEE's '"Title." Python.org.'
_QUOTED_THEN_MORE = re.compile(r"\s*(['‘\"“])(.+?)(['’\"”]),\s+(.+)|\s*([\"“])(.+?[.?!])([\"”])\s+(.+)", re.S)
_DAY_MONTH_END = re.compile(r",\s*(\d{1,2}\s+[A-Z][a-z]+\.?|[A-Z][a-z]+\s+\d{1,2}\.?)\s*$")


_MONTH_WORD = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s*\d{0,2}\b|\b(?:Spring|Summer|Fall|Autumn|Winter)\b"
)
_LAST_SENTENCE = re.compile(r"(.+?[.?!])\s+((?:The\s+)?(?:[A-Z][\w'’&-]*\s*){1,5})\.?")


def _periodical_after_title(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """APA's newspaper or magazine article, "(2020, March 3). Floods return. The Guardian.", its
    periodical's name run into the title: a date with a month, and a last sentence of one to
    five capitalised words.

    >>> _periodical_after_title([("date", "(2020, March 3)."), ("title", "Floods return. The Guardian."), ("url", "https://x")])
    [('date', '(2020, March 3).'), ('title', 'Floods return.'), ('container-title', 'The Guardian.'), ('url', 'https://x')]
    """
    dated = any(lab == "date" and _MONTH_WORD.search(text) for lab, text in segs)
    if not dated:
        return segs
    for k, (lab, text) in enumerate(segs):
        m = _LAST_SENTENCE.fullmatch(text.strip()) if lab == "title" else None
        if m:
            return [*segs[:k], ("title", m.group(1)), ("container-title", m.group(2).strip() + "."), *segs[k + 1 :]]
    return segs


_ACCESSED = re.compile(r"\s*\(?(?:accessed|retrieved|consulted)\b:?", re.I)


def _access_date(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """When a web page was read, "Accessed: Jan. 15, 2024." (IEEE), which the labeller may cut
    into a journal, a volume and a date: one segment of its own, read as the access date and
    never as the work's.

    >>> _access_date([("journal", "Accessed: Jan."), ("volume", "15,"), ("date", "2024."), ("medium", "[Online].")])
    [('accessed', 'Accessed: Jan. 15, 2024.'), ('medium', '[Online].')]
    """
    for k, (lab, text) in enumerate(segs):
        if lab in ("accessed", "url") or not _ACCESSED.match(text):
            continue
        end = k
        while not _A_YEAR.search(" ".join(t for _, t in segs[k : end + 1])) and end + 1 < len(segs):
            if segs[end + 1][0] in ("url", "doi", "medium"):
                break
            end += 1
        joined = " ".join(t.strip() for _, t in segs[k : end + 1])
        if _A_YEAR.search(joined):
            return [*segs[:k], ("accessed", joined), *_access_date(segs[end + 1 :])]
    return segs


def _title_tail(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """What the labeller ran into a title: Harvard's newspaper or web page, "'Coronavirus: UK
    enters lockdown', BBC News, 23 March." (the title in quotes, then where and when it
    appeared); and the title's own end read as a place and a date, "Trust in government, | UK: |
    2022." after the entry's date.

    >>> _title_tail([("title", "'Coronavirus: UK enters lockdown', BBC News, 23 March.")])
    [('title', "'Coronavirus: UK enters lockdown',"), ('container-title', 'BBC News,'), ('date', '23 March.')]
    >>> _title_tail([("date", "(2022)"), ("title", "Trust in government,"), ("location", "UK:"), ("date", "2022.")])
    [('date', '(2022)'), ('title', 'Trust in government, UK: 2022.')]
    """
    out: list[tuple[str, str]] = []
    k = 0
    while k < len(segs):
        lab, text = segs[k]
        m = _QUOTED_THEN_MORE.fullmatch(text) if lab == "title" and "container-title" not in dict(segs) else None
        if m and (m.group(4) or m.group(8) or "").strip():
            opening, title, closing, rest = m.group(1, 2, 3, 4) if m.group(1) else m.group(5, 6, 7, 8)
            rest = rest.strip()
            when = _DAY_MONTH_END.search(rest)
            out.append(("title", f"{opening}{title}{closing}{',' if m.group(1) else ''}"))
            out.append(("container-title", rest[: when.start()] + "," if when else rest))
            if when:
                out.append(("date", when.group(1)))
            k += 1
            continue
        dated_before = any(lb == "date" for lb, _ in out)
        if (
            lab == "title"
            and dated_before
            and k + 2 < len(segs)
            and segs[k + 1][0] == "location"
            and segs[k + 1][1].rstrip().endswith(":")
            and segs[k + 2][0] == "date"
            and text.rstrip().endswith(",")
        ):
            out.append(("title", f"{text.strip()} {segs[k + 1][1].strip()} {segs[k + 2][1].strip()}"))
            k += 3
            continue
        out.append((lab, text))
        k += 1
    return out


def _subtitle_after_colon(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A book's subtitle read as the book a chapter is in: "The mythical man-month: | Essays on
    software engineering" (no "In", no editors, no pages or volume after it).

    >>> _subtitle_after_colon([("title", "The mythical man-month:"), ("container-title", "Essays on software"),
    ...     ("edition", "(Anniversary ed.)."), ("publisher", "Addison-Wesley.")])  # doctest: +NORMALIZE_WHITESPACE
    [('title', 'The mythical man-month: Essays on software'), ('edition', '(Anniversary ed.).'),
     ('publisher', 'Addison-Wesley.')]
    """
    labels = {lab for lab, _ in segs}
    if labels & {"volume", "pages", "journal"}:
        return segs
    for k in range(len(segs) - 1):
        (lab, text), (nxt, sub) = segs[k], segs[k + 1]
        if lab == "title" and nxt == "container-title" and text.rstrip().endswith(":") and not IN_WORD.match(sub):
            return [*segs[:k], ("title", f"{text.rstrip()} {sub.strip()}"), *segs[k + 2 :]]
    return segs


# NLM's date with its day, glued to the volume: "2008 Nov 20;359(21):2195-207."
_MONTH_AT_END = re.compile(r"[A-Z][a-z]{2,8}\.?\s*$")
_DAY_THEN_VOLUME = re.compile(r"(\d{1,2})\s*;\s*(\S.*)")


def _day_before_volume(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The day of an NLM date, read as the start of the volume, given back to the date.

    >>> _day_before_volume([("date", "2008 Nov"), ("volume", "20;359(21):"), ("pages", "2195-207.")])
    [('date', '2008 Nov 20;'), ('volume', '359(21):'), ('pages', '2195-207.')]
    """
    out = list(segs)
    for k in range(1, len(segs)):
        (before, date), (lab, text) = segs[k - 1], segs[k]
        m = _DAY_THEN_VOLUME.fullmatch(text.strip()) if lab == "volume" and before == "date" else None
        if m and _MONTH_AT_END.search(date) and 1 <= int(m.group(1)) <= 31:
            out[k - 1] = ("date", f"{date.rstrip()} {m.group(1)};")
            out[k] = ("volume", m.group(2))
    return out


_EDITED_BY = re.compile(r"(?:edited|translated|ed\.|trans\.)\s+by\b", re.I)


def _book_and_chapter(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A book's title and a chapter's book told apart around the editors. "Edited by" after a
    container and no title (Chicago's edited book): the container is the book's title. Harvard's
    chapter, "title, in Savas, E. S. (ed.) Book title.": the title after the editors is the book.

    >>> _book_and_chapter([("author", "Weber, Max."), ("container-title", "Economy and Society."),
    ...     ("editor", "Edited by Guenther Roth."), ("publisher", "Bedminster.")])  # doctest: +NORMALIZE_WHITESPACE
    [('author', 'Weber, Max.'), ('title', 'Economy and Society.'), ('editor', 'Edited by Guenther Roth.'),
     ('publisher', 'Bedminster.')]
    >>> _book_and_chapter([("title", "The tragedy,"), ("editor", "in Savas, E. S. (ed.)"),
    ...     ("title", "Alternatives.")])  # doctest: +NORMALIZE_WHITESPACE
    [('title', 'The tragedy,'), ('editor', 'in Savas, E. S. (ed.)'), ('container-title', 'Alternatives.')]
    """
    labels = [lab for lab, _ in segs]
    out = list(segs)
    for k, (lab, text) in enumerate(segs):
        if lab != "editor":
            continue
        before = labels[:k]
        if (
            _EDITED_BY.match(text.strip())
            and before
            and before[-1] == "container-title"
            and "title" not in labels
            and "journal" not in labels
        ):
            out[k - 1] = ("title", segs[k - 1][1])
        elif (
            IN_WORD.match(text)
            and "title" in before
            and k + 1 < len(segs)
            and labels[k + 1] == "title"
            and "container-title" not in labels
        ):
            out[k + 1] = ("container-title", segs[k + 1][1])
    return out


_PERIODICAL = {"volume", "issue", "pages"}
_PUBLISHER = re.compile(
    r"\b(?:Press|Publish(?:ing|ers?)|Macmillan|Routledge|Springer|Wiley|Elsevier|SAGE|Palgrave|Verlag|Books|"
    r"Elgar|Blackwell|Earthscan|Polity|Norton|Penguin|Brookings|Kluwer|Bloomsbury|Russell Sage Foundation|"
    r"Editorial|Editora|Ediciones|[ÉE]ditions|Edizioni|Editore|Presses|Uitgeverij|Forlag)\b"
)
# a publisher the labeller ran into the title: "Pedagogia do oprimido. Editora Paz e Terra."
_TITLE_THEN_PUBLISHER = re.compile(rf"(.+?[.?!])\s+([^.?!]*{_PUBLISHER.pattern}[^.?!]*\.?)")
_TWO_LETTERS = re.compile(r"[^\W\d_]{2,}")


def _finish(item: _Labelled, orders: dict[str, str | None]) -> Parsed:
    if not item.segments:
        return Parsed({"type": "document"}, False, [UNPARSED])
    csl, et_al = to_csl(item.segments, item.raw, orders)
    if item.label:  # before its problems: a numbered list's "et al." is its rule
        csl["citation-label"] = item.label
    parsed = Parsed(csl, et_al, entry_problems(csl, et_al, item.raw))
    words = [csl.get("title", ""), csl.get("container-title", "")]
    words += [a.get("family") or a.get("literal") or "" for a in csl.get("author", [])]
    if not any(_TWO_LETTERS.search(w) for w in words):  # no title, author or container in words
        parsed.problems = [UNPARSED]  # says it all: no year or title to speak of
    return parsed


def list_orders(items: list[_Labelled]) -> dict[str, str | None]:
    """The name orders a list keeps, for authors and for editors, decided from all its entries."""
    orders: dict[str, str | None] = {}
    for role in ("author", "editor"):
        readings = []
        for item in items:
            text = next((t for lab, t in item.segments if lab == role), None)
            if text:
                read = read_names(text).readings
                got = [r.order for r in read]
                # one name inverted ("Ostrom, Elinor.") is also how a Chicago or MLA list,
                # which inverts its first name only, prints a single author
                if any(r.order == "inverted" and len(r.names) == 1 for r in read):
                    got.append("first-inverted")
                if got:
                    readings.append(got)
        orders[role] = list_order(readings)
    return orders


def parse_reference(raw: str, labeller: Labeller | None = None) -> Parsed:
    """One reference string -> Parsed (CSL without id, et al., problems)."""
    (item,) = _label_all([raw], labeller or default_labeller())
    return _finish(item, list_orders([item]))


def split_entries(text: str) -> list[tuple[int, str]]:
    """A reference list -> (line, entry) pairs: one entry a line, or, when the list is written
    as paragraphs (entries wrapped over several lines, blank lines between them), one a
    paragraph. Blank lines at the start or end, or a stray one, do not change which.

    >>> [line for line, _ in split_entries("A (2001). One.\\n\\nB (2002). Two,\\nwrapped.\\n\\nC (2003). Three.")]
    [1, 3, 6]
    >>> len(split_entries("\\n".join(["A (2001). One."] * 8 + [""] + ["B (2002). Two."] * 8)))
    16
    """
    lines = text.split("\n")
    marked = _marked_entries(lines)
    if marked is None:
        marked = _hanging_entries(lines)
    if marked is not None:
        return marked
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for i, ln in enumerate(lines, 1):
        if ln.strip():
            current.append((i, ln.strip()))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    lines_in = sum(len(b) for b in blocks)
    wrapped = len(blocks) > 1 and (
        # most entries wrapped, a few lines each
        (sum(len(b) > 1 for b in blocks) * 2 > len(blocks) and lines_in / len(blocks) <= 6)
        # or a blank line after nearly every line: entries as paragraphs, a few of them wrapped
        # (a title or a DOI run on to the next line), not one entry a line with a stray blank
        or (len(blocks) >= 3 and len(blocks) * 3 >= lines_in * 2)
    )
    if wrapped:
        return [(b[0][0], " ".join(t for _, t in b)) for b in blocks]
    return [entry for b in blocks for entry in b]


# where a Markdown list's item starts: a bullet, "12." or "12)", or "[12]"
_ITEM_MARK = re.compile(r"\s{0,3}(?:([-*+])|(\d{1,4})[.)]|\[(\d{1,4})\])\s+\S")


def _marked_entries(lines: list[str]) -> list[tuple[int, str]] | None:
    """A list whose items are marked, as Markdown writes them ("- ", "1. ", "[1] "), and some of
    them wrapped onto lines of their own: one entry an item, its lines joined. Numbers must
    follow on (12 after 11), so a wrapped line starting "2012. Title" goes on its entry. None
    when the list is not marked so, or no item is wrapped.

    >>> _marked_entries(["- Kahneman, D. (1979). Prospect theory: An", "  analysis of risk.", "- Ostrom, E. (1990)."])
    [(1, '- Kahneman, D. (1979). Prospect theory: An analysis of risk.'), (3, '- Ostrom, E. (1990).')]
    >>> _marked_entries(["1. Baigent C. Efficacy of", "2005. Lancet.", "2. Sever PS. Prevention. Lancet. 2003."])
    [(1, '1. Baigent C. Efficacy of 2005. Lancet.'), (3, '2. Sever PS. Prevention. Lancet. 2003.')]
    """
    number: int | None = None

    def starts(ln: str) -> bool:
        nonlocal number
        m = _ITEM_MARK.match(ln)
        if m is None:
            return False
        if m.group(1):  # a bullet
            return True
        n = int(m.group(2) or m.group(3))
        if number is None or n == number + 1:
            number = n
            return True
        return False

    return _grouped(lines, starts)


def _hanging_entries(lines: list[str]) -> list[tuple[int, str]] | None:
    """A list with a hanging indent, as a Markdown list reads once its bullets are dropped: an
    entry starts at the margin and its wrapped lines are indented. None unless every entry
    starts at the margin (the first line too) and some line is indented by two spaces or more.

    >>> _hanging_entries(["Kahneman, D. (1979). Prospect theory: An", "  analysis of risk.", "Ostrom, E. (1990)."])
    [(1, 'Kahneman, D. (1979). Prospect theory: An analysis of risk.'), (3, 'Ostrom, E. (1990).')]
    """

    def starts(ln: str) -> bool | None:
        if not ln[:1].isspace():
            return True
        return False if ln.startswith("  ") else None

    return _grouped(lines, starts)


def _grouped(lines: list[str], starts: Callable[[str], bool | None]) -> list[tuple[int, str]] | None:
    """Lines gathered into entries: each line that ``starts`` says begins one, the lines after it
    wrapped onto it. None when ``starts`` refuses a line (None), the first line begins nothing, no
    entry is wrapped, or there is one entry only: the list is not of this kind."""
    entries: list[list[tuple[int, str]]] = []
    wrapped = False
    for i, ln in enumerate(lines, 1):
        if not ln.strip():
            continue
        begins = starts(ln)
        if begins is None or (not begins and not entries):
            return None
        if begins:
            entries.append([(i, ln.strip())])
        else:
            entries[-1].append((i, ln.strip()))
            wrapped = True
    if not wrapped or len(entries) < 2:
        return None
    return [(e[0][0], " ".join(t for _, t in e)) for e in entries]


def parse_references(
    text: str, source: str = "<string>", labeller: Labeller | None = None, prepare: Callable[[str], str] | None = None
) -> list[Work]:
    """A whole reference list -> works in input order, never fewer than entries."""
    return parse_reference_lists([(text, source)], labeller, prepare)[0]


def parse_reference_lists(
    lists: list[tuple[str, str]], labeller: Labeller | None = None, prepare: Callable[[str], str] | None = None
) -> list[list[Work]]:
    """Many reference lists, (text, source) each -> each list's works, as :func:`parse_references`
    gives them, list by list. Their entries are labelled together, in one pass: a build's lists
    are short (20 entries each make a batch too small for the labeller's numpy steps to pay),
    and labelling an entry depends on nothing else in its batch. Each list still decides its
    own name orders and keys.

    Many small objects and no cycles: parsed with the cyclic collector off (8% less CPU on
    10,000 references), as ``kb build`` and ``kb check`` run."""
    with no_cycle_collection():
        labeller = labeller or default_labeller()
        entries = [split_entries(text) for text, _ in lists]
        # each entry labelled as ``prepare`` makes it (the markup of a list pasted from Markdown
        # dropped), and kept as it is printed, its raw text
        labelled = _label_all([prepare(raw) if prepare else raw for es in entries for _, raw in es], labeller)
        out, done = [], 0
        for (_, source), es in zip(lists, entries, strict=True):
            out.append(_works(es, labelled[done : done + len(es)], source))
            done += len(es)
        return out


def _works(entries: list[tuple[int, str]], labelled: list[_Labelled], source: str) -> list[Work]:
    """One list's labelled entries -> its works, with their problems and keys."""
    orders = list_orders(labelled)
    works: list[Work] = []
    for position, ((line, raw), item) in enumerate(zip(entries, labelled, strict=True), 1):
        parsed = _finish(item, orders)
        if works and _same_authors(parsed.csl) and works[-1].csl.get("author"):
            # "---." (MLA, Chicago's "———."): the authors of the entry above, named again
            parsed.csl["author"] = [dict(a) for a in works[-1].csl["author"]]
            parsed.et_al = works[-1].et_al
            parsed.problems = entry_problems(parsed.csl, parsed.et_al, raw)
        work = Work(csl=parsed.csl, raw=raw, source=source, line=line, position=position, et_al=parsed.et_al)
        work.problems = [Problem(code=c, message=m, source=source, line=line) for c, m in parsed.problems]
        works.append(work)
    keys = []
    for w in works:
        a = (w.csl.get("author") or w.csl.get("editor") or [{}])[0]
        keys.append(citation_key(_family(a), w.year, w.csl.get("title", "")))
    for w, key in zip(works, unique_keys(keys), strict=True):
        w.csl = {"id": key, **w.csl}
        for p in w.problems:
            p.work_id = key
    return works


_DASHES = re.compile(r"[-‐‒–—―_]{2,}\.?")


def _same_authors(csl: dict[str, Any]) -> bool:
    """An entry whose author is a run of dashes: "the same as above"."""
    names = csl.get("author") or []
    return len(names) == 1 and bool(_DASHES.fullmatch(names[0].get("family") or names[0].get("literal") or ""))


def _family(name: dict[str, str]) -> str:
    if "literal" in name:
        return name["literal"]
    return " ".join(x for x in (name.get("non-dropping-particle"), name.get("family")) if x)
