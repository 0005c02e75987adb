"""`kb serve` as a real process on a free loopback port, read over HTTP."""

from __future__ import annotations

import json
import urllib.request


def test_serve_builds_then_serves_json(server):
    base, db, proc = server
    assert db.exists()  # built because it was missing
    with urllib.request.urlopen(base + "/kb/works.json?_shape=objects&_size=100") as r:
        rows = json.load(r)["rows"]
    assert len(rows) == 36
    with urllib.request.urlopen(base + "/kb/citations.json?_shape=objects&status=missing") as r:
        missing = [row["text"] for row in json.load(r)["rows"]]
    assert missing == ["Alford, 1998", "Hartley, 2005"]
    with urllib.request.urlopen(base + "/-/metadata.json") as r:
        assert json.load(r)["title"].startswith("kb")


def test_serve_turns_off_suggested_facets(server):
    """kb declares the facets worth having; Datasette's suggestions (pagerank, volume) are noise."""
    base, _, _ = server
    with urllib.request.urlopen(base + "/-/settings.json") as r:
        assert json.load(r)["suggest_facets"] is False


def test_serve_streams_a_whole_table_as_csv(server):
    """A table's CSV with every row, without Datasette's 100 MB cap (which cut a 100,000-work
    library's works CSV short, a line at its end saying so): every citation, once, in order."""
    import csv
    import io
    import sqlite3

    base, db, _ = server
    with urllib.request.urlopen(base + "/-/settings.json") as r:
        assert json.load(r)["max_csv_mb"] == 0
    with urllib.request.urlopen(base + "/kb/citations.csv?_stream=on&_size=7") as r:
        rows = list(csv.DictReader(io.StringIO(r.read().decode("utf-8"))))
    with sqlite3.connect(db) as conn:
        stored = [i for (i,) in conn.execute("select id from citations order by ordinal")]
    assert [row["id"] for row in rows] == stored and len(stored) > 7


def test_serve_db_alone_serves_that_file_as_it_is_with_its_own_description(sources_copy, tmp_path):
    """``kb serve --db FILE`` from a sources folder, FILE another library's database older than
    the folder's sources: it is served as it is (it was rebuilt from the folder's sources, the
    other library lost), under the metadata.yml beside it, not the folder's."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import free_port, kb_executable
    from corpus import write_corpus

    from kb.build import build

    other = tmp_path / "other"
    other.mkdir()
    db = other / "library.db"
    build(db, write_corpus(tmp_path / "corpus", Path(__file__).resolve().parents[1], documents=2, per_document=20))
    (other / "metadata.yml").write_text('title: "Another library"\n', encoding="utf-8")
    os.utime(db, (946684800, 946684800))  # built in 2000: older than every source of the folder
    before = db.read_bytes()
    port = free_port()
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        kb_executable() + ["serve", "--db", str(db), "--port", str(port)],
        cwd=sources_copy,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with urllib.request.urlopen(base + "/library/works.json?_shape=objects&_size=1") as r:
            count = json.load(r)["filtered_table_rows_count"]
        with urllib.request.urlopen(base + "/-/metadata.json") as r:
            title = json.load(r)["title"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    assert count > 36  # the other library's works, not the seed's 36
    assert title == "Another library"
    assert db.read_bytes() == before
    assert not (sources_copy / "kb.db").exists()  # nor was the folder's own built


def test_a_running_serve_shows_what_kb_build_writes_next(server):
    """kb build writes a new file and renames it into place; a running kb serve kept answering
    from the old one (and its kept pages) until restarted."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    base, db, _ = server
    sources = db.parent
    url = base + "/kb/citations.json?_shape=objects&status=missing"
    with urllib.request.urlopen(url) as r:
        before = [row["text"] for row in json.load(r)["rows"]]
    essay = sources / "bibliography" / "coproduction-essay.md"
    essay.write_text(
        essay.read_text(encoding="utf-8") + "\nA new claim (Nobody, 2001).\n",
        encoding="utf-8",
    )
    kb = str(Path(sys.executable).with_name("kb"))
    subprocess.run([kb, "build", "--sources", str(sources), "--db", str(db), "--quiet"], check=True)
    deadline = time.monotonic() + 10
    after = before
    while time.monotonic() < deadline and after == before:
        time.sleep(0.5)
        with urllib.request.urlopen(url) as r:
            after = [row["text"] for row in json.load(r)["rows"]]
    assert after == [*before, "Nobody, 2001"]


def test_a_database_rebuilt_before_the_first_request_is_served_new(sources_copy):
    """`kb serve` started, then `kb build` writes a new file before anyone asked the server
    anything: the first page shows the new rows, and so do the next ones. The server used to
    learn the file's identity at the first request, after the rename, so the connections it
    had opened at start-up went on reading the old file."""
    import subprocess
    import sys
    from pathlib import Path

    from conftest import serve_process, wait_for_output

    kb = str(Path(sys.executable).with_name("kb"))
    subprocess.run([kb, "build", "--sources", str(sources_copy), "--quiet"], check=True)
    with serve_process(sources_copy) as (proc, port, out):
        wait_for_output(proc, out, "Application startup complete")
        essay = sources_copy / "bibliography" / "coproduction-essay.md"
        essay.write_text(essay.read_text(encoding="utf-8") + "\nA new claim (Nobody, 2001).\n", encoding="utf-8")
        subprocess.run([kb, "build", "--sources", str(sources_copy), "--quiet"], check=True)
        url = f"http://127.0.0.1:{port}/kb/citations.json?_shape=objects&status=missing&_size=max"
        for _ in range(8):  # more requests than Datasette has threads, each with its connection
            with urllib.request.urlopen(url) as r:
                assert "Nobody, 2001" in [row["text"] for row in json.load(r)["rows"]]
