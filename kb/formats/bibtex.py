"""BibTeX, read and written.

Reading goes through bibtexparser 2: entries become CSL-JSON works; a block that does not parse
is kept as a failed entry with its raw text, its line and the parser's error (``parse_bibtex``),
and in a reference list as a work with an ``unparsed-reference`` problem (``read_bibtex``).
Writing (``to_bibtex``) gives entries that read back with bibtexparser into the same fields.
The type and field maps of both directions sit here, side by side.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import bibtexparser
from bibtexparser.exceptions import PartialMiddlewareException
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors, SplitNameParts
from bibtexparser.model import MiddlewareErrorBlock

from kb.formats import Format
from kb.formats.csljson import implied_genre
from kb.normalise import bare_initials, citation_key, family, iso_date, line_of, unique_keys
from kb.records import Problem, Work, severity_of

_LATEX = re.compile(r"[\\$~%&]|--|``|''")
# "--" (an en dash in TeX) and otherwise nothing TeX reads: no braces, no em dash, no quotes
_DASHES_ONLY = re.compile(r"(?:[^\\$~%&{}`'-]|(?<!-)-(?!-)|(?<!-)--(?!-))*")


DECODED_KEPT = 20_000  # values FastLatexDecoding keeps decoded (a few MB)


class FastLatexDecoding(LatexDecodingMiddleware):
    """bibtexparser's LaTeX decoding, with plain values (no backslash, math, ties, dashes or TeX
    quotes: most of a real .bib file) passed through without starting pylatexenc, which costs
    about 1 ms a value: a 100-entry list read in 0.05 s instead of 0.4 s. Same output."""

    def __init__(self, keep_braced_groups: bool = False):
        super().__init__(keep_braced_groups=keep_braced_groups)
        self.keep_braces = keep_braced_groups
        self.decoded: dict[str, tuple[str, str]] = {}

    def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
        if _DASHES_ONLY.fullmatch(python_string):
            return python_string.replace("--", "–"), ""  # a page range, "846--860": its en dash
        if _LATEX.search(python_string):
            # the same value decoded once: a journal ("Policy & Politics"), a name with an
            # accent, repeated across a library's lists (pylatexenc: 1 ms each, a fifth of
            # reading 10,000 lists at 100,000 works for one journal's ampersand)
            done = self.decoded.get(python_string)
            if done is None:
                if len(self.decoded) >= DECODED_KEPT:
                    self.decoded.clear()
                done = self.decoded[python_string] = super()._transform_python_value_string(python_string)
            return done
        return (python_string if self.keep_braces else python_string.replace("{", "").replace("}", "")), ""


# bibtexparser logs each failed block; we keep them as data instead (FailedEntry).
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

BIBTEX_TO_CSL_TYPE = {
    "article": "article-journal",
    "book": "book",
    "booklet": "pamphlet",
    "inbook": "chapter",
    "incollection": "chapter",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "manual": "report",
    "mastersthesis": "thesis",
    "phdthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "online": "webpage",
    "misc": "document",
    "unpublished": "manuscript",
}

# BibTeX field -> CSL-JSON variable, for plain string fields.
BIBTEX_TO_CSL_FIELD = {
    "title": "title",
    "journal": "container-title",
    "journaltitle": "container-title",
    "booktitle": "container-title",
    "volume": "volume",
    "number": "issue",
    "issue": "issue",
    "publisher": "publisher",
    "address": "publisher-place",
    "location": "publisher-place",
    "eventtitle": "event",
    "venue": "event-place",
    "edition": "edition",
    "doi": "DOI",
    "url": "URL",
    "isbn": "ISBN",
    "issn": "ISSN",
    "note": "note",
    "series": "collection-title",
    "institution": "publisher",
    "school": "publisher",
    "type": "genre",
}


@dataclass
class FailedEntry:
    """A BibTeX block that could not be parsed: kept, never dropped."""

    raw: str
    line: int
    error: str


def _unbrace(text: str) -> str:
    return text.replace("{", "").replace("}", "")


def name_to_csl(parts: Any) -> dict[str, str]:
    """bibtexparser NameParts -> CSL name; an organisation ({OECD}, or a braced name) becomes
    ``{"literal": ...}``."""
    raw_family = " ".join(parts.last)
    family = _unbrace(raw_family)
    given = _unbrace(" ".join(parts.first))
    braced = raw_family.startswith("{") and raw_family.endswith("}")
    if not given and not parts.von and (braced or family.isupper() or " " in family):
        return {"literal": family}
    name = {"family": family}
    if given:
        name["given"] = bare_initials(given)
    if parts.von:  # "van der Graaf": a particle printed before the family name
        name["non-dropping-particle"] = _unbrace(" ".join(parts.von))
    if parts.jr:
        name["suffix"] = _unbrace(" ".join(parts.jr))
    return name


# the fields of names, the same in BibTeX (biblatex's translator) as in CSL, read as bibtexparser's
# name middlewares read them
NAME_ROLES = ("author", "editor", "translator")


_THESIS_GENRE = {
    "phdthesis": "Doctoral dissertation",
    "mastersthesis": "Master's thesis",
    "thesis": "",
    # biblatex's type keys
    "mathesis": "Master's thesis",
    "masterthesis": "Master's thesis",
}
_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
_URL = re.compile(r"(?:\\url\{)?(https?://\S+?)\}?")


_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def _issued(fields: dict[str, Any]) -> list[int]:
    """The date-parts of ``date = {2015-05-28}`` (biblatex) or of ``year``, ``month`` (``mar``,
    "March", 3) and ``day``.

    >>> _issued({"date": "2015-05-28"}), _issued({"year": "2011", "month": "mar", "day": "15"}), _issued({"year": "1990"})
    ([2015, 5, 28], [2011, 3, 15], [1990])
    """
    iso = iso_date(str(fields.get("date") or "").split("/")[0])  # biblatex's range "2015-05/2015-06": its start
    if iso and not fields.get("year"):
        return iso
    year = re.search(r"\d{4}", str(fields.get("year") or fields.get("date") or ""))
    if not year:
        return []
    out = [int(year.group(0))]
    month = str(fields.get("month") or "").strip().lower()
    number = int(month) if month.isdigit() else _MONTHS.get(month[:3])
    if number and 1 <= number <= 12:
        out.append(number)
        day = str(fields.get("day") or "").strip()
        if day.isdigit() and 1 <= int(day) <= 31:
            out.append(int(day))
    return out


def entry_to_work(entry: Any, path: str) -> Work:
    """One parsed bibtexparser entry -> Work (CSL-JSON)."""
    fields = {k.lower(): f.value for k, f in entry.fields_dict.items()}
    csl: dict[str, Any] = {"id": entry.key, "type": BIBTEX_TO_CSL_TYPE.get(entry.entry_type.lower(), "document")}
    et_al = False
    for role in NAME_ROLES:
        names = fields.get(role)
        if not names:
            continue
        out = []
        for parts in names:
            if " ".join(parts.last).lower() == "others" and not parts.first:
                et_al = True
                continue
            out.append(name_to_csl(parts))
        csl[role] = out
    for bib, var in BIBTEX_TO_CSL_FIELD.items():
        value = fields.get(bib)
        if isinstance(value, str) and value.strip() and var not in csl:
            csl[var] = re.sub(r"\s+", " ", value.strip())
    kind = entry.entry_type.lower()
    if kind in _THESIS_GENRE:  # @phdthesis, @mastersthesis: the kind of thesis is the genre
        genre = _THESIS_GENRE.get(str(csl.get("genre", "")).lower(), csl.get("genre")) or _THESIS_GENRE[kind]
        if genre:
            csl["genre"] = genre
    if csl["type"] == "report" and csl.get("issue") and not fields.get("issue"):
        csl["number"] = csl.pop("issue")  # a report's number ("CERN-DD-89-001-OC"), not an issue
    if csl.get("DOI"):  # "https://doi.org/10.1038/x" and "doi:10.1038/x" are the DOI 10.1038/x
        csl["DOI"] = _DOI_PREFIX.sub("", csl["DOI"])
    link = _URL.fullmatch(str(fields.get("howpublished") or "").strip())
    if "URL" not in csl and link:
        csl["URL"] = link.group(1)  # @misc's "howpublished = {\url{...}}"
    if csl.get("issue"):
        csl["issue"] = re.sub(r"\s*(?:-{1,3}|–)\s*", "-", csl["issue"])
    if fields.get("pages"):
        csl["page"] = re.sub(r"\s*-{1,3}\s*|\s*–\s*", "-", fields["pages"].strip())
    issued = _issued(fields)
    if issued:
        csl["issued"] = {"date-parts": [issued]}
    original = iso_date(str(fields.get("origdate") or ""))
    if original:  # biblatex's origdate: APA's "(Original work published 1949)"
        csl["original-date"] = {"date-parts": [original]}
    return Work(
        csl=csl, source=path, line=entry.start_line + 1, provenance=str(fields.get("provenance") or ""), et_al=et_al
    )


_VERBATIM = frozenset({"url", "doi", "eprint", "file"})  # biblatex's verbatim fields


_VERBATIM_ESCAPES = re.compile(r"\\([_%#&$])|\\textasciitilde\{\}|\\~\{\}")
_URL_COMMAND = re.compile(r"\s*\\url\{(.*)\}\s*", re.S)


def _verbatim(value: str) -> str:
    r"""A verbatim field's text: ``\url{...}`` unwrapped, LaTeX escapes some tools write undone.

    >>> _verbatim(r"\url{https://x.org/a\_b\%20c\textasciitilde{}d}")
    'https://x.org/a_b%20c~d'
    """
    m = _URL_COMMAND.fullmatch(value)
    text = m.group(1) if m else value
    return _VERBATIM_ESCAPES.sub(lambda e: e.group(1) or "~", text).strip()


class FieldwiseLatexDecoding(LatexDecodingMiddleware):
    """Names decoded with their braces kept, so that "{OECD \\& Co}" stays one organisation
    (SplitNameParts reads the braces); every other field decoded plain. One parse, not two."""

    def __init__(self):
        super().__init__()
        self.names = FastLatexDecoding(keep_braced_groups=True)
        self.plain = FastLatexDecoding()

    def transform_entry(self, entry, library):
        errors = []
        for f in entry.fields:
            if f.key.lower() in _VERBATIM and isinstance(f.value, str):
                # a link is read as written ("%" in it is no comment), its escapes undone
                enclosing = f.enclosing
                f.value = _verbatim(f.value)
                f.enclosing = enclosing
                continue
            if isinstance(f.value, str):
                enclosing = f.enclosing  # the value setter resets it; only the representation changes
                decoder = self.names if f.key.lower() in NAME_ROLES else self.plain
                f.value, error = decoder._transform_python_value_string(f.value)
                f.enclosing = enclosing
                if error:
                    errors.append(error)
        if errors:
            return MiddlewareErrorBlock(block=entry, error=PartialMiddlewareException(errors))
        return entry


_DECODING: FieldwiseLatexDecoding | None = None


def _decoding() -> FieldwiseLatexDecoding:
    """The LaTeX decoding, made once: each one makes pylatexenc's macro tables anew (0.4 ms, a
    tenth of reading a 20-entry file; 10,000 files at 100,000 works). It keeps nothing of an
    entry between calls."""
    global _DECODING
    if _DECODING is None:
        _DECODING = FieldwiseLatexDecoding()
    return _DECODING


def parse_bibtex(text: str, path: str = "<string>") -> tuple[list[Work], list[FailedEntry]]:
    """Parse BibTeX text into works (in file order) and failed blocks. Nothing is dropped: a
    block bibtexparser skipped or took for something else (``@preamble_x{``) is a failed block
    too, and every entry has a key, unique in the file."""
    library = bibtexparser.parse_string(text, append_middleware=[_decoding(), SeparateCoAuthors(), SplitNameParts()])
    works = []
    failed = [FailedEntry(raw=b.raw, line=b.start_line + 1, error=_reason(b)) for b in library.failed_blocks]
    for entry in library.entries:
        try:
            work = entry_to_work(entry, path)
        except (AttributeError, TypeError, ValueError) as e:  # a field of a shape the middlewares left unsplit
            failed.append(FailedEntry(raw=entry.raw, line=entry.start_line + 1, error=f"unreadable field: {e}"))
            continue
        work.problems.extend(_missing_commas(entry.raw, path, entry.start_line + 1))
        works.append(work)
    for block in library.preambles:
        if not _PREAMBLE.match(block.raw or ""):
            failed.append(FailedEntry(raw=block.raw, line=block.start_line + 1, error="not a BibTeX block type"))
    failed += _skipped_blocks(text, library.blocks)
    failed.sort(key=lambda f: f.line)
    given = [w.csl.get("id") or "" for w in works]
    keys = [
        key
        or citation_key(family((w.csl.get("author") or w.csl.get("editor") or [{}])[0]), w.year, w.csl.get("title", ""))
        for w, key in zip(works, given, strict=True)
    ]
    for work, key, own in zip(works, unique_keys(keys), given, strict=True):
        work.csl["id"] = key
        work.key_given = bool(own)
    for position, work in enumerate(works, 1):
        work.position = position
    return works, failed


_PREAMBLE = re.compile(r"@\s*preamble\s*[{(]", re.I)
_BLOCK_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z_][\w-]*)[ \t]*[{(]", re.M)
# "journal = {Public Administration Review} volume = {67}": a value closes and the next field
# starts without the comma between them (the journal would swallow the volume)
_NO_COMMA = re.compile(r"[}\"][ \t]*\n?[ \t]*([A-Za-z][\w-]*)[ \t]*=[ \t]*[{\"\d]")


def _missing_commas(raw: str, path: str, line: int) -> list[Problem]:
    out = []
    for m in _NO_COMMA.finditer(raw or ""):
        out.append(
            Problem(
                "malformed-field",
                f"no comma before '{m.group(1)} =': the field before it took it in; add the comma",
                path,
                line + raw.count("\n", 0, m.start()),
                severity=severity_of("malformed-field"),
            )
        )
    return out


def _skipped_blocks(text: str, blocks: list[Any]) -> list[FailedEntry]:
    """Every "@type{" line that no block bibtexparser returned covers (it would be lost), as a
    failed block running to the next block start. Lines and coverage by bisection: a .bib of
    100,000 entries is read in one pass, not one scan per block."""
    spans = sorted((b.start_line, b.start_line + (b.raw or "").count("\n")) for b in blocks)
    firsts = [a for a, _ in spans]
    line_at = line_of(text)
    starts = [(line_at(m.start()) - 1, m) for m in _BLOCK_START.finditer(text)]
    out = []
    for i, (line, m) in enumerate(starts):
        k = bisect_right(firsts, line) - 1  # the last block starting at or before this line
        if m.group(1).lower() == "comment" or (k >= 0 and line <= spans[k][1]):
            continue
        end = starts[i + 1][1].start() if i + 1 < len(starts) else len(text)
        out.append(FailedEntry(raw=text[m.start() : end].strip(), line=line + 1, error="a block the parser skipped"))
    return out


def _reason(block: Any) -> str:
    """bibtexparser's reason for a failed block, as one line."""
    error = getattr(block, "error", None)
    text = getattr(error, "abort_reason", None) or str(error or "") or type(error).__name__
    first = " ".join(str(text).split())
    return first or "the block could not be parsed"


def read_bibtex(text: str, source: str) -> list[Work]:
    """BibTeX -> works; a block that fails to parse is kept as a work with its raw text and error."""
    works, failed = parse_bibtex(text, source)
    ids = unique_keys([w.id for w in works] + [f"unparsed-line-{f.line}" for f in failed])[len(works) :]
    for f, key in zip(failed, ids, strict=True):
        works.append(
            Work(
                csl={"id": key, "type": "document"},
                raw=f.raw,
                source=source,
                line=f.line,
                problems=[
                    Problem(
                        "unparsed-reference",
                        f"BibTeX entry does not parse: {f.error}",
                        source,
                        f.line,
                        work_id=key,
                    )
                ],
            )
        )
    works.sort(key=lambda w: w.line or 0)
    return works


# Writing

CSL_TO_BIBTEX_TYPE = {
    "article-journal": "article",
    "article-magazine": "article",
    "article-newspaper": "article",
    "book": "book",
    "chapter": "incollection",
    "paper-conference": "inproceedings",
    "report": "techreport",
    "thesis": "phdthesis",
    "webpage": "online",
    "manuscript": "unpublished",
    "pamphlet": "booklet",
}
_PUBLISHER_FIELD = {"phdthesis": "school", "mastersthesis": "school", "techreport": "institution"}
CSL_TO_BIBTEX_FIELD = [
    ("title", "title"),
    ("container-title", None),
    ("volume", "volume"),
    ("issue", "number"),
    ("number", "number"),
    ("page", "pages"),
    ("publisher", "publisher"),
    ("publisher-place", "address"),
    ("event", "eventtitle"),
    ("event-place", "venue"),
    ("edition", "edition"),
    ("DOI", "doi"),
    ("URL", "url"),
    ("ISBN", "isbn"),
    ("ISSN", "issn"),
    ("collection-title", "series"),
    ("note", "note"),
    ("genre", "type"),
]
_BIB_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
}


def bibtex_escape(text: str) -> str:
    r"""Escape BibTeX/LaTeX specials; UTF-8 letters stay as they are (biblatex reads them).
    Line breaks fold to spaces. BibTeX counts braces even when escaped, so a value whose braces
    do not pair writes them as ``\textbraceleft{}`` and ``\textbraceright{}``: a value can
    never close its field and open another entry.

    >>> print(bibtex_escape("R&D: 50% of $ for #1_a"))
    R\&D: 50\% of \$ for \#1\_a
    >>> print(bibtex_escape("a {b}"), bibtex_escape("a {b"))
    a \{b\} a \textbraceleft{}b
    """
    text = re.sub(r"\s*[\r\n\v\f\x85\u2028\u2029]+\s*", " ", text)
    special = dict(_BIB_SPECIAL)
    if not _balanced(text):
        special.update({"{": r"\textbraceleft{}", "}": r"\textbraceright{}"})
    return "".join(special.get(c, c) for c in text)


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def safe_key(key: str) -> str:
    r"""A citation key in the alphabet every BibTeX and biber reads (Better BibTeX's rule):
    ASCII letters and digits, and ``-_:.``; anything else is dropped.

    >>> safe_key("x,\n  title = {pwned}\n}\n@misc{evil"), safe_key("Löffler2009"), safe_key("{}")
    ('xtitlepwnedmiscevil', 'Lffler2009', 'work')
    """
    return re.sub(r"[^A-Za-z0-9_:.-]", "", key) or "work"


def protect_case(title: str) -> str:
    """Brace the words whose capitals a style's sentence-casing would lose and must not:
    acronyms and words with a capital after their first letter (ICT, eGovernment, McDonald).
    A capitalised word is left to the style: braced, it would stay capitalised in every style.

    >>> protect_case("The New Public Governance? A (Public) Service-Dominant ICT approach")
    'The New Public Governance? A (Public) Service-Dominant {ICT} approach'
    >>> protect_case("WHO guidelines: BERT and DNA-based tests of vitamin D in Systeme I")
    '{WHO} guidelines: {BERT} and {DNA}-based tests of vitamin {D} in Systeme {I}'
    """
    out = []
    sentence_start = True
    for token in re.split(r"(\s+)", title):
        if token.isspace() or not token:
            out.append(token)
            continue
        core = re.sub(r"^[^\w\\]+|[^\w}]+$", "", token)
        if core:
            start = token.index(core)
            parts = core.split("-")
            braced = "-".join(
                "{" + part + "}" if _keeps_capitals(part, sentence_start and i == 0) else part
                for i, part in enumerate(parts)
            )
            token = token[:start] + braced + token[start + len(core) :]
        sentence_start = bool(re.search(r"[:?.!]$", token))
        out.append(token)
    return "".join(out)


def _keeps_capitals(word: str, first: bool) -> bool:
    """Whether sentence-casing would lose a word's capitals that are its own: an acronym
    ("WHO", even first), a capital after the first letter ("eGovernment", "McDonald"), a lone
    capital or numeral not first ("vitamin D", "Systeme I")."""
    if not word or "{" in word or "\\" in word:
        return False
    if len(word) >= 2 and word.isupper() and any(c.isalpha() for c in word):
        return True
    if first:
        return False
    return any(c.isupper() for c in word[1:]) or (len(word) == 1 and word.isupper())


def _bib_name(name: dict[str, str]) -> str:
    """A name as BibTeX reads it; a family name with a particle is braced whole ("{van der
    Graaf}, Shenja"), so that biber, whatever its useprefix, and pandoc keep "van der Graaf"; a
    suffix in BibTeX's third part ("Chapin, III, F. S.").

    >>> _bib_name({"family": "Chapin", "given": "F. S.", "suffix": "III"})
    'Chapin, III, F. S.'
    """
    if "literal" in name:
        return "{" + bibtex_escape(name["literal"]) + "}"
    surname = bibtex_escape(family(name))
    if name.get("non-dropping-particle") or name.get("dropping-particle") or " " in surname:
        surname = "{" + surname + "}"
    given = bibtex_escape(name.get("given", ""))
    suffix = bibtex_escape(name.get("suffix", ""))
    if suffix:  # "Chapin, III, F. S.": BibTeX's "von Last, Jr, First"
        return f"{surname}, {suffix}, {given}"
    return f"{surname}, {given}" if given else surname


def to_bibtex(works: Iterable[Work]) -> str:
    """BibTeX entries, one per work, in order; they parse back with bibtexparser to the same fields."""
    out = []
    works = list(works)
    keys = unique_keys([safe_key(str(w.csl.get("id") or "")) for w in works])
    for w, key in zip(works, keys, strict=True):
        csl = w.csl
        kind = CSL_TO_BIBTEX_TYPE.get(csl.get("type", ""), "misc")
        if kind == "phdthesis" and re.search(r"master|M\.?A\b|M\.?Sc?\b", str(csl.get("genre") or ""), re.I):
            kind = "mastersthesis"
        fields: list[tuple[str, str]] = []
        for role in NAME_ROLES:
            names = [_bib_name(n) for n in csl.get(role) or []]
            if role == "author" and w.et_al:
                names.append("others")
            if names:
                fields.append((role, " and ".join(names)))
        for var, bib in CSL_TO_BIBTEX_FIELD:
            value = csl.get(var) or (implied_genre(csl) if var == "genre" else None)
            if value in (None, ""):
                continue
            if var == "container-title":
                bib = "journal" if kind == "article" else "booktitle"
            if var == "publisher" and kind in _PUBLISHER_FIELD:
                bib = _PUBLISHER_FIELD[kind]  # a thesis' school, a report's institution
            if var == "genre" and kind in ("phdthesis", "mastersthesis") and value in _THESIS_GENRE.values():
                continue  # what the entry type says already
            if var in ("URL", "DOI"):  # verbatim fields: escaping would change the link
                fields.append((bib, str(value).replace("{", "%7B").replace("}", "%7D")))
                continue
            text = bibtex_escape(str(value))
            if var == "title":
                text = protect_case(text)
            if var == "event":
                text = "{" + text + "}"  # an event's name keeps its capitals: pandoc sentence-cases eventtitle
            if var == "page":
                text = text.replace("-", "--")
            fields.append((bib, text))
        if kind == "inproceedings" and csl.get("event") and not csl.get("container-title"):
            # BibTeX and pandoc read booktitle; eventtitle and venue are biblatex's alone
            fields.append(("booktitle", bibtex_escape(str(csl["event"]))))
        year = w.year
        if year:
            fields.append(("year", str(year)))
            parts = ((csl.get("issued") or {}).get("date-parts") or [[]])[0]
            for name, value in zip(("month", "day"), parts[1:3], strict=False):
                fields.append((name, str(value)))  # biblatex's numbers; BibTeX and pandoc read them
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        out.append(f"@{kind}{{{key},\n{body}\n}}\n")
    return "\n".join(out)


FORMAT = Format(
    name="bibtex",
    label="BibTeX",
    extensions=(".bib",),
    read=read_bibtex,
    write=to_bibtex,
    content_type="application/x-bibtex; charset=utf-8",
    extension="bib",
)
