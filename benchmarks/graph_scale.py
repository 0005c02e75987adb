"""The citation graph at scale: build it and run every analysis for 100,000 works and 1,000,000
citations (generated), printing the time of each step and the peak memory.

    python benchmarks/graph_scale.py [--works 100000] [--citations 1000000]

Shape of the generated corpus: documents of 10 paragraphs, 2 citing sentences a paragraph, 5
citations a sentence in two parentheses; works with 1 to 6 authors drawn from 150,000 names.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb import graph as g  # noqa: E402


def generate(n_works: int, n_citations: int, seed: int = 5) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    syllables = ["ka", "ro", "mi", "tel", "san", "bo", "vi", "dor", "lin", "ma", "ne", "gar", "sto", "pel", "hu"]
    names = sorted({"".join(rng.choice(syllables) for _ in range(5)).capitalize() for _ in range(n_works * 3 // 2)})
    works, authors, work_authors = [], {}, []
    for i in range(n_works):
        people = rng.sample(names, rng.choice([1, 1, 2, 2, 3, 4, 6]))
        works.append(
            {
                "id": f"w{i}",
                "title": f"Work {i}",
                "year": rng.randint(1950, 2024),
                "authors": "; ".join(f"{p}, A." for p in people),
            }
        )
        for k, p in enumerate(people, 1):
            authors.setdefault(p, {"id": p.lower() + "-a", "family": p, "given": "A.", "display": f"{p}, A."})
            work_authors.append({"work_id": f"w{i}", "author_id": p.lower() + "-a", "role": "author", "position": k})
    per_sentence, sentences_per_paragraph, paragraphs_per_doc = 5, 2, 10
    n_claims = n_citations // per_sentence
    documents, passages, claims, claim_citations, citations = [], [], [], [], []
    popular = [rng.paretovariate(3.0) for _ in range(n_works)]  # a few works cited much more than most
    cited = rng.choices(range(n_works), weights=popular, k=n_citations)
    for c in range(n_claims):
        p = c // sentences_per_paragraph
        d = p // paragraphs_per_doc
        if c % (sentences_per_paragraph * paragraphs_per_doc) == 0:
            documents.append({"id": f"d{d}", "title": f"Document {d}"})
        if c % sentences_per_paragraph == 0:
            passages.append({"id": f"d{d}/p{p}", "document_id": f"d{d}"})
        claims.append({"id": f"d{d}/p{p}/s{c}", "passage_id": f"d{d}/p{p}"})
        for k in range(per_sentence):
            i = c * per_sentence + k
            cid = f"c{i}"
            citations.append(
                {
                    "id": cid,
                    "document_id": f"d{d}",
                    "passage_id": f"d{d}/p{p}",
                    "group_number": c * 2 + (k >= 3),
                    "work_id": f"w{cited[i]}",
                }
            )
            claim_citations.append({"claim_id": claims[-1]["id"], "citation_id": cid})
    return {
        "documents": documents,
        "passages": passages,
        "claims": claims,
        "claim_citations": claim_citations,
        "citations": citations,
        "works": works,
        "authors": list(authors.values()),
        "work_authors": work_authors,
        "concepts": [],
        "concept_links": [],
        "findings": [],
        "focus_groups": [],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--works", type=int, default=100_000)
    ap.add_argument("--citations", type=int, default=1_000_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    records = generate(args.works, args.citations)
    print(
        f"generated {len(records['works']):,} works, {len(records['citations']):,} citations, "
        f"{len(records['authors']):,} authors, {len(records['documents']):,} documents in {time.perf_counter() - t0:.1f} s"
    )
    gc.collect()
    steps = [
        ("build graph", lambda: g.build_graph(records)),
    ]
    G = None
    total = 0.0
    for name, fn in steps:
        t0 = time.perf_counter()
        G = fn()
        dt = time.perf_counter() - t0
        total += dt
        print(f"{name:28s} {dt:7.1f} s   ({G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges)")
    analyses = [
        ("times cited", lambda: g.times_cited(G)),
        ("citing passages", lambda: g.citing_passages(G)),
        ("PageRank", lambda: g.citation_pagerank(G)),
        ("co-citation, parenthesis", lambda: g.co_citation(G, "parenthesis")),
        ("co-citation, sentence", lambda: g.co_citation(G, "sentence")),
        ("co-citation, paragraph", lambda: g.co_citation(G, "paragraph")),
        ("bibliographic coupling", lambda: g.bibliographic_coupling(G)),
        ("author identities", lambda: g.author_identities(records["authors"])),
        ("co-authorship network", lambda: g.coauthorship(G)),
    ]
    results = {}
    for name, fn in analyses:
        t0 = time.perf_counter()
        results[name] = fn()
        dt = time.perf_counter() - t0
        total += dt
        size = results[name].number_of_edges() if hasattr(results[name], "number_of_edges") else len(results[name])
        print(f"{name:28s} {dt:7.1f} s   ({size:,} results)")
    t0 = time.perf_counter()
    communities = g.author_communities(results["co-authorship network"])
    dt = time.perf_counter() - t0
    total += dt
    print(f"{'author communities':28s} {dt:7.1f} s   ({len(set(communities.values())):,} communities)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {total:.1f} s; peak memory (max RSS, whole process incl. generated records) {peak:,.0f} MB")


if __name__ == "__main__":
    main()
