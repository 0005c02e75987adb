"""The format registry: every format found by itself, each read the same way everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.formats import format_for_suffix, formats, get_format, readable_formats, writable_formats
from loaders.references import read_references

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_format_module_is_registered():
    names = {f.name for f in formats()}
    assert {"bibtex", "ris", "csljson", "text", "jats", "endnote", "apa", "ieee"} <= names


def test_kb_cite_offers_every_format_with_a_writer():
    from kb.cli import WRITERS

    assert sorted(WRITERS) == sorted(f.name for f in writable_formats())


def test_datasette_exports_every_format_with_an_extension():
    from kb.publish.renderers import FORMATS

    assert set(FORMATS) == {f.extension for f in writable_formats() if f.extension} == {"bib", "ris", "csljson"}


@pytest.mark.parametrize(
    "suffix,text,name",
    [
        pytest.param(".bib", None, "bibtex", id="bib"),
        pytest.param(".RIS", None, "ris", id="ris-upper-case"),
        pytest.param(".json", None, "csljson", id="json"),
        pytest.param(".txt", None, "text", id="txt"),
        pytest.param(".docx-export", None, "text", id="unknown-suffix-is-free-text"),
        pytest.param(".xml", "<xml><records><record/></records></xml>", "endnote", id="endnote-xml"),
        pytest.param(".xml", '<?xml version="1.0"?><article article-type="research-article">', "jats", id="jats-xml"),
    ],
)
def test_a_file_is_read_in_the_format_its_suffix_and_text_name(suffix, text, name):
    assert format_for_suffix(suffix, text).name == name


def test_endnote_xml_reads_into_csl_json():
    works = read_references(FIXTURES / "endnote.xml").works
    article, chapter, unreadable = works
    assert article.id == "bovaird2012engagement" and article.csl["type"] == "article-journal"
    assert article.csl["author"] == [{"family": "Bovaird", "given": "Tony"}, {"family": "Loeffler", "given": "Elke"}]
    assert (article.csl["container-title"], article.csl["volume"], article.csl["issue"], article.csl["page"]) == (
        "Voluntas",
        "23",
        "4",
        "1119-1138",
    )
    assert article.csl["DOI"] == "10.1007/s11266-012-9309-6" and article.year == 2012 and article.line == 2
    assert chapter.csl["type"] == "chapter" and [e["family"] for e in chapter.csl["editor"]] == [
        "Pestoff",
        "Brandsen",
        "Verschuere",
    ]
    assert (chapter.csl["publisher"], chapter.csl["publisher-place"]) == ("Routledge", "London")
    assert [p.code for p in unreadable.problems] == ["unparsed-reference"] and "12345 67890" in unreadable.raw
    assert [w.position for w in works] == [1, 2, 3]


def test_endnote_xml_that_is_not_well_formed_names_the_line(tmp_path):
    from kb.records import KbError

    bad = tmp_path / "bad.xml"
    bad.write_text("<xml><records>\n<record><titles></record></records></xml>\n", encoding="utf-8")
    with pytest.raises(KbError) as e:
        read_references(bad)
    assert e.value.line == 2 and "EndNote XML is not well-formed" in e.value.message


def test_jats_reference_list_reads_through_the_registry():
    works = read_references(FIXTURES / "mini-jats.xml").works
    assert works and works[0].id == "r1" and works[0].csl.get("title")


def test_an_unknown_format_name_says_which_there_are():
    from kb.records import KbError

    with pytest.raises(KbError, match="bibtex"):
        get_format("endnote-x9")


def test_every_reader_keeps_every_entry():
    assert all(f.read for f in readable_formats())


@pytest.mark.parametrize("keep_braces", [False, True], ids=["plain", "names"])
def test_bibtex_values_decoded_without_pylatexenc_as_pylatexenc_decodes_them(keep_braces):
    """Plain values and page ranges ("846--860") skip pylatexenc (about 1 ms a value); the text
    must be what pylatexenc gives, for every value let through."""
    import random

    from bibtexparser.middlewares import LatexDecodingMiddleware

    from kb.formats.bibtex import _DASHES_ONLY, FastLatexDecoding

    fast, slow = FastLatexDecoding(keep_braces), LatexDecodingMiddleware(keep_braced_groups=keep_braces)
    rng, checked = random.Random(7), 0
    for _ in range(3000):
        value = "".join(rng.choice("ab1---  {}\\$~%&`'Ü") for _ in range(rng.randint(0, 10)))
        if _DASHES_ONLY.fullmatch(value):
            checked += 1
            assert fast._transform_python_value_string(value) == slow._transform_python_value_string(value), value
    assert checked > 500
    assert fast._transform_python_value_string("846--860") == ("846–860", "")


def _read_alone(path: Path):
    from kb.records import KbError

    try:
        return read_references(path)
    except KbError:
        return None


def _shown(result) -> list | None:
    """What a reader gives, every field a user sees: the works and their problems, the warnings."""
    if result is None:
        return None
    works = [
        (
            w.csl,
            w.raw,
            w.source,
            w.line,
            w.position,
            w.et_al,
            [(p.code, p.message, p.line, p.work_id) for p in w.problems],
        )
        for w in result.works
    ]
    return [works, result.warnings]


def test_many_lists_read_together_give_what_each_gives_alone(tmp_path):
    """The build reads its free-text lists together (their entries labelled in one pass): each
    file must come out as reading it alone gives it, whatever else is in the pass, and a file
    that cannot be read must not spoil the others."""
    from loaders.references import read_references_many

    root = Path(__file__).resolve().parents[1] / "bibliography"
    entries = (root / "seed-references.txt").read_text(encoding="utf-8").strip().split("\n")
    paths = []
    for i, (start, stop) in enumerate([(0, 5), (5, 6), (6, 36), (10, 20)]):
        path = tmp_path / f"list-{i}.txt"
        path.write_text("\n".join(reversed(entries[start:stop])) + "\n", encoding="utf-8")
        paths.append(path)
    (tmp_path / "latin.txt").write_bytes(
        "Bovaird, T. (2007). Beyond engagement and participation. Caf\xe9.\n".encode("latin-1")
    )
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    paths[2:2] = [tmp_path / "latin.txt", tmp_path / "empty.txt", root / "seed-references.bib", tmp_path / "binary.txt"]
    together = read_references_many(paths)
    alone = [_read_alone(p) for p in paths]
    assert [_shown(r) for r in together] == [_shown(r) for r in alone]
    assert together[3] is None and together[5] is None  # empty, binary: left for the build to report
    assert together[2].warnings and len(together[-2].works) == 30


@pytest.mark.parametrize(
    "suffix,text",
    [
        pytest.param(
            ".json",
            '[{"id": "b", "type": "article-journal", "title": "T", "author": [{"family": "Bzik", "given": "DJ"}], "issued": {"date-parts": [[2012]]}}]',
            id="csl-json",
        ),
        pytest.param(".ris", "TY  - JOUR\nAU  - Bzik, DJ\nTI  - T\nPY  - 2012\nER  - \n", id="ris"),
        pytest.param(".bib", "@article{b, author = {Bzik, DJ}, title = {T}, year = {2012}}\n", id="bibtex"),
    ],
)
def test_bare_initials_are_initials_in_every_format(tmp_path, suffix, text):
    """PubMed and eLife write initials bare ("DJ"): read as "D. J.", so APA prints "Bzik, D. J."
    (it printed "Bzik, D.", the second initial lost), as the JATS reader already did."""
    from kb.formats.styles import write_styled

    path = tmp_path / f"refs{suffix}"
    path.write_text(text, encoding="utf-8")
    (work,) = read_references(path).works
    assert work.csl["author"] == [{"family": "Bzik", "given": "D. J."}]
    assert write_styled([work], "apa").startswith("Bzik, D. J. (2012).")


def test_ris_ed_editors_and_csl_json_raw_or_literal_dates_are_read(tmp_path):
    """RIS's ED tag (EndNote, Mendeley) was dropped, so an edited book had no name to cite it by;
    CSL-JSON's {"raw": "2000"} and {"literal": "Spring 1999"}, both valid, gave no year."""
    from click.testing import CliRunner

    from kb.cli import cli

    ris = tmp_path / "ed.ris"
    ris.write_text("TY  - BOOK\nED  - Ostrom, Elinor\nPY  - 2003\nTI  - Foundations of social capital\nER  - \n")
    (book,) = [json.loads(line) for line in CliRunner().invoke(cli, ["parse", str(ris)]).output.splitlines()]
    assert book["editor"] == [{"family": "Ostrom", "given": "Elinor"}]
    items = [
        {
            "id": "p",
            "type": "book",
            "title": "Bowling alone",
            "author": [{"family": "Putnam"}],
            "issued": {"raw": "2000"},
        },
        {"id": "s", "type": "book", "title": "X", "author": [{"family": "Sen"}], "issued": {"literal": "Spring 1999"}},
    ]
    refs = tmp_path / "refs.json"
    refs.write_text(json.dumps(items))
    doc = tmp_path / "doc.md"
    doc.write_text("As argued (Putnam, 2000; Sen, 1999).\n")
    report = json.loads(CliRunner().invoke(cli, ["check", str(doc), "-r", str(refs), "--format", "json"]).output)
    assert [c["status"] for c in report["citations"]] == ["ok", "ok"]
    assert not [p for p in report["reference_problems"] if "missing-year" in p["problems"]]
