"""CSL-JSON, read and written: kb's own model of a work, so both directions are nearly the
identity (the writer drops kb's extras, the reader keeps the item's fields).

Two things a work knows outside its CSL variables are written as CSL: a printed "et al." as a
last author ``{"literal": "others"}`` (what pandoc makes of BibTeX's "and others" and prints as
"et al."; citeproc-py prints "& others"; the reader takes it back as the work's "et al."), and
the genre of a paper presented at a meeting, "Paper presentation" (APA 7's name for it).

A family name with a particle is written whole, as the BibTeX writer braces it: "van der
Graaf", with an empty ``non-dropping-particle`` (pandoc's citeproc splits a particle off a family
name only when the item gives none) and ``parse-names: false`` (citeproc-js's switch for the
same), so that a style that moves particles after the given names (Chicago) still prints
"van der Graaf, S.", as the source does.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from kb.formats import Format, assign_keys
from kb.normalise import bare_initials, family, iso_date
from kb.records import KbError, Problem, Work, severity_of

# CSL's variables by the shape of their values (CSL-JSON schema 1.0.2, csl-data.json)
NAME_VARIABLES = frozenset(
    {
        "author",
        "chair",
        "collection-editor",
        "compiler",
        "composer",
        "container-author",
        "contributor",
        "curator",
        "director",
        "editor",
        "editorial-director",
        "editor-translator",
        "executive-producer",
        "guest",
        "host",
        "illustrator",
        "interviewer",
        "narrator",
        "organizer",
        "original-author",
        "performer",
        "producer",
        "recipient",
        "reviewed-author",
        "script-writer",
        "series-creator",
        "translator",
    }
)
ET_AL = {"literal": "others"}  # a printed "et al." as the last name of a CSL name list


def with_et_al(work: Work, item: dict[str, Any]) -> dict[str, Any]:
    """``item`` (the work's CSL, or what is made of it) with a printed "et al." as its last
    author, as CSL-JSON, ``kb parse`` and the formatters carry it."""
    if work.et_al and item.get("author"):
        item["author"] = [*item["author"], dict(ET_AL)]
    return item


PRESENTED_PAPER = "Paper presentation"
DATE_VARIABLES = frozenset({"accessed", "available-date", "event-date", "issued", "original-date", "submitted"})
_NAME_PARTS = frozenset({"family", "given", "dropping-particle", "non-dropping-particle", "suffix", "literal"})


def read_csl_json(text: str, source: str) -> list[Work]:
    """CSL-JSON (a list of items, or one item) -> works. A field whose value has the wrong shape
    is set aside with a malformed-field problem; the item's JSON stays as its raw text."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        raise KbError(f"invalid JSON: {e.msg}", source, e.lineno, hint="give a CSL-JSON array of items") from None
    except (ValueError, RecursionError) as e:  # a 4,301-digit number, arrays nested 1,000 deep
        raise KbError(
            f"JSON that cannot be read: {str(e)[:120]}",
            source,
            hint="give a CSL-JSON array of items, with numbers of ordinary size",
        ) from None
    items = data if isinstance(data, list) else [data]
    lines = _item_lines(text) if isinstance(data, list) else [1]
    works = []
    for i, item in enumerate(items, 1):
        line = lines[i - 1] if i - 1 < len(lines) else None
        if not isinstance(item, dict):
            raise KbError(f"item {i} is not an object", source, line, hint="each CSL-JSON item is a JSON object")
        csl, dropped = clean_item({k: v for k, v in item.items() if k not in ("raw", "problems")})
        csl.setdefault("type", "document")
        et_al = bool(csl.get("author")) and csl["author"][-1] == ET_AL
        if et_al:
            csl["author"] = csl["author"][:-1]
            if not csl["author"]:
                del csl["author"]
        raw = item.get("raw") if isinstance(item.get("raw"), str) else ""
        work = Work(csl=csl, raw=raw or (_dump(item) if dropped else ""), source=source, line=line, et_al=et_al)
        work.problems = [
            Problem(
                code="malformed-field",
                message=f"{name}: {why}; set aside",
                source=source,
                line=line,
                severity=severity_of("malformed-field"),
            )
            for name, why in dropped
        ]
        works.append(work)
    assign_keys(works, [w.csl.get("id") for w in works])
    return works


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _dump(item: Any) -> str:
    try:
        return json.dumps(item, ensure_ascii=False, allow_nan=False)
    except (ValueError, RecursionError):
        return repr(item)[:10_000]


def _json_data(value: Any) -> Any:
    """``value`` when it is JSON data (no Infinity or NaN, not nested past Python's limit)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (ValueError, RecursionError):
        return None


def _text(value: Any) -> str | None:
    """A CSL string or number variable's value as text, or None when it is not one."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if abs(value) < 10**18 else None
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else None
    return None


def _names(value: Any) -> list[dict[str, str]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for person in value:
        if not isinstance(person, dict):
            return None
        name = {k: t for k, v in person.items() if k in _NAME_PARTS and (t := _text(v)) is not None and t.strip()}
        if "given" in name:
            name["given"] = bare_initials(name["given"])
        if not name.get("family") and not name.get("literal"):
            if not name.get("given"):
                return None
            name = {"literal": name["given"]}
        out.append(name)
    return out


def _date(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str | int) and not isinstance(value, bool):  # EDTF "2001", "2001-05"
        text = str(value).strip()
        if re.fullmatch(r"-?\d{1,4}(-\d{1,2}){0,2}", text):
            return {"date-parts": [[int(x) for x in re.findall(r"-?\d+", text)[:3]]]}
        return {"literal": text} if text else None
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    parts = value.get("date-parts")
    if parts is not None:
        if not isinstance(parts, list) or not 1 <= len(parts) <= 2:
            return None
        clean = []
        for part in parts:
            if not isinstance(part, list) or not 1 <= len(part) <= 3:
                return None
            numbers = []
            for x in part:
                t = _text(x)
                if t is None or not re.fullmatch(r"-?\d{1,6}", t.strip()):
                    return None
                numbers.append(int(t))
            clean.append(numbers)
        out["date-parts"] = clean
    for key in ("literal", "raw", "season", "circa"):
        if key in value and (t := _text(value[key])) is not None:
            out[key] = t
    if "date-parts" not in out:
        # {"raw": "2000-05"} and {"literal": "1999"}, valid CSL-JSON: their year is the work's year
        written = out.get("raw") or out.get("literal") or ""
        iso = iso_date(written)
        years = re.findall(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)", written)
        if iso:
            out["date-parts"] = [iso]
        elif len(set(years)) == 1:
            out["date-parts"] = [[int(years[0])]]
    return out or None


def clean_item(item: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """An item's fields, each of the shape CSL gives it (names a list of name objects, dates
    date-parts of integers, other variables text); the rest set aside, (name, why)."""
    csl: dict[str, Any] = {}
    dropped: list[tuple[str, str]] = []
    for key, value in item.items():
        if not isinstance(key, str) or not key:
            dropped.append((repr(key)[:40], "not a field name"))
            continue
        if key in NAME_VARIABLES:
            got = _names(value)
            why = "not a list of names with family, given or literal"
        elif key in DATE_VARIABLES:
            got = _date(value)
            why = "not a date (date-parts of whole numbers, or a literal)"
        elif key == "custom" and isinstance(value, dict):
            got, why = _json_data(value), "not JSON data (Infinity, NaN or nesting too deep)"
        elif isinstance(value, list) and key == "categories":
            got = [t for x in value if (t := _text(x)) is not None] or None
            why = "not a list of words"
        else:
            got = _text(value)
            why = "not text or a number"
        if got is None or got == "":
            if got is None and value not in (None, ""):
                dropped.append((key[:40], why))
            continue
        csl[key] = got
    return csl, dropped


_JSON_SPACE = re.compile(r"[ \t\n\r]*")  # the whitespace JSON allows between tokens
_DECODER = json.JSONDecoder()


def _item_lines(text: str) -> list[int]:
    """The line each item of a JSON array starts on (where its "{" or value is), in order.

    The text has been read as JSON already: each item is stepped over by the C decoder and
    only the newlines between item starts are counted, not a Python step per character (a
    list of 20,000 references took a second that way).

    >>> _item_lines('[\\n  {"id": "a"},\\n  {"id": "b",\\n   "title": "x"}\\n]')
    [2, 3]
    >>> _item_lines(' [ ] '), _item_lines('[1,"a\\\\n[",\\n\\n{"b": [2]}]')
    ([], [1, 1, 3])
    """
    lines: list[int] = []
    pos = _JSON_SPACE.match(text, _JSON_SPACE.match(text).end() + 1).end()  # past "[" and space
    line, counted = 1, 0
    while text[pos] != "]":
        line += text.count("\n", counted, pos)
        counted = pos
        lines.append(line)
        _, end = _DECODER.raw_decode(text, pos)
        pos = _JSON_SPACE.match(text, end).end()
        if text[pos] == ",":
            pos = _JSON_SPACE.match(text, pos + 1).end()
    return lines


def csl_items(works: Iterable[Work]) -> list[dict[str, Any]]:
    """Clean CSL-JSON items: only CSL variables (no kb extras), the list order kept."""
    return [{k: v for k, v in w.csl.items() if not k.startswith("_")} for w in works]


def implied_genre(item: dict[str, Any]) -> str | None:
    """The genre a CSL item's shape implies when it names none: a conference paper with an
    event and no proceedings was presented at a meeting ("presented at ...").

    >>> implied_genre({"type": "paper-conference", "event": "Annual Meeting"})
    'Paper presentation'
    >>> implied_genre({"type": "paper-conference", "event": "ICSE", "container-title": "Proceedings"}) is None
    True
    """
    if item.get("genre") or item.get("type") != "paper-conference":
        return None
    if item.get("event") and not item.get("container-title"):
        return PRESENTED_PAPER
    return None


def whole_family(name: dict[str, Any]) -> dict[str, Any]:
    """A name whose family name has a particle or a space, as one family name no processor splits.

    >>> whole_family({"family": "Graaf", "non-dropping-particle": "van der", "given": "S."})
    {'family': 'van der Graaf', 'given': 'S.', 'non-dropping-particle': '', 'parse-names': False}
    >>> whole_family({"family": "Veeckman", "given": "C."})
    {'family': 'Veeckman', 'given': 'C.'}
    """
    surname = family(name)
    if "literal" in name or not (name.get("non-dropping-particle") or name.get("dropping-particle") or " " in surname):
        return name
    out = {k: v for k, v in name.items() if k not in ("family", "dropping-particle", "non-dropping-particle")}
    return {"family": surname, **out, "non-dropping-particle": "", "parse-names": False}


def export_items(works: Iterable[Work]) -> list[dict[str, Any]]:
    """CSL-JSON items as other tools read them: the CSL variables, family names with particles
    whole, the genre the item implies, and a printed "et al." as a last author
    ``{"literal": "others"}``."""
    works = list(works)
    items = []
    for work, item in zip(works, csl_items(works), strict=True):
        for role in NAME_VARIABLES.intersection(item):
            item[role] = [whole_family(n) for n in item[role]]
        if genre := implied_genre(item):
            item["genre"] = genre
        items.append(with_et_al(work, item))
    return items


def to_csljson(works: Iterable[Work]) -> str:
    return json.dumps(export_items(works), ensure_ascii=False, indent=2) + "\n"


FORMAT = Format(
    name="csljson",
    label="CSL-JSON",
    extensions=(".json", ".csljson"),
    read=read_csl_json,
    write=to_csljson,
    content_type="application/vnd.citationstyles.csl+json; charset=utf-8",
    extension="csljson",
)
