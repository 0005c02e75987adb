"""Works from several sources -> one work each.

Two records are the same work when they share a DOI, or when their first authors' surnames,
years and normalised titles agree (titles compared with rapidfuzz). Matching is indexed by
(first-author key, year), never a loop over every pair.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

from kb.normalise import family, fold, name_key, pages
from kb.records import Problem, Work

COMPARED = [
    "type",
    "author",
    "title",
    "container-title",
    "volume",
    "issue",
    "page",
    "issued",
    "publisher",
    "publisher-place",
    "event",
    "event-place",
    "DOI",
    "URL",
    "ISBN",
    "edition",
]


def title_key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(title or "").lower()).strip()


def first_author_key(work: Work) -> str:
    a = work.authors[0] if work.authors else {}
    return name_key(family(a))


def same_work(a: Work, b: Work, threshold: float = 90) -> bool:
    """True only on positive evidence: the same DOI, or the same first author and year and titles
    that read the same. Two records that lack a title or an author are not the same work for
    lacking the same thing.

    >>> smith = {"author": [{"family": "Smith"}], "issued": {"date-parts": [[2000]]}}
    >>> same_work(Work(csl={"id": "a", **smith, "title": "Water"}), Work(csl={"id": "b", **smith, "title": "Water."}))
    True
    >>> same_work(Work(csl={"id": "a"}), Work(csl={"id": "b"}))
    False
    """
    doi_a, doi_b = (a.csl.get("DOI") or "").lower(), (b.csl.get("DOI") or "").lower()
    if doi_a and doi_b:
        return doi_a == doi_b
    if a.year != b.year or first_author_key(a) != first_author_key(b):
        return False
    return _titles_agree(a, b, threshold)


_SUBTITLE = re.compile(r"\s*(?::|\s[-–—]\s)\s*")


def _titles_agree(a: Work, b: Work, threshold: float = 90) -> bool:
    """Both have a first author and a title, and the titles read the same (rapidfuzz), or one is
    the other without its subtitle ("Governing the commons" and "Governing the Commons: The
    Evolution of Institutions for Collective Action"), a main title of two words or more.

    >>> ostrom = {"author": [{"family": "Ostrom"}], "issued": {"date-parts": [[1990]]}}
    >>> short = Work(csl={"id": "a", **ostrom, "title": "Governing the commons"})
    >>> long = Work(csl={"id": "b", **ostrom, "title": "Governing the Commons: The Evolution of Institutions"})
    >>> _titles_agree(short, long), _titles_agree(long, Work(csl={"id": "c", **ostrom, "title": "Governing the commons: A reply"}))
    (True, False)
    """
    raw_a, raw_b = a.csl.get("title", ""), b.csl.get("title", "")
    ta, tb = title_key(raw_a), title_key(raw_b)
    if not ta or not tb or not first_author_key(a):
        return False
    if fuzz.ratio(ta, tb) >= threshold:
        return True
    main_a, main_b = (_SUBTITLE.split(str(t), maxsplit=1) for t in (raw_a, raw_b))
    if (len(main_a) > 1) == (len(main_b) > 1):
        return False  # both with a subtitle (they differ), or neither
    main = title_key(main_a[0] if len(main_a) > 1 else main_b[0])
    whole = ta if len(main_a) == 1 else tb
    return len(main.split()) >= 2 and fuzz.ratio(main, whole) >= threshold


def match(primary: list[Work], other: list[Work]) -> list[tuple[Work | None, Work | None]]:
    """Pair each work of ``other`` with the same work in ``primary`` (or None)."""
    by_doi = {w.csl["DOI"].lower(): w for w in primary if w.csl.get("DOI")}
    by_key: dict[tuple[str, int | None], list[Work]] = defaultdict(list)
    for w in primary:
        by_key[(first_author_key(w), w.year)].append(w)
    used: set[str] = set()
    found_for: list[Work | None] = []
    for o in other:
        found = by_doi.get((o.csl.get("DOI") or "").lower()) if o.csl.get("DOI") else None
        if found is None:
            found = _best(by_key.get((first_author_key(o), o.year), []), o, used, 90)
        if found is not None:
            used.add(found.id)
        found_for.append(found)
    # then, in one list read twice (``merge_sources``), an entry that found none by its year is
    # the one whose first author and title read the same: one of the two readings has the year
    # wrong (a source-disagreement), rather than two works
    by_author: dict[str, list[Work]] = defaultdict(list)
    for w in primary:
        if w.id not in used:
            by_author[first_author_key(w)].append(w)
    for i, o in enumerate(other):
        if found_for[i] is None and by_author:
            found = _best(by_author.get(first_author_key(o), []), o, used, 95)
            if found is not None:
                used.add(found.id)
                found_for[i] = found
    pairs: list[tuple[Work | None, Work | None]] = list(zip(found_for, other, strict=True))
    pairs += [(w, None) for w in primary if w.id not in used]
    return pairs


def _best(candidates: list[Work], o: Work, used: set[str], least: float) -> Work | None:
    """The candidate not ``used`` whose title reads most like ``o``'s, at ``least`` (rapidfuzz's
    ratio, 0-100)."""
    best, score = None, 0.0
    for cand in candidates:
        if cand.id in used or not _titles_agree(cand, o, 0):
            continue
        s = fuzz.ratio(title_key(cand.csl.get("title", "")), title_key(o.csl.get("title", "")))
        if s > score:
            best, score = cand, s
    return best if score >= least else None


@dataclass
class FieldSource:
    work_id: str
    field: str
    source: str
    line: int | None
    value: str


def merge_sources(
    curated: list[Work], parsed: list[Work], parsed_label: str = "free-text"
) -> tuple[list[Work], list[FieldSource], list[Problem]]:
    """Merge a parsed free-text list into curated works: one work, one row; every field
    remembers which source said it; every disagreement is a problem."""
    sources: list[FieldSource] = []
    problems: list[Problem] = []
    merged: list[Work] = []
    for w in curated:
        for f in COMPARED:
            if f in w.csl:
                sources.append(FieldSource(w.id, f, w.source, w.line, _show(w.csl[f])))
    extra: list[Work] = []
    for base, p in match(curated, parsed):
        if p is None:
            continue
        if base is None:
            extra.append(p)
            for f in COMPARED:
                if f in p.csl:
                    sources.append(FieldSource(p.id, f, p.source, p.line, _show(p.csl[f])))
            continue
        base.raw = p.raw
        # what is wrong with the file itself (a RIS record without ER): kept whoever gives the fields
        base.problems += [dataclasses.replace(q, work_id=base.id) for q in p.problems if q.code == "malformed-field"]
        for f in COMPARED:
            if f in p.csl:
                sources.append(FieldSource(base.id, f, p.source, p.line, _show(p.csl[f])))
            # a field one source leaves out is no disagreement: the other says more
            if f in p.csl and f in base.csl and not _agree(f, p.csl[f], base.csl[f]):
                problems.append(
                    Problem(
                        "source-disagreement",
                        f"{f}: {base.source} says {_show(base.csl.get(f))}, the {parsed_label} list ({p.source}:{p.line}) "
                        f"reads {_show(p.csl.get(f))}",
                        source=p.source,
                        line=p.line,
                        work_id=base.id,
                    )
                )
    merged = curated + extra
    return merged, sources, problems


def _agree(field: str, a: object, b: object) -> bool:
    """Two sources give a field the same value: pages as written out (250-61 and 250-261 are one
    range, as are 846–860 and 846-860); text whatever its case, spaces and final full stop (a
    title sentence-cased in one list and title-cased in another is one title)."""
    if field == "page" and isinstance(a, str) and isinstance(b, str):
        return pages(a) == pages(b)
    if isinstance(a, str) and isinstance(b, str):  # "Governing the Commons" and "Governing the commons"
        return " ".join(a.split()).rstrip(".").casefold() == " ".join(b.split()).rstrip(".").casefold()
    return a == b


def _show(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
