"""Concept tagging: find each concept's labels in passages and findings, and link works
through the passages that cite them.

Matching is on word boundaries, case- and diacritic-insensitive; short all-capital labels
(ICT, NPG, OECD) match only in capitals; a final "s"/"es" is allowed (ICT -> ICTs).
Abbreviations a document defines ("technologies (ICTs, henceforth)") become labels too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kb.model import Citation, Concept, ConceptLink, Document
from kb.normalise import fold

_DEFINED = re.compile(r"(?P<before>[\w\s-]{3,60}?)\s*\((?P<abbr>[A-Z]{2,}s?)(?:,\s*henceforth)?\)")


@dataclass
class Label:
    concept_id: str
    text: str
    kind: str  # pref | alt | hidden | abbreviation


def labels_of(concepts: list[Concept]) -> list[Label]:
    out = []
    for c in concepts:
        out.append(Label(c.id, c.pref_label, "pref"))
        out.extend(Label(c.id, a, "alt") for a in c.alt_labels)
        out.extend(Label(c.id, h, "hidden") for h in c.hidden_labels)
    return out


def defined_abbreviations(documents: list[Document], labels: list[Label]) -> list[Label]:
    """Abbreviations introduced in the text, attached to the concept whose label precedes them."""
    found = []
    known = {fold(lab.text).lower(): lab.concept_id for lab in labels}
    for doc in documents:
        for m in _DEFINED.finditer(doc.text):
            before = fold(m.group("before")).lower().strip()
            for label, concept_id in known.items():
                if before.endswith(label) and not any(f.text == m.group("abbr") for f in found):
                    found.append(Label(concept_id, m.group("abbr"), "abbreviation"))
                    break
    return found


class Matcher:
    """One compiled pattern per concept over folded text."""

    def __init__(self, labels: list[Label]):
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        by_concept: dict[str, list[str]] = {}
        for lab in labels:
            by_concept.setdefault(lab.concept_id, []).append(lab.text)
        for concept_id, texts in by_concept.items():
            exact, loose = [], []
            for t in sorted(set(texts), key=len, reverse=True):
                body = r"\s+".join(re.escape(w) for w in fold(t).split())
                (exact if re.fullmatch(r"[A-Z]{2,5}s?", t) else loose).append(body)
            parts = []
            if loose:
                parts.append(rf"(?i:(?<![\w-])(?:{'|'.join(loose)})(?:s|es)?(?![\w-]))")
            if exact:
                parts.append(rf"(?<![\w-])(?:{'|'.join(exact)})s?(?![\w-])")
            self.patterns.append((concept_id, re.compile("|".join(parts))))

    def find(self, text: str) -> list[tuple[str, int, int, str]]:
        """(concept id, start, end, matched text) for every match, in text order."""
        folded = _fold_keep_length(text)
        hits = []
        for concept_id, pattern in self.patterns:
            for m in pattern.finditer(folded):
                hits.append((concept_id, m.start(), m.end(), text[m.start():m.end()]))
        hits.sort(key=lambda h: (h[1], h[0]))
        return hits


def _fold_keep_length(text: str) -> str:
    """Fold diacritics one character at a time so that offsets stay the same."""
    out = []
    for ch in text:
        f = fold(ch)
        out.append(f if len(f) == 1 else ch)
    return "".join(out)


def tag(documents: list[Document], concepts: list[Concept], citations: list[Citation],
        evidence_tables: dict[str, list[dict[str, Any]]], curated: list[dict[str, Any]]) -> tuple[list[ConceptLink], list[Label]]:
    """Every concept link: matched in passages and evidence records, cited-in for works,
    and the curated links from the scheme."""
    labels = labels_of(concepts)
    labels += defined_abbreviations(documents, labels)
    matcher = Matcher(labels)
    links: list[ConceptLink] = []
    passage_concepts: dict[str, set[str]] = {}
    for doc in documents:
        for p in doc.passages:
            seen = set()
            for concept_id, s, e, text in matcher.find(p.text):
                links.append(ConceptLink(concept_id, "passages", p.id, "matched", p.id, text, s, e))
                seen.add(concept_id)
            passage_concepts[p.id] = seen
    # evidence records: match inside their quote, keep the span in passage coordinates
    for table in ("findings", "focus_groups", "topics", "criteria", "methods"):
        for row in evidence_tables.get(table, []):
            quote_start = row["quote_start"]
            done = set()
            for concept_id, s, e, text in matcher.find(row["quote"]):
                if concept_id in done:
                    continue
                done.add(concept_id)
                links.append(ConceptLink(concept_id, table, row["id"], "matched", row["passage_id"], text,
                                         quote_start + s, quote_start + e))
    # works: through the passages that cite them (resolved citations only: never a guess)
    done_works = set()
    for c in citations:
        if not c.work_id or not c.passage_id:
            continue
        for concept_id in sorted(passage_concepts.get(c.passage_id, ())):
            key = (concept_id, c.work_id, c.passage_id)
            if key in done_works:
                continue
            done_works.add(key)
            links.append(ConceptLink(concept_id, "works", c.work_id, "cited-in", c.passage_id,
                                     note=f"cited as {c.text!r}"))
    for link in curated:
        ev = link["evidence"]
        links.append(ConceptLink(link["concept"], link["target"]["table"], link["target"]["id"], "curated",
                                 ev["passage_id"], ev["quote"], ev["quote_start"], ev["quote_end"],
                                 note=" ".join(str(link["why"]).split())))
    return links, labels
