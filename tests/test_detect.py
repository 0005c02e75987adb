"""Citation detection and resolution, case by case, on small documents with a known answer."""

from __future__ import annotations

import pytest

from kb.model import Document, Passage, Work
from kb.resolve import check

WORKS = [
    ("bovaird2007", [("Bovaird", "T.")], 2007, False),
    ("bovaird2016", [("Bovaird", "T."), ("Stoker", "G."), ("Jones", "T.")], 2016, False),
    ("linders2012", [("Linders", "D.")], 2012, False),
    ("graaf2014", [("van der Graaf", "S."), ("Veeckman", "C.")], 2014, False),
    ("oecd2017", [("OECD", None)], 2017, False),
    ("smith2010a", [("Smith", "J.")], 2010, False),
    ("smith2010b", [("Smith", "J.")], 2010, False),
    ("loffler2012", [("Löffler", "E.")], 2012, False),
    ("ncbi2008", [("National Center for Biotechnology Information", None)], 2008, False),
]


def works() -> list[Work]:
    out = []
    for i, (key, names, year, et_al) in enumerate(WORKS, 1):
        authors = [{"literal": f} if g is None else {"family": f, "given": g} for f, g in names]
        out.append(Work(csl={"id": key, "type": "article-journal", "author": authors, "title": key,
                             "issued": {"date-parts": [[year]]}}, position=i, et_al=et_al))
    return out


def document(text: str) -> Document:
    doc = Document("d", "d", "essay", "d.md", text, {})
    doc.passages.append(Passage("d/p1", "d", 1, text, 0, len(text), 1))
    return doc


def run(text: str, numbered: bool = False):
    return check(document(text), works(), numbered=numbered).citations


@pytest.mark.parametrize("text,expected", [
    pytest.param("As shown (Bovaird, 2007, 2016).", [("Bovaird, 2007", 1), ("2016", 2)], id="two-years"),
    pytest.param("Bovaird (2007) argues.", [("Bovaird (2007)", 1)], id="narrative"),
    pytest.param("Bovaird (2007, 2016) argues.", [("Bovaird (2007, 2016)", 1), ("Bovaird (2007, 2016)", 2)], id="narrative-two-years"),
    pytest.param("See (Linders, 2012, p. 446).", [("Linders, 2012, p. 446", 3)], id="locator"),
    pytest.param("(van der Graaf & Veeckman, 2014)", [("van der Graaf & Veeckman, 2014", 4)], id="particle-ampersand"),
    pytest.param("(van der Graaf and Veeckman, 2014)", [("van der Graaf and Veeckman, 2014", 4)], id="particle-and"),
    pytest.param("(OECD, 2017)", [("OECD, 2017", 5)], id="organisation"),
    pytest.param("(National Center for Biotechnology Information 2008)",
                 [("National Center for Biotechnology Information 2008", 9)], id="long-organisation"),
    pytest.param("(Smith, 2010b)", [("Smith, 2010b", 7)], id="suffix-by-list-order"),
    pytest.param("(Loeffler, 2012)", [("Loeffler, 2012", 8)], id="umlaut-as-oe"),
    pytest.param("(Loffler, 2012)", [("Loffler, 2012", 8)], id="umlaut-as-o"),
    pytest.param("(Bovaird et al 2016)", [("Bovaird et al 2016", 2)], id="et-al-without-stop-or-comma"),
    pytest.param("Bovaird and colleagues (2016) found", [("Bovaird and colleagues (2016)", 2)], id="and-colleagues"),
    pytest.param("(see Linders, 2012, for a review)", [("Linders, 2012", 3)], id="trailing-comment"),
    pytest.param("(Linders 2012: 446)", [("Linders 2012: 446", 3)], id="harvard-colon-page"),
    pytest.param("(e.g., Bovaird, 2007; Linders, 2012)", [("Bovaird, 2007", 1), ("Linders, 2012", 3)], id="e-g-prefix"),
])
def test_detects_and_resolves(text, expected):
    got = [(c.text, c.reference) for c in run(text)]
    assert got == expected


@pytest.mark.parametrize("text", [
    pytest.param("Technologies (ICTs, henceforth) matter.", id="abbreviation"),
    pytest.param("This happened in 2018.", id="year-in-text"),
    pytest.param("Between (1970-1980) things changed.", id="date-range"),
    pytest.param("The test gave (F[1,12] = 8.42, p = 0.01).", id="statistics-brackets"),
    pytest.param("In December (2018) results follow.", id="month-before-year"),
])
def test_never_a_citation(text):
    assert run(text, numbered=True) == []


def numbered_works() -> list[Work]:
    """The same list, its entries numbered [1] to [9] (as an IEEE or Vancouver list is)."""
    out = works()
    for i, w in enumerate(out, 1):
        w.csl["citation-label"] = str(i)
    return out


@pytest.mark.parametrize("text,numbers", [
    pytest.param("As shown [1].", [1], id="single"),
    pytest.param("As shown [2-4].", [2, 3, 4], id="range"),
    pytest.param("As shown [1, 5].", [1, 5], id="list"),
    pytest.param("As shown [1]–[3].", [1, 2, 3], id="plos-range"),
])
def test_numbered_citations_resolve_against_a_numbered_list(text, numbers):
    got = check(document(text), numbered_works()).citations
    assert [c.reference for c in got] == numbers
    assert all(c.status == "ok" for c in got)


def test_numbered_out_of_range_is_missing():
    (c,) = check(document("As shown [12]."), numbered_works()).citations
    assert c.status == "missing" and c.problems == ["missing-reference"]


def test_a_number_in_an_author_date_document_is_a_mixed_style():
    cites = run("Coproduction (Bovaird, 2007) grew [3] and grew (Linders, 2012).")
    assert [(c.text, c.status, c.problems) for c in cites] == [
        ("Bovaird, 2007", "ok", []), ("[3]", "missing", ["mixed-style"]), ("Linders, 2012", "ok", [])]
    assert cites[1].message.startswith("APA 7: [3] is a numbered citation in an author-date document")


def test_numbered_flag_against_an_unnumbered_list_is_not_ok():
    (c,) = run("As shown [1].", numbered=True)
    assert (c.status, c.problems) == ("missing", ["mixed-style"])
    assert "the reference list is not numbered" in c.message


def test_author_date_citation_in_a_numbered_document_is_a_mixed_style():
    cites = check(document("Shown [1] and [2] and by (Linders, 2012)."), numbered_works()).citations
    last = cites[-1]
    assert (last.text, last.status, last.reference, last.problems) == ("Linders, 2012", "mismatch", 3, ["mixed-style"])
    assert "cite this work as [3]" in last.message


def test_ambiguous_without_suffix_lists_both():
    (c,) = run("(Smith, 2010)")
    assert c.status == "ambiguous" and c.candidates == [6, 7] and "needs-year-suffix" in c.problems
    assert '"Smith, 2010a" or "Smith, 2010b"' in c.message


def test_jats_loader_reads_body_refs_and_gold_links(root):
    from loaders.jats import load_jats

    doc, refs, gold = load_jats(root / "tests/fixtures/mini-jats.xml")
    assert [p.text.split(" (")[0] for p in doc.passages] == ["Coproduction grew", "Numbered too [1-3]."]
    assert [w.csl.get("author")[0] for w in refs] == [{"family": "Ostrom", "given": "E."},
                                                      {"family": "Whitaker", "given": "G. P."}, {"literal": "OECD"}]
    assert [w.csl["citation-label"] for w in refs] == ["1", "2", "3"]  # its numbered callouts follow the list
    assert [(doc.text[g.start:g.end], g.reference) for g in gold] == [
        ("Ostrom et al., 1978", 1), ("Whitaker 1980", 2), ("1", 1), ("-", 2), ("3", 3)]
    cites = check(doc, refs, numbered=True).citations
    assert [c.reference for c in cites] == [1, 2, 1, 2, 3]


def test_resolved_citation_gets_the_suffix_the_list_needs():
    extra = works() + [Work(csl={"id": "bovaird2007b", "type": "book", "title": "Another",
                                 "author": [{"family": "Bovaird", "given": "T."}, {"family": "Loeffler", "given": "E."}],
                                 "issued": {"date-parts": [[2007]]}}, position=10),
                       Work(csl={"id": "bovaird2007c", "type": "book", "title": "Zeta",
                                 "author": [{"family": "Bovaird", "given": "T."}, {"family": "Löffler", "given": "E."}],
                                 "issued": {"date-parts": [[2007]]}}, position=11)]
    (c,) = check(document("(Bovaird & Loeffler, 2007)"), extra).citations
    assert c.status == "ambiguous"  # Loeffler and Löffler are one person: two works fit
    assert '"Bovaird & Loeffler, 2007a" or "Bovaird & Löffler, 2007b"' in c.message
    (c,) = check(document("(Bovaird & Loeffler, 2007b)"), extra).citations
    assert (c.status, c.reference) == ("ok", 11)


@pytest.mark.parametrize("text,expected", [
    pytest.param("(Granier, 2016) and (Smith & Jones, 2001)", "van der Graaf & Veeckman, 2014", id="apa-ampersand"),
    pytest.param("(Granier, 2016) and (Smith and Jones, 2001)", "van der Graaf and Veeckman, 2014", id="harvard-and"),
])
def test_corrected_form_follows_the_documents_style(text, expected):
    cites = run(text.replace("Granier, 2016", "van der Graaf, 2014"))
    assert cites[0].expected == expected


def test_missing_comma_is_malformed_only_against_the_documents_own_style():
    apa = run("(Bovaird, 2007) and (Linders 2012) and (Bovaird, 2016)")
    assert "malformed" in apa[1].problems
    harvard = run("(Bovaird 2007) and (Linders 2012) and (Bovaird et al. 2016)")
    assert all("malformed" not in c.problems for c in harvard)
