"""A library's database updated in place where citing documents' words changed (kb/update.py).

Every test runs the real `kb build` on a copy of the shipped sources with a second essay (the
twin of the seed's, citing the same list), lets the update happen at this size
(``KB_UPDATE_FROM=0``; by default only libraries of 50,000 citations are updated in place),
and compares the updated database, table by table and row by row, with a full build of the
same sources: only the graph's analyses, which an update leaves as they were, may differ."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kb.update import STALE_TABLES, compared_columns

TWIN = "bibliography/twin-essay.md"
ESSAY = "bibliography/coproduction-essay.md"


def kb(*args: str, sources: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        [sys.executable, "-m", "kb", *args, "--sources", str(sources)],
        capture_output=True,
        text=True,
        env={**os.environ, "KB_UPDATE_FROM": "0", **(env or {})},
        check=False,
    )


def table_rows(db_path: Path, stale: bool = False) -> dict[str, list[str]]:
    """Every table's rows as sorted JSON; without what an update leaves as it was (``stale``:
    with it) and without the numbers of the rows an update numbers after the last."""
    conn = sqlite3.connect(db_path)
    out = {}
    for table, columns in compared_columns(conn, everything=stale).items():
        found = conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}]").fetchall()
        out[table] = sorted(json.dumps(dict(zip(columns, r, strict=True)), sort_keys=True) for r in found)
    conn.close()
    return out


def full_rows(sources: Path, tmp_path: Path, stale: bool = False) -> dict[str, list[str]]:
    """The rows of a full build of ``sources`` into a folder of its own."""
    db = tmp_path / "full" / "kb.db"
    done = kb("build", "--db", str(db), "--full", "--quiet", sources=sources)
    assert done.returncode == 0, done.stderr
    return table_rows(db, stale)


def behind(db_path: Path) -> list[str] | None:
    conn = sqlite3.connect(db_path)
    row = conn.execute("select value from _kb_meta where key = 'analyses_behind'").fetchone()
    conn.close()
    return json.loads(row[0]) if row else None


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def numbered_by_document(conn: sqlite3.Connection, table: str) -> bool:
    """Whether every row's ``ordinal`` is its document's place in reading order (the documents'
    order) times ``ORDINAL_STRIDE`` plus the row's place in that document (its rows in order)."""
    from kb.schema import ORDINAL_STRIDE

    places = {d: k for k, (d,) in enumerate(conn.execute("select id from documents order by rowid"), 1)}
    rows = conn.execute(f"select document_id, ordinal from [{table}] order by ordinal").fetchall()
    by_document: dict[str, list[int]] = {}
    for d, o in rows:
        by_document.setdefault(d, []).append(o)
    order = [places[d] for d in by_document]
    return order == sorted(order) and all(
        ordinals == [places[d] * ORDINAL_STRIDE + n for n in range(1, len(ordinals) + 1)]
        for d, ordinals in by_document.items()
    )


@pytest.fixture
def library(sources_copy) -> Path:
    """The seed and a second essay citing the same list, built once."""
    essay = (sources_copy / ESSAY).read_text(encoding="utf-8")
    (sources_copy / TWIN).write_text(essay.replace("id: coproduction-essay", "id: twin-essay"), encoding="utf-8")
    done = kb("build", "--quiet", sources=sources_copy)
    assert done.returncode == 0, done.stderr
    assert behind(sources_copy / "kb.db") is None
    return sources_copy


ADDED = (
    "\n\nA paragraph written since the last build, on coproduction and digital inclusion "
    "(Ostrom, 1996; Bovaird, 2007). Later work agrees (Szkuta et al., 2014), and a citation of "
    "no listed work (Nobody, 1999).\n\n"
)


def test_a_paragraph_added_updates_the_rows_a_full_build_writes(library, tmp_path):
    twin = library / TWIN
    edit(twin, "\n\n", ADDED)
    done = kb("build", sources=library)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Updated {library / 'kb.db'} in place:")
    assert "kb build --full makes them again" in done.stderr and "twin-essay" in done.stderr
    db = library / "kb.db"
    assert behind(db) == ["twin-essay"]
    assert table_rows(db) == full_rows(library, tmp_path)
    conn = sqlite3.connect(db)
    # the new citations are there, resolved, in reading order with the rows after them
    rows = conn.execute(
        "select text, status from citations where document_id = 'twin-essay' and text like '%Nobody%'"
    ).fetchall()
    assert rows == [("Nobody, 1999", "missing")]
    assert numbered_by_document(conn, "citations") and numbered_by_document(conn, "passages")
    # the search index finds the new words, and is whole
    found = conn.execute(
        "select p.id from passages p join passages_fts f on f.rowid = p.rowid where passages_fts match 'written since'"
    ).fetchall()
    assert [r[0].startswith("twin-essay") for r in found] == [True]
    conn.execute("insert into passages_fts (passages_fts) values ('integrity-check')")
    conn.execute("insert into claims_fts (claims_fts) values ('integrity-check')")
    # nothing changed: nothing done, and the analyses still said to be behind
    again = kb("build", sources=library)
    assert "is up to date" in again.stdout
    assert "kb build --full makes them again" in again.stderr


def test_a_paragraph_removed_and_a_second_update_give_the_full_build_rows(library, tmp_path):
    twin = library / TWIN
    text = twin.read_text(encoding="utf-8")
    paragraphs = text.split("\n\n")
    cited = [i for i, p in enumerate(paragraphs) if re.search(r"\(\w+[^()]*\b(19|20)\d\d\)", p)][-1]
    twin.write_text("\n\n".join(paragraphs[:cited] + paragraphs[cited + 1 :]), encoding="utf-8")
    assert kb("build", "--quiet", sources=library).returncode == 0
    assert behind(library / "kb.db") == ["twin-essay"]
    assert table_rows(library / "kb.db") == full_rows(library, tmp_path / "one")
    edit(twin, "\n\n", ADDED)  # a second update, from the first one's database and cache
    assert kb("build", "--quiet", sources=library).returncode == 0
    assert table_rows(library / "kb.db") == full_rows(library, tmp_path / "two")


def test_words_changed_and_no_citation_keep_the_ranks_without_ranking_again(library, tmp_path):
    """A paragraph without a citation, a word changed in a citing sentence: every claim cites
    what it cited, so the works' PageRank reads the same and is not computed again; the rows
    are still a full build's."""
    twin = library / TWIN
    text = twin.read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2]
    first = body.strip().split("\n\n", 1)[0]
    sentence = re.search(r"[^.]*\([A-Z][^()]*\b(19|20)\d\d\)[^.]*\.", text[text.index(first) + len(first) :])
    assert sentence, "a citing sentence after the first paragraph"
    reworded = (
        sentence.group(0).replace(" the ", " the very ", 1)
        if " the " in sentence.group(0)
        else sentence.group(0) + " Indeed."
    )
    assert reworded != sentence.group(0)
    text = text.replace(first, first + "\n\nA paragraph that cites nothing at all.", 1)
    twin.write_text(text.replace(sentence.group(0), reworded, 1), encoding="utf-8")
    done = kb("build", sources=library, env={"KB_TIMINGS": "1"})
    assert done.returncode == 0, done.stderr
    assert "kb-timing: update " in done.stderr and "kb-timing: rank " not in done.stderr
    assert table_rows(library / "kb.db") == full_rows(library, tmp_path)


def test_full_makes_the_analyses_again(library, tmp_path):
    before = table_rows(library / "kb.db", stale=True)
    edit(library / TWIN, "\n\n", ADDED)
    assert kb("build", "--quiet", sources=library).returncode == 0
    updated = table_rows(library / "kb.db", stale=True)
    fresh = full_rows(library, tmp_path, stale=True)
    # what an update leaves aside is the build before's; the works' PageRank is made again
    for table in STALE_TABLES:
        assert updated[table] == before[table], table
    ranks = [
        sorted((json.loads(r)["id"], json.loads(r)["pagerank"]) for r in rows["works"])
        for rows in (before, updated, fresh)
    ]
    assert ranks[1] == ranks[2] != ranks[0]
    # and what it counts within the documents is the full build's: the new paragraph's pairs
    for table in ("co_citations", "bibliographic_coupling", "concept_cooccurrence"):
        assert updated[table] == fresh[table], table
    assert updated["co_citations"] != before["co_citations"]
    done = kb("build", "--full", sources=library)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Built ")
    assert behind(library / "kb.db") is None
    assert table_rows(library / "kb.db", stale=True) == fresh


@pytest.mark.parametrize(
    "change, why",
    [
        (
            "the seed essay, whose passages the concept scheme quotes",
            "bibliography/coproduction-essay.md: the evidence or the concept scheme quote its passages",
        ),
        ("a reference list", "bibliography/seed-references.bib is not a citing document of bibliography/"),
        ("a new document", "a source file was added, removed or renamed"),
        ("the front matter", "bibliography/twin-essay.md: its front matter changed"),
        (
            "a hyphenated word no other text spells (every work's search variants may change)",
            "bibliography/twin-essay.md: it spells 'eparticipation' as the rest of the library does not",
        ),
    ],
)
def test_other_changes_build_everything_and_say_why(library, change, why):
    if change.startswith("the seed essay"):
        essay = library / ESSAY
        essay.write_text(essay.read_text(encoding="utf-8") + ADDED, encoding="utf-8")
    elif change == "a reference list":
        bib = library / "bibliography" / "seed-references.bib"
        bib.write_text(bib.read_text(encoding="utf-8") + "\n% a comment\n", encoding="utf-8")
    elif change == "a new document":
        text = (library / TWIN).read_text(encoding="utf-8")
        (library / "bibliography" / "third.md").write_text(text.replace("id: twin-essay", "id: third"), "utf-8")
    elif change.startswith("a hyphenated word"):
        edit(library / TWIN, "\n\n", "\n\nOn e-participation (Ostrom, 1996).\n\n")
    else:
        edit(library / TWIN, "an essay", "the twin essay")  # its title
    done = kb("build", sources=library, env={"KB_TIMINGS": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Built "), change
    assert f"kb-update: built in full: {why}" in done.stderr
    assert behind(library / "kb.db") is None


def test_a_library_below_the_threshold_is_built_in_full(library):
    edit(library / TWIN, "\n\n", ADDED)
    done = kb("build", sources=library, env={"KB_UPDATE_FROM": "1000000"})
    assert done.stdout.startswith("Built ")
    assert behind(library / "kb.db") is None


def test_a_broken_document_stops_the_update_and_leaves_the_database(library):
    db = library / "kb.db"
    before = db.read_bytes()
    twin = library / TWIN
    twin.write_text("---\nid: [twin-essay\n---\n\nText.\n", encoding="utf-8")
    done = kb("build", sources=library)
    assert done.returncode != 0
    assert "twin-essay.md" in done.stderr and "Traceback" not in done.stderr
    assert db.read_bytes() == before
    assert not [p for p in library.iterdir() if p.name.endswith(".tmp")]


def test_the_update_changes_the_file_itself_when_nothing_serves_it(library, tmp_path):
    """Nothing serving it, the rows are changed in the database file (the same inode, only the
    changed pages written), and no journal or copy is left beside it."""
    db = library / "kb.db"
    inode = db.stat().st_ino
    edit(library / TWIN, "\n\n", ADDED)
    done = kb("build", sources=library)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Updated ")
    assert db.stat().st_ino == inode
    assert not [p.name for p in library.iterdir() if p.name.endswith((".tmp", "-journal"))]
    assert table_rows(db) == full_rows(library, tmp_path)


def test_a_failure_half_way_through_an_update_in_place_leaves_every_row(library):
    """An update that fails after it has changed rows (here a trigger refuses the new
    citation, after the document's old passages and citations were removed) rolls all of it
    back: the file is byte for byte what it was, and it says what failed."""
    db = library / "kb.db"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "create trigger refuse before insert on citations when new.text = 'Nobody, 1999' "
            "begin select raise(abort, 'refused by a test trigger'); end"
        )
    conn.close()
    before = db.read_bytes()
    edit(library / TWIN, "\n\n", ADDED)
    done = kb("build", sources=library)
    assert done.returncode != 0
    assert "refused by a test trigger" in done.stderr and "Traceback" not in done.stderr
    assert db.read_bytes() == before
    assert not [p.name for p in library.iterdir() if p.name.endswith((".tmp", "-journal"))]


KILLED_MID_WRITE = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("pragma cache_size = 2")  # the changed pages go to the file, the old ones to the journal
conn.execute("begin immediate")
conn.execute("delete from citations")
conn.execute("update works set title = 'half-written'")
os._exit(9)  # killed: no commit, no rollback
"""


@pytest.mark.parametrize("reader", ["build", "serve"])
def test_an_update_killed_half_way_is_rolled_back_before_anything_reads_the_file(library, reader):
    """A process killed in the middle of writing the database leaves SQLite's journal beside it
    and half-written pages in it. The next `kb build` finds the database up to date, and `kb
    serve` (which reads the file immutable, trusting it) serves every citation: both roll the
    pages back first."""
    import urllib.request

    from conftest import serving

    db = library / "kb.db"
    rows = table_rows(db)
    subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(db)], check=False)
    assert Path(f"{db}-journal").exists()
    if reader == "build":
        done = kb("build", sources=library)
        assert done.returncode == 0, done.stderr
        assert "is up to date" in done.stdout
    else:
        with serving(library) as (base, _, _proc):
            with urllib.request.urlopen(base + "/kb/works.json?_shape=objects&_size=max") as r:
                titles = [row["title"] for row in json.load(r)["rows"]]
            assert titles and "half-written" not in titles
    assert not Path(f"{db}-journal").exists()
    assert table_rows(db) == rows


def read_only(folder: Path, *command: str) -> subprocess.CompletedProcess:
    """``command`` run where ``folder`` cannot be written: a read-only bind mount of it in a
    mount namespace of its own (``unshare -m``, as root; skipped where the kernel refuses one)."""
    import shlex
    import shutil

    if shutil.which("unshare") is None:
        pytest.skip("no unshare here to make a read-only folder")
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind -o ro {shlex.quote(str(folder))} {shlex.quote(str(folder))}"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"no read-only bind mount here (unshare -m: {probe.stderr.decode().strip()})")
    script = f"mount --bind -o ro {shlex.quote(str(folder))} {shlex.quote(str(folder))} && exec {shlex.join(command)}"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120, check=False
    )


def test_an_unfinished_update_in_a_folder_kb_cannot_write_is_refused_not_served(library):
    """A killed update's journal beside a database in a read-only folder cannot be played back
    there: `kb serve` and `kb cite` say so and what to do, instead of serving the unfinished
    pages (no citations, half-written titles); where the folder can be written the next `kb
    build` rolls it back."""
    db = library / "kb.db"
    rows = table_rows(db)
    subprocess.run([sys.executable, "-c", KILLED_MID_WRITE, str(db)], check=False)
    journal = Path(f"{db}-journal")
    assert journal.exists()
    for command in (
        ("serve", "--sources", str(library), "--port", "0"),
        ("cite", "--db", str(db), "--format", "bibtex"),
    ):
        done = read_only(library, sys.executable, "-m", "kb", *command)
        assert done.returncode == 2, (command, done.stdout[-500:], done.stderr[-500:])
        assert "kb.db-journal" in done.stderr and "cannot be played back" in done.stderr, done.stderr
        assert "fix: run kb build once where the folder can be written" in done.stderr
        assert "Traceback" not in done.stderr and "half-written" not in done.stdout
    assert journal.exists()
    done = kb("build", sources=library)
    assert done.returncode == 0, done.stderr
    assert not journal.exists() and table_rows(db) == rows


def test_serve_waits_for_an_update_in_place_to_end_before_it_reads_the_file(library):
    """While an update in place holds the database (its exclusive lock, taken here as the
    update takes it), `kb serve` says that it waits and does not answer; it serves once the
    lock is let go."""
    import fcntl
    import os
    import time
    import urllib.request

    from conftest import serve_process, wait_for_output

    from kb.dblock import lock_path

    fd = os.open(lock_path(library / "kb.db"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    with serve_process(library) as (proc, port, out):
        wait_for_output(proc, out, "waiting for the kb build updating kb.db")
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=1)
        os.close(fd)  # the update ends
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/kb/works.json", timeout=1) as r:
                    assert json.load(r)["rows"]
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, out.read_text()
                time.sleep(0.2)


def test_the_site_says_which_analyses_an_update_left_as_they_were(library):
    """Served after an update, the tables of the analyses it left as they were say that they
    are the last full build's, and which documents changed since (the works' PageRank, made
    again, says nothing of it); after a full build none of them does."""
    from datasette.app import Datasette

    def get(path: str):
        ds = Datasette([str(library / "kb.db")], immutables=[])
        with ThreadPoolExecutor(1) as pool:  # a thread of its own: a browser test may hold this one's loop
            response = pool.submit(asyncio.run, ds.client.get(path)).result()
        assert response.status_code == 200, path
        return response

    def page(path: str) -> str:
        return get(path).text

    edit(library / TWIN, "\n\n", ADDED)
    assert kb("build", "--quiet", sources=library).returncode == 0
    note = "Not up to date: made by the last full build, before 1 document changed (twin-essay)"
    for table in STALE_TABLES:
        assert note in page(f"/kb/{table}"), table
    assert note not in json.dumps(get("/-/metadata.json").json()["databases"]["kb"]["tables"]["works"])
    assert note not in page("/kb/citations")
    assert note in page("/-/map")
    assert kb("build", "--full", "--quiet", sources=library).returncode == 0
    assert note not in page("/kb/concept_paths")


def test_a_running_serve_shows_the_updated_rows_and_the_note(library):
    """A real `kb serve` of the library while `kb build` updates it: the update writes a copy
    (the server reads the file immutable, so it is not changed under it), and the new citation
    and the note on the analyses it left as they were are served within seconds, unrestarted."""
    import time
    import urllib.request

    from conftest import serving

    with serving(library) as (base, db, _):
        inode = db.stat().st_ino
        edit(library / TWIN, "\n\n", ADDED)
        done = kb("build", "--quiet", sources=library)
        assert done.returncode == 0, done.stderr
        assert db.stat().st_ino != inode  # served immutable: a copy renamed into place, not changed under it
        assert behind(db) == ["twin-essay"]
        url = base + "/kb/citations.json?_shape=objects&document_id=twin-essay&status=missing"
        deadline, texts = time.monotonic() + 10, []
        while time.monotonic() < deadline and "Nobody, 1999" not in texts:
            time.sleep(0.3)
            with urllib.request.urlopen(url) as r:
                texts = [row["text"] for row in json.load(r)["rows"]]
        assert "Nobody, 1999" in texts
        with urllib.request.urlopen(base + "/kb/concept_paths") as r:
            assert "Not up to date: made by the last full build" in r.read().decode()


def test_a_document_emptied_and_one_cited_for_the_first_time_give_the_full_build_rows(sources_copy, tmp_path):
    """A document cut to one paragraph that cites nothing (its rows gone, the rows after it
    renumbered down) and one that had no citation gaining its first (its rows placed after the
    documents before it)."""
    essay = (sources_copy / ESSAY).read_text(encoding="utf-8")
    (sources_copy / TWIN).write_text(essay.replace("id: coproduction-essay", "id: twin-essay"), encoding="utf-8")
    front = essay[: essay.index("---", 4) + 4].replace("id: coproduction-essay", "id: quiet-essay")
    quiet = sources_copy / "bibliography" / "quiet-essay.md"  # between the seed and the twin
    quiet.write_text(front + "\nA paragraph that cites nothing.\n", encoding="utf-8")
    assert kb("build", "--quiet", sources=sources_copy).returncode == 0
    twin = sources_copy / TWIN
    text = twin.read_text(encoding="utf-8")
    twin.write_text(text[: text.index("---", 4) + 4] + "\nOne paragraph is left, citing nothing.\n", encoding="utf-8")
    assert kb("build", "--quiet", sources=sources_copy).returncode == 0
    quiet.write_text(front + "\nA paragraph that cites nothing." + ADDED, encoding="utf-8")
    done = kb("build", sources=sources_copy)
    assert done.returncode == 0, done.stderr
    assert behind(sources_copy / "kb.db") == ["quiet-essay", "twin-essay"]
    assert table_rows(sources_copy / "kb.db") == full_rows(sources_copy, tmp_path)
    conn = sqlite3.connect(sources_copy / "kb.db")
    assert conn.execute("select count(*) from passages where document_id = 'twin-essay'").fetchone() == (1,)
    assert conn.execute("select count(*) from citations where document_id = 'twin-essay'").fetchone() == (0,)
    assert numbered_by_document(conn, "passages") and numbered_by_document(conn, "citations")


def test_a_reference_list_kept_as_markdown_is_read_again_in_full(sources_copy, tmp_path):
    """A document's list may be a Markdown file of bibliography/ (`reference_list: refs.md`),
    which a build also reads as a document: a change to it changes works and every citation of
    them, and is built in full, not taken for a citing document's text."""
    essay = (sources_copy / ESSAY).read_text(encoding="utf-8")
    twin = essay.replace("id: coproduction-essay", "id: twin-essay").replace(
        "references: seed-references.bib\nreference_list: seed-references.txt\n", "reference_list: twin-refs.md\n"
    )
    (sources_copy / TWIN).write_text(twin, encoding="utf-8")
    refs = sources_copy / "bibliography" / "twin-refs.md"
    refs.write_text((sources_copy / "bibliography" / "seed-references.txt").read_text(encoding="utf-8"), "utf-8")
    assert kb("build", "--quiet", sources=sources_copy).returncode == 0
    edit(refs, "pp. 1073–1087, 1996.", "pp. 1073–1087, 1997.")
    done = kb("build", sources=sources_copy, env={"KB_TIMINGS": "1"})
    assert done.returncode == 0, done.stderr
    assert "kb-update: built in full: bibliography/twin-refs.md is a reference list" in done.stderr
    assert table_rows(sources_copy / "kb.db") == full_rows(sources_copy, tmp_path)


def test_a_document_the_scheme_links_a_concept_to_by_hand_is_built_in_full(library, tmp_path):
    """A curated link on one of the twin's claims: the graph counts it with the claim's own
    concepts, so a change to the twin changes those counts beyond its own links."""
    scheme = library / "concepts" / "coproduction-scheme.yml"
    edit(
        scheme,
        "curated_links:\n",
        "curated_links:\n"
        "  - concept: exclusion\n"
        "    target: {table: claims, id: twin-essay/p2/s2}\n"
        '    evidence: {document: citadel-latvia-report, paragraph: 1, quote: "people with special needs (problems of sight)"}\n'
        "    why: A test of a link by hand to a claim of a document that changes.\n",
    )
    assert kb("build", "--quiet", sources=library).returncode == 0
    edit(library / TWIN, "The idea of involving citizens through coproduction", "The idea")
    done = kb("build", sources=library, env={"KB_TIMINGS": "1"})
    assert done.returncode == 0, done.stderr
    assert "twin-essay.md: the concept scheme links a concept to its passages or claims" in done.stderr
    assert table_rows(library / "kb.db") == full_rows(library, tmp_path)


def test_several_documents_changed_in_one_update_give_the_full_build_rows(tmp_path):
    """Forty generated essays sharing works (corpus.py): two of them changed at once, one gaining
    a paragraph that cites works both share, one losing its first paragraph."""
    from corpus import write_corpus

    sources = write_corpus(tmp_path / "library", Path(__file__).resolve().parents[1], documents=40, per_document=8)
    assert kb("build", "--quiet", sources=sources).returncode == 0
    others = "select rowid, id, ordinal from {} where document_id not in ('essay-3', 'essay-17') order by rowid"
    conn = sqlite3.connect(sources / "kb.db")
    kept = {t: conn.execute(others.format(t)).fetchall() for t in ("passages", "citations")}
    after = "select count(*) from citations where document_id in (select id from documents where rowid > ?)"
    (place,) = conn.execute("select rowid from documents where id = 'essay-3'").fetchone()
    assert conn.execute(after, [place]).fetchone()[0] > 100  # rows after the first changed document's
    conn.close()
    first, second = sources / "bibliography" / "essay-3.md", sources / "bibliography" / "essay-17.md"
    text = first.read_text(encoding="utf-8")
    last = text.rstrip().rsplit("\n\n", 1)[1]
    first.write_text(text.rstrip() + "\n\nThe same again, later. " + last + "\n", encoding="utf-8")
    text = second.read_text(encoding="utf-8")
    head, body = text.split("---\n", 2)[1:]
    second.write_text("---\n" + head + "---\n" + body.split("\n\n", 1)[1], encoding="utf-8")
    done = kb("build", sources=sources, env={"KB_TIMINGS": "1"})
    assert done.returncode == 0, done.stderr
    assert behind(sources / "kb.db") == ["essay-17", "essay-3"], done.stderr
    assert "kb-timing: rank " in done.stderr  # what cites what changed: every work ranked again
    # no other document's passage or citation moved: the same rows, the same numbers
    conn = sqlite3.connect(sources / "kb.db")
    assert {t: conn.execute(others.format(t)).fetchall() for t in kept} == kept
    assert numbered_by_document(conn, "citations") and numbered_by_document(conn, "passages")
    conn.close()
    assert table_rows(sources / "kb.db") == full_rows(sources, tmp_path)
    # the works' PageRank, unrounded: the changed documents' rows, stored after the rest, read
    # in the documents' order, so that every sum is made in a full build's order
    # read from the documents' parts of it the update kept (rank_edges) and from every citation
    from kb.graph import pagerank_from_db, ranked_works, stored_edges

    ranks = []
    for db in (sources / "kb.db", tmp_path / "full" / "kb.db"):
        conn = sqlite3.connect(db)
        assert stored_edges(conn, ranked_works(conn)) is not None
        ranks.append(pagerank_from_db(conn))
        conn.execute("delete from rank_edges")
        assert stored_edges(conn, ranked_works(conn)) is None
        ranks.append(pagerank_from_db(conn))
        conn.rollback()
        conn.close()
    assert ranks[0] == ranks[1] == ranks[2] == ranks[3]
