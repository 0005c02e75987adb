"""`kb cite --format apa|ieee --as text|html|markdown`: the same references, with italics kept
in HTML and Markdown. Markdown is read back by pandoc (pypandoc-binary), which must see the
same text and the same italics as the HTML."""

from __future__ import annotations

import html
import re
import subprocess

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.formats.styles import write_styled
from kb.records import Work

# A few of the seed's references as APA 7 and the IEEE guide print them (tests/test_export.py
# holds more); plain text must stay exactly this.
PLAIN = {
    "apa": [
        "Osborne, S. (2006). The New Public Governance? Public Management Review, 8, 377–387.",
        "Marres, N. (2012). Material Participation: Technology, The Environment and Everyday Publics. "
        "Palgrave Macmillan.",
        "van der Graaf, S., & Veeckman, C. (2014). Designing for participatory governance: Assessing capabilities "
        "and toolkits in public service delivery. Info, 16(6), 74–88.",
    ],
    "ieee": [
        "S. Osborne, “The New Public Governance?,” Public Management Review, vol. 8, pp. 377–387, 2006.",
        "N. Marres, Material Participation: Technology, The Environment and Everyday Publics. London: "
        "Palgrave Macmillan, 2012.",
    ],
}

ITALIC = {
    "apa": [
        "Public Management Review",
        "8",
        "Material Participation: Technology, The Environment and Everyday Publics",
    ],
    "ieee": ["Public Management Review", "Material Participation: Technology, The Environment and Everyday Publics"],
}


def cite(built_db, *args: str) -> str:
    result = CliRunner().invoke(cli, ["cite", "--db", str(built_db), *args])
    assert result.exit_code == 0, result.output
    return result.output


def pandoc(text: str, to: str) -> str:
    import pypandoc

    done = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "commonmark", "-t", to, "--wrap=none"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def strip_tags(line: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", line))


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_plain_text_is_unchanged(built_db, style):
    default = cite(built_db, "--format", style)
    assert cite(built_db, "--format", style, "--as", "text") == default
    lines = default.splitlines()
    assert len(lines) == 36
    for text in PLAIN[style]:
        assert text in lines


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_html_has_the_same_references_with_italics(built_db, style):
    plain = cite(built_db, "--format", style).splitlines()
    lines = cite(built_db, "--format", style, "--as", "html").splitlines()
    assert all(re.fullmatch(r'<div class="csl-entry">.*</div>', line) for line in lines)
    assert [strip_tags(line) for line in lines] == plain
    out = "\n".join(lines)
    for title in ITALIC[style]:
        assert f"<i>{html.escape(title, quote=False)}</i>" in out
    if style == "apa":
        assert "van der Graaf, S., &amp; Veeckman, C. (2014)" in out


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_markdown_reads_back_as_the_text_and_the_italics(built_db, style):
    plain = cite(built_db, "--format", style)
    markdown = cite(built_db, "--format", style, "--as", "markdown")
    for title in ITALIC[style]:
        assert f"*{title}*" in markdown
    # one paragraph a reference; pandoc sees exactly the plain text ...
    assert pandoc(markdown, "plain").rstrip("\n").split("\n\n") == plain.rstrip("\n").split("\n")
    # ... and the italics of the HTML
    as_html = cite(built_db, "--format", style, "--as", "html")
    expected = re.sub(r'<div class="csl-entry">(.*)</div>', r"<p>\1</p>", as_html).replace("<i>", "<em>")
    assert pandoc(markdown, "html") == expected.replace("</i>", "</em>")


HOSTILE = Work(
    csl={
        "id": "hostile2020",
        "type": "book",
        "title": "R&D_2 *new* [draft] <b>bold</b> <script>x()</script> #1 `code` ~x~ ^y^ $5 | a\\b !",
        "author": [{"family": "Smith", "given": "J."}],
        "publisher": "A_B * C",
        "issued": {"date-parts": [[2020]]},
    }
)


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_markdown_escapes_what_markdown_would_read_as_markup(style):
    plain = write_styled([HOSTILE], style)
    markdown = write_styled([HOSTILE], style, "markdown")
    assert pandoc(markdown, "plain").strip() == plain.strip()
    assert pandoc(markdown, "html").count("<em>") == 1  # the book title, and nothing the title says


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_html_escapes_the_text_of_a_field(style):
    """citeproc-py's HTML formatter writes a field's text as it is; a title's "<script>" must
    reach the page as text."""
    plain = write_styled([HOSTILE], style)
    out = write_styled([HOSTILE], style, "html")
    assert "<script>" not in out and "<b>" not in out and "R&amp;D_2" in out
    assert strip_tags(out) == plain
    assert out.count("<i>") == 1


def test_as_html_is_for_formatted_references_only(built_db):
    result = CliRunner().invoke(cli, ["cite", "--db", str(built_db), "--format", "bibtex", "--as", "html"])
    assert result.exit_code == 2
    assert "--format apa or ieee" in result.output


@pytest.mark.parametrize("style", ["apa", "ieee"])
def test_plain_text_is_citeproc_s_text_of_the_whole_list(root, style):
    """Plain APA and IEEE text comes from the quick formatter where a work's shape allows and from
    citeproc-py otherwise, yet reads exactly as citeproc-py's text of the whole list, year letters
    included: the seed's works and a copy of each by the same authors in the same year (2006a,
    2006b across works of both kinds)."""
    import copy

    from kb.export import format_references
    from kb.formats.styles import apa_order, html_to_markdown
    from kb.quickformat import quick_format
    from loaders.bibtex import load_bibtex

    seed, _ = load_bibtex(root / "bibliography/seed-references.bib")
    works = list(seed)
    for w in seed:
        twin = copy.deepcopy(w)
        twin.csl["id"] = f"{w.id}-twin"
        twin.csl["title"] = f"Another {w.csl.get('title', 'title')}"
        works.append(twin)
    quick = [w for w in works if quick_format({k: v for k, v in w.csl.items() if not k.startswith("_")}, style)]
    assert 0 < len(quick) < len(works)  # both paths are taken
    listed = sorted(works, key=apa_order) if style == "apa" else works
    texts = format_references(listed, style)
    assert write_styled(works, style) == "".join(texts[w.id] + "\n" for w in listed)
    if style == "apa":
        assert any(re.search(r"\(\d{4}[ab]\)", texts[w.id]) for w in works)
    html_texts = format_references(listed, style, html=True)
    assert write_styled(works, style, "html") == "".join(
        f'<div class="csl-entry">{html_texts[w.id]}</div>\n' for w in listed
    )
    assert write_styled(works, style, "markdown") == "\n".join(
        html_to_markdown(html_texts[w.id]) + "\n" for w in listed
    )
