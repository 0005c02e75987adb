"""Citation resolution at scale: 1,000,000 in-text citations against 100,000 references.

Generated data: surnames built from syllables, years 1950-2024, 1-6 authors. The citations are
90% exact, 4% with a misspelt surname, 3% with a wrong year and 3% with no reference at all.
Prints detection and resolution rates on one core and peak memory (max RSS of the process).

    python benchmarks/resolve_scale.py [--references 100000] [--citations 1000000]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.records import Citation, Document, Passage, Work  # noqa: E402
from kb.resolve import detect, resolve  # noqa: E402

SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "tel",
    "san",
    "bo",
    "vi",
    "dor",
    "lin",
    "ma",
    "ne",
    "gar",
    "sto",
    "pel",
    "hu",
    "rin",
    "ta",
    "los",
    "we",
    "ber",
    "fi",
    "ch",
    "ost",
    "al",
    "ford",
    "pe",
    "stoff",
]


def surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def make_works(n: int, rng: random.Random) -> list[Work]:
    works = []
    for i in range(n):
        authors = [{"family": surname(rng), "given": "A."} for _ in range(rng.choice([1, 1, 2, 2, 3, 4, 6]))]
        works.append(
            Work(
                csl={
                    "id": f"w{i}",
                    "type": "article-journal",
                    "author": authors,
                    "title": f"Title {i}",
                    "issued": {"date-parts": [[rng.randint(1950, 2024)]]},
                },
                position=i + 1,
            )
        )
    return works


def misspell(name: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(name))
    return name[:i] + rng.choice("aeioulnrst") + name[i + 1 :]


def make_citations(works: list[Work], n: int, rng: random.Random) -> list[Citation]:
    cites = []
    for i in range(n):
        w = works[rng.randrange(len(works))]
        fams = [a["family"] for a in w.csl["author"]]
        year = str(w.year)
        roll = rng.random()
        first = fams[0]
        if roll < 0.04:
            first = misspell(first, rng)
        elif roll < 0.07:
            year = year[:2] + str((int(year[2]) + 1) % 10) + year[3]
        elif roll < 0.10:
            first, year = surname(rng) + "x", "1949"
        names = [first] + (fams[1:2] if len(fams) == 2 else [])
        cites.append(
            Citation(
                id=f"c{i}",
                document_id="d",
                passage_id=None,
                start=0,
                end=0,
                text="",
                names=names,
                et_al=len(fams) >= 3,
                year=year,
            )
        )
    return cites


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--references", type=int, default=100_000)
    ap.add_argument("--citations", type=int, default=1_000_000)
    args = ap.parse_args()
    rng = random.Random(7)
    works = make_works(args.references, rng)
    cites = make_citations(works, args.citations, rng)

    data_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"generated data: max RSS {data_rss:,.0f} MB before resolving")
    started = time.perf_counter()
    resolve(cites, works)
    elapsed = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for c in cites:
        statuses[c.status] = statuses.get(c.status, 0) + 1
    print(
        f"resolution: {len(cites):,} citations against {len(works):,} references in {elapsed:.1f} s "
        f"= {len(cites) / elapsed:,.0f} citations/s on one core"
    )
    print(f"statuses: {dict(sorted(statuses.items()))}")

    # detection: the same citations printed in running text, 10 per paragraph
    sample = cites[:200_000]
    paragraphs = []
    for k in range(0, len(sample), 10):
        group = "; ".join(f"{' & '.join(c.names)}{' et al.' if c.et_al else ''}, {c.year}" for c in sample[k : k + 10])
        paragraphs.append(f"Coproduction was studied in 2018 by many ({group}) and later.")
    text = "\n\n".join(paragraphs)
    doc = Document("d", "d", "essay", "d.md", text, {})
    pos = 0
    for i, p in enumerate(paragraphs, 1):
        doc.passages.append(Passage(f"d/p{i}", "d", i, p, pos, pos + len(p), 1))
        pos += len(p) + 2
    started = time.perf_counter()
    found = detect(doc)
    elapsed = time.perf_counter() - started
    print(
        f"detection: {len(found):,} citations found (of {len(sample):,} printed) in {elapsed:.1f} s "
        f"= {len(found) / elapsed:,.0f} citations/s"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS, whole process incl. generated data): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
