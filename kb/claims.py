"""Claims: every sentence of a citing document that cites something, with its citations and
the works they resolve to (or, for an ambiguous citation, the candidates, marked as such)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kb.records import Citation, Document, Passage

# Full stops that do not end a sentence: "et al.", "e.g.", "i.e.", "p.", "pp.", "vol.", initials.
_NO_BREAK = re.compile(r"(?:\bet al|\be\.g|\bi\.e|\bcf|\bpp?|\bvol|\bno|\bSt|\bDr|\bMr|\bMrs|\bMs|\bvs|\b[A-Z])\.$")

_NO_BREAK_REACH = 8  # characters the longest of them ("et al.") and its word boundary need
_MARKS = re.compile(r"[().?!]")


@dataclass(slots=True)  # hundreds of thousands of them at 100,000 works
class Sentence:
    """Where a sentence is; its text is its passage's (:meth:`text_in`), kept by none of them
    (at 100,000 works the claims' copies were 0.12 GB held from resolving to storing)."""

    passage_id: str
    number: int  # 1-based within the passage
    start: int  # offsets in the document text
    end: int

    def text_in(self, passage: Passage) -> str:
        """The sentence as printed, from its passage (the one ``passage_id`` names)."""
        return passage.text[self.start - passage.start : self.end - passage.start]


@dataclass(slots=True)  # hundreds of thousands of them at 100,000 works
class Claim:
    id: str
    document_id: str
    passage_id: str
    sentence: Sentence
    citations: list[Any] = field(default_factory=list)  # Citation, or Cited once they are stored


class Cited(NamedTuple):
    """What a claim keeps of one of its citations once a build has stored them: all that the
    concept links and the claims' own rows read of it (the million Citation records of 100,000
    works are let go: the build's peak memory 2.69 -> 2.43 GB)."""

    id: str
    text: str
    status: str
    work_id: str | None
    candidate_ids: Sequence[str]


def keep_what_is_read(claims: Iterable[Claim], work_ids: dict[str, str] | None = None) -> None:
    """Each claim's citations as :class:`Cited`, in place. ``work_ids``: each work's id by
    itself, so that the claims share the works' strings rather than keep one copy per citation
    (a document's resolved citations are read back from the cache with copies of their own)."""
    same = work_ids or {}
    for claim in claims:
        claim.citations = [
            Cited(
                c.id,
                c.text,
                c.status,
                same.get(c.work_id, c.work_id) if c.work_id else c.work_id,
                tuple(same.get(w, w) for w in c.candidate_ids) if c.candidate_ids else c.candidate_ids,
            )
            for c in claim.citations
        ]


def sentences(document: Document) -> list[Sentence]:
    """Split each passage into sentences, keeping exact offsets into the document text.

    A sentence ends at ".", "?" or "!" (after any closing quote or bracket) followed by a space and
    a capital, a quote or a bracket, unless the full stop belongs to "et al.", "e.g.", an initial...
    A citation group in parentheses never contains a break.
    """
    out: list[Sentence] = []
    for p in document.passages:
        text, n = p.text, len(p.text)
        depth = start = number = 0
        after = 0  # the closing quotes and brackets after a sentence's end belong to it
        for m in _MARKS.finditer(text):  # only the characters that can open, close or end
            i = m.start()
            if i < after:
                continue
            ch = text[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
            elif depth == 0:
                j = i + 1
                while j < n and text[j] in '”’")]':
                    j += 1
                nxt = text[j : j + 2]
                # "et al." and the like end within a few characters of the stop: the search looks
                # back that far (from the sentence's start at most), not over the whole sentence
                if (j >= n or (nxt[:1] == " " and (nxt[1:2].isupper() or nxt[1:2] in '“"(‘'))) and not _NO_BREAK.search(
                    text, max(start, i - _NO_BREAK_REACH), i + 1
                ):
                    number += 1
                    out.append(_sentence(p, number, start, j))
                    start = after = j + 1
        if text[start:].strip():
            number += 1
            out.append(_sentence(p, number, start, len(text)))
    return out


def _sentence(p, number: int, start: int, end: int) -> Sentence:
    chunk = p.text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    chunk = chunk.strip()
    return Sentence(p.id, number, p.start + start + lead, p.start + start + lead + len(chunk))


def claims(documents: Iterable[Document], citations: list[Citation]) -> list[Claim]:
    """One claim per sentence that holds at least one citation."""
    out: list[Claim] = []
    by_passage: dict[str, list[Citation]] = {}
    for c in citations:
        by_passage.setdefault(c.passage_id or "", []).append(c)
    for doc in documents:
        for s in sentences(doc):
            inside = [c for c in by_passage.get(s.passage_id, []) if s.start <= c.start and c.end <= s.end + 1]
            if inside:
                out.append(Claim(f"{s.passage_id}/s{s.number}", doc.id, s.passage_id, s, inside))
    return out
