"""Concept matcher: precision and recall of the concepts found in each passage of the seed,
against the hand-labelled table concepts/gold-passage-concepts.yml.

    python benchmarks/concept_matcher.py [--db kb.db]

A passage counts as tagged with a concept when a label matches in it (method "matched").
Curated links are not counted: they are the hand-made part.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import sqlite_utils
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def measure(db: sqlite_utils.Database, gold_path: Path) -> dict:
    gold = {(p, c) for p, cs in yaml.safe_load(gold_path.read_text(encoding="utf-8")).items() for c in cs}
    found = {
        (r["target_id"], r["concept_id"])
        for r in db.query(
            "select distinct target_id, concept_id from concept_links where target_table = 'passages' and method = 'matched'"
        )
    }
    tp = gold & found
    precision = len(tp) / len(found) if found else 0.0
    recall = len(tp) / len(gold) if gold else 0.0
    return {
        "gold": len(gold),
        "found": len(found),
        "right": len(tp),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "false_positives": sorted(found - gold),
        "missed": sorted(gold - found),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path)
    args = ap.parse_args()
    if args.db is None:
        from kb.build import build

        args.db = Path(tempfile.mkdtemp()) / "kb.db"
        build(args.db, ROOT)
    m = measure(sqlite_utils.Database(args.db), ROOT / "concepts" / "gold-passage-concepts.yml")
    print(f"passage-concept pairs: gold {m['gold']}, found {m['found']}, right {m['right']}")
    print(f"precision {m['precision']:.3f} recall {m['recall']:.3f} F1 {m['f1']:.3f}")
    print("false positives:", ", ".join(f"{p} {c}" for p, c in m["false_positives"]) or "none")
    print("missed:", ", ".join(f"{p} {c}" for p, c in m["missed"]) or "none")


if __name__ == "__main__":
    main()
