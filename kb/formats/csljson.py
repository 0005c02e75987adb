"""CSL-JSON, read and written: kb's own model of a work, so both directions are nearly the
identity (the writer drops kb's extras, the reader keeps the item's fields)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kb.formats import Format, assign_keys
from kb.records import KbError, Work


def read_csl_json(text: str, source: str) -> list[Work]:
    """CSL-JSON (a list of items, or one item) -> works."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise KbError(f"invalid JSON: {e.msg}", source, e.lineno, hint="give a CSL-JSON array of items") from None
    items = data if isinstance(data, list) else [data]
    lines = _item_lines(text) if isinstance(data, list) else [1]
    works = []
    for i, item in enumerate(items, 1):
        line = lines[i - 1] if i - 1 < len(lines) else None
        if not isinstance(item, dict):
            raise KbError(f"item {i} is not an object", source, line, hint="each CSL-JSON item is a JSON object")
        csl = {k: v for k, v in item.items() if k not in ("raw", "problems")}
        csl.setdefault("type", "document")
        works.append(Work(csl=csl, raw=str(item.get("raw") or ""), source=source, line=line))
    assign_keys(works, [w.csl.get("id") for w in works])
    return works


def _item_lines(text: str) -> list[int]:
    """The line each item of a JSON array starts on (where its "{" or value is), in order.

    >>> _item_lines('[\\n  {"id": "a"},\\n  {"id": "b",\\n   "title": "x"}\\n]')
    [2, 3]
    """
    lines: list[int] = []
    depth = 0
    line = 1
    in_string = escaped = False
    expect_item = False
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


def csl_items(works: Iterable[Work]) -> list[dict[str, Any]]:
    """Clean CSL-JSON items: only CSL variables (no kb extras), the list order kept."""
    return [{k: v for k, v in w.csl.items() if not k.startswith("_")} for w in works]


def to_csljson(works: Iterable[Work]) -> str:
    return json.dumps(csl_items(works), ensure_ascii=False, indent=2) + "\n"


FORMAT = Format(
    name="csljson",
    label="CSL-JSON",
    extensions=(".json", ".csljson"),
    read=read_csl_json,
    write=to_csljson,
    content_type="application/vnd.citationstyles.csl+json; charset=utf-8",
    extension="csljson",
)
