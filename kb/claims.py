"""Claims: every sentence of a citing document that cites something, with its citations and
the works they resolve to (or, for an ambiguous citation, the candidates, marked as such)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.records import Citation, Document

# Full stops that do not end a sentence: "et al.", "e.g.", "i.e.", "p.", "pp.", "vol.", initials.
_NO_BREAK = re.compile(r"(?:\bet al|\be\.g|\bi\.e|\bcf|\bpp?|\bvol|\bno|\bSt|\bDr|\bMr|\bMrs|\bMs|\bvs|\b[A-Z])\.$")


@dataclass
class Sentence:
    passage_id: str
    number: int  # 1-based within the passage
    start: int  # offsets in the document text
    end: int
    text: str


@dataclass
class Claim:
    id: str
    document_id: str
    passage_id: str
    sentence: Sentence
    citations: list[Citation] = field(default_factory=list)


def sentences(document: Document) -> list[Sentence]:
    """Split each passage into sentences, keeping exact offsets into the document text.

    A sentence ends at ".", "?" or "!" (after any closing quote or bracket) followed by a space and
    a capital, a quote or a bracket, unless the full stop belongs to "et al.", "e.g.", an initial...
    A citation group in parentheses never contains a break.
    """
    out: list[Sentence] = []
    for p in document.passages:
        text = p.text
        depth = 0
        start = 0
        number = 0
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth = max(0, depth - 1)
            elif ch in ".?!" and depth == 0:
                j = i + 1
                while j < len(text) and text[j] in '”’")]':
                    j += 1
                nxt = text[j : j + 2]
                if (
                    j >= len(text) or (nxt[:1] == " " and (nxt[1:2].isupper() or nxt[1:2] in '“"(‘'))
                ) and not _NO_BREAK.search(text[max(0, start) : i + 1]):
                    number += 1
                    out.append(_sentence(p, number, start, j))
                    start = j + 1
                    i = j
            i += 1
        if text[start:].strip():
            number += 1
            out.append(_sentence(p, number, start, len(text)))
    return out


def _sentence(p, number: int, start: int, end: int) -> Sentence:
    chunk = p.text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    chunk = chunk.strip()
    return Sentence(p.id, number, p.start + start + lead, p.start + start + lead + len(chunk), chunk)


def claims(documents: list[Document], citations: list[Citation]) -> list[Claim]:
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
