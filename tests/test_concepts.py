"""Concept matching's shortcuts find what the plain way finds: the abbreviations a document
defines, and every concept's matches in a text (each concept's pattern tried on every text)."""

from __future__ import annotations

import random

import pytest

from kb.build import read_sources
from kb.concepts import _DEFINED, Matcher, definitions, labels_of
from kb.normalise import fold

PIECES = [
    "information and communication technologies",
    "(ICTs, henceforth)",
    "(ICT)",
    "(NPG)",
    "(Bovaird, 2007)",
    "New Public Governance",
    "co-production",
    "coproduction",
    "coproductions",
    "Coproductiones",
    "Co-Productions",
    "ICTs",
    "ICTes",
    "e-government",
    "eGovernment",
    "citizen participation",
    "citizens' participation",
    "Löffler",
    "ﬁnance",
    "usability",
    "digital divide",
    "( ",
    ")",
    "-",
    "  ",
    "\n",
    "é",
    "the",
    "of",
    "a",
    "OECD",
    "x" * 70,
    "xICT",
    "ICT-",
    "-ICT",
    "ICTICT",
    "New  Public\nGovernance",
    "İCT",  # the four letters a pattern's ASCII letter matches only ignoring case
    "cıtizen participation",
    "ſervice usability",
    "\u212aelvin",
]


def texts(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25))) for _ in range(n)]


@pytest.mark.parametrize("text", texts(400))
def test_definitions_are_the_patterns_matches(text):
    assert [m.span() for m in definitions(text)] == [m.span() for m in _DEFINED.finditer(text)]


@pytest.fixture(scope="module")
def matcher(root):
    sources = read_sources(root)
    concepts = sources.concepts
    return Matcher(labels_of(concepts), {c.id: c.not_within for c in concepts}), sources.documents


def every_pattern(matcher: Matcher, text: str) -> list[tuple[str, int, int, str]]:
    """Matcher.find without its shortcuts: every concept's pattern on the folded text."""
    folded = "".join(f if len(f := fold(ch)) == 1 else ch for ch in text)
    hits = []
    for concept_id, pattern in matcher.patterns:
        blocked = (
            [b.span() for b in matcher.blockers[concept_id].finditer(folded)] if concept_id in matcher.blockers else []
        )
        for m in pattern.finditer(folded):
            if not any(s <= m.start() and m.end() <= e for s, e in blocked):
                hits.append((concept_id, m.start(), m.end(), text[m.start() : m.end()]))
    return sorted(hits, key=lambda h: (h[1], h[0]))


def test_matches_are_every_patterns_matches(matcher):
    m, documents = matcher
    samples = PIECES + texts(600) + [p.text for d in documents for p in d.passages]
    found = 0
    for text in samples:
        hits = m.find(text)
        assert hits == every_pattern(m, text), text
        found += len(hits)
    assert found > 500


def test_abbreviations_found_ahead_give_the_same_links(root):
    """A build finds the abbreviations before it lets the documents' texts go: tag given them
    links as tag finding them does; each text matched is one string, however often found."""
    from kb.build import resolved_documents
    from kb.claims import claims as make_claims
    from kb.concepts import defined_abbreviations, tag

    sources = read_sources(root)
    claims = [c for doc, found, _ in resolved_documents(sources) for c in make_claims([doc], found)]
    abbreviations = defined_abbreviations(sources.documents, labels_of(sources.concepts))
    assert abbreviations  # the seed's documents define some
    args = (sources.documents, sources.concepts, claims, sources.evidence.tables, sources.curated)
    found, labels = tag(*args)
    ahead, labels_ahead = tag(*args, abbreviations=abbreviations)
    assert ahead == found and labels_ahead == labels
    for d in sources.documents:
        d.text = ""  # what tag reads once the abbreviations are found: the passages
    assert tag(*args, abbreviations=abbreviations)[0] == found
    texts = {}
    for link in found:
        if link.method == "matched" and link.matched_text:
            assert texts.setdefault(link.matched_text, link.matched_text) is link.matched_text
