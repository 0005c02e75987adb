"""Two kb databases compared table by table, each table as a multiset of rows (a count and a
sum of the rows' hashes: a million rows in a few seconds, in little memory).

    python benchmarks/compare_tables.py UPDATED.db FULL.db

What an update in place (``kb/update.py``) leaves as the last full build made it is left out
(``STALE_TABLES``, ``STALE_COLUMNS``), and so are the numbers it gives its new rows after the
last (``problems.id``, ``concept_links.id``), the search indexes and ``_kb_meta``: what is left
is what an updated database and a full build of the same sources must both hold. ``--all``
compares everything but the search indexes and ``_kb_meta``. Exit code 1 when they differ.
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kb.update import compared_columns  # noqa: E402


def table_digests(path: Path, everything: bool = False) -> dict[str, tuple[int, int]]:
    """Each table's row count and the sum (mod 2**64) of its rows' hashes."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for table, columns in compared_columns(conn, everything).items():
        total = count = 0
        for row in conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}]"):
            total = (total + int.from_bytes(hashlib.blake2b(repr(row).encode(), digest_size=8).digest(), "big")) % (
                1 << 64
            )
            count += 1
        out[table] = (count, total)
    conn.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--all", action="store_true", help="the graph's analyses and row numbers too")
    args = parser.parse_args()
    a, b = table_digests(args.first, args.all), table_digests(args.second, args.all)
    same = [t for t in a if a[t] == b.get(t)]
    different = sorted(t for t in set(a) | set(b) if a.get(t) != b.get(t))
    print(f"{len(same)} tables the same ({sum(a[t][0] for t in same):,} rows); {len(different)} different")
    for t in different:
        print(f"  {t}: {a.get(t, ('missing',))[0]} rows against {b.get(t, ('missing',))[0]}")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
