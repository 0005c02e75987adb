"""`kb build` and `kb check` at scale, through the real command.

Generates a sources folder laid out as README describes (citing documents `bibliography/*.md`
with front matter naming their reference list, as `.bib` or as free text; the seed's evidence
and concept files, its essay and its lists beside them), runs the installed `kb build` on it as
a subprocess with ``KB_TIMINGS=1`` and prints, for each size, the wall time and peak memory of
the whole command, the time of each stage, and the growth factor from each size to the next.

Sizes double from ``--start`` works to ``--max`` works; each size has 10 times as many
citations as works, in one citing document per 10 works (20 references and 100 citations a
document: 10 works of its own, 10 shared with other documents). Surnames are built from
syllables; 3% of citations carry a wrong year and 2% cite no reference at all.

    python benchmarks/build_scale.py                       # 1,000 to 8,000 works, .bib lists
    python benchmarks/build_scale.py --max 100000          # up to 100k works, 1M citations
    python benchmarks/build_scale.py --free-text --max 4000  # the lists as free text (APA)
    python benchmarks/build_scale.py --start 8000 --max 64000 --repeat 3  # medians of 3 rounds of every size
    python benchmarks/build_scale.py --start 100000 --max 100000 --commands  # kb cite, graph, publish
    python benchmarks/build_scale.py --check-only           # kb check: 200,000 citations, 20,000 references
    python benchmarks/build_scale.py --check-only --unique-citations  # the same, no two citations alike

Figures go to standard output; the generated folders to ``--workdir`` (default a temporary
folder, removed at the end unless ``--keep``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from resolve_scale import SYLLABLES as NAME_SYLLABLES  # noqa: E402  (one list of name syllables)

# three more syllables than resolve_scale's names: fewer collisions at 100,000 works
SYLLABLES = [*NAME_SYLLABLES, "ku", "zan", "dre"]
WORDS = (
    "public services coproduction citizens governance participation digital portal users design delivery "
    "evaluation municipal policy networks innovation trust accountability welfare reform community local "
    "outcomes value management administration quality performance learning"
).split()
CONCEPT_PHRASES = [
    "coproduction",
    "citizen participation",
    "ICT",
    "New Public Governance",
    "e-government",
    "exclusion",
    "usability",
    "digital divide",
]
JOURNALS = [
    "Public Administration Review",
    "Public Management Review",
    "Journal of Public Policy",
    "Voluntas",
    "Governance",
    "Policy & Politics",
    "Local Government Studies",
]


def kb_command() -> str:
    """The installed console script next to this interpreter (the real command, not a function)."""
    exe = Path(sys.executable).with_name("kb")
    if not exe.exists():
        sys.exit("kb is not installed next to this Python: pip install -e . first")
    return str(exe)


def surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def make_works(n: int, rng: random.Random) -> list[dict]:
    works = []
    for i in range(n):
        authors = [(surname(rng), rng.choice("ABCDEGHJKLMNPRST") + ".") for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))).capitalize()
        works.append(
            {
                "n": i,
                "authors": authors,
                "year": rng.randint(1960, 2024),
                "title": title,
                "journal": rng.choice(JOURNALS),
                "volume": str(rng.randint(1, 80)),
                "issue": str(rng.randint(1, 6)),
                "first": rng.randint(1, 900),
                "doi": f"10.9999/kb.{i}",
            }
        )
    return works


def bib_entry(w: dict, key: str) -> str:
    names = " and ".join(f"{f}, {g}" for f, g in w["authors"])
    return (
        f"@article{{{key},\n  author = {{{names}}},\n  title = {{{w['title']}}},\n"
        f"  journal = {{{w['journal']}}},\n  year = {{{w['year']}}},\n  volume = {{{w['volume']}}},\n"
        f"  number = {{{w['issue']}}},\n  pages = {{{w['first']}--{w['first'] + 14}}},\n  doi = {{{w['doi']}}}\n}}\n"
    )


def apa_entry(w: dict) -> str:
    names = [f"{f}, {g}" for f, g in w["authors"]]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", & " + names[-1]
    return (
        f"{who} ({w['year']}). {w['title']}. {w['journal']}, {w['volume']}({w['issue']}), "
        f"{w['first']}–{w['first'] + 14}. https://doi.org/{w['doi']}"
    )


def in_text(w: dict, rng: random.Random, page: int | None = None) -> str:
    """How the document cites ``w``: 3% with a wrong year, 2% with a name no entry has; with a
    ``page``, a locator that makes the text of this citation unlike any other ("p. 1234")."""
    fams = [f for f, _ in w["authors"]]
    who = fams[0] if len(fams) == 1 else f"{fams[0]} & {fams[1]}" if len(fams) == 2 else f"{fams[0]} et al."
    year = w["year"]
    roll = rng.random()
    if roll < 0.03:
        year = year + 1 if year < 2024 else year - 1
    elif roll < 0.05:
        who = surname(rng) + "x"
    return f"{who}, {year}" + (f", p. {page}" if page is not None else "")


def sentence(rng: random.Random, cites: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words)), rng.choice(CONCEPT_PHRASES))
    text = " ".join(words).capitalize()
    return f"{text} ({'; '.join(cites)})."


def make_paragraphs(
    rng: random.Random, pool: list[dict], n_citations: int, per_paragraph: int, unique: bool = False
) -> list[str]:
    """Paragraphs of ``per_paragraph`` sentences holding ``n_citations`` in-text citations in
    all, one to three a sentence, of works drawn from ``pool``. ``unique`` gives every citation
    its own page locator, so no two citations (and no two parentheses) read alike: a manuscript
    repeats itself less than the generated one, and a check that remembers what it has read must
    not look faster than it is. The random draws are the same either way."""
    paragraphs, left = [], n_citations
    page = iter(range(1, n_citations + 1)) if unique else None
    while left > 0:
        sentences = []
        for _ in range(per_paragraph):
            k = min(left, rng.choice([1, 1, 2, 3]))
            left -= k
            sentences.append(
                sentence(rng, [in_text(rng.choice(pool), rng, next(page) if page else None) for _ in range(k)])
            )
            if left == 0:
                break
        paragraphs.append(" ".join(sentences))
    return paragraphs


def generate(root: Path, n_works: int, free_text: bool, seed: int = 1) -> dict[str, int]:
    """Write a sources folder with ``n_works`` works and 10 times as many citations."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    for name in ("bibliography", "evidence", "concepts"):
        shutil.copytree(REPO / name, root / name)  # the seed's documents, evidence and concept scheme
    bib = root / "bibliography"
    works = make_works(n_works, rng)
    n_docs = max(1, n_works // 10)
    citations = 0
    for d in range(n_docs):
        own = works[d * 10 : (d + 1) * 10]
        shared = [works[rng.randrange(n_works)] for _ in range(10)]
        listed = list({w["n"]: w for w in own + shared}.values())
        listed.sort(key=lambda w: (w["authors"][0][0], w["year"]))
        name = f"doc{d:06d}"
        if free_text:
            (bib / f"{name}.txt").write_text("\n".join(apa_entry(w) for w in listed) + "\n", encoding="utf-8")
            front = f"reference_list: {name}.txt"
        else:
            (bib / f"{name}.bib").write_text("\n".join(bib_entry(w, f"w{w['n']}") for w in listed), encoding="utf-8")
            front = f"references: {name}.bib"
        paragraphs = make_paragraphs(rng, listed, 100, 4)
        citations += 100
        (bib / f"{name}.md").write_text(
            f'---\nid: {name}\ntitle: "Generated document {d}"\nkind: essay\n{front}\n---\n'
            + "\n\n".join(paragraphs)
            + "\n",
            encoding="utf-8",
        )
    return {"works": n_works, "documents": n_docs, "citations": citations}


class Run(NamedTuple):
    wall: float  # seconds
    cpu: float  # user and system seconds of the child and of its own children
    rss: float  # peak resident memory of the child, MB
    out: str
    err: str
    code: int


def run(cmd: list[str], env: dict | None = None) -> Run:
    """Run ``cmd`` to its end and say what it took."""
    # output goes to files, not pipes: a child that fills a pipe nobody reads yet never ends
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return Run(
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
            out.read(),
            err.read(),
            os.waitstatus_to_exitcode(status),
        )


def stage_times(stderr: str) -> dict[str, tuple[float, float, float]]:
    """Each stage's (wall seconds, peak MB so far, CPU seconds) from the ``kb-timing:`` lines."""
    out: dict[str, tuple[float, float, float]] = {}
    for line in stderr.splitlines():
        if line.startswith("kb-timing: "):
            _, name, secs, mb, *cpu = line.split()
            out[name] = (float(secs), float(mb), float(cpu[0]) if cpu else 0.0)
    return out


def median_run(runs: list[tuple[Run, dict[str, tuple[float, float, float]]]]) -> tuple[Run, dict]:
    """Several first builds of one size as one: the median wall and CPU time of the command and
    of each stage, the largest peak memory (the last run's output)."""
    whole = [r for r, _ in runs]
    names = [name for name in runs[-1][1] if all(name in s for _, s in runs)]
    stages = {name: tuple(statistics.median(s[name][i] for _, s in runs) for i in range(3)) for name in names}
    built = whole[-1]._replace(
        wall=statistics.median(r.wall for r in whole),
        cpu=statistics.median(r.cpu for r in whole),
        rss=max(r.rss for r in whole),
    )
    return built, stages


def bench_build(args: argparse.Namespace, workdir: Path) -> None:
    kb = kb_command()
    env = {**os.environ, "KB_TIMINGS": "1"}
    sizes = []
    n = args.start
    while n <= args.max:
        sizes.append(n)
        n *= 2
    results = []
    kind = "free text" if args.free_text else ".bib"
    print(f"kb build, lists as {kind}: {kb}")
    made_of = {n: generate(workdir / f"build-{n}", n, args.free_text) for n in sizes}
    runs_of: dict[int, list] = {n: [] for n in sizes}
    # the repeats in rounds, each round every size once: a slower spell of the machine (it shares
    # its host) then falls on every size alike, not on the runs of one size, which made one
    # step's growth look worse than the next's
    for _ in range(args.repeat):
        for n in sizes:
            root, made = workdir / f"build-{n}", made_of[n]
            # each a first build: no database and no cache of an earlier one
            for name in ("kb.db", ".kb.db.build-cache", ".kb.db.format-cache"):
                (root / name).unlink(missing_ok=True)
            built = run([kb, "build", "--quiet", "--sources", str(root), "--db", str(root / "kb.db")], env)
            if built.code != 0:
                print(built.err[-2000:], file=sys.stderr)
                sys.exit(f"kb build failed on {n} works (exit {built.code})")
            runs_of[n].append((built, stage_times(built.err)))
            print(
                f"  {n:>7,} works {made['citations']:>9,} citations {made['documents']:>6,} documents: "
                f"{built.wall:8.1f} s ({built.cpu:.1f} s CPU), peak {built.rss:7.0f} MB  | "
                + ", ".join(f"{k} {v[0]:.1f}" for k, v in runs_of[n][-1][1].items()),
                flush=True,
            )
    for n in sizes:
        root, made = workdir / f"build-{n}", made_of[n]
        built, stages = median_run(runs_of[n])
        rebuilt = again = unchanged = None
        if args.rebuild:
            # a rebuild after one changed document, a second one after another change (each
            # rebuild keeps what the next one needs), and a build with nothing changed
            doc = root / "bibliography" / "doc000000.md"
            command = [kb, "build", "--quiet", "--sources", str(root), "--db", str(root / "kb.db")]
            timed = []
            for what, year in (("rebuild after one changed document", 1999), ("rebuild again", 2000), ("unchanged", 0)):
                if year:
                    more = f"\nOne more paragraph (Nobody, {year}).\n"
                    doc.write_text(doc.read_text(encoding="utf-8") + more, encoding="utf-8")
                done = run(command, env)
                timed.append(done)
                print(
                    f"          {what}: {done.wall:.1f} s ({done.cpu:.1f} s CPU), "
                    f"peak {done.rss:.0f} MB (exit {done.code})  | "
                    + ", ".join(f"{k} {v[0]:.1f}" for k, v in stage_times(done.err).items())
                )
                for line in done.err.splitlines():
                    if line.startswith(("kb-cache: ", "kb-computed: ")):  # what the cache gave, what was computed
                        print(f"            {line}")
            rebuilt, again, unchanged = timed
        results.append((made, built, stages, rebuilt, again, unchanged))
        if args.commands and n == sizes[-1]:
            bench_commands(kb, root, made)
        if not args.keep:
            shutil.rmtree(root)
    print()
    names = list(results[-1][2])
    # growth per doubling from each size to the next, and over the whole ladder (the first size
    # to the last, per doubling): on this machine one step can meet a slower minute, which the
    # whole ladder's figure averages out
    doublings = math.log2(results[-1][0]["works"] / results[0][0]["works"]) if len(results) > 1 else 0
    header = (
        "| stage | "
        + " | ".join(f"{r[0]['works']:,}" for r in results)
        + " | growth per doubling | over all sizes, per doubling |"
    )
    print(header)
    print("|" + " --- |" * (len(results) + 3))
    rows = [
        ("whole `kb build` (s)", [r[1].wall for r in results]),
        ("whole `kb build`, CPU (s)", [r[1].cpu for r in results]),
    ]
    rows += [(f"{s} (s)", [r[2].get(s, (0, 0, 0))[0] for r in results]) for s in names]
    # each stage's CPU seconds (with those of the processes it waited for): the work it did,
    # whatever ran beside it. A stage's wall time also holds its share of two cores with the
    # other processes of the build, and which stages meet which changes with the size
    rows += [(f"{s}, CPU (s)", [r[2].get(s, (0, 0, 0))[2] for r in results]) for s in names]
    rows.append(("peak RSS (MB)", [r[1].rss for r in results]))
    if args.rebuild:
        rows.append(("rebuild, one document changed (s)", [r[3].wall for r in results]))
        rows.append(("rebuild, CPU (s)", [r[3].cpu for r in results]))
        rows.append(("rebuild again, another change (s)", [r[4].wall for r in results]))
        rows.append(("build with nothing changed (s)", [r[5].wall for r in results]))
        rebuilt_stages = [stage_times(r[3].err) for r in results]
        # the rebuild's own stages: an update in place (plan, copy, update, rank, write), or a build's
        rebuilt_names = list(dict.fromkeys(s for t in rebuilt_stages for s in t))
        rows += [(f"rebuild: {s} (s)", [t.get(s, (0, 0, 0))[0] for t in rebuilt_stages]) for s in rebuilt_names]
    for label, values in rows:
        growth = [b / a for a, b in zip(values, values[1:], strict=False) if a >= 0.05]
        shown = ", ".join(f"{g:.2f}" for g in growth) if growth else "-"
        whole = f"{(values[-1] / values[0]) ** (1 / doublings):.2f}" if doublings and values[0] >= 0.05 else "-"
        print(
            f"| {label} | "
            + " | ".join(f"{v:.1f}" if v < 100 else f"{v:,.0f}" for v in values)
            + f" | {shown} | {whole} |"
        )


# what a user runs on a built library besides kb build and kb serve: every work printed in each
# format, one concept's works, the graph exported in each format, the deployable bundle
COMMANDS = (
    ("kb cite --format bibtex (every work)", ["cite", "--format", "bibtex"]),
    ("kb cite --format csljson (every work)", ["cite", "--format", "csljson"]),
    ("kb cite --format apa (every work)", ["cite", "--format", "apa"]),
    ("kb cite --format ieee (every work)", ["cite", "--format", "ieee"]),
    ("kb cite --concept coproduction --format apa", ["cite", "--concept", "coproduction", "--format", "apa"]),
    ("kb cite --format apa --as html (every work)", ["cite", "--format", "apa", "--as", "html"]),
    (
        "kb cite --concept exclusion --format apa --as markdown",
        ["cite", "--concept", "exclusion", "--format", "apa", "--as", "markdown"],
    ),
    ("kb cite one key --format apa", ["cite", "w1", "--format", "apa"]),
    ("kb graph --format graphml", ["graph", "--format", "graphml", "--out", "{tmp}/kb.graphml"]),
    ("kb graph --format gexf", ["graph", "--format", "gexf", "--out", "{tmp}/kb.gexf"]),
    ("kb graph --format json", ["graph", "--format", "json", "--out", "{tmp}/kb.json"]),
    ("kb publish", ["publish", "{tmp}/bundle"]),
)


def bench_commands(kb: str, root: Path, made: dict) -> None:
    """Each of :data:`COMMANDS` on the built folder ``root``, its wall time, peak memory and what
    it wrote (lines on standard output, or the size of the file or folder)."""
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Linux counts in a child's peak the memory of the process it was forked from, this one's
    print(f"\n  commands on {made['works']:,} works ({root}); a peak under {floor:,.0f} MB reads as {floor:,.0f}:")
    for label, args in COMMANDS:
        with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
            done = run([kb, *[a.format(tmp=tmp) for a in args], "--db", str(root / "kb.db")])
            written = [p for p in Path(tmp).rglob("*") if p.is_file()]
            what = (
                f"{sum(p.stat().st_size for p in written) / 1e6:,.0f} MB written"
                if written
                else f"{done.out.count(chr(10)):,} lines"
            )
        print(f"    {label}: {done.wall:.1f} s, peak {done.rss:,.0f} MB, {what} (exit {done.code})", flush=True)
        if done.code != 0:
            print(done.err[-1000:], file=sys.stderr)


def bench_check(args: argparse.Namespace, workdir: Path) -> None:
    """kb check on one document of ``--check-citations`` citations against ``--check-references``."""
    rng = random.Random(2)
    works = make_works(args.check_references, rng)
    folder = workdir / "check"
    folder.mkdir(parents=True, exist_ok=True)
    items = [
        {
            "id": f"w{w['n']}",
            "type": "article-journal",
            "title": w["title"],
            "author": [{"family": f, "given": g} for f, g in w["authors"]],
            "issued": {"date-parts": [[w["year"]]]},
            "container-title": w["journal"],
            "DOI": w["doi"],
        }
        for w in sorted(works, key=lambda w: (w["authors"][0][0], w["year"]))
    ]
    (folder / "refs.json").write_text(json.dumps(items), encoding="utf-8")
    paragraphs = make_paragraphs(rng, works, args.check_citations, 5, unique=args.unique_citations)
    doc = folder / "draft.md"
    doc.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    size = doc.stat().st_size / 1e6
    checked = run([kb_command(), "check", str(doc), "--references", str(folder / "refs.json")])
    summary = checked.out.strip().splitlines()[-1] if checked.out.strip() else checked.err[-500:]
    print(
        f"kb check: {args.check_citations:,} citations ({size:.1f} MB) against {args.check_references:,} references: "
        f"{checked.wall:.1f} s ({checked.cpu:.1f} s CPU), {args.check_citations / checked.wall:,.0f} citations/s, "
        f"peak {checked.rss:.0f} MB (exit {checked.code})"
    )
    print(f"  {summary}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", type=int, default=1000, help="smallest size, in works")
    ap.add_argument("--max", type=int, default=8000, help="largest size, in works (100000 for the target)")
    ap.add_argument("--free-text", action="store_true", help="reference lists as free text (APA) instead of .bib")
    ap.add_argument(
        "--rebuild",
        action="store_true",
        help="also time a rebuild after one document changed, a second one after another "
        "change, and a build with nothing changed",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="first builds of each size (each from no database and no cache): the growth factors "
        "are computed from each stage's median (runs of the same build here vary by about 10%%)",
    )
    ap.add_argument(
        "--commands",
        action="store_true",
        help="on the largest size, also time kb cite, kb graph and kb publish (COMMANDS)",
    )
    ap.add_argument("--check-only", action="store_true", help="only the kb check benchmark")
    ap.add_argument("--no-check", action="store_true", help="skip the kb check benchmark")
    ap.add_argument("--check-citations", type=int, default=200_000)
    ap.add_argument("--check-references", type=int, default=20_000)
    ap.add_argument(
        "--unique-citations", action="store_true", help="kb check: every citation with its own page locator"
    )
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = ap.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="kb-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if not args.check_only:
            bench_build(args, workdir)
        if not args.no_check:
            print()
            bench_check(args, workdir)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n(self: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
