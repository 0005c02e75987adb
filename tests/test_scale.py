"""Behaviour added for large knowledge bases: maps that draw the most central works with labels
kept apart in n log n, reference lists parsed once however many documents share them, line
numbers by bisection, and progress that shows only on a terminal."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys

import networkx as nx
import pytest
import sqlite_utils

from kb import layout as kb_layout
from kb import progress
from kb.build import build
from kb.graph import GRAPH_STEPS, build_graph, records_from_db
from kb.mapscale import MAP_LIMIT, central_subgraph, separate
from loaders.markdown import line_of


def big_map(n_works: int) -> nx.Graph:
    M = nx.Graph()
    for c in range(5):
        M.add_node(f"concept:c{c}", type="concept", label=f"concept {c}")
    for d in range(n_works // 10):
        M.add_node(f"document:d{d}", type="document", label=f"Document {d}")
    for i in range(n_works):
        M.add_node(f"work:w{i:05d}", type="work", label=f"Author{i} et al. {1950 + i % 70}")
        M.add_edge(f"work:w{i:05d}", f"concept:c{i % 5}")
        M.add_edge(f"document:d{i // 10}", f"work:w{i:05d}")
    return M


def overlapping(pos, boxes) -> list[tuple[str, str]]:
    nodes = sorted(pos)
    out = []
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            (wa, ha), (wb, hb) = boxes[a], boxes[b]
            if (
                abs(pos[a][0] - pos[b][0]) < (wa + wb) / 2 + 6 - 0.01
                and abs(pos[a][1] - pos[b][1]) < (ha + hb) / 2 + 4 - 0.01
            ):
                out.append((a, b))
    return out


def test_a_large_map_draws_the_most_central_works_and_every_concept():
    M = big_map(3000)
    rank = {f"work:w{i:05d}": 1.0 / (i + 1) for i in range(3000)}
    H = central_subgraph(M, rank)
    assert H.number_of_nodes() == MAP_LIMIT
    assert all(f"concept:c{c}" in H for c in range(5))
    works = sorted(n for n in H if n.startswith("work:"))
    assert works == [f"work:w{i:05d}" for i in range(len(works))]  # the highest PageRank first
    assert any(n.startswith("document:") for n in H)


def test_a_small_map_is_drawn_whole():
    M = big_map(50)
    assert central_subgraph(M, {}) is M


def test_layout_of_a_large_map_is_deterministic_and_labels_never_overlap():
    M = central_subgraph(big_map(3000), {f"work:w{i:05d}": 1.0 / (i + 1) for i in range(3000)})
    first, second = kb_layout.layout(M), kb_layout.layout(M.copy())
    assert first == second
    boxes = {n: kb_layout.label_box(M.nodes[n].get("label") or n, M.nodes[n].get("type")) for n in M}
    assert overlapping({n: list(p) for n, p in first.items()}, boxes) == []


def crowd(n: int) -> tuple[dict[str, list[float]], dict[str, tuple[float, float]]]:
    rng = random.Random(n)
    side = (n**0.5) * 80
    pos = {f"n{i}": [rng.uniform(0, side), rng.uniform(0, side)] for i in range(n)}
    return pos, {k: (40.0 + (i % 3) * 30, 16.0) for i, k in enumerate(pos)}


@pytest.mark.parametrize(
    "n", [pytest.param(2, id="two"), pytest.param(60, id="sixty"), pytest.param(400, id="four-hundred")]
)
def test_separate_leaves_no_overlap_in_a_crowd(n):
    pos, boxes = crowd(n)
    separate(pos, boxes)
    assert overlapping(pos, boxes) == []


def test_line_numbers_by_bisection_match_counting_newlines():
    text = "a\nbc\n\n\nd e\nf"
    line = line_of(text)
    assert [line(i) for i in range(len(text) + 1)] == [text.count("\n", 0, i) + 1 for i in range(len(text) + 1)]


def test_documents_sharing_one_list_build_as_if_each_had_read_it(tmp_path, root):
    """Two documents naming one .bib: the list is parsed once, and each document still gets
    its own entries, problems and citations."""
    src = tmp_path / "src"
    for name in ("bibliography", "evidence", "concepts"):
        shutil.copytree(root / name, src / name)
    essay = (src / "bibliography" / "coproduction-essay.md").read_text(encoding="utf-8")
    twin = essay.replace("id: coproduction-essay", "id: twin-essay").replace(
        "reference_list: seed-references.txt\n", ""
    )
    (src / "bibliography" / "twin-essay.md").write_text(twin, encoding="utf-8")
    build(tmp_path / "kb.db", src)
    db = sqlite3.connect(tmp_path / "kb.db")
    per_doc = dict(db.execute("select document_id, count(*) from reference_entries group by document_id"))
    assert per_doc == {"coproduction-essay": 36, "twin-essay": 36}
    cites = dict(db.execute("select document_id, count(*) from citations group by document_id"))
    assert cites["twin-essay"] == cites["coproduction-essay"] == 41
    assert db.execute("select count(*) from works").fetchone()[0] == 36


def test_progress_is_silent_when_stderr_is_not_a_terminal(tmp_path, root):
    """A real kb build with standard error piped (a log, CI): not a byte of progress there."""
    done = subprocess.run(
        [sys.executable, "-m", "kb", "build", "--db", str(tmp_path / "kb.db"), "--sources", str(root)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "KB_TIMINGS"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.startswith("Built ")


def test_quiet_silences_progress_even_on_a_terminal(monkeypatch):
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    progress.set_quiet(False)
    assert progress.showing()
    progress.set_quiet(True)
    try:
        assert not progress.showing()
        assert list(progress.bar(range(3), "works")) == [0, 1, 2]
    finally:
        progress.set_quiet(False)


def test_a_long_bar_is_drawn_a_thousand_times_at_most(monkeypatch, capsys):
    """A bar over 100,000 works drawn at every one wrote 9 MB to the terminal, in 2.7 s."""
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    progress.set_quiet(False)
    assert sum(1 for _ in progress.bar(range(100_007), "works")) == 100_007
    err = capsys.readouterr().err
    assert 100 < err.count("/100007") <= 1_010  # a thousand steps, the first and the last drawn too
    assert "100007/100007" in err  # and it ends full


def test_the_long_stages_move_a_progress_bar_on_a_terminal(tmp_path, root, monkeypatch, capsys):
    """At 100,000 works each stage but the wait for the maps takes seconds to a minute: each
    moves a bar, not only says it started."""
    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    progress.set_quiet(False)
    build(tmp_path / "kb.db", root)
    err = capsys.readouterr().err
    for started, moving in (
        ("kb: read", "documents"),
        ("kb: resolve", "citations"),
        ("kb: concepts", "concepts   "),
        ("kb: format", "apa references"),
        ("kb: stats", "works"),
        ("kb: store", "tables"),
        ("kb: graph", "graph records"),
        ("kb: analyses", "analyses   "),
        ("kb: save-graph", "graph tables"),
        ("kb: shape", "search and indexes"),
    ):
        line = f"{started} ..."  # "kb: store ..." is not "kb: store-lists ..."
        assert line in err and moving in err.split(line, 1)[1].split("\nkb: ", 1)[0], started
    # each bar reaches its end: as many steps taken as it counts
    assert f"graph records             [####################################]  {GRAPH_STEPS}/{GRAPH_STEPS}" in err
    assert "analyses                  [####################################]  5/5" in err


def test_the_graph_takes_as_many_steps_as_its_bar_counts(built_db):
    ticks = []
    build_graph(records_from_db(sqlite_utils.Database(built_db)), lambda: ticks.append(1))
    assert len(ticks) == GRAPH_STEPS


def test_timings_are_printed_per_stage_when_asked(tmp_path, root, monkeypatch, capsys):
    monkeypatch.setenv("KB_TIMINGS", "1")
    build(tmp_path / "kb.db", root)
    stages = [line.split()[1] for line in capsys.readouterr().err.splitlines() if line.startswith("kb-timing: ")]
    assert stages[:7] == ["read", "store-lists", "format", "stats", "store-works", "resolve", "concepts"]
    assert "maps" in stages and stages[-1] == "shape"


def test_the_seed_map_is_drawn_whole(built_db):
    db = sqlite3.connect(built_db)
    works = db.execute("select count(*) from works").fetchone()[0]
    drawn = db.execute("select count(*) from map_nodes where map = 'all' and type = 'work'").fetchone()[0]
    assert drawn == works


def test_kb_serve_says_it_is_building_before_it_builds(server):
    base, db, proc = server
    proc.terminate()
    proc.wait(timeout=10)
    out = (db.parent / "serve.log").read_text(encoding="utf-8")  # where the fixture sends its output
    assert "building kb.db ..." in out
    assert out.index("building kb.db ...") < out.index("Built ")
    assert "[#" not in out  # no progress bar: its output is a pipe, not a terminal
