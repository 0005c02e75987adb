"""Concept tagging: find each concept's labels in passages and findings, and link works
through the passages that cite them.

Matching is on word boundaries, case- and diacritic-insensitive; short all-capital labels
(ICT, NPG, OECD) match only in capitals; a final "s"/"es" is allowed (ICT -> ICTs).
Abbreviations a document defines ("technologies (ICTs, henceforth)") become labels too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kb.buildcache import BuildCache, digest
from kb.normalise import fold
from kb.progress import bar
from kb.records import Concept, ConceptLink, Document

_DEFINED = re.compile(r"(?P<before>[\w\s-]{3,60}?)\s*\((?P<abbr>[A-Z]{2,}s?)(?:,\s*henceforth)?\)")
_ABBREVIATION = re.compile(r"\((?P<abbr>[A-Z]{2,}s?)(?:,\s*henceforth)?\)")
_WORD = re.compile(r"\w+")


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
        for m in definitions(doc.text):
            before = fold(m.group("before")).lower().strip()
            for label, concept_id in known.items():
                if before.endswith(label) and not any(f.text == m.group("abbr") for f in found):
                    found.append(Label(concept_id, m.group("abbr"), "abbreviation"))
                    break
    return found


def definitions(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_DEFINED.finditer(text)``, found from each parenthesised abbreviation
    back to the words before it: the pattern tried at every position of a long document costs
    seconds (its lazy 3-60 characters before a parenthesis), most documents define nothing."""
    end = 0
    for m in _ABBREVIATION.finditer(text):
        words_end = m.start()
        while words_end > end and text[words_end - 1].isspace():
            words_end -= 1
        # no match of _DEFINED can start before this: its words are at most 60 characters
        found = _DEFINED.search(text, max(end, words_end - 61), m.end())
        if found:
            yield found
            end = found.end()


class Matcher:
    """One compiled pattern per concept over folded text."""

    def __init__(self, labels: list[Label], not_within: dict[str, list[str]] | None = None):
        self.blockers = {
            cid: re.compile("|".join(re.escape(fold(x)) for x in phrases), re.I)
            for cid, phrases in (not_within or {}).items()
            if phrases
        }
        self.patterns: list[tuple[str, re.Pattern[str]]] = []
        # the first words a match of each concept can start with (lower case, ASCII); None: any
        self.first_words: list[frozenset[str] | None] = []
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
            self.first_words.append(_first_words(texts))
        # the words a match can start with, all concepts' together: where a text's other words
        # start is never kept
        self.wanted = frozenset().union(*(f for f in self.first_words if f))

    def find(self, text: str) -> list[tuple[str, int, int, str]]:
        r"""(concept id, start, end, matched text) for every match, in text order.

        A match starts where a word starts (each pattern opens with ``(?<![\w-])`` and each label
        with a word character), and its first word is one of its concept's ``first_words``: a
        concept's pattern is tried only at the words of the text that can start it, instead of
        being run along the whole text. The matches are the ones ``finditer`` gives: the folded
        text has none of the letters that match an ASCII letter only ignoring case ("ı", "İ",
        "ſ" and the Kelvin sign fold to ASCII), so lower() finds every word a pattern can start
        with.
        """
        folded = _fold_keep_length(text)
        starts = _word_starts(folded, self.wanted)
        hits = []
        for (concept_id, pattern), first in zip(self.patterns, self.first_words, strict=True):
            if first is None:  # a label that starts otherwise: the whole text searched
                found = pattern.finditer(folded)
            else:
                at = sorted({p for w in first for p in starts.get(w, ())})
                if not at:
                    continue  # no label of this concept can start in this text
                found = _matches_at(pattern, folded, at)
            blocked = (
                [(b.start(), b.end()) for b in self.blockers[concept_id].finditer(folded)]
                if concept_id in self.blockers
                else []
            )
            for m in found:
                if any(s <= m.start() and m.end() <= e for s, e in blocked):
                    continue
                hits.append((concept_id, m.start(), m.end(), text[m.start() : m.end()]))
        hits.sort(key=lambda h: (h[1], h[0]))
        return hits


def _first_words(labels: list[str]) -> frozenset[str] | None:
    """The lower-case first word (run of word characters) of each label, folded; None when a
    label starts otherwise or with a word that is not ASCII (matched without this shortcut)."""
    out = set()
    for label in labels:
        folded = fold(label).lstrip()
        first = _WORD.match(folded)
        if not first or not first.group().isascii():
            return None
        out.add(first.group().lower())
    return frozenset(out)


def _word_starts(folded: str, wanted: frozenset[str]) -> dict[str, list[int]]:
    """Where each of the ``wanted`` words starts a word of a text, by the word in lower case and
    by it without a final "s" or "es" (a label matches "ICTs" as well as "ICT").

    >>> dict(_word_starts("ICTs help users; e-ict, ictal and Users", frozenset({"ict", "user"})))
    {'ict': [0, 19], 'user': [10, 34]}
    """
    starts: dict[str, list[int]] = defaultdict(list)
    for m in _WORD.finditer(folded):
        w = m.group().lower()
        if w in wanted:
            starts[w].append(m.start())
        if w[-1] == "s":
            if w[:-1] in wanted:
                starts[w[:-1]].append(m.start())
            if w[-2:] == "es" and w[:-2] in wanted:
                starts[w[:-2]].append(m.start())
    return starts


def _matches_at(pattern: re.Pattern[str], text: str, positions: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` when a match can start only at ``positions`` (sorted): the
    match at each, none overlapping the one before."""
    end = 0
    for p in positions:
        if p >= end:
            m = pattern.match(text, p)
            if m:
                yield m
                end = m.end()


class _KeepLength(dict):
    """Each character's fold when it is one character, else the character: a table for
    ``str.translate``, filled as characters are met."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = fold(ch)
        self[code] = out = folded if len(folded) == 1 else ch
        return out


_KEEP_LENGTH = _KeepLength()


def _fold_keep_length(text: str) -> str:
    """Fold diacritics one character at a time so that offsets stay the same."""
    if text.isascii():
        return text
    return text.translate(_KEEP_LENGTH)


Match = tuple[str, int, int, str]


def matches_kept(
    matcher: Matcher, matcher_key: str, documents: list[Document], claims: list[Any], cache: BuildCache | None
) -> Callable[[str], list[Match]]:
    """``matcher.find``, with the matches in each document's passages and claim sentences kept
    in ``cache`` between builds (each given once: a text asked for again is matched again). A
    text's matches depend on nothing but the text and the matcher, which its labels (the
    scheme's and every abbreviation any document defines) and its ``not_within`` phrases make:
    ``matcher_key`` is their digest, and a document's matches are kept by it and the texts."""
    if cache is None or cache.path is None:
        return matcher.find
    passages = {p.id: p for d in documents for p in d.passages}
    doc_of = {p.id: d.id for d in documents for p in d.passages}
    sentences: dict[str, list[str]] = defaultdict(list)
    for claim in claims:
        s = claim.sentence
        sentences[doc_of[s.passage_id]].append(s.text_in(passages[s.passage_id]))
    known: dict[str, list[Match]] = {}
    jobs = []
    for doc in documents:
        texts = [p.text for p in doc.passages] + sentences[doc.id]
        jobs.append((digest(matcher_key, repr(texts)), _find_all, (matcher, texts)))
    cache.prefill("concepts", jobs, "concepts")
    for key, _, (_, texts) in bar(jobs, "concepts"):  # with one core, matched here
        known.update(zip(texts, cache.value("concepts", key, _find_all, matcher, texts), strict=True))

    def find(text: str) -> list[Match]:
        # each text's matches let go once read: tag reads each once (a text found twice, a
        # one-sentence paragraph's, is matched again), and the links it makes take their place
        # (at 100,000 works the matches of a million texts, held to the end, were 0.2 GB)
        hits = known.pop(text, None)
        return matcher.find(text) if hits is None else hits

    return find


def _find_all(matcher: Matcher, texts: list[str]) -> list[list[Match]]:
    return [matcher.find(t) for t in texts]


def document_matcher(
    labels: list[Label],
    not_within: dict[str, list[str]],
    documents: list[Document],
    claims: list[Any],
    cache: BuildCache | None = None,
) -> Callable[[str], list[Match]]:
    """The matcher of ``labels`` (the scheme's and the abbreviations the documents define), its
    matches in ``documents`` and ``claims`` kept in ``cache`` (:func:`matches_kept`)."""
    return matches_kept(Matcher(labels, not_within), digest(repr(labels), repr(not_within)), documents, claims, cache)


def document_links(
    documents: list[Document], claims: list[Any], find: Callable[[str], list[Match]], same: dict[str, str] | None = None
) -> list[ConceptLink]:
    """The concept links of documents' own words: matched in their passages and in their claims'
    sentences, and the works those claims cite ("cited-in", or "cited-in-candidate"). Each link's
    passage is one of the documents': a document's links are those of its passages."""
    same = {} if same is None else same
    links: list[ConceptLink] = []
    for doc in documents:
        for p in doc.passages:
            for concept_id, s, e, text in find(p.text):
                text = same.setdefault(text, text)
                links.append(ConceptLink(concept_id, "passages", p.id, "matched", p.id, text, s, e))
    passages = {p.id: p for d in documents for p in d.passages}
    for claim in claims:
        s = claim.sentence
        passage = passages[s.passage_id]
        offset = s.start - passage.start
        found: dict[str, tuple[int, int, str]] = {}
        for concept_id, a, b, text in find(s.text_in(passage)):
            found.setdefault(concept_id, (offset + a, offset + b, same.setdefault(text, text)))
        for concept_id, (a, b, text) in sorted(found.items()):
            links.append(ConceptLink(concept_id, "claims", claim.id, "matched", s.passage_id, text, a, b))
            done = set()
            for c in claim.citations:
                targets = (
                    [(c.work_id, "cited-in")] if c.work_id else [(w, "cited-in-candidate") for w in c.candidate_ids]
                )
                for work_id, method in targets:
                    if (work_id, method) in done:
                        continue
                    done.add((work_id, method))
                    links.append(
                        ConceptLink(
                            concept_id,
                            "works",
                            work_id,
                            method,
                            s.passage_id,
                            text,
                            a,
                            b,
                            note=f"{claim.id}: cited as {c.text!r}"
                            + (" (ambiguous: one of the candidates)" if method != "cited-in" else ""),
                        )
                    )
    return links


def tag(
    documents: list[Document],
    concepts: list[Concept],
    claims: list[Any],
    evidence_tables: dict[str, list[dict[str, Any]]],
    curated: list[dict[str, Any]],
    cache: BuildCache | None = None,
    abbreviations: list[Label] | None = None,
) -> tuple[list[ConceptLink], list[Label]]:
    """Every concept link: matched in passages, claims and evidence records; works through the
    claims that cite them ("cited-in", or "cited-in-candidate" for each entry an ambiguous
    citation could mean: listed, never chosen); and the curated links from the scheme.

    ``cache``: each document's matches as an earlier build found them (:func:`matches_kept`).
    ``abbreviations``: :func:`defined_abbreviations` of the documents and the concepts' labels,
    when the caller found them already (a build does, before it lets the documents' texts go)."""
    labels = labels_of(concepts)
    labels += defined_abbreviations(documents, labels) if abbreviations is None else abbreviations
    not_within = {c.id: c.not_within for c in concepts}
    find = document_matcher(labels, not_within, documents, claims, cache)
    # one string for each text matched: the same few labels are found a million times at
    # 100,000 works, each match read back from the cache as a string of its own
    same: dict[str, str] = {}
    links = document_links(documents, claims, find, same)
    for table in ("findings", "focus_groups", "topics", "criteria", "methods"):
        for row in evidence_tables.get(table, []):
            quote_start = row["quote_start"]
            done_concepts = set()
            for concept_id, s, e, text in find(row["quote"]):
                if concept_id in done_concepts:
                    continue
                done_concepts.add(concept_id)
                links.append(
                    ConceptLink(
                        concept_id,
                        table,
                        row["id"],
                        "matched",
                        row["passage_id"],
                        same.setdefault(text, text),
                        quote_start + s,
                        quote_start + e,
                    )
                )
    for link in curated:
        ev = link["evidence"]
        links.append(
            ConceptLink(
                link["concept"],
                link["target"]["table"],
                link["target"]["id"],
                "curated",
                ev["passage_id"],
                ev["quote"],
                ev["quote_start"],
                ev["quote_end"],
                note=" ".join(str(link["why"]).split()),
            )
        )
    # A finding on a usability criterion is evidence on what that criterion is linked to.
    criterion_concepts: dict[str, set[str]] = {}
    for link in links:
        if link.target_table == "criteria":
            criterion_concepts.setdefault(link.target_id, set()).add(link.concept_id)
    linked = {(lk.concept_id, lk.target_id) for lk in links if lk.target_table == "findings"}
    for row in evidence_tables.get("findings", []):
        for concept_id in sorted(criterion_concepts.get(row.get("criterion") or "", ())):
            if (concept_id, row["id"]) not in linked:
                links.append(
                    ConceptLink(
                        concept_id,
                        "findings",
                        row["id"],
                        "via-criterion",
                        row["passage_id"],
                        note=f"the finding is on the criterion {row['criterion']!r}",
                    )
                )
    return links, labels
