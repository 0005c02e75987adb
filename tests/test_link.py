"""Work identity, decided once by kb/link.py: what lands in the database when several lists
cite works, some the same, some not, some unreadable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from kb.build import build
from kb.cli import cli
from kb.link import Entry, document_entries, link
from kb.records import Problem, Work

FIXTURES = Path(__file__).parent / "fixtures"


def built(tmp_path: Path, fixture: str) -> sqlite_utils.Database:
    shutil.copytree(FIXTURES / fixture, tmp_path / fixture)
    path = tmp_path / "kb.db"
    build(path, tmp_path / fixture)
    return sqlite_utils.Database(path)


def smith(title: str, volume: str = "12") -> Work:
    return Work(
        csl={
            "id": "smith2000water",
            "title": title,
            "author": [{"family": "Smith", "given": "J."}],
            "issued": {"date-parts": [[2000]]},
            "volume": volume,
        }
    )


def test_problems_stay_on_the_work_they_are_about(tmp_path):
    """a.bib and a.txt disagree on a's Smith 2000; b lists another Smith 2000 whose key collides.
    Both disagreements are about a's work, whatever key b's work is given."""
    db = built(tmp_path, "two-lists")
    works = {r["title"]: r["id"] for r in db["works"].rows}
    assert works == {
        "Water governance in cities": "smith2000water",
        "Water pricing and social equity": "smith2000watera",
    }
    disagreements = list(db["problems"].rows_where("code = 'source-disagreement'"))
    assert {p["work_id"] for p in disagreements} == {"smith2000water"}
    assert any(p["message"].startswith("volume: bibliography/a.bib says 12") for p in disagreements)
    entries = {(r["document_id"], r["position"]): r["work_id"] for r in db["reference_entries"].rows}
    assert entries == {("a", 1): "smith2000water", ("b", 1): "smith2000watera"}


def test_two_unparseable_references_stay_two_works(tmp_path):
    db = built(tmp_path, "unparseable")
    failed = list(db["works"].rows_where("title is null", order_by="position"))
    assert [w["raw"] for w in failed] == ["12345 67890 ---", "?? ;; 4444"]
    assert len({w["id"] for w in failed}) == 2
    codes = [(p["work_id"], p["code"]) for p in db["problems"].rows_where(order_by="id")]
    assert not [c for c in codes if c[1] == "duplicate-entry"]
    for w in failed:  # one unparsed-reference each: the per-entry check runs once
        assert codes.count((w["id"], "unparsed-reference")) == 1


def test_check_and_build_agree_on_a_numbered_document(tmp_path):
    """numbered.md cites [1] and [2] against its own numbered list, whose works another
    document lists too, without numbers. kb check and kb build give the same answer."""
    db = built(tmp_path, "numbered")
    stored = [
        (c["text"], c["status"], c["work_id"])
        for c in db["citations"].rows_where("document_id = 'numbered'", order_by="start")
    ]
    folder = tmp_path / "numbered" / "bibliography"
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(folder / "numbered.md"),
            "--references",
            str(folder / "numbered-references.txt"),
            "--format",
            "json",
        ],
    )
    checked = [(c["text"], c["status"]) for c in json.loads(result.output)["citations"]]
    assert checked == [("[1]", "ok"), ("[2]", "ok")]
    assert stored == [("[1]", "ok", "bovaird2012engagement"), ("[2]", "ok", "ostrom1996crossing")]
    assert not list(db["problems"].rows_where("code = 'uncited-reference'"))


@pytest.mark.parametrize(
    "a,b,same",
    [
        pytest.param(
            smith("Water governance in cities"),
            smith("Water governance in cities.", "13"),
            True,
            id="same-author-year-title",
        ),
        pytest.param(
            smith("Water governance in cities"),
            smith("Water pricing and social equity"),
            False,
            id="same-author-year-other-title",
        ),
        pytest.param(
            Work(csl={"id": "anon"}, problems=[Problem("unparsed-reference", "?")]),
            Work(csl={"id": "anon"}, problems=[Problem("unparsed-reference", "?")]),
            False,
            id="two-failed-entries",
        ),
        pytest.param(
            Work(csl={"id": "x", "DOI": "10.1/a"}), Work(csl={"id": "y", "DOI": "10.1/A"}), True, id="same-doi"
        ),
    ],
)
def test_link_merges_only_on_positive_evidence(a, b, same):
    linked = link([Entry("d1", 1, a), Entry("d2", 1, b)])
    assert (len(linked.works) == 1) is same
    assert linked.lists["d2"][0].id == linked.entries[1]["work_id"]


def test_link_never_renames_a_work_once_given():
    a, b = smith("Water governance in cities"), smith("Water pricing and social equity")
    disagreement = Problem("source-disagreement", "volume", work_id="smith2000water")
    entries = document_entries("a", [a], problems=[disagreement]) + document_entries("b", [b])
    linked = link(entries)
    assert [p.work_id for p in linked.problems] == ["smith2000water"]
    assert disagreement.work_id == "smith2000water" and a.id == "smith2000water" and b.id == "smith2000water"
    assert [w.id for w in linked.works] == ["smith2000water", "smith2000watera"]


def test_a_sources_folder_without_evidence_or_concepts_builds(tmp_path):
    """Every table exists, empty when its source is absent."""
    db = built(tmp_path, "two-lists")
    from kb.schema import TABLES

    assert {t.name for t in TABLES} <= set(db.table_names())
    assert db["findings"].count == 0 and db["concepts"].count == 0 and db["evidence"].count == 0
