"""YAML with line numbers, so that an error in a record names its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kb.records import KbError


class Record(dict):
    """A mapping from a YAML file that remembers the line it starts on."""

    line: int = 0


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Record:
    loader.flatten_mapping(node)
    record = Record(loader.construct_pairs(node, deep=True))
    record.line = node.start_mark.line + 1
    return record


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file; a syntax error becomes a KbError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise KbError(
            f"not UTF-8 text ({e.reason} at byte {e.start})", str(path), hint="save the file as UTF-8"
        ) from None
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        raise KbError(
            f"invalid YAML: {e.problem or e}", str(path), line, hint="check indentation and quoting on that line"
        ) from None


def require(record: Any, fields: tuple[str, ...], path: Path, what: str) -> None:
    """Raise KbError naming file and line when a record lacks one of ``fields``."""
    line = getattr(record, "line", None)
    if not isinstance(record, dict):
        raise KbError(f"{what} must be a mapping, got {type(record).__name__}", str(path), line)
    for name in fields:
        if name == "id" and not isinstance(record.get(name), str | int | None):
            raise KbError(
                f"{what} id should be one word, not {record[name]!r}", str(path), line, hint="write 'id: some-slug'"
            )
        if record.get(name) in (None, ""):
            label = record.get("id", "?")
            raise KbError(
                f"{what} {label!r} has no {name!r}", str(path), line, hint=f"add a '{name}:' field to this record"
            )
