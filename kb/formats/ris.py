"""RIS, read (rispy) and written (rispy's writer, without its record counter). The type maps
of both directions sit here, side by side."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from kb.formats import Format, assign_keys
from kb.normalise import bare_initials, display_name
from kb.records import Problem, Work, severity_of

RIS_TO_CSL_TYPE = {
    "JOUR": "article-journal",
    "JFULL": "article-journal",
    "MGZN": "article-magazine",
    "NEWS": "article-newspaper",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "chapter",
    "ECHAP": "chapter",
    "CONF": "paper-conference",
    "CPAPER": "paper-conference",
    "RPRT": "report",
    "THES": "thesis",
    "ELEC": "webpage",
    "WEB": "webpage",
    "GEN": "document",
    "UNPB": "manuscript",
}
CSL_TO_RIS_TYPE = {
    "article-journal": "JOUR",
    "article-magazine": "MGZN",
    "article-newspaper": "NEWS",
    "book": "BOOK",
    "chapter": "CHAP",
    "paper-conference": "CPAPER",
    "report": "RPRT",
    "thesis": "THES",
    "webpage": "ELEC",
    "manuscript": "UNPB",
    "document": "GEN",
}


_SUFFIX = re.compile(r"Jr\.?|Sr\.?|I{2,3}|IV|\d(?:st|nd|rd|th)")


def _ris_name(name: str) -> dict[str, str]:
    """RIS's "Last, First" or "Last, First, Suffix" (the RIS form of "Jr.") as a CSL name; a
    name without comma is an organisation's."""
    if "," in name:
        parts = [p.strip() for p in name.split(",")]
        family, given = parts[0], parts[1]
        out = {"family": family, "given": bare_initials(given)} if given else {"family": family}
        if len(parts) == 3 and _SUFFIX.fullmatch(parts[2]):
            out["suffix"] = parts[2]
        elif len(parts) > 2:
            out["given"] = bare_initials(", ".join(parts[1:]))
        return out
    return {"literal": name.strip()}


_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")


def _records(text: str) -> list[tuple[int, str, bool]]:
    """The records of a RIS file as (first line, text, ended by ER). A "TY  -" line starts a
    record even when the one before has no "ER  -" line, so no record swallows the next; text
    outside any record is a record of its own (kept, and reported)."""
    out: list[tuple[int, list[str], bool]] = []
    current: list[str] | None = None
    start = 0
    for i, line in enumerate(text.splitlines(), 1):
        tag = _TAG.match(line)
        if tag and tag.group(1) == "TY":
            if current:
                out.append((start, current, False))
            current, start = [line], i
        elif tag and tag.group(1) == "ER":
            if current is not None:
                out.append((start, current, True))
                current = None
        elif current is not None:
            current.append(line)
        elif line.strip():
            out.append((i, [line], False))
    if current:
        out.append((start, current, False))
    return [(n, "\n".join(lines), ended) for n, lines, ended in out]


def read_ris(text: str, source: str) -> list[Work]:
    """RIS -> works, each record read by rispy on its own: a record without "ER  -", a line
    without a tag or a record rispy cannot read becomes a work with its raw text and problem."""
    import rispy

    works = []
    keys = []
    for line, raw, ended in _records(text):
        problems = []
        if not raw.startswith("TY  -"):
            works.append(_failed(raw, source, line, "text outside a record (a record starts with 'TY  - ')"))
            keys.append(None)
            continue
        if not ended:
            problems.append(("malformed-field", "this record has no 'ER  - ' line: it ends where the next begins"))
        untagged = [ln for ln in raw.splitlines()[1:] if ln.strip() and not _TAG.match(ln)]
        if untagged:
            problems.append(
                ("malformed-field", f"a line without a tag, read as part of the line before: {untagged[0][:60]!r}")
            )
        try:
            entries = rispy.loads(raw + "\nER  - \n")
            e = entries[0]
        except Exception as err:  # rispy raises plain KeyError/ValueError on malformed input
            works.append(_failed(raw, source, line, f"RIS record does not parse: {err}"))
            keys.append(None)
            continue
        work = Work(csl=_entry_csl(e), raw=raw if problems else "", source=source, line=line)
        work.problems = [Problem(code, message, source, line, severity=severity_of(code)) for code, message in problems]
        works.append(work)
        keys.append(e.get("id") if isinstance(e.get("id"), str) else None)
    assign_keys(works, keys)
    return works


def _failed(raw: str, source: str, line: int, why: str) -> Work:
    return Work(
        csl={"type": "document"},
        raw=raw,
        source=source,
        line=line,
        problems=[Problem("unparsed-reference", why, source, line, severity=severity_of("unparsed-reference"))],
    )


def _entry_csl(e: dict[str, Any]) -> dict[str, Any]:
    """One rispy entry -> CSL-JSON fields."""
    csl: dict[str, Any] = {"type": RIS_TO_CSL_TYPE.get(e.get("type_of_reference", "GEN"), "document")}
    names = e.get("authors") or e.get("first_authors") or []
    if names:
        csl["author"] = [_ris_name(a) for a in names]
    if e.get("secondary_authors") and (csl["type"] in ("chapter", "paper-conference") or "author" not in csl):
        # A2: the editors of a chapter's book, and of an edited book (EDBOOK, or a BOOK with no AU)
        csl["editor"] = [_ris_name(a) for a in e["secondary_authors"]]
    # ED, the editor tag EndNote and Mendeley write (rispy keeps it as an unknown tag)
    edited = (e.get("unknown_tag") or {}).get("ED")
    if edited and "editor" not in csl:
        csl["editor"] = [_ris_name(a) for a in edited]
    if e.get("subsidiary_authors"):  # A4: the translator, as Zotero reads and writes it
        csl["translator"] = [_ris_name(a) for a in e["subsidiary_authors"]]
    title = e.get("title") or e.get("primary_title")
    if title:
        csl["title"] = title
    container = e.get("journal_name") or e.get("secondary_title") or e.get("alternate_title3")
    if container:
        csl["container-title"] = container
    for key, var in (
        ("volume", "volume"),
        ("number", "issue"),
        ("publisher", "publisher"),
        ("place_published", "publisher-place"),
        ("doi", "DOI"),
        ("edition", "edition"),
        ("issn", "ISBN" if csl["type"] in ("book", "chapter") else "ISSN"),
    ):
        if e.get(key) and str(e[key]).strip():
            csl[var] = str(e[key]).strip()  # "10.2307/1952530  ": a value's trailing spaces are the file's
    if e.get("urls"):
        csl["URL"] = e["urls"][0]
    if csl["type"] == "thesis" and e.get("type_of_work"):  # M3: "Doctoral dissertation", "Master's thesis"
        csl["genre"] = str(e["type_of_work"])
    if e.get("start_page"):
        csl["page"] = f"{e['start_page']}-{e['end_page']}" if e.get("end_page") else str(e["start_page"])
    year = re.search(r"\d{4}", str(e.get("year") or e.get("publication_year") or e.get("date") or ""))
    if year:
        parts = [int(year.group(0))]
        # DA "2011/05/03/" (or PY "2011/05//"): the month and day when given
        full = re.match(r"\s*(\d{4})/(\d{1,2})?/?(\d{1,2})?", str(e.get("date") or e.get("year") or ""))
        if full and full.group(1) == year.group(0) and full.group(2) and 1 <= int(full.group(2)) <= 12:
            parts.append(int(full.group(2)))
            if full.group(3) and 1 <= int(full.group(3)) <= 31:
                parts.append(int(full.group(3)))
        csl["issued"] = {"date-parts": [parts]}
    return csl


_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def _fold(value: Any) -> Any:
    r"""A value on one line: a line break in a RIS value would end the field, and a line
    "ER  - " inside a title would end the record.

    >>> _fold("Title\nER  - \nTY  - JOUR")
    'Title ER  -  TY  - JOUR'
    """
    if isinstance(value, list):
        return [_fold(v) for v in value]
    return _LINE_BREAKS.sub(" ", value) if isinstance(value, str) else value


def to_ris(works: Iterable[Work]) -> str:
    """RIS records (rispy writes them), with the fields Zotero's RIS translator reads: the
    full journal or book title in T2 (JO is the abbreviation there), a conference's name in
    T2 and C3 and its place in CY; every value on one line."""
    import rispy

    entries = []
    for w in works:
        csl = w.csl
        e: dict[str, Any] = {"type_of_reference": CSL_TO_RIS_TYPE.get(csl.get("type", ""), "GEN"), "id": csl["id"]}
        names = [display_name(n) for n in csl.get("author") or []]
        if names:
            e["authors"] = names
        if csl.get("editor"):
            e["secondary_authors"] = [display_name(n) for n in csl["editor"]]
        if csl.get("translator"):
            e["subsidiary_authors"] = [display_name(n) for n in csl["translator"]]
        for var, key in (
            ("title", "title"),
            ("volume", "volume"),
            ("issue", "number"),
            ("publisher", "publisher"),
            ("publisher-place", "place_published"),
            ("DOI", "doi"),
            ("edition", "edition"),
        ):
            if csl.get(var):
                e[key] = str(csl[var])
        if csl.get("container-title"):
            e["secondary_title"] = csl["container-title"]
        if csl.get("event"):
            e.setdefault("secondary_title", csl["event"])
            e["custom3"] = csl["event"]  # C3: the proceedings' or conference's name
        if csl.get("event-place") and not csl.get("publisher-place"):
            e["place_published"] = csl["event-place"]
        if csl.get("URL"):
            e["urls"] = [csl["URL"]]
        if csl.get("genre") and csl.get("type") == "thesis":
            e["type_of_work"] = csl["genre"]  # M3
        page = str(csl.get("page") or "")
        if page:
            first, _, last = page.partition("-")
            e["start_page"] = first
            if last:
                e["end_page"] = last
        if w.year:
            e["year"] = str(w.year)
            parts = ((csl.get("issued") or {}).get("date-parts") or [[]])[0]
            if len(parts) >= 2:  # DA: year/month/day/
                e["date"] = "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts[:3])) + "/"
        entries.append({k: _fold(v) for k, v in e.items()})
    return rispy.dumps(entries, implementation=_plain_ris_writer())


@lru_cache(maxsize=1)
def _plain_ris_writer() -> type:
    """rispy's writer without its "1." counter line between records (reference managers do not
    need it); made on first use so that rispy loads only when RIS is written."""
    import rispy

    class PlainRisWriter(rispy.RisWriter):
        def set_header(self, count: int) -> str:
            return ""

    return PlainRisWriter


FORMAT = Format(
    name="ris",
    label="RIS",
    extensions=(".ris",),
    read=read_ris,
    write=to_ris,
    content_type="application/x-research-info-systems; charset=utf-8",
    extension="ris",
)
