"""Bibliographic formats: one module per format, its reader and its writer side by side with
its type and field maps, and one registry every part of kb looks formats up in (``kb parse``,
the loaders, ``kb cite`` and the Datasette renderers).

A format module defines ``FORMAT = Format(...)`` (and ``MORE_FORMATS`` when it has several); the registry finds every module of this
package by itself, so adding a format is adding one module (and its test). A reader turns the
text of a file into works, in list order, keeping an entry it cannot read as a work with its
raw text and an ``unparsed-reference`` problem; a writer turns works into text.

>>> get_format("bibtex").extension
'bib'
>>> format_for_suffix(".ris").name, format_for_suffix(".txt").name
('ris', 'text')
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kb.normalise import citation_key, family, unique_keys
from kb.records import KbError, Work, one_of

Reader = Callable[[str, str], list[Work]]  # (text, source file) -> works, in list order
ManyReader = Callable[[list[tuple[str, str]]], list[list[Work]]]  # many (text, source) -> each one's works
Writer = Callable[[Iterable[Work]], str]


@dataclass(frozen=True)
class Format:
    name: str  # what --format and the registry call it
    label: str  # what a person calls it
    extensions: tuple[str, ...] = ()  # file suffixes it is read from (".bib")
    read: Reader | None = None
    read_many: ManyReader | None = None  # many files read together, each as ``read`` reads it (when cheaper so)
    write: Writer | None = None
    content_type: str = "text/plain; charset=utf-8"
    extension: str | None = None  # the URL extension Datasette exports it under (works.bib)
    structured: bool = True  # fields come marked up (not guessed), so each entry's fields are checked on reading
    default: bool = False  # read files whose suffix no other format claims (free text)
    sniff: Callable[[str], bool] | None = None  # when several formats claim a suffix: does this text look like mine?


_REGISTRY: dict[str, Format] = {}


def _discover() -> dict[str, Format]:
    if not _REGISTRY:
        for module in sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")):
            mod = importlib.import_module(f"{__name__}.{module}")
            for fmt in [getattr(mod, "FORMAT", None), *getattr(mod, "MORE_FORMATS", ())]:
                if isinstance(fmt, Format):
                    _REGISTRY[fmt.name] = fmt
    return _REGISTRY


def formats() -> list[Format]:
    """Every registered format, by name."""
    return [f for _, f in sorted(_discover().items())]


def get_format(name: str) -> Format:
    try:
        return _discover()[name]
    except KeyError:
        raise KbError(f"no format {name!r}", hint=one_of(_discover().keys(), name)) from None


def readable_formats() -> list[Format]:
    return [f for f in formats() if f.read]


def writable_formats() -> list[Format]:
    return [f for f in formats() if f.write]


def format_for_suffix(suffix: str, text: str | None = None) -> Format:
    """The format a file with this suffix (and, where several claim it, this text) is read as;
    free text when no format claims it."""
    suffix = suffix.lower()
    claiming = [f for f in readable_formats() if suffix in f.extensions]
    if text is not None and len(claiming) > 1:
        claiming = [f for f in claiming if f.sniff and f.sniff(text)] or [f for f in claiming if not f.sniff]
    if claiming:
        return claiming[0]
    return next(f for f in readable_formats() if f.default)


def assign_keys(works: list[Work], given: list[Any]) -> None:
    """Give each work its key: the one its source gives, else family name, year and first title
    word; colliding keys get a, b, c... suffixes."""
    keys = []
    for w, key in zip(works, given, strict=True):
        if key:
            keys.append(str(key))
            continue
        a = (w.csl.get("author") or w.csl.get("editor") or [{}])[0]
        keys.append(citation_key(family(a), w.year, w.csl.get("title", "")))
    for w, key, own in zip(works, unique_keys(keys), given, strict=True):
        w.csl = {"id": key, **{k: v for k, v in w.csl.items() if k != "id"}}
        w.key_given = bool(own)
        for p in w.problems:
            p.work_id = key
