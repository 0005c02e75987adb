"""Reference parsing as a user gets it: the CSL fields `kb parse` returns, per citation style.

Real references with every field known (the element-citations of 12 eLife articles, CC BY /
CC0, in ../shared/data/articles/elife/) are printed by citeproc-py in the styles of the matrix
(kb.parser.synth.MATRIX_SEEN and HELD_OUT: the held-out styles were never used for training),
one reference list per style, and each list is read back with the same code path as `kb parse`.
A field counts when the style prints it; a reference is fully right when every printed field
comes back right and nothing else is invented:

- names: the printed family names in order (particles included, "van der Graaf"), each with the
  initials of its given names, and "et al." where the style cut the list;
- year (and its a/b suffix where printed), title, container title, volume, issue, pages (an
  abbreviated range written out: 1616–27 is 1616-1627), DOI, publisher, place, editors.

Titles and container titles are compared without regard to case or the list's punctuation
(styles change both); everything else exactly.

The articles are split in two: the first six (sorted by name) are development data, looked at
while building the parser; the last six are the test set, reported as the headline.

    python benchmarks/parser_styles.py                # test articles, every matrix style
    python benchmarks/parser_styles.py --split dev    # development figures
    python benchmarks/parser_styles.py --real         # the printed lists of the 12 articles
    python benchmarks/parser_styles.py --seed-list    # the seed's 36 references in every style
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.normalise import family  # noqa: E402
from kb.parser import Labeller, parse_references  # noqa: E402
from kb.parser.synth import FIELD_MARK, HELD_OUT, MATRIX_SEEN, NAME_MARK, Renderer, add_year_suffix, mark_fields  # noqa: E402
from loaders.jats import load_references, printed_references  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ELIFE = ROOT.parent / "shared" / "data" / "articles" / "elife"
FIELDS = (
    "author",
    "year",
    "title",
    "container-title",
    "volume",
    "issue",
    "page",
    "DOI",
    "publisher",
    "publisher-place",
    "editor",
)
MARKED_FIELDS = {"title", "container-title", "volume", "issue", "DOI", "publisher", "publisher-place"}


def articles(split: str) -> list[Path]:
    files = sorted(ELIFE.glob("*.xml"))
    return {"dev": files[:6], "test": files[6:], "all": files}[split]


def _text(value: str) -> str:
    value = unicodedata.normalize("NFC", value).casefold()
    value = re.sub(r"[“”\"'‘’«»]", "", value)
    value = re.sub(r"[\s.,;:]+", " ", value)
    return value.strip()


def initials(given: str) -> str:
    return "".join(w[0] for w in re.split(r"[\s.\-‐]+", given or "") if w).upper()


def _name(n: dict) -> tuple[str, str]:
    fam = family(n)
    words = fam.split()
    # a particle's capital is the style's, not the name's ("Van der Graaf" at the start of an APA entry)
    fam = " ".join(
        [
            w.lower()
            if i < len(words) - 1
            and w.lower()
            in ("van", "der", "de", "von", "den", "la", "du", "di", "da", "del", "le", "ten", "ter", "dos")
            else w
            for i, w in enumerate(words)
        ]
    )
    return unicodedata.normalize("NFC", fam), initials(n.get("given", ""))


def printed_fields(marked: str, gold: dict) -> dict[str, int | bool]:
    """What the style printed of the gold item: a count of names per role, and which fields."""
    out: dict = {}
    for role in ("author", "editor"):
        a, b = NAME_MARK[role]
        # the names the style printed, in order (APA prints 19, "…", then the last)
        out[role] = re.findall(f"{a}(.*?){b}", marked) if gold.get(role) else []
    for f in MARKED_FIELDS:
        out[f] = f in gold and FIELD_MARK[f][0] in marked
    year = str(gold["issued"]["date-parts"][0][0]) if gold.get("issued") else ""
    out["year"] = bool(year) and year in marked
    first = str(gold.get("page") or "").split("-")[0]
    text = re.sub(r"[\ue000-\ue0ff]", "", marked)
    out["page"] = bool(first) and first in text
    # a style that prints the first page only ("Phys. Rev. 12, 345"): that page is what can be read
    printed_range = re.search(rf"(?<![\w]){re.escape(first)}\s*[-–—]\s*(\w+)", text)
    out["first_page_only"] = out["page"] and not printed_range
    # citeproc-py abbreviates some ranges wrongly (8-29 as "8–9"): no reader could get the pages back
    last = str(gold.get("page") or "").split("-")[-1]
    out["page_garbled"] = bool(printed_range) and not last.endswith(
        printed_range.group(1).lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    )
    return out


def compare(parsed: dict, et_al: bool, gold: dict, printed: dict, numbered: bool) -> dict[str, bool]:
    """Field -> right or wrong, for each field printed or returned."""
    out: dict[str, bool] = {}
    for role in ("author", "editor"):
        shown = printed[role]
        got = [_name(n) for n in parsed.get(role) or []]
        if shown or got:
            pool = list(gold.get(role) or [])
            want = []
            for fam in shown:  # each printed name is the next gold name printed so (a style may recase it)
                k = next(
                    (
                        j
                        for j, n in enumerate(pool)
                        if (n.get("family") or n.get("literal", "")).casefold() == fam.casefold()
                    ),
                    None,
                )
                if k is None:
                    break
                want.append(_name(pool[k]))
                pool = pool[k + 1 :]
            ok = got == want
            if role == "author" and shown and len(shown) < len(gold.get(role) or []):
                ok = ok and et_al  # the style cut the list: "et al." must be read
            out[role] = ok
    if printed["year"] or parsed.get("issued"):
        want = gold.get("issued", {}).get("date-parts", [[None]])[0][0]
        got = (parsed.get("issued") or {}).get("date-parts", [[None]])[0][0]
        ok = want == got
        if gold.get("year-suffix") and not numbered:
            ok = ok and parsed.get("year-suffix") == gold["year-suffix"]
        out["year"] = ok
    for f in ("title", "container-title", "publisher", "publisher-place"):
        if printed.get(f) or parsed.get(f):
            out[f] = bool(printed.get(f)) and _text(str(parsed.get(f, ""))) == _text(str(gold.get(f, "")))
    for f in ("volume", "issue", "page"):
        if f == "page" and printed.get("page_garbled"):
            continue
        if printed.get(f) or parsed.get(f):
            norm = lambda v: re.sub(r"\s*[-–]\s*", "-", str(v or "")).strip()  # noqa: E731
            want = norm(gold.get(f))
            if f == "page" and printed.get("first_page_only"):
                want = want.split("-")[0]
            out[f] = bool(printed.get(f)) and norm(parsed.get(f)) == want
    if printed.get("DOI") or parsed.get("DOI"):
        out["DOI"] = (
            bool(printed.get("DOI")) and str(parsed.get("DOI", "")).casefold() == str(gold.get("DOI", "")).casefold()
        )
    return out


class Tally:
    def __init__(self) -> None:
        self.refs = 0
        self.full = 0
        self.families = 0
        self.field_right: Counter = Counter()
        self.field_all: Counter = Counter()
        self.misses: list[tuple[str, str, dict, dict]] = []

    def add(self, result: dict[str, bool], line: str, parsed: dict, gold: dict) -> None:
        self.refs += 1
        self.full += all(result.values())
        self.families += result.get("author", True)
        for f in FIELDS:  # a field neither printed nor returned is right: nothing was invented
            self.field_all[f] += 1
            self.field_right[f] += result.get(f, True)
        if not all(result.values()):
            self.misses.append((line, ", ".join(f for f, ok in result.items() if not ok), parsed, gold))

    def share(self) -> float:
        return self.full / self.refs if self.refs else 0.0


def gold_items(paths: list[Path], journal_only: bool = True) -> list[dict]:
    items = []
    for path in paths:
        for csl, et_al in load_references(path):
            if et_al:
                continue  # a list cut by its source: what the full list is, no one knows
            if journal_only and not (
                csl["type"] == "article-journal"
                and csl.get("author")
                and csl.get("title")
                and csl.get("container-title")
                and csl.get("volume")
                and csl.get("page")
            ):
                continue
            csl = dict(csl)
            csl["id"] = f"{path.stem}-{csl['id']}"
            items.append(csl)
    return items


def run_style(style: str, items: list[dict], labeller: Labeller) -> Tally | None:
    renderer = Renderer(style)
    plain = renderer.render(items)
    marked = renderer.render([mark_fields(i) for i in items])
    rows = []
    for item in items:
        p, m = plain.get(item["id"]), marked.get(item["id"])
        if not p or not m:
            continue
        if not renderer.numbered:
            p, m = add_year_suffix(p, item), add_year_suffix(m, item)
        rows.append((item, p, m))
    if not rows:
        return None
    works = parse_references("\n".join(p for _, p, _ in rows), style, labeller)
    tally = Tally()
    for (item, p, m), w in zip(rows, works, strict=True):
        result = compare(w.csl, w.et_al, item, printed_fields(m, item), renderer.numbered)
        tally.add(result, p, w.csl, item)
    return tally


def report_matrix(items: list[dict], styles: list[str], labeller: Labeller, show: int) -> None:
    tallies: dict[str, Tally] = {}
    started = time.perf_counter()
    print(f"{'style':48s} {'refs':>5s} {'fully right':>11s} {'names':>6s}  weakest field")
    for style in styles:
        t = run_style(style, items, labeller)
        if t is None:
            print(f"{style:48s} citeproc-py cannot render this style")
            continue
        tallies[style] = t
        weakest = min(t.field_all, key=lambda f: t.field_right[f] / t.field_all[f])
        tag = " (held out)" if style in HELD_OUT else ""
        print(
            f"{style + tag:48s} {t.refs:5d} {100 * t.share():10.1f}% {100 * t.families / t.refs:5.1f}%  "
            f"{weakest} {100 * t.field_right[weakest] / t.field_all[weakest]:.1f}%"
        )
    held = [tallies[s] for s in styles if s in HELD_OUT and s in tallies]
    seen = [tallies[s] for s in styles if s not in HELD_OUT and s in tallies]
    every = held + seen
    mean = lambda ts: 100 * sum(t.share() for t in ts) / len(ts) if ts else 0.0  # noqa: E731
    print(
        f"\nfully right, mean over {len(every)} styles: {mean(every):.1f}% "
        f"(seen in training {mean(seen):.1f}% over {len(seen)}, held out {mean(held):.1f}% over {len(held)}); "
        f"lowest {min(100 * t.share() for t in every):.1f}%"
    )
    refs = sum(t.refs for t in every)
    print(f"family names in order: {100 * sum(t.families for t in every) / refs:.2f}% of {refs} references")
    right, total = Counter(), Counter()
    for t in every:
        right.update(t.field_right)
        total.update(t.field_all)
    print("per field: " + ", ".join(f"{f} {right[f] / total[f]:.3f}" for f in FIELDS if total[f]))
    print(f"({time.perf_counter() - started:.0f} s)")
    if show:
        for style, t in tallies.items():
            for line, wrong, parsed, gold in t.misses[:show]:
                print(f"\n[{style}] wrong: {wrong}\n  {line}\n  got:  {_brief(parsed)}\n  want: {_brief(gold)}")


def _brief(csl: dict) -> str:
    keep = {k: v for k, v in csl.items() if k in FIELDS or k in ("issued", "year-suffix")}
    for role in ("author", "editor"):
        if role in keep:
            keep[role] = "; ".join(f"{family(n)}|{n.get('given', '')}" for n in keep[role])
    return str(keep)


def report_real(labeller: Labeller, show: int) -> None:
    """Each article's reference list as eLife prints it (its own style, held out from training)."""
    renderer = Renderer("elife")
    tally = Tally()
    per_article = []
    for path in articles("all"):
        printed = printed_references(path)
        marked = renderer.render(
            [
                mark_fields({**c, "author": c.get("author", []) + ([{"literal": "et al."}] if e else [])})
                for c, e, _ in printed
            ]
        )
        works = parse_references("\n".join(text for _, _, text in printed), path.name, labeller)
        before = tally.full
        for (csl, et_al, text), w in zip(printed, works, strict=True):
            fields = printed_fields(add_year_suffix(marked[csl["id"]], csl), csl)
            if et_al:
                fields["author"] = [n.get("family") or n.get("literal", "") for n in csl.get("author", [])]
            result = compare(w.csl, w.et_al, csl, fields, False)
            if et_al:
                result["author"] = result.get("author", False) and w.et_al
            tally.add(result, text, w.csl, csl)
        per_article.append((path.name, len(printed), tally.full - before))
    for name, n, right in per_article:
        print(f"{name:18s} {n:4d} references, {right:4d} fully right ({100 * right / n:.1f}%)")
    print(
        f"\nreal lists (12 eLife articles as eLife prints them): fully right {100 * tally.share():.1f}% of {tally.refs}; "
        f"family names {100 * tally.families / tally.refs:.1f}%"
    )
    print(
        "per field: "
        + ", ".join(f"{f} {tally.field_right[f] / tally.field_all[f]:.3f}" for f in FIELDS if tally.field_all[f])
    )
    for line, wrong, parsed, gold in tally.misses[:show]:
        print(f"\nwrong: {wrong}\n  {line}\n  got:  {_brief(parsed)}\n  want: {_brief(gold)}")


def report_seed(styles: list[str], labeller: Labeller, show: int) -> None:
    from loaders.bibtex import load_bibtex

    works, _ = load_bibtex(ROOT / "bibliography" / "seed-references.bib")
    items = [dict(w.csl) for w in works if not w.et_al]
    report_matrix(items, styles, labeller, show)


def throughput(lines: int = 10_000, passes: int = 3, keep: Path | None = None) -> None:
    """`kb parse` as a user runs it, whole process, on a file of real references printed in the
    matrix styles: references per second (one process, one core)."""
    import resource
    import subprocess
    import tempfile

    items = gold_items(articles("all"), journal_only=False)
    texts: list[str] = []
    for style in MATRIX_SEEN + HELD_OUT:
        texts += Renderer(style).render(items).values()
        if len(texts) >= lines:
            break
    texts = (texts * (lines // max(len(texts), 1) + 1))[:lines]
    kb = Path(sys.executable).with_name("kb")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "references.txt"
        path.write_text("\n".join(texts) + "\n", encoding="utf-8")
        if keep:
            keep.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        times, cpus = [], []
        for _ in range(passes):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            done = subprocess.run([str(kb), "parse", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(done.stderr.decode())
    best, cpu = min(times), min(cpus)
    # The process is single-threaded: its CPU time is the time it would take on an idle core,
    # which a machine shared with other jobs cannot give as wall time.
    print(
        f"kb parse, whole process, {lines} references in {len(MATRIX_SEEN + HELD_OUT)} styles: "
        f"wall best {best:.2f} s of {passes} ({lines / best:.0f} references/s), median {sorted(times)[passes // 2]:.2f} s; "
        f"CPU best {cpu:.2f} s ({lines / cpu:.0f} references per CPU-second)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=["test", "dev", "all"], default="test")
    ap.add_argument("--styles", nargs="*", help="only these styles")
    ap.add_argument("--real", action="store_true", help="the 12 articles' printed lists")
    ap.add_argument("--seed-list", action="store_true", help="the seed's references in every style (development data)")
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--show", type=int, default=0, help="print this many misses per style")
    ap.add_argument("--throughput", action="store_true", help="time `kb parse` on a 10,000-line file")
    ap.add_argument("--keep", type=Path, default=None, help="with --throughput: also write the file timed here")
    args = ap.parse_args()
    if args.throughput:
        throughput(keep=args.keep)
        return
    labeller = Labeller(args.model) if args.model else Labeller()
    styles = args.styles or list(MATRIX_SEEN + HELD_OUT)
    if args.real:
        report_real(labeller, args.show)
    elif args.seed_list:
        report_seed(styles, labeller, args.show)
    else:
        items = gold_items(articles(args.split))
        print(f"{len(items)} journal references from the {args.split} articles, {len(styles)} styles\n")
        report_matrix(items, styles, labeller, args.show)


if __name__ == "__main__":
    main()
