"""The build cache (kb/buildcache.py): what reading and resolving gave, kept between builds.

Every test runs real builds on a copy of the shipped sources and compares the database, row
for row, with a build that had no cache at all."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
from pathlib import Path

import pytest

from kb.build import _load_bib, build, build_cache_path
from kb.buildcache import BuildCache, loads
from loaders.markdown import load_document
from loaders.references import read_references

ESSAY = "bibliography/coproduction-essay.md"
BIB = "bibliography/seed-references.bib"


def rows(db_path: Path) -> dict[str, list[str]]:
    """Every table's rows in a canonical order (as ``benchmarks/seed_rows.py`` dumps them)."""
    conn = sqlite3.connect(db_path)
    out = {}
    for (table,) in conn.execute("select name from sqlite_master where type in ('table', 'view') order by name"):
        if "_fts" in table or table.startswith("sqlite_"):
            continue
        columns = sorted(r[1] for r in conn.execute(f"pragma table_info([{table}])"))
        found = conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{table}]").fetchall()
        out[table] = sorted(json.dumps(dict(zip(columns, r, strict=True)), sort_keys=True) for r in found)
    conn.close()
    return out


def fresh_rows(sources: Path, tmp_path: Path) -> dict[str, list[str]]:
    """The rows of a build of ``sources`` into a folder of its own: no cache to read."""
    db = tmp_path / "fresh" / "kb.db"
    build(db, sources)
    assert not any(p.name.endswith(".tmp-build-cache") for p in db.parent.iterdir())
    return rows(db)


def cache_report(capsys) -> dict[str, tuple[int, int]]:
    """The ``kb-cache:`` line of the last build: kind -> (found, used)."""
    line = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("kb-cache:")][-1]
    parts = line.split()[1:]
    return {k: tuple(int(n) for n in v.split("/")) for k, v in zip(parts[::2], parts[1::2], strict=True)}


@pytest.fixture
def timed(monkeypatch):
    monkeypatch.setenv("KB_TIMINGS", "1")


@pytest.fixture
def two_essays(sources_copy) -> Path:
    """The seed and a second essay citing the same list: two documents to change one of."""
    essay = (sources_copy / ESSAY).read_text(encoding="utf-8")
    twin = essay.replace("id: coproduction-essay", "id: twin-essay")
    (sources_copy / "bibliography" / "twin-essay.md").write_text(twin, encoding="utf-8")
    return sources_copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unchanged_rebuild_reads_and_resolves_nothing_again_and_gives_the_same_rows(
    two_essays, tmp_path, timed, capsys
):
    db = two_essays / "kb.db"
    build(db, two_essays)
    first = cache_report(capsys)
    assert first == {"citations": (0, 3), "concepts": (0, 3), "document": (0, 3), "list": (0, 2), "merged-list": (0, 2)}
    assert build_cache_path(db).is_file()
    build(db, two_essays)
    # each document's merged list is found whole: the lists themselves are not even unpickled
    assert cache_report(capsys) == {"citations": (3, 3), "concepts": (3, 3), "document": (3, 3), "merged-list": (2, 2)}
    assert rows(db) == fresh_rows(two_essays, tmp_path)


def test_one_changed_document_is_read_and_resolved_again_alone(two_essays, tmp_path, timed, capsys):
    db = two_essays / "kb.db"
    build(db, two_essays)
    twin = two_essays / "bibliography" / "twin-essay.md"
    edit(twin, "\n\n", "\n\nA paragraph added since the last build (Nobody, 1999).\n\n")
    build(db, two_essays)
    assert cache_report(capsys) == {"citations": (2, 3), "concepts": (2, 3), "document": (2, 3), "merged-list": (2, 2)}
    assert rows(db) == fresh_rows(two_essays, tmp_path)
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from citations where text like 'Nobody%'").fetchone()[0] == 1


def test_rebuild_after_rebuild_computes_only_the_changed_document(two_essays, tmp_path, timed, capsys):
    # a rebuild finds each merged list and never reads the lists themselves: the next rebuild
    # must not read every list again for want of them (at 16,000 works, 15 s)
    db = two_essays / "kb.db"
    build(db, two_essays)
    assert "list 2" in [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("kb-computed:")][-1]
    twin = two_essays / "bibliography" / "twin-essay.md"
    for year in (1998, 1999, 2000):
        edit(twin, "\n\n", f"\n\nA paragraph added since the last build (Nobody, {year}).\n\n")
        build(db, two_essays)
        computed = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("kb-computed:")]
        assert computed == ["kb-computed: citations 1 concepts 1 document 1"], year
    assert rows(db) == fresh_rows(two_essays, tmp_path)


def test_the_folder_named_another_way_finds_what_the_last_build_kept(two_essays, tmp_path, timed, capsys, monkeypatch):
    """`kb build --sources .` after `kb build --sources /full/path` (or none, from inside the
    folder): the same files, found by their paths, not read again as new ones (at 100,000 works
    a rebuild read every document and list again, 25 s instead of 11)."""
    db = two_essays / "kb.db"
    build(db, two_essays)
    capsys.readouterr()
    edit(two_essays / "bibliography" / "twin-essay.md", "\n\n", "\n\nA paragraph added since (Nobody, 1998).\n\n")
    monkeypatch.chdir(two_essays / "bibliography")
    build(db, Path(".."))
    computed = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("kb-computed:")]
    assert computed == ["kb-computed: citations 1 concepts 1 document 1"]
    assert rows(db) == fresh_rows(two_essays, tmp_path)


def test_a_changed_list_is_read_again_and_the_rebuild_sees_the_change(sources_copy, tmp_path, timed, capsys):
    db = sources_copy / "kb.db"
    build(db, sources_copy)
    edit(sources_copy / BIB, "title = {Beyond engagement", "title = {Well beyond engagement")
    build(db, sources_copy)
    # the list is read again, and the document citing it is resolved again: its works changed
    assert cache_report(capsys) == {
        "citations": (1, 2),
        "concepts": (2, 2),
        "document": (2, 2),
        "list": (1, 2),
        "merged-list": (0, 1),
    }
    title = sqlite3.connect(db).execute("select title from works where id = 'bovaird2007beyond'").fetchone()[0]
    assert title.startswith("Well beyond engagement")
    assert rows(db) == fresh_rows(sources_copy, tmp_path)


@pytest.mark.parametrize(
    "old,new",
    [
        pytest.param("alt_labels: [digital divide,", "alt_labels: [public services, digital divide,", id="new-label"),
        pytest.param("pref_label: coproduction", "pref_label: coproduction of services", id="changed-label"),
    ],
)
def test_a_changed_concept_scheme_matches_every_document_again(sources_copy, tmp_path, timed, capsys, old, new):
    db = sources_copy / "kb.db"
    build(db, sources_copy)
    before = rows(db)["concept_links"]
    edit(sources_copy / "concepts" / "coproduction-scheme.yml", old, new)
    build(db, sources_copy)
    assert cache_report(capsys)["concepts"] == (0, 2)
    after = rows(db)
    assert after["concept_links"] != before
    assert after == fresh_rows(sources_copy, tmp_path)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a cache at all\n" * 500)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _other_version(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("update meta set version = 'an older kb'")


def _values_changed(path: Path) -> None:
    """A word changed inside every value, each still a valid pickle, its checksum left as
    written."""

    def changed(value: bytes) -> bytes:
        word = next((w for w in (b"Bovaird", b"coproduction") if w in value), None)
        if word is None:  # a value of no words (a document without citations): a byte past its end,
            return value + b"\0"  # which unpickling ignores
        return value.replace(word, word[:-1] + b"x")

    with sqlite3.connect(path) as conn:
        found = conn.execute("select kind, key, value from entries").fetchall()
        conn.executemany(
            "update entries set value = ? where kind = ? and key = ?",
            [(changed(value), kind, key) for kind, key, value in found],
        )


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(_truncate, id="truncated"),
        pytest.param(_garbage, id="not-sqlite"),
        pytest.param(_empty, id="empty-file"),
        pytest.param(_other_version, id="another-version"),
        pytest.param(_values_changed, id="values-changed"),
    ],
)
def test_a_damaged_cache_is_ignored_and_written_anew(sources_copy, tmp_path, timed, capsys, damage):
    db = sources_copy / "kb.db"
    build(db, sources_copy)
    damage(build_cache_path(db))
    build(db, sources_copy)  # never fails
    assert cache_report(capsys) == {
        "citations": (0, 2),
        "concepts": (0, 2),
        "document": (0, 2),
        "list": (0, 2),
        "merged-list": (0, 1),
    }
    assert rows(db) == fresh_rows(sources_copy, tmp_path)
    build(db, sources_copy)  # the cache the last build wrote is whole again
    assert cache_report(capsys) == {"citations": (2, 2), "concepts": (2, 2), "document": (2, 2), "merged-list": (1, 1)}


class _Planted:
    """What a cache file planted beside a database could hold: a value that runs code when
    unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_a_planted_value_that_would_run_code_is_refused(sources_copy, tmp_path, timed, capsys):
    import hashlib

    db = sources_copy / "kb.db"
    build(db, sources_copy)
    marker = tmp_path / "ran"
    blob = pickle.dumps(_Planted(marker))
    with sqlite3.connect(build_cache_path(db)) as conn:
        conn.execute("update entries set value = ?, checksum = ?", (blob, hashlib.sha256(blob).digest()))
    build(db, sources_copy)
    assert not marker.exists()
    assert cache_report(capsys)["merged-list"] == (0, 1)
    assert rows(db) == fresh_rows(sources_copy, tmp_path)
    with pytest.raises(pickle.UnpicklingError, match="not a record"):
        loads(blob)


def test_a_failed_build_leaves_the_previous_cache_as_it_was(sources_copy):
    db = sources_copy / "kb.db"
    build(db, sources_copy)
    before = build_cache_path(db).read_bytes()
    edit(sources_copy / ESSAY, "\n\n", "\n\nA paragraph added since the last build (Nobody, 1999).\n\n")
    edit(sources_copy / BIB, "  title = {Beyond engagement", "  title = {Beyond engagement\n  broken = {")
    with pytest.raises(Exception, match="does not parse"):
        build(db, sources_copy)
    assert build_cache_path(db).read_bytes() == before
    assert sorted(p.name for p in sources_copy.iterdir() if p.name.startswith(".")) == [
        ".kb.db.build-cache",
        ".kb.db.format-cache",
        ".kb.db.lock",  # an update in place's (kb/dblock.py): kept, never a leftover
        ".kb.source-hashes",
    ]


def test_a_cache_that_cannot_be_written_does_not_fail_the_build(sources_copy, tmp_path):
    db = sources_copy / "kb.db"
    build_cache_path(db).mkdir()  # in the way of the rename
    build(db, sources_copy)
    assert build_cache_path(db).is_dir() and not list(build_cache_path(db).iterdir())
    assert not list(sources_copy.glob(".kb.db.*.tmp*"))
    assert rows(db) == fresh_rows(sources_copy, tmp_path)


@pytest.mark.parametrize(
    "parse,name",
    [
        pytest.param(_load_bib, BIB, id="bibtex"),
        pytest.param(read_references, "bibliography/seed-references.txt", id="free-text"),
        pytest.param(load_document, ESSAY, id="document"),
    ],
)
def test_a_value_read_back_is_what_parsing_gives(sources_copy, parse, name):
    path = sources_copy / name
    cache_file = sources_copy / "cache"
    first = BuildCache(cache_file)
    made = first.value("x", "key", parse, path)
    first.save()
    again = BuildCache(cache_file)
    kept = again.value("x", "key", parse, path)
    assert again.hits["x"] == 1 and again.misses["x"] == 0
    assert kept == made == parse(path)
    assert kept is not made


@pytest.fixture
def many_essays(sources_copy, monkeypatch) -> Path:
    """Six essays, each with its own copies of the seed's two lists (so that every list, document,
    resolution and concept match is computed once a document): past the (lowered) count from
    which a build spreads them across processes."""
    import kb.buildcache

    monkeypatch.setattr(kb.buildcache, "PARALLEL_FROM", 2)
    essay = (sources_copy / ESSAY).read_text(encoding="utf-8")
    folder = sources_copy / "bibliography"
    for i in range(6):
        (folder / f"refs-{i}.bib").write_text((sources_copy / BIB).read_text(encoding="utf-8"), encoding="utf-8")
        (folder / f"refs-{i}.txt").write_text(
            (folder / "seed-references.txt").read_text(encoding="utf-8"), encoding="utf-8"
        )
        text = (
            essay.replace("id: coproduction-essay", f"id: essay-{i}")
            .replace("references: seed-references.bib", f"references: refs-{i}.bib")
            .replace("reference_list: seed-references.txt", f"reference_list: refs-{i}.txt")
        )
        (folder / f"essay-{i}.md").write_text(text, encoding="utf-8")
    return sources_copy


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="this machine gives the tests one core")
def test_reading_and_resolving_across_processes_gives_the_rows_of_one_process(
    many_essays, tmp_path, monkeypatch, timed, capsys
):
    monkeypatch.setenv("KB_WORKERS", "1")
    one = fresh_rows(many_essays, tmp_path / "one")
    monkeypatch.setenv("KB_WORKERS", "2")
    err = capsys.readouterr().err
    assert "kb-workers" not in err.split("kb-cache:")[1]  # the first build: all in one process
    two = fresh_rows(many_essays, tmp_path / "two")
    spread = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("kb-workers:")]
    assert spread == ["kb-workers: 2 processes computed citations 8 concepts 2 document 8 list 14"]
    # (the seven essays have the same texts: their concept matches are computed once)
    assert two == one
    essays = [f"essay-{i}" for i in range(6)] + ["coproduction-essay"]
    counts = {e: len(rows_of(two, "citations", e)) for e in essays}
    assert set(counts.values()) == {counts["coproduction-essay"]} and counts["essay-0"] > 30


def rows_of(rows: dict[str, list[str]], table: str, document: str) -> list[dict]:
    return [r for r in map(json.loads, rows[table]) if r.get("document_id") == document]


def test_a_list_that_fails_in_another_process_fails_the_build_as_in_one(many_essays, tmp_path, monkeypatch):
    from kb.records import KbError

    bib = many_essays / "bibliography" / "refs-3.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("@article{", "@article{broken,, {", 1), encoding="utf-8")
    errors = []
    for workers in ("1", "2"):
        monkeypatch.setenv("KB_WORKERS", workers)
        with pytest.raises(KbError) as e:
            build(tmp_path / workers / "kb.db", many_essays)
        errors.append(str(e.value))
    assert errors[0] == errors[1] and "refs-3.bib" in errors[0]
    assert not (tmp_path / "2" / "kb.db").exists()


def test_the_source_files_are_those_pathlib_finds_in_its_order(tmp_path):
    """A build's files read a folder at a time with os.scandir: the same files as
    ``Path.rglob("*")`` and ``is_file`` gave (a link to a file, files in a hidden folder; not a
    hidden file, a link to a folder, a broken link), in pathlib's order of the parts ("a/b"
    before "a-b/x", where the strings sort the other way), and hashed as their bytes."""
    import hashlib
    import os

    from kb.sources import SOURCE_DIRS, source_files, source_hashes

    root = tmp_path / "library"
    for rel in (
        "bibliography/a-b/x.md",
        "bibliography/a/b.md",
        "bibliography/z.md",
        "bibliography/.hidden/in.md",
        "bibliography/.dot.md",
        "evidence/e.yml",
        "concepts/c.yml",
        "elsewhere/far.md",
        "notes/n.md",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel, encoding="utf-8")
    os.symlink(root / "elsewhere" / "far.md", root / "bibliography" / "linked.md")
    os.symlink(root / "elsewhere", root / "bibliography" / "linked-folder")
    os.symlink(root / "gone.md", root / "bibliography" / "broken.md")
    before = sorted(
        p
        for name in SOURCE_DIRS
        if (root / name).is_dir()
        for p in (root / name).rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )
    assert source_files(root) == before
    assert [p.relative_to(root).as_posix() for p in before] == [
        "bibliography/.hidden/in.md",
        "bibliography/a/b.md",
        "bibliography/a-b/x.md",
        "bibliography/linked.md",
        "bibliography/z.md",
        "concepts/c.yml",
        "evidence/e.yml",
    ]
    assert "bibliography/a-b/x.md" < "bibliography/a/b.md"  # as strings, the other way
    assert source_hashes(root) == {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in before
    }


def test_a_kept_hash_is_trusted_only_while_the_file_is_as_stat_said(tmp_path):
    """Source hashes are kept beside the sources with each file's size, times and inode: a
    file as it was is not read again (a hash altered in the kept file comes back as it is),
    while a file written since is, even at the same size with its modification time set back
    (its change time moved). A file changed within RACY_NS of the moment the hashes were kept
    is read again whatever its times say."""
    import hashlib
    import json
    import os

    from kb.sources import HASHES_KEPT, source_hashes

    root = tmp_path / "library"
    (root / "bibliography").mkdir(parents=True)
    essay, other = root / "bibliography" / "essay.md", root / "bibliography" / "other.md"
    essay.write_text("first words", encoding="utf-8")
    other.write_text("other words", encoding="utf-8")
    real = hashlib.sha256(b"first words").hexdigest()
    assert source_hashes(root, racy_ns=0)["bibliography/essay.md"] == real

    def alter_kept() -> None:
        kept = json.loads((root / HASHES_KEPT).read_text(encoding="utf-8"))
        kept["files"]["bibliography/essay.md"][4] = "0" * 64
        (root / HASHES_KEPT).write_text(json.dumps(kept), encoding="utf-8")

    alter_kept()
    assert source_hashes(root, racy_ns=0)["bibliography/essay.md"] == "0" * 64  # not read: trusted
    alter_kept()
    assert source_hashes(root)["bibliography/essay.md"] == real  # changed moments ago: read again

    st = essay.stat()
    essay.write_text("other words", encoding="utf-8")  # the same size
    os.utime(essay, ns=(st.st_atime_ns, st.st_mtime_ns))  # the modification time set back
    assert essay.stat().st_size == st.st_size and essay.stat().st_mtime_ns == st.st_mtime_ns
    assert source_hashes(root, racy_ns=0)["bibliography/essay.md"] == hashlib.sha256(b"other words").hexdigest()

    other.unlink()
    assert list(source_hashes(root, racy_ns=0)) == ["bibliography/essay.md"]
    assert list(json.loads((root / HASHES_KEPT).read_text(encoding="utf-8"))["files"]) == ["bibliography/essay.md"]
    (root / HASHES_KEPT).write_text("not json", encoding="utf-8")  # damaged: every file read
    assert source_hashes(root, racy_ns=0)["bibliography/essay.md"] == hashlib.sha256(b"other words").hexdigest()
