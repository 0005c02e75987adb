"""Formatted references (APA, IEEE) for a whole library without formatting every work at every
build: citeproc-py takes some 5-20 ms a reference, minutes for 100,000 works.

Works of the plainest shapes (journal articles, books and chapters with the usual fields) are
formatted by :mod:`kb.quickformat`, which gives citeproc-py's text in microseconds; the others
go to citeproc-py, through the cache below.

A work's formatted text depends only on its CSL item (citeproc-py neither disambiguates nor
substitutes authors across entries), so each text is kept in a cache file by the SHA-256 of
the style and the item; the year letters (2012a) depend on the other works and are added
afterwards, for every work, exactly as :func:`kb.export.format_references` adds them. Works
not in the cache are formatted in chunks, across processes when there are many. The cache
belongs to the code that wrote it: a different citeproc-py or ``kb/export.py`` starts it afresh.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from functools import partial
from importlib.metadata import version
from pathlib import Path

from kb.export import format_references, formatting_items, with_year_suffix
from kb.parallel import forked_map, workers
from kb.progress import bar
from kb.quickformat import quick_format
from kb.records import Work
from kb.resolve import year_suffixes

CHUNK = 250
PARALLEL_FROM = 1000  # works to format before other processes are worth starting


def item_key(style: str, item: dict) -> str:
    return hashlib.sha256(json.dumps([style, item], ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def code_version() -> str:
    here = Path(__file__).with_name("export.py").read_bytes()
    return hashlib.sha256(here + version("citeproc-py").encode()).hexdigest()


def _quick(item: dict, style: str, html: bool = False) -> str | None:
    return quick_format(item, style, html)


def _format_chunk(args: tuple[list[Work], str, bool]) -> dict[str, str]:
    works, style, html = args
    return format_references(works, style, html=html, suffixes={})


def format_cached(
    works: Sequence[Work],
    styles: Sequence[str] = ("apa", "ieee"),
    cache: Path | None = None,
    processes: int | None = None,
    html: bool = False,
    suffixes: dict[str, str] | None = None,
) -> dict[str, dict[str, str]]:
    """Formatted text of every work in each style, by work id; the same texts as
    ``format_references(works, style, html=html)``. ``cache`` is a SQLite file kept between
    builds (none: no cache). ``suffixes``: the year letters by work id, by default those the works
    need among themselves (a selection of a library passes the library's)."""
    works = list(works)
    db = _open(cache)
    out: dict[str, dict[str, str]] = {}
    n = processes or workers()
    for style in styles:
        items = formatting_items(works, style)
        texts = {}
        # quick texts across cores too when there are many: each is a pure function of its item
        quick = forked_map(
            partial(_quick, style=style, html=html),
            items,
            n if len(items) >= PARALLEL_FROM else 1,
            label=f"{style} references",
        )
        for w, text in zip(works, quick, strict=True):
            if text is not None:
                texts[w.id] = text
        slow = [(w, item) for w, item in zip(works, items, strict=True) if w.id not in texts]
        keys = {w.id: item_key(f"{style}-html" if html else style, item) for w, item in slow}
        known = _lookup(db, list(keys.values())) if db else {}
        texts.update({w.id: known[keys[w.id]] for w, _ in slow if keys[w.id] in known})
        missing = [w for w, _ in slow if w.id not in texts]
        chunks = [(missing[i : i + CHUNK], style, html) for i in range(0, len(missing), CHUNK)]
        if len(missing) >= PARALLEL_FROM and n > 1:
            done = forked_map(_format_chunk, chunks, n, chunks_per_process=len(chunks), label=f"{style} by citeproc-py")
        else:
            done = [_format_chunk(c) for c in (bar(chunks, f"{style} by citeproc-py") if chunks else ())]
        fresh = {k: v for d in done for k, v in d.items()}
        texts.update(fresh)
        if db and fresh:
            with db:
                db.executemany(
                    "insert or replace into texts (key, text) values (?, ?)", [(keys[i], t) for i, t in fresh.items()]
                )
        if style in ("apa", "chicago") and suffixes is None:
            suffixes = year_suffixes(works)  # once, whichever of the two styles asks first
        letters = suffixes if style in ("apa", "chicago") else {}
        for w in works:
            if w.id in letters and w.year and w.id in texts:
                texts[w.id] = with_year_suffix(texts[w.id], w.year, letters[w.id])
        out[style] = texts
    if db:
        db.close()
    return out


def _open(cache: Path | None) -> sqlite3.Connection | None:
    if cache is None:
        return None
    try:
        db = sqlite3.connect(cache)
        db.execute("create table if not exists meta (version text)")
        db.execute("create table if not exists texts (key text primary key, text text)")
        current = code_version()
        row = db.execute("select version from meta").fetchone()
        if row is None or row[0] != current:
            with db:
                db.execute("delete from texts")
                db.execute("delete from meta")
                db.execute("insert into meta values (?)", (current,))
        return db
    except sqlite3.Error:
        return None  # a cache that cannot be read or written is no cache: format everything


def _lookup(db: sqlite3.Connection, keys: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for i in range(0, len(keys), 500):
        part = keys[i : i + 500]
        found.update(db.execute(f"select key, text from texts where key in ({','.join('?' * len(part))})", part))
    return found
