"""Citing documents and reports as Markdown: YAML front matter, then paragraphs separated by
blank lines. Each paragraph becomes a passage with its offsets in the file."""

from __future__ import annotations

import re
from pathlib import Path

from kb.formats.text import plain
from kb.normalise import line_of
from kb.records import Document, KbError, Passage, ReferenceSection

_FRONT = re.compile(r"\A---\n(?:(.*?)\n)?---[ \t]*(?:\n|\Z)", re.S)  # empty ("---\n---") too
# what a document's own list is called: its heading, whichever way the document marks it
_LIST_NAME = (
    r"(?:references|reference list|bibliography|works cited|literature cited|literature|sources|"
    r"sources of literature|literature sources)"
)
# "## References", "# Bibliography", "### Works cited": the heading of a document's own list
_REFERENCES = re.compile(rf"^(#{{1,6}})[ \t]*{_LIST_NAME}[ \t]*#*[ \t]*$", re.I | re.M)
# a plain-text document's list begins after a line of its own with one of those names ("Sources of
# literature" in the seed, "References:"): plain text has no headings but such lines
_PLAIN_REFERENCES = re.compile(rf"^()[ \t]*{_LIST_NAME}[ \t]*:?[ \t]*$", re.I | re.M)
_PLAIN_TEXT = (".txt", ".text")
# in Markdown, a line that is only the name underlined as a heading ("References" then "===="),
# or in bold ("**References**", as a word processor's export writes a heading), starts the list
# too, running to the end
_SETEXT_REFERENCES = re.compile(rf"^()[ \t]*{_LIST_NAME}[ \t]*\n(?:=+|-+)[ \t]*$", re.I | re.M)
_BOLD_REFERENCES = re.compile(rf"^()[ \t]*(\*\*|__){_LIST_NAME}:?\2[ \t]*:?[ \t]*$", re.I | re.M)


# the entry after a pasted heading: a number ("[1]", "1."), a surname and a comma, or initials
# first, a year in its first line
_YEAR_LINE = re.compile(r"(?:\[\d+\]|\d+\.|[^\W\d_][\w'’-]*,|(?:[A-Z]\.[ -]?)+[^\W\d_])[^\n]*\b(?:1[5-9]\d\d|20\d\d)\b")


# that line pasted from a word processor into Markdown: a blank line before it (a literal the
# search finds fast: an 18 MB draft is read in 0.01 s, against 0.09 s for a line anywhere)
_PASTED_REFERENCES = re.compile(rf"\n\n()(?i:[ \t]*{_LIST_NAME})[ \t]*:?[ \t]*$", re.M)


def _pasted_heading(text: str, start: int) -> re.Match | None:
    """A Markdown document's list heading as a word processor's paste leaves it, "Reference List"
    a plain line with no "#": the last such line standing alone (a blank line before it), whose
    next line that is not blank starts as a reference does and holds a year."""
    for m in reversed(list(_PASTED_REFERENCES.finditer(text, max(0, start - 2)))):
        if _YEAR_LINE.match(text[m.end() :].lstrip("\n")):
            return m
    return None


# \addbibresource{refs.bib} (biblatex) and \bibliography{refs,more} (BibTeX), on a line that is not
# a comment
_LATEX_LISTS = re.compile(r"^[^%\n]*?\\(?:addbibresource(?:\[[^\]]*\])?|bibliography)\{([^}]*)\}", re.M)


def named_lists(doc: Document) -> list[str]:
    r"""The reference lists a document names, as written (relative to its folder): its front
    matter's ``bibliography`` (pandoc) or ``references`` (kb's .bib) or, without either,
    ``reference_list`` (kb's, any format), as kb build reads them; in a LaTeX document, each
    ``\addbibresource`` and each name of ``\bibliography`` (".bib" added where LaTeX adds it).

    >>> tex = Document("d", "d", "essay", "d.tex", "% \\bibliography{old}\n\\bibliography{refs, more.bib}\n", {})
    >>> named_lists(tex)
    ['refs.bib', 'more.bib']
    """
    meta = doc.meta or {}
    named = meta.get("bibliography") or meta.get("references") or meta.get("reference_list")
    if named:
        return [str(n) for n in named] if isinstance(named, list) else [str(named)]
    if not doc.latex:
        return []
    out = []
    for m in _LATEX_LISTS.finditer(doc.text):
        bibtex = "addbibresource" not in m.group(0)
        for name in (n.strip() for n in m.group(1).split(",")):
            if name:
                out.append(f"{name}.bib" if bibtex and not name.endswith(".bib") else name)
    return out


def read_text(path: Path) -> str:
    """Read a text file as UTF-8 (a byte-order mark is dropped); CRLF becomes LF."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise KbError("binary file (contains NUL bytes)", str(path), hint="give a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise KbError(
            f"not UTF-8 text (byte {data[e.start]:#x})", str(path), line, hint="save the file as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_document(path: Path) -> Document:
    """Read one Markdown document into a Document with its passages."""
    text = read_text(path)
    meta: dict = {}
    body_start = 0
    m = _FRONT.match(text)
    if m:
        import yaml  # only a document with front matter needs it

        try:
            # libyaml's parser where PyYAML has it: a tenth of the pure-Python one's time (0.04
            # against 0.35 ms a front matter; 10,000 documents at 100,000 works), the same
            # values, and errors with the same line (without the quoted line under them)
            meta = yaml.load(m.group(1) or "", Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
        except yaml.YAMLError as e:
            # the parser counts lines from the front matter's first, the file's second
            mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
            problem = getattr(e, "problem", None)
            context = getattr(e, "context", None)
            what = f"{problem} ({context})" if problem and context else problem or str(e)
            raise KbError(
                f"invalid front matter: {what}",
                str(path),
                mark.line + 2 if mark else 1,
                hint="check the quoting and indentation of the YAML between the two '---' lines",
            ) from None
        body_start = m.end()
    elif text.startswith("---\n"):
        raise KbError(
            "the front matter opened here is never closed",
            str(path),
            1,
            hint="end it with a line of three dashes (---) before the text; a rule, not front matter, "
            "starts after a blank line",
        )
    doc_id = str(meta.get("id") or path.stem)
    doc = Document(
        id=doc_id,
        title=str(meta.get("title") or doc_id),
        kind=str(meta.get("kind") or "document"),
        path=str(path),
        text=text,
        meta=meta,
    )
    body_end = len(text)
    section = _REFERENCES.search(text, body_start)
    if section is None and path.suffix.lower() in _PLAIN_TEXT:
        section = _PLAIN_REFERENCES.search(text, body_start)
    elif section is None:
        found = [m for m in (p.search(text, body_start) for p in (_SETEXT_REFERENCES, _BOLD_REFERENCES)) if m]
        section = min(found, key=lambda m: m.start()) if found else _pasted_heading(text, body_start)
    if section:
        level = len(section.group(1))  # 0: a plain-text document's, which runs to the end
        after = section.end() + 1
        following = re.compile(rf"^#{{1,{level}}}[ \t]", re.M).search(text, after) if level else None
        end = following.start() if following else len(text)
        doc.references = ReferenceSection(
            plain(text[after:end]) if after <= end else "", min(after, end), text.count("\n", 0, min(after, end)) + 1
        )
        body_end = section.start()
        rest = (end, len(text)) if following else None
    first_source_line = None
    lines = str(meta.get("source_lines") or "")
    if re.fullmatch(r"\d+-\d+", lines):
        first_source_line = int(lines.split("-")[0])
    number = 0
    line = line_of(text)
    spans = [(body_start, body_end)] + ([rest] if section and rest else [])
    for lo, hi in spans:
        for para in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text[lo:hi]):
            number += 1
            start = lo + para.start()
            end = lo + para.end()
            doc.passages.append(
                Passage(
                    id=f"{doc_id}/p{number}",
                    document_id=doc_id,
                    number=number,
                    text=para.group(0),
                    start=start,
                    end=end,
                    line=line(start),
                    source_line=first_source_line + number - 1 if first_source_line else None,
                )
            )
    if not doc.passages:
        raise KbError("document has no paragraphs", str(path), hint="add text after the front matter")
    return doc
