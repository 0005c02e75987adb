"""Formatted references: milliseconds per reference with citeproc-py (APA 7, IEEE, Chicago
author-date), on the seed's 36 works and on 1,000 generated works.

    python benchmarks/formatting.py
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.export import format_references  # noqa: E402
from kb.records import Work  # noqa: E402
from loaders.bibtex import load_bibtex  # noqa: E402


def generated(n: int) -> list[Work]:
    rng = random.Random(3)
    out = []
    for i in range(n):
        authors = [{"family": f"Author{rng.randrange(300)}", "given": "A. B."} for _ in range(rng.randint(1, 6))]
        out.append(
            Work(
                csl={
                    "id": f"g{i}",
                    "type": "article-journal",
                    "author": authors,
                    "title": f"A study of things {i}",
                    "container-title": "Journal of Studies",
                    "volume": str(rng.randint(1, 60)),
                    "issue": str(rng.randint(1, 12)),
                    "page": "1-20",
                    "issued": {"date-parts": [[rng.randint(1980, 2024)]]},
                }
            )
        )
    return out


def main() -> None:
    seed, _ = load_bibtex(Path(__file__).resolve().parents[1] / "bibliography" / "seed-references.bib")
    for label, works in (("seed, 36 works", seed), ("generated, 1,000 works", generated(1000))):
        for style in ("apa", "ieee", "chicago"):
            started = time.perf_counter()
            texts = format_references(works, style)
            elapsed = time.perf_counter() - started
            assert len(texts) == len(works)
            print(f"{label:24s} {style:8s} {1000 * elapsed / len(works):6.2f} ms per reference")


if __name__ == "__main__":
    main()
