"""Wall time of a whole `kb check` run, start-up included: is it fast enough to run on save?

Generates a 10,000-word draft citing a 100-entry BibTeX list (author-year citations of every
form the check reads, some of them wrong), then times the real `kb check DRAFT -r REFS.bib`
command with subprocess, best of N runs (the machine is shared; the best run is the one
least disturbed, as timeit reports). Also prints the modules that make up the start-up.

    python benchmarks/check_startup.py [--runs 10] [--words 10000] [--entries 100]
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SURNAMES = [
    "Ostrom",
    "Bovaird",
    "Whitaker",
    "Pestoff",
    "Alford",
    "Osborne",
    "Linders",
    "Meijer",
    "Şener",
    "Özüak",
    "van Eijk",
    "De la Rossa",
    "Müller",
    "García",
    "Nunes da Fonseca",
    "O'Carroll",
    "Voorberg",
    "Bekkers",
    "Tummers",
    "Brudney",
    "Sharp",
    "Percy",
    "Parks",
    "Thomas",
    "Rich",
    "Farr",
    "Marres",
]
WORDS = (
    "the of coproduction services public citizens and design in to a is that for with as on by this were "
    "which evidence users portal sessions participation value government digital from study"
).split()


def make_sources(folder: Path, words: int, entries: int, seed: int = 1) -> tuple[Path, Path]:
    """A BibTeX list of ``entries`` works and a Markdown draft of about ``words`` words citing them."""
    rng = random.Random(seed)
    works = []
    bib = []
    for i in range(entries):
        n = rng.choice([1, 1, 2, 2, 3, 5])
        authors = rng.sample(SURNAMES, n)
        year = rng.randint(1970, 2024)
        key = f"w{i}"
        works.append((key, authors, year))
        names = " and ".join(f"{{{a}}}, {chr(65 + j)}." for j, a in enumerate(authors))
        bib.append(
            f"@article{{{key},\n  author = {{{names}}},\n  title = {{Work number {i}}},\n"
            f"  journal = {{Journal {i % 7}}},\n  year = {{{year}}},\n  volume = {{{i}}},\n"
            f"  pages = {{{i}--{i + 9}}}\n}}\n"
        )

    def cite(work, narrative: bool) -> str:
        _, authors, year = work
        if rng.random() < 0.05:
            year += 1  # a wrong year now and then
        who = (
            authors[0]
            if len(authors) == 1
            else (f"{authors[0]} & {authors[1]}" if len(authors) == 2 else f"{authors[0]} et al.")
        )
        if narrative:
            return f"{who.replace(' & ', ' and ')} ({year})"
        return f"({who}, {year})"

    paragraphs = []
    count = 0
    while count < words:
        sentence = []
        for _ in range(8):
            words_and_cite = (
                " ".join(rng.sample(WORDS, 12)).capitalize() + " " + cite(rng.choice(works), rng.random() < 0.3)
            )
            count += len(words_and_cite.split())
            sentence.append(words_and_cite + ".")
        paragraphs.append(" ".join(sentence))
    draft = folder / "draft.md"
    draft.write_text("# Draft\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    refs = folder / "refs.bib"
    refs.write_text("\n".join(bib), encoding="utf-8")
    return draft, refs


def kb_command() -> list[str]:
    exe = Path(sys.executable).with_name("kb")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kb"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--words", type=int, default=10_000)
    ap.add_argument("--entries", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        draft, refs = make_sources(Path(tmp), args.words, args.entries)
        command = kb_command() + ["check", str(draft), "-r", str(refs)]
        times = []
        cpu = []
        for _ in range(args.runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode not in (0, 1):
                sys.exit(f"kb check failed:\n{done.stderr}")
        summary = done.stdout.strip().splitlines()[-1]
        n_words = len(draft.read_text(encoding="utf-8").split())
        # which heavy modules the run imported: none of these belong on this path
        probe = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "kb", "check", str(draft), "-r", str(refs)],
            capture_output=True,
            text=True,
        )
        heavy = sorted(
            {
                line.split("|")[-1].strip().split(".")[0]
                for line in probe.stderr.splitlines()
                if line.startswith("import time:")
            }
            & {"datasette", "networkx", "citeproc", "sqlite_utils", "pycrfsuite", "scipy", "numpy"}
        )
    print(f"draft: {n_words} words; list: {args.entries} BibTeX entries; {summary}")
    print(
        f"kb check wall time, best of {args.runs}: {min(times):.3f} s (median {sorted(times)[len(times) // 2]:.3f} s); "
        f"CPU time (user + system), best {min(cpu):.3f} s, median {sorted(cpu)[len(cpu) // 2]:.3f} s"
    )
    print(f"heavy modules imported: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
