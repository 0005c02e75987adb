"""kb build from the shipped sources: what lands in the database, and that it is repeatable."""

from __future__ import annotations

import json
import os
import resource
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from corpus import write_sources

import kb.build
from kb import schema
from kb.build import build
from kb.cli import cli
from kb.records import KbError

from .conftest import interruptible

CONTRACT_TABLES = [
    "documents",
    "passages",
    "works",
    "authors",
    "work_authors",
    "citations",
    "concepts",
    "concept_labels",
    "concept_links",
    "sessions",
    "focus_groups",
    "topics",
    "criteria",
    "methods",
    "findings",
    "problems",
]


def test_contract_tables_exist(built_db):
    db = sqlite_utils.Database(built_db)
    assert set(CONTRACT_TABLES) <= set(db.table_names())


@pytest.mark.parametrize(
    "table,count",
    [
        pytest.param("works", 36, id="36-works"),
        pytest.param("citations", 41, id="41-citations"),
        pytest.param("sessions", 6, id="6-sessions"),
        pytest.param("focus_groups", 5, id="5-focus-groups"),
        pytest.param("topics", 4, id="4-topics"),
        pytest.param("criteria", 5, id="5-criteria"),
        pytest.param("methods", 4, id="4-methods"),
        pytest.param("method_hats", 6, id="6-hats"),
        pytest.param("instruments", 3, id="3-instruments"),
        pytest.param("passages", 17, id="17-paragraphs"),
    ],
)
def test_row_counts(built_db, table, count):
    assert sqlite_utils.Database(built_db)[table].count == count


def test_focus_groups_as_transcribed(built_db):
    db = sqlite_utils.Database(built_db)
    labels = [r["label"] for r in db["focus_groups"].rows_where(order_by="rowid")]
    assert labels == [
        "NGOs",
        "people with special needs (problems of sight)",
        "students of UL computing faculty",
        "inhabitants – users of the latvia.lv portal",
        "employees of the United State and Municipal Client Service Centres",
    ]


def test_topics_criteria_methods_as_transcribed(built_db):
    db = sqlite_utils.Database(built_db)
    assert [r["label"] for r in db["topics"].rows_where(order_by="number")] == [
        "life situations",
        "e-services",
        "catalogue of public services",
        "client work place",
    ]
    speed = db["criteria"].get("speed")
    assert (
        json.loads(speed["questions"])[0]
        == "How fast it is possible to make necessary actions in a current information structure?"
    )
    assert {r["label"] for r in db["methods"].rows} == {
        "Check-in check-out",
        "Idea Dashboard",
        "Brainstorm",
        "Six Thinking Hats",
    }
    hats = {r["colour"]: r["role"] for r in db["method_hats"].rows}
    assert hats["blue"] == "overlooking, but in a controlled manner" and hats["white"] == "pragmatism"


def test_every_evidence_quote_lies_in_its_passage(built_db):
    db = sqlite_utils.Database(built_db)
    for table in (
        "findings",
        "focus_groups",
        "topics",
        "criteria",
        "methods",
        "method_hats",
        "instruments",
        "sessions",
    ):
        for row in db[table].rows:
            passage = db["passages"].get(row["passage_id"])
            assert passage["text"][row["quote_start"] : row["quote_end"]] == row["quote"], (table, row["id"])


def test_greatest_challenge_is_a_finding(built_db):
    db = sqlite_utils.Database(built_db)
    row = db["findings"].get("method-choice-greatest-challenge")
    assert row["quote"].startswith("The greatest challenge was to choose the right method")
    assert row["passage_id"] == "citadel-latvia-report/p9"


def test_source_contradictions_are_flagged_with_both_readings(built_db):
    db = sqlite_utils.Database(built_db)
    messages = [r["message"] for r in db["problems"].rows_where("code = 'source-contradiction'")]
    assert any("6 coproduction sessions" in m and "six focus groups" in m for m in messages)
    assert any("latvija.lv" in m and "latvia.lv" in m for m in messages)


def test_incomplete_third_paragraph_is_kept_and_noted(built_db):
    db = sqlite_utils.Database(built_db)
    p3 = db["passages"].get("coproduction-essay/p3")
    assert p3["text"].startswith("technologies (ICTs, henceforth)")
    assert db["problems"].count_where("code = 'incomplete-passage' and passage_id = 'coproduction-essay/p3'") == 1


def test_citation_spans_slice_the_document(built_db, root):
    db = sqlite_utils.Database(built_db)
    for row in db["citations"].rows:
        doc = db["documents"].get(row["document_id"])
        text = (root / doc["path"]).read_text(encoding="utf-8")
        assert text[row["start"] : row["end"]] == row["text"]
        passage = db["passages"].get(row["passage_id"])
        assert passage["text"][row["passage_start"] : row["passage_end"]] == row["text"]


def test_foreign_keys_declared(built_db):
    db = sqlite_utils.Database(built_db)
    fks = {(fk.column, fk.other_table) for fk in db["citations"].foreign_keys}
    assert {("work_id", "works"), ("passage_id", "passages"), ("document_id", "documents")} <= fks
    assert {(fk.column, fk.other_table) for fk in db["findings"].foreign_keys} >= {
        ("focus_group", "focus_groups"),
        ("criterion", "criteria"),
        ("method", "methods"),
        ("topic", "topics"),
    }


def test_second_build_gives_the_same_rows(built_db, root, tmp_path):
    again = tmp_path / "again.db"
    build(again, root)
    a, b = sqlite_utils.Database(built_db), sqlite_utils.Database(again)
    for table in CONTRACT_TABLES:
        assert list(a[table].rows) == list(b[table].rows), table


def _whole(path) -> dict:
    """Every table's rows in order, every table's, index's and view's definition, what each
    full-text search finds, and the file's journal mode."""
    db = sqlite_utils.Database(path)
    out = {"schema": sorted(db.execute("select type, name, sql from sqlite_master").fetchall())}
    for name in db.table_names():
        if "_fts_" not in name:  # a search table's own parts: what it finds is compared below
            out[name] = db.execute(f"select * from [{name}] order by rowid").fetchall()
    for table in (t.name for t in schema.TABLES if t.fts):
        found = f"select rowid from [{table}_fts] where [{table}_fts] match 'public OR service OR group' order by rowid"
        out["search " + table] = db.execute(found).fetchall()
    out["journal"] = db.execute("pragma journal_mode").fetchone()[0]
    return out


def test_indexes_made_in_another_process_give_the_same_database(root, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KB_TIMINGS", "1")
    monkeypatch.setenv("KB_WORKERS", "1")
    build(tmp_path / "here.db", root)
    assert "kb-timing: shape-apart" not in capsys.readouterr().err
    monkeypatch.setenv("KB_WORKERS", "2")
    monkeypatch.setattr(kb.build, "SHAPE_APART_FROM", 1)
    build(tmp_path / "apart.db", root)
    assert "kb-timing: shape-apart" in capsys.readouterr().err  # the indexes were made apart
    here = _whole(tmp_path / "here.db")
    assert _whole(tmp_path / "apart.db") == here
    assert here["journal"] == "delete" and any(v for k, v in here.items() if k.startswith("search "))
    # one file each, as ever: no write-ahead log or shared memory left beside it
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["apart.db", "here.db"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(("-wal", "-shm", ".tmp"))]


def test_a_build_finished_in_a_process_started_afresh_gives_the_same_database(root, tmp_path, monkeypatch, capfd):
    """A large build finishes (search, indexes, the graph) in a process of its own, started
    afresh rather than forked, so that the graph is not built on top of the records' memory."""
    monkeypatch.setenv("KB_TIMINGS", "1")
    children = _children_cpu()
    build(tmp_path / "here.db", root)
    here_cpu, children = _children_cpu() - children, _children_cpu()
    here_err = capfd.readouterr().err
    monkeypatch.setattr(kb.build, "FRESH_FROM", 1)
    build(tmp_path / "afresh.db", root)
    # a Python started, kb imported and the graph made there: CPU time of a process waited for
    assert _children_cpu() - children > here_cpu + 0.1
    err = capfd.readouterr().err  # the other process's lines too
    stages = [line.split()[1] for line in err.splitlines() if line.startswith("kb-timing: ")]
    assert stages == [line.split()[1] for line in here_err.splitlines() if line.startswith("kb-timing: ")]
    assert _whole(tmp_path / "afresh.db") == _whole(tmp_path / "here.db")
    # KB_WORKERS=1 computes everything in the build's own process, however large
    monkeypatch.setenv("KB_WORKERS", "1")
    children = _children_cpu()
    build(tmp_path / "one.db", root)
    assert _children_cpu() - children < 0.1
    assert "kb-timing: graph" in capfd.readouterr().err
    (tmp_path / "one.db").unlink()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["afresh.db", "here.db"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(("-wal", "-shm", ".tmp"))]


def test_citations_resolved_a_few_documents_at_a_time_give_the_same_database(root, tmp_path, monkeypatch):
    """A large build resolves its documents' citations a part at a time, each document's list let
    go once read: one document a part gives the rows the whole at once gives."""
    build(tmp_path / "whole.db", root)
    monkeypatch.setattr(kb.build, "RESOLVED_AT_ONCE", 1)
    build(tmp_path / "parts.db", root)
    assert _whole(tmp_path / "parts.db") == _whole(tmp_path / "whole.db")


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def test_an_error_in_the_process_finishing_a_build_is_raised_in_the_build(tmp_path):
    """What stops the process started afresh comes back as the error it raised there: here its
    database cannot be opened, and the message names the database and what to check."""
    missing = tmp_path / "no-such-folder" / ".kb.db.1.tmp"
    with pytest.raises(KbError) as raised:
        kb.build._finished_afresh(tmp_path / "kb.db", missing, "digest")
    assert str(tmp_path / "kb.db") in str(raised.value) and "could not write the database" in str(raised.value)
    assert "writable" in raised.value.hint


def test_cli_build_writes_database(sources_copy):
    result = CliRunner().invoke(cli, ["build", "--sources", str(sources_copy), "--db", str(sources_copy / "out.db")])
    assert result.exit_code == 0, result.output
    assert "36 works" in result.output
    assert sqlite_utils.Database(sources_copy / "out.db")["works"].count == 36


def _build_twice(sources_copy, break_it):
    db = sources_copy / "kb.db"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", "--sources", str(sources_copy), "--db", str(db)]).exit_code == 0
    before = db.read_bytes()
    break_it(sources_copy)
    result = runner.invoke(cli, ["build", "--sources", str(sources_copy), "--db", str(db)])
    return result, before, db


def _line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


EVIDENCE = "evidence/citadel-latvia-2018.yml"


def test_a_build_of_unchanged_sources_leaves_the_database_as_it_is(sources_copy):
    db = sources_copy / "out.db"
    args = ["build", "--sources", str(sources_copy), "--db", str(db)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    built = db.stat().st_ino
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    assert "is up to date" in again.output and "36 works" in again.output
    assert db.stat().st_ino == built  # the same file: no new one renamed into place
    forced = CliRunner().invoke(cli, args + ["--force"])
    assert forced.exit_code == 0 and forced.output.startswith("Built")
    assert db.stat().st_ino != built
    # one byte more in any source file, or one more file, and it is built again
    for change in ("edit", "add"):
        built = db.stat().st_ino
        concepts = sources_copy / "concepts"
        if change == "edit":
            scheme = next(concepts.glob("*.yml"))
            scheme.write_text(scheme.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        else:
            (concepts / "notes.txt").write_text("a file the concepts folder now holds\n", encoding="utf-8")
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0 and result.output.startswith("Built"), change
        assert db.stat().st_ino != built


def test_sources_newer_but_unchanged_are_not_built_again_by_serve(sources_copy):
    import os

    from kb.sources import ensure_built, is_stale

    db = ensure_built(None, sources_copy)
    built = db.stat().st_ino
    essay = sources_copy / "bibliography" / "coproduction-essay.md"
    earlier = essay.stat().st_mtime - 100
    os.utime(db, (earlier, earlier))  # the essay is newer: a checkout, or the file saved unchanged
    assert is_stale(db, sources_copy)
    assert ensure_built(None, sources_copy) == db
    assert db.stat().st_ino == built and not is_stale(db, sources_copy)
    essay.write_text(essay.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # changed: built again
    ensure_built(None, sources_copy)
    assert db.stat().st_ino != built


@pytest.mark.parametrize(
    "path,old,new,expected",
    [
        pytest.param(
            "bibliography/seed-references.bib",
            "  title = {Beyond engagement",
            "  title = {Beyond engagement\n  broken = {",
            lambda root: (
                f"seed-references.bib:{_line_of(root / 'bibliography/seed-references.bib', 'bovaird2007beyond')}:"
                " BibTeX entry does not parse"
            ),
            id="malformed-bibtex",
        ),
        pytest.param(
            EVIDENCE,
            "    kind: observation\n    summary: Choosing",
            "    summary: Choosing",
            lambda root: (
                f"citadel-latvia-2018.yml:{_line_of(root / EVIDENCE, 'id: method-choice-greatest-challenge')}:"
                " finding 'method-choice-greatest-challenge' has no 'kind'"
            ),
            id="yaml-missing-field",
        ),
        pytest.param(
            EVIDENCE,
            'quote: "NGOs"',
            'quote: "NGOs and churches"',
            lambda root: (
                f"citadel-latvia-2018.yml:{_line_of(root / EVIDENCE, 'NGOs and churches')}: quote not found verbatim"
            ),
            id="quote-not-in-source",
        ),
    ],
)
def test_broken_source_stops_build_names_file_and_line_and_keeps_previous_db(sources_copy, path, old, new, expected):
    def break_it(root):
        f = root / path
        f.write_text(f.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")

    result, before, db = _build_twice(sources_copy, break_it)
    assert result.exit_code == 2
    assert expected(sources_copy) in result.output
    assert "fix:" in result.output and "Traceback" not in result.output
    assert db.read_bytes() == before
    assert sqlite_utils.Database(db)["works"].count == 36


def test_unknown_focus_group_in_finding_is_an_error(sources_copy):
    def break_it(root):
        (root / "evidence" / "z-extra.yml").write_text(
            "findings:\n"
            "  - id: x\n    kind: result\n    focus_group: pensioners\n    summary: s\n"
            "    source: {document: citadel-latvia-report, paragraph: 1, quote: NGOs}\n",
            encoding="utf-8",
        )

    result, before, db = _build_twice(sources_copy, break_it)
    assert result.exit_code == 2
    assert "z-extra.yml:2: finding 'x' names unknown focus group 'pensioners'" in result.output
    assert "sight-impaired" in result.output  # the fix lists the known ids
    assert db.read_bytes() == before


def test_free_text_list_and_bibtex_merge_into_one_row_each(built_db):
    db = sqlite_utils.Database(built_db)
    assert db["works"].count == 36
    row = db["works"].get("ostrom1978public")
    assert row["raw"].startswith("E. Ostrom, R. B. Parks, G. P. Whitaker, and S. L. Percy")
    said = {
        (r["source"], r["value"])
        for r in db["work_sources"].rows_where("work_id = ? and field = 'page'", ["ostrom1978public"])
    }
    assert said == {("bibliography/seed-references.bib", "381-381"), ("bibliography/seed-references.txt", "381-381")}
    assert db["problems"].count_where("code = 'source-disagreement'") == 0


def test_disagreement_between_sources_is_a_problem(sources_copy):
    txt = sources_copy / "bibliography" / "seed-references.txt"
    txt.write_text(
        txt.read_text(encoding="utf-8").replace(
            "vol. 67, no. 5, pp. 846–860, 2007", "vol. 76, no. 5, pp. 846–860, 2007"
        ),
        encoding="utf-8",
    )
    build(sources_copy / "kb.db", sources_copy)
    db = sqlite_utils.Database(sources_copy / "kb.db")
    rows = list(db["problems"].rows_where("code = 'source-disagreement'"))
    assert len(rows) == 1
    assert rows[0]["work_id"] == "bovaird2007beyond"
    assert "67" in rows[0]["message"] and "76" in rows[0]["message"]
    assert rows[0]["source"] == "bibliography/seed-references.txt" and rows[0]["line"] == 3


def test_unparseable_free_text_reference_is_kept_and_shown(sources_copy):
    txt = sources_copy / "bibliography" / "seed-references.txt"
    txt.write_text(txt.read_text(encoding="utf-8") + "12345 67890 ,,,, ;;;\n", encoding="utf-8")
    build(sources_copy / "kb.db", sources_copy)
    db = sqlite_utils.Database(sources_copy / "kb.db")
    assert db["works"].count == 37
    extra = next(db.query("select * from works where raw = '12345 67890 ,,,, ;;;'"))
    unparsed = list(db.query("select * from problems where work_id = ? and code = 'unparsed-reference'", [extra["id"]]))
    assert [p["line"] for p in unparsed] == [37]  # once: the per-entry checks run once


def test_every_problem_code_is_from_the_fixed_vocabulary(built_db):
    from kb.records import PROBLEM_CODES

    codes = {r["code"] for r in sqlite_utils.Database(built_db).query("select distinct code from problems")}
    assert codes and codes <= set(PROBLEM_CODES), codes - set(PROBLEM_CODES)


def test_ctrl_c_while_a_build_finishes_afresh_leaves_the_database_as_it_was(root, tmp_path):
    """Ctrl-C reaches the build and the Python finishing it: the build says 'Aborted!', no
    traceback from either, the previous database unchanged, no temporary file, no process left."""
    import signal
    import subprocess
    import sys
    import time

    db = tmp_path / "kb.db"
    build(db, root)
    before = db.read_bytes()
    script = (
        "import sys, kb.build; kb.build.FRESH_FROM = 1\n"
        "from kb.cli import main\n"
        f"sys.argv = ['kb', 'build', '--force', '--sources', {str(root)!r}, '--db', {str(db)!r}]\n"
        "main()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "KB_TIMINGS": "1"},
        start_new_session=True,  # a group of its own, as a terminal's foreground job is
        preexec_fn=interruptible,
    )
    while not [c for c in _command_lines() if b"kb.build._finish_afresh" in c]:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)  # the other Python has started
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "Aborted!" in err, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert db.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name or p.name.endswith(("-wal", "-shm", "-side"))]
    time.sleep(0.5)
    assert not [c for c in _command_lines() if b"kb.build._finish_afresh" in c]


def _command_lines() -> list[bytes]:
    out = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            out.append((proc / "cmdline").read_bytes())
        except OSError:
            pass  # ended meanwhile
    return out


def test_paths_resolved_folder_by_folder_are_what_resolve_gives(tmp_path):
    """The build resolves its many source paths a folder at a time: for plain files, symlinks
    (to files inside, outside, to folders), '..', missing files and absolute names, the result is
    Path.resolve()'s."""
    from kb.build import _RealPaths

    bib = tmp_path / "src" / "bibliography"
    bib.mkdir(parents=True)
    (bib / "a.bib").write_text("x")
    (tmp_path / "outside.bib").write_text("y")
    (bib / "in.bib").symlink_to(bib / "a.bib")
    (bib / "out.bib").symlink_to(tmp_path / "outside.bib")
    (bib / "sub").mkdir()
    (bib / "sub" / "b.bib").write_text("z")
    (bib / "folder").symlink_to(tmp_path)
    (tmp_path / "alias").symlink_to(tmp_path / "src")
    real = _RealPaths()
    names = ["a.bib", "in.bib", "out.bib", "sub/b.bib", "folder/outside.bib", "../bibliography/a.bib", ".."]
    names += ["missing.bib", "sub/../a.bib", str(tmp_path / "outside.bib"), "folder"]
    for base in (bib, tmp_path / "alias" / "bibliography"):
        for name in names:
            path = base / name
            assert real(path) == path.resolve(), path
        assert real(base) == base.resolve()


def test_a_document_without_a_list_file_keeps_its_citations(tmp_path):
    """A document that names no list file is resolved against its own '## References' list,
    as kb check resolves it; one with no list at all, or whose named list holds nothing, keeps
    every citation as missing, with one no-reference-list problem naming it (their citations
    used to be left out of the build without a word)."""
    bib = write_sources(
        tmp_path,
        {
            "inline.md": "---\nid: inline\ntitle: Inline\n---\n\n"
            "Services change (Ostrom, 1996). Others doubt it (Smith, 2010; Jones, 2001).\n\n"
            "## References\n\nOstrom, E. (1996). Crossing the great divide: Coproduction, synergy, and development. "
            "World Development, 24(6), 1073-1087.\nSmith, J. (2010). Services and users. Journal of Things, 3, 1-10.\n",
            "bare.md": "A note with no front matter (Ostrom, 1996) and more (Smith, 2010).\n",
            "empty.md": "---\nid: empty\nreferences: empty.bib\n---\n\nA claim (Ostrom, 1996).\n",
            "empty.bib": "",
            "quiet.md": "---\nid: quiet\n---\n\nNo citation here, and no list: nothing to say.\n",
        },
    )
    build(tmp_path / "kb.db", tmp_path)
    db = sqlite_utils.Database(tmp_path / "kb.db")
    statuses = {
        (r["document_id"], r["text"]): (r["status"], r["work_id"])
        for r in db.query("select document_id, text, status, work_id from citations")
    }
    assert statuses == {
        ("inline", "Ostrom, 1996"): ("ok", "ostrom1996crossing"),
        ("inline", "Smith, 2010"): ("ok", "smith2010services"),
        ("inline", "Jones, 2001"): ("missing", None),
        ("bare", "Ostrom, 1996"): ("missing", None),
        ("bare", "Smith, 2010"): ("missing", None),
        ("empty", "Ostrom, 1996"): ("missing", None),
    }
    work = db["works"].get("ostrom1996crossing")
    assert (work["source"], work["line"]) == ("bibliography/inline.md", 10)  # its line in the document
    no_list = {r["source"]: r for r in db.query("select * from problems where code = 'no-reference-list'")}
    assert set(no_list) == {"bibliography/bare.md", "bibliography/empty.md"}
    assert no_list["bibliography/bare.md"]["message"].startswith("2 citations but it names no reference list")
    assert no_list["bibliography/empty.md"]["message"].startswith(
        "1 citation but its list (references: empty.bib) holds no reference"
    )
    assert (no_list["bibliography/empty.md"]["line"], no_list["bibliography/empty.md"]["severity"]) == (3, "error")
    # kb check reads the document's own list the same way, and finds the same
    result = CliRunner().invoke(cli, ["check", str(bib / "inline.md"), "--format", "json"])
    checked = json.loads(result.output)["citations"]
    assert {(c["text"], c["status"]) for c in checked} == {
        (text, status) for (doc, text), (status, _) in statuses.items() if doc == "inline"
    }


def test_one_work_listed_with_and_without_its_subtitle_is_one_work_with_what_each_list_says(tmp_path):
    """Two essays list Ostrom 1990 and Hardin 1968, one with the titles' subtitles and full given
    names, the other without, and only one gives Hardin's DOI: kb build made four works
    ('ostrom1990governinga', '(1990a)/(1990b)'), and a merged work kept only the first list's
    fields."""
    from corpus import write_sources

    write_sources(
        tmp_path,
        {
            "x.md": "---\nid: x\n---\n\nCommons (Ostrom, 1990). Markets fail (Hardin, 1968).\n\n## References\n\n"
            "Hardin, G. (1968). The tragedy of the commons. *Science*, *162*, 1243–1248.\n\n"
            "Ostrom, E. (1990). *Governing the commons*. Cambridge University Press.\n",
            "y.md": "---\nid: y\n---\n\nCommons (Ostrom 1990). Markets fail (Hardin 1968).\n\n## References\n\n"
            'Hardin, Garrett. 1968. "The Tragedy of the Commons: The Population Problem Has No Technical Solution." '
            "*Science* 162 (3859): 1243–48. https://doi.org/10.1126/science.162.3859.1243.\n\n"
            "Ostrom, Elinor. 1990. *Governing the Commons: The Evolution of Institutions for Collective Action*. "
            "Cambridge: Cambridge University Press.\n",
        },
    )
    result = CliRunner().invoke(cli, ["build", "--quiet", "--sources", str(tmp_path)])
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(tmp_path / "kb.db")
    works = {r["id"]: r for r in db["works"].rows}
    assert sorted(works) == ["hardin1968tragedy", "ostrom1990governing"]
    assert works["hardin1968tragedy"]["doi"] == "10.1126/science.162.3859.1243"
    assert works["ostrom1990governing"]["title"].startswith("Governing the Commons: The Evolution")
    assert works["ostrom1990governing"]["authors"] == "Ostrom, Elinor"
    assert {r["work_id"] for r in db["citations"].rows} == set(works)


def test_a_ris_list_beside_a_bib_says_what_is_wrong_and_only_that(tmp_path):
    """A .bib and a .ris naming the same works: titles that differ only in case, and a DOI the
    RIS leaves out, were 'source-disagreement's that called the .ris 'the free-text list'; a
    RIS record without its ER line lost its malformed-field problem, and its DOI's trailing
    spaces made one more disagreement."""
    from corpus import write_sources

    write_sources(
        tmp_path,
        {
            "refs.bib": "@book{ostrom1990, author={Ostrom, Elinor}, title={Governing the Commons}, year={1990}, "
            "publisher={Cambridge University Press}, doi={10.1017/CBO9780511807763}}\n"
            "@article{tiebout1956, author={Tiebout, Charles M.}, title={A Pure Theory of Local Expenditures}, "
            "journal={Journal of Political Economy}, volume={64}, year={1956}, doi={10.1086/257839}}\n",
            "refs.ris": "TY  - BOOK\nAU  - Ostrom, Elinor\nTI  - Governing the commons\nPY  - 1990\n"
            "PB  - Cambridge University Press\nER  - \n\nTY  - JOUR\nAU  - Tiebout, Charles M.\n"
            "TI  - A pure theory of local expenditures\nT2  - Journal of Political Economy\nVL  - 65\n"
            "PY  - 1956\nDO  - 10.1086/257839  \n",
            "essay.md": "---\nid: essay\nreferences: refs.bib\nreference_list: refs.ris\n---\n\n"
            "Commons (Ostrom, 1990) and goods (Tiebout, 1956).\n",
        },
    )
    result = CliRunner().invoke(cli, ["build", "--quiet", "--sources", str(tmp_path)])
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(tmp_path / "kb.db")
    said = [
        (r["code"], r["message"])
        for r in db["problems"].rows_where("code in (?, ?)", ["source-disagreement", "malformed-field"])
    ]
    assert [code for code, _ in said] == ["malformed-field", "source-disagreement"]
    assert said[1][1] == ("volume: bibliography/refs.bib says 64, the RIS list (bibliography/refs.ris:8) reads 65")
