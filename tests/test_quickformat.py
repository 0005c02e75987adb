"""The quick formatter gives citeproc-py's text, or none: generated works of every shape it lets
through, and of shapes just past them, formatted both ways."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.export import format_references, formatting_items
from kb.quickformat import FIELDS as QUICK_FIELDS
from kb.quickformat import quick_format
from kb.records import Work
from loaders.bibtex import load_bibtex

EXAMPLES = int(os.environ.get("KB_QUICKFORMAT_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PLAIN_WORDS = ["public", "Services", "the", "of", "and", "co-production", "ICT", "in", "e-government", "Über"]
PLAIN_WORDS += ["über", "R&D", "50%", "a", "via", "2.0", "x", "A.", "Wait", "é", "1"]
ODD_WORDS = ["citizens'", "“New”", "(digital)", "[sic]", "<b>", "$5", "#1", "under_score", "~", "back\\slash", "Ü"]


def text(words: list[str], punct: list[str], last: list[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda ws, ends, end: " ".join(w + e for w, e in zip(ws, ends, strict=False)) + end,
        st.lists(st.sampled_from(words), min_size=0, max_size=7),
        st.lists(st.sampled_from(punct), min_size=7, max_size=7),
        st.sampled_from(last),
    )


# plain values, which the quick formatter takes, and odd ones beside each, which it may leave
PLAIN = {
    "text": text(
        PLAIN_WORDS, ["", "", "", "", ":", ",", "?", "!", " -", "/"], ["public", "ICT", "e-government?", "Über!"]
    ),
    "given": st.sampled_from(["T.", "Tony", "S. P.", "S.P.", "Stephen P.", "É.", "Élise", "Jean Paul"]),
    "family": st.sampled_from(["Bovaird", "Löffler", "Smith-Jones", "McDonald", "A", "Ōno", "Pérez-Quiñones"]),
    "literal": st.sampled_from(["OECD", "World Bank", "European Commission"]),
    "number": st.sampled_from(["1", "67", "123456", "9"]),
    "issue": st.sampled_from(["1", "67", "1-2", "12-3"]),
    "page": st.sampled_from(["846-860", "846-60", "846", "1", "12-3"]),
    "DOI": st.sampled_from(["10.1111/j.1540-6210.2007.00773.x", "10.1/x", "10.9999/kb.12", "10.1000/(a)b;c:d"]),
    "URL": st.sampled_from(["https://example.org/a?b=1&c=2", "http://x.org/", "https://x.org/~a/b#c"]),
    "issued": st.integers(1000, 2999).map(lambda y: {"date-parts": [[y]]}),
}
ODD = {
    "text": text(
        PLAIN_WORDS + ODD_WORDS,
        ["", ":", ",", "?", "!", ".", ";", " -", "/", "  ", " .", "..", "?."],
        ["", "x", "A.", "50%", "public:", "(x)", "“y”", "ICT?!", "end.", "end .", " "],
    ),
    "given": st.sampled_from(["J", "Jean-Paul", "de", "", "T.-K.", "t.", "J.R.R.", "Ma. Teresa"]),
    "family": st.sampled_from(["van der Graaf", "O'Brien", "Ng2", "de Vries", "DE", "von"]),
    "literal": st.sampled_from(["OECD & Co", "U.N.", "the Others", "OECD."]),
    "number": st.sampled_from(["12a", "S1", "", "3–4", "1-2", "IV"]),
    "issue": st.sampled_from(["12a", "S1", "", "3–4", "Spring"]),
    "page": st.sampled_from(["e123", "846--860", "iv-x", "846–860", "846-860, 870", ""]),
    "DOI": st.sampled_from(["doi:10.1/x", "10.1/a b", "https://doi.org/10.1/x", "10.1/x<y>"]),
    "URL": st.sampled_from(["ftp://x.org", "https://x.org/a b", "x.org", 'https://x.org/"{}']),
    "issued": st.sampled_from([{"date-parts": [[2012, 5]]}, {"date-parts": [["2012"]]}, {"literal": "2012"}, {}]),
}
FIELDS = {
    "container-title": "text",
    "publisher": "text",
    "publisher-place": "text",
    "volume": "number",
    "issue": "issue",
    "page": "page",
    "DOI": "DOI",
    "URL": "URL",
    "issued": "issued",
}


def value(kind: str, odd: bool) -> st.SearchStrategy:
    return st.one_of(PLAIN[kind], ODD[kind]) if odd else PLAIN[kind]


def name(odd: bool) -> st.SearchStrategy[dict]:
    options = [
        st.builds(lambda f, g: {"family": f, "given": g}, value("family", odd), value("given", odd)),
        st.builds(lambda f: {"family": f}, value("family", odd)),
        st.builds(lambda n: {"literal": n}, value("literal", odd)),
    ]
    if odd:
        options.append(st.just({"family": "Graaf", "non-dropping-particle": "van der", "given": "S."}))
    return st.one_of(options)


@st.composite
def items(draw, odd: bool = False) -> dict:
    """A work of a shape the quick formatter takes; with ``odd``, one or two of its values, names
    or fields then changed to something it may have to leave to citeproc-py."""
    kind = draw(st.sampled_from(["article-journal", "article-journal", "book", "chapter"]))
    required, optional = QUICK_FIELDS[kind]
    item = {
        "id": "w",
        "type": kind,
        "title": draw(PLAIN["text"]),
        "author": draw(st.lists(name(False), min_size=1, max_size=9)),
    }
    if "container-title" in required:
        item["container-title"] = draw(PLAIN["text"])
    for key in draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional))):
        item[key] = draw(PLAIN[FIELDS[key]])
    if "URL" in item and "issued" not in item:
        item["issued"] = {"date-parts": [[2020]]}
    for _ in range(draw(st.integers(1, 2)) if odd else 0):
        change = draw(st.sampled_from(["value", "name", "authors", "field", "type", "drop"]))
        if change == "value":
            key = draw(st.sampled_from(sorted(FIELDS)))
            item[key] = draw(ODD[FIELDS[key]])
        elif change == "name":
            item["author"][draw(st.integers(0, len(item["author"]) - 1))] = draw(name(True))
        elif change == "authors":
            item["author"] = draw(st.lists(name(False), min_size=19, max_size=23))
        elif change == "field":
            item[draw(st.sampled_from(["edition", "language", "editor", "note", "genre"]))] = "2"
        elif change == "type":
            item["type"] = draw(st.sampled_from(["report", "thesis", "paper-conference", "article-magazine"]))
        else:
            item.pop(draw(st.sampled_from(["issued", "container-title", "publisher", "volume", "title"])), None)
    return item


def citeproc(item: dict, style: str, html: bool = False) -> str:
    return format_references([Work(csl=item)], style, html=html, suffixes={})[item["id"]]


@SETTINGS
@given(items(odd=True), st.sampled_from(["apa", "ieee"]), st.booleans())
def test_quick_text_is_citeprocs_or_none(item, style, html):
    quick = quick_format(item, style, html=html)
    if quick is not None:
        assert quick == citeproc(item, style, html)


@SETTINGS
@given(items(), st.sampled_from(["apa", "ieee"]), st.booleans())
def test_plain_shapes_are_formatted_quickly_as_citeproc_does(item, style, html):
    assert quick_format(item, style, html=html) == citeproc(item, style, html)


ARTICLE = {
    "id": "w",
    "type": "article-journal",
    "author": [{"family": "Bovaird", "given": "Tony"}, {"family": "Löffler", "given": "E."}],
    "title": "From engagement to co-production: How users contribute?",
    "container-title": "Voluntas",
    "issued": {"date-parts": [[2012]]},
    "volume": "23",
    "issue": "4",
    "page": "1119-1138",
    "DOI": "10.1007/s11266-012-9309-6",
}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({}, id="journal-article"),
        pytest.param({"issue": None, "DOI": None, "URL": "https://example.org/a"}, id="article-with-url"),
        pytest.param({"container-title": "journal of public policy"}, id="journal-name-title-cased"),
        pytest.param({"author": [{"family": f"A{'b' * i}", "given": "B."} for i in range(8)]}, id="eight-authors"),
        pytest.param({"author": [{"literal": "OECD"}], "issued": None}, id="organisation-no-date"),
        pytest.param(
            {
                "type": "book",
                "container-title": None,
                "volume": None,
                "issue": None,
                "page": None,
                "publisher": "Routledge",
            },
            id="book",
        ),
        pytest.param(
            {"type": "chapter", "volume": None, "issue": None, "DOI": None, "publisher": "Routledge"},
            id="chapter",
        ),
    ],
)
@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_plain_works_are_formatted_quickly_as_citeproc_does(change, style):
    item = {**ARTICLE, **change}
    item = {k: v for k, v in item.items() if v is not None}
    quick = quick_format(item, style)
    assert quick is not None
    assert quick == citeproc(item, style)
    html = quick_format(item, style, html=True)
    assert html == citeproc(item, style, html=True) and "<i>" in html


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"type": "report"}, id="other-type"),
        pytest.param({"edition": "2"}, id="other-field"),
        pytest.param({"title": "The “New” governance"}, id="quotes-in-title"),
        pytest.param(
            {"author": [{"family": "Graaf", "non-dropping-particle": "van der", "given": "S."}]}, id="particle"
        ),
        pytest.param({"author": [{"family": f"A{i}", "given": "B."} for i in range(21)]}, id="21-authors"),
        pytest.param({"issued": {"date-parts": [[2012, 5]]}}, id="full-date"),
        pytest.param({"page": "e123"}, id="page-not-a-number"),
    ],
)
def test_other_shapes_are_left_to_citeproc(change):
    assert quick_format({**ARTICLE, **change}, "apa") is None


def test_seed_works_quick_where_possible_and_as_citeproc(root):
    works, _ = load_bibtex(root / "bibliography/seed-references.bib")
    quick = 0
    for style in ("apa", "ieee"):
        slow = format_references(works, style, suffixes={})
        for w, item in zip(works, formatting_items(works, style), strict=True):
            text = quick_format(item, style)
            if text is not None:
                quick += 1
                assert text == slow[w.id], w.id
    assert quick >= len(works)  # most of the seed's works are of the plain shapes


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="this machine gives the tests one core")
def test_a_large_library_is_formatted_across_cores_as_in_one_process(root):
    """Past PARALLEL_FROM works the quick texts are made in forked processes: the texts are the
    same as in one process (the seed's works of the plain shapes, copied under new ids)."""
    import copy

    from kb.formatcache import PARALLEL_FROM, format_cached

    seed, _ = load_bibtex(root / "bibliography/seed-references.bib")
    seed = [w for w in seed if quick_format({k: v for k, v in w.csl.items() if not k.startswith("_")}, "apa")]
    works = []
    for i in range(PARALLEL_FROM // len(seed) + 1):
        for w in seed:
            twin = copy.deepcopy(w)
            twin.csl["id"] = f"{w.id}-{i}"
            twin.csl["title"] = f"{w.csl.get('title', '')} {i}"
            works.append(twin)
    one = format_cached(works, processes=1)
    two = format_cached(works, processes=2)
    assert one == two and len(one["apa"]) == len(works) and len(one["ieee"]) == len(works)
