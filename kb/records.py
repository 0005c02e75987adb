"""The records kb passes from stage to stage.

A work is a CSL-JSON item (``Work.csl``): CSL-JSON is the one internal model of a work.
Everything else (documents, passages, citations, findings, problems) is a small dataclass.
Loaders build these; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


class KbError(Exception):
    """A mistake the caller can fix: names the file, the line and what to do."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None, hint: str | None = None):
        self.message = message
        self.path = path
        self.line = line
        self.hint = hint
        super().__init__(str(self))

    def __reduce__(self) -> tuple:
        # pickled whole (an error raised in a forked process comes back to be reported here)
        return (type(self), (self.message, self.path, self.line, self.hint))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  fix: {self.hint}"
        return text


def one_of(known: Sequence[str] | set[str], given: object = None, most: int = 12) -> str:
    """The fix of an error that names something unknown: every choice when there are few, else
    how many there are and the closest to what was given (a library of 10,000 documents made a
    hint of every document's id, 130,000 characters).

    >>> one_of({"b", "a"})
    'use one of: a, b'
    >>> one_of(["citadel-latvia-report", "coproduction-essay"] + [f"doc{i:06}" for i in range(2000)], "citadel-latvia-reprt")
    "use one of the 2,002 known; the closest to 'citadel-latvia-reprt': citadel-latvia-report, coproduction-essay, doc000000"
    >>> one_of([])
    'none is defined'
    """
    names = sorted(set(known))
    if not names:
        return "none is defined"
    if len(names) <= most:
        return f"use one of: {', '.join(names)}"
    from rapidfuzz import fuzz, process

    closest = [name for name, _, _ in process.extract(str(given), names, scorer=fuzz.ratio, limit=3)]
    return f"use one of the {len(names):,} known; the closest to {str(given)!r}: {', '.join(closest)}"


@dataclass(slots=True)  # hundreds of thousands of them at 100,000 works
class Problem:
    """An integrity problem found in a source, the reference list or a citation.

    ``code`` comes from a fixed vocabulary (see ``PROBLEM_CODES``).
    """

    code: str
    message: str
    source: str = ""  # file the problem was found in
    line: int | None = None
    work_id: str | None = None
    citation_id: str | None = None
    passage_id: str | None = None
    severity: str = "warning"  # "error" for what needs fixing, "warning" otherwise


# The problem vocabulary: every code, with its severity beside it and what it means. "error":
# the reader cannot find the work, or the source contradicts itself; "warning": the form is
# wrong, the work is found. The one place a code's severity is decided.
CITATION_PROBLEM_VOCABULARY: dict[str, tuple[str, str]] = {
    "wrong-year": (
        "error",
        "the year printed is not the entry's (resolved only for a one-digit or swapped-digit typo, or a year off by one)",
    ),
    "wrong-author-order": ("warning", "the authors named in another order than the entry's"),
    "wrong-year-suffix": ("error", "a year letter none of the entries of those authors and that year has"),
    "needs-short-title": (
        "error",
        "an author-page citation of one of the author's several works, without its short title (MLA)",
    ),
    "misspelt-name": ("error", "a surname printed differently from the entry's"),
    "et-al-for-few-authors": ("warning", '"et al." for fewer authors than the style allows'),
    "et-al-missing": ("warning", 'all authors named where the style wants "et al."'),
    "co-author-missing": ("warning", "a co-author of the entry left out"),
    "wrong-co-author": ("warning", "a co-author named who is not the entry's"),
    "malformed": ("warning", '"at al.", "et al" without its full stop, a missing comma'),
    "needs-year-suffix": ("error", "two entries by the same authors in one year: 2012a, 2012b"),
    "extra-year-suffix": ("warning", "a letter after the year (2003a) for the one entry by those authors that year"),
    "needs-initials": ("error", "two first authors with one surname in one year: initials tell them apart"),
    "wrong-number": (
        "warning",
        "a numbered citation whose sentence names the first author of another entry, and none of its own",
    ),
    "mixed-style": ("error", "a number in an author-date document, or the other way round"),
    "missing-reference": ("error", "no entry of the list fits the citation"),
    "no-reference-list": ("error", "a document cites but has no reference list: its citations are kept, as missing"),
}
LIST_PROBLEM_VOCABULARY: dict[str, tuple[str, str]] = {
    "uncited-reference": ("warning", "listed but never cited in the text"),
    "out-of-order": (
        "warning",
        "out of alphabetical order in a list that is alphabetical, or of first citation in a numbered one",
    ),
    "duplicate-entry": ("warning", "the same work listed twice"),
    "inconsistent-author-spelling": ("warning", "one person spelt two ways in one list (Löffler, Loeffler)"),
    "truncated-author": ("warning", "an author's name cut short"),
    "suspicious-pages": ("warning", "a page range that runs backwards or is implausibly long"),
    "container-equals-title": ("warning", "the journal or book is the title again"),
    "et-al-in-list": ("warning", '"et al." in a reference list, which names every author'),
    "missing-year": ("warning", "no year"),
    "missing-title": ("warning", "no title"),
    "unparsed-reference": ("error", "an entry nobody could read, kept with its raw text"),
    "malformed-field": (
        "warning",
        "a field of the wrong shape (a number for a name, a list for a title), "
        "set aside: the entry's raw text keeps it",
    ),
    "source-disagreement": ("warning", "the hand-checked BibTeX and the free-text list differ on a field"),
}
SOURCE_PROBLEM_VOCABULARY: dict[str, tuple[str, str]] = {
    "source-contradiction": ("error", "the source says two things that cannot both hold; both are kept"),
    "incomplete-passage": ("warning", "a paragraph that starts mid-sentence in the source"),
    "not-utf8": ("warning", "a reference list not saved as UTF-8, read as Latin-1: accented names may be wrong"),
}
PROBLEMS: dict[str, tuple[str, str]] = {
    **CITATION_PROBLEM_VOCABULARY,
    **LIST_PROBLEM_VOCABULARY,
    **SOURCE_PROBLEM_VOCABULARY,
}
CITATION_PROBLEMS = tuple(CITATION_PROBLEM_VOCABULARY)
LIST_PROBLEMS = tuple(LIST_PROBLEM_VOCABULARY)
SOURCE_PROBLEMS = tuple(SOURCE_PROBLEM_VOCABULARY)
PROBLEM_CODES = tuple(PROBLEMS)
ERROR_PROBLEMS = frozenset(code for code, (severity, _) in PROBLEMS.items() if severity == "error")


def severity_of(code: str) -> str:
    """The severity of a problem code, from the vocabulary.

    >>> severity_of("wrong-year"), severity_of("uncited-reference")
    ('error', 'warning')
    """
    return PROBLEMS[code][0]


@dataclass
class Work:
    """One work: a CSL-JSON item plus where it came from.

    ``csl`` holds only CSL-JSON fields (``id``, ``type``, ``author``, ``title``, ...).
    """

    csl: dict[str, Any]
    raw: str = ""  # the reference as printed, when it came from a free-text list
    source: str = ""  # file it was read from
    line: int | None = None  # line in that file
    position: int | None = None  # 1-based position in its reference list
    provenance: str = ""  # document and line in the original source
    et_al: bool = False  # the printed author list ends in "et al." / "and others"
    problems: list[Problem] = field(default_factory=list)
    key_given: bool = False  # its key is its source's (a BibTeX key, a CSL-JSON id), not one kb made

    @property
    def id(self) -> str:
        return self.csl["id"]

    @property
    def year(self) -> int | None:
        parts = self.csl.get("issued", {}).get("date-parts") or [[None]]
        return parts[0][0] if parts and parts[0] else None

    @property
    def authors(self) -> list[dict[str, str]]:
        return self.csl.get("author") or self.csl.get("editor") or []


@dataclass
class ReferenceSection:
    """A document's own reference list: the text after its "## References" heading."""

    text: str
    start: int  # offset of the text in the document file
    line: int  # line of its first line in the document file


@dataclass
class Document:
    """A citing document or report, split into passages (paragraphs)."""

    id: str
    title: str
    kind: str
    path: str
    text: str  # the whole file as read
    meta: dict[str, Any]
    passages: list[Passage] = field(default_factory=list)
    references: ReferenceSection | None = None  # its own reference list, never read as body text

    @property
    def latex(self) -> bool:
        """A LaTeX file (.tex, .ltx): its \\cite commands and \\bibliography are read, % lines not."""
        return self.path.lower().endswith((".tex", ".ltx"))


@dataclass(slots=True)  # hundreds of thousands of them at 100,000 works
class Passage:
    """One paragraph of a document, with where it sits in the file and in the original source."""

    id: str
    document_id: str
    number: int  # 1-based paragraph number in its document
    text: str
    start: int  # character offset of the paragraph in the document file
    end: int
    line: int  # line of the paragraph in the document file
    source_line: int | None = None  # line in the original source (the seed)


@dataclass(slots=True)
class Citation:
    """One in-text citation: where it is, what it says, and what it resolves to."""

    id: str
    document_id: str
    passage_id: str | None
    start: int  # offset into the document text
    end: int
    text: str  # exactly document.text[start:end]
    names: list[str]  # surnames as printed
    et_al: bool
    year: str  # as printed, e.g. "2012" or "2010a"
    locator: str | None = None
    group: int = 0  # citations in the same parenthesis share a group number
    narrative: bool = False
    number: int | None = None  # numbered styles: [n]
    status: str = "missing"  # ok | mismatch | ambiguous | missing
    work_id: str | None = None
    reference: int | None = None  # 1-based position of the resolved entry
    # Sequences set whole by the resolver, never changed in place: an empty tuple by default
    # costs nothing per citation (a million citations would otherwise carry three million lists).
    candidates: Sequence[int] = ()
    problems: Sequence[str] = ()
    message: str = ""
    expected: str | None = None  # what the citation should read
    raw_etal: str = ""  # "et al" as printed ("et al", "at al.")
    missing_comma: bool = False  # "Wiewiora 2016"
    continuation: bool = False  # a bare year after a name: the "2016" of "Bovaird, 2007; 2016"
    candidate_ids: Sequence[str] = ()  # work ids of the candidates
    key: str | None = None  # pandoc "[@key]" and LaTeX "\\cite{key}": the list entry's id
    initials: str = ""  # "A." of "(A. Smith, 2010)"


@dataclass
class Concept:
    id: str
    pref_label: str
    alt_labels: list[str]
    hidden_labels: list[str]
    definition: str
    source: dict[str, Any]
    broader: list[str]
    related: list[str]
    exact_match: dict[str, Any] | None
    line: int | None = None
    not_within: list[str] = field(default_factory=list)  # phrases in which a label does not count


@dataclass(slots=True)  # hundreds of thousands of them at 100,000 works
class ConceptLink:
    concept_id: str
    target_table: str  # passages | works | findings | focus_groups | ...
    target_id: str
    method: str  # curated | matched | cited-in
    passage_id: str | None  # the evidence passage
    matched_text: str | None = None
    start: int | None = None  # span of the match inside the passage
    end: int | None = None
    note: str | None = None
