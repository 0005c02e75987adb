"""Dump every table of a built database row for row, in a canonical order, so two builds of
the same sources can be compared with ``diff``.

    python benchmarks/seed_rows.py kb.db > before.txt

Tables are listed by name; each table's columns by name; rows sorted by their JSON form, so
the dump does not depend on insertion order or column order. Full-text search shadow tables
(``*_fts*``) are left out: they are derived from the rows already dumped.
"""

from __future__ import annotations

import json
import sqlite3
import sys


def dump(path: str, out=sys.stdout) -> None:
    conn = sqlite3.connect(path)
    tables = [
        r[0] for r in conn.execute("select name from sqlite_master where type in ('table', 'view') order by name")
    ]
    for table in tables:
        if "_fts" in table or table.startswith("sqlite_"):
            continue
        columns = sorted(r[1] for r in conn.execute(f"pragma table_info([{table}])"))
        rows = conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}]").fetchall()
        lines = sorted(
            json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False, sort_keys=True) for row in rows
        )
        print(f"## {table} ({len(lines)} rows) columns: {', '.join(columns)}", file=out)
        for line in lines:
            print(line, file=out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/seed_rows.py DATABASE")
    dump(sys.argv[1])
