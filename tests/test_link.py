"""Work identity, decided once by kb/link.py: what lands in the database when several lists
cite works, some the same, some not, some unreadable."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from corpus import write_sources

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


def test_a_key_its_source_gives_wins_over_one_kb_made_whichever_list_comes_first():
    """A free-text list that reprints a .bib's work (read first: its document sorts first)
    does not rename it: the work keeps the BibTeX key (adding such a document renamed every
    work of an eLife article's list, bib1... becoming baldwin2007transform...). Keys given
    also take their letters first when a work kb keyed has the same one."""
    printed = smith("Water governance in cities")  # a free-text reading: kb made its key
    given = dataclasses.replace(smith("Water governance in cities"), csl={**printed.csl, "id": "bib1"}, key_given=True)
    other = dataclasses.replace(smith("Water pricing and social equity"), key_given=True)  # given: smith2000water
    linked = link([Entry("a", 1, printed), Entry("b", 1, given), Entry("b", 2, other)])
    assert [w.id for w in linked.works] == ["bib1", "smith2000water"]
    assert [(e["document_id"], e["work_id"], e["key_in_list"]) for e in linked.entries] == [
        ("a", "bib1", "smith2000water"),
        ("b", "bib1", "bib1"),
        ("b", "smith2000water", "smith2000water"),
    ]
    assert [w.id for w in linked.lists["a"]] == ["bib1"]
    # kb's key yields to a given one it collides with, however late that comes
    third = smith("Water in the city, again")
    linked = link([Entry("a", 1, third), Entry("b", 1, other)])
    assert [w.id for w in linked.works] == ["smith2000watera", "smith2000water"]


def test_adding_a_document_that_reprints_a_bib_list_keeps_its_keys(tmp_path):
    """Through the build: the same works, with their BibTeX keys, before and after a document
    whose free-text list reprints them is added ahead of it."""
    baldwin = "Baldwin, P. R. and Penczek, P. A."
    write_sources(
        tmp_path,
        {
            "refs.bib": f"@article{{bib1, author = {{{baldwin}}}, title = {{The Transform Class in SPARX and EMAN2}},"
            " journal = {J Struct Biol}, year = {2007}, volume = {157}, pages = {250--261}}\n",
            "paper.md": "---\nid: paper\nreferences: refs.bib\n---\n\nSPARX helps (Baldwin and Penczek, 2007).\n",
        },
    )
    build(tmp_path / "kb.db", tmp_path)
    write_sources(
        tmp_path,
        {
            "a-note.md": "---\nid: a-note\nreference_list: a-note.txt\n---\n\nAs shown (Baldwin & Penczek, 2007).\n",
            "a-note.txt": "Baldwin, P. R., & Penczek, P. A. (2007). The Transform Class in SPARX and EMAN2. "
            "J Struct Biol, 157, 250-261.\n",
        },
    )
    build(tmp_path / "kb.db", tmp_path)
    db = sqlite_utils.Database(tmp_path / "kb.db")
    assert [r["id"] for r in db["works"].rows] == ["bib1"]
    assert {(r["document_id"], r["status"], r["work_id"]) for r in db["citations"].rows} == {
        ("a-note", "ok", "bib1"),
        ("paper", "ok", "bib1"),
    }


def test_two_readings_of_one_list_that_differ_on_a_year_are_one_work_with_the_disagreement(tmp_path):
    """A document's BibTeX and its free-text list, one entry with the year misprinted in the
    text: one work and a source-disagreement on the year (it used to become a second work,
    uncited and out of order, with no word of the year). Page ranges that agree once written
    out (250--261 and 250-61) are no disagreement."""
    write_sources(
        tmp_path,
        {
            "refs.bib": "@article{bib1, author = {Baldwin, P. R. and Penczek, P. A.}, title = {The Transform Class in SPARX and EMAN2},"
            " journal = {J Struct Biol}, year = {2007}, volume = {157}, pages = {250--261}}\n"
            "@article{bib2, author = {Boyer, L. A. and Latek, R. R.}, title = {The SANT domain: a unique histone-tail-binding"
            " module?}, journal = {Nat Rev Mol Cell Biol}, year = {2004}, volume = {5}, pages = {158--163}}\n",
            "refs.txt": "Baldwin, P. R., & Penczek, P. A. (2008). The Transform Class in SPARX and EMAN2. J Struct Biol, 157, 250-61.\n"
            "Boyer, L. A., & Latek, R. R. (2004). The SANT domain: a unique histone-tail-binding module? "
            "Nat Rev Mol Cell Biol, 5, 158-63.\n",
            "paper.md": "---\nid: paper\nreferences: refs.bib\nreference_list: refs.txt\n---\n\n"
            "SPARX (Baldwin and Penczek, 2007) and SANT (Boyer and Latek, 2004).\n",
        },
    )
    build(tmp_path / "kb.db", tmp_path)
    db = sqlite_utils.Database(tmp_path / "kb.db")
    assert [r["id"] for r in db["works"].rows] == ["bib1", "bib2"]
    disagreements = [
        (r["work_id"], r["message"].split(":")[0])
        for r in db.query("select * from problems where code = 'source-disagreement'")
    ]
    assert disagreements == [("bib1", "issued")]
    assert (
        db.execute("select count(*) from problems where code in ('uncited-reference', 'out-of-order')").fetchone()[0]
        == 0
    )
