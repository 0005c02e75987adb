"""The seed essay's 41 in-text citations, each checked by reading the reference list.

The table below was written by hand from bibliography/seed-references.txt (entry numbers are
positions in that list), not from the program's output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from corpus import write_sources

from kb.cli import cli

ESSAY = "bibliography/coproduction-essay.md"
ROOT_DIR = Path(__file__).resolve().parents[1]
BIB = "bibliography/seed-references.bib"

# (text as printed, status, reference, candidates, problems)
EXPECTED = [
    ("Percy, 1984", "ok", 24, [], []),
    ("Ostrom et al., 1878", "mismatch", 19, [], ["wrong-year"]),  # 1978 in the list
    ("Whitaker, 1980", "ok", 35, [], []),
    ("Parks et al, 1981", "mismatch", 21, [], ["malformed"]),  # "et al" without its full stop
    ("Rich et al, 1981", "mismatch", 28, [], ["et-al-for-few-authors", "malformed"]),  # Rich 1981 has one author
    ("Sharp, 1980", "ok", 31, [], []),
    ("Percy, 1984", "ok", 24, [], []),
    ("Percy, 1978", "ok", 23, [], []),
    ("Rich, 1979", "ok", 27, [], []),
    ("Rodentraub et al, 1980", "mismatch", 29, [], ["misspelt-name", "et-al-for-few-authors", "malformed"]),
    ("Thomas, 1999", "ok", 33, [], []),
    ("Rosentraub at al., 1987", "mismatch", 30, [], ["et-al-for-few-authors", "malformed"]),
    ("Brudney, 1990", "ok", 7, [], []),
    ("Ostrom, 1996", "ok", 20, [], []),
    ("Alford, 1998", "missing", None, [], ["missing-reference"]),  # only Alford 2009 and Alford & Yates 2016
    ("Hartley, 2005", "missing", None, [], ["missing-reference"]),
    ("Osborne, 2006", "ok", 16, [], []),
    ("Pestoff, 2012", "ambiguous", None, [25, 26], ["needs-year-suffix"]),
    ("Bovaird, 2007", "ok", 3, [], []),
    ("2016", "mismatch", 6, [], ["et-al-missing"]),  # Bovaird, Stoker, Jones, Loeffler and Pinilla
    ("Pestoff, 2012", "ambiguous", None, [25, 26], ["needs-year-suffix"]),
    ("Alford, 2009", "ok", 1, [], []),
    ("Pestoff, 2012", "ambiguous", None, [25, 26], ["needs-year-suffix"]),
    ("Bovaird et al., 2012", "ambiguous", None, [4, 5], ["et-al-for-few-authors", "needs-year-suffix"]),
    ("Osborne et al., 2013", "ok", 17, [], []),
    ("Farr, 2016", "ok", 8, [], []),
    ("Parrado, 2013", "mismatch", 22, [], ["et-al-missing"]),
    ("Wiewiora 2016", "mismatch", 36, [], ["et-al-missing", "malformed"]),  # and no comma
    ("Alford et al, 2016", "mismatch", 2, [], ["et-al-for-few-authors", "malformed"]),
    ("Bovaird, 2012", "ambiguous", None, [4, 5], ["co-author-missing", "needs-year-suffix"]),
    ("OECD, 2017", "ok", 15, [], []),
    ("Granier, 2016", "mismatch", 10, [], ["co-author-missing"]),
    ("Uppström, 2017", "mismatch", 34, [], ["co-author-missing"]),
    ("Marres, 2012", "ok", 13, [], []),
    ("Kavanaugh, 2014", "mismatch", 12, [], ["et-al-missing"]),
    ("van der Graaf et al., 2014", "mismatch", 9, [], ["et-al-for-few-authors"]),
    ("Osborne et al., 2016", "ok", 18, [], []),
    ("Linders, 2012", "ok", 11, [], []),
    ("Meijer, 2012", "ok", 14, [], []),
    ("OECD, 2017", "ok", 15, [], []),
    ("van der Graaff, 2014", "mismatch", 9, [], ["misspelt-name", "co-author-missing"]),
]

EXPECTED_FORMS = {
    "Ostrom et al., 1878": "Ostrom et al., 1978",
    "Rodentraub et al, 1980": "Rosentraub & Harlow, 1980",
    "Rich et al, 1981": "Rich, 1981",
    "Granier, 2016": "Granier & Kudo, 2016",
    "van der Graaff, 2014": "van der Graaf & Veeckman, 2014",
    "Wiewiora 2016": "Wiewiora et al., 2016",
}


def check_own_list(tmp_path, name: str, document: str) -> dict:
    """Write a document that ends with its own list, run `kb check` on it; the parsed JSON."""
    doc = tmp_path / name
    doc.write_text(document, encoding="utf-8")
    return json.loads(CliRunner().invoke(cli, ["check", str(doc), "--format", "json"]).output)


def check_files(tmp_path, document: str, refs_name: str, refs: str | bytes, *args: str):
    """Write a document and a reference list, run `kb check` on them; (result, parsed JSON or None)."""
    doc = tmp_path / "doc.md"
    doc.write_text(document, encoding="utf-8")
    path = tmp_path / refs_name
    if isinstance(refs, bytes):
        path.write_bytes(refs)
    else:
        path.write_text(refs, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc), "-r", str(path), "--format", "json", *args])
    try:
        return result, json.loads(result.output)
    except ValueError:
        return result, None


@pytest.fixture(scope="module")
def report(root):
    result = CliRunner().invoke(cli, ["check", str(root / ESSAY), "--references", str(root / BIB), "--format", "json"])
    assert result.exit_code == 1, result.output  # the seed has problems
    return json.loads(result.output)


def test_finds_exactly_the_41_citations(report):
    assert [c["text"] for c in report["citations"]] == [e[0] for e in EXPECTED]


@pytest.mark.parametrize("i", range(len(EXPECTED)), ids=[f"{i + 1}-{e[0]}" for i, e in enumerate(EXPECTED)])
def test_each_citation(report, i):
    text, status, reference, candidates, problems = EXPECTED[i]
    got = report["citations"][i]
    assert (got["status"], got["reference"], got["candidates"], got["problems"]) == (
        status,
        reference,
        candidates,
        problems,
    )


def test_spans_slice_the_document(report, root):
    text = (root / ESSAY).read_text(encoding="utf-8")
    for c in report["citations"]:
        assert text[c["start"] : c["end"]] == c["text"]


@pytest.mark.parametrize("printed,should", list(EXPECTED_FORMS.items()))
def test_message_says_what_the_citation_should_read(report, printed, should):
    got = next(c for c in report["citations"] if c["text"] == printed)
    assert f'"{should}"' in got["message"]


def test_uncited_and_list_problems(report):
    assert report["uncited"] == [32]  # Szkuta et al. 2014
    problems = {(p["reference"], code) for p in report["reference_problems"] for code in p["problems"]}
    assert {
        (12, "out-of-order"),  # Kavanaugh after Linders
        (19, "suspicious-pages"),  # pp. 381-381
        (21, "et-al-in-list"),  # R. B. Parks et al.
        (22, "truncated-author"),  # "R. van"
        (35, "container-equals-title"),  # Whitaker 1980
        (4, "inconsistent-author-spelling"),
        (5, "inconsistent-author-spelling"),  # Löffler / Loeffler
        (32, "uncited-reference"),
    } <= problems
    assert not any(code == "duplicate-entry" for _, code in problems)


def test_exit_code_0_when_all_is_well(tmp_path):
    result, report = check_files(
        tmp_path,
        "Coproduction matters (Bovaird, 2007) and Ostrom (1996) agrees.\n",
        "refs.bib",
        "@article{a, author={Bovaird, T.}, title={Beyond}, year={2007}}\n"
        "@article{b, author={Ostrom, E.}, title={Crossing}, year={1996}}\n",
    )
    assert result.exit_code == 0, result.output
    assert [(c["text"], c["status"]) for c in report["citations"]] == [("Bovaird, 2007", "ok"), ("Ostrom (1996)", "ok")]


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param("Technologies (ICTs, henceforth) matter.", id="abbreviation"),
        pytest.param("The sessions took place in 2018 and (1970-1980) before.", id="year-and-range"),
        pytest.param("See the portal (latvija.lv) for details.", id="not-a-citation"),
        pytest.param(
            "Elinor Ostrom, *Governing the Commons* (Cambridge: Cambridge University Press, 1990), 45.",
            id="a-notes-publication-facts",
        ),
    ],
)
def test_never_a_citation(tmp_path, sentence):
    _, report = check_files(
        tmp_path, sentence + "\n", "refs.bib", "@article{a, author={Bovaird, T.}, title={Beyond}, year={2007}}\n"
    )
    assert report["citations"] == []


def test_binary_reference_file_is_exit_2(tmp_path):
    result, _ = check_files(tmp_path, "Text (Bovaird, 2007).\n", "refs.bib", bytes(range(256)) * 4)
    assert result.exit_code == 2
    assert "refs.bib: binary data" in result.output and "Traceback" not in result.output


def test_unparseable_entry_is_reported_not_dropped(tmp_path):
    result, report = check_files(
        tmp_path,
        "Text (Bovaird, 2007).\n",
        "refs.bib",
        "@article{a, author={Bovaird, T.}, title={Beyond}, year={2007}}\n\n@article{b, title = {oops\n",
    )
    assert result.exit_code == 1
    assert report["citations"][0]["status"] == "ok"
    got = {p["reference"]: p["problems"] for p in report["reference_problems"]}
    assert "unparsed-reference" in got[2]
    assert "missing-year" not in got[2] and "missing-title" not in got[2]


def test_entry_without_a_title_is_reported(tmp_path):
    result, report = check_files(
        tmp_path,
        "Text (Bovaird, 2007).\n",
        "refs.bib",
        "@article{a, author={Bovaird, T.}, journal={Public Administration Review}, year={2007}}\n",
    )
    assert result.exit_code == 1
    assert report["citations"][0]["status"] == "ok"
    assert [p["problems"] for p in report["reference_problems"]] == [["missing-title"]]


def test_numbered_list_turns_on_numbered_citations(tmp_path):
    result, report = check_files(
        tmp_path,
        "Coproduction [2] and more [1, 2].\n",
        "refs.txt",
        "[1] T. Bovaird, “Beyond engagement,” Public Administration Review, vol. 67, 2007.\n"
        "[2] E. Ostrom, “Crossing the great divide,” World Development, vol. 24, 1996.\n",
    )
    assert result.exit_code == 0, result.output
    assert [(c["text"], c["reference"]) for c in report["citations"]] == [("[2]", 2), ("[1, 2]", 1), ("[1, 2]", 2)]


def test_reference_problems_are_grouped_per_entry(report):
    by_ref = {p["reference"]: p for p in report["reference_problems"]}
    assert sorted(by_ref[22]["problems"]) == ["inconsistent-author-spelling", "truncated-author"]
    assert len(by_ref) == len(report["reference_problems"])


TWO_BIB = (
    "@article{bovaird2007, author={Bovaird, T.}, title={Beyond}, year={2007}}\n"
    "@article{ostrom1996, author={Ostrom, E.}, title={Crossing}, year={1996}}\n"
)


def test_text_report_is_one_editor_line_per_problem(tmp_path):
    doc = tmp_path / "draft.md"
    doc.write_text(
        "# Draft\n\nCoproduction (Bovaird, 2007) works.\nAs Ostrom (1969) says, [2] too.\n", encoding="utf-8"
    )
    (tmp_path / "refs.bib").write_text(TWO_BIB, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc), "-r", str(tmp_path / "refs.bib")])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        f"{doc}:4:4: error: 'Ostrom (1969)': APA 7: should read \"Ostrom (1996)\" "
        "(the year is 1996 in the list, not 1969) [wrong-year]"
    )
    assert lines[1].startswith(
        f"{doc}:4:24: error: '[2]': APA 7: [2] is a numbered citation in an author-date document"
    )
    assert lines[1].endswith("[mixed-style]")
    assert lines[-1] == "3 citations: 1 ok, 1 mismatch, 0 ambiguous, 1 missing; 0 reference-list problems"


def test_json_report_gives_line_and_column(tmp_path):
    _, report = check_files(tmp_path, "Title\n\nText (Bovaird, 2007) and\nOstrom (1996).\n", "refs.bib", TWO_BIB)
    assert [(c["text"], c["line"], c["column"]) for c in report["citations"]] == [
        ("Bovaird, 2007", 3, 7),
        ("Ostrom (1996)", 4, 1),
    ]


def test_numbered_flag_against_an_author_date_list_is_reported(tmp_path):
    result, report = check_files(tmp_path, "Coproduction works [1].\n", "refs.bib", TWO_BIB, "--numbered")
    assert result.exit_code == 1
    assert [(c["status"], c["problems"]) for c in report["citations"]] == [("missing", ["mixed-style"])]


def test_document_with_its_own_reference_section(tmp_path):
    doc = tmp_path / "draft.md"
    doc.write_text(
        "# Draft\n\nCoproduction (Bovaird, 2007) works (Ostrom, 1996).\n\n## References\n\n"
        "- Bovaird, T. (2007). Beyond engagement and participation. *Public Administration Review*, "
        "67(5), 846–860.\n"
        "- Ostrom, E. (1996). Crossing the great divide: Coproduction, synergy, and development. "
        "*World Development*, 24(6), 1073–1087.\n"
        "- Whitaker, G. P. (1980). Coproduction: Citizen participation in service delivery. "
        "*Public Administration Review*, 40(3), 240–246.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", str(doc)])
    assert result.exit_code == 1, result.output
    # the list's lines are not body text (no citations read from them), and its problems point into the document
    assert result.output.splitlines() == [
        f"{doc}:9:1: warning: listed but never cited in the text [uncited-reference]",
        "2 citations: 2 ok, 0 mismatch, 0 ambiguous, 0 missing; 1 reference-list problems",
    ]


def test_document_without_a_list_is_a_clear_error(tmp_path):
    doc = tmp_path / "draft.md"
    doc.write_text("Coproduction (Bovaird, 2007) works.\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc)])
    assert result.exit_code == 2
    assert f"{doc}: no reference list to check against" in result.output
    assert "'## References' heading" in result.output and "Traceback" not in result.output


def test_csl_json_problems_name_the_item_line(tmp_path):
    refs = (
        '[\n  {"id": "bovaird2007", "type": "book", "title": "Beyond", "author": [{"family": "Bovaird"}],\n'
        '   "issued": {"date-parts": [[2007]]}},\n'
        '  {"id": "ostrom1996", "type": "book", "author": [{"family": "Ostrom"}],\n'
        '   "issued": {"date-parts": [[1996]]}}\n]\n'
    )
    doc = tmp_path / "draft.md"
    doc.write_text("Text [@bovaird2007] and @ostrom1996.\n", encoding="utf-8")
    (tmp_path / "refs.json").write_text(refs, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc), "-r", str(tmp_path / "refs.json")])
    assert f"{tmp_path / 'refs.json'}:4:1: warning: no title found" in result.output
    assert "None" not in result.output


def test_latex_draft_against_bibtex_keys(tmp_path):
    doc = tmp_path / "draft.tex"
    doc.write_text(
        "\\section{Intro}\nCoproduction \\citep[p.~5]{bovaird2007} and \\citet{ostrom1996,ostrom1997}.\n",
        encoding="utf-8",
    )
    (tmp_path / "refs.bib").write_text(TWO_BIB, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc), "-r", str(tmp_path / "refs.bib"), "--format", "json"])
    report = json.loads(result.output)
    assert [(c["text"], c["status"], c["reference"]) for c in report["citations"]] == [
        ("bovaird2007", "ok", 1),
        ("ostrom1996", "ok", 2),
        ("ostrom1997", "missing", None),
    ]
    assert "did you mean 'ostrom1996'?" in report["citations"][2]["message"]


def test_front_matter_names_the_list(tmp_path):
    doc = tmp_path / "paper.md"
    doc.write_text(
        "---\ntitle: A pandoc draft\nbibliography: refs.bib\n---\n\nSee [@ostrom1996, p. 5] and @bovaird2008.\n",
        encoding="utf-8",
    )
    (tmp_path / "refs.bib").write_text(TWO_BIB, encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc)])
    assert result.output.splitlines()[0] == (
        f"{doc}:6:29: error: '@bovaird2008': no entry with the key "
        "'bovaird2008' in the list; did you mean 'bovaird2007'? [missing-reference]"
    )


def test_undated_entries_are_not_missing_a_year(tmp_path):
    doc = tmp_path / "draft.md"
    doc.write_text(
        "A frame (Osborne, in press) and a site (OECD, n.d.).\n\n## References\n\n"
        "OECD. (n.d.). Together for better public services. OECD Publishing.\n"
        "Osborne, S. P. (in press). From public service-dominant logic to public service logic. "
        "Public Management Review.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", str(doc), "--format", "json"])
    report = json.loads(result.output)
    assert [(c["text"], c["status"]) for c in report["citations"]] == [
        ("Osborne, in press", "ok"),
        ("OECD, n.d.", "ok"),
    ]
    assert report["reference_problems"] == []
    assert result.exit_code == 0


def test_a_citation_across_lines_is_reported_on_one_line(tmp_path):
    result, _ = check_files(tmp_path, "Text (Bovaird &\nOstrom, 2007).\n", "refs.bib", TWO_BIB)
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "doc.md"), "-r", str(tmp_path / "refs.bib")])
    assert result.output.splitlines()[0] == (
        f"{tmp_path / 'doc.md'}:1:7: warning: 'Bovaird & Ostrom, 2007': APA 7: should read \"Bovaird, 2007\" "
        "(this work has one author: Ostrom is not one of them) [wrong-co-author]"
    )


def _checked(args: list[str], monkeypatch, apart: bool) -> tuple[int, str]:
    """kb check with the list read in another process (as for a long document and a long list,
    whatever their size here) or in this one."""
    import kb.cli

    monkeypatch.setattr(kb.cli, "CHECK_APART_FROM", 1 if apart else 10**12)
    monkeypatch.setenv("KB_WORKERS", "2" if apart else "1")
    result = CliRunner().invoke(cli, ["check", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_list_read_in_another_process_gives_the_same_report(tmp_path, monkeypatch, fmt):
    own = tmp_path / "draft.md"
    own.write_text(
        "# Draft\n\nCoproduction (Bovaird, 2007) works (Ostrom, 1996; Whitaker, 1981).\n\n## References\n\n"
        "- Bovaird, T. (2007). Beyond engagement and participation. *Public Administration Review*, "
        "67(5), 846–860.\n"
        "- Whitaker, G. P. (1980). Coproduction: Citizen participation in service delivery. "
        "*Public Administration Review*, 40(3), 240–246.\n",
        encoding="utf-8",
    )
    for args in ([ESSAY, "--references", BIB], [ESSAY, "--references", "bibliography/seed-references.txt"], [str(own)]):
        args = [*args, "--format", fmt]
        alone = _checked(args, monkeypatch, apart=False)
        assert alone[0] == 1 and "citations" in alone[1]
        assert _checked(args, monkeypatch, apart=True) == alone


def test_a_list_that_fails_in_another_process_is_reported_as_here(tmp_path, monkeypatch):
    (tmp_path / "refs.bib").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "refs.json").write_text('[\n  {"id": "a",\n   "title": }\n]\n', encoding="utf-8")
    doc = tmp_path / "draft.md"
    doc.write_text("Text (Bovaird, 2007).\n", encoding="utf-8")
    for refs, said in (("refs.bib", "refs.bib: binary data"), ("refs.json", "refs.json:3: invalid JSON")):
        args = [str(doc), "--references", str(tmp_path / refs)]
        alone = _checked(args, monkeypatch, apart=False)
        assert alone[0] == 2 and said in alone[1] and "fix:" in alone[1] and "Traceback" not in alone[1]
        assert _checked(args, monkeypatch, apart=True) == alone


@pytest.mark.parametrize(
    "front, line, said",
    [
        ('id: x\ntitle: "unclosed\n', 3, "found unexpected end of stream (while scanning a quoted scalar)"),
        ("id: x\nkind: essay\ntitle: a: b\n", 4, "mapping values are not allowed"),
    ],
)
@pytest.mark.parametrize("apart", [False, True])
def test_broken_front_matter_names_the_file_line(tmp_path, monkeypatch, front, line, said, apart):
    """Also when the list named on the command line was already being read in another process
    (a long document and a long list), which the error stops."""
    import multiprocessing

    doc = tmp_path / "draft.md"
    doc.write_text(f"---\n{front}---\nText (Bovaird, 2007).\n", encoding="utf-8")
    (tmp_path / "refs.bib").write_text("@article{a, author={Bovaird, T.}, title={Beyond}, year={2007}}\n")
    code, output = _checked([str(doc), "-r", str(tmp_path / "refs.bib")], monkeypatch, apart)
    assert code == 2
    first, fix = output.splitlines()[:2]
    assert first.startswith(f"Error: {doc}:{line}: invalid front matter: ") and said in first
    assert "<unicode string>" not in output and fix.startswith("  fix: ")
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_command_writes_all_of_its_report_before_its_quick_exit(tmp_path, fmt, kb_command):
    """``kb check`` ends without freeing its objects one by one (kb.cli.main): what it writes to a
    pipe and to a file, and its exit code, are those of the command run in this process."""
    import subprocess

    args = ["check", ESSAY, "--references", BIB, "--format", fmt]
    here = CliRunner().invoke(cli, args)
    assert here.exit_code == 1 and len(here.stdout) > 2_000
    piped = subprocess.run(kb_command + args, capture_output=True, text=True)
    assert (piped.returncode, piped.stdout) == (1, here.stdout)
    with open(tmp_path / "report", "w") as out:
        to_file = subprocess.run(kb_command + args, stdout=out, stderr=subprocess.PIPE, text=True)
    assert to_file.returncode == 1 and to_file.stderr == ""
    assert (tmp_path / "report").read_text() == here.stdout


ALL_OK = "{0} citations: {0} ok, 0 mismatch, 0 ambiguous, 0 missing; 0 reference-list problems\n"


def _alike(one: list[str], other: list[str]) -> str:
    """kb check run two ways that must read the same list: both exit 0 with the same report,
    which is returned."""
    a, b = (CliRunner().invoke(cli, ["check", *args]) for args in (one, other))
    assert (a.exit_code, a.output) == (b.exit_code, b.output) == (0, a.output)
    return a.output


def test_a_document_of_the_knowledge_base_is_checked_against_the_list_it_names():
    """A citing document of kb's own sources names its list as kb build reads it: kb check on
    the second essay, whose front matter has only ``reference_list:``, said there was no list."""
    fixture = "tests/fixtures/second-essay/"
    named = [fixture + "second-essay.md"]
    assert _alike(named, [*named, "-r", fixture + "second-essay-references.txt"]) == ALL_OK.format(4)


@pytest.mark.parametrize("heading", ["Sources of literature", "References", "REFERENCES:", "Bibliography"])
def test_a_plain_text_draft_has_its_list_after_a_line_naming_it(tmp_path, heading):
    """Plain text has no headings: its list starts after a line of its own naming it (the seed
    blog post's "Sources of literature"). kb check on such a .txt said there was no list; the
    same draft as Markdown, with a '## References' heading, gives the same report."""
    entries = (ROOT_DIR / "bibliography" / "seed-references.txt").read_text(encoding="utf-8").splitlines()[:3]
    body = "Coproduction (Alford, 2009) in Australia (Alford & Yates, 2016) and beyond (Bovaird, 2007).\n"
    plain = tmp_path / "draft.txt"
    plain.write_text(f"{body}{heading}\n" + "\n".join(entries) + "\n", encoding="utf-8")
    markdown = tmp_path / "draft.md"
    markdown.write_text(f"{body}\n## References\n\n" + "\n".join(entries) + "\n", encoding="utf-8")
    assert _alike([str(plain)], [str(markdown)]) == ALL_OK.format(3)


@pytest.mark.parametrize(
    "bold",
    ["**References**", "__Bibliography__", "**Sources of literature:**", "References\n==========", "Works cited\n---"],
)
def test_a_bold_line_naming_the_list_starts_it_in_markdown(tmp_path, bold):
    """A word processor's Markdown export writes the list's heading as a bold line; Markdown's
    other heading underlines it."""
    entries = (ROOT_DIR / "bibliography" / "seed-references.txt").read_text(encoding="utf-8").splitlines()[:3]
    body = "Coproduction (Alford, 2009) in Australia (Alford & Yates, 2016) and beyond (Bovaird, 2007).\n"
    exported, headed = tmp_path / "exported.md", tmp_path / "headed.md"
    exported.write_text(f"{body}\n{bold}\n\n" + "\n".join(f"- {e}" for e in entries) + "\n", encoding="utf-8")
    headed.write_text(f"{body}\n## References\n\n" + "\n".join(entries) + "\n", encoding="utf-8")
    assert _alike([str(exported)], [str(headed)]) == ALL_OK.format(3)


def test_a_line_naming_the_list_is_no_heading_in_markdown(tmp_path):
    """In Markdown only a heading starts the list: a paragraph that is the one word "Sources"
    stays text."""
    doc = tmp_path / "draft.md"
    doc.write_text("Coproduction (Bovaird, 2007).\n\nSources\n\nMore text (Ostrom, 1996).\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc)])
    assert result.exit_code == 2 and "no reference list to check against" in result.output


# a BibTeX database: two entries a draft cites, one it does not (cut short, out of order)
DATABASE_BIB = (
    "@article{ostrom1996, author={Ostrom, E.}, title={Crossing}, year={1996}}\n"
    "@article{bovaird2007, author={Bovaird, T.}, title={Beyond}, year={2007}}\n"
    "@article{alford2009, author={van, R.}, title={Engaging}, year={2009}}\n"
)


@pytest.mark.parametrize(
    "names",
    ["\\bibliography{refs}", "\\addbibresource{refs.bib}", "% \\bibliography{old}\n\\bibliography{other,refs}"],
)
def test_a_latex_draft_is_checked_against_the_bib_it_names(tmp_path, names):
    (tmp_path / "refs.bib").write_text(DATABASE_BIB, encoding="utf-8")
    (tmp_path / "other.bib").write_text("@book{marres2012, author={Marres, N.}, title={Material}, year={2012}}\n")
    doc = tmp_path / "draft.tex"
    doc.write_text(f"Coproduction \\citep{{bovaird2007}} and \\citet{{ostrom1996}}.\n{names}\n", encoding="utf-8")
    assert _alike([str(doc)], [str(doc), "-r", str(tmp_path / "refs.bib")]) == ALL_OK.format(2)


def test_a_latex_draft_naming_a_missing_bib_says_which(tmp_path):
    doc = tmp_path / "draft.tex"
    doc.write_text("Coproduction \\citep{bovaird2007}.\n\\bibliography{refs}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc)])
    assert result.exit_code == 2
    assert "the document names the list 'refs.bib', which is not a file next to it" in result.output


def test_a_database_is_not_a_printed_list(tmp_path):
    """Cited by key, a .bib is a database: what the draft does not cite is not printed, nor are
    its mistakes (nor is the list's order the draft's). Cited by author and year, the same
    entries are the printed list, and each of those is a problem."""
    (tmp_path / "refs.bib").write_text(DATABASE_BIB, encoding="utf-8")
    by_key = tmp_path / "draft.md"
    by_key.write_text("Coproduction [@bovaird2007; @ostrom1996].\n", encoding="utf-8")
    by_name = tmp_path / "essay.md"
    by_name.write_text("Coproduction (Bovaird, 2007; Ostrom, 1996).\n", encoding="utf-8")
    refs = str(tmp_path / "refs.bib")
    assert CliRunner().invoke(cli, ["check", str(by_key), "-r", refs]).exit_code == 0
    printed = CliRunner().invoke(cli, ["check", str(by_name), "-r", refs])
    assert printed.exit_code == 1
    codes = re.findall(r"\[([a-z-]+)\]", printed.output)
    assert {"uncited-reference", "truncated-author"} <= set(codes)


def test_a_database_keeps_no_order(tmp_path):
    (tmp_path / "refs.bib").write_text(
        "".join(
            f"@article{{{key}, author={{{name}, A.}}, title={{T{key}}}, year={{{year}}}}}\n"
            for key, name, year in [
                ("alford", "Alford", 2009),
                ("bovaird", "Bovaird", 2007),
                ("brudney", "Brudney", 1990),
                ("linders", "Linders", 2012),
                ("marres", "Marres", 2012),
                ("osborne", "Osborne", 2006),
                ("whitaker", "Whitaker", 1980),
                ("ostrom", "Ostrom", 1996),  # after Whitaker: out of alphabetical order
            ]
        ),
        encoding="utf-8",
    )
    refs = str(tmp_path / "refs.bib")
    by_key, by_name = tmp_path / "draft.md", tmp_path / "essay.md"
    by_key.write_text("Coproduction [@ostrom; @alford].\n", encoding="utf-8")
    by_name.write_text("Coproduction (Ostrom, 1996; Alford, 2009).\n", encoding="utf-8")
    assert "out-of-order" not in CliRunner().invoke(cli, ["check", str(by_key), "-r", refs]).output
    assert "out-of-order" in CliRunner().invoke(cli, ["check", str(by_name), "-r", refs]).output


def test_front_matter_may_name_several_lists(tmp_path):
    """pandoc's ``bibliography:`` takes a list of files: each is read, one after the other."""
    (tmp_path / "a.bib").write_text(TWO_BIB, encoding="utf-8")
    (tmp_path / "b.bib").write_text("@book{marres2012, author={Marres, N.}, title={Material}, year={2012}}\n")
    doc = tmp_path / "draft.md"
    doc.write_text("---\nbibliography: [a.bib, b.bib]\n---\n\nCoproduction [@bovaird2007; @marres2012].\n")
    result = CliRunner().invoke(cli, ["check", str(doc), "--format", "json"])
    report = json.loads(result.output)
    assert [(c["text"], c["status"], c["reference"]) for c in report["citations"]] == [
        ("@bovaird2007", "ok", 1),
        ("@marres2012", "ok", 3),
    ]


@pytest.mark.parametrize("nocite, reported", [("", False), ("'@alford2009'", True), ("'@*'", True)])
def test_pandoc_prints_what_nocite_names(tmp_path, nocite, reported):
    """Entries pandoc's ``nocite`` names are printed though never cited: their mistakes are
    reported (alford2009's author is cut short), and still none is 'never cited'."""
    (tmp_path / "refs.bib").write_text(DATABASE_BIB, encoding="utf-8")
    doc = tmp_path / "draft.md"
    front = (
        f"---\nbibliography: refs.bib\nnocite: {nocite}\n---\n\n" if nocite else "---\nbibliography: refs.bib\n---\n\n"
    )
    doc.write_text(front + "Coproduction [@bovaird2007; @ostrom1996].\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(doc)])
    assert ("[truncated-author]" in result.output) is reported
    assert result.exit_code == (1 if reported else 0) and "uncited-reference" not in result.output


def test_the_letters_a_list_prints_are_the_works_own(tmp_path):
    """A list that prints 2014a and 2014b (an eLife article's, whose letters do not follow the
    titles' order): each citation of a letter is the work printed with it, and is ok (kb used to
    give the letters by title and call both citations wrong, each "should read" the other)."""
    result, out = check_files(
        tmp_path,
        "Models were fitted (Bates et al., 2014a) as described (Bates et al., 2014b).\n",
        "refs.txt",
        "Bates D, Maechler M, Bolker B, Walker S. 2014a. lme4: linear mixed-effects models using Eigen and S4. "
        "R package version 1.1-7.\n"
        "Bates D, Maechler M, Bolker B, Walker S. 2014b. Fitting linear mixed-effects models using lme4. ArXiv.\n",
    )
    cited = out["citations"]
    assert [(c["text"], c["status"], c["reference"], c["problems"]) for c in cited] == [
        ("Bates et al., 2014a", "ok", 1, []),
        ("Bates et al., 2014b", "ok", 2, []),
    ]
    assert result.exit_code == 0


def test_an_apa_list_orders_one_author_s_year_as_its_letters(tmp_path):
    """kb cite in APA: the works of one author and year in the order of their letters, both
    ignoring a leading "The" (2004b had been printed before 2004a)."""
    write_sources(
        tmp_path,
        {
            "refs.bib": "@article{suz, author = {Cao, R. and Zhang, Y.}, title = {SUZ12 is required for both activities},"
            " journal = {Mol Cell}, year = {2004}}\n"
            "@article{fun, author = {Cao, R. and Zhang, Y.}, title = {The functions of E(Z)/EZH2-mediated methylation},"
            " journal = {Curr Opin Genet Dev}, year = {2004}}\n",
            "paper.md": "---\nid: paper\nreferences: refs.bib\n---\n\nSee (Cao & Zhang, 2004a, 2004b).\n",
        },
    )
    assert CliRunner().invoke(cli, ["build", "--quiet", "--sources", str(tmp_path)]).exit_code == 0
    result = CliRunner().invoke(cli, ["cite", "--db", str(tmp_path / "kb.db"), "--format", "apa"])
    lines = result.output.splitlines()
    assert [m.group() for line in lines if (m := re.search(r"\(2004.\)", line))] == ["(2004a)", "(2004b)"], (
        result.output
    )
    assert "The functions" in lines[0] and "SUZ12" in lines[1]


def test_a_house_style_of_et_al_from_three_authors_is_followed(tmp_path):
    """eLife writes "Cao and Zhang, 2004" (Harvard's "and") and "Pasini et al., 2004" for three
    authors (Harvard wants four before "et al."): a document that shortens three authors more
    often than it names them is checked against its own rule (65 false warnings in four eLife
    articles); one that mostly names all three is still told of the odd "et al."."""
    refs = (
        "Cao R, Zhang Y. 2004. SUZ12 is required. Mol Cell 15:57-67.\n"
        "Pasini D, Bracken AP, Helin K. 2004. Polycomb group proteins in cell cycle progression. Cell Cycle 3:396-400.\n"
        "Xu C, Bian C, Yang W. 2010. Binding of different histone marks. PNAS 107:19266-19271.\n"
    )
    _, out = check_files(
        tmp_path,
        "As shown (Cao and Zhang, 2004; Pasini et al., 2004; Xu et al., 2010). Again (Xu et al., 2010).\n",
        "refs.txt",
        refs,
    )
    assert [(c["text"], c["status"], c["problems"]) for c in out["citations"]] == [
        ("Cao and Zhang, 2004", "ok", []),
        ("Pasini et al., 2004", "ok", []),
        ("Xu et al., 2010", "ok", []),
        ("Xu et al., 2010", "ok", []),
    ]
    _, out = check_files(
        tmp_path,
        "As shown (Cao and Zhang, 2004; Pasini, Bracken and Helin, 2004; Xu, Bian and Yang, 2010; Pasini et al., 2004).\n",
        "refs.txt",
        refs,
    )
    flagged = [(c["text"], c["problems"]) for c in out["citations"] if c["problems"]]
    assert flagged == [("Pasini et al., 2004", ["et-al-for-few-authors"])]


def test_an_organisation_the_list_names_is_cited_by_its_whole_name(tmp_path):
    """'Department of Energy (2008)' was found as 'Energy (2008)' and an eLife article's
    '(United Nations, Department of Economic and Social Affairs, Population Division, 2013)' as
    'Population Division, 2013': both missing, though the list names them. The name is made
    whole where the text prints the rest of it; a surname that only ends like one is left be."""
    refs = (
        "Department of Energy. (2008). 20% wind energy by 2030. DOE.\n"
        "United Nations, Department of Economic and Social Affairs, Population Division. (2013). "
        "World population prospects. United Nations.\n"
        "Energy, J. (2010). A person named Energy. Journal of Names, 1, 1-2.\n"
    )
    text = (
        "As the Department of Energy (2008) projects, and as forecast "
        "(United Nations, Department of Economic and Social Affairs, Population Division, 2013). "
        "Energy (2010) disagrees.\n"
    )
    _, out = check_files(tmp_path, text, "refs.txt", refs)
    got = [(c["text"], c["status"], c["reference"]) for c in out["citations"]]
    assert got == [
        ("Department of Energy (2008)", "ok", 1),
        ("United Nations, Department of Economic and Social Affairs, Population Division, 2013", "ok", 2),
        ("Energy (2010)", "ok", 3),
    ]
    assert [text[c["start"] : c["end"]] for c in out["citations"]] == [t for t, _, _ in got]


def test_et_al_is_the_rule_of_a_numbered_list_and_of_chicago_after_seven(tmp_path):
    """'et al.' after six authors is Vancouver's rule (and after seven Chicago's): no
    et-al-in-list there, as there was for every such entry; an author-date list naming one
    author before it is told, as ever. Harvard's single quotes come off the title."""
    vancouver = (
        "1. Chaudhry SI, Mattera JA, Curtis JP, Spertus JA, Herrin J, Lin Z, et al. Telemonitoring in patients "
        "with heart failure. N Engl J Med. 2010;363(24):2301-9.\n"
    )
    _, out = check_files(tmp_path, "Telemonitoring helps [1].\n", "refs.txt", vancouver)
    assert out["citations"][0]["status"] == "ok"
    assert [code for p in out["reference_problems"] for code in p["problems"]] == []
    harvard = "Parks, R.B. et al. (1981) 'Consumers as coproducers of public services', Policy Studies Journal, 9(7), pp. 1001-1011.\n"
    _, out = check_files(tmp_path, "As argued (Parks et al., 1981).\n", "refs.txt", harvard)
    assert [code for p in out["reference_problems"] for code in p["problems"]] == ["et-al-in-list"]
    result = CliRunner().invoke(cli, ["parse", str(tmp_path / "refs.txt"), "--csl"])
    assert json.loads(result.output)[0]["title"] == "Consumers as coproducers of public services"


def test_a_year_letter_the_list_does_not_give_is_told(tmp_path):
    """ "(Dietz, Ostrom, & Stern, 2003a)" for their one work of 2003 resolved without a word;
    it is an extra-year-suffix warning now. A letter the list prints is the work's own."""
    refs = (
        "Dietz, T., Ostrom, E., & Stern, P. C. (2003). The struggle to govern the commons. Science, 302, 1907-1912.\n"
        "Brandsen, T. (2016a). Co-production. Public Administration, 94, 1-5.\n"
    )
    _, out = check_files(tmp_path, "Commons (Dietz, Ostrom, & Stern, 2003a; Brandsen, 2016a).\n", "refs.txt", refs)
    got = [(c["text"], c["status"], c["problems"], c["message"]) for c in out["citations"]]
    assert got[0][:3] == ("Dietz, Ostrom, & Stern, 2003a", "mismatch", ["et-al-missing", "extra-year-suffix"])
    assert got[0][3].startswith('APA 7: should read "Dietz et al., 2003" (')
    assert got[0][3].endswith("the list has one work by these authors in 2003: no letter after the year)")
    assert got[1][:3] == ("Brandsen, 2016a", "ok", [])


def test_an_apa_group_author_s_abbreviation_stands_for_it(tmp_path):
    """APA 7 gives a group author's abbreviation at its first citation, "World Health
    Organization [WHO] (2020)" or "(World Health Organization [WHO], 2020)", and uses it after,
    "(WHO, 2020)". The first was not seen at all and the second was missing, the entry uncited."""
    refs = "World Health Organization. (2020). Decade of healthy ageing: Baseline report. WHO.\n"
    text = (
        "The World Health Organization [WHO] (2020) says so. Others agree "
        "(World Health Organization [WHO], 2020). Again (WHO, 2020).\n"
    )
    _, out = check_files(tmp_path, text, "refs.txt", refs)
    assert [(c["text"], c["status"], c["reference"]) for c in out["citations"]] == [
        ("World Health Organization [WHO] (2020)", "ok", 1),
        ("World Health Organization [WHO], 2020", "ok", 1),
        ("WHO, 2020", "ok", 1),
    ]
    assert out["uncited"] == []


def test_a_citation_without_the_letter_the_list_prints_is_told_to_add_it_not_the_list(tmp_path):
    """ "Green (2005)" against a list that prints 2005a and 2005b was told to "add year suffixes
    to the list", which has them; it is told which letters to cite."""
    refs = (
        "Green, D. (2005a). Alpha governance. Journal A, 1, 1-2.\n"
        "Green, D. (2005b). Beta governance. Journal B, 2, 3-4.\n"
    )
    _, out = check_files(tmp_path, "As Green (2005) shows, and (Green, 2005a; Green, 2005b).\n", "refs.txt", refs)
    first = out["citations"][0]
    assert (first["status"], first["problems"]) == ("ambiguous", ["needs-year-suffix"])
    assert "add year suffixes" not in first["message"]
    assert first["message"].endswith(
        'the list tells them apart by their year letters: cite "Green (2005a)" or "Green (2005b)"'
    )


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(["Brandsen", "de Vries", "Dietz", "Ostrom", "Pestoff"], id="under-D"),
        pytest.param(["Brandsen", "Dietz", "Ostrom", "Pestoff", "de Vries"], id="under-V"),
    ],
)
def test_a_name_with_a_particle_may_be_filed_under_either_letter(tmp_path, order):
    """'de Vries' is filed under D in English lists and under V in Dutch ones: neither is out of
    order ("Dietz should come before de Vries" was a false alarm). Filed under W, it is."""

    def listed(names):
        return "".join(f"{n}, A. (2001). Title {i}. Journal, 1, 1-2.\n" for i, n in enumerate(names))

    _, out = check_files(tmp_path, "Text.\n", "refs.txt", listed(order))
    codes = [code for p in out["reference_problems"] for code in p["problems"]]
    assert "out-of-order" not in codes
    _, out = check_files(
        tmp_path,
        "Text.\n",
        "refs.txt",
        listed(["Brandsen", "Dietz", "Ostrom", "Pestoff", "Sharp", "Whitaker", "de Vries"]),
    )
    flagged = [p for p in out["reference_problems"] if "out-of-order" in p["problems"]]
    assert [p["reference"] for p in flagged] == [7]


def test_a_republished_work_is_cited_by_both_years_and_resolves_to_the_edition(tmp_path):
    """APA cites a republished work by both years, "Freud (1900/1953)", "(Kant, 1781/1998)"; the
    list has the edition read (1953, "Original work published 1900"). Not seen before: their
    entries were reported as never cited."""
    refs = (
        "Freud, S. (1953). The interpretation of dreams. Hogarth Press. (Original work published 1900)\n"
        "Kant, I. (1998). Critique of pure reason. Cambridge University Press. (Original work published 1781)\n"
    )
    _, out = check_files(tmp_path, "As Freud (1900/1953) put it, and others (Kant, 1781/1998).\n", "refs.txt", refs)
    assert [(c["text"], c["status"], c["reference"]) for c in out["citations"]] == [
        ("Freud (1900/1953)", "ok", 1),
        ("Kant, 1781/1998", "ok", 2),
    ]
    assert out["uncited"] == []


def test_a_secondary_citation_cites_the_work_read_not_the_one_it_quotes(tmp_path):
    """ "(Taylor, 1911, as cited in Green, 2005)": APA lists only Green; Taylor was reported
    missing, with a fix to add him to the list."""
    refs = "Green, D. (2005). Management classics revisited. Journal A, 1, 1-2.\n"
    _, out = check_files(tmp_path, "Work was measured (Taylor, 1911, as cited in Green, 2005).\n", "refs.txt", refs)
    assert [(c["text"], c["status"]) for c in out["citations"]] == [("Green, 2005", "ok")]


def test_a_two_word_surname_ends_a_list_of_authors(tmp_path):
    """ "(Cox, Arnold, and Villamayor Tomás 2010)" was read as "Villamayor Tomás 2010" alone: a
    false missing and a false uncited."""
    refs = "Cox, M., Arnold, G., & Villamayor Tomás, S. (2010). A review of design principles. Ecology and Society, 15, 38.\n"
    _, out = check_files(tmp_path, "Principles hold (Cox, Arnold, & Villamayor Tomás, 2010).\n", "refs.txt", refs)
    assert [(c["text"], c["status"], c["reference"]) for c in out["citations"]] == [
        ("Cox, Arnold, & Villamayor Tomás, 2010", "mismatch", 1)  # APA 7: three authors are "Cox et al."
    ]
    assert out["citations"][0]["problems"] == ["et-al-missing"]


def test_an_ampersand_in_a_narrative_citation_is_told(tmp_path):
    """APA 7 joins two authors with "&" in parentheses and "and" in the running text:
    "Brandsen & Honingh (2016) argue" passed without a word."""
    refs = (
        "Brandsen, T., & Honingh, M. (2016). Distinguishing different types of coproduction. "
        "Public Administration Review, 76(3), 427-435.\n"
    )
    _, out = check_files(
        tmp_path,
        "Brandsen & Honingh (2016) argue it. Brandsen and Honingh (2016) agree (Brandsen & Honingh, 2016).\n",
        "refs.txt",
        refs,
    )
    got = [(c["text"], c["status"], c["problems"]) for c in out["citations"]]
    assert got == [
        ("Brandsen & Honingh (2016)", "mismatch", ["malformed"]),
        ("Brandsen and Honingh (2016)", "ok", []),
        ("Brandsen & Honingh, 2016", "ok", []),
    ]
    assert out["citations"][0]["message"] == (
        "APA 7: should read \"Brandsen and Honingh (2016)\" ('and' between the authors in the running text "
        "('&' is for citations in parentheses))"
    )


def test_an_undated_work_s_letter_chooses_between_two(tmp_path):
    """APA writes two in-press works of one author "in press-a" and "in press-b" (by title): each
    was ambiguous, the message offering "[3] None?" to add to the list."""
    refs = (
        "Nguyen, T. (in press). Another study of portals. Journal A.\n"
        "Nguyen, T. (in press). Beyond the portal. Journal B.\n"
    )
    _, out = check_files(tmp_path, "Two studies (Nguyen, in press-a; Nguyen, in press-b).\n", "refs.txt", refs)
    assert [(c["text"], c["status"], c["reference"]) for c in out["citations"]] == [
        ("Nguyen, in press-a", "ok", 1),
        ("Nguyen, in press-b", "ok", 2),
    ]
    _, out = check_files(tmp_path, "Two studies (Nguyen, in press).\n", "refs.txt", refs)
    assert out["citations"][0]["status"] == "ambiguous"
    assert "None" not in out["citations"][0]["message"]


def test_a_plain_line_naming_the_list_before_references_starts_it_in_markdown(tmp_path):
    """A draft pasted from a word processor into a .md file loses the heading's "#": its
    "Reference List" line, followed by what reads as references, starts the list (kb check
    stopped with 'no reference list to check against', where the same text as .txt was checked)."""
    entries = (ROOT_DIR / "bibliography" / "seed-references.txt").read_text(encoding="utf-8").splitlines()[:3]
    body = "Coproduction (Alford, 2009) in Australia (Alford & Yates, 2016) and beyond (Bovaird, 2007).\n"
    pasted, headed = tmp_path / "pasted.md", tmp_path / "headed.md"
    pasted.write_text(f"{body}\nReference List\n\n" + "\n\n".join(entries) + "\n", encoding="utf-8")
    headed.write_text(f"{body}\n## References\n\n" + "\n".join(entries) + "\n", encoding="utf-8")
    assert _alike([str(pasted)], [str(headed)]) == ALL_OK.format(3)


def test_a_work_without_author_is_filed_by_its_title():
    """'"Elinor Ostrom: Facts." NobelPrize.org, 2009' between Dietz and Feeny is in order (filed
    by its title, as MLA, APA and Chicago file it); it was called out of order, 'before Dietz'."""
    from kb.records import Work
    from kb.resolve import check_references

    def work(i: int, family: str | None, title: str) -> Work:
        csl = {"id": f"w{i}", "title": title, "issued": {"date-parts": [[2000 + i]]}}
        if family:
            csl["author"] = [{"family": family, "given": "A."}]
        return Work(csl, position=i)

    works = [work(1, "Agrawal", "A"), work(2, "Baland", "B"), work(3, "Dietz", "C"), work(4, None, "Elinor Ostrom")]
    works += [work(5, "Feeny", "D"), work(6, None, "The Gardens"), work(7, "Hardin", "E"), work(8, None, "Zebras")]
    works += [work(9, "Ostrom", "F")]
    late = [(p.work_id, p.message) for p in check_references(works) if p.code == "out-of-order"]
    assert late == [("w9", "out of alphabetical order: should come before 'Zebras' (entry 8)")]


def test_mla_and_nature_lists_may_shorten_with_et_al(tmp_path):
    """MLA names one author and 'et al.' from three ('Berkes, Fikret, et al. "The Benefits ..."'),
    Nature after five: kb check told both to name every author. An APA entry still is told."""
    doc = tmp_path / "draft.md"
    doc.write_text(
        "# Draft\n\nCommons (Berkes et al., 1989), biodiversity (Cardinale et al., 2012), trust (Ostrom et al., 2003)."
        "\n\n## References\n\n"
        'Berkes, Fikret, et al. "The Benefits of the Commons." Nature, vol. 340, no. 6229, 1989, pp. 91-93.\n\n'
        "Cardinale, B. J. et al. Biodiversity loss and its impact on humanity. Nature 486, 59-67 (2012).\n\n"
        "Ostrom, E., et al. (2003). Trust and reciprocity. Russell Sage Foundation.\n",
        encoding="utf-8",
    )
    out = CliRunner().invoke(cli, ["check", str(doc)]).output
    flagged = [line for line in out.splitlines() if "[et-al-in-list]" in line]
    assert len(flagged) == 1 and flagged[0].startswith(f"{doc}:11:")  # the APA entry


def test_a_chicago_page_after_the_year_is_a_locator_not_a_second_year(tmp_path):
    """Chicago prints a page bare after the year: '(Agrawal 2001, 1650)' was read as a citation of
    Agrawal 1650, and '(Dietz, Ostrom, and Stern 2003, 1908)' of a 1908 work, both 'missing'. A
    second year the list has, or one it lacks after the first, is still a citation."""
    report = check_own_list(
        tmp_path,
        "draft.md",
        "# Draft\n\nInstitutions matter (Agrawal 2001, 1650), as do rules (Dietz, Ostrom, and Stern 2003, 1908; "
        "Ostrom 1990, 1996). A later paper (Ostrom 1990, 2005) is not listed.\n\n## References\n\n"
        "Agrawal, Arun. 2001. “Common Property Institutions and Sustainable Governance of Resources.” World "
        "Development 29 (10): 1649–72.\n\n"
        "Dietz, Thomas, Elinor Ostrom, and Paul C. Stern. 2003. “The Struggle to Govern the Commons.” Science 302 "
        "(5652): 1907–12.\n\n"
        "Ostrom, Elinor. 1990. Governing the Commons. Cambridge: Cambridge University Press.\n\n"
        "Ostrom, Elinor. 1996. “Crossing the Great Divide.” World Development 24 (6): 1073–87.\n",
    )
    assert [(c["text"], c["status"]) for c in report["citations"]] == [
        ("Agrawal 2001, 1650", "ok"),
        ("Dietz, Ostrom, and Stern 2003, 1908", "ok"),
        ("Ostrom 1990", "ok"),
        ("1996", "ok"),
        ("Ostrom 1990", "ok"),
        ("2005", "missing"),
    ]


def test_a_year_off_by_one_and_an_abbreviated_organisation(tmp_path):
    """'(Ostrom 1989)' for the list's Ostrom 1990 (a work cited by its online year) was 'missing'
    where '(Ostrom 1909)' was a wrong year; 'Office for National Statistics (ONS)' in the text and
    the list was not read, and '(ONS, 2022)' after it found nothing. A year between two of the
    author's entries stays missing: neither is guessed."""
    result, report = check_files(
        tmp_path,
        "As reported (Office for National Statistics (ONS), 2022; ONS, 2022). Earlier (Ostrom, 1989) and "
        "(Hess, 2005).\n",
        "refs.txt",
        "Hess, C. (2004). Commons. MIT Press.\n"
        "Hess, C. (2006). Knowledge. MIT Press.\n"
        "Office for National Statistics (ONS). (2022). Census 2021. ONS.\n"
        "Ostrom, E. (1990). Governing the commons. Cambridge University Press.\n",
    )
    got = [(c["text"], c["status"], c["problems"]) for c in report["citations"]]
    assert got == [
        ("Office for National Statistics (ONS), 2022", "ok", []),
        ("ONS, 2022", "ok", []),
        ("Ostrom, 1989", "mismatch", ["wrong-year"]),
        ("Hess, 2005", "missing", ["missing-reference"]),
    ]
    assert 'should read "Ostrom, 1990"' in report["citations"][2]["message"]


def test_unicode_superscripts_cite_a_numbered_list_and_are_footnotes_beside_author_date(tmp_path):
    """Text copied from a PDF cites with Unicode superscripts, 'productivity¹,²': they were not
    read, and the numbered list, cited in order, was told it was out of alphabetical order. In an
    author-date essay the same marks are footnotes, not citations."""
    numbered, _ = check_files(
        tmp_path,
        "Biodiversity loss reduces productivity¹,² and stability.³⁻⁵ In 5 m² it held.\n",
        "refs.txt",
        "1. Tilman D. Diversity and productivity. Nature. 1997;379:718-20.\n"
        "2. Cardinale BJ, Duffy JE. Biodiversity loss. Nature. 2012;486:59-67.\n"
        "3. Hector A. Plant diversity. Science. 1999;286:1123-7.\n"
        "4. Isbell F, Craven D. Biodiversity increases stability. Nature. 2015;526:574-7.\n"
        "5. Loreau M. Biodiversity and ecosystem functioning. Science. 2001;294:804-8.\n",
    )
    report = json.loads(numbered.output)
    assert [(c["text"], c["reference"], c["status"]) for c in report["citations"]] == [
        ("¹,²", 1, "ok"),
        ("¹,²", 2, "ok"),
        ("³⁻⁵", 3, "ok"),
        ("³⁻⁵", 4, "ok"),
        ("³⁻⁵", 5, "ok"),
    ]
    assert not [p for p in report["reference_problems"] if "out-of-order" in p["problems"]]
    essay, report = check_files(
        tmp_path,
        "Coproduction matters (Ostrom, 1996).¹ It is old.²\n",
        "refs.txt",
        "Ostrom, E. (1996). Crossing the great divide. World Development, 24(6), 1073-1087.\n",
    )
    assert [c["text"] for c in report["citations"]] == ["Ostrom, 1996"] and essay.exit_code == 0


def test_mla_author_page_citations_resolve_by_author_and_short_title(tmp_path):
    """MLA cites '(Ostrom 45)': such citations were not read, so an MLA essay got nothing but
    'listed but never cited'. Only names of the list are read ('(Table 3)', '(Participant 4)'
    are not citations); a page that looks like a year is a page when it lies within the entry's
    pages; one of an author's several works needs its short title."""
    doc = tmp_path / "essay.md"
    doc.write_text(
        '# Essay\n\nCommunities govern commons (Ostrom, Governing 90). Trust matters (Ostrom, "Crossing" 1075) '
        "and (Dietz et al. 1908). Others agree (Agrawal 1650-52). See (Table 3), (Participant 4) and (Ostrom 45).\n\n"
        "## Works Cited\n\n"
        'Agrawal, Arun. "Common Property Institutions and Sustainable Governance of Resources." World Development, '
        "vol. 29, no. 10, 2001, pp. 1649-72.\n\n"
        'Dietz, Thomas, et al. "The Struggle to Govern the Commons." Science, vol. 302, no. 5652, 2003, pp. 1907-12.\n\n'
        'Ostrom, Elinor. "Crossing the Great Divide: Coproduction, Synergy, and Development." World Development, '
        "vol. 24, no. 6, 1996, pp. 1073-87.\n\n"
        "---. Governing the Commons: The Evolution of Institutions for Collective Action. Cambridge UP, 1990.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", str(doc), "--format", "json"])
    report = json.loads(result.output)
    assert [(c["text"], c["status"], c["reference"]) for c in report["citations"]] == [
        ("Ostrom, Governing 90", "ok", 4),
        ('Ostrom, "Crossing" 1075', "ok", 3),
        ("Dietz et al. 1908", "ok", 2),
        ("Agrawal 1650-52", "ok", 1),
        ("Ostrom 45", "ambiguous", None),
    ]
    last = report["citations"][-1]
    assert last["problems"] == ["needs-short-title"] and last["candidates"] == [3, 4]
    assert '"(Ostrom, Crossing 45)" or "(Ostrom, Governing 45)"' in last["message"]
    assert report["uncited"] == [] and result.exit_code == 1


def test_a_hard_wrapped_markdown_list_is_one_entry_an_item(tmp_path):
    """A Markdown list wrapped at 80 columns ('- Kahneman ... An analysis of' then '  decision
    under risk.') was split at every line break: each entry gave a 'no year' and a 'never cited'
    warning, and its title was cut in two. A numbered list wraps the same way."""
    report = check_own_list(
        tmp_path,
        "draft.md",
        "# Draft\n\nRisk (Kahneman & Tversky, 1979) and commons (Ostrom, 1990).\n\n## References\n\n"
        "- Kahneman, D., & Tversky, A. (1979). Prospect theory: An analysis of\n"
        "  decision under risk. *Econometrica*, *47*(2), 263–291.\n"
        "- Ostrom, E. (1990). *Governing the commons*. Cambridge\n  University Press.\n",
    )
    assert [c["status"] for c in report["citations"]] == ["ok", "ok"]
    assert report["reference_problems"] == [] and report["uncited"] == []
    refs = tmp_path / "refs.txt"
    refs.write_text(
        "1. Baigent C, Keech A, Kearney PM. Efficacy and safety of\n"
        "   cholesterol-lowering treatment. Lancet. 2005;366(9493):1267-78.\n"
        "2. Sever PS, Dahlof B. Prevention of coronary events. Lancet.\n   2003;361(9364):1149-58.\n",
        encoding="utf-8",
    )
    items = json.loads(CliRunner().invoke(cli, ["parse", str(refs), "--csl"]).output)
    assert [(i["title"], i["issued"]["date-parts"][0][0]) for i in items] == [
        ("Efficacy and safety of cholesterol-lowering treatment", 2005),
        ("Prevention of coronary events", 2003),
    ]


def test_group_authors_with_and_in_their_name_and_apas_narrative_abbreviation(tmp_path):
    """'(Food and Agriculture Organization, 2020)' was read as two authors and found nothing;
    the list's 'Centers for Disease Control and Prevention.' was parsed as two people; 'The World
    Health Organization (WHO, 2019)' (APA's narrative form giving the abbreviation) and every
    later 'WHO (2019)' were missing."""
    report = check_own_list(
        tmp_path,
        "essay.md",
        "# Essay\n\nFood systems (Food and Agriculture Organization, 2020) and vaccines (Centers for Disease Control "
        "and Prevention [CDC], 2021), as the CDC (2021) says. The World Health Organization (WHO, 2019) warned, and "
        "WHO (2019) again. Guidelines (U.S. Department of Health and Human Services, 2018).\n\n## References\n\n"
        "Centers for Disease Control and Prevention. (2021). Vaccines for your children. https://www.cdc.gov/vaccines\n\n"
        "Food and Agriculture Organization. (2020). The state of world fisheries and aquaculture 2020. FAO.\n\n"
        "U.S. Department of Health and Human Services. (2018). Physical activity guidelines for Americans (2nd ed.).\n\n"
        "World Health Organization. (2019). Ten threats to global health in 2019. https://www.who.int/\n",
    )
    assert [(c["text"], c["status"], c["reference"]) for c in report["citations"]] == [
        ("Food and Agriculture Organization, 2020", "ok", 2),
        ("Centers for Disease Control and Prevention [CDC], 2021", "ok", 1),
        ("CDC (2021)", "ok", 1),
        ("WHO, 2019", "ok", 4),
        ("WHO (2019)", "ok", 4),
        ("U.S. Department of Health and Human Services, 2018", "ok", 3),
    ]


def test_a_work_listed_twice_is_found_and_a_year_letter_no_entry_has_is_named(tmp_path):
    """Two identical entries made '(Ostrom, 1990)' ambiguous and told the writer to add year
    letters to the list, beside the warning that the entry is a duplicate; '(Betsch, 2019c)'
    against 2019a and 2019b said '2 entries fit' without their letters or a problem code."""
    result, report = check_files(
        tmp_path,
        "Commons (Ostrom, 1990). Vaccine hesitancy (Betsch, 2019c) and (Betsch, 2019a).\n",
        "refs.txt",
        "Betsch, C. (2019a). Vaccine hesitancy. Nature Human Behaviour, 3(4), 316-317.\n"
        "Betsch, C. (2019b). Beyond confidence. Policy Insights, 5(1), 61-68.\n"
        "Ostrom, E. (1990). Governing the commons. Cambridge University Press.\n"
        "Ostrom, E. (1990). Governing the commons. Cambridge University Press.\n",
    )
    ostrom, betsch, betsch_a = report["citations"]
    assert (ostrom["status"], ostrom["reference"], ostrom["problems"]) == ("ok", 3, [])
    assert (betsch["status"], betsch["problems"]) == ("ambiguous", ["wrong-year-suffix"])
    assert "the list has [1] 2019a, [2] 2019b" in betsch["message"]
    assert betsch_a["status"] == "ok"
    assert any("duplicate-entry" in p["problems"] for p in report["reference_problems"])


def test_numbers_in_parentheses_cite_a_numbered_list_but_an_enumeration_does_not(tmp_path):
    """Some journals cite '(1)', '(2,3)': against a numbered list such citations were not read,
    and every entry was 'never cited'. '(1) a review and (2) a meta-analysis' is a list of
    steps, and '(1990)' no reference number."""
    report = check_own_list(
        tmp_path,
        "paper.md",
        "# Paper\n\nStatins reduce events (1). Lower targets help further (2,3), and we did (1) a review and (2) a "
        "meta-analysis. Costs fell in 1990 (4-5) and (1990).\n\n## References\n\n"
        "1. Baigent C, Keech A. Efficacy and safety of cholesterol-lowering treatment. Lancet. 2005;366(9493):1267-78.\n"
        "2. Sever PS, Dahlof B. Prevention of coronary events. Lancet. 2003;361(9364):1149-58.\n"
        "3. Cannon CP, Braunwald E. Intensive versus moderate lipid lowering. N Engl J Med. 2004;350(15):1495-504.\n"
        "4. Ridker PM. Rosuvastatin to prevent vascular events. N Engl J Med. 2008;359(21):2195-207.\n"
        "5. Mach F. ESC guidelines. Eur Heart J. 2020;41(1):111-88.\n",
    )
    assert [(c["text"], c["reference"], c["status"]) for c in report["citations"]] == [
        ("(1)", 1, "ok"),
        ("(2,3)", 2, "ok"),
        ("(2,3)", 3, "ok"),
        ("(4-5)", 4, "ok"),
        ("(4-5)", 5, "ok"),
    ]
    assert report["uncited"] == []


@pytest.mark.parametrize(
    "text,flagged,note",
    [
        pytest.param(
            "Risk (Tversky & Kahneman, 1992), loss (Kahneman and Tversky, 1979), (Smith & Jones, 2010).",
            "Kahneman and Tversky, 1979",
            "APA 7 joins the authors with '&' in parentheses",
            id="apa-and",
        ),
        pytest.param(
            "Risk (Tversky and Kahneman, 1992), loss (Kahneman & Tversky, 1979), (Smith and Jones, 2010).",
            "Kahneman & Tversky, 1979",
            "Harvard joins the authors with 'and'",
            id="harvard-ampersand",
        ),
        pytest.param(
            "Risk (Tversky and Kahneman 1992), loss (Kahneman and Tversky 1979), (Ostrom, 1990), (Smith and Jones 2010).",
            "Ostrom, 1990",
            "Chicago author-date puts no comma between the author and the year",
            id="chicago-comma",
        ),
    ],
)
def test_a_citation_off_the_documents_style_is_malformed(tmp_path, text, flagged, note):
    """Each style's joiner and comma were named in the advice but never checked: '(Kahneman and
    Tversky, 1979)' in an APA document, '&' in a Harvard one, '(Ostrom, 1990)' among Chicago's
    comma-less citations all passed."""
    _, report = check_files(
        tmp_path,
        text + "\n",
        "refs.txt",
        "Kahneman, D., & Tversky, A. (1979). Prospect theory. Econometrica, 47(2), 263–291.\n"
        "Ostrom, E. (1990). Governing the commons. Cambridge University Press.\n"
        "Smith, J., & Jones, K. (2010). A book. Penguin.\n"
        "Tversky, A., & Kahneman, D. (1992). Advances in prospect theory. Journal of Risk and Uncertainty, 5(4), "
        "297–323.\n",
    )
    wrong = [(c["text"], c["problems"]) for c in report["citations"] if c["status"] != "ok"]
    assert wrong == [(flagged, ["malformed"])]
    assert note in next(c["message"] for c in report["citations"] if c["text"] == flagged)


def test_authors_named_in_another_order_are_found_and_told_their_order(tmp_path):
    """'(Kahneman & Tversky, 1992)' for the list's Tversky & Kahneman 1992 was cut to 'Tversky,
    1992' and told to name Kahneman, who was named."""
    _, report = check_files(
        tmp_path,
        "Risk (Kahneman & Tversky, 1992) and (Kahneman & Tversky, 1979).\n",
        "refs.txt",
        "Kahneman, D., & Tversky, A. (1979). Prospect theory. Econometrica, 47(2), 263–291.\n"
        "Tversky, A., & Kahneman, D. (1992). Advances in prospect theory. Journal of Risk and Uncertainty, 5(4), "
        "297–323.\n",
    )
    swapped, right = report["citations"]
    assert (swapped["text"], swapped["reference"], swapped["problems"]) == (
        "Kahneman & Tversky, 1992",
        2,
        ["wrong-author-order"],
    )
    assert 'should read "Tversky & Kahneman, 1992"' in swapped["message"] and right["status"] == "ok"


def test_an_mla_page_after_a_sentence_naming_the_author(tmp_path):
    """MLA cites a page alone when the sentence names the author: 'Putnam traces the decline
    (45–48).' left Putnam 'never cited'. A number in a sentence naming no author of the list,
    '(1) a survey', '(3)', is not read."""
    report = check_own_list(
        tmp_path,
        "essay.md",
        "# Essay\n\nPutnam traces the decline of civic life (45–48). We did (1) a survey and it held (3).\n\n"
        "## Works Cited\n\n"
        "Putnam, Robert D. Bowling Alone: The Collapse and Revival of American Community. Simon & Schuster, 2000.\n",
    )
    assert [(c["text"], c["status"], c["reference"]) for c in report["citations"]] == [("45–48", "ok", 1)]
    assert report["uncited"] == []


def test_two_authors_without_their_ampersand_are_found_and_told_it_is_missing(tmp_path):
    """'(Tversky, Kahneman, 1992)' was a citation of Kahneman 1992, missing; '(Tversky Kahneman,
    1992)' of an author named 'Tversky Kahneman'."""
    _, report = check_files(
        tmp_path,
        "Risk (Tversky, Kahneman, 1992) and (Tversky Kahneman, 1992), as (Villamayor Tomás, 2010).\n",
        "refs.txt",
        "Tversky, A., & Kahneman, D. (1992). Advances in prospect theory. Journal of Risk and Uncertainty, 5(4), "
        "297–323.\n"
        "Villamayor Tomás, S. (2010). Irrigation. Ecology and Society, 15(1), 12.\n",
    )
    got = [(c["text"], c["reference"], c["problems"]) for c in report["citations"]]
    assert got == [
        ("Tversky, Kahneman, 1992", 1, ["malformed"]),
        ("Tversky Kahneman, 1992", 1, ["malformed"]),
        ("Villamayor Tomás, 2010", 2, []),
    ]
    assert "'&' is missing before the last author" in report["citations"][0]["message"]


def test_front_matter_is_no_part_of_the_first_sentence_and_suggestions_keep_the_page(tmp_path):
    """A title 'Notes on Benkler' in the front matter, straight above 'Pastures are overgrazed
    [2].', made [2] a wrong number ('the sentence names Benkler'); '(Tiebout 1956)' after
    '(Tiebout, 1956)' in a Chicago draft was told to read 'Tiebout 1956'; a suggested form dropped
    the citation's page."""
    report = check_own_list(
        tmp_path,
        "note.md",
        "---\nid: w3\ntitle: Notes on Benkler\n---\nPastures are overgrazed [2]. Peer production works [1].\n\n"
        "## References\n\n[1] Y. Benkler, *The Wealth of Networks*. New Haven, CT, USA: Yale Univ. Press, 2006.\n\n"
        '[2] G. Hardin, "The tragedy of the commons," *Science*, vol. 162, no. 3859, pp. 1243–1248, 1968.\n',
    )
    assert [c["status"] for c in report["citations"]] == ["ok", "ok"]
    _, chicago = check_files(
        tmp_path,
        "Goods (Tiebout, 1956) and (Tiebout 1956) and (Hardin 1968) and (Smith et al. 2001, 4).\n",
        "refs.txt",
        "Tiebout, Charles M. 1956. “A Pure Theory of Local Expenditures.” Journal of Political Economy 64 (5): "
        "416–24.\nHardin, Garrett. 1968. “The Tragedy of the Commons.” Science 162 (3859): 1243–48.\n"
        "Smith, John. 2001. A Book. London: Penguin.\n",
    )
    got = [(c["text"], c["status"]) for c in chicago["citations"]]
    assert got == [
        ("Tiebout, 1956", "mismatch"),
        ("Tiebout 1956", "ok"),
        ("Hardin 1968", "ok"),
        ("Smith et al. 2001, 4", "mismatch"),
    ]
    assert 'should read "Smith 2001, 4"' in chicago["citations"][3]["message"]


def test_an_authors_own_work_comes_before_those_with_co_authors():
    """APA, Chicago, Harvard and MLA list an author's own works before those written with others:
    Ostrom, E. (2010) after Ostrom, Gardner & Walker (1994) was not reported."""
    from kb.records import Work
    from kb.resolve import check_references

    def work(i: int, families: list[str], year: int) -> Work:
        authors = [{"family": f, "given": "A."} for f in families]
        return Work(
            {"id": f"w{i}", "title": f"T{i}", "author": authors, "issued": {"date-parts": [[year]]}}, position=i
        )

    works = [work(1, ["Agrawal"], 2001), work(2, ["Ostrom", "Gardner", "Walker"], 1994), work(3, ["Ostrom"], 2010)]
    works += [work(4, ["Smith"], 2000)]
    said = [(p.work_id, p.message) for p in check_references(works) if p.code == "out-of-order"]
    assert said == [("w3", "a work of Ostrom alone comes before those with co-authors (entry 2)")]
    in_order = [works[0], works[2], works[1], works[3]]
    assert not [p for p in check_references(in_order) if p.code == "out-of-order"]


def test_a_list_cited_in_order_is_told_nothing_of_alphabetical_rules():
    """A numbered list its document cites in order is in that order on purpose: neither
    alphabetical order nor an author's own works coming first is asked of it."""
    refs = (
        "1. Agrawal A. Common property. World Dev. 2001;29:1649-72.\n"
        "2. Ostrom E, Gardner R, Walker J. Rules, games. Ann Arbor: Univ Michigan Press; 1994.\n"
        "3. Ostrom E. Beyond markets. Am Econ Rev. 2010;100:641-72.\n"
        "4. Smith J. A book. London: Penguin; 2000.\n"
    )
    from kb.records import Document, Passage
    from kb.resolve import check, check_references
    from loaders.references import read_reference_text

    works = read_reference_text(refs, "refs.txt", ".txt", 1)
    assert [p.code for p in check_references(works)] == ["out-of-order"]  # the list alone: alphabetical rules
    doc = Document("d", "d", "essay", "d.md", "Commons [1], rules [2], markets [3] and books [4].", {})
    doc.passages.append(Passage("d/p1", "d", 1, doc.text, 0, len(doc.text), 1))
    report = check(doc, works)
    assert [c.status for c in report.citations] == ["ok"] * 4
    assert not [p for p in report.reference_problems if p.code == "out-of-order"]
