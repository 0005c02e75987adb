"""The shortcuts ``kb check`` takes for speed give exactly what the general code gives.

Each test compares a shortcut with the general code (or with the code it replaced) on the
same input, so a shortcut that reads a citation differently (another span, name, year,
locator, "et al.") fails here, not only on the documents the other tests happen to hold.
"""

from __future__ import annotations

import json
import re
from dataclasses import astuple

import pytest

import kb.resolve as resolve
from kb.formats.csljson import _item_lines
from kb.records import Document, Passage
from kb.resolve import _parse_any_part, _plain_part, detect

# pieces of a parenthesis the plain reading takes: it must read them as the general one does
PLAIN = [
    "Smith, 2010",
    "Smith, 2010a",
    "Smith, 2010, p. 5",
    "Smith, 2010a, p. 446",
    "Smith et al., 2010",
    "Smith et al., 1978, p. 12",
    "Smith & Jones, 2010",
    "Smith and Jones, 2010b",
    "De & Smith, 2010",  # a particle alone is a surname
    "Van and Dyke, 1999",
]
# pieces it must leave to the general reading, each for its own reason
OTHER = [
    "In, 2010",  # a word that never names an author
    "Both, 1967",  # one that does when alone before a comma: PART decides
    "Table, 2010",
    "December, 2018",
    "Smith 2010",  # no comma
    "Smith, 2010, 2012",
    "Smith, 2010a, b",
    "Smith's, 2010",
    "see Smith, 2010",
    "Smith et al, 2010",
    "Smith, 2010, p. 5-6",
    "Smith, 2010, pp. 5",
    "Smith, 2010, 45",
    "Smith, 2010: 45",
    "Smith, 2010 p. 5",
    "Smith & Jones et al., 2010",
    "Smith, Jones & Brown, 2010",
    "A. Smith, 2010",
    "OECD, 2017",
    "Smith, n.d.",
    "Smith, in press",
    "Smith, 1499",
    "Smith, 20100",
    "Smith, 2010ab",
    "Müller, 2010",
    "van der Graaf, 2014",
    "Smith, 2010, for a review",
]


def fields(cites):
    return [astuple(c) for c in cites or ()]


@pytest.mark.parametrize("part", PLAIN)
def test_plain_pieces_read_as_the_general_reading_reads_them(part):
    plain = _plain_part(part, 7)
    assert plain is not None
    assert fields([plain]) == fields(_parse_any_part(part, 7, None))


@pytest.mark.parametrize("part", OTHER)
def test_other_pieces_are_left_to_the_general_reading(part):
    assert _plain_part(part, 0) is None


TRICKY = """\
Services are coproduced (Smith, 2010, p. 5; Jones et al., 2012a, b; see Brown & Green, 2001).
Smith (2010) and Smith's (2011) work (In Smith and Jones, 2010) came first [3], [4-6].
As \\citep[p.~5]{smith2010} and [@jones2012, p. 4; -@brown2001] show (Smith et al, 2010; 2012).
Work by Kessler and Baldwin, 2001 followed (Table 1; Smith, 2010: 45; Both, 1967; December, 2018).
(Smith & Jones, 2010) (Smith and Jones, 2010b) (De & Smith, 2010) (A. Smith, 2010, p. 9)
(Smith, 2010; Jones et al., 2011, p. 4; Brown and Green, 1999a) (Both, 1967; Smith, 2010) (In, 2010; Smith, 2010)
(Smith, 2010;Jones, 2011) (Smith, 2010 ; Jones, 2011) [Smith, 2010; Jones, 2011] ( Smith, 2010)"""


def document(text: str) -> Document:
    doc = Document("d", "d", "essay", "d.md", text, {})
    start = 0
    for n, line in enumerate(text.split("\n"), 1):
        doc.passages.append(Passage(f"d/p{n}", "d", n, line, start, start + len(line), n))
        start += len(line) + 1
    return doc


@pytest.mark.parametrize("shortcut", ["pieces", "parentheses", "both"])
def test_a_document_reads_the_same_without_the_plain_reading(monkeypatch, shortcut):
    fast = fields(detect(document(TRICKY)))
    if shortcut in ("pieces", "both"):
        monkeypatch.setattr(resolve, "_plain_part", lambda part, start: None)
    if shortcut in ("parentheses", "both"):
        monkeypatch.setattr(resolve._Passage, "plain", lambda self, start, end: False)
    general = fields(detect(document(TRICKY)))
    assert fast == general
    texts = [c[5] for c in fast]  # the text field: every form above was found
    for printed in (
        "Smith, 2010, p. 5",
        "Smith (2010)",
        "[3]",
        "smith2010",
        "@jones2012, p. 4",
        "Kessler and Baldwin, 2001",
    ):
        assert printed in texts


def test_free_sees_every_span_taken():
    """The bisection over taken spans answers as a scan of them would, spans overlapping or not."""
    doc = document("x" * 100)
    scan = resolve._Passage(doc, doc.passages[0], 0)
    spans = [(10, 20), (15, 40), (50, 55), (5, 8), (70, 90)]
    for s, e in spans:
        scan.take(s, e)
    for start in range(0, 100, 3):
        for end in range(start + 1, 101, 4):
            assert scan.free(start, end) == (not any(s < end and start < e for s, e in spans)), (start, end)
    scan.take(41, 49)
    assert not scan.free(45, 46) and scan.free(40, 41)


def test_gaps_are_where_every_character_is_free():
    doc = document("x" * 100)
    scan = resolve._Passage(doc, doc.passages[0], 0)
    for s, e in [(10, 20), (15, 40), (50, 55), (5, 8), (70, 90), (90, 92)]:
        scan.take(s, e)
    in_gap = {i for lo, hi in scan.gaps() for i in range(lo, hi)}
    assert in_gap == {i for i in range(100) if scan.free(i, i + 1)}
    assert scan.gaps()[0] == (0, 5) and scan.gaps()[-1] == (92, 100)


def lines_by_characters(text: str) -> list[int]:
    """The line of each item of a JSON array, one character at a time (the code _item_lines replaced)."""
    lines: list[int] = []
    depth, line = 0, 1
    in_string = escaped = expect_item = False
    for ch in text:
        if ch == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if depth == 1 and expect_item and not ch.isspace() and ch != "]":
            lines.append(line)
            expect_item = False
        if ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth == 1:
                expect_item = True
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 1:
            expect_item = True
    return lines


ITEMS = [
    {"id": "a", "title": 'brackets ] [ } { and a quote \\" inside', "author": [{"family": "Ó Briain"}]},
    {"id": "b\\", "note": "line\nbreak, comma, [1]", "issued": {"date-parts": [[2001, 5]]}},
    [],
    "a string item",
    12.5,
    None,
    {},
]


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(ITEMS),
        json.dumps(ITEMS, indent=2),
        json.dumps(ITEMS, indent=1, ensure_ascii=False),
        "\n\n [\n\n" + ",\n\n".join(json.dumps(i) for i in ITEMS) + "\n ]\n",
        "[ ]",
        "[]",
        '\r\n[\r\n{"id": "x"}\r\n,\t{"id": "y"}]',
    ],
)
def test_item_lines_are_those_a_character_scan_finds(text):
    json.loads(text)  # the reader asks only of JSON it has read
    assert _item_lines(text) == lines_by_characters(text)


# the pattern GROUP replaced: one character per step, giving back what it took when it failed
GROUP_BY_CHARACTERS = re.compile(r"\(((?:[^()]|\([^()]*\))*)\)|\[([^\[\]]*)\]")


@pytest.mark.parametrize(
    "text",
    [
        "(Smith, 2010) and (see Jones (2011); Brown, 2001) [3] [Smith, 2010]",
        "(a (b) c)",
        "((x)",
        "(a (b (c) d) e)",
        "(unclosed and (Smith, 2010)",
        "x) (y",
        "[a] (b",
        "(a)(b)",
        "[(a)]",
        "([a])",
        "( (2010) )",
        "(" * 50 + ")" * 3,
        "(a" + "b" * 1000,
        "[1, (2]",
        "(" + "a(b)" * 30 + ")",
        "[[1]] [[2]",
    ],
)
def test_groups_are_those_the_step_by_step_pattern_finds(text):
    def found(pattern):
        return [(m.span(), m.groups()) for m in pattern.finditer(text)]

    assert found(resolve.GROUP) == found(GROUP_BY_CHARACTERS)


def test_one_typo_off_finds_what_asking_each_year_finds():
    """The surname's entries filtered by the years one typo away, against the index asked once
    per such year (the code it replaced)."""
    refs = [
        resolve.Reference(i, f"w{i}", [name], year)
        for i, (name, year) in enumerate(
            [("Ostrom", 1978), ("Ostrom", 1987), ("Ostrom", 1996), ("van der Graaf", 2014), ("Graaf", 2041)], 1
        )
    ]
    index = resolve.ReferenceIndex(refs)
    for surname, year in [("Ostrom", 1878), ("Ostrom", 1997), ("Ostrom", 1979), ("Graaf", 2014), ("Nobody", 2014)]:
        asked = sorted({i for y in resolve._year_variants(str(year)) for i in index.exact(surname, y)})
        assert index.one_typo_off(surname, year) == asked
    assert index.one_typo_off("Ostrom", 1878) == [0]  # 1978
    assert index.one_typo_off("Graaf", 2014) == [4]  # 2041, and not van der Graaf's own 2014
