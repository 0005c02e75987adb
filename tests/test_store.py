"""The store's two ways of writing rows (dicts through ``insert_rows``, tuples through
``insert_tuples``) store the same rows, in real SQLite files."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from kb.records import Work
from kb.store import TupleRows, create_tables, insert_rows, insert_tuples, save_graph_analyses, save_works

COLUMNS = ("claim_id", "citation_id", "status", "work_id", "candidates")
ROWS = [
    ("s1", "c1", "ok", "smith2010", "[]"),
    ("s1", "c2", "missing", None, '["a", "b"]'),
    ("s2", "c3", "ambiguous", None, "[]"),
    ("s3", "c4", "ok", "jones1999", "[]"),
]


def _rows(path, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"select rowid, * from [{table}] order by rowid").fetchall()
    finally:
        conn.close()


def _databases(tmp_path) -> tuple[sqlite_utils.Database, sqlite_utils.Database]:
    dbs = []
    for name in ("dicts.db", "tuples.db"):
        db = sqlite_utils.Database(tmp_path / name)
        create_tables(db)
        dbs.append(db)
    return dbs[0], dbs[1]


def test_tuples_store_the_rows_dicts_store(tmp_path):
    dicts, tuples = _databases(tmp_path)
    insert_rows(dicts, "claim_citations", (dict(zip(COLUMNS, r, strict=True)) for r in ROWS))
    insert_tuples(tuples, "claim_citations", COLUMNS, iter(ROWS))  # a generator, as the build gives
    assert _rows(tmp_path / "tuples.db", "claim_citations") == _rows(tmp_path / "dicts.db", "claim_citations")
    assert len(_rows(tmp_path / "tuples.db", "claim_citations")) == len(ROWS)


def test_tuples_in_any_column_order_store_the_same_rows(tmp_path):
    dicts, tuples = _databases(tmp_path)
    order = (3, 0, 4, 2, 1)
    insert_rows(dicts, "claim_citations", [dict(zip(COLUMNS, r, strict=True)) for r in ROWS])
    insert_tuples(
        tuples, "claim_citations", tuple(COLUMNS[i] for i in order), [tuple(r[i] for i in order) for r in ROWS]
    )
    assert _rows(tmp_path / "tuples.db", "claim_citations") == _rows(tmp_path / "dicts.db", "claim_citations")


def test_replace_keeps_the_last_row_of_a_key_either_way(tmp_path):
    dicts, tuples = _databases(tmp_path)
    columns = ("id", "concept_id", "label", "kind")
    rows = [("c/alt/x", "c", "x", "alt"), ("c/alt/y", "c", "y", "alt"), ("c/alt/x", "c", "X", "alt")]
    insert_rows(dicts, "concept_labels", [dict(zip(columns, r, strict=True)) for r in rows], replace=True)
    insert_tuples(tuples, "concept_labels", columns, rows, replace=True)
    stored = _rows(tmp_path / "tuples.db", "concept_labels")
    assert stored == _rows(tmp_path / "dicts.db", "concept_labels")
    assert sorted(r[3] for r in stored) == ["X", "y"]


def test_a_table_not_made_yet_is_made_as_insert_rows_makes_it(tmp_path):
    dicts, tuples = (sqlite_utils.Database(tmp_path / n) for n in ("dicts.db", "tuples.db"))
    columns = ("a", "b", "c")
    rows = [(1, "x", 1.5), (2, None, None)]
    insert_rows(dicts, "extra", [dict(zip(columns, r, strict=True)) for r in rows])
    insert_tuples(tuples, "extra", columns, rows)
    assert tuples["extra"].schema == dicts["extra"].schema
    assert _rows(tmp_path / "tuples.db", "extra") == _rows(tmp_path / "dicts.db", "extra")


def test_a_column_the_table_lacks_is_an_error_unless_altered(tmp_path):
    _, tuples = _databases(tmp_path)
    with pytest.raises(sqlite3.OperationalError):
        insert_tuples(tuples, "claim_citations", COLUMNS + ("nonsense",), [r + (1,) for r in ROWS])
    insert_tuples(tuples, "claim_citations", COLUMNS + ("weight",), [r + (1,) for r in ROWS], alter=True)
    assert "weight" in tuples["claim_citations"].columns_dict
    assert [r[-1] for r in _rows(tmp_path / "tuples.db", "claim_citations")] == [1] * len(ROWS)


def test_a_work_whose_fields_are_lists_is_stored_with_their_json(tmp_path):
    """A reference list in CSL-JSON may give a field as a list: stored as its JSON, as
    sqlite-utils stores one, not refused."""
    dicts, tuples = _databases(tmp_path)
    csl = {
        "id": "smith2010",
        "type": "book",
        "title": ["A title", "given twice"],
        "author": [{"family": "Smith", "given": "Ann B."}],
        "issued": {"date-parts": [[2010]]},
        "volume": 3,
    }
    save_works(tuples, [Work(csl=csl, source="refs.json", line=1, position=1)], {"smith2010": {"apa": "Smith"}})
    row = tuples["works"].get("smith2010")
    assert row["title"] == '["A title", "given twice"]'
    assert row["volume"] == "3" and row["decade"] == "2010s" and row["apa"] == "Smith"
    assert tuples["work_authors"].get(("smith2010", "author", 1))["author_id"] == "smith-ab"
    insert_rows(dicts, "works", [{"id": "smith2010", "title": csl["title"], "volume": 3}])
    assert dicts["works"].get("smith2010")["title"] == row["title"]


def test_graph_tables_given_as_tuples_store_the_rows_dicts_store(tmp_path):
    dicts, tuples = _databases(tmp_path)
    columns = ("work_a", "work_b", "level", "weight")
    rows = [("a", "b", "parenthesis", 1), ("a", "c", "sentence", 2), ("b", "c", "paragraph", 3)]
    save_graph_analyses(dicts, {}, {"co_citations": (dict(zip(columns, r, strict=True)) for r in rows)})
    save_graph_analyses(tuples, {}, {"co_citations": TupleRows(columns, iter(rows))})
    assert _rows(tmp_path / "tuples.db", "co_citations") == _rows(tmp_path / "dicts.db", "co_citations")
    assert len(_rows(tmp_path / "tuples.db", "co_citations")) == len(rows)
