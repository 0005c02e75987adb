"""`kb check` on a draft that is one long paragraph, through the real command.

A draft pasted with single line breaks, or none, is one paragraph to kb; the detector keeps the
spans it has read per paragraph. It sorted them again after every citation it took, so its time
grew with the square of a paragraph's citations: 20,000 numbered citations in one paragraph took
39 s, 40,000 author-year narratives ("Smith (2001) and Kessler and Baldwin, 2001 said") 135 s.
This prints, for each form and size, the whole command's wall time and its growth when the
paragraph doubles (about 2 is linear, 4 quadratic).

    python benchmarks/check_long_paragraph.py                 # 5,000 to 40,000 citations
    python benchmarks/check_long_paragraph.py --max 80000
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_scale import kb_command, run, surname  # noqa: E402

REFERENCES = 200
NAMES = [surname(random.Random(i)) for i in range(REFERENCES + 1)]
FORMS = {
    # a numbered draft against a numbered list, each sentence naming an author (most often another's)
    "numbered": lambda rng: f"{NAMES[rng.randint(1, REFERENCES)]} and Smith showed it [{rng.randint(1, REFERENCES)}].",
    # author-year narrative and running-text citations, two a sentence
    "narrative": lambda rng: f"As Smith ({rng.randint(1900, 2020)}) and Kessler and Baldwin, 2001 said, it holds.",
}


def draft(form: str, sentences: int, rng: random.Random) -> str:
    body = " ".join(FORMS[form](rng) for _ in range(sentences))
    refs = "\n".join(
        f'[{i}] A. {NAMES[i]}, "Title {i}," Journal, vol. 1, pp. 1-2, 2001.' for i in range(1, REFERENCES + 1)
    )
    return f"# Draft\n\n{body}\n\n## References\n\n{refs}\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", type=int, default=5000, help="sentences in the smallest paragraph")
    ap.add_argument("--max", type=int, default=40000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for form in FORMS:
            previous = None
            n = args.start
            while n <= args.max:
                path = Path(tmp) / f"{form}-{n}.md"
                path.write_text(draft(form, n, random.Random(n)), encoding="utf-8")
                done = run([kb_command(), "check", str(path)])
                summary = done.out.strip().splitlines()[-1] if done.out.strip() else done.err[-300:]
                growth = f"  growth {done.wall / previous:.2f}" if previous else ""
                print(f"{form:9s} {n:7,d} sentences: {done.wall:6.2f} s, peak {done.rss:.0f} MB{growth}  | {summary}")
                previous = done.wall
                n *= 2


if __name__ == "__main__":
    main()
