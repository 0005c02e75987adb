"""Entries of every reference list -> works: the one place where a work's identity is decided.

Reading gives *entries*: immutable, keyed by (document, position), each the work as its own
list gives it (the hand-checked BibTeX and the free-text reading already merged), with what
reading and merging found on it (field sources, problems). ``link`` walks them in order and
gives each entry a work id, once:

- the same work cited by two lists becomes one work, but only on positive evidence (the same
  DOI, or the same first author, year and a title that reads the same: see ``kb.merge.same_work``);
- an entry that could not be parsed is never merged: it stays its own work, with its raw text,
  as bibtexparser keeps a failed block;
- a work takes a key its sources give (a BibTeX key, a CSL-JSON or JATS id: ``Work.key_given``)
  over one kb made from a free-text reading, whichever list comes first: adding a document
  whose free-text list reprints works of a ``.bib`` never renames them. Among keys of one kind,
  the first list's. A letter tells apart works with one key (``smith2000water``,
  ``smith2000watera``), the keys given taking theirs first. Every record naming a work is
  written once its key is decided, with its final id.

Each document keeps its own list (``Linked.lists``): its entries as printed there (position,
number, raw text, source line), each carrying the linked work id. Checking a document's
citations reads its own list, never another document's copy of a shared work.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kb.merge import FieldSource, first_author_key, same_work, title_key
from kb.normalise import family, name_key
from kb.records import Problem, Work

# the problem a reader gives an entry it could not parse
FAILED = "unparsed-reference"


def is_failed(work: Work) -> bool:
    """True for an entry nobody could read: it has no identity to share with any other."""
    return any(p.code == FAILED for p in work.problems)


@dataclass(frozen=True)
class Entry:
    """One entry of one reference list, as read: never changed after it is made."""

    document_id: str
    position: int  # 1-based position in that document's list
    work: Work  # the work as this list gives it; its id is the key it has in this list
    field_sources: tuple[FieldSource, ...] = ()
    problems: tuple[Problem, ...] = ()  # what merging this entry's sources found (source-disagreement)

    @property
    def key_in_list(self) -> str:
        return self.work.id

    @property
    def failed(self) -> bool:
        return is_failed(self.work)


def document_entries(
    document_id: str, works: list[Work], field_sources: Iterable[FieldSource] = (), problems: Iterable[Problem] = ()
) -> list[Entry]:
    """One document's list as entries: each field source and problem goes with the entry whose
    key (unique within the list) it names."""
    sources_of: dict[str, list[FieldSource]] = defaultdict(list)
    problems_of: dict[str, list[Problem]] = defaultdict(list)
    for fs in field_sources:
        sources_of[fs.work_id].append(fs)
    for p in problems:
        problems_of[p.work_id or ""].append(p)
    return [
        Entry(document_id, position, w, tuple(sources_of[w.id]), tuple(problems_of[w.id]))
        for position, w in enumerate(works, 1)
    ]


@dataclass
class Linked:
    """What linking gives: the works, each document's list, and the records that name works."""

    works: list[Work] = field(default_factory=list)
    lists: dict[str, list[Work]] = field(default_factory=dict)  # document id -> its list, as printed there
    entries: list[dict] = field(default_factory=list)  # reference_entries rows
    field_sources: list[FieldSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


_WORDS = re.compile(r"[^\W\d_]+")
_LIST_OWN = frozenset({"id", "citation-label", "year-suffix"})  # what one list gives an entry, not the work


def _fuller(mine: dict, theirs: dict) -> bool:
    """``theirs`` is the same person as ``mine``, its given names as full or fuller: "Elinor"
    for "E.", "Elinor" for "Elinor"."""
    if name_key(family(mine)) != name_key(family(theirs)) or "literal" in mine or "literal" in theirs:
        return False
    a, b = str(mine.get("given") or ""), str(theirs.get("given") or "")
    return [w[0] for w in _WORDS.findall(b)] == [w[0] for w in _WORDS.findall(a)]


class _Works:
    """Works linked so far, looked up by DOI or by (first author, year); failed entries are
    never looked up."""

    def __init__(self) -> None:
        self.works: list[Work] = []
        self.by_doi: dict[str, Work] = {}
        self.by_key: dict[tuple[str, int | None], list[Work]] = defaultdict(list)

    def find(self, w: Work) -> Work | None:
        if is_failed(w):
            return None
        doi = (w.csl.get("DOI") or "").lower()
        if doi and doi in self.by_doi:
            return self.by_doi[doi]
        for cand in self.by_key.get((first_author_key(w), w.year), []):
            if same_work(cand, w):
                return cand
        return None

    def add(self, w: Work) -> Work:
        """A new work, keyed for now by the entry's key (:meth:`keyed` decides its own)."""
        work = dataclasses.replace(w, csl=dict(w.csl), problems=list(w.problems))
        self.works.append(work)
        if not is_failed(work):
            if work.csl.get("DOI"):
                self.by_doi[work.csl["DOI"].lower()] = work
            self.by_key[(first_author_key(work), work.year)].append(work)
        return work

    def complete(self, work: Work, other: Work) -> None:
        """What another list says of the same work and the work lacks: its DOI, place, pages...
        (never a list's own number); the title with its subtitle where the work had it without;
        the authors' given names in full where the work had their initials."""
        for var, value in other.csl.items():
            if var not in work.csl and var not in _LIST_OWN and value not in (None, "", []):
                work.csl[var] = value
                if var == "DOI":
                    self.by_doi.setdefault(str(value).lower(), work)
        title, longer = str(work.csl.get("title") or ""), str(other.csl.get("title") or "")
        if len(longer) > len(title) and title_key(longer).startswith(title_key(title)) and title_key(title):
            work.csl["title"] = longer
        mine, theirs = work.csl.get("author") or [], other.csl.get("author") or []
        if (
            len(mine) == len(theirs)
            and any(
                len(str(b.get("given") or "")) > len(str(a.get("given") or ""))
                for a, b in zip(mine, theirs, strict=True)
            )
            and all(_fuller(a, b) for a, b in zip(mine, theirs, strict=True))
        ):  # (the lengths first: most entries of a work print it alike)
            work.csl["author"] = [dict(b) for b in theirs]

    def keyed(self) -> None:
        """Each work's own key: the first key its sources give, else its first entry's; with a
        letter when another work has it already, the keys given taking theirs first."""
        ids: set[str] = set()
        for work in [w for w in self.works if w.key_given] + [w for w in self.works if not w.key_given]:
            key, n = work.id, 0
            while key in ids:
                key = f"{work.id}{'abcdefghijklmnopqrstuvwxyz'[n]}" if n < 26 else f"{work.id}{n}"
                n += 1
            ids.add(key)
            work.csl = {**work.csl, "id": key}
            work.problems = [dataclasses.replace(p, work_id=key) for p in work.problems]


def link(entries: Iterable[Entry], unlisted: Iterable[Work] = ()) -> Linked:
    """Give every entry its work, in order; then the works of files no document names.

    >>> from kb.records import Work
    >>> a = Work(csl={"id": "smith2000water", "title": "Water governance in cities",
    ...               "author": [{"family": "Smith"}], "issued": {"date-parts": [[2000]]}})
    >>> b = Work(csl={"id": "smith2000water", "title": "Water pricing and social equity",
    ...               "author": [{"family": "Smith"}], "issued": {"date-parts": [[2000]]}})
    >>> linked = link([Entry("a", 1, a), Entry("b", 1, b), Entry("c", 1, a)])
    >>> [w.id for w in linked.works], [e["work_id"] for e in linked.entries]
    (['smith2000water', 'smith2000watera'], ['smith2000water', 'smith2000watera', 'smith2000water'])
    """
    index = _Works()
    out = Linked()
    placed: list[tuple[Entry, Work]] = []
    for e in entries:
        work = index.find(e.work)
        if work is None:
            work = index.add(e.work)
        else:
            if not work.raw and e.work.raw:
                work.raw = e.work.raw
            index.complete(work, e.work)
            if e.work.key_given and not work.key_given:  # the key a source gives, over one kb made
                work.csl["id"], work.key_given = e.work.id, True
        placed.append((e, work))
    for w in unlisted:  # a BibTeX file no document names: its works still count
        if index.find(w) is None:
            index.add(w)
    index.keyed()
    for e, work in placed:
        out.lists.setdefault(e.document_id, []).append(
            dataclasses.replace(
                e.work,
                csl={**e.work.csl, "id": work.id},
                problems=[dataclasses.replace(p, work_id=work.id) for p in e.work.problems],
            )
        )
        out.entries.append(
            {
                "document_id": e.document_id,
                "position": e.position,
                "source": e.work.source,
                "line": e.work.line,
                "raw": e.work.raw or None,
                "work_id": work.id,
                "key_in_list": e.key_in_list,
            }
        )
        # each field's source for the work (18 an entry: made directly, not by dataclasses.replace,
        # which took four times as long over the 1.8 million of them at 100,000 works)
        out.field_sources += [FieldSource(work.id, fs.field, fs.source, fs.line, fs.value) for fs in e.field_sources]
        out.problems += [dataclasses.replace(p, work_id=work.id) for p in e.problems]
    out.works = index.works
    return out
