"""In-text citations: find them in a document and resolve each to its reference.

Detection covers parenthetical groups "(Ostrom et al., 1978; Whitaker, 1980)", bare-year
continuations "(Bovaird, 2007; 2016)", several years "(Bovaird, 2007, 2016)", locators
"(Linders, 2012, p. 446)", year suffixes "2010a", two or three authors with "and" or "&",
particles ("van der Graaf"), organisations ("OECD"), "et al" with or without its full stop,
narrative citations "Ostrom (1996)", and numbered citations "[1]", "[2-4]", "[1, 5]".

Resolution looks a citation up by normalised surname and year in an index (dictionaries,
never a loop over all references), then by fuzzy surname within the year, then by a one-digit
year typo; it never guesses between several entries that fit.
"""

from __future__ import annotations

import copy
import gc
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from kb.model import CITATION_PROBLEMS, Citation, Document, Problem, Work
from kb.normalise import entry_problems, fold, fold_german, name_key, name_keys, sort_key

_PARTICLE = r"(?:van|von|de|der|den|del|della|di|da|du|dos|la|le|ten|ter|te|zu)"
_NAME = rf"(?:{_PARTICLE}\s+)*[A-Z][\w'’‐\-]*(?:\s+[A-Z][\w'’‐\-]+)?"
_NAME1 = rf"(?:{_PARTICLE}\s+)*[A-Z][\w'’‐\-]*"
_ETAL = r"(?:(?:et|at)\.?\s*al\b\.?|and\s+(?:co-?workers|colleagues))"
_YEAR = r"(?:1[5-9]\d\d|20\d\d)[a-z]?"
_LOCATOR = r"(?:pp?\.|p|chap\.|ch\.|para\.|sec\.|§)\s*[\divxlc]+(?:\s*[-–]\s*[\divxlc]+)?"
# an organisation: three or more capitalised words, small words between ("National Center for
# Biotechnology Information"); kept whole, never split into authors
_ORG = r"[A-Z][\w'’\-]*(?:\s+(?:(?:of|for|and|the|on|in|de|du|für|&)\s+)*[A-Z][\w'’\-]*){2,9}"
_NAMES = (rf"(?P<names>(?P<org>{_ORG})|{_NAME1}(?:\s*,\s*{_NAME1})*\s*,?\s+(?:and|&)\s+{_NAME1}"
          rf"|{_NAME1}\s+(?:and|&)\s+{_NAME1}|{_NAME})")

# A locator after a comma ("2012, p. 446") or a colon ("2012: 446"), then perhaps a comment in
# lower case ("2012, for a review").
_LOCATOR_TAIL = rf"(?:\s*,\s*(?P<locator>{_LOCATOR})|\s*:\s*(?P<page>\d+(?:\s*[-–]\s*\d+)?))?"
PART = re.compile(
    rf"^(?:(?:see also|see|e\.g\.,?|cf\.|i\.e\.,?)\s+)?{_NAMES}(?P<etal>\s*,?\s*{_ETAL})?"
    rf"(?P<sep>\s*,\s*|\s+)(?P<years>{_YEAR}(?:\s*,\s*{_YEAR})*)"
    rf"{_LOCATOR_TAIL}(?P<comment>,\s+[a-z][^;]*)?\s*$"
)
BARE_YEAR = re.compile(rf"^(?P<years>{_YEAR}(?:\s*,\s*{_YEAR})*)(?:\s*,\s*(?P<locator>{_LOCATOR}))?$")
NARRATIVE = re.compile(
    rf"(?<![\w(])(?P<names>{_NAME1}(?:\s+(?:and|&)\s+{_NAME1})?)(?P<etal>\s+{_ETAL})?"
    rf"\s+\((?P<years>{_YEAR}(?:\s*,\s*{_YEAR})*)(?:\s*,\s*(?P<locator>{_LOCATOR}))?\)"
)
PAREN = re.compile(r"\(([^()]*)\)")
# "[1]", "[2-4]", "[1, 5]", and PLOS's "[1]–[5]"; never "F[1,12]" (a letter or digit before it)
NUMBERED = re.compile(r"(?<![\w\]])\[(\d+(?:\s*[-–]\s*\d+)?(?:\s*,\s*\d+(?:\s*[-–]\s*\d+)?)*)\]"
                      r"(?:\s*[-–]\s*\[(\d+)\])?")
# Capitalised words that start sentences and never name an author in a narrative citation.
_NOT_NAMES = {"In", "The", "During", "Since", "From", "Until", "By", "After", "Before", "And", "Of",
              "On", "At", "For", "To", "As", "This", "That", "These", "Those", "December", "January",
              "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "Spring", "Summer", "Autumn", "Winter", "Fall", "Table", "Figure", "Picture"}


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

    @property
    def n_authors(self) -> int:
        return 99 if self.et_al else len(self.families)


def reference_from_work(work: Work, position: int) -> Reference:
    families = [a.get("family") or a.get("literal") or "" for a in work.authors]
    issued = (work.csl.get("issued") or {}).get("date-parts") or [[None]]
    year = issued[0][0] if issued and issued[0] else None
    suffix = str(work.csl.get("year-suffix") or "")
    return Reference(position, work.id, families, year, suffix, work.et_al, work.csl.get("title", ""))


class ReferenceIndex:
    """Look references up by (surname key, year), by surname key and by year."""

    def __init__(self, references: list[Reference], suffix: dict[int, str] | None = None):
        self.references = references
        self.suffix = suffix or {}  # index -> the a/b letter APA would give it
        self.joiner = "&"  # what the document puts between two authors: "&" or "and"
        self.by_key_year: dict[tuple[str, int | None], list[int]] = defaultdict(list)
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.by_year: dict[int | None, list[int]] = defaultdict(list)
        self.year_affix: dict[tuple[int | None, str], list[str]] = defaultdict(list)
        self.core_of: dict[str, str] = {}
        self.year_key_refs: dict[tuple[int | None, str], list[int]] = defaultdict(list)
        for i, ref in enumerate(references):
            first = ref.families[0] if ref.families else ""
            for key in name_keys(first):
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

    def exact(self, surname: str, year: int) -> list[int]:
        found: set[int] = set()
        for key in name_keys(surname):
            found.update(self.by_key_year.get((key, year), ()))
        return sorted(found)

    def fuzzy(self, surname: str, year: int, cutoff: float = 80) -> list[int]:
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
            hits = process.extract(core, [self.core_of[k] for k in keys], scorer=fuzz.ratio,
                                   score_cutoff=cutoff, limit=3)
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


def _year_variants(year: str) -> list[int]:
    """Every year one typo away: one digit changed, or two neighbours swapped.

    >>> 1978 in _year_variants("1878"), 1978 in _year_variants("1987"), 2009 in _year_variants("1998")
    (True, True, False)
    """
    out = set()
    for i in range(len(year)):
        for d in "0123456789":
            if d != year[i]:
                out.add(year[:i] + d + year[i + 1:])
        if i + 1 < len(year) and year[i] != year[i + 1]:
            out.add(year[:i] + year[i + 1] + year[i] + year[i + 2:])
    return sorted(int(y) for y in out if y[0] != "0")


# ---------------------------------------------------------------------------------------------
# Detection


def _split_names(names: str) -> list[str]:
    parts = re.split(r"\s*,\s*(?:and\s+|&\s*)?|\s+(?:and|&)\s+", names.strip())
    return [p for p in (p.strip() for p in parts) if p]


def detect(document: Document, numbered: bool = False) -> list[Citation]:
    """Every in-text citation in a document, in document order, with exact spans."""
    enabled = gc.isenabled()
    gc.disable()  # many small objects, no cycles
    try:
        return _detect(document, numbered)
    finally:
        if enabled:
            gc.enable()


def _detect(document: Document, numbered: bool) -> list[Citation]:
    text = document.text
    found: list[Citation] = []
    group = 0
    passages = document.passages
    for passage in passages:
        body = passage.text
        base = passage.start
        taken: list[tuple[int, int]] = []
        for m in PAREN.finditer(body):
            inner_start = m.start(1)
            parts = list(_split_parts(m.group(1)))
            group += 1
            previous: Citation | None = None
            group_cites: list[Citation] = []
            for offset, part in parts:
                start = inner_start + offset
                cites = _parse_part(part, start, previous)
                if cites is None:
                    previous = None
                    continue
                group_cites.extend(cites)
                previous = cites[-1]
            if group_cites:
                taken.append((m.start(), m.end()))
                for c in group_cites:
                    c.group = group
                found.extend(_place(group_cites, document, passage, base))
        for m in NARRATIVE.finditer(body):
            if any(s <= m.start() < e or s < m.end() <= e for s, e in taken):
                continue
            first = _split_names(m.group("names"))[0]
            if first.split()[-1] in _NOT_NAMES or first in _NOT_NAMES:
                continue
            group += 1
            years = re.findall(_YEAR, m.group("years"))
            cites = []
            for y in years:
                cites.append(Citation(
                    id="", document_id=document.id, passage_id=passage.id, start=m.start(), end=m.end(),
                    text="", names=_split_names(m.group("names")), et_al=bool(m.group("etal")),
                    year=y, locator=m.group("locator"), group=group, narrative=True))
                cites[-1].raw_etal = (m.group("etal") or "").strip()
                cites[-1].missing_comma = False
            found.extend(_place(cites, document, passage, base))
        if numbered:
            for m in NUMBERED.finditer(body):
                group += 1
                spec = m.group(1) + (f"-{m.group(2)}" if m.group(2) else "")
                for n in _expand_numbers(spec):
                    c = Citation(id="", document_id=document.id, passage_id=passage.id, start=m.start(),
                                 end=m.end(), text="", names=[], et_al=False, year="", group=group, number=n)
                    c.raw_etal = ""
                    c.missing_comma = False
                    found.extend(_place([c], document, passage, base))
    found.sort(key=lambda c: (c.start, c.end))
    for i, c in enumerate(found, 1):
        c.id = f"{document.id}/c{i}"
        assert text[c.start:c.end] == c.text
    return found


def _expand_numbers(spec: str) -> list[int]:
    out: list[int] = []
    for piece in re.split(r"\s*,\s*", spec):
        if re.search(r"[-–]", piece):
            a, b = (int(x) for x in re.split(r"\s*[-–]\s*", piece))
            out.extend(range(a, b + 1) if b >= a and b - a < 1000 else [a, b])
        else:
            out.append(int(piece))
    return out


def _split_parts(inner: str) -> Iterable[tuple[int, str]]:
    pos = 0
    for piece in inner.split(";"):
        stripped = piece.strip()
        lead = len(piece) - len(piece.lstrip())
        yield pos + lead, stripped
        pos += len(piece) + 1


def _parse_part(part: str, start: int, previous: Citation | None) -> list[Citation] | None:
    """One ';'-separated piece of a parenthesis -> citations, or None when it is not one."""
    m = PART.match(part)
    if m:
        names = [m.group("org")] if m.group("org") else _split_names(m.group("names"))
        if names[0] in _NOT_NAMES:
            return None
        raw_etal = (m.group("etal") or "").strip(" ,")
        missing_comma = "," not in m.group("sep")
        years_start = m.start("years")
        locator = m.group("locator") or (f"p. {m.group('page')}" if m.group("page") else None)
        # the citation ends where the comment starts
        body = part[:m.start("comment")] if m.group("comment") else part
        return _year_citations(m.group("years"), years_start, start, names, bool(raw_etal), raw_etal,
                               missing_comma, locator, body, first_start=m.start("names"))
    m = BARE_YEAR.match(part)
    if m and previous is not None:
        return _year_citations(m.group("years"), 0, start, previous.names, previous.et_al,
                               previous.raw_etal, False, m.group("locator"), part,
                               first_start=0, continuation=True)
    return None


def _year_citations(years: str, years_start: int, start: int, names: list[str], et_al: bool, raw_etal: str,
                    missing_comma: bool, locator: str | None, part: str, first_start: int,
                    continuation: bool = False) -> list[Citation]:
    cites = []
    for i, ym in enumerate(re.finditer(_YEAR, years)):
        y_start = years_start + ym.start()
        y_end = years_start + ym.end()
        is_last = i == len(re.findall(_YEAR, years)) - 1
        if i == 0 and not continuation:
            s, e = first_start, y_end
        else:
            s, e = y_start, y_end
        if is_last and locator:
            e = len(part.rstrip())
        c = Citation(id="", document_id="", passage_id=None, start=start + s, end=start + e, text="",
                     names=list(names), et_al=et_al, year=ym.group(0), locator=locator)
        c.raw_etal = raw_etal
        c.missing_comma = missing_comma and i == 0 and not continuation
        c.continuation = continuation or i > 0
        cites.append(c)
    return cites


def _place(cites: list[Citation], document: Document, passage, base: int) -> list[Citation]:
    """Move spans from passage to document offsets and fill in where the citations are."""
    for c in cites:
        c.start += base
        c.end += base
        c.document_id = document.id
        c.passage_id = passage.id
        c.text = document.text[c.start:c.end]
    return cites


# ---------------------------------------------------------------------------------------------
# Resolution


def expected_form(ref: Reference, year_text: str, narrative: bool = False, joiner: str = "&") -> str:
    """How APA 7 would print a citation of this reference; ``joiner`` is what the document puts
    between two authors in parentheses ("&" in APA, "and" in Harvard)."""
    fams = ref.families
    if not fams:
        names = "Anonymous"
    elif ref.n_authors >= 3:
        names = f"{fams[0]} et al."
    elif ref.n_authors == 2:
        names = f"{fams[0]} and {fams[1]}" if narrative else f"{fams[0]} {joiner} {fams[1]}"
    else:
        names = fams[0]
    return f"{names} ({year_text})" if narrative else f"{names}, {year_text}"


def _describe(ref: Reference) -> str:
    fams = ref.families
    who = fams[0] if len(fams) == 1 else (f"{fams[0]} & {fams[1]}" if len(fams) == 2 else f"{fams[0]} et al.")
    return f"[{ref.position}] {who} {ref.year or 'n.d.'}"


def _form_fits(c: Citation, ref: Reference) -> bool:
    n = ref.n_authors
    if c.et_al:
        return n >= 3
    if len(c.names) >= 2:
        return n == len(c.names) and any(k in name_keys(ref.families[1]) for k in name_keys(c.names[1])) if n >= 2 else False
    return n == 1


def _form_problems(c: Citation, ref: Reference) -> list[str]:
    n = ref.n_authors
    problems = []
    if c.et_al and n < 3:
        problems.append("et-al-for-few-authors")
    elif not c.et_al and n >= 3:
        problems.append("et-al-missing")
    elif not c.et_al and len(c.names) == 1 and n == 2:
        problems.append("co-author-missing")
    return problems


def _malformed(c: Citation) -> list[str]:
    notes = []
    raw = c.raw_etal
    if c.et_al and raw and not c.continuation and not raw.startswith("and") and re.sub(r"\s+", " ", raw) != "et al.":
        notes.append(f"write 'et al.' (printed {raw!r})")
    if c.missing_comma and not c.narrative:
        notes.append("a comma is missing between the author and the year")
    return notes


def resolve(citations: list[Citation], works: list[Work]) -> list[Citation]:
    """Give each citation a status, its reference or candidates, its problems and a message."""
    # Many small objects and no reference cycles: the cyclic collector would only rescan them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _resolve_all(citations, works)
    finally:
        if enabled:
            gc.enable()


def document_joiner(citations: list[Citation]) -> str:
    """ "and" when the document joins two authors in parentheses with "and" more often than
    with "&" (Harvard), else "&" (APA)."""
    two = [c.text for c in citations if len(c.names) == 2 and not c.narrative]
    ands = sum(" and " in t for t in two)
    return "and" if ands > len(two) - ands else "&"


def _resolve_all(citations: list[Citation], works: list[Work]) -> list[Citation]:
    refs = [reference_from_work(w, i) for i, w in enumerate(works, 1)]
    position = {w.id: i for i, w in enumerate(works)}
    index = ReferenceIndex(refs, {position[k]: v for k, v in year_suffixes(works).items()})
    index.joiner = document_joiner(citations)
    # "Wiewiora 2016" is malformed in a document that writes "Ostrom, 1996"; in one that writes
    # "Hites 2004" throughout (Harvard without commas) it is the house style.
    first_parts = [c for c in citations if c.names and not c.narrative and not c.continuation]
    if sum(c.missing_comma for c in first_parts) * 2 > len(first_parts):
        for c in first_parts:
            c.missing_comma = False
    # The same citation printed the same way resolves the same way: resolve it once.
    done: dict[tuple, Citation] = {}
    for c in citations:
        key = (tuple(c.names), c.et_al, c.year, c.number, c.narrative, c.raw_etal,
               c.missing_comma, c.continuation)
        seen = done.get(key)
        if seen is None:
            _resolve_one(c, refs, index)
            done[key] = c
        else:  # the lists are shared, never changed after resolution
            c.status, c.work_id, c.reference, c.expected, c.message, c.candidates, c.problems, c.candidate_ids = (
                seen.status, seen.work_id, seen.reference, seen.expected, seen.message, seen.candidates, seen.problems,
                seen.candidate_ids)
    return citations


def _resolve_one(c: Citation, refs: list[Reference], index: ReferenceIndex) -> None:
    problems: list[str] = []
    if c.number is not None:
        if 1 <= c.number <= len(refs):
            _settle(c, refs[c.number - 1], [])
        else:
            c.status, c.problems = "missing", ["missing-reference"]
            c.message = f"there is no entry [{c.number}]; the list has {len(refs)}"
        return
    surname = c.names[0]
    year_text = c.year
    year = int(year_text[:4])
    suffix = year_text[4:]
    base = index.exact(surname, year)
    if not base:
        base = index.fuzzy(surname, year)
        if base:
            problems.append("misspelt-name")  # several near-ties stay candidates: ambiguous below
    if not base:
        typos = sorted({i for y in _year_variants(str(year)) for i in index.exact(surname, y)})
        fitting = [i for i in typos if _form_fits(c, refs[i])] or typos
        if len(fitting) == 1:
            problems.append("wrong-year")
            base = fitting
    if not base:
        c.status = "missing"
        c.problems = ["missing-reference"] + (["malformed"] if _malformed(c) else [])
        near = [_describe(refs[i]) for i in index.same_author(surname)]
        c.message = f"no entry for {' & '.join(c.names)}{' et al.' if c.et_al else ''} {year_text}"
        c.message += f"; the list has {', '.join(near)}" if near else "; add the reference to the list"
        return
    candidates = base
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
        if len(by_form) == 1:
            candidates = by_form
    if len(candidates) > 1:
        c.status = "ambiguous"
        c.candidates = [refs[i].position for i in candidates]
        c.candidate_ids = [refs[i].work_id for i in candidates]
        same_year_author = len({(name_key(refs[i].families[0]) if refs[i].families else "", refs[i].year)
                                for i in candidates}) == 1
        if same_year_author and not suffix:
            problems.append("needs-year-suffix")
        forms = {tuple(_form_problems(c, refs[i])) for i in candidates}
        if len(forms) == 1:
            problems.extend(forms.pop())
        notes = _malformed(c)
        if notes:
            problems.append("malformed")
        c.problems = _ordered(problems)
        ordered = sorted(candidates, key=lambda i: refs[i].position)
        options = " or ".join(expected_form(refs[i], f"{refs[i].year}{index.suffix.get(i, '')}", c.narrative, index.joiner)
                              for i in sorted(candidates, key=lambda i: (index.suffix.get(i, ""), refs[i].position)))
        c.message = f"{len(candidates)} entries fit: {', '.join(_describe(refs[i]) for i in ordered)}"
        if "needs-year-suffix" in problems:
            c.message += f"; add year suffixes to the list ({_suffix_plan(ordered, refs, index)}) and cite {options}"
        c.message += "".join(f"; {n}" for n in notes)
        return
    letter = index.suffix.get(candidates[0], "")
    if letter and c.year[4:] != letter:
        problems.append("needs-year-suffix")
    _settle(c, refs[candidates[0]], problems, letter, index.joiner)


def _suffix_plan(ordered: list[int], refs: list[Reference], index: ReferenceIndex) -> str:
    return ", ".join(f"[{refs[i].position}] {refs[i].year}{index.suffix.get(i, '?')}" for i in ordered)


def _ordered(problems: list[str]) -> list[str]:
    return sorted(set(problems), key=CITATION_PROBLEMS.index)


def _settle(c: Citation, ref: Reference, problems: list[str], letter: str = "", joiner: str = "&") -> None:
    c.reference = ref.position
    c.work_id = ref.work_id
    c.candidates = []
    if c.number is None:
        problems = problems + _form_problems(c, ref)
        if _malformed(c):
            problems.append("malformed")
    c.problems = _ordered(problems)
    c.status = "mismatch" if c.problems else "ok"
    if c.number is not None:
        c.message = "ok"
        return
    year_text = str(ref.year) if ref.year else "n.d."
    c.expected = expected_form(ref, year_text + (letter or (c.year[4:] if ref.suffix else "")), c.narrative, joiner)
    if c.status == "ok":
        c.message = "ok"
        return
    reasons = []
    if "misspelt-name" in c.problems:
        reasons.append(f"the name is spelt {ref.families[0]!r} in the list")
    if "wrong-year" in c.problems:
        reasons.append(f"the year is {ref.year} in the list, not {c.year}")
    if "et-al-for-few-authors" in c.problems:
        reasons.append(f"'et al.' is for three or more authors; this work has {ref.n_authors}")
    if "et-al-missing" in c.problems:
        reasons.append(f"this work has {ref.n_authors if ref.n_authors < 99 else 'several'} authors: add 'et al.'")
    if "co-author-missing" in c.problems:
        reasons.append(f"this work has two authors: name {ref.families[1]} too")
    if "needs-year-suffix" in c.problems:
        reasons.append(f"the list has several works by these authors in {ref.year}: this one is {ref.year}{letter}")
    reasons.extend(_malformed(c))
    c.message = f"should read \"{c.expected}\" ({'; '.join(reasons)})"


# ---------------------------------------------------------------------------------------------
# Reference-list checks


def check_references(works: list[Work], source: str = "") -> list[Problem]:
    """Problems of the list itself, each tied to its entry."""
    problems: list[Problem] = []

    def add(work: Work, code: str, message: str) -> None:
        problems.append(Problem(code=code, message=message, source=work.source or source, line=work.line,
                                work_id=work.id))

    for w in works:
        if not any(p.code == "unparsed-reference" for p in w.problems):
            for code, message in entry_problems(w.csl, w.et_al):
                add(w, code, message)
    # one person, two spellings: same given initial, same German-folded surname, different print
    spellings: dict[tuple[str, str], dict[str, list[Work]]] = defaultdict(lambda: defaultdict(list))
    for w in works:
        for a in w.authors:
            fam = a.get("family")
            if not fam:
                continue
            initial = fold((a.get("given") or "?")[:1]).upper()
            key = re.sub(r"[^a-z]", "", _german_key(fam))
            spellings[(key, initial)][fam].append(w)
    for (_key, initial), forms in spellings.items():
        if len(forms) > 1:
            names = sorted(forms)
            for fam, ws in forms.items():
                for w in ws:
                    add(w, "inconsistent-author-spelling",
                        f"{initial}. {fam} is spelt {' and '.join(repr(n) for n in names)} in this list")
    # duplicates: same first author, year and near-identical title
    seen: dict[tuple[str, int | None], list[Work]] = defaultdict(list)
    for w in works:
        first = w.authors[0].get("family") or w.authors[0].get("literal", "") if w.authors else ""
        for other in seen[(_german_key(first), w.year)]:
            if fuzz.ratio(fold(other.csl.get("title", "")).lower(), fold(w.csl.get("title", "")).lower()) >= 95:
                add(w, "duplicate-entry", f"same work as entry {other.position} ({other.id})")
        seen[(_german_key(first), w.year)].append(w)
    # order: only for lists that are alphabetical on the whole
    keys = [(sort_key(w.authors[0].get("family") or w.authors[0].get("literal", "")) if w.authors else "", w.year or 0)
            for w in works]
    if len(keys) > 3:
        in_order = sum(1 for a, b in zip(keys, keys[1:], strict=False) if a[0] <= b[0])
        if in_order / (len(keys) - 1) >= 0.8:
            for i in range(1, len(works)):
                if keys[i][0] < keys[i - 1][0]:
                    prev = works[i - 1].authors[0]
                    add(works[i], "out-of-order",
                        f"out of alphabetical order: should come before {prev.get('family') or prev.get('literal')} "
                        f"(entry {works[i - 1].position})")
    return problems


def _german_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", fold_german(name).lower())


def year_suffixes(works: list[Work]) -> dict[str, str]:
    """APA's a/b letters for works by the same authors in the same year, ordered by title.

    >>> a = Work({"id": "a", "author": [{"family": "Pestoff", "given": "V."}], "title": "What is", "issued": {"date-parts": [[2012]]}})
    >>> b = Work({"id": "b", "author": [{"family": "Pestoff", "given": "V."}], "title": "Coproduction", "issued": {"date-parts": [[2012]]}})
    >>> year_suffixes([a, b])
    {'b': 'a', 'a': 'b'}
    """
    groups: dict[tuple, list[Work]] = defaultdict(list)
    for w in works:  # the same people: Löffler and Loeffler are one author
        names = tuple((_german_key(n.get("family") or n.get("literal") or ""), fold((n.get("given") or "")[:1]))
                      for n in w.authors)
        groups[(names, w.et_al, w.year)].append(w)
    out = {}
    for group in groups.values():
        if len(group) > 1 and group[0].year:
            for i, w in enumerate(sorted(group, key=lambda w: re.sub(r"^(the|a|an)\s+", "", w.csl.get("title", "").lower()))):
                out[w.id] = "abcdefghijklmnopqrstuvwxyz"[i] if i < 26 else str(i)
    return out



@dataclass
class CheckReport:
    citations: list[Citation]
    uncited: list[int]
    reference_problems: list[Problem]
    works: list[Work] = field(default_factory=list)


def check(document: Document, works: list[Work], numbered: bool = False) -> CheckReport:
    """Detect, resolve and check: the whole of ``kb check`` for one document."""
    works = [copy.copy(w) for w in works]  # positions are this list's, whatever other lists say
    for i, w in enumerate(works, 1):
        w.position = i
    citations = resolve(detect(document, numbered=numbered), works)
    cited = {c.reference for c in citations if c.reference}
    cited.update(p for c in citations for p in c.candidates)
    uncited = [i for i in range(1, len(works) + 1) if i not in cited]
    problems = check_references(works)
    found = {(p.work_id, p.code) for p in problems}
    for w in works:  # what reading the list found (an entry that does not parse, say)
        problems += [p for p in w.problems if (w.id, p.code) not in found]
    for i in uncited:
        w = works[i - 1]
        problems.append(Problem(code="uncited-reference", message="listed but never cited in the text",
                                source=w.source, line=w.line, work_id=w.id))
    problems.sort(key=lambda p: (next((w.position for w in works if w.id == p.work_id), 0), p.code))
    return CheckReport(citations, uncited, problems, works)
