"""Reference parser: k-fold cross-validation on AnyStyle's annotated sets, and throughput.

Prints micro field F1, per-field F1, the share of references whose every field is right, and
references per second on one core (label + normalise to CSL-JSON). This scores labelled
segments; benchmarks/parser_styles.py scores the CSL fields a user gets, and is the headline.

    python benchmarks/parser_cv.py [--data FILE ...] [--with synthetic.jsonl] [--folds 10]
                                   [--throughput-only | --learning-curve]

Data: AnyStyle's core, good, ugly and bad sets (BSD-2-Clause, copyright Sylvester Keil), see
kb/models/LICENSE-anystyle.txt. ``--with`` adds references to every fold's training set (never to
its test set): the synthetic ones kb synth-references writes, say.
A field is one labelled segment, compared after trimming surrounding punctuation and spaces, as
GROBID's field-level evaluation does.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.parser import Labeller, parse_reference, segments, train, training_sequences  # noqa: E402

# CSL has one container-title: a journal and a book or proceedings title are the same field there.
CSL_VIEW = {"journal": "container-title"}


def fields(tokens, glued, labels, view=None):
    """The fields of one reference: its segments (a "B-" label starts one), text trimmed."""
    if view:
        labels = [x[:2] + view.get(x[2:], x[2:]) if x[:2] in ("B-", "I-") else view.get(x, x) for x in labels]
    out = Counter()
    for lab, text in segments(tokens, labels, glued):
        out[(lab, re.sub(r"^[\s,.;:()\[\]]+|[\s,.;:()\[\]]+$", "", text))] += 1
    return out


def cross_validate(seqs, folds: int, fraction: float = 1.0, report: bool = True, extra=()) -> tuple[float, int]:
    """k-fold cross-validation; with fraction < 1 each fold trains on that share of its training
    references (a random subset, the same for every run). Returns the micro field F1 and the
    number of references the last fold trained on."""
    order = list(range(len(seqs)))
    random.Random(13).shuffle(order)
    tp = Counter()
    fp = Counter()
    fn = Counter()
    exact = 0
    tok_right = tok_all = 0
    ctp = cfp = cfn = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(folds):
            test_idx = set(order[k::folds])
            model = Path(tmp) / f"fold{k}.crfsuite"
            training = [i for i in order if i not in test_idx]
            training = sorted(training[: round(fraction * len(training))])
            train([seqs[i] for i in training] + list(extra), model)
            labeller = Labeller(model)
            for i in sorted(test_idx):
                tokens, glued, gold = seqs[i]
                pred = labeller.label(tokens, glued)
                tok_right += sum(a[2:] == b[2:] for a, b in zip(pred, gold, strict=True))  # the label, B/I aside
                tok_all += len(gold)
                cg, cp = fields(tokens, glued, gold, CSL_VIEW), fields(tokens, glued, pred, CSL_VIEW)
                for key in cg | cp:
                    both = min(cg[key], cp[key])
                    ctp += both
                    cfn += cg[key] - both
                    cfp += cp[key] - both
                g, p = fields(tokens, glued, gold), fields(tokens, glued, pred)
                if g == p:
                    exact += 1
                for key in g | p:
                    both = min(g[key], p[key])
                    tp[key[0]] += both
                    fn[key[0]] += g[key] - both
                    fp[key[0]] += p[key] - both
            print(f"fold {k + 1}/{folds} done", file=sys.stderr)
            trained_on = len(training)
    cv_seconds = time.perf_counter() - started

    def f1(t, p_, n):
        prec = t / (t + p_) if t + p_ else 0.0
        rec = t / (t + n) if t + n else 0.0
        return prec, rec, (2 * prec * rec / (prec + rec) if prec + rec else 0.0)

    T, P, N = sum(tp.values()), sum(fp.values()), sum(fn.values())
    prec, rec, micro = f1(T, P, N)
    if not report:
        return micro, trained_on
    print(f"references: {len(seqs)}, folds: {folds}, cross-validation time: {cv_seconds:.0f} s")
    print(f"token accuracy: {tok_right / tok_all:.4f}")
    print(f"micro field precision {prec:.4f} recall {rec:.4f} F1 {micro:.4f}")
    print(f"micro field F1 with journal and container-title as one CSL field: {f1(ctp, cfp, cfn)[2]:.4f}")
    print(f"references fully correct: {exact / len(seqs):.4f} ({exact}/{len(seqs)})")
    print("per-field F1 (support):")
    for label in sorted(tp.keys() | fn.keys(), key=lambda lab: -(tp[lab] + fn[lab])):
        print(f"  {label:18s} {f1(tp[label], fp[label], fn[label])[2]:.4f} ({tp[label] + fn[label]})")
    print(f"(each fold trained on {trained_on} references)")
    return micro, trained_on


def learning_curve(seqs, folds: int, fractions: list[float]) -> None:
    """Micro field F1 against the number of training references: how much more annotated data
    would buy."""
    print("learning curve (training references per fold -> micro field F1):")
    for fraction in fractions:
        micro, trained_on = cross_validate(seqs, folds, fraction, report=False)
        print(f"  {trained_on:5d} {micro:.4f}", flush=True)


def throughput(seqs, passes: int = 5) -> None:
    """The shipped model, full pipeline (label + normalise), one process, one core: the best and
    the median of several passes over every reference, as timeit reports."""
    labeller = Labeller()
    from kb.parser.tokens import join

    texts = [join(t, g) for t, g, _ in seqs]
    rates = []
    for _ in range(passes):
        started = time.perf_counter()
        for text in texts:
            parse_reference(text, labeller)
        rates.append(len(texts) / (time.perf_counter() - started))
    rates.sort()
    print(
        f"throughput: {rates[-1]:.0f} references/s on one core, best of {passes} passes over "
        f"{len(texts)} references (median {rates[len(rates) // 2]:.0f})"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    data = Path(__file__).resolve().parents[2] / "shared" / "data" / "refparse"
    default = [
        data / "anystyle_core.jsonl",
        data / "anystyle_good.xml",
        data / "anystyle_ugly.xml",
        data / "anystyle_bad.xml",
    ]
    ap.add_argument("--data", type=Path, nargs="+", default=default)
    ap.add_argument(
        "--with",
        dest="extra",
        type=Path,
        nargs="*",
        default=[],
        help="more training references for every fold (never tested on)",
    )
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--throughput-only", action="store_true", help="skip the cross-validation")
    ap.add_argument(
        "--learning-curve",
        action="store_true",
        help="only the micro F1 when training on 1/8, 1/4, 1/2 and all of each fold's training set",
    )
    args = ap.parse_args()
    seqs = training_sequences(*args.data)
    extra = training_sequences(*args.extra) if args.extra else []
    if args.learning_curve:
        learning_curve(seqs, args.folds, [0.125, 0.25, 0.5, 1.0])
        return
    if not args.throughput_only:
        cross_validate(seqs, args.folds, extra=extra)
    throughput(seqs)


if __name__ == "__main__":
    main()
