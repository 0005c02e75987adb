"""In-text citations: find them in a document and resolve each to its reference.

Detection covers parenthetical and bracketed groups "(Ostrom et al., 1978; Whitaker, 1980)",
"[Panfilio, 2008]", with text around a citation ("reviewed in Baldwin et al., 2006", "Yang et
al., 2005 and unpublished data", "Papp and Müller, G&D 2006"), bare-year continuations
"(Bovaird, 2007; 2016)", several years "(Bovaird, 2007, 2016)", "2014a, b", locators
"(Linders, 2012, p. 446)", year suffixes "2010a", "n.d." and "in press", any number of
authors with "and" or "&", particles in any case ("van der Graaf", "De la Rossa", "Nunes da
Fonseca"), names in any script and Unicode form ("Şener", "Özüak"), initials ("A. Smith,
2010"), organisations ("OECD", "National Center for Biotechnology Information"), "et al"
with or without its full stop, "and colleagues", narrative citations "Ostrom (1996)",
"Ostrom's (1996)", "Voorberg, Bekkers and Tummers (2015)", numbered citations "[1]", "[2-4]",
"[1, 5]", pandoc's "[@key]", "[@a; @b, p. 5]" and "@key", and LaTeX's "\\cite{key}",
"\\citep[p.~5]{a,b}", "\\citet", "\\parencite", "\\textcite" and their kin.

Resolution looks a citation up by normalised surname and year in an index (dictionaries,
never a loop over all references), then by fuzzy surname within the year, then by a one-digit
year typo; it never guesses between several entries that fit. A pandoc or LaTeX citation
resolves by its key. Every policy of the check (which style the document follows, whether
numbers are citations, what each message advises) is decided here, so ``kb check`` and
``kb build`` agree.
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate, chain, compress, islice
from operator import attrgetter, methodcaller
from typing import Any

import regex
from rapidfuzz import fuzz, process

from kb.normalise import apa_title, entry_problems, family, fold, german_key, name_key, name_keys, sort_key
from kb.normalise import pages as norm_pages
from kb.parallel import no_cycle_collection
from kb.records import CITATION_PROBLEMS, ERROR_PROBLEMS, Citation, Document, Passage, Problem, Work, severity_of

# Names are Unicode: a capital is any upper-case letter with its combining marks (NFD text
# keeps them apart), and particles are matched in any case ("Van Eijk", "van Eijk").
_UP = r"\p{Lu}\p{M}*"
_WORDCH = r"[\p{L}\p{M}'’‐\-]"
# van von vom da di du de del den der des della dos das la le te ten ter zu st, written so
# that the pattern compiles fast (a case-insensitive group costs twice as much at start-up)
_PARTICLE = r"(?:[vV][ao]n|[vV]om|[dD](?:[aiu]|e[lnrs]?|ella|os|as)|[lL][ae]|[tT]e[nr]?|[zZ]u|[sS]t\.?)"
_WORD = rf"{_UP}{_WORDCH}*"
# one surname: "Ostrom", "van der Graaf", "De la Rossa", "Nunes da Fonseca", "Cotta-de-Almeida"
_NAME1 = rf"(?:{_PARTICLE}\s+)*{_WORD}(?:\s+(?:{_PARTICLE}\s+)+{_WORD})?"
# in parentheses a surname may be two capitalised words ("García Márquez")
_NAME = rf"{_NAME1}(?:\s+{_WORD})?"
_ETAL = r"(?:(?:et|at)\.?\s*al\b\.?|and\s+(?:co-?workers|colleagues))"
# a year; a republished work's original year before it, "1900/1953", which cites the 1953 edition
# (an undated work's letter after a hyphen, as APA writes it: "n.d.-a", "in press-b")
_YEAR = (
    r"(?:(?:1[5-9]\d\d/)?(?:1[5-9]\d\d|20\d\d)(?:[a-z](?![\p{L}\d]))?"
    r"|(?:n\.\s?d\.|[Ii]n\s+press|[Ff]orthcoming)(?:-[a-z](?![\p{L}\d]))?)"
)
# "2008, 2011", and "2014a, b": a bare letter continues the year before it
_YEARS = rf"{_YEAR}(?:\s*,\s*(?:{_YEAR}|[a-z](?=\s*(?:[,;)\]]|$))))*"
_LOCATOR = r"(?:pp?\.|p|chap\.|ch\.|para\.|sec\.|§)\s*[\divxlc]+(?:\s*[-–]\s*[\divxlc]+)?"
# an organisation: three or more capitalised words, small words between ("National Center for
# Biotechnology Information", "1000 Genomes Project Consortium"); kept whole, never split
_ORGW = r"(?:\p{Lu}\p{M}*|\d\d)[\p{L}\p{M}\d'’\-]*"
_ORG = rf"{_ORGW}(?:\s+(?:(?:of|for|and|the|on|in|de|du|für|&)\s+)*{_UP}[\p{{L}}\p{{M}}\d'’\-]*){{2,9}}"
# the last name of a list may be two capitalised words, as a name alone may: "Cox, Arnold, and
# Villamayor Tomás 2010"
# a co-author's initials may stand before the surname: "(V. Ostrom & E. Ostrom, 1977)"
_COINITIALS = rf"(?:{_UP}\.\s*){{0,3}}"
_NAMELIST = rf"{_NAME1}(?:\s*,\s*{_COINITIALS}{_NAME1})*\s*,?\s+(?:and|&)\s+{_COINITIALS}{_NAME}"
_NAMES = rf"(?P<names>{_NAMELIST}|(?P<org>{_ORG})|{_NAME})"
# a group author's abbreviation, given at its first citation: "World Health Organization [WHO], 2020"
# (APA), "Office for National Statistics (ONS), 2022"
_ABBR = r"(?:\s*(?:\[[\p{Lu}\d&]{2,12}\]|\([\p{Lu}\d&]{2,12}\)))"
# a journal named between the authors and the year: "Papp and Müller, G&D 2006" (two capitals or "&")
_NOTE = r"(?=\S*(?:\p{Lu}\S*\p{Lu}|&))\p{Lu}[\p{L}&.]*"
# A locator after a comma ("2012, p. 446", Chicago's "2012, 45") or a colon ("2012: 446").
_LOCATOR_TAIL = (
    rf"(?:\s*,\s*(?P<locator>{_LOCATOR})|\s*:\s*(?P<page>\d+(?:\s*[-–]\s*\d+)?)"
    r"|\s*,\s*(?P<cpage>\d{1,4}(?:\s*[-–]\s*\d+)?)(?=\s*(?:[;)\]]|$)))?"
)
_LEFT = r"(?<![\p{L}\p{M}\d'’\-])"
# One citation inside a parenthesis, wherever it stands in its ';'-separated part: text before
# it ("reviewed in", "2hjr, 62% identity,") and after it ("for a review") is not part of it.
PART = regex.compile(
    rf"(?=[\p{{Lu}}vdlstz\d]){_LEFT}(?:(?P<initials>(?:{_UP}\.\s*){{1,3}}))?{_NAMES}{_ABBR}?(?P<etal>\s*,?\s*{_ETAL})?"
    rf"(?P<sep>\s*,\s*(?:(?P<note>{_NOTE})\s+)?|\s+)(?P<years>{_YEARS}){_LOCATOR_TAIL}(?![\p{{L}}\d])"
)
BARE_YEAR = rf"^(?P<years>{_YEARS})(?:\s*,\s*(?P<locator>{_LOCATOR}))?$"
# where a name can start: a capital, or a particle in lower case (a cheap test before the rest)
_START = r"(?=[\p{Lu}vdlstz\d])"
NARRATIVE = regex.compile(
    rf"{_START}(?<![\p{{L}}\p{{M}}\d'’(\[\-])(?P<names>{_NAME1}(?:\s*,\s*{_NAME1})*(?:\s*,?\s+(?:and|&)\s+{_NAME1})?)"
    rf"(?P<etal>\s+{_ETAL})?(?P<poss>['’]s?)?{_ABBR}?\s+[(\[](?P<years>{_YEARS})"
    rf"(?:\s*,\s*(?P<locator>{_LOCATOR})|\s*:\s*(?P<page>\d+(?:\s*[-–]\s*\d+)?)"
    rf"|\s*,\s*(?P<cpage>\d{{1,4}}(?:\s*[-–]\s*\d+)?))?[)\]]\Z"
)
NARRATIVE_INSIDE = NARRATIVE.pattern[:-2]
# Narrative and unbracketed citations are looked for only around what must be in them, "(2015)"
# and ", 2001": a window before each such anchor, not the whole text at every position.
_NARRATIVE_ANCHOR = re.compile(r"[(\[](?:1[5-9]\d\d|20\d\d|n\.\s?d\.|[Ii]n\s+press|[Ff]orthcoming)[^()\[\]]{0,80}[)\]]")
_RUNNING_ANCHOR = re.compile(r",\s*(?:1[5-9]\d\d|20\d\d)")
# "et al. 1994" without its comma: a pattern of its own, each starting with a literal that re
# finds fast (one alternation of the two read a text ten times slower)
_ET_AL_ANCHOR = re.compile(r"al\b\.?\s*(?:1[5-9]\d\d|20\d\d)")
_WINDOW = 200
# Outside parentheses only the unmistakable: "as described by Kessler and Baldwin, 2001",
# "Steppuhn et al., 2008" (several authors or "et al.", a comma, a year), and "et al." straight
# before a year ("Ostrom at al. 1994, 33"), a citation whose parentheses or comma were left out
RUNNING = (
    rf"{_START}{_LEFT}(?P<names>{_NAMELIST}|{_NAME1}(?=\s*,?\s*{_ETAL}))(?P<etal>\s*,?\s*{_ETAL})?"
    rf"(?:\s*,\s*|(?<=\bal\b\.?)\s+)(?P<years>{_YEARS})(?![\p{{L}}\d])"
)


@cache
def _compiled(pattern: str) -> regex.Pattern:
    """A pattern compiled when first needed: a check that never meets a bare-year continuation
    or an unbracketed citation does not pay the ~15 ms it takes to compile those two."""
    return regex.compile(pattern)


# a parenthesis (one level of parentheses inside it: "(Bovaird et al (2007); see also ...)") or a
# bracket; re, not regex (no Unicode class here), and runs taken whole, never given back (nothing
# could match if they were), not one character per step of the loop
GROUP = re.compile(r"\(((?:[^()]++|\([^()]*+\))*+)\)|\[([^\[\]]*+)\]")
# "[1]", "[2-4]", "[1, 5]", and PLOS's "[1]–[5]"; never "F[1,12]" (a letter or digit before
# it), a Markdown link "[1](...)" or a link definition "[1]: https://..."
# A reference number has at most six digits: "[" + 4,301 nines + "]" is not a citation.
NUMBERED = re.compile(
    r"(?<![\w\]])\[(\d{1,6}(?:\s*[-–]\s*\d{1,6})?(?:\s*,\s*\d{1,6}(?:\s*[-–]\s*\d{1,6})?)*)\]"
    r"(?:\s*[-–]\s*\[(\d{1,6})\])?(?!\(|:\s*\S+://)"
)
# Numbers as superscripts, as Nature and the medical journals cite: HTML's "<sup>1,2</sup>" and
# pandoc's "^3–5^" (what pandoc writes for a Word draft's superscripts). After a word of three
# letters or more, or punctuation: "m^2^", "km<sup>2</sup>" and "x^2^" are units and powers.
_NUMS = r"\d{1,6}(?:\s*[-–]\s*\d{1,6})?(?:\s*,\s*\d{1,6}(?:\s*[-–]\s*\d{1,6})?)*"
SUPERSCRIPT = regex.compile(
    rf"(?:(?<=\p{{L}}{{3}})|(?<=\p{{L}}{{2}}-[\p{{L}}\d]{{1,3}})|(?<=[.,;:)\]’”'\"]))(?:<sup>\s*({_NUMS})\s*</sup>|\^({_NUMS})\^)(?!\d)"
)
# Unicode's superscript digits, as text copied from a PDF or a web page has them: "biomass¹,²",
# "agreed.³⁻⁵". Starting with a digit, after the same as above ("m²" is a unit, "mol⁻¹" a power).
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_SUPNUM = rf"[{SUPERSCRIPT_DIGITS}]{{1,4}}(?:\s?[⁻–\-]\s?[{SUPERSCRIPT_DIGITS}]{{1,4}})?"
UNICODE_SUPERSCRIPT = regex.compile(
    rf"(?:(?<=\p{{L}}{{3}})|(?<=\p{{L}}{{2}}-[\p{{L}}\d]{{1,3}})|(?<=[.,;:)\]’”'\"]))"
    rf"({_SUPNUM}(?:\s?,\s?{_SUPNUM})*)(?![{SUPERSCRIPT_DIGITS}\d])"
)
_SUPERSCRIPT_DIGIT = re.compile(f"[{SUPERSCRIPT_DIGITS}]")
_FROM_SUPERSCRIPT = str.maketrans(SUPERSCRIPT_DIGITS + "⁻", "0123456789-")
# pandoc: "[@key]", "[see @a, p. 5; -@b]" and narrative "@key"; keys end in a letter, digit or _
_KEY = r"[\p{L}\d_](?:[\p{L}\d_:.#$%&+?<>~/\-]*[\p{L}\d_])?"
PANDOC_GROUP = regex.compile(r"\[([^\[\]]*@[^\[\]]*)\]")
PANDOC_KEY = regex.compile(rf"(?<![\p{{L}}\d_.])-?@(?P<key>{_KEY})")
PANDOC_NARRATIVE = regex.compile(rf"(?<![\p{{L}}\d_.@\\\-/])@(?P<key>{_KEY})")
# LaTeX: \cite, \citep, \citet, \parencite, \textcite, \autocite ... with up to two [..] arguments
LATEX = regex.compile(
    r"\\(?P<cmd>[Cc]ite(?:p|t|alp|alt|author|year|yearpar|num)?|[Pp]arencite|[Tt]extcite|[Aa]utocite|[Ff]ootcite"
    r"|[Ss]martcite|[Ss]upercite|[Ff]ullcite)\*?(?P<opts>(?:\s*\[[^\]]*\]){0,2})\s*\{(?P<keys>[^{}]*)\}"
)
_LATEX_COMMENT = re.compile(r"(?<!\\)%")
_LATEX_NARRATIVE = {"citet", "textcite", "Textcite", "citeauthor", "Citet", "citealt"}
# Capitalised words that start sentences and never name an author.
_NOT_NAMES = {
    "In",
    "The",
    "During",
    "Since",
    "From",
    "Until",
    "By",
    "After",
    "Before",
    "And",
    "Of",
    "On",
    "At",
    "For",
    "To",
    "As",
    "This",
    "That",
    "These",
    "Those",
    "Table",
    "Figure",
    "Picture",
    "See",
    "Fig",
    "Figures",
    "Tables",
    "Supplementary",
    "Appendix",
    "Section",
    "Chapter",
    "Box",
    "Eq",
    "Equation",
    "Also",
    "Reviewed",
    "Described",
    "Adapted",
    "Modified",
    "Data",
    "Source",
    "Both",
    "All",
    "We",
    "Our",
    "Here",
    "There",
    "When",
    "While",
    "Where",
    "However",
    "Thus",
}
# a name that is really a month or a season before a year: "In December (2018)"
_DATE_WORDS = {
    "December",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "Spring",
    "Summer",
    "Autumn",
    "Winter",
    "Fall",
}
_NOT_NAMES |= _DATE_WORDS  # months and seasons start sentences too


@dataclass
class Reference:
    """What the resolver needs to know of one reference-list entry."""

    position: int  # 1-based
    work_id: str
    families: list[str]
    year: int | None
    suffix: str = ""
    et_al: bool = False
    title: str = ""
    initial: str = ""  # the first author's first initial, folded: "a" for "Ángela"
    in_press: bool = False
    label: str = ""  # the list's own number ("12" of "[12]"), when it has one
    initials: str = ""  # the first author's initials as cited: "A." or "J. P."
    abbreviation: str = ""  # an organisation's, printed after its name in the list: "ONS"
    pages: tuple[int, int] | None = None  # first and last page, "1649–72" -> (1649, 1672)

    @property
    def n_authors(self) -> int:
        return 99 if self.et_al else len(self.families)


_GIVEN = regex.compile(r"\p{L}[\p{L}\p{M}]*")


# an organisation's abbreviation after its name in the list: "Office for National Statistics (ONS)"
_LISTED_ABBR = regex.compile(r"(.+?)\s*(?:\[([\p{Lu}\d&]{2,12})\]|\(([\p{Lu}\d&]{2,12})\))")


def reference_from_work(work: Work, position: int) -> Reference:
    families = [family(a) for a in work.authors]
    abbreviation = ""
    listed = _LISTED_ABBR.fullmatch(families[0]) if families else None
    if listed:  # cited by its name, "(Office for National Statistics, 2022)", or by "ONS"
        families[0], abbreviation = listed.group(1), listed.group(2) or listed.group(3)
    issued = (work.csl.get("issued") or {}).get("date-parts") or [[None]]
    year = issued[0][0] if issued and issued[0] else None
    suffix = str(work.csl.get("year-suffix") or "")
    given = (work.authors[0].get("given") or "") if work.authors else ""
    initial = fold(given[:1]).lower()
    in_press = str(work.csl.get("status") or "").lower() in ("in press", "forthcoming")
    label = str(work.csl.get("citation-label") or "").strip("[]. ")
    initials = " ".join(w[0] + "." for w in _GIVEN.findall(given))
    return Reference(
        position,
        work.id,
        families,
        year,
        suffix,
        work.et_al,
        work.csl.get("title", ""),
        initial,
        in_press,
        label,
        initials,
        abbreviation,
        _page_span(str(work.csl.get("page") or "")),
    )


_PAGE_SPAN = re.compile(r"(\d{1,6})(?:-(\d{1,6}))?")


def _page_span(page: str) -> tuple[int, int] | None:
    """The first and last page of a CSL page field, when they are numbers.

    >>> _page_span("1649–72"), _page_span("282"), _page_span("e1002345")
    ((1649, 1672), (282, 282), None)
    """
    m = _PAGE_SPAN.fullmatch(norm_pages(page)) if page else None
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2) or m.group(1))


class ReferenceIndex:
    """Look references up by (surname key, year), by surname key and by year."""

    def __init__(self, references: list[Reference], suffix: dict[int, str] | None = None):
        self.references = references
        self.suffix = suffix or {}  # index -> the a/b letter APA would give it
        self.style = APA
        self.by_key_year: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_year: dict[int | None, list[int]] = defaultdict(list)
        self.by_id: dict[str, int] = {}
        self.by_label: dict[str, int] = {}
        self.year_affix: dict[tuple[int | None, str], list[str]] = defaultdict(list)
        self.core_of: dict[str, str] = {}
        self.year_key_refs: dict[tuple[int | None, str], list[int]] = defaultdict(list)
        for i, ref in enumerate(references):
            self.by_id.setdefault(ref.work_id, i)
            if ref.label:
                self.by_label.setdefault(ref.label, i)
            first = ref.families[0] if ref.families else ""
            for key in name_keys(first) | (name_keys(ref.abbreviation) if ref.abbreviation else frozenset()):
                self.by_key_year[(key, ref.year)].append(i)
                self.by_key[key].append(i)
            self.by_year[ref.year].append(i)
            main = name_key(first)
            if (ref.year, main) not in self.year_key_refs:
                core = sort_key(first)
                self.core_of[main] = core
                for end in {main[:2], main[-2:], core[:2], core[-2:]}:
                    self.year_affix[(ref.year, end)].append(main)
            self.year_key_refs[(ref.year, main)].append(i)
        self._by_authors: dict[tuple[int | None, tuple[str, ...]], list[int]] | None = None

    def by_authors(self, year: int | None, names: list[str]) -> list[int]:
        """Entries of that year whose authors are ``names`` in any order, a printed "et al."
        aside (the index made at the first call: a scan of the year's entries for every
        citation was a sixth of ``kb check`` on a long draft)."""
        if self._by_authors is None:
            self._by_authors = defaultdict(list)
            for i, ref in enumerate(self.references):
                if ref.families and not ref.et_al:
                    self._by_authors[(ref.year, tuple(sorted(map(name_key, ref.families))))].append(i)
        return self._by_authors.get((year, tuple(sorted(name_key(n) for n in names))), [])

    def exact(self, surname: str, year: int | None) -> list[int]:
        found: set[int] = set()
        for key in name_keys(surname):
            found.update(self.by_key_year.get((key, year), ()))
        return sorted(found)

    def fuzzy(self, surname: str, year: int | None, cutoff: float = 80) -> list[int]:
        """Entries of that year whose first author is spelt almost the same: the best surname,
        and any within 5 points of it.

        Candidates share the first two or the last two letters with the name as printed (one
        typo leaves one end intact), so a year's bucket is searched, not every reference."""
        query = name_key(surname)
        core = sort_key(surname)
        keys: list[str] = []
        for q in (query, core):
            for end in (q[:2], q[-2:]):
                keys.extend(self.year_affix.get((year, end), ()))
        if not keys:
            return []
        keys = list(dict.fromkeys(keys))
        hits = process.extract(query, keys, scorer=fuzz.ratio, score_cutoff=cutoff, limit=3)
        if not hits and core != query:
            # particles: "Graaff" against "van der Graaf" (compared without the particles)
            hits = process.extract(
                core, [self.core_of[k] for k in keys], scorer=fuzz.ratio, score_cutoff=cutoff, limit=3
            )
        if not hits:
            return []
        best = hits[0]
        chosen = [keys[h[2]] for h in hits if best[1] - h[1] < 5]
        refs = sorted({i for k in chosen for i in self.year_key_refs[(year, k)]})
        return refs

    def same_author(self, surname: str) -> list[int]:
        found: set[int] = set()
        for key in name_keys(surname):
            found.update(self.by_key.get(key, ()))
        return sorted(found)

    def one_typo_off(self, surname: str, year: int) -> list[int]:
        """Entries of that surname whose year is one typo away from ``year``: the surname's few
        entries filtered, not the index asked once per year one typo away (some forty)."""
        near = _year_variants(str(year))
        return [i for i in self.same_author(surname) if self.references[i].year in near]


@cache
def _year_variants(year: str) -> frozenset[int]:
    """Every year one typo away: one digit changed, or two neighbours swapped; and the years
    either side, a work cited by the year it came out online and listed by its print year.

    >>> 1978 in _year_variants("1878"), 1978 in _year_variants("1987"), 2009 in _year_variants("1998")
    (True, True, False)
    >>> 1990 in _year_variants("1989"), 2020 in _year_variants("2019"), 1991 in _year_variants("1989")
    (True, True, False)
    """
    out = {str(int(year) - 1), str(int(year) + 1)}
    for i in range(len(year)):
        for d in "0123456789":
            if d != year[i]:
                out.add(year[:i] + d + year[i + 1 :])
        if i + 1 < len(year) and year[i] != year[i + 1]:
            out.add(year[:i] + year[i + 1] + year[i] + year[i + 2 :])
    return frozenset(int(y) for y in out if y[0] != "0")


# ---------------------------------------------------------------------------------------------
# Detection


_LEADING_INITIALS = regex.compile(r"^(?:\p{Lu}\p{M}*\.\s*)+(?=\p{L})")
_NAME_SEP = regex.compile(r"\s*,\s*(?:and\s+|&\s*)?|\s+(?:and|&)\s+")
_POSSESSIVE = regex.compile(r"(?<=\p{L}\p{M}*)['’]s?$")
_YEAR_OR_LETTER = regex.compile(rf"{_YEAR}|(?<![\p{{L}}\d])[a-z](?![\p{{L}}\d.])")
_DATED = re.compile(r"\d|n\.\s?d\.|[Ii]n\s+press|[Ff]orthcoming")  # what a citation group must hold
_LATEX_KEY = re.compile(r"[^,\s][^,]*")


def _split_names(names: str) -> list[str]:
    parts = _NAME_SEP.split(names.strip())
    return [_LEADING_INITIALS.sub("", p) for p in (p.strip() for p in parts) if p]


def _possessive(name: str) -> str:
    """ "Ostrom's" -> "Ostrom", "Jones’" -> "Jones"; "O'Carroll" stays."""
    return _POSSESSIVE.sub("", name)


def detect(document: Document) -> list[Citation]:
    """Every in-text citation in a document, in document order, with exact spans: author-year,
    numbered ("[3]", whatever the list: whether a number is right is the check's decision),
    pandoc ("[@key]") and LaTeX ("\\cite{key}")."""
    with no_cycle_collection():
        return _detect(document)


class _Passage:
    """One paragraph being scanned: the citations found so far, the spans they take (a later,
    looser form never reads inside them), and a group number per parenthesis or command."""

    def __init__(self, document: Document, passage: Passage, group: int):
        self.document = document
        self.passage = passage
        self.body = passage.text
        self.base = passage.start
        self.taken: list[tuple[int, int]] = []
        self.group = group
        self.found: list[Citation] = []
        self._starts: list[int] | None = None  # the taken spans' starts, sorted, while none is taken
        self._reach: list[int] = []  # the furthest end of the spans up to each of those starts

    def free(self, start: int, end: int) -> bool:
        """No span read so far overlaps start:end. By bisection: the looser forms ask this of
        every ", 2001" and "(2015)" in a paragraph, most of them inside parentheses already read."""
        if self._starts is None:
            spans = sorted(self.taken)
            self._starts = [s for s, _ in spans]
            self._reach = list(accumulate((e for _, e in spans), max))
        i = bisect_left(self._starts, end)  # the spans that start before ``end``
        return i == 0 or self._reach[i - 1] <= start

    def gaps(self) -> list[tuple[int, int]]:
        """The stretches of the paragraph no span read so far touches, in order. An anchor that
        does not fit in one is not free: a scan of these finds the anchors worth reading without
        stepping over each ", 2001" inside the parentheses already read."""
        out, pos = [], 0
        for s, e in sorted(self.taken):
            if s > pos:
                out.append((pos, s))
            pos = max(pos, e)
        if pos < len(self.body):
            out.append((pos, len(self.body)))
        return out

    def take(self, start: int, end: int) -> int:
        """Mark a span as read; the group number of what is in it."""
        self.taken.append((start, end))
        starts, reach = self._starts, self._reach
        if starts is not None:
            # kept in order as each span is taken, not sorted again at the next question: that was
            # quadratic (20,000 numbers in one paragraph, 39 s). A span ends before the next one
            # starts, so the reach after it rarely moves.
            i = bisect_right(starts, start)
            starts.insert(i, start)
            reach.insert(i, max(reach[i - 1], end) if i else end)
            j = i + 1
            while j < len(reach) and reach[j] < end:
                reach[j] = end
                j += 1
        self.group += 1
        return self.group

    def add(self, start: int, end: int, group: int, **fields) -> None:
        """A citation at passage offsets start:end."""
        s, e = self.base + start, self.base + end
        self.found.append(
            Citation(
                id="",
                document_id=self.document.id,
                passage_id=self.passage.id,
                start=s,
                end=e,
                text=self.document.text[s:e],
                group=group,
                **fields,
            )
        )

    def place(self, cites: list[Citation], group: int) -> None:
        """Citations made with passage offsets: move them to document offsets."""
        for c in cites:
            c.start += self.base
            c.end += self.base
            c.document_id = self.document.id
            c.passage_id = self.passage.id
            c.text = self.document.text[c.start : c.end]
            c.group = group
        self.found.extend(cites)

    def latex(self, in_tex_file: bool) -> None:
        """\\cite{a,b}, \\citep[see][p.~5]{a}, \\textcite{a}...: one citation per key."""
        body = self.body
        if "\\" not in body:
            return
        for m in LATEX.finditer(body):
            if in_tex_file and _LATEX_COMMENT.search(body, body.rfind("\n", 0, m.start()) + 1, m.start()):
                continue  # "% \\cite{old}": a comment in a .tex file
            group = self.take(m.start(), m.end())
            narrative = m.group("cmd") in _LATEX_NARRATIVE
            locator = _latex_locator(m.group("opts"))
            offset = m.start("keys")
            for km in _LATEX_KEY.finditer(m.group("keys")):
                key = km.group(0).strip()
                self.add(
                    offset + km.start(),
                    offset + km.start() + len(key),
                    group,
                    names=[],
                    et_al=False,
                    year="",
                    key=key,
                    narrative=narrative,
                    locator=locator,
                )

    def pandoc(self) -> None:
        """[@a; see @b, p. 5; -@c] and narrative @a."""
        body = self.body
        for m in PANDOC_GROUP.finditer(body):
            if not self.free(m.start(), m.end()) or not PANDOC_KEY.search(m.group(1)):
                continue
            group = self.take(m.start(), m.end())
            for offset, part in _split_parts(m.group(1)):
                km = PANDOC_KEY.search(part)
                if km is not None:
                    rest = part[km.end() :].strip(" ,")
                    self.add(
                        m.start(1) + offset + km.start(),
                        m.start(1) + offset + len(part),
                        group,
                        names=[],
                        et_al=False,
                        year="",
                        key=km.group("key"),
                        locator=rest or None,
                    )
        for m in PANDOC_NARRATIVE.finditer(body):
            if self.free(m.start(), m.end()):
                self.add(
                    m.start(),
                    m.end(),
                    self.take(m.start(), m.end()),
                    names=[],
                    et_al=False,
                    year="",
                    key=m.group("key"),
                    narrative=True,
                )

    def groups(self) -> None:
        """Author-date citations in parentheses and brackets, ';'-separated."""
        # Parentheses never overlap one another: only what the keys took can be in their way.
        keys = list(self.taken)
        body = self.body
        for m in GROUP.finditer(body):
            if keys and any(s < m.end() and m.start() < e for s, e in keys):
                continue
            if _PLAIN_GROUP.fullmatch(body, m.start(), m.end()) and self.plain(m.start(), m.end()):
                continue
            inner = m.group(1) if m.group(1) is not None else m.group(2)
            inner_start = m.start(1) if m.group(1) is not None else m.start(2)
            if not _DATED.search(inner):
                continue
            previous: Citation | None = None
            cites: list[Citation] = []
            for offset, part in _split_parts(inner):
                these = _parse_part(part, inner_start + offset, previous)
                previous = these[-1] if these else None
                cites.extend(these or ())
            if cites:
                self.place(cites, self.take(m.start(), m.end()))

    def plain(self, start: int, end: int) -> bool:
        """The citations of a parenthesis of plain pieces only, "(Ostrom, 1996; Parks et al., 1978)",
        read as ``_plain_part`` reads each piece but in one scan of the parenthesis, and made where
        they stand; False, and nothing read, when a first word names no author ("(In, 2010)"): the
        general reading decides those."""
        pieces = list(_PLAIN_PIECE.finditer(self.body, start, end))
        for p in pieces:  # a loop, not any() over a generator: this runs for every parenthesis
            if p.group(1) in _NOT_NAMES:
                return False
        group = self.take(start, end)
        base, text = self.base, self.document.text
        document_id, passage_id = self.document.id, self.passage.id
        for p in pieces:
            first, second, etal, year, locator = p.groups()
            s, e = base + p.start(), base + (p.end() if locator else p.end(4))
            self.found.append(
                Citation(
                    "",
                    document_id,
                    passage_id,
                    s,
                    e,
                    text[s:e],
                    [first, second] if second else [first],
                    etal is not None,
                    year,
                    locator,
                    group,
                    raw_etal="et al." if etal else "",
                )
            )
        return True

    def narratives(self) -> None:
        """ "Ostrom (1996)", "Voorberg, Bekkers and Tummers (2015)": looked for only before a "(year)"."""
        body = self.body
        for a in _NARRATIVE_ANCHOR.finditer(body):
            if not self.free(a.start(), a.end()):
                continue
            m = NARRATIVE.search(body, max(0, a.start() - _WINDOW), a.end())
            if m is None:
                continue
            names = _split_names(m.group("names"))
            names[-1] = _possessive(names[-1])
            start = m.start()
            # "In Europe, Voorberg and Tummers (2015)": words that never name an author are dropped
            while len(names) > 1 and (names[0] in _NOT_NAMES or names[0].split()[0] in _NOT_NAMES):
                names.pop(0)
                start = body.index(names[0], start)
            if names[0] in _NOT_NAMES or names[0].split()[-1] in _NOT_NAMES:
                continue
            raw_etal = (m.group("etal") or "").strip()
            cites = [
                Citation(
                    id="",
                    document_id="",
                    passage_id=None,
                    start=start,
                    end=m.end(),
                    text="",
                    names=list(names),
                    et_al=bool(raw_etal),
                    year=y,
                    locator=_narrative_locator(m),
                    narrative=True,
                    raw_etal=raw_etal,
                )
                for y, _, _ in _years(m.group("years"))
            ]
            self.place(cites, self.take(start, m.end()))

    def running(self) -> None:
        """ "as described by Kessler and Baldwin, 2001": looked for only around a ", year"."""
        body = self.body
        et_al = _ET_AL_ANCHOR.search(body) is not None  # seldom: merged in only where there is one
        anchors = (
            heapq.merge(_RUNNING_ANCHOR.finditer(body, lo, hi), _ET_AL_ANCHOR.finditer(body, lo, hi), key=_START_OF)
            if et_al
            else _RUNNING_ANCHOR.finditer(body, lo, hi)
            for lo, hi in self.gaps()
        )
        for a in chain.from_iterable(anchors):
            if not self.free(a.start(), a.end()):  # what this loop took since
                continue
            window = _compiled(RUNNING).finditer(body, max(0, a.start() - _WINDOW), min(len(body), a.end() + 60))
            m = next((m for m in window if m.start() <= a.start() < m.end()), None)
            if m is None or not self.free(m.start(), m.end()):
                continue
            names = _split_names(m.group("names"))
            if names[0].split()[0] in _NOT_NAMES:
                continue
            raw_etal = (m.group("etal") or "").strip(" ,")
            cites = _year_citations(
                m.group("years"),
                m.start("years"),
                0,
                names,
                bool(raw_etal),
                raw_etal,
                False,
                None,
                m.end(),
                first_start=m.start("names"),
            )
            self.place(cites, self.take(m.start(), m.end()))

    def numbers(self) -> None:
        """[1], [2-4], [1, 5], [1]–[5]; superscripts <sup>1,2</sup>, ^3–5^ and ³⁻⁵."""
        if "<sup>" in self.body or "^" in self.body:
            for m in SUPERSCRIPT.finditer(self.body):
                if self.free(m.start(), m.end()):
                    group = self.take(m.start(), m.end())
                    for n in _expand_numbers(m.group(1) or m.group(2)):
                        self.add(m.start(), m.end(), group, names=[], et_al=False, year="", number=n)
        if _SUPERSCRIPT_DIGIT.search(self.body):
            for m in UNICODE_SUPERSCRIPT.finditer(self.body):
                if self.free(m.start(), m.end()):
                    group = self.take(m.start(), m.end())
                    for n in _expand_numbers(m.group(1).translate(_FROM_SUPERSCRIPT)):
                        self.add(m.start(), m.end(), group, names=[], et_al=False, year="", number=n)
        if "[" not in self.body:
            return
        for m in NUMBERED.finditer(self.body):
            if not self.free(m.start(), m.end()):
                continue
            group = self.take(m.start(), m.end())
            spec = m.group(1) + (f"-{m.group(2)}" if m.group(2) else "")
            for n in _expand_numbers(spec):
                self.add(m.start(), m.end(), group, names=[], et_al=False, year="", number=n)


def _detect(document: Document) -> list[Citation]:
    in_tex_file = document.latex
    found: list[Citation] = []
    group = 0
    for passage in document.passages:
        scan = _Passage(document, passage, group)
        # the most explicit forms first: keys, then parentheses, then the looser narrative forms
        scan.latex(in_tex_file)
        if "@" in scan.body:
            scan.pandoc()
        scan.groups()
        scan.narratives()
        scan.running()
        scan.numbers()
        found.extend(scan.found)
        group = scan.group
    found = _in_reading_order(document, found)
    for c in found:
        assert document.text[c.start : c.end] == c.text
    return found


def _in_reading_order(document: Document, citations: list[Citation]) -> list[Citation]:
    """The citations in the order the text reads them, each given its id by its place: c1, c2..."""
    citations.sort(key=attrgetter("start", "end"))
    for i, c in enumerate(citations, 1):
        c.id = f"{document.id}/c{i}"
    return citations


def _latex_locator(opts: str) -> str | None:
    """The postnote of \\citep[see][p.~5]{key} (the last optional argument), as printed."""
    args = regex.findall(r"\[([^\]]*)\]", opts or "")
    return args[-1].replace("~", " ").strip() or None if args else None


# the longest range of reference numbers read as every number in it: past that, "[1–300]" against
# a list of 3 is a slip, read as its two ends (one 'no entry [300]', not 297)
RANGE_MAX = 50
_RANGE = re.compile(r"(\d+)\s*[-–]\s*(\d+)")


def _expand_numbers(spec: str) -> list[int]:
    """
    >>> _expand_numbers("1, 3-5"), _expand_numbers("1–300"), _expand_numbers("3–1")
    ([1, 3, 4, 5], [1, 300], [3, 1])
    """
    out: list[int] = []
    for piece in re.split(r"\s*,\s*", spec):
        if re.search(r"[-–]", piece):
            a, b = (int(x) for x in re.split(r"\s*[-–]\s*", piece))
            out.extend(range(a, b + 1) if 0 <= b - a < RANGE_MAX else [a, b])
        else:
            out.append(int(piece))
    return out


def _narrative_locator(m: regex.Match) -> str | None:
    """The locator of a narrative citation: "p. 19" of "Putnam (2000, p. 19)", "(2000: 19)" and
    Chicago's "(2000, 19)"."""
    if m.group("page"):
        return f"p. {m.group('page')}"
    return m.group("locator") or m.group("cpage")


def _split_parts(inner: str) -> Iterable[tuple[int, str]]:
    pos = 0
    for piece in inner.split(";"):
        stripped = piece.strip()
        lead = len(piece) - len(piece.lstrip())
        yield pos + lead, stripped
        pos += len(piece) + 1


def _years(years: str) -> list[tuple[str, int, int]]:
    """The years of "2008, 2011" or "2014a, b" as printed, with their offsets; a bare letter
    takes the year before it ("b" of "2014a, b" is "2014b")."""
    out: list[tuple[str, int, int]] = []
    for ym in _YEAR_OR_LETTER.finditer(years):
        y = ym.group(0)
        if y[4:5] == "/":  # "1900/1953": the edition cited is the later one, the list's year
            y = y[5:]
        if len(y) == 1 and out and out[-1][0][:4].isdigit():
            y = out[-1][0][:4] + y
        elif len(y) == 1:
            continue
        out.append((" ".join(y.split()), ym.start(), ym.end()))
    return out


# The form most citations take, in plain ASCII: "Ostrom, 1996", "Ostrom & Parks, 1978a",
# "Ostrom and Parks, 1978", "Ostrom et al., 1978, p. 5". PART reads a piece that is exactly this
# the same way (one name or a pair, one year, the locator to the end) at several times the cost.
_PLAIN_FORM = r"([A-Z][a-z]+)(?:(?: & | and )([A-Z][a-z]+)|( et al\.))?, ((?:1[5-9]\d\d|20\d\d)[a-z]?)(?:, (p\. \d+))?"
_PLAIN = re.compile(_PLAIN_FORM)
# a parenthesis of plain pieces only, "; " between them, and each piece in it (no piece holds
# "(" or ";", so a piece starts only after one of them)
_PLAIN_GROUP = re.compile(rf"\({_PLAIN_FORM}(?:; {_PLAIN_FORM})*\)")
_PLAIN_PIECE = re.compile(rf"(?:(?<=\()|(?<=; )){_PLAIN_FORM}(?=; |\))")


def _plain_part(part: str, start: int) -> Citation | None:
    """The one citation of a piece in the plain form, as PART would read it; None for any other
    piece, and for a first word that names no author ("In", "Table"), which PART decides."""
    m = _PLAIN.fullmatch(part)
    if m is None:
        return None
    first, second, etal, year, locator = m.groups()
    if first in _NOT_NAMES:
        return None
    return Citation(
        id="",
        document_id="",
        passage_id=None,
        start=start,
        end=start + (m.end() if locator else m.end(4)),
        text="",
        names=[first, second] if second else [first],
        et_al=etal is not None,
        year=year,
        locator=locator,
        raw_etal="et al." if etal else "",
    )


_LEADING_NAMES = regex.compile(rf"({_NAME1}(?:\s*,\s*{_NAME1})*)\s*,\s*")
_PUBLISHED_BY = re.compile(r"\b(?:Press|Publish\w*|Verlag|Books)$")
_CITED_IN = re.compile(r"\b(?:as\s+)?(?:cited|quoted)\s+in\b", re.I)


def _parse_part(part: str, start: int, previous: Citation | None) -> list[Citation] | None:
    """One ';'-separated piece of a parenthesis -> the citations in it, or None."""
    plain = _plain_part(part, start)
    return [plain] if plain is not None else _parse_any_part(part, start, previous)


def _parse_any_part(part: str, start: int, previous: Citation | None) -> list[Citation] | None:
    """What ``_parse_part`` reads in a piece of any form."""
    out: list[Citation] = []
    pos = 0
    while pos < len(part):
        m = PART.search(part, pos)
        if not m:
            break
        g = m.groupdict()  # one call, not eleven: this runs once per citation
        names = [g["org"]] if g["org"] else _split_names(g["names"])
        first_word = names[0].split()[0]
        lone = "," in g["sep"] and len(names) == 1 and names[0] == first_word  # "(Both, 1967)" is a citation
        if g["org"] and _PUBLISHED_BY.search(names[0]) and part[: m.start()].rstrip().endswith(":"):
            # a note's publication facts, "(Cambridge: Cambridge University Press, 1990)", cite nothing
            pos = m.end()
            continue
        if not g["etal"] and (names[0] in _DATE_WORDS or (first_word in _NOT_NAMES and not lone)):
            # "Table 1 Smith, 2010", "In Smith and Jones, 2010", "December 2018": look again after the word
            pos = m.start("names") + len(first_word)
            continue
        raw_etal = (g["etal"] or "").strip(" ,")
        missing_comma = "," not in g["sep"]
        locator = g["locator"] or (f"p. {g['page']}" if g["page"] else None) or g["cpage"]
        first_start = m.start("names")
        if not out and not g["org"] and not g["initials"]:
            # "(Tversky, Kahneman, 1992)": names before, commas only between them, the '&' left out
            lead = _LEADING_NAMES.fullmatch(part, 0, m.start("names"))
            if lead:
                names = _split_names(lead.group(1)) + names
                first_start = 0
        cites = _year_citations(
            g["years"],
            m.start("years"),
            start,
            names,
            bool(raw_etal),
            raw_etal,
            missing_comma,
            locator,
            m.end(),
            first_start=first_start,
            continuation=False,
            initials=(g["initials"] or "").strip(),
        )
        out.extend(cites)
        pos = m.end()
    if out:
        # "Taylor 1911, as cited in Green 2005a": the work read is the one cited in; the other is
        # not in the list, on purpose (APA 8.6), and is no citation of it
        secondary = _CITED_IN.search(part)
        if secondary is not None:
            out = [c for c in out if c.start >= start + secondary.end()] or out
        return out
    m = _compiled(NARRATIVE_INSIDE).search(part) if "(" in part or "[" in part else None
    if m:  # "(Bovaird et al (2007); ...)": a narrative form inside a parenthesis, read as one citation
        names = _split_names(m.group("names"))
        raw_etal = (m.group("etal") or "").strip()
        cites = _year_citations(
            m.group("years"),
            m.start("years"),
            start,
            names,
            bool(raw_etal),
            raw_etal,
            True,
            _narrative_locator(m),
            m.end(),
            first_start=m.start("names"),
        )
        cites[-1].end = start + m.end()  # the closing parenthesis of the year is part of it
        return cites
    m = _compiled(BARE_YEAR).match(part) if previous is not None else None
    if m and previous is not None:
        return _year_citations(
            m.group("years"),
            0,
            start,
            previous.names,
            previous.et_al,
            previous.raw_etal,
            False,
            m.group("locator"),
            len(part),
            first_start=0,
            continuation=True,
            initials=previous.initials,
        )
    return None


def _year_citations(
    years: str,
    years_start: int,
    start: int,
    names: list[str],
    et_al: bool,
    raw_etal: str,
    missing_comma: bool,
    locator: str | None,
    end: int,
    first_start: int,
    continuation: bool = False,
    initials: str = "",
) -> list[Citation]:
    cites = []
    found = _years(years)
    for i, (y, ys, ye) in enumerate(found):
        y_start = years_start + ys
        y_end = years_start + ye
        if i == 0 and not continuation:
            s, e = first_start, y_end
        else:
            s, e = y_start, y_end
        if i == len(found) - 1 and locator:
            e = end
        c = Citation(
            id="",
            document_id="",
            passage_id=None,
            start=start + s,
            end=start + e,
            text="",
            names=list(names),
            et_al=et_al,
            year=y,
            locator=locator,
        )
        c.raw_etal = raw_etal
        c.missing_comma = missing_comma and i == 0 and not continuation
        c.continuation = continuation or i > 0
        c.initials = initials
        cites.append(c)
    return cites


# ---------------------------------------------------------------------------------------------
# Resolution


@dataclass(frozen=True)
class Style:
    """The author-date style a document follows, read from how it writes its citations; every
    form the check advises follows it, and every message names it."""

    name: str
    joiner: str  # between the last two authors in parentheses: "&" (APA) or "and"
    comma: bool  # a comma between the authors and the year: "(Ostrom, 1996)"
    et_al_from: int  # the first author and "et al." from this many authors on
    serial_comma: bool  # "Smith, Jones, and Brown" (Chicago) against "Smith, Jones and Brown"


APA = Style("APA 7", "&", True, 3, True)
HARVARD = Style("Harvard", "and", True, 4, False)
CHICAGO = Style("Chicago author-date", "and", False, 4, True)


def document_style(citations: list[Citation]) -> Style:
    """APA 7 ("Ostrom & Parks, 1978"), Harvard ("Ostrom and Parks, 1978") or Chicago author-date
    ("Ostrom and Parks 1978"), by how most of the document's parenthetical citations are written;
    APA 7 when it cannot tell.

    >>> def cite(text, names):
    ...     return Citation("", "", None, 0, len(text), text, names, False, "1978", missing_comma="," not in text)
    >>> document_style([cite("Ostrom & Parks, 1978", ["Ostrom", "Parks"])]).name
    'APA 7'
    >>> document_style([cite("Ostrom and Parks, 1978", ["Ostrom", "Parks"])]).name
    'Harvard'
    >>> document_style([cite("Ostrom and Parks 1978", ["Ostrom", "Parks"]), cite("Whitaker 1980", ["Whitaker"])]).name
    'Chicago author-date'
    """
    firsts = without_comma = several = ands = 0  # one loop: this reads every citation of the document
    for c in citations:
        if c.names and not c.narrative and not c.continuation:
            firsts += 1
            without_comma += c.missing_comma
            if len(c.names) >= 2:
                several += 1
                ands += " and " in c.text
    if firsts and without_comma * 2 > firsts:
        return CHICAGO
    return HARVARD if ands > several - ands else APA


HOUSE_FROM = 3  # citations shortening three authors that make "et al." from three a house style


def et_al_as_written(citations: list[Citation], refs: list[Reference], index: ReferenceIndex, style: Style) -> Style:
    """``style``, with "et al." from three authors when the document writes it so: a Harvard or
    Chicago document (four authors, by the book) that cites works of three authors as "Pasini et
    al., 2004" more often than it names all three, and at least :data:`HOUSE_FROM` times, follows
    a house style (eLife's), and is checked against it, not told 35 times that it should name
    them. Once or twice is a slip, told as ever.

    >>> refs = [Reference(1, "p", ["Pasini", "Bracken", "Helin"], 2004)]
    >>> index = ReferenceIndex(refs)
    >>> cite = lambda text, names, et_al: Citation("", "", None, 0, len(text), text, names, et_al, "2004")
    >>> et_al_as_written([cite("Pasini et al., 2004", ["Pasini"], True)] * 3, refs, index, HARVARD).et_al_from
    3
    >>> et_al_as_written([cite("Pasini et al., 2004", ["Pasini"], True)] * 2, refs, index, HARVARD).et_al_from
    4
    """
    if style.et_al_from != 4:
        return style
    shortened = named = 0
    for c in citations:
        if not c.names or not c.year[:4].isdigit():
            continue
        if not (c.et_al and len(c.names) == 1) and not (not c.et_al and len(c.names) == 3):
            continue
        if any(refs[i].n_authors == 3 for i in index.exact(c.names[0], int(c.year[:4]))):
            if c.et_al:
                shortened += 1
            else:
                named += 1
    if shortened >= HOUSE_FROM and shortened > named:  # a habit, not a slip
        return dataclasses.replace(style, name=f"{style.name}, 'et al.' from three authors", et_al_from=3)
    return style


def expected_form(
    ref: Reference, year_text: str, narrative: bool = False, style: Style = APA, initials: str = ""
) -> str:
    """How ``style`` prints a citation of this reference.

    >>> ref = Reference(1, "k", ["Voorberg", "Bekkers", "Tummers"], 2015)
    >>> expected_form(ref, "2015"), expected_form(ref, "2015", style=HARVARD), expected_form(ref, "2015", style=CHICAGO)
    ('Voorberg et al., 2015', 'Voorberg, Bekkers and Tummers, 2015', 'Voorberg, Bekkers, and Tummers 2015')
    >>> expected_form(Reference(1, "k", ["Smith"], 2010), "2010", initials="A.")
    'A. Smith, 2010'
    """
    fams = ref.families
    n = ref.n_authors
    joiner = "and" if narrative else style.joiner
    if not fams:
        names = "Anonymous"
    elif n >= style.et_al_from:
        names = f"{fams[0]} et al."
    elif n == 1:
        names = fams[0]
    elif n == 2:
        names = f"{fams[0]} {joiner} {fams[1]}"
    else:
        names = f"{', '.join(fams[:-1])}{',' if style.serial_comma else ''} {joiner} {fams[-1]}"
    if initials:
        names = f"{initials} {names}"
    if narrative:
        return f"{names} ({year_text})"
    return f"{names}, {year_text}" if style.comma else f"{names} {year_text}"


def _folded(text: str) -> str:
    """Text compared without regard to case, accents or spacing: titles."""
    return " ".join(fold(text or "").lower().split())


def _same_work(ref: Reference) -> tuple:
    """What makes two entries one work listed twice: its authors, year, letter and title."""
    return (tuple(map(name_key, ref.families)), ref.year, ref.suffix, _folded(ref.title))


def _describe(ref: Reference) -> str:
    fams = ref.families
    who = fams[0] if len(fams) == 1 else (f"{fams[0]} & {fams[1]}" if len(fams) == 2 else f"{fams[0]} et al.")
    return f"[{ref.position}] {who} {_year_text(ref)}"


def _year_text(ref: Reference) -> str:
    return str(ref.year) if ref.year else ("in press" if ref.in_press else "n.d.")


def _lettered(year_text: str, letter: str) -> str:
    """A year with its letter as APA prints it: 2012a, but n.d.-a and in press-a."""
    if not letter:
        return year_text
    return f"{year_text}{letter}" if year_text[:4].isdigit() else f"{year_text}-{letter}"


def _year_value(printed: str) -> int | None:
    """1978 for "1978a"; None for "n.d.", "in press" and "forthcoming" (an entry without a year)."""
    return int(printed[:4]) if printed[:4].isdigit() else None


def _form_fits(c: Citation, ref: Reference) -> bool:
    """Whether the printed authors fit this entry, in any author-date style (to choose between
    entries, not to judge the form)."""
    n = ref.n_authors
    if c.et_al:
        return n >= 3
    if len(c.names) >= 2:
        return (
            n == len(c.names) and any(k in name_keys(ref.families[1]) for k in name_keys(c.names[1]))
            if n >= 2
            else False
        )
    return n == 1


def _form_problems(c: Citation, ref: Reference, style: Style) -> list[str]:
    n = ref.n_authors
    problems = []
    if c.et_al and n < style.et_al_from:
        problems.append("et-al-for-few-authors")
    elif not c.et_al and n >= style.et_al_from:
        problems.append("et-al-missing")
    elif not c.et_al and len(c.names) < n:
        problems.append("co-author-missing")
    elif not c.et_al and len(c.names) > 1 and _co_authors_wrong(c, ref):
        problems.append("wrong-co-author")
    return problems


def _co_authors_wrong(c: Citation, ref: Reference) -> bool:
    """ "Bovaird & Ostrom" for a work of Bovaird alone, or of Bovaird and Loeffler."""
    if len(c.names) > len(ref.families):
        return True
    pairs = zip(c.names[1:], ref.families[1:], strict=False)  # the list may name more than the text
    return any(not name_keys(printed) & name_keys(listed) for printed, listed in pairs)


def _malformed(c: Citation, style: Style) -> list[str]:
    notes = []
    raw = c.raw_etal
    if c.et_al and raw and not c.continuation and not raw.startswith("and") and re.sub(r"\s+", " ", raw) != "et al.":
        notes.append(f"write 'et al.' (printed {raw!r})")
    if c.missing_comma and not c.narrative and style.comma:
        notes.append("a comma is missing between the author and the year")
    if c.narrative and len(c.names) > 1 and "&" in c.text.split("(", 1)[0]:
        notes.append("'and' between the authors in the running text ('&' is for citations in parentheses)")
    if not c.narrative and not c.continuation and c.names and c.year and c.year in c.text:
        head = " ".join(c.text[: c.text.index(c.year)].split()) + " "  # "Bovaird &\nOstrom": one line
        if len(c.names) > 1 and not c.et_al and " and " not in head and " & " not in head:
            notes.append(f"'{style.joiner}' is missing before the last author")
        elif len(c.names) > 1 and style.joiner == "&" and " and " in head and " & " not in head:
            notes.append(f"{style.name} joins the authors with '&' in parentheses")
        elif len(c.names) > 1 and style.joiner == "and" and " & " in head:
            notes.append(f"{style.name} joins the authors with 'and'")
        if not style.comma and head.rstrip().endswith(",") and not c.initials:
            notes.append(f"{style.name} puts no comma between the author and the year")
    return notes


def resolve(citations: list[Citation], works: list[Work], numbered: bool = False) -> list[Citation]:
    """Give each citation a status, its reference or candidates, its problems and a message.

    ``numbered`` says the document cites by number ("[3]") whatever its citations say."""
    with no_cycle_collection():
        return _resolve_all(citations, _indexed(works), numbered)


def _indexed(works: list[Work]) -> tuple[list[Reference], ReferenceIndex]:
    """What resolving needs of a list, whatever the document: its references and their index."""
    refs = [reference_from_work(w, i) for i, w in enumerate(works, 1)]
    position = {w.id: i for i, w in enumerate(works)}
    return refs, ReferenceIndex(refs, {position[k]: v for k, v in year_suffixes(works).items()})


def _trim_to_author(c: Citation, index: ReferenceIndex) -> None:
    """Drop leading words that name no author ("In Europe, Voorberg and Tummers (2015)",
    "Nasonia Özüak et al., 2014"), when what is left names an entry of that year exactly."""
    if not c.names or index.exact(c.names[0], _year_value(c.year)):
        return
    year = _year_value(c.year)
    if len(c.names) > 1 and _reordered(c.names, year, index):
        return  # "Kahneman & Tversky" for Tversky & Kahneman: every name is an author
    words = c.names[0].split()
    if len(c.names) == 1 and len(words) == 2 and not c.et_al:
        # "(Tversky Kahneman, 1992)": two authors, the '&' left out, read as one two-word name
        fits = index.exact(words[0], year)
        refs = index.references
        if any(len(refs[i].families) == 2 and name_key(refs[i].families[1]) == name_key(words[1]) for i in fits):
            c.names = words
            return
    names = None
    for k in range(1, len(c.names)):
        if index.exact(c.names[k], year):
            names = c.names[k:]
            break
    if names is None:  # "B of Baek and Mann", read as an organisation
        words = c.names[0].split()
        for j in range(1, len(words)):
            tail = _split_names(" ".join(words[j:]))
            if tail and index.exact(tail[0], year):
                names = tail + c.names[1:]
                break
    if names is not None:
        _trim_to(c, names)


def _reordered(names: list[str], year: int | None, index: ReferenceIndex) -> list[int]:
    """The entries of that year whose authors are these names in another order."""
    refs = index.references
    return [i for i in index.by_authors(year, names) if name_key(refs[i].families[0]) != name_key(names[0])]


def _trim_to(c: Citation, names: list[str]) -> None:
    """The citation names ``names``: its span starts where the first of them is printed."""
    c.names = names
    if not c.continuation:
        at = c.text.find(names[0])
        if at > 0:
            c.start += at
            c.text = c.text[at:]


# what, besides its names, makes two citations read alike (read in one call: this runs once a
# citation); "text" holds the joiner, the comma before the year and the locator, which the
# messages and the suggested form read
_PRINTED = attrgetter(
    "et_al", "year", "number", "key", "narrative", "raw_etal", "missing_comma", "continuation", "initials", "text"
)


_RESOLVED = attrgetter(
    "status", "work_id", "reference", "expected", "message", "candidates", "problems", "candidate_ids"
)


def _resolve_all(
    citations: list[Citation], indexed: tuple[list[Reference], ReferenceIndex], numbered: bool
) -> list[Citation]:
    refs, index = indexed
    # counted by map and sum, not a generator: a long document has hundreds of thousands
    n_author_year = sum(map(bool, map(attrgetter("names"), citations)))
    n_numbers = len(citations) - list(map(attrgetter("number"), citations)).count(None)
    index.style = et_al_as_written(citations, refs, index, document_style(citations))
    # "Wiewiora 2016" is malformed in a document that writes "Ostrom, 1996"; in one that writes
    # "Hites 2004" throughout (Chicago author-date) it is the house style.
    if not index.style.comma:
        for c in citations:
            if c.names:
                c.missing_comma = False
    # Numbers are citations of a numbered document; in an author-date one they are a mixed style.
    list_numbered = bool(index.by_label)
    doc_numbered = numbered or n_numbers > n_author_year or (not n_author_year and list_numbered and n_numbers > 0)
    # The same citation printed the same way resolves the same way: resolve it once.
    # Kept per key: the names the first such citation was trimmed to (None when it was not), and
    # what it resolved to, read once.
    done: dict[tuple, tuple[list[str] | None, tuple]] = {}
    for c in citations:
        # "&" in the running text is malformed, and a range of numbers may run backwards
        ranged = c.text if c.number is not None and ("–" in c.text or "-" in c.text) else ""
        key = (tuple(c.names), _PRINTED(c), c.narrative and "&" in c.text, ranged)
        seen = done.get(key)
        if seen is None:
            printed = c.names
            _trim_to_author(c, index)
            _resolve_one(c, refs, index, doc_numbered, n_numbers, n_author_year)
            done[key] = (c.names if c.names != printed else None, _RESOLVED(c))
        else:  # the lists are shared, never changed after resolution
            trimmed, resolved = seen
            if trimmed is not None:
                _trim_to(c, trimmed)
            c.status, c.work_id, c.reference, c.expected, c.message, c.candidates, c.problems, c.candidate_ids = (
                resolved
            )
    return citations


def _resolve_number(
    c: Citation, refs: list[Reference], index: ReferenceIndex, doc_numbered: bool, n_author_year: int
) -> None:
    style = index.style
    entry = index.by_label.get(str(c.number))
    if not doc_numbered:
        c.status, c.problems = "missing", ["mixed-style"]
        c.message = (
            f"{style.name}: [{c.number}] is a numbered citation in an author-date document "
            f"({n_author_year} author-date citations); cite by author and year"
        )
        if entry is not None:
            ref = refs[entry]
            c.message += f': entry [{c.number}] of the list is "{expected_form(ref, _year_text(ref), style=style)}"'
        return
    if not index.by_label:
        c.status, c.problems = "missing", ["mixed-style"]
        c.message = (
            f"[{c.number}] is a numbered citation but the reference list is not numbered: number the "
            f"list's entries ([1], [2], ... in order of first citation) or cite by author and year"
        )
        return
    ranges = [(int(a), int(b)) for a, b in _RANGE.findall(c.text) if c.number in (int(a), int(b))]
    if entry is None:
        c.status, c.problems = "missing", ["missing-reference"]
        c.message = f"there is no entry [{c.number}]; the list has {len(index.by_label)} numbered entries"
        if any(b - a >= RANGE_MAX for a, b in ranges):
            c.message += f" (a range of {RANGE_MAX} or more numbers is read as its two ends)"
        return
    backwards = [(a, b) for a, b in ranges if a > b and c.number == a]  # said once, at its first number
    _settle(c, refs[entry], ["malformed"] if backwards else [], style=style)
    if backwards:
        a, b = backwards[0]
        c.message = f"the range runs backwards: write [{b}–{a}]"


def _resolve_key(c: Citation, refs: list[Reference], index: ReferenceIndex) -> None:
    i = index.by_id.get(c.key or "")
    if i is not None:
        _settle(c, refs[i], [], style=index.style)
        return
    c.status, c.problems = "missing", ["missing-reference"]
    c.message = f"no entry with the key {c.key!r} in the list"
    keys = list(index.by_id)
    longer = [k for k in keys if k.startswith(c.key or "")]  # "ostrom1996" for "ostrom1996crossing"
    close = (
        longer[0]
        if len(longer) == 1
        else (process.extractOne(c.key, keys, scorer=fuzz.ratio, score_cutoff=75) or [None])[0]
    )
    c.message += f"; did you mean {close!r}?" if close else "; add the reference to the list"


def _resolve_one(
    c: Citation,
    refs: list[Reference],
    index: ReferenceIndex,
    doc_numbered: bool = False,
    n_numbers: int = 0,
    n_author_year: int = 0,
) -> None:
    if c.number is not None:
        _resolve_number(c, refs, index, doc_numbered, n_author_year)
        return
    if c.key is not None:
        _resolve_key(c, refs, index)
        return
    style = index.style
    problems: list[str] = []
    if doc_numbered:
        problems.append("mixed-style")
    surname = c.names[0]
    year_text = c.year
    year = _year_value(year_text)
    suffix = year_text[4:] if year is not None else year_text.partition("-")[2]  # "in press-a"
    base = index.exact(surname, year)
    if not base:
        base = index.fuzzy(surname, year)
        if base:
            problems.append("misspelt-name")  # several near-ties stay candidates: ambiguous below
    if not base and len(c.names) > 1:
        swapped = _reordered(c.names, year, index)
        if len(swapped) == 1:
            problems.append("wrong-author-order")
            base = swapped
    if not base and year is not None:
        typos = index.one_typo_off(surname, year)
        fitting = [i for i in typos if _form_fits(c, refs[i])] or typos
        if len(fitting) == 1:
            problems.append("wrong-year")
            base = fitting
    if not base:
        c.status = "missing"
        c.problems = _ordered(
            ["missing-reference"]
            + (["malformed"] if _malformed(c, style) else [])
            + (["mixed-style"] if doc_numbered else [])
        )
        near = [_describe(refs[i]) for i in index.same_author(surname)]
        c.message = f"no entry for {' & '.join(c.names)}{' et al.' if c.et_al else ''} {year_text}"
        c.message += f"; the list has {', '.join(near)}" if near else "; add the reference to the list"
        return
    candidates = base
    if len(candidates) > 1 and c.initials:
        # "A. Smith, 2010": the initial chooses between first authors with the same surname
        mine = [i for i in candidates if refs[i].initial == fold(c.initials[:1]).lower()]
        candidates = mine or candidates
    if len(candidates) > 1 and suffix:
        own = [i for i in candidates if refs[i].suffix == suffix]
        if own:
            candidates = own
        elif not any(refs[i].suffix for i in candidates):
            # the letter the list needs (APA: same authors and year ordered by title, which is the
            # list's own order in a list sorted the APA way)
            by_letter = [i for i in candidates if index.suffix.get(i) == suffix]
            if len(by_letter) == 1:
                candidates = by_letter
            else:
                k = ord(suffix) - ord("a")
                ordered = sorted(candidates, key=lambda i: refs[i].position)
                candidates = [ordered[k]] if 0 <= k < len(ordered) else candidates
    if len(candidates) > 1:
        by_form = [i for i in candidates if _form_fits(c, refs[i])]
        if by_form:
            candidates = by_form
    if len(candidates) > 1 and len({_same_work(refs[i]) for i in candidates}) == 1:
        # the same work listed twice: the list's duplicate-entry says so; the citation is found
        candidates = [min(candidates, key=lambda i: refs[i].position)]
    if (
        len(candidates) > 1
        and suffix
        and not any((refs[i].suffix or index.suffix.get(i)) == suffix for i in candidates)
    ):
        letters = ", ".join(
            f"[{refs[i].position}] {_lettered(_year_text(refs[i]), refs[i].suffix or index.suffix.get(i, ''))}"
            for i in sorted(candidates, key=lambda i: refs[i].position)
        )
        c.status, c.candidates = "ambiguous", [refs[i].position for i in candidates]
        c.candidate_ids = [refs[i].work_id for i in candidates]
        c.problems = _ordered([*problems, "wrong-year-suffix"])
        c.message = f"no entry of {' & '.join(c.names)} is {year_text}: the list has {letters}"
        return
    if len(candidates) > 1:
        _ambiguous(c, candidates, refs, index, problems, suffix)
        return
    letter = index.suffix.get(candidates[0], "")
    if letter and suffix != letter:
        problems.append("needs-year-suffix")
    elif suffix and not letter and not refs[candidates[0]].suffix:
        problems.append("extra-year-suffix")  # "2003a" for the one work of theirs that year
    _settle(c, refs[candidates[0]], [p for p in problems if p != "mixed-style"], letter, style)
    if doc_numbered:
        label = refs[candidates[0]].label
        note = f"the document cites by number elsewhere ({n_numbers} numbered citations): " + (
            f"cite this work as [{label}]" if label else "cite every work one way"
        )
        c.problems = _ordered([*c.problems, "mixed-style"])
        c.status = "mismatch"
        c.message = note if c.message == "ok" else f"{note}; {c.message}"


def _ambiguous(
    c: Citation, candidates: list[int], refs: list[Reference], index: ReferenceIndex, problems: list[str], suffix: str
) -> None:
    """Several entries fit: list them all, and say how the citation (and perhaps the list) would
    tell them apart, in the document's style."""
    style = index.style
    c.status = "ambiguous"
    c.candidates = [refs[i].position for i in candidates]
    c.candidate_ids = [refs[i].work_id for i in candidates]
    same_surname_year = (
        len({(name_key(refs[i].families[0]) if refs[i].families else "", refs[i].year) for i in candidates}) == 1
    )
    people = {refs[i].initial for i in candidates}
    # different first authors with one surname are told apart by initials (APA 7 8.20, Chicago
    # 15.21, Harvard alike); year suffixes are for one author's works of one year
    needs_initials = same_surname_year and len(people) > 1 and not c.initials
    if needs_initials:
        problems.append("needs-initials")
    # year letters are for works one citation would name alike: "Osborne et al., 2013" and
    # "Osborne & Strokosch, 2013" are told apart by their authors, the list needs no letters
    named = [_named(refs[i], style) for i in candidates]
    named_apart = all(not _alike(a, b) for k, a in enumerate(named) for b in named[k + 1 :])
    if same_surname_year and len(people) < len(candidates) and not suffix and not named_apart:
        problems.append("needs-year-suffix")
    elif named_apart and not suffix and not needs_initials:
        problems.append("co-author-missing")  # the names left out are what would tell them apart
    forms = {tuple(_form_problems(c, refs[i], style)) for i in candidates}
    if len(forms) == 1:
        problems.extend(forms.pop())
    notes = _malformed(c, style)
    if notes:
        problems.append("malformed")
    c.problems = _ordered(problems)
    ordered = sorted(candidates, key=lambda i: refs[i].position)
    by_person: dict[str, int] = defaultdict(int)
    for i in candidates:
        by_person[refs[i].initial] += 1

    def form(i: int) -> str:
        letter = index.suffix.get(i, "") if by_person[refs[i].initial] > 1 else ""
        return expected_form(
            refs[i],
            _lettered(_year_text(refs[i]), letter),
            c.narrative,
            style,
            initials=refs[i].initials if needs_initials else "",
        )

    options = " or ".join(
        f'"{form(i)}"' for i in sorted(candidates, key=lambda i: (index.suffix.get(i, ""), refs[i].position))
    )
    c.message = f"{len(candidates)} entries fit: {', '.join(_describe(refs[i]) for i in ordered)}"
    if needs_initials:
        c.message += f"; {style.name}: different first authors with the same surname are told apart by their initials"
        if "needs-year-suffix" in problems:
            c.message += f", and one author's works of one year by suffixes ({_suffix_plan(ordered, refs, index)})"
        c.message += f": cite {options}"
    elif "needs-year-suffix" in problems and all(refs[i].suffix for i in candidates):
        c.message += f"; {style.name}: the list tells them apart by their year letters: cite {options}"
    elif "needs-year-suffix" in problems:
        c.message += (
            f"; {style.name}: add year suffixes to the list ({_suffix_plan(ordered, refs, index)}) and cite {options}"
        )
    elif named_apart:
        c.message += f"; {style.name}: their authors tell them apart: cite {options}"
    if not any(code in problems for code in ("et-al-for-few-authors",)):
        c.message += "".join(f"; {n}" for n in notes)


def _named(ref: Reference, style: Style) -> tuple[frozenset[str], ...]:
    """Whom ``style``'s citation of ``ref`` names: each surname's keys (:func:`name_keys`)."""
    keys = tuple(name_keys(f) for f in ref.families)
    return keys[:1] + (frozenset({"et al."}),) if ref.n_authors >= style.et_al_from else keys


def _alike(a: tuple[frozenset[str], ...], b: tuple[frozenset[str], ...]) -> bool:
    """Two citations that name the same people, spelling aside ("Löffler", "Loeffler")."""
    return len(a) == len(b) and all(x & y for x, y in zip(a, b, strict=True))


def _suffix_plan(ordered: list[int], refs: list[Reference], index: ReferenceIndex) -> str:
    return ", ".join(
        f"[{refs[i].position}] {_lettered(_year_text(refs[i]), index.suffix.get(i, '?'))}" for i in ordered
    )


def _ordered(problems: list[str]) -> list[str]:
    return sorted(set(problems), key=CITATION_PROBLEMS.index)


def _settle(c: Citation, ref: Reference, problems: list[str], letter: str = "", style: Style = APA) -> None:
    c.reference = ref.position
    c.work_id = ref.work_id
    c.candidates = []
    author_date = c.number is None and c.key is None
    if author_date:
        problems = problems + _form_problems(c, ref, style)
        if "wrong-author-order" in problems:  # every name is right, in the wrong place
            problems = [p for p in problems if p not in ("wrong-co-author", "co-author-missing")]
        if _malformed(c, style):
            problems.append("malformed")
    c.problems = _ordered(problems)
    c.status = "mismatch" if c.problems else "ok"
    if not author_date:
        c.message = "ok"
        return
    by_abbreviation = ref.abbreviation and name_key(c.names[0]) == name_key(ref.abbreviation)
    printed = dataclasses.replace(ref, families=[ref.abbreviation, *ref.families[1:]]) if by_abbreviation else ref
    c.expected = expected_form(
        printed, _lettered(_year_text(ref), letter or (c.year[4:] if ref.suffix else "")), c.narrative, style
    )
    if c.locator:  # the page the citation gives stays in what it should read
        c.expected = f"{c.expected[:-1]}, {c.locator})" if c.narrative else f"{c.expected}, {c.locator}"
    if c.status == "ok":
        c.message = "ok"
        return
    n = ref.n_authors
    count = (
        "several"
        if n == 99
        else (
            ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"][n - 1]
            if 1 <= n <= 10
            else str(n)
        )
    )
    reasons = []
    if "misspelt-name" in c.problems:
        reasons.append(f"the name is spelt {ref.families[0]!r} in the list")
    if "wrong-year" in c.problems:
        reasons.append(f"the year is {ref.year} in the list, not {c.year}")
    if "wrong-author-order" in c.problems:
        reasons.append(f"the list names the authors in the order {' & '.join(ref.families)}")
    if "et-al-for-few-authors" in c.problems:
        reasons.append(f"'et al.' is for {style.et_al_from} or more authors; this work has {count}")
    if "et-al-missing" in c.problems:
        reasons.append(f"this work has {count} authors: name the first and add 'et al.'")
    if "co-author-missing" in c.problems:
        reasons.append(f"this work has {count} authors: name {' and '.join(ref.families[len(c.names) :])} too")
    if "wrong-co-author" in c.problems:
        listed = " and ".join(ref.families[1:])
        reasons.append(
            f"the list names {listed} as co-author, not {' and '.join(c.names[1:])}"
            if listed
            else f"this work has one author: {' and '.join(c.names[1:])} is not one of them"
        )
    if "needs-year-suffix" in c.problems:
        reasons.append(f"the list has several works by these authors in {ref.year}: this one is {ref.year}{letter}")
    if "extra-year-suffix" in c.problems:
        reasons.append(f"the list has one work by these authors in {_year_text(ref)}: no letter after the year")
    notes = _malformed(c, style)
    if "et-al-for-few-authors" in c.problems:  # "et al." goes: how it was punctuated no longer matters
        notes = [n for n in notes if not n.startswith("write 'et al.'")]
    reasons.extend(notes)
    c.message = f'{style.name}: should read "{c.expected}" ({"; ".join(reasons)})'


# ---------------------------------------------------------------------------------------------
# Reference-list checks


def check_references(works: list[Work], source: str = "") -> list[Problem]:
    """Problems of the list itself, each tied to its entry."""
    problems: list[Problem] = []

    def add(work: Work, code: str, message: str) -> None:
        problems.append(
            Problem(code=code, message=message, source=work.source or source, line=work.line, work_id=work.id)
        )

    for w in works:
        if not any(p.code == "unparsed-reference" for p in w.problems):
            for code, message in entry_problems(w.csl, w.et_al, w.raw or ""):
                add(w, code, message)
    # one person, two spellings: same given initial, same German-folded surname, different print
    spellings: dict[tuple[str, str], dict[str, list[Work]]] = defaultdict(lambda: defaultdict(list))
    for w in works:
        for a in w.authors:
            fam = family(a) if not a.get("literal") else ""
            if not fam:
                continue
            initial = fold((a.get("given") or "?")[:1]).upper()
            spellings[(german_key(fam), initial)][fam].append(w)  # the key is letters a-z only already
    for (_key, initial), forms in spellings.items():
        if len(forms) > 1:
            names = sorted(forms)
            for fam, ws in forms.items():
                for w in ws:
                    add(
                        w,
                        "inconsistent-author-spelling",
                        f"{initial}. {fam} is spelt {' and '.join(repr(n) for n in names)} in this list",
                    )
    # duplicates: same first author, year and near-identical title
    seen: dict[tuple[str, int | None], list[Work]] = defaultdict(list)
    for w in works:
        if not fold(w.csl.get("title", "")).strip():  # no title, no evidence of a duplicate (two unparsed entries)
            continue
        first = family(w.authors[0]) if w.authors else ""
        for other in seen[(german_key(first), w.year)]:
            if fuzz.ratio(fold(other.csl.get("title", "")).lower(), fold(w.csl.get("title", "")).lower()) >= 95:
                add(w, "duplicate-entry", f"same work as entry {other.position} ({other.id})")
        seen[(german_key(first), w.year)].append(w)
    # order: only for lists that are alphabetical on the whole. A name with a particle may be
    # filed under either ("de Vries" under D as English lists have it, under V as Dutch ones do):
    # each entry's lowest and highest key, and an entry is out of order only when no filing of
    # it and the one before comes in order
    lows, highs = [], []
    for w in works:
        # a work without author is filed by its title, as APA, Chicago and MLA file it
        name = family(w.authors[0]) if w.authors else apa_title(w.csl.get("title") or "").strip("\"“”'‘’ ")
        both = (sort_key(name), _NOT_AZ_KEY.sub("", fold(name).lower()) or sort_key(name))
        lows.append(min(both))
        highs.append(max(both))
    if len(works) > 3:
        in_order = sum(1 for i in range(1, len(works)) if lows[i - 1] <= highs[i])
        if in_order / (len(works) - 1) >= 0.8:
            for i in range(1, len(works)):
                prev = works[i - 1]
                if highs[i] < lows[i - 1]:
                    filed = family(prev.authors[0]) if prev.authors else repr(prev.csl.get("title") or "")
                    add(
                        works[i],
                        "out-of-order",
                        f"out of alphabetical order: should come before {filed} (entry {prev.position})",
                    )
                elif (
                    lows[i] == lows[i - 1]
                    and len(works[i].authors) == 1
                    and not works[i].et_al
                    and (len(prev.authors) > 1 or prev.et_al)
                ):
                    # APA, Chicago, Harvard and MLA alike: an author's own works before those with others
                    add(
                        works[i],
                        "out-of-order",
                        f"a work of {family(works[i].authors[0])} alone comes before those with co-authors "
                        f"(entry {prev.position})",
                    )
    return problems


_NOT_AZ_KEY = re.compile(r"[^a-z]")


def year_suffixes(works: list[Work]) -> dict[str, str]:
    """APA's a/b letters for works by the same authors in the same year, ordered by title; a
    letter the list prints (``year-suffix``: "2014a") is the work's own, the others taking the
    letters left, in that order.

    >>> a = Work({"id": "a", "author": [{"family": "Pestoff", "given": "V."}], "title": "What is", "issued": {"date-parts": [[2012]]}})
    >>> b = Work({"id": "b", "author": [{"family": "Pestoff", "given": "V."}], "title": "Coproduction", "issued": {"date-parts": [[2012]]}})
    >>> year_suffixes([a, b])
    {'b': 'a', 'a': 'b'}
    >>> a.csl["year-suffix"] = "a"
    >>> year_suffixes([a, b])
    {'a': 'a', 'b': 'b'}
    """
    groups: dict[tuple, list[Work]] = defaultdict(list)
    for w in works:  # the same people: Löffler and Loeffler are one author
        names = tuple((german_key(family(n)), fold((n.get("given") or "")[:1])) for n in w.authors)
        # works without a year are told apart the same way, those in press apart from the n.d.
        undated = "" if w.year else str(w.csl.get("status") or "").lower() in ("in press", "forthcoming")
        groups[(names, w.et_al, w.year, undated)].append(w)
    out = {}
    letters = "abcdefghijklmnopqrstuvwxyz"
    for group in groups.values():
        # one work listed twice is one work (the list's duplicate-entry says so): no letters
        titled = {_folded(w.csl.get("title", "")) for w in group}
        if len(group) > 1 and len(titled) > 1:
            printed = {w.id: str(w.csl["year-suffix"]) for w in group if w.csl.get("year-suffix")}
            out.update(printed)
            left = (letter for letter in letters if letter not in printed.values())
            given: dict[str, str] = {}  # a title's letter, for a work listed twice among others
            for i, w in enumerate(
                sorted((w for w in group if w.id not in printed), key=lambda w: apa_title(w.csl.get("title", "")))
            ):
                title = _folded(w.csl.get("title", ""))
                if title not in given:
                    given[title] = next(left, None) or str(len(printed) + i)
                out[w.id] = given[title]
    return out


def _undated(work: Work) -> bool:
    """An entry that says it has no year: "(n.d.)", "(in press)", "(forthcoming)"."""
    if str(work.csl.get("status") or "").lower() in ("in press", "forthcoming"):
        return True
    return bool(re.search(r"\b(?:n\.\s?d\.|in\s+press|forthcoming)", work.raw or "", re.I)) and not work.year


def severity(c: Citation) -> str:
    """ "error" when a reader cannot find the work the citation means (missing, ambiguous, a wrong
    name or year, a mixed style), "warning" when the work is found but the form is wrong."""
    if c.status in ("missing", "ambiguous") or any(p in ERROR_PROBLEMS for p in c.problems):
        return "error"
    return "warning" if c.problems else "ok"


@dataclass
class CheckReport:
    citations: list[Citation]
    uncited: list[int]
    reference_problems: list[Problem]
    positions: dict[str, int] = field(default_factory=dict)  # work id -> position in the list


@dataclass
class ReadyList:
    """A reference list made ready to check documents against: what :func:`check` needs of it
    that no document changes, made by :func:`ready_list` (``kb check`` makes it in another
    process while it finds the document's citations, when both are large, and it comes back
    pickled: the works themselves, which a check does not need, stay where they were read)."""

    entries: list[tuple[str, str, int | None]]  # per position: work id, file and line of the entry
    indexed: tuple[list[Reference], ReferenceIndex]
    problems: list[Problem]  # the list's own, and what reading it found, each with its severity
    positions: dict[str, int]  # work id -> position in this list


def ready_list(works: list[Work]) -> ReadyList:
    """A list's works made ready for :func:`check`: numbered, indexed and checked as a list."""
    with no_cycle_collection():
        works = [copy.copy(w) for w in works]  # positions are this list's, whatever other lists say
        for i, w in enumerate(works, 1):
            w.position = i
        problems = check_references(works)
        found = {(p.work_id, p.code) for p in problems}
        for w in works:  # what reading the list found (an entry that does not parse, say)
            problems += [p for p in w.problems if (w.id, p.code) not in found]
        undated = {w.id for w in works if _undated(w)}  # "n.d." and "in press" say there is no year, on purpose
        problems = [p for p in problems if not (p.code == "missing-year" and p.work_id in undated)]
        for p in problems:
            p.severity = severity_of(p.code)
        return ReadyList(
            [(w.id, w.source, w.line) for w in works], _indexed(works), problems, {w.id: w.position for w in works}
        )


_GIVEN_ABBR = regex.compile(r"\s*[\[(]([\p{Lu}\d&]{2,12})[\])]")


def whole_organisations(citations: list[Citation], text: str, refs: list[Reference]) -> None:
    """Citations of an organisation the list names, found as the last word or words of its name
    ("Energy (2008)" of "Department of Energy (2008)", "Population Division, 2013" of "United
    Nations, Department of Economic and Social Affairs, Population Division, 2013"; a name with
    small words or commas is no person's surname to the detector): made the whole name where
    the text before them prints the rest of it, word for word. Only names of the list are
    looked for, so nothing else is ever joined to a citation. An abbreviation the text gives an
    organisation at its first citation, as APA does ("World Health Organization [WHO], 2020"),
    stands for it in the citations that use it ("WHO, 2020").

    >>> refs = [Reference(1, "doe", ["Department of Energy"], 2008)]
    >>> text = "As the Department of Energy (2008) says."
    >>> c = Citation("c", "d", None, 21, 34, "Energy (2008)", ["Energy"], False, "2008", narrative=True)
    >>> whole_organisations([c], text, refs); (c.names, c.text, c.start)
    (['Department of Energy'], 'Department of Energy (2008)', 7)
    """
    ends: dict[str, list[str]] = {}
    for ref in refs:
        name = ref.families[0] if ref.families else ""
        if " " in name.strip():
            ends.setdefault(fold(name.split()[-1]).lower(), []).append(name)
    if not ends:
        return
    short: dict[str, str] = {}  # "WHO" -> "World Health Organization", as the text gave it
    for c in citations:
        # "(Food and Agriculture Organization, 2020)" read as two authors: the list's name, whole
        if len(c.names) < 2 or c.et_al:
            continue
        for name in ends.get(fold(c.names[-1].split()[-1]).lower(), ()):
            if " ".join(text[c.start : c.start + 2 * len(name)].split()).startswith(name):
                c.names = [name]
                break
    alone = [c for c in citations if len(c.names) == 1 and not c.et_al and c.key is None and c.number is None]
    # APA's narrative group author: "The World Health Organization (WHO, 2019)" gives the
    # abbreviation and cites in one
    spelt = {
        name: regex.compile(r"\s+".join(map(regex.escape, name.split())) + r"\s*\(\Z")
        for names in ends.values()
        for name in names
    }
    for c in alone:
        abbreviation = c.names[0]
        if not (2 <= len(abbreviation) <= 12 and abbreviation.isupper()) or c.narrative:
            continue
        before = text[max(0, c.start - 200) : c.start]
        for name, pattern in spelt.items():
            if pattern.search(before):
                short.setdefault(abbreviation, name)
                break
    for c in alone:
        for name in ends.get(fold(c.names[0].split()[-1]).lower(), ()):
            said = " ".join(c.names[0].split())
            if text[c.start : c.start + len(c.names[0])] != c.names[0]:
                continue
            if said != name:
                if not name.endswith(" " + said):
                    continue
                rest = name[: -len(said)].split()  # the words the text must print before the name
                before = text[max(0, c.start - 4 * len(name)) : c.start]
                m = regex.search(r"\s+".join(map(regex.escape, rest)) + r"\s+\Z", before)
                if m is None:
                    continue
                start = c.start - (len(before) - m.start())
                c.start, c.text, c.names = start, text[start : c.end], [name]
            given = _GIVEN_ABBR.match(text, c.start + len(name))
            if given:
                short.setdefault(given.group(1), name)
            break
    # "(WHO, 2020)" after "World Health Organization [WHO]": the abbreviation the text gave, unless
    # the list has an author of that name
    listed = {name_key(ref.families[0]) for ref in refs if ref.families}
    listed.update(name_key(ref.abbreviation) for ref in refs if ref.abbreviation)
    for c in alone:
        if c.names[0] in short and name_key(c.names[0]) not in listed:
            c.names = [short[c.names[0]]]


def check(
    document: Document,
    works: list[Work] | ReadyList,
    numbered: bool = False,
    citations: list[Citation] | None = None,
) -> CheckReport:
    """Detect, resolve and check: the whole of ``kb check`` for one document, against a list's
    works or the list made ready (:func:`ready_list`). ``numbered`` says the document cites by
    number whatever its citations say (``kb check --numbered``); ``citations``, the document's
    as :func:`detect` found them, when they were found already."""
    with no_cycle_collection():
        ready = works if isinstance(works, ReadyList) else ready_list(works)
        return _check(document, ready, numbered, detect(document) if citations is None else citations)


def _check(document: Document, ready: ReadyList, numbered: bool, found: list[Citation]) -> CheckReport:
    entries = ready.entries
    found = _footnote_marks_dropped(found, ready.indexed[1], numbered)
    found = _numbers_in_parentheses(found, document, ready.indexed[1], numbered)
    whole_organisations(found, document.text, ready.indexed[0])
    found, author_page = _author_page(found, document, ready.indexed[1])
    for c in author_page:
        _resolve_author_page(c, *ready.indexed)
    citations = _page_not_year(_resolve_all(found, ready.indexed, numbered), document.text, ready.indexed)
    if author_page:
        citations = sorted([*citations, *author_page], key=attrgetter("start", "end"))
    # (map and chain, not a generator: these read every citation, hundreds of thousands of them)
    cited = set(map(attrgetter("reference"), citations))
    cited.update(chain.from_iterable(map(attrgetter("candidates"), citations)))
    uncited = [i for i in range(1, len(entries) + 1) if i not in cited]
    problems = list(ready.problems)
    # A document that cites by key ([@key], \cite{key}) has its printed list made from this one,
    # a database (pandoc's bibliography, BibTeX's .bib): an entry it does not cite is not
    # printed, nor are its mistakes, and the style puts the rest in order. Pandoc prints the
    # entries its front matter's ``nocite`` names as well ("@*": every one).
    database = any(c.key for c in citations)
    if database:
        where = ready.positions
        nocite = str((document.meta or {}).get("nocite") or "")
        printed = {where.get(m.group("key")) for m in PANDOC_KEY.finditer(nocite)} | cited
        problems = [
            p
            for p in problems
            if p.code != "out-of-order" and (p.work_id is None or "@*" in nocite or where.get(p.work_id) in printed)
        ]
    for i in [] if database else uncited:
        work_id, source, line = entries[i - 1]
        problems.append(
            Problem(
                code="uncited-reference",
                message="listed but never cited in the text",
                source=source,
                line=line,
                work_id=work_id,
                severity=severity_of("uncited-reference"),
            )
        )
    if not database:
        late, in_citation_order = _first_citation_order(citations, entries)
        if in_citation_order:  # a Vancouver or IEEE list: its order is that of citing, on purpose
            problems = [p for p in problems if p.code != "out-of-order"]  # (the list's own: alphabetical)
        problems += late
        _names_another_entry(citations, document.text, ready.indexed[0], [p.start for p in document.passages])
    where = ready.positions
    problems.sort(key=lambda p: (where.get(p.work_id) or 0, p.code))
    return CheckReport(citations, uncited, problems, where)


# MLA's author-page citation: "(Ostrom 45)", "(Dietz et al. 1908)", "(Ostrom and Walker 12-14)",
# and, for one of an author's several works, its short title: "(Ostrom, Governing 90)"
_AUTHOR_PAGE = regex.compile(
    rf"\((?P<names>{_NAME}(?:\s+and\s+{_NAME})?)(?P<etal>\s+et\s+al\.)?"
    rf"(?:,\s+(?P<title>[^()\d;,]{{1,80}}?))?\s+(?P<page>\d{{1,5}}(?:\s*[-–]\s*\d{{1,5}})?)\)"
)
_AUTHOR_DATE_AT_MOST = 20  # author-date citations past which a document is not read for these


def _author_page(
    found: list[Citation], document: Document, index: ReferenceIndex
) -> tuple[list[Citation], list[Citation]]:
    """MLA's author-page citations, read only where the name is a first author of the list (so
    "(Table 3)" or "(Phase 2)" never is one) and no other citation is read there. Skipped in a
    document that cites by author and date or by number throughout. They come back with an
    empty year and the page as locator, apart from the rest; :func:`_resolve_author_page`
    resolves them."""
    dated = (c for c in found if c.names or c.number)
    if next(islice(dated, _AUTHOR_DATE_AT_MOST, None), None) is not None or "(" not in document.text:
        return found, []  # (stops at the 21st: a long document is not read through for this)
    for c in found:  # "(Dietz et al. 1908)": a page that looks like a year, within the entry's pages
        _year_like_page(c, document.text, index)
    taken = sorted((c.start, c.end) for c in found)
    starts = [s for s, _ in taken]
    new: list[Citation] = []
    group = max((c.group for c in found), default=0)
    for passage in document.passages:
        for m in _AUTHOR_PAGE.finditer(passage.text):
            s, e = passage.start + m.start(), passage.start + m.end()
            i = bisect_left(starts, e)
            if i and max(end for _, end in taken[:i]) > s:
                continue  # inside or over a citation read already
            names = _split_names(m.group("names"))
            if names[0] in _NOT_NAMES or not index.same_author(names[0]):
                continue
            group += 1
            c = _inside(document, passage, s, e, names=names, et_al=bool(m.group("etal")), locator=m.group("page"))
            c.group = group
            c.raw_etal = (m.group("etal") or "").strip()
            c.initials = (m.group("title") or "").strip(" *_“”\"'‘’")  # the short title, while unresolved
            new.append(c)
        if not index.by_label:
            new += _pages_after_a_name(passage, document, index, taken, new)
    _in_reading_order(document, [*found, *new])
    return [c for c in found if c.year or not c.names], [*new, *(c for c in found if c.names and not c.year)]


_PAGE_ONLY = regex.compile(r"\((\d{1,4}(?:\s*[-–]\s*\d{1,4})?)\)")
_SENTENCE_START = regex.compile(r"(?:^|[.!?]\s+)(?=[^.!?]*\Z)")


def _pages_after_a_name(
    passage: Passage, document: Document, index: ReferenceIndex, taken: list[tuple[int, int]], new: list[Citation]
) -> list[Citation]:
    """MLA's page alone after a sentence that names the author: "Putnam traces the decline
    (45–48)." The nearest name before it in the sentence that is a first author of the list is
    the author; a number that looks like a year is not read."""
    out: list[Citation] = []
    spans = taken + [(c.start - 1, c.end + 1) for c in new]
    for m in _PAGE_ONLY.finditer(passage.text):
        s, e = passage.start + m.start(), passage.start + m.end()
        if any(a < e and s < b for a, b in spans) or any(
            1500 <= int(n) <= 2099 for n in regex.findall(r"\d+", m.group(1))
        ):
            continue
        before = passage.text[: m.start()]
        sentence = before[_SENTENCE_START.search(before).end() :]
        names = [w for w in _CAPITAL_WORD.findall(sentence) if w not in _NOT_NAMES and index.same_author(w)]
        if not names:
            continue
        out.append(_inside(document, passage, s, e, names=[names[-1]], et_al=False, locator=m.group(1), narrative=True))
    return out


def _inside(document: Document, passage: Passage, start: int, end: int, **fields: Any) -> Citation:
    """An author-page citation: what is inside the parenthesis at ``start:end``, without a year."""
    return Citation(
        id="",
        document_id=document.id,
        passage_id=passage.id,
        start=start + 1,
        end=end - 1,
        text=document.text[start + 1 : end - 1],
        year="",
        **fields,
    )


_PAGE_RANGE_END = re.compile(r"\s*[-–]\s*\d{1,5}(?=\))")


def _year_like_page(c: Citation, text: str, index: ReferenceIndex) -> bool:
    """An author-date citation without comma, "(Dietz et al. 1908)", whose "year" the list does
    not have for that author but which lies within the pages of one of the author's entries:
    made an author-page citation (empty year, the page as locator, a range's end taken in)."""
    if not c.names or c.narrative or c.continuation or c.locator or not c.year.isdecimal() or "," in c.text:
        return False
    page = int(c.year)
    refs = index.references
    if index.exact(c.names[0], page) or not any(
        refs[i].pages and refs[i].pages[0] <= page <= refs[i].pages[1] for i in index.same_author(c.names[0])
    ):
        return False
    m = _PAGE_RANGE_END.match(text, c.end)
    c.locator, c.year = c.year + (m.group(0).strip() if m else ""), ""
    if m:
        c.end = m.end()
        c.text = text[c.start : c.end]
    return True


def _short_title(title: str, words: int) -> str:
    """A title's first words, without a leading article: MLA's short title.

    >>> _short_title("The Struggle to Govern the Commons", 1), _short_title("Governing the Commons: The Evolution", 3)
    ('Struggle', 'Governing the Commons')
    """
    kept = title.split(":")[0].split()
    if len(kept) > 1 and kept[0].lower() in ("a", "an", "the"):
        kept = kept[1:]
    return " ".join(kept[:words]).strip(".,;!?")


def _resolve_author_page(c: Citation, refs: list[Reference], index: ReferenceIndex) -> None:
    """An author-page citation: the entries whose first author it names, narrowed by its other
    names or "et al." and by its short title; one is found, several are ambiguous (MLA names a
    short title for one of an author's works), none is missing."""
    title, c.initials = c.initials, ""
    fits = index.same_author(c.names[0])
    if len(c.names) == 2:
        fits = [i for i in fits if len(refs[i].families) > 1 and name_key(refs[i].families[1]) == name_key(c.names[1])]
    elif c.et_al:
        fits = [i for i in fits if refs[i].n_authors >= 3]
    if title:
        fits = [i for i in fits if _folded(refs[i].title).startswith(_folded(title))]
    who = " and ".join(c.names) + (" et al." if c.et_al else "")
    if len(fits) == 1:
        ref = refs[fits[0]]
        c.status, c.reference, c.work_id, c.problems, c.message = "ok", ref.position, ref.work_id, [], "ok"
    elif fits:
        c.status = "ambiguous"
        c.candidates = [refs[i].position for i in fits]
        c.candidate_ids = [refs[i].work_id for i in fits]
        c.problems = ["needs-short-title"]
        titles = "; ".join(f"[{refs[i].position}] {refs[i].title}" for i in fits)
        shorts = [_short_title(refs[i].title, 1) for i in fits]
        if len(set(shorts)) < len(shorts):
            shorts = [_short_title(refs[i].title, 3) for i in fits]
        options = " or ".join(f'"({c.names[0]}, {t} {c.locator})"' for t in shorts)
        c.message = f"{len(fits)} works by {who} fit: {titles}; MLA adds a short title: cite {options}"
    else:
        c.status, c.problems = "missing", ["missing-reference"]
        c.message = f"no work by {who}" + (f" titled '{title}'" if title else "") + " in the list"


# Vancouver's numbers in parentheses, as some journals print them: "events (1).", "(2,3)", "(4-6)"
# (an enumeration, "(1) first", is followed by a word: a lone number is read before punctuation)
_PAREN_NUMBERS = regex.compile(
    r"(?<=[\p{L}\d.,;:’”'\"]\s?)\((\d{1,4}(?:\s*[-–,]\s*\d{1,4})+|\d{1,4}(?=\)(?:\s*[.,;:)]|\s*$|\s+and\b)))\)"
)


def _numbers_in_parentheses(
    found: list[Citation], document: Document, index: ReferenceIndex, numbered: bool
) -> list[Citation]:
    """Numbered citations in parentheses, read only against a numbered list (or with
    ``--numbered``) in a document that cites no other way: "(1)" is as often an enumeration."""
    if not (numbered or index.by_label) or any(c.number is not None or c.names or c.key for c in found):
        return found
    new: list[Citation] = []
    group = max((c.group for c in found), default=0)
    for passage in document.passages:
        for m in _PAREN_NUMBERS.finditer(passage.text):
            numbers = _expand_numbers(m.group(1))
            if not numbers or any(n > len(index.references) + 50 for n in numbers):
                continue  # "(1990)" or "(250)": no reference number
            s, e = passage.start + m.start(), passage.start + m.end()
            group += 1
            for n in numbers:
                new.append(
                    Citation(
                        id="",
                        document_id=document.id,
                        passage_id=passage.id,
                        start=s,
                        end=e,
                        text=document.text[s:e],
                        names=[],
                        et_al=False,
                        year="",
                        number=n,
                        group=group,
                    )
                )
    return _in_reading_order(document, [*found, *new]) if new else found


def _footnote_marks_dropped(citations: list[Citation], index: ReferenceIndex, numbered: bool) -> list[Citation]:
    """Unicode superscript digits are footnote marks in a document that cites by author and date
    against a list without numbers ("as Ostrom (1990) showed.¹"); against a numbered list, in a
    document citing nothing by author and date, or with ``--numbered`` they are citations."""
    if numbered or index.by_label or not any(c.names for c in citations):
        return citations
    return [c for c in citations if c.number is None or c.text[:1] not in SUPERSCRIPT_DIGITS]


def _page_not_year(
    citations: list[Citation], text: str, indexed: tuple[list[Reference], ReferenceIndex]
) -> list[Citation]:
    """Chicago's page after the year, "(Agrawal 2001, 1650)", read as a second year: a year the
    list does not have for those authors, straight after a comma, is that citation's page when
    it falls within the pages of the entry the year before it found, or, in a style that prints
    pages bare (no comma before the year), comes before that year (a group lists years in
    rising order). Its citation is dropped and the page becomes the locator of the one before."""
    refs, index = indexed
    # the continuations only, picked by compress (a long document has hundreds of thousands)
    later = [i for i in compress(range(len(citations)), map(attrgetter("continuation"), citations)) if i]
    dropped: set[int] = set()
    for i in later:
        c, p = citations[i], citations[i - 1]
        if (
            i - 1 not in dropped
            and c.status == "missing"
            and c.year.isdecimal()
            and p.reference is not None
            and p.locator is None
            and p.group == c.group
            and p.names == c.names
            and text[p.end : c.start].strip() == ","
        ):
            page, span = int(c.year), refs[p.reference - 1].pages
            within = span is not None and span[0] <= page <= span[1]
            earlier = not index.style.comma and p.year[:4].isdecimal() and page < int(p.year[:4])
            if within or earlier:
                p.locator, p.end = c.year, c.end
                p.text = text[p.start : p.end]
                dropped.add(i)
    return [c for i, c in enumerate(citations) if i not in dropped] if dropped else citations


# where a sentence starts: after ".", "!" or "?" and a space, not after "al." or an initial
_SENTENCE_END = regex.compile(r"(?<!\bal|\b\p{Lu}|\bp|\bpp|\bvs|\be\.g|\bi\.e|\bcf)[.!?]\s+(?=[\p{Lu}\d\[(])")
_CAPITAL_WORD = regex.compile(r"(?<![\p{L}\p{M}'’-])\p{Lu}[\p{L}\p{M}'’-]+")
# how a name at a sentence's start shows it is a name, not a word: "Ongaro and Ousterhout",
# "Tilman et al.", "Tilman and colleagues", "Lamport's"
_NAMED_AT_START = regex.compile(r"\s*(?:,|and\b|&|et\s+al\b|['’]s\b)")


_START_OF = methodcaller("start")
_LONGEST = 1000  # characters: longer than any one citation detected


def _names_another_entry(
    citations: list[Citation], text: str, refs: list[Reference], paragraphs: Sequence[int] = ()
) -> None:
    """A numbered citation whose words before it name the first author of another entry and
    none of its own: "Ongaro and Ousterhout report ... [2]" where [2] is Brewer 2000 and Ongaro
    is [14]: ``wrong-number``, with the entries the name fits. The words before a citation run
    from its sentence's start, or from the citation before it in the sentence ("Brewer stated
    it [2], and Gilbert and Lynch proved it [11]"); a name inside another citation ("(Newbold
    et al., 2015)") is that citation's. A capitalised word starting the sentence counts as a
    name only when "and", "&", "et al.", "'s" or a comma follows it ("Green infrastructure").
    ``paragraphs``: where the document's paragraphs start (its front matter and headings are
    none of a sentence)."""
    numbered = sorted((c for c in citations if c.number is not None), key=attrgetter("start"))
    if not numbered:
        return
    firsts: dict[str, list[int]] = defaultdict(list)  # a first author's surname key -> positions
    for r in refs:
        if r.families:
            for key in name_keys(r.families[0]):
                firsts[key].append(r.position)
    if not firsts:
        return
    spans = sorted((c.start, c.end) for c in citations)
    span_starts = [a for a, _ in spans]
    groups: dict[int, list[Citation]] = defaultdict(list)  # citations of one bracket, by its start
    for c in numbered:
        groups[c.start].append(c)
    previous_end = sentence_start = scanned = 0
    for at, cites in groups.items():  # in the text's order: each stretch of text is read once
        k = bisect_right(paragraphs, at)
        if k and paragraphs[k - 1] > sentence_start:
            sentence_start = paragraphs[k - 1]
        paragraph = text.rfind("\n\n", scanned, at)
        if paragraph >= 0 and paragraph + 2 > sentence_start:
            sentence_start = paragraph + 2
        for m in _SENTENCE_END.finditer(text, max(scanned, sentence_start), at):
            sentence_start = m.end()
        scanned = at
        start = max(sentence_start, previous_end)
        previous_end = max(c.end for c in cites)
        if any(c.status != "ok" for c in cites):
            continue
        cited_authors = set().union(*(name_keys(f) for c in cites for f in refs[c.reference - 1].families))
        # the citations between (none is longer than a few hundred characters)
        lo, hi = bisect_left(span_starts, start - _LONGEST), bisect_left(span_starts, at)
        inside = [(a, b) for a, b in spans[lo:hi] if b > start]
        named: dict[str, list[int]] = {}
        for m in _CAPITAL_WORD.finditer(text, start, at):
            if any(a <= m.start() < b for a, b in inside):
                continue
            if m.start() == sentence_start and not _NAMED_AT_START.match(text, m.end()):
                continue
            keys = name_keys(m.group(0))
            if keys & cited_authors:
                named = {}
                break  # the words name the cited work's own author
            fits = sorted({p for k in keys for p in firsts.get(k, ())})
            if fits:
                named.setdefault(m.group(0), fits)
        if not named:
            continue
        who, fits = next(iter(named.items()))
        listed = ", ".join(f"[{refs[p - 1].label or p}]" for p in fits)
        for c in cites:
            c.status = "mismatch"
            c.problems = _ordered([*c.problems, "wrong-number"])
            c.message = (
                f"the sentence names {who}, whose work is {listed}; [{c.number}] is "
                f"{_describe(refs[c.reference - 1]).split('] ', 1)[1]}: check the number"
            )


def _first_citation_order(
    citations: list[Citation], entries: list[tuple[str, str, int | None]]
) -> tuple[list[Problem], bool]:
    """A numbered list in the order of first citation (Vancouver, IEEE, Nature) whose entry is
    first cited out of that order: "[5] is first cited after [6]", or, an entry cited ahead of
    its place, "[9] is first cited before [2]". The entries in order are the longest run of
    first citations whose numbers rise; the others are out of order. Only for a document citing
    by number whose list keeps that order on the whole (four entries or more cited, one in five
    at most, or one, out of order; a numbered list in alphabetical order, as some styles have it,
    is left alone). With them, whether the list keeps that order: its alphabetical order is then
    none of the check's business."""
    numbers = [c for c in citations if c.number is not None and c.reference]
    if len(numbers) * 2 <= len(citations):
        return [], False
    first: dict[int, int] = {}  # entry position -> its label, in the order first cited
    for c in numbers:
        if c.reference not in first:
            first[c.reference] = c.number
    order = list(first.items())
    kept = _longest_increasing([n for _, n in order])
    astray = len(order) - len(kept)
    if len(order) < 4 or astray > max(1, len(order) // 5):
        return [], False
    if not astray:
        return [], True
    # the kept number cited last before each place, and the kept number cited next after it
    before_at, highest = [], 0
    for i, (_, n) in enumerate(order):
        before_at.append(highest)
        highest = n if i in kept else highest
    after_at, following = [0] * len(order), None
    for i in range(len(order) - 1, -1, -1):
        after_at[i] = following
        following = order[i][1] if i in kept else following
    out = []
    for i, (position, n) in enumerate(order):
        if i in kept:
            continue
        if before_at[i] > n:
            message = f"[{n}] is first cited after [{before_at[i]}]"
        else:
            message = f"[{n}] is first cited before [{after_at[i]}]"
        work_id, source, line = entries[position - 1]
        out.append(
            Problem(
                code="out-of-order",
                message=f"{message}: a numbered list follows the order of first citation",
                source=source,
                line=line,
                work_id=work_id,
                severity=severity_of("out-of-order"),
            )
        )
    return out, True


def _longest_increasing(values: list[int]) -> set[int]:
    """The indices of a longest strictly rising run (not necessarily contiguous) of ``values``,
    in n log n (patience sorting, from the end); of runs as long, the one that keeps the earlier
    values: of "[6] then [5]", [5] is the one out of order.

    >>> sorted(_longest_increasing([1, 2, 3, 4, 6, 5, 7])), sorted(_longest_increasing([1, 9, 2, 3, 4]))
    ([0, 1, 2, 3, 4, 6], [0, 2, 3, 4])
    """
    falling = [-v for v in reversed(values)]  # a rising run read backwards falls
    tails: list[int] = []  # tails[k]: the index ending the best run of length k + 1
    back: list[int | None] = [None] * len(falling)
    for i, v in enumerate(falling):
        k = bisect_left(tails, v, key=falling.__getitem__)
        back[i] = tails[k - 1] if k else None
        if k == len(tails):
            tails.append(i)
        else:
            tails[k] = i
    out: set[int] = set()
    i = tails[-1] if tails else None
    while i is not None:
        out.add(len(values) - 1 - i)
        i = back[i]
    return out
