"""kb parse: free-text references into CSL-JSON, measured against the hand-checked BibTeX."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.parser import MODEL_PATH, parse_names, parse_references
from loaders.bibtex import load_bibtex

FIELDS = [
    "id",
    "type",
    "author",
    "editor",
    "title",
    "container-title",
    "volume",
    "issue",
    "page",
    "issued",
    "publisher",
    "publisher-place",
    "event",
    "event-place",
    "DOI",
    "URL",
    "ISBN",
    "edition",
]


def run_parse(path):
    result = CliRunner().invoke(cli, ["parse", str(path)])
    return result, [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def seed_pairs(root):
    parsed = parse_references((root / "bibliography/seed-references.txt").read_text(encoding="utf-8"), "seed")
    truth, _ = load_bibtex(root / "bibliography/seed-references.bib")
    assert len(parsed) == len(truth) == 36
    return list(zip(parsed, truth, strict=True))


def parsed_csl(tmp_path, references: str) -> list[dict]:
    """Write a free-text list, run `kb parse --csl` on it; its CSL-JSON items."""
    refs = tmp_path / "refs.txt"
    refs.write_text(references, encoding="utf-8")
    return json.loads(CliRunner().invoke(cli, ["parse", str(refs), "--csl"]).output)


@pytest.mark.parametrize("i", range(36))
def test_seed_reference_matches_hand_checked_bibtex(seed_pairs, i):
    parsed, truth = seed_pairs[i]
    got = {f: parsed.csl.get(f) for f in FIELDS}
    want = {f: truth.csl.get(f) for f in FIELDS}
    assert got == want
    assert parsed.et_al == truth.et_al


def test_seed_list_problems_are_found(seed_pairs):
    codes = {parsed.id: {p.code for p in parsed.problems} for parsed, _ in seed_pairs}
    assert codes["parrado2013correlates"] == {"truncated-author"}
    assert codes["ostrom1978public"] == {"suspicious-pages"}
    assert codes["parks1981consumers"] == {"et-al-in-list"}
    assert codes["whitaker1980coproduction"] == {"container-equals-title"}
    assert sum(len(c) for c in codes.values()) == 4


def test_cli_prints_one_item_per_reference_with_raw(root):
    result, items = run_parse(root / "bibliography/seed-references.txt")
    assert result.exit_code == 0
    lines = (root / "bibliography/seed-references.txt").read_text(encoding="utf-8").splitlines()
    assert [i["raw"] for i in items] == lines


def test_blank_line_separated_entries_and_labels(root):
    result, items = run_parse(root / "tests/fixtures/mixed-styles.txt")
    assert result.exit_code == 0, result.output
    assert [i["citation-label"] for i in items] == ["1", "2", "3"]
    ieee, apa, oecd = items
    assert (ieee["volume"], ieee["issue"], ieee["page"], ieee["container-title"]) == (
        "24",
        "6",
        "1073-1087",
        "World Development",
    )
    assert apa["author"] == [{"family": "Bovaird", "given": "T."}]
    assert (apa["issued"], apa["volume"], apa["issue"], apa["page"]) == ({"date-parts": [[2007]]}, "67", "5", "846-860")
    assert apa["container-title"] == "Public Administration Review"
    assert oecd["author"] == [{"literal": "OECD"}] and oecd["type"] == "report"


@pytest.mark.parametrize(
    "printed,names,et_al",
    [
        pytest.param(
            "S. van der Graaf and C. Veeckman,",
            [
                {"family": "Graaf", "given": "S.", "non-dropping-particle": "van der"},
                {"family": "Veeckman", "given": "C."},
            ],
            False,
            id="particle",
        ),
        pytest.param(
            "E. Uppström and C.-M. Lönn,",
            [{"family": "Uppström", "given": "E."}, {"family": "Lönn", "given": "C.-M."}],
            False,
            id="hyphenated-initials",
        ),
        pytest.param("R. B. Parks et al.,", [{"family": "Parks", "given": "R. B."}], True, id="et-al"),
        pytest.param(
            "van der Graaf, S., & Veeckman, C. (2014).",
            [
                {"family": "Graaf", "given": "S.", "non-dropping-particle": "van der"},
                {"family": "Veeckman", "given": "C."},
            ],
            False,
            id="apa-particle",
        ),
        pytest.param("OECD,", [{"literal": "OECD"}], False, id="organisation"),
    ],
)
def test_names(printed, names, et_al):
    assert parse_names(printed) == (names, et_al)


def test_keys_are_deterministic_with_suffixes(root):
    text = (root / "bibliography/seed-references.txt").read_text(encoding="utf-8")
    first = [w.id for w in parse_references(text)]
    again = [w.id for w in parse_references(text)]
    assert first == again
    assert "bovaird2012engagement" in first and "bovaird2012engagementa" in first
    assert len(set(first)) == 36


def test_bib_ris_and_csl_json_read_into_the_same_model(root, tmp_path):
    result, bib = run_parse(root / "bibliography/seed-references.bib")
    assert result.exit_code == 0 and len(bib) == 36
    result, ris = run_parse(root / "tests/fixtures/two.ris")
    assert result.exit_code == 0
    assert ris[0]["type"] == "article-journal" and ris[0]["page"] == "1119-1138" and ris[0]["issue"] == "4"
    assert ris[0]["author"][1] == {"family": "Loeffler", "given": "Elke"}
    assert ris[1]["type"] == "book" and ris[1]["publisher-place"] == "London"
    assert any(p["code"] == "missing-year" for p in ris[1]["problems"])
    path = tmp_path / "items.json"
    path.write_text(
        json.dumps([{k: v for k, v in i.items() if k not in ("raw", "problems")} for i in bib[:3]]), encoding="utf-8"
    )
    result, back = run_parse(path)
    assert [b["title"] for b in back] == [b["title"] for b in bib[:3]]


def test_failed_bibtex_block_is_kept_with_its_line(tmp_path):
    path = tmp_path / "bad.bib"
    path.write_text(
        "@article{ok, author={Rich, R. C.}, title={Roles}, year={1979}}\n\n"
        "@article{broken, author = {Sharp,\ntitle = {x}\n\n"
        "@book{fine, title={Later}, year={1990}}\n",
        encoding="utf-8",
    )
    result, items = run_parse(path)
    assert result.exit_code == 0
    assert len(items) == 3
    broken = items[1]
    assert broken["raw"].startswith("@article{broken")
    assert broken["problems"][0]["code"] == "unparsed-reference" and broken["problems"][0]["line"] == 3


def test_bibtex_latex_is_decoded_in_names(tmp_path):
    path = tmp_path / "latex.bib"
    path.write_text(
        "@article{l, author={L{\\\"o}ffler, Elke and P{\\'e}rez-Qui{\\~n}ones, M.}, title={T}, year={2012}}\n",
        encoding="utf-8",
    )
    _, items = run_parse(path)
    assert [a["family"] for a in items[0]["author"]] == ["Löffler", "Pérez-Quiñones"]


def test_a_reference_without_a_title_is_flagged_in_every_format(tmp_path):
    text = tmp_path / "notitle.txt"
    text.write_text(
        "Bovaird, T. (2007). Public Administration Review, 67(5), 846-860.\n"
        "T. Bovaird, “Beyond engagement,” Public Administration Review, vol. 67, 2007.\n",
        encoding="utf-8",
    )
    bib = tmp_path / "notitle.bib"
    bib.write_text(
        "@article{b, author={Bovaird, Tony}, journal={Public Administration Review}, year={2007}}\n", encoding="utf-8"
    )
    (_, from_text), (_, from_bib) = run_parse(text), run_parse(bib)
    codes = [[p["code"] for p in item["problems"]] for item in from_text + from_bib]
    assert "missing-title" in codes[0] and "missing-title" not in codes[1] and "missing-title" in codes[2]
    messages = {
        p["message"] for item in (from_text[0], from_bib[0]) for p in item["problems"] if p["code"] == "missing-title"
    }
    assert len(messages) == 1 and messages.pop().startswith("no title found")


# Hostile input: a clear message or a problem row, never a traceback, nothing lost.


def test_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("", encoding="utf-8")
    result, items = run_parse(path)
    assert result.exit_code == 2 and items == []
    assert "empty.txt: no references: the file is empty" in result.output
    assert "Traceback" not in result.output


def test_binary_garbage(tmp_path):
    path = tmp_path / "garbage.txt"
    path.write_bytes(bytes(range(256)) * 40)
    result, _ = run_parse(path)
    assert result.exit_code == 2
    assert "garbage.txt: binary data" in result.output and "Traceback" not in result.output


def test_one_megabyte_line_is_kept_with_a_problem(tmp_path):
    path = tmp_path / "huge.txt"
    huge = "A. Author, " + "word " * 200_000
    path.write_text(
        "T. Bovaird, “Beyond engagement,” Public Administration Review, vol. 67, 2007.\n" + huge + "\n",
        encoding="utf-8",
    )
    result, items = run_parse(path)
    assert result.exit_code == 0
    assert len(items) == 2
    assert items[1]["raw"] == huge.strip()
    assert [p["code"] for p in items[1]["problems"]] == ["unparsed-reference"]


def test_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(
        "\ufeffT. Bovaird, “Beyond engagement,” Public Administration Review, vol. 67, 2007.\n".encode("utf-8")
    )
    _, items = run_parse(path)
    assert items[0]["raw"].startswith("T. Bovaird") and items[0]["author"][0]["family"] == "Bovaird"


def test_latin1_bytes_are_read_with_a_warning(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(
        'T. Bovaird and E. Löffler, "From Engagement to Coproduction," Voluntas, vol. 23, 2012.\n'.encode("latin-1")
    )
    result, items = run_parse(path)
    assert result.exit_code == 0
    assert "latin1.txt:1: not UTF-8" in result.stderr
    assert items[0]["author"][1]["family"] == "Löffler"


def test_nfd_and_nfc_give_the_same_item(tmp_path):
    import unicodedata

    line = "T. Bovaird and E. Löffler, “From Engagement to Coproduction,” Voluntas, vol. 23, 2012.\n"
    out = []
    for form in ("NFC", "NFD"):
        path = tmp_path / f"{form}.txt"
        path.write_text(unicodedata.normalize(form, line), encoding="utf-8")
        out.append(run_parse(path)[1])
    assert out[0] == out[1]
    assert out[0][0]["author"][1]["family"] == "Löffler"


REFPARSE = Path(__file__).resolve().parents[2] / "shared" / "data" / "refparse"
ANNOTATED = [
    REFPARSE / name for name in ("anystyle_core.jsonl", "anystyle_good.xml", "anystyle_ugly.xml", "anystyle_bad.xml")
]


@pytest.mark.slow
@pytest.mark.skipif(not all(p.exists() for p in ANNOTATED), reason=f"AnyStyle's annotated sets not found in {REFPARSE}")
def test_train_parser_rebuilds_the_shipped_model_byte_for_byte(tmp_path):
    """The shipped model is what README's two documented commands make (about 40 minutes: run
    with ``pytest -m slow`` whenever the parser's features or training data change)."""
    synthetic = tmp_path / "synthetic.jsonl"
    result = CliRunner().invoke(
        cli, ["synth-references", *[a for p in ANNOTATED for a in ("--from", str(p))], "--out", str(synthetic)]
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "model.crfsuite"
    result = CliRunner().invoke(cli, ["train-parser", *map(str, ANNOTATED), str(synthetic), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == MODEL_PATH.read_bytes()


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"segments": [["title", "Fine"]]}\n{"text": "no segments here"}\n', "plain.jsonl:2: no annotated segments"),
        (b"not json\n", "plain.jsonl:1: not JSON"),
        (b'{"segments": [["volume", 23]]}\n', "plain.jsonl:1: no annotated segments"),
        (bytes(range(128, 256)), "plain.jsonl: not UTF-8"),
        (b"", "plain.jsonl: no annotated references found"),
    ],
    ids=["no-segments", "not-json", "number-not-text", "binary", "empty"],
)
def test_train_parser_on_bad_annotations_is_a_clear_error(tmp_path, content, says):
    path = tmp_path / "plain.jsonl"
    path.write_bytes(content)
    result = CliRunner().invoke(cli, ["train-parser", str(path), "--out", str(tmp_path / "m.crfsuite")])
    assert result.exit_code == 2 and "Traceback" not in result.output and "bug" not in result.output
    assert says in result.output and "fix:" in result.output
    assert not (tmp_path / "m.crfsuite").exists()


@pytest.mark.skipif(
    __import__("kb.parser", fromlist=["workers"]).workers() < 2, reason="one core: a long list is labelled in-process"
)
def test_a_long_list_is_labelled_across_cores_with_the_same_result(root, monkeypatch):
    import kb.parser as parser

    lines = [ln for ln in (root / "bibliography/seed-references.txt").read_text(encoding="utf-8").splitlines() if ln]
    text = "\n".join(lines * (parser.PARALLEL_FROM // len(lines) + 1))
    monkeypatch.setenv("KB_WORKERS", "1")
    serial = parse_references(text, "long")
    monkeypatch.setenv("KB_WORKERS", "2")
    assert parser.workers() == 2
    parallel = parse_references(text, "long")
    assert len(parallel) >= parser.PARALLEL_FROM
    assert [(w.csl, w.raw, w.line, [p.code for p in w.problems]) for w in parallel] == [
        (w.csl, w.raw, w.line, [p.code for p in w.problems]) for w in serial
    ]


def test_a_german_list_s_slash_between_authors_is_two_people(tmp_path):
    """German lists join authors with a slash ("Bogumil, Jörg/Holtkamp, Lars"): read as one
    name, they made the family name "Jörg/Holtkamp" and turned the list's other entries around
    too ("Luhmann, Niklas" became two authors). 11 of 12 German references were wrong."""
    refs = tmp_path / "literatur.txt"
    refs.write_text(
        "Luhmann, Niklas (1984): Soziale Systeme. Grundriß einer allgemeinen Theorie. Frankfurt am Main: Suhrkamp.\n"
        "Bogumil, Jörg/Holtkamp, Lars (2013): Kommunalpolitik und Kommunalverwaltung. Bonn: Bundeszentrale für "
        "politische Bildung.\n"
        "Jann, Werner/Wegrich, Kai (2019): Generalisten und Spezialisten. In: Veit, Sylvia/Reichard, Christoph (Hrsg.): "
        "Handbuch zur Verwaltungsreform. Wiesbaden: Springer VS, S. 49–60.\n",
        encoding="utf-8",
    )
    items = json.loads(CliRunner().invoke(cli, ["parse", str(refs), "--csl"]).output)
    names = [[(a["family"], a["given"]) for a in item["author"]] for item in items]
    assert names == [
        [("Luhmann", "Niklas")],
        [("Bogumil", "Jörg"), ("Holtkamp", "Lars")],
        [("Jann", "Werner"), ("Wegrich", "Kai")],
    ]
    assert [(a["family"], a["given"]) for a in items[2]["editor"]] == [("Veit", "Sylvia"), ("Reichard", "Christoph")]


def test_names_after_edited_by_or_translated_by_are_given_name_first(tmp_path):
    """Chicago and MLA print "Edited by Guenther Roth and Claus Wittich" and "Translated by Jane
    Doe" given name first, whatever order the list keeps for its authors. They were read as the
    family name "Guenther Roth" with the given name "Claus Wittich", and the family name
    "Translated by Jane Doe"."""
    refs = tmp_path / "works-cited.txt"
    refs.write_text(
        "Weber, Max. 1978. Economy and Society. Edited by Guenther Roth and Claus Wittich. Berkeley: University of "
        "California Press.\n"
        "Ostrom, Elinor. Governing the Commons. Translated by Jane Doe, Cambridge University Press, 1990.\n",
        encoding="utf-8",
    )
    items = json.loads(CliRunner().invoke(cli, ["parse", str(refs), "--csl"]).output)
    assert [(a["family"], a["given"]) for a in items[0]["editor"]] == [("Roth", "Guenther"), ("Wittich", "Claus")]
    assert [(a["family"], a["given"]) for a in items[1]["translator"]] == [("Doe", "Jane")]
    assert [(a["family"], a["given"]) for a in items[0]["author"] + items[1]["author"]] == [
        ("Weber", "Max"),
        ("Ostrom", "Elinor"),
    ]


def test_a_body_named_before_the_year_without_a_full_stop_is_the_author(tmp_path):
    """Harvard: "Office for National Statistics (2022) Is hybrid working here to stay?" was read
    with the body's name as the title, and the real title was lost."""
    refs = tmp_path / "refs.txt"
    refs.write_text(
        "Office for National Statistics (2022) Is hybrid working here to stay? London: ONS.\n", encoding="utf-8"
    )
    (item,) = json.loads(CliRunner().invoke(cli, ["parse", str(refs), "--csl"]).output)
    assert item["author"] == [{"literal": "Office for National Statistics"}]
    assert item["title"] == "Is hybrid working here to stay?"
    assert item["issued"] == {"date-parts": [[2022]]}


def test_entries_as_paragraphs_stay_whole_when_only_a_few_wrap(tmp_path):
    """A list pasted from a word processor: a blank line after each entry, one entry's title run
    on to the next line. It was read one entry a line, so the run-on 'considerations. Policy
    Studies Journal, ...' became a work of its own (no author, no year) and Parks lost its
    journal, volume and pages."""
    refs = tmp_path / "refs.txt"
    refs.write_text(
        "Alford, J. (2009). Engaging public sector clients: From service-delivery to co-production. Palgrave "
        "Macmillan.\n\n"
        "Parks, R. B., Baker, P. C., Kiser, L., Oakerson, R., Ostrom, E., Ostrom, V., Percy, S. L., Vandivort, M. B., "
        "Whitaker, G. P., & Wilson, R. (1981). Consumers as coproducers of public services: Some economic and "
        "institutional\nconsiderations. Policy Studies Journal, 9(7), 1001-1011.\n\n"
        "Whitaker, G. P. (1980). Coproduction: Citizen participation in service delivery. Public Administration "
        "Review, 40(3), 240-246.\n",
        encoding="utf-8",
    )
    items = [json.loads(line) for line in CliRunner().invoke(cli, ["parse", str(refs)]).output.splitlines()]
    assert [i["id"] for i in items] == ["alford2009engaging", "parks1981consumers", "whitaker1980coproduction"]
    assert items[1]["title"].endswith("Some economic and institutional considerations")
    assert (items[1]["container-title"], items[1]["page"]) == ("Policy Studies Journal", "1001-1011")


def test_a_run_of_dashes_names_the_authors_of_the_entry_above(tmp_path):
    """MLA's '---.' and Chicago's '———.' repeat the authors above; kb read the family name '---'
    (a work filed under no one, 'out of alphabetical order')."""
    refs = tmp_path / "works-cited.txt"
    refs.write_text(
        "Ostrom, Elinor. Governing the Commons. Cambridge UP, 1990.\n\n"
        '---. "A General Framework for Analyzing Sustainability of Social-Ecological Systems." Science, vol. 325, '
        "no. 5939, 2009, pp. 419-22.\n\n"
        '———. 2010. "Beyond Markets and States." American Economic Review 100 (3): 641-72.\n',
        encoding="utf-8",
    )
    items = [json.loads(line) for line in CliRunner().invoke(cli, ["parse", str(refs)]).output.splitlines()]
    assert [i["author"] for i in items] == [[{"family": "Ostrom", "given": "Elinor"}]] * 3
    assert [i["id"] for i in items] == ["ostrom1990governing", "ostrom2009general", "ostrom2010beyond"]
    assert items[1]["raw"].startswith("---.")  # the entry as printed is kept


@pytest.mark.parametrize("suffix", [".txt", ".md"])
def test_markdown_emphasis_in_a_list_file_is_not_part_of_the_fields(tmp_path, suffix):
    """A list file pasted from Markdown ('*Ecol. Monogr.* **75**, 3–35 (2005).') was read with its
    asterisks: the journal became 'Monogr.*' and the title ended in '*Ecol'."""
    marked, bare = tmp_path / f"marked{suffix}", tmp_path / f"bare{suffix}"
    entry = (
        "Hooper, D. U. et al. Effects of biodiversity on ecosystem functioning: a consensus of current "
        "knowledge. {}Ecol. Monogr.{} {}75{}, 3–35 (2005)."
    )
    marked.write_text("- " + entry.format("*", "*", "**", "**") + "\n", encoding="utf-8")
    bare.write_text(entry.format("", "", "", "") + "\n", encoding="utf-8")
    (got,) = json.loads(CliRunner().invoke(cli, ["parse", str(marked), "--csl"]).output)
    (want,) = json.loads(CliRunner().invoke(cli, ["parse", str(bare), "--csl"]).output)
    assert got == want
    assert (got["container-title"], got["volume"]) == ("Ecol. Monogr.", "75")


def test_a_book_s_publisher_before_its_doi_is_a_publisher(tmp_path):
    """APA 7 prints a book's DOI after its publisher; the labeller took 'Palgrave Macmillan' for
    a journal, so kb cite wrote '@article{..., journal = {Palgrave Macmillan}}'."""
    (item,) = parsed_csl(
        tmp_path,
        "Alford, J. (2009). Engaging public sector clients: From service-delivery to co-production. Palgrave "
        "Macmillan. https://doi.org/10.1057/9780230235816\n",
    )
    assert (item["type"], item["publisher"], item["DOI"]) == ("book", "Palgrave Macmillan", "10.1057/9780230235816")
    assert "container-title" not in item


def test_a_springer_proceedings_paper_keeps_its_series_and_its_own_year(tmp_path):
    """LNCS: 'In: Kozen, D. (ed.) Logic of Programs 1981. LNCS, vol. 131, pp. 52–71. Springer,
    Heidelberg (1982)' was an article in the journal 'LNCS' of 1981, the proceedings' name lost."""
    items = parsed_csl(
        tmp_path,
        "1. Clarke, E.M., Emerson, E.A.: Design and synthesis of synchronization skeletons using branching time "
        "temporal logic. In: Kozen, D. (ed.) Logic of Programs 1981. LNCS, vol. 131, pp. 52–71. Springer, "
        "Heidelberg (1982)\n"
        "2. Cremers, C.J.F.: The Scyther tool: verification, falsification, and analysis of security protocols. In: "
        "Gupta, A., Malik, S. (eds.) CAV 2008. LNCS, vol. 5123, pp. 414–418. Springer, Heidelberg (2008)\n",
    )
    got = [(i["container-title"], i["collection-title"], i["issued"], i["volume"], i["type"]) for i in items]
    assert got == [
        ("Logic of Programs 1981", "LNCS", {"date-parts": [[1982]]}, "131", "chapter"),
        ("CAV 2008", "LNCS", {"date-parts": [[2008]]}, "5123", "chapter"),
    ]


def test_acm_volume_issue_article_number_and_page_count(tmp_path):
    """ACM's 'Commun. ACM 21, 7 (July 1978), 558–565' lost its issue; 'Article 8 (Aug. 2013), 22
    pages' gave the page '22 pages' and lost the article number."""
    lamport, spanner = parsed_csl(
        tmp_path,
        "[1] Leslie Lamport. 1978. Time, Clocks, and the Ordering of Events in a Distributed System. Commun. ACM 21, "
        "7 (July 1978), 558–565.\n"
        "[2] James C. Corbett, Jeffrey Dean, and Michael Epstein. 2013. Spanner: Google's Globally Distributed "
        "Database. ACM Trans. Comput. Syst. 31, 3, Article 8 (Aug. 2013), 22 pages.\n",
    )
    assert (lamport["volume"], lamport["issue"], lamport["page"]) == ("21", "7", "558-565")
    assert (spanner["volume"], spanner["issue"], spanner["number"], spanner["number-of-pages"]) == (
        "31",
        "3",
        "8",
        "22",
    )
    assert "page" not in spanner


def test_an_mla_corporate_author_before_the_title_is_the_author(tmp_path):
    """MLA: 'Food and Agriculture Organization of the United Nations. The State of World ...'
    was one title, the body's name in it, the work filed under no one."""
    refs = tmp_path / "works-cited.txt"
    refs.write_text(
        "Food and Agriculture Organization of the United Nations. The State of World Fisheries and Aquaculture 2020: "
        "Sustainability in Action. FAO, 2020.\n",
        encoding="utf-8",
    )
    (item,) = json.loads(CliRunner().invoke(cli, ["parse", str(refs), "--csl"]).output)
    assert item["author"] == [{"literal": "Food and Agriculture Organization of the United Nations"}]
    assert item["title"] == "The State of World Fisheries and Aquaculture 2020: Sustainability in Action"


def test_a_chicago_list_inverts_only_its_first_author(tmp_path):
    """Chicago and MLA invert the first author only. In a list of mostly single authors
    ("Ostrom, Elinor.") 'Dietz, Thomas, Elinor Ostrom, and Paul C. Stern' came out as two people,
    the second 'Elinor Ostrom' with the given names 'Paul C. Stern'."""
    items = parsed_csl(
        tmp_path,
        "Agrawal, Arun. 2001. “Common Property Institutions and Sustainable Governance of Resources.” World "
        "Development 29 (10): 1649–72.\n"
        "Dietz, Thomas, Elinor Ostrom, and Paul C. Stern. 2003. “The Struggle to Govern the Commons.” Science 302 "
        "(5652): 1907–12.\n"
        "Ostrom, Elinor. 1990. Governing the Commons. Cambridge: Cambridge University Press.\n"
        "Ostrom, Elinor. 1996. “Crossing the Great Divide.” World Development 24 (6): 1073–87.\n",
    )
    assert [[(a["family"], a["given"]) for a in i["author"]] for i in items] == [
        [("Agrawal", "Arun")],
        [("Dietz", "Thomas"), ("Ostrom", "Elinor"), ("Stern", "Paul C.")],
        [("Ostrom", "Elinor")],
        [("Ostrom", "Elinor")],
    ]


def test_a_harvard_chapter_keeps_its_book_and_an_issue_in_words(tmp_path):
    """Harvard's chapter 'The tragedy of the commons, in Savas, E. S. (ed.) Alternatives for ...'
    was a book whose title lost the book it is in; '35(Extra Issue)' gave the issue 'ue'."""
    chapter, article = parsed_csl(
        tmp_path,
        "Hardin, G. (1977) The tragedy of the commons, in Savas, E. S. (ed.) Alternatives for Delivering Public "
        "Services. Boulder: Westview Press, pp. 1–10.\n"
        "Smith, J. (1953) Farm policy. Journal of Farm Economics, 35(Extra Issue), pp. 1–12.\n",
    )
    assert (chapter["type"], chapter["title"], chapter["container-title"]) == (
        "chapter",
        "The tragedy of the commons",
        "Alternatives for Delivering Public Services",
    )
    assert chapter["editor"] == [{"family": "Savas", "given": "E. S."}]
    assert (article["volume"], article["issue"]) == ("35", "Extra Issue")


def test_jsonl_keeps_a_printed_et_al_and_vancouver_journals_lose_their_separator(tmp_path):
    """`kb parse`'s JSON Lines dropped the "et al." it read (only --csl kept it, as
    {"literal": "others"}), and Vancouver's "Eur Heart J." kept the full stop that only
    separates the journal from the year; "J. Biol. Chem." keeps its own."""
    refs = tmp_path / "refs.txt"
    refs.write_text(
        "Smith J, Jones K, Brown L, et al. Statins in heart failure. Eur Heart J. 2010;31(2):100-9.\n"
        "Adams PG, Hunter CN. Bacterial membranes. J. Biol. Chem. 2012;287(3):12-20.\n",
        encoding="utf-8",
    )
    first, second = map(json.loads, CliRunner().invoke(cli, ["parse", str(refs)]).output.splitlines())
    assert first["author"][-1] == {"literal": "others"} and len(first["author"]) == 4
    assert first["container-title"] == "Eur Heart J"
    assert "others" not in json.dumps(second["author"]) and second["container-title"] == "J. Biol. Chem."


def test_an_ieee_conference_paper_keeps_where_the_conference_met_as_its_event_place(tmp_path):
    """IEEE's 'in Proc. ... (CVPR), Las Vegas, NV, USA, 2016' came out with the publisher 'Las
    Vegas, NV, USA', and '(NeurIPS), Long Beach, CA, USA' with the publisher 'NeurIPS'."""
    items = parsed_csl(
        tmp_path,
        '[1] K. He, X. Zhang, S. Ren, and J. Sun, "Deep residual learning for image recognition," in Proc. IEEE '
        "Conf. Comput. Vis. Pattern Recognit. (CVPR), Las Vegas, NV, USA, 2016, pp. 770–778.\n"
        '[2] A. Vaswani et al., "Attention is all you need," in Proc. Adv. Neural Inf. Process. Syst. (NeurIPS), '
        "Long Beach, CA, USA, 2017, pp. 5998–6008.\n",
    )
    got = [(i["type"], i["container-title"], i.get("event-place"), i.get("publisher")) for i in items]
    assert got == [
        ("paper-conference", "Proc. IEEE Conf. Comput. Vis. Pattern Recognit. (CVPR)", "Las Vegas, NV, USA", None),
        ("paper-conference", "Proc. Adv. Neural Inf. Process. Syst. (NeurIPS)", "Long Beach, CA, USA", None),
    ]


def test_vancouver_e_pages_nlm_days_and_a_year_opening_a_title(tmp_path):
    """Vancouver as PubMed prints it: '2019;14(3):e0213456' gave the page '3):e0213456'; '2008 Nov
    20;359(21)' the volume 20; '2019 ESC/EAS guidelines ... 2020;41(1)' the year 2019 and a title
    without its year."""
    items = parsed_csl(
        tmp_path,
        "Smith J, Jones K. Another study. PLoS One. 2019;14(3):e0213456.\n"
        "Go AS, Mozaffarian D. Heart disease statistics. Circulation. 2014;129(25 Suppl 2):S1-S45.\n"
        "Ridker PM, Danielson E, Fonseca FA. Rosuvastatin to prevent vascular events. N Engl J Med. 2008 Nov "
        "20;359(21):2195-207.\n"
        "Mach F, Baigent C, Catapano AL, et al. 2019 ESC/EAS guidelines for the management of dyslipidaemias. "
        "Eur Heart J. 2020;41(1):111-188.\n",
    )
    got = [(i["volume"], i.get("issue"), i["page"], i["issued"]["date-parts"][0]) for i in items]
    assert got == [
        ("14", "3", "e0213456", [2019]),
        ("129", "25 Suppl 2", "S1-S45", [2014]),
        ("359", "21", "2195-2207", [2008, 11, 20]),
        ("41", "1", "111-188", [2020]),
    ]
    assert items[3]["title"] == "2019 ESC/EAS guidelines for the management of dyslipidaemias"


def test_apa_translators_publishers_undated_entries_and_a_cochrane_issue(tmp_path):
    """'(J. Strachey, Trans.)' gave the translator '(J. Strachey )'; APA's '(pp. 241–258).
    Greenwood.' the publisher-place Greenwood; 'n.d.' and 'in press' entries a 'no year found'
    problem; the Cochrane Database's '2013;(1):CD004816' the volume 1 and no page."""
    refs = tmp_path / "refs.txt"
    refs.write_text(
        "Freud, S. (1961). Civilization and its discontents (J. Strachey, Trans.). Norton.\n"
        "Bourdieu, P. (1986). The forms of capital. In J. G. Richardson (Ed.), Handbook of theory and research for "
        "the sociology of education (pp. 241–258). Greenwood.\n"
        "Jones, K. (n.d.). An undated page. https://example.org\n"
        "Smith, J. (in press). A forthcoming paper. Journal of Things.\n"
        "Higgins JPT, Green S. Cochrane review. Cochrane Database Syst Rev. 2013;(1):CD004816.\n",
        encoding="utf-8",
    )
    freud, bourdieu, jones, smith, cochrane = map(
        json.loads, CliRunner().invoke(cli, ["parse", str(refs)]).output.splitlines()
    )
    assert freud["translator"] == [{"family": "Strachey", "given": "J."}]
    assert bourdieu["publisher"] == "Greenwood" and "publisher-place" not in bourdieu
    assert jones["problems"] == [] and smith["problems"] == []
    assert (cochrane.get("volume"), cochrane["issue"], cochrane["page"]) == (None, "1", "CD004816")


def test_harvard_news_and_web_pages_and_an_ieee_proceedings_cut_in_two(tmp_path):
    """'BBC News' came out as a person, News, B. B. C., with the newspaper and day in the title;
    'Trust in government, UK: 2022' lost ', UK: 2022'; IEEE's 'in Proc. Adv. Neural Inf. Process.
    Syst. (NIPS), 2012' the start of its name and its type."""
    bbc, ons = parsed_csl(
        tmp_path,
        "BBC News (2020) 'Coronavirus: UK enters lockdown', BBC News, 23 March. Available at: "
        "https://www.bbc.co.uk/news/uk-52012432 (Accessed: 1 May 2020).\n"
        "Office for National Statistics (2022) Trust in government, UK: 2022. Available at: https://www.ons.gov.uk "
        "(Accessed: 3 May 2023).\n",
    )
    assert (bbc["author"], bbc["title"], bbc["container-title"]) == (
        [{"literal": "BBC News"}],
        "Coronavirus: UK enters lockdown",
        "BBC News",
    )
    assert ons["title"] == "Trust in government, UK: 2022"
    ieee = tmp_path / "ieee.txt"
    ieee.write_text(
        '[1] A. Krizhevsky, I. Sutskever, and G. E. Hinton, "ImageNet classification with deep convolutional neural '
        'networks," in Proc. Adv. Neural Inf. Process. Syst. (NIPS), 2012, pp. 1097–1105.\n',
        encoding="utf-8",
    )
    (paper,) = json.loads(CliRunner().invoke(cli, ["parse", str(ieee), "--csl"]).output)
    assert (paper["type"], paper["container-title"], paper["page"]) == (
        "paper-conference",
        "Proc. Adv. Neural Inf. Process. Syst. (NIPS)",
        "1097-1105",
    )


def test_apa_translators_with_an_edition_or_read_as_editors(tmp_path):
    """'(M. Cook, Trans.; 2nd ed.)' gave a second translator 'Trans'; '(F. W. Truscott & F. L.
    Emory, Trans.)', labelled as editors, lost its translators."""
    piaget, laplace = parsed_csl(
        tmp_path,
        "Piaget, J. (1952). The origins of intelligence in children (M. Cook, Trans.; 2nd ed.). International "
        "Universities Press.\n"
        "Laplace, P. S. (1951). A philosophical essay on probabilities (F. W. Truscott & F. L. Emory, Trans.). Dover.\n",
    )
    assert piaget["translator"] == [{"family": "Cook", "given": "M."}] and piaget["edition"] == "2"
    assert (
        laplace["translator"]
        == [
            {"family": "Truscott", "given": "F. W."},
            {"family": "Emory", "given": "F. L."},
        ]
        and "editor" not in laplace
    )


def test_spanish_portuguese_and_french_publishers(tmp_path):
    """'Editorial Sudamericana' was read as a journal; 'Editora Paz e Terra' ran into the title."""
    items = parsed_csl(
        tmp_path,
        "García Márquez, G. (1967). Cien años de soledad. Editorial Sudamericana.\n"
        "Freire, P. (1970). Pedagogia do oprimido. Editora Paz e Terra.\n"
        "Bourdieu, P. (1979). La distinction. Éditions de Minuit.\n",
    )
    assert [(i["type"], i["title"], i["publisher"]) for i in items] == [
        ("book", "Cien años de soledad", "Editorial Sudamericana"),
        ("book", "Pedagogia do oprimido", "Editora Paz e Terra"),
        ("book", "La distinction", "Éditions de Minuit"),
    ]


def test_apa_theses_translated_classics_subtitles_editions_and_magazines(tmp_path):
    """APA's '[Doctoral dissertation, Princeton University].' gave the publisher 'Princeton
    University]'; a translated classic lost its publisher into the translators and its original
    date; 'The mythical man-month: Essays on software engineering' became a chapter of a book
    'Essays on ...' with the edition '((Anniversary ed.))'; a magazine article was a book."""
    nash, beauvoir, brooks, stiglitz = parsed_csl(
        tmp_path,
        "Nash, J. F. (1950). Non-cooperative games [Doctoral dissertation, Princeton University].\n"
        "de Beauvoir, S. (2011). The second sex (C. Borde & S. Malovany-Chevallier, Trans.). Vintage Books. "
        "(Original work published 1949)\n"
        "Brooks, F. P., Jr. (1995). The mythical man-month: Essays on software engineering (Anniversary ed.). "
        "Addison-Wesley.\n"
        "Stiglitz, J. E. (2011, May). Of the 1%, by the 1%, for the 1%. Vanity Fair.\n",
    )
    assert (nash["type"], nash["genre"], nash["publisher"]) == (
        "thesis",
        "Doctoral dissertation",
        "Princeton University",
    )
    assert beauvoir["publisher"] == "Vintage Books" and beauvoir["original-date"] == {"date-parts": [[1949]]}
    assert [t["family"] for t in beauvoir["translator"]] == ["Borde", "Malovany-Chevallier"]
    assert (brooks["type"], brooks["title"], brooks["edition"]) == (
        "book",
        "The mythical man-month: Essays on software engineering",
        "Anniversary",
    )
    assert (stiglitz["type"], stiglitz["container-title"]) == ("article-magazine", "Vanity Fair")


def test_an_ieee_web_page_is_dated_by_its_date_not_the_day_it_was_read(tmp_path):
    """'Accessed: Jan. 15, 2024.' was read as a journal 'Accessed: Jan', volume 15 and the year
    2024; the title kept '." Python.org'."""
    python, guardian = parsed_csl(
        tmp_path,
        '[1] Python Software Foundation, "The Python language reference." Python.org. Accessed: Jan. 15, 2024. '
        "[Online]. Available: https://docs.python.org/3/reference/\n"
        '[2] J. Smith, "Floods," The Guardian, Mar. 3, 2020. [Online]. Available: https://www.theguardian.com/x '
        "(accessed Jan. 5, 2024).\n",
    )
    assert (python["type"], python["title"], python["container-title"]) == (
        "webpage",
        "The Python language reference",
        "Python.org",
    )
    assert "issued" not in python and python["accessed"] == {"date-parts": [[2024, 1, 15]]}
    assert guardian["issued"] == {"date-parts": [[2020, 3, 3]]} and guardian["accessed"] == {
        "date-parts": [[2024, 1, 5]]
    }


def test_an_apa_newspaper_article_keeps_its_newspaper_apart_from_its_title(tmp_path):
    """'(2020, March 3). Floods return. The Guardian.' gave the title 'Floods return. The
    Guardian', a journal article's type and no container."""
    news, book = parsed_csl(
        tmp_path,
        "Smith, J. (2020, March 3). Floods return. The Guardian. https://www.theguardian.com/x\n"
        "Ostrom, E. (1990). Governing the commons. Cambridge University Press.\n",
    )
    assert (news["type"], news["title"], news["container-title"]) == (
        "article-newspaper",
        "Floods return",
        "The Guardian",
    )
    assert (book["type"], book["title"]) == ("book", "Governing the commons")
