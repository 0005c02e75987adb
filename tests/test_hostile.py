"""Hostile and broken input: nothing lost, nothing crashes, nothing escapes.

Property tests (hypothesis) feed every reader and `kb check` generated input through the
command a user runs (click's runner, in process) and hold them to four promises: exit code 0,
1 or 2, never 3 (a bug); every reference written comes out (an item, or a problem carrying its
raw text); ids unique and non-empty; output that is JSON. The default run tries a few hundred
cases each; the `deep` profile ten thousand:

    HYPOTHESIS_PROFILE=deep python -m pytest tests/test_hostile.py -p no:cacheprovider

Below them, each minimal case found by hand is kept as a named regression test.
"""

from __future__ import annotations

import json
import os
import re
import string
import unicodedata
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from corpus import write_sources
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.cli import cli

settings.register_profile(
    "default",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "deep",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=2_000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parents[1]
SEED_LINES = (ROOT / "bibliography" / "seed-references.txt").read_text(encoding="utf-8").splitlines()

# Text that looks like what people paste: reference fragments, stray punctuation, other scripts,
# control characters, digits that run on.
_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Cs",))
_JUNK = st.text(_ALPHABET, max_size=80)
_PIECES = st.sampled_from(
    [
        "Smith, J.",
        "(2001)",
        "2001a",
        "et al.",
        "[12]",
        "12.",
        "pp. 1–27",
        "vol. 3, no. 2",
        "“Title,”",
        "In:",
        "(Eds.)",
        "doi:10.1000/x",
        "https://x.org",
        "van der",
        "Ş",
        "—",
        "{",
        "}",
        "@",
        "\\",
        '"',
        ";",
        ",",
        ".",
        ":",
        "(",
        ")",
        "[",
        "]",
        "\t",
        " ",
        "9" * 30,
    ]
)
_LINE = st.one_of(st.sampled_from(SEED_LINES), _JUNK, st.lists(st.one_of(_PIECES, _JUNK), max_size=12).map(" ".join))


def run(args: list[str]):
    result = CliRunner().invoke(cli, args, catch_exceptions=True)
    assert result.exit_code in (0, 1, 2), f"exit {result.exit_code}: {result.output[-500:]}"
    return result


_ITEM_START = re.compile(r"\s{0,3}(?:[-*+]|\d{1,4}[.)]|\[\d{1,4}\])\s+\S")


def items_of(output: str) -> list[dict]:
    out = [json.loads(line) for line in output.split("\n") if line.strip()]
    ids = [i.get("id") for i in out]
    assert all(isinstance(x, str) and x for x in ids), ids
    assert len(set(ids)) == len(ids), ids
    return out


@given(
    lines=st.lists(_LINE.filter(lambda s: s.strip() and "\n" not in s and "\r" not in s), min_size=1, max_size=12),
    lead=st.integers(0, 2),
    trail=st.integers(0, 2),
)
def test_free_text_keeps_every_line(tmp_path_factory, lines, lead, trail):
    lines = [ln for ln in lines if ln.strip()]
    if not any(ch.isprintable() and not ch.isspace() for ln in lines for ch in ln):
        return
    path = tmp_path_factory.mktemp("ft") / "refs.txt"
    path.write_text("\n" * lead + "\n".join(lines) + "\n" * trail, encoding="utf-8")
    result = run(["parse", str(path)])
    if result.exit_code == 2:  # an empty or binary file is refused, with its reason
        assert "refs.txt" in result.output
        return
    items = items_of(result.output)
    said = [" ".join(unicodedata.normalize("NFC", line).split()) for line in lines]
    # every line's raw text, in NFC, is kept, in order: a line on its own, or, where the list
    # is marked ("- ", "1. ") or hangs (wrapped lines indented), joined to the entry it wraps
    assert " ".join(" ".join(item["raw"].split()) for item in items) == " ".join(said)
    marked = [_ITEM_START.match(line) for line in lines]
    if not any(marked) and not any(line[:1].isspace() for line in lines):
        assert [" ".join(item["raw"].split()) for item in items] == said  # one item a line
    else:
        assert 1 <= len(items) <= len(lines)


_BIB_VALUE = st.one_of(
    _JUNK,
    st.sampled_from(
        [
            "Smith, J., Jones, K.",
            ",",
            "{,}",
            "{",
            "}",
            "}{",
            "\\",
            "\\{",
            "@misc{x,",
            "van der Graaf, S.",
            "{Public Administration Review} volume = {67}",
        ]
    ),
)
_BIB_FIELD = st.tuples(
    st.sampled_from(["author", "title", "year", "journal", "volume", "pages", "editor", "doi", "x"]), _BIB_VALUE
)


@st.composite
def bib_entries(draw):
    n = draw(st.integers(1, 6))
    entries = []
    for i in range(n):
        kind = draw(st.sampled_from(["article", "book", "misc", "inproceedings", "preamble_x", "string", "comment"]))
        key = draw(
            st.one_of(
                st.just(f"k{i}"),
                st.text(string.ascii_letters + string.digits + ":-_", max_size=12),
                _JUNK.filter(lambda s: "\n" not in s),
            )
        )
        fields = draw(st.lists(_BIB_FIELD, max_size=5))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@{kind}{{{key},\n{body}\n}}")
    return entries


@given(entries=bib_entries())
def test_bibtex_reader_never_crashes_and_keeps_entries(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("bib") / "refs.bib"
    path.write_text("\n\n".join(entries) + "\n", encoding="utf-8")
    result = run(["parse", str(path)])
    if result.exit_code == 2:
        assert "refs.bib" in result.output
        return
    items = items_of(result.output)
    # every entry is an item (a failed one carries its raw text); a @string or @comment is one
    # only when it does not parse; a broken entry can make two
    real = [e for e in entries if not e.lower().startswith(("@string", "@comment"))]
    assert len(items) >= len(real)
    for item in items:
        if item["id"].startswith("unparsed-line-"):
            assert item["raw"].startswith("@")


_RIS_TAG = st.sampled_from(
    ["AU", "A1", "TI", "T1", "PY", "Y1", "JO", "JF", "T2", "VL", "IS", "SP", "EP", "DO", "XX", "", "ZZ"]
)


@st.composite
def ris_records(draw):
    n = draw(st.integers(1, 5))
    recs = []
    for _ in range(n):
        lines = [f"TY  - {draw(st.sampled_from(['JOUR', 'BOOK', 'CHAP', 'GEN', 'XYZ', '']))}"]
        for _ in range(draw(st.integers(0, 6))):
            tag = draw(_RIS_TAG)
            value = draw(_JUNK.filter(lambda s: not re.search(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]|^TY  -", s)))
            lines.append(f"{tag}  - {value}" if tag else value)
        if draw(st.booleans()):
            lines.append("ER  - ")
        recs.append("\n".join(lines))
    return recs


@given(records=ris_records())
def test_ris_reader_never_crashes(tmp_path_factory, records):
    path = tmp_path_factory.mktemp("ris") / "refs.ris"
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    result = run(["parse", str(path)])
    if result.exit_code == 2:
        assert "refs.ris" in result.output
        return
    assert len(items_of(result.output)) == len(records)  # a record without ER swallows no other


_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), _JUNK),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(_JUNK, children, max_size=4)),
    max_leaves=20,
)
_CSL_ITEM = st.fixed_dictionaries(
    {},
    optional={
        "id": _JSON,
        "type": st.one_of(st.sampled_from(["article-journal", "book", "chapter"]), _JSON),
        "title": _JSON,
        "author": st.one_of(
            st.lists(st.dictionaries(st.sampled_from(["family", "given", "literal"]), _JSON, max_size=3), max_size=3),
            _JSON,
        ),
        "issued": st.one_of(st.fixed_dictionaries({"date-parts": _JSON}), _JSON),
        "container-title": _JSON,
        "volume": _JSON,
        "page": _JSON,
        "DOI": _JSON,
        "custom": st.one_of(st.dictionaries(_JUNK, _JSON, max_size=3), _JSON),
    },
)


@given(items=st.one_of(st.lists(_CSL_ITEM, max_size=5), _JSON))
def test_csl_json_reader_never_crashes(tmp_path_factory, items):
    path = tmp_path_factory.mktemp("csl") / "refs.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    result = run(["parse", str(path)])
    if result.exit_code == 2:
        assert "refs.json" in result.output
        return
    got = items_of(result.output)
    if isinstance(items, list) and items and all(isinstance(i, dict) for i in items):
        assert len(got) == len(items)


_DOC_PIECES = st.sampled_from(
    [
        "(Smith, 2001)",
        "(Pestoff, 2012a; 2012b)",
        "Osborne et al. (2013)",
        "[1]",
        "[2-4]",
        "[1]–[5]",
        "[" + "9" * 40 + "]",
        "(",
        ")",
        "(2001, 2002, ",
        "@smith2001",
        "[@x]",
        "\\cite{a}",
        "et al.",
        "p. 5",
        "\n\n",
        "# Heading\n",
        "## References\n",
        "---\n",
    ]
)


@given(parts=st.lists(st.one_of(_DOC_PIECES, _JUNK), max_size=30))
def test_check_never_crashes_and_spans_hold(tmp_path_factory, parts):
    folder = tmp_path_factory.mktemp("doc")
    doc = folder / "draft.md"
    text = " ".join(parts)
    doc.write_text(text, encoding="utf-8")
    result = run(
        ["check", str(doc), "--references", str(ROOT / "bibliography" / "seed-references.bib"), "--format", "json"]
    )
    if result.exit_code == 2:
        assert "draft.md" in result.output
        return
    report = json.loads(result.output)
    for c in report.get("citations", []):
        assert c["status"] in ("ok", "mismatch", "ambiguous", "missing")


# Minimal cases found by hand, kept as regression tests.


def test_blank_line_at_end_of_free_text_list_keeps_every_reference(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(SEED_LINES[:3]) + "\n\n", encoding="utf-8")
    assert len(items_of(run(["parse", str(path)]).output)) == 3
    path.write_text("\n\n" + "\n".join(SEED_LINES[:3]) + "\n", encoding="utf-8")
    assert len(items_of(run(["parse", str(path)]).output)) == 3


def test_seven_hundred_references_with_one_key_get_distinct_ids(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(["1234. Smith J. A title here. 2001."] * 704) + "\n", encoding="utf-8")
    items = items_of(run(["parse", str(path)]).output)
    assert len(items) == 704


def test_a_number_too_long_for_python_is_not_a_citation(tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("Text [" + "9" * 4301 + "] end.\n", encoding="utf-8")
    result = run(
        ["check", str(doc), "--references", str(ROOT / "bibliography" / "seed-references.txt"), "--format", "json"]
    )
    assert json.loads(result.output)["citations"] == []


def test_eight_thousand_years_in_one_parenthesis(tmp_path):
    doc = tmp_path / "d.md"
    doc.write_text("As shown (Pestoff, " + ", ".join(["2012a"] * 8000) + ").\n", encoding="utf-8")
    result = run(
        ["check", str(doc), "--references", str(ROOT / "bibliography" / "seed-references.bib"), "--format", "json"]
    )
    assert len(json.loads(result.output)["citations"]) == 8000


@pytest.mark.parametrize("value", ["Smith, J., Jones, K.", ","])
def test_bibtex_author_with_too_many_commas_is_a_problem_not_a_crash(tmp_path, value):
    path = tmp_path / "t.bib"
    path.write_text(
        f"@article{{a,\n  author = {{{value}}},\n  title = {{T}},\n  year = {{2001}}\n}}\n", encoding="utf-8"
    )
    items = items_of(run(["parse", str(path)]).output)
    assert len(items) == 1


def parse_file(tmp_path, name: str, text: str) -> list[dict]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return items_of(run(["parse", str(path)]).output)


def codes(item: dict) -> list[str]:
    return [p["code"] for p in item["problems"]]


def test_ris_record_without_er_does_not_swallow_the_next(tmp_path):
    items = parse_file(tmp_path, "r.ris", "TY  - JOUR\nTI  - First\nTY  - BOOK\nTI  - Second\nER  - \n")
    assert [i.get("title") for i in items] == ["First", "Second"]
    assert "malformed-field" in codes(items[0])


def test_ris_file_whose_only_record_lacks_er_still_gives_it(tmp_path):
    items = parse_file(tmp_path, "r.ris", "TY  - JOUR\nTI  - Only\n")
    assert [i.get("title") for i in items] == ["Only"]


def test_ris_line_without_a_tag_is_reported_on_its_record(tmp_path):
    items = parse_file(tmp_path, "r.ris", "TY  - JOUR\nTI  - A title\nno tag here\nER  - \n")
    assert len(items) == 1 and items[0]["problems"][0]["line"] == 1
    assert "without a tag" in items[0]["problems"][0]["message"]


@pytest.mark.parametrize(
    "item",
    [
        {"id": "a", "author": "Smith"},
        {"id": "a", "issued": [2001]},
        {"id": "a", "title": 123},
        {"id": "a", "title": "T", "issued": {"date-parts": [[1e400]]}},
        {"id": ["a"], "title": "T"},
    ],
)
def test_csl_json_of_the_wrong_shape_is_kept_with_its_problem(tmp_path, item):
    got = parse_file(tmp_path, "r.json", json.dumps(item).replace("Infinity", "1e400"))  # as a file has it
    assert len(got) == 1
    assert "Infinity" not in json.dumps(got[0], allow_nan=False)
    if item.get("title") == 123:
        assert got[0]["title"] == "123"  # CSL allows a number where text goes
    else:
        assert "malformed-field" in codes(got[0])


@pytest.mark.parametrize("text", ["[" * 1000 + "]" * 1000, '[{"id": "a", "volume": ' + "9" * 4301 + "}]"])
def test_csl_json_that_python_cannot_read_is_a_clear_error(tmp_path, text):
    path = tmp_path / "r.json"
    path.write_text(text, encoding="utf-8")
    result = run(["parse", str(path)])
    assert result.exit_code == 2 and "r.json" in result.output


def test_bibtex_missing_comma_between_fields_is_reported(tmp_path):
    items = parse_file(
        tmp_path,
        "r.bib",
        "@article{b,\n  journal = {Public Administration Review} volume = {67},\n  title = {T},\n  year = {2003}\n}\n",
    )
    assert "malformed-field" in codes(items[0])
    assert "volume" in items[0]["problems"][0]["message"]


def test_bibtex_block_of_an_unknown_kind_is_kept(tmp_path):
    items = parse_file(tmp_path, "r.bib", "@preamble_x{p,\n  title = {Kept},\n}\n\n@book{d,\n  title = {D}\n}\n")
    assert len(items) == 2 and "Kept" in items[0]["raw"]


def test_bibtex_empty_key_and_two_failed_entries_on_one_line_get_distinct_ids(tmp_path):
    items = parse_file(tmp_path, "r.bib", "@article{,\n  title = {No key}\n}\n@x{ @y{\n")
    ids = [i["id"] for i in items]
    assert all(ids) and len(set(ids)) == len(ids)


# Sources stay inside the sources folder.


def build_result(folder: Path):
    return CliRunner().invoke(cli, ["build", "--sources", str(folder), "--db", str(folder / "kb.db")])


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/passwd", "outside.txt"])
def test_front_matter_cannot_name_a_file_outside_the_sources(sources_copy, target):
    secret = sources_copy.parent / "outside.txt"
    secret.write_text("Secret, S. (2001). Not to be published.\n", encoding="utf-8")
    if target == "outside.txt":  # a symlink inside bibliography/ that leads out
        (sources_copy / "bibliography" / "link.txt").symlink_to(secret)
        target = "link.txt"
    essay = sources_copy / "bibliography" / "coproduction-essay.md"
    essay.write_text(
        essay.read_text(encoding="utf-8").replace("reference_list: seed-references.txt", f"reference_list: {target}"),
        encoding="utf-8",
    )
    result = build_result(sources_copy)
    assert result.exit_code == 2, result.output
    assert "coproduction-essay.md:9" in result.output and "outside" in result.output
    assert not (sources_copy / "kb.db").exists()


def test_a_symlinked_document_leading_out_is_refused(sources_copy):
    outside = sources_copy.parent / "elsewhere.md"
    outside.write_text("---\nid: elsewhere\n---\n\nText.\n", encoding="utf-8")
    (sources_copy / "bibliography" / "elsewhere.md").symlink_to(outside)
    result = build_result(sources_copy)
    assert result.exit_code == 2 and "outside the sources" in result.output


def test_two_documents_with_one_id_are_both_named(sources_copy):
    essay = sources_copy / "bibliography" / "coproduction-essay.md"
    (sources_copy / "bibliography" / "copy.md").write_text(essay.read_text(encoding="utf-8"), encoding="utf-8")
    result = build_result(sources_copy)
    assert result.exit_code == 2
    assert "coproduction-essay" in result.output and "copy.md" in result.output


def test_a_build_removes_what_killed_builds_left(sources_copy):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)  # a process that has exited
    db = sources_copy / "kb.db"
    stale = [sources_copy / f".kb.db.{dead}.{end}" for end in ("tmp", "tmp-journal", "tmp-build-cache", "tmp-side")]
    for path in stale:
        path.write_bytes(b"half a database")
    running = sources_copy / f".kb.db.{os.getpid()}.tmp-other"  # not a name a build writes: kept
    running.write_bytes(b"x")
    assert build_result(sources_copy).exit_code == 0
    assert db.exists() and not any(p.exists() for p in stale) and running.exists()
    kept = (".kb.db.format-cache", ".kb.db.build-cache")  # kept between builds on purpose
    left = sorted(p.name for p in sources_copy.glob(".kb.db.*") if p.name not in kept)
    assert left == [running.name]


# Every user mistake is a KbError (exit 2) naming what to fix; exit 3 is for bugs of ours.


def test_read_only_commands_read_the_database_they_are_given(built_db, tmp_path):
    import shutil
    import sqlite3

    other = tmp_path / "other.db"
    shutil.copy(built_db, other)
    conn = sqlite3.connect(other)
    conn.execute("delete from works where id != 'bovaird2007beyond'")  # a database unlike the sources
    conn.commit()
    conn.close()
    for args in (["cite", "--format", "csljson"], ["graph", "--format", "json"]):
        result = CliRunner().invoke(cli, [*args, "--db", str(other)])
        assert result.exit_code == 0, result.output
    got = json.loads(CliRunner().invoke(cli, ["cite", "--format", "csljson", "--db", str(other)]).output)
    assert [w["id"] for w in got] == ["bovaird2007beyond"]  # read, not rebuilt from the sources


@pytest.mark.parametrize("kind", ["missing", "not sqlite", "not kb"])
def test_db_that_is_not_a_kb_database_is_a_clear_error(tmp_path, kind):
    import sqlite3

    path = tmp_path / "x.db"
    if kind == "not sqlite":
        path.write_text("hello", encoding="utf-8")
    elif kind == "not kb":
        sqlite3.connect(path).execute("create table t(a)").connection.commit()
    result = CliRunner().invoke(cli, ["cite", "--db", str(path)])
    assert result.exit_code == 2 and "x.db" in result.output and "fix:" in result.output


def test_output_into_a_missing_folder_is_a_clear_error(built_db, tmp_path):
    result = CliRunner().invoke(cli, ["graph", "--db", str(built_db), "--out", str(tmp_path / "missing" / "g.graphml")])
    assert result.exit_code == 2 and "missing/g.graphml" in result.output and ".tmp" not in result.output
    assert not (tmp_path / "missing").exists()


def test_export_that_runs_out_of_room_names_the_file_and_leaves_none(built_db, tmp_path):
    """``kb graph --out`` on a disk that fills up (a file size limit here): exit 2 naming the file
    asked for, not standard output nor the file written first, and no half a file left."""
    import resource
    import signal
    import subprocess
    import sys

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    out = tmp_path / "g.graphml"
    done = subprocess.run(
        [sys.executable, "-m", "kb", "graph", "--db", str(built_db), "--out", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
    )
    assert done.returncode == 2, done.stderr
    assert "g.graphml" in done.stderr and ".tmp" not in done.stderr and "standard output" not in done.stderr
    assert "Traceback" not in done.stderr and "fix:" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_focus_group_given_as_a_list_names_the_finding(sources_copy):
    path = sources_copy / "evidence" / "citadel-latvia-2018.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("focus_group: ul-computing-students", "focus_group: [ul-computing-students, other]", 1),
        encoding="utf-8",
    )
    result = build_result(sources_copy)
    assert result.exit_code == 2 and "citadel-latvia-2018.yml:" in result.output and "focus group" in result.output


def test_a_concept_id_that_is_not_a_slug_is_refused_with_the_slug_to_use(sources_copy):
    path = sources_copy / "concepts" / "coproduction-scheme.yml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("  - id: ict\n", "  - id: Digital_ICT\n"), encoding="utf-8"
    )
    result = build_result(sources_copy)
    assert result.exit_code == 2 and "digital-ict" in result.output


def test_same_sources_same_database_whatever_the_hash_seed(sources_copy):
    """Sets iterate in an order PYTHONHASHSEED decides; nothing kb writes may follow it."""
    import subprocess
    import sys

    kb = str(Path(sys.executable).with_name("kb"))
    files = []
    for seed in ("1", "2"):
        db = sources_copy / f"kb-{seed}.db"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([kb, "build", "--sources", str(sources_copy), "--db", str(db), "--quiet"], env=env, check=True)
        files.append(db.read_bytes())
    assert files[0] == files[1]


@pytest.mark.parametrize("query", ['governance"', "AND"])
def test_search_text_that_is_not_fts_syntax_is_read_as_words(built_db, query):
    result = CliRunner().invoke(cli, ["cite", "--db", str(built_db), "--search", query, "--format", "csljson"])
    assert result.exit_code == 0, result.output
    if query.startswith("governance"):
        assert any("overnance" in w.get("title", "") for w in json.loads(result.output))


def test_search_that_cannot_be_read_at_all_is_a_clear_error(built_db):
    result = CliRunner().invoke(cli, ["cite", "--db", str(built_db), "--search", '"'])
    assert result.exit_code == 2 and "cannot search" in result.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_output_to_a_full_disk_is_a_clear_error():
    import subprocess
    import sys

    kb = str(Path(sys.executable).with_name("kb"))
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [kb, "parse", str(ROOT / "bibliography" / "seed-references.txt")],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert done.returncode == 2 and "No space left" in done.stderr and "fix:" in done.stderr


def test_output_cut_by_a_file_size_limit_is_an_error_not_success(tmp_path):
    import resource
    import subprocess
    import sys

    kb = str(Path(sys.executable).with_name("kb"))
    out = tmp_path / "cut.jsonl"
    with open(out, "w") as f:
        done = subprocess.run(
            [kb, "parse", str(ROOT / "bibliography" / "seed-references.txt")],
            stdout=f,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096)),
        )
    assert done.returncode == 2 and "too large" in done.stderr.lower()


def test_csl_json_custom_field_with_infinity_is_set_aside(tmp_path):
    text = '[{"id": "a", "title": "T", "custom": {"x": 1}}, {"id": "b", "title": "U", "custom": {"z": 1e400}}]'
    a, b = parse_file(tmp_path, "r.json", text)
    assert a["custom"] == {"x": 1} and "custom" not in b
    assert "malformed-field" in codes(b)


def test_an_unknown_name_in_a_large_library_gets_a_short_fix(sources_copy):
    """An evidence record naming a document that is not there: with a library of many documents
    the fix listed every document's id (130,000 characters at 10,000 documents); it names how
    many there are and the closest to the name given."""
    essay = (sources_copy / "bibliography" / "coproduction-essay.md").read_text(encoding="utf-8")
    for i in range(40):
        text = essay.replace("id: coproduction-essay", f"id: essay-{i:03}", 1)
        (sources_copy / "bibliography" / f"essay-{i:03}.md").write_text(text, encoding="utf-8")
    evidence = sources_copy / "evidence" / "citadel-latvia-2018.yml"
    evidence.write_text(
        evidence.read_text(encoding="utf-8").replace(
            "document: citadel-latvia-report", "document: citadel-latvia-reprt", 1
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["build", "--sources", str(sources_copy), "--db", str(sources_copy / "kb.db")])
    assert result.exit_code == 2
    error, fix = result.output.splitlines()[:2]
    assert "source names unknown document 'citadel-latvia-reprt'" in error
    assert fix.startswith(
        "  fix: use one of the 42 known; the closest to 'citadel-latvia-reprt': citadel-latvia-report"
    )
    assert len(result.output) < 300 and "essay-039" not in result.output


def test_an_error_names_a_file_inside_the_current_folder_by_the_path_from_it(sources_copy, monkeypatch):
    """The build names the folder by its full path (what it keeps is found by the files' paths);
    an error still names a file as the user would type it, from the folder they are in."""
    essay = sources_copy / "bibliography" / "coproduction-essay.md"
    essay.write_text(essay.read_text(encoding="utf-8").replace("---\n", '---\ntitle: "unclosed\n', 1))
    monkeypatch.chdir(sources_copy)
    for sources in (".", str(sources_copy)):
        result = CliRunner().invoke(cli, ["build", "--sources", sources, "--db", "kb.db"])
        assert result.exit_code == 2
        assert result.output.startswith("Error: bibliography/coproduction-essay.md:4: invalid front matter")


def test_an_error_is_reported_from_a_folder_that_no_longer_exists(sources_copy, tmp_path, monkeypatch):
    """Naming a file by the path from the current folder must not fail when there is none (the
    folder the command was started in was removed): the error names the file in full."""
    essay = sources_copy / "bibliography" / "coproduction-essay.md"
    essay.write_text(essay.read_text(encoding="utf-8").replace("---\n", '---\ntitle: "unclosed\n', 1))
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = CliRunner().invoke(cli, ["build", "--sources", str(sources_copy), "--db", str(sources_copy / "kb.db")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith(f"Error: {essay}:4: invalid front matter")


def test_a_command_finds_its_library_from_any_folder_inside_it_and_no_other(
    sources_copy, tmp_path_factory, monkeypatch
):
    """Run from inside ``bibliography/``, kb builds that library (the nearest folder above that
    holds one, as git finds a repository); run from a folder in no library it says so, naming
    the folder, and writes nothing (it used to build and cite the repository's seed instead,
    writing its kb.db into the install tree). A --db given is read from anywhere."""
    monkeypatch.chdir(sources_copy / "bibliography")
    result = CliRunner().invoke(cli, ["build", "--quiet"])
    assert result.exit_code == 0, result.output
    assert (sources_copy / "kb.db").is_file() and not (sources_copy / "bibliography" / "kb.db").exists()
    result = CliRunner().invoke(cli, ["cite", "ostrom1978public", "--format", "apa"])
    assert result.exit_code == 0 and result.output.startswith("Ostrom, E."), result.output

    elsewhere = tmp_path_factory.mktemp("not-a-library") / "deeper"
    elsewhere.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    for args in (["build"], ["cite", "--format", "apa"], ["graph"], ["publish", "site"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith(f"Error: no sources folder: neither {elsewhere} nor a folder above it holds")
        assert "--sources DIR" in result.output and "Traceback" not in result.output
    assert list(elsewhere.iterdir()) == []
    result = CliRunner().invoke(cli, ["cite", "ostrom1978public", "--db", str(sources_copy / "kb.db")])
    assert result.exit_code == 0 and "@" in result.output


def test_a_file_name_that_is_not_utf8_is_named_with_a_fix_and_the_database_kept(sources_copy):
    """A name in another encoding (café.md saved in Latin-1) stopped the build with a
    UnicodeEncodeError it called a bug in kb; now it is named, with a command that renames it,
    and the database built before is left as it was."""
    db = sources_copy / "kb.db"
    assert CliRunner().invoke(cli, ["build", "--quiet", "--sources", str(sources_copy)]).exit_code == 0
    before = db.read_bytes()
    bad = sources_copy / "bibliography" / os.fsdecode(b"caf\xe9 notes.md")
    bad.write_text("A note (Ostrom, 1996).\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--sources", str(sources_copy)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    error, fix = result.output.splitlines()[:2]
    assert error.endswith(
        "bibliography/caf\ufffd notes.md: the file name is not UTF-8 (kb keeps every file's path as text)"
    )
    assert (
        fix
        == f"  fix: give it a UTF-8 name, e.g. in a shell in {sources_copy}: mv bibliography/caf??notes.md bibliography/renamed.md"
    )
    assert db.read_bytes() == before


def test_a_bibtex_key_used_twice_stops_the_build_naming_both_lines(sources_copy):
    """bibtexparser's own error for a key used twice had come with the fix for a syntax error
    ("a missing brace or comma is the usual cause"); it names both entries and the fix."""
    bib = sources_copy / "bibliography" / "seed-references.bib"
    text = bib.read_text(encoding="utf-8")
    first = text.index("@")
    second = text.index("@", first + 1)
    key = re.match(r"@\w+\{([^,]+),", text[first:]).group(1)
    text = text[:second] + re.sub(r"^(@\w+\{)[^,]+,", rf"\g<1>{key},", text[second:], count=1)
    bib.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--sources", str(sources_copy), "--db", str(sources_copy / "kb.db")])
    assert result.exit_code == 2
    line = text.count("\n", 0, second) + 1
    assert result.output.splitlines()[:2] == [
        f"Error: {bib}:{line}: duplicate citation key {key!r} (also on line {text.count(chr(10), 0, first) + 1})",
        "  fix: give each entry its own key",
    ]


def test_a_reference_list_in_latin1_is_read_and_the_build_says_so(tmp_path):
    """kb check and kb parse warned that a list was not UTF-8; kb build read it silently. The
    build keeps the warning as a not-utf8 problem of the file, once however many documents
    name it, and reads the accented names as Latin-1."""
    write_sources(
        tmp_path,
        {
            "refs.txt": "Löffler, E. (2012). Coproduction in Europe. Voluntas, 23, 1-10.\n".encode("latin-1"),
            **{
                f"{name}.md": f"---\nid: {name}\nreference_list: refs.txt\n---\n\nAs shown (Löffler, 2012).\n"
                for name in ("one", "two")
            },
        },
    )
    result = CliRunner().invoke(cli, ["build", "--quiet", "--sources", str(tmp_path)])
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(tmp_path / "kb.db")
    problems = list(db.query("select code, source, line, severity, work_id from problems where code = 'not-utf8'"))
    assert problems == [
        {"code": "not-utf8", "source": "bibliography/refs.txt", "line": 1, "severity": "warning", "work_id": None}
    ]
    assert [r["authors"] for r in db["works"].rows] == ["Löffler, E."]
    assert {r["status"] for r in db["citations"].rows} == {"ok"}


def test_front_matter_never_closed_is_an_error_and_an_empty_one_is_none(tmp_path):
    """A front matter whose closing '---' is missing was read as the document's first paragraph,
    its YAML published as text; an empty one ('---' twice) too. The first stops the build naming
    the file and line 1, the second is a document without front matter."""
    bib = write_sources(
        tmp_path,
        {
            "empty.md": "---\n---\n\nA claim (Ostrom, 1996).\n",
            "open.md": "---\nid: open\ntitle: Never closed\n\nA claim (Ostrom, 1996).\n",
        },
    )
    result = CliRunner().invoke(cli, ["build", "--sources", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.splitlines()[0] == f"Error: {bib / 'open.md'}:1: the front matter opened here is never closed"
    (bib / "open.md").unlink()
    assert CliRunner().invoke(cli, ["build", "--quiet", "--sources", str(tmp_path)]).exit_code == 0
    db = sqlite_utils.Database(tmp_path / "kb.db")
    assert [r["text"] for r in db["passages"].rows] == ["A claim (Ostrom, 1996)."]


def test_a_bib_in_latin1_is_read_as_kb_check_reads_it(tmp_path):
    """A .bib saved as Latin-1 stopped kb build ('not UTF-8 text'), where kb check, kb parse and a
    free-text or RIS list read it as Latin-1 with a warning: the build does the same."""
    write_sources(
        tmp_path,
        {
            "refs.bib": "@article{tomas2010, author={Villamayor Tomás, Sergio}, title={Irrigation}, "
            "journal={Ecology and Society}, year={2010}}\n".encode("latin-1"),
            "essay.md": "---\nid: essay\nreferences: refs.bib\n---\n\nAs shown (Villamayor Tomás, 2010).\n",
        },
    )
    result = CliRunner().invoke(cli, ["build", "--quiet", "--sources", str(tmp_path)])
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(tmp_path / "kb.db")
    problems = list(db.query("select code, source, line, severity from problems where code = 'not-utf8'"))
    assert problems == [{"code": "not-utf8", "source": "bibliography/refs.bib", "line": 1, "severity": "warning"}]
    assert [r["authors"] for r in db["works"].rows] == ["Villamayor Tomás, Sergio"]
    assert {r["status"] for r in db["citations"].rows} == {"ok"}
