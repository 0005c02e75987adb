"""The Datasette plugin that publishes a kb database, split by what it adds, the way
Datasette's own default plugins are:

- ``metadata``: descriptions, label columns, facets, sorts and canned queries, from
  ``kb/schema.py`` through the ``get_metadata`` and ``canned_queries`` hooks;
- ``cells``: how a cell of a kb table is shown (links to the rows its ids name);
- ``renderers``: ``.bib``, ``.ris`` and ``.csljson`` on any view that holds works;
- ``pages``: the concept pages, the evidence map, the map and the path pages (``svg`` draws
  the map).

Each module is registered by its own entry point (``[project.entry-points.datasette]``), so
``datasette kb.db`` and ``kb serve`` behave alike. A hook acts only on a database kb built,
recognised by its marker table (``kb.schema.MARKER``) whatever its file name; any other
database Datasette serves beside it is left alone.

Every URL is built with ``datasette.urls`` and ``tilde_encode``: ids hold ``/`` ("essay/p3").
"""

from __future__ import annotations

import os
import sqlite3
import time
from urllib.parse import quote

from datasette.utils import tilde_encode

from kb.schema import MARKER

_seen: dict[tuple[str, float], bool] = {}
_checked: dict[str, tuple[float, bool]] = {}  # path -> (when last stat'ed, answer)
RECHECK_SECONDS = 1.0


def is_kb_database(datasette, name: str | None) -> bool:
    """True when the database called ``name`` was built by kb (it has the marker table).

    Asked for every cell of every page, so the answer is kept: for good when Datasette serves
    the file immutable, otherwise re-checked (one stat) at most once a second, so that a
    database rebuilt in place is seen anew."""
    if not name:
        return False
    db = datasette.databases.get(name)
    if db is None or getattr(db, "is_memory", False) or not getattr(db, "path", None):
        return False
    now = time.monotonic()
    known = _checked.get(db.path)
    if known is not None and (not db.is_mutable or now - known[0] < RECHECK_SECONDS):
        return known[1]
    try:
        key = (db.path, os.stat(db.path).st_mtime)
    except OSError:
        return False
    if key not in _seen:
        try:
            conn = sqlite3.connect(f"file:{quote(os.path.abspath(db.path))}?mode=ro", uri=True)
            try:
                _seen[key] = (
                    conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [MARKER]).fetchone()
                    is not None
                )
            finally:
                conn.close()
        except sqlite3.Error:
            _seen[key] = False
    _checked[db.path] = (now, _seen[key])
    return _seen[key]


def forget(path: str) -> None:
    """What :func:`is_kb_database` keeps of a file, dropped: it was replaced."""
    _checked.pop(path, None)


def kb_databases(datasette) -> list[str]:
    """The names of the databases kb built, in the order Datasette serves them."""
    return [name for name in datasette.databases if is_kb_database(datasette, name)]


def row_url(datasette, database: str, table: str, *pk: object) -> str:
    """The URL of one row: its primary key values tilde-encoded, whatever characters they hold.

    >>> from datasette.app import Datasette
    >>> row_url(Datasette(memory=True), "_memory", "passages", "essay/p3")
    '/_memory/passages/essay~2Fp3'
    """
    return datasette.urls.row(database, table, ",".join(tilde_encode(str(v)) for v in pk))


def safe_url(url: object) -> str | None:
    """The URL when it may be a link on the site (http, https, or relative), else None: a
    ``javascript:`` or ``data:`` URI in the data stays text.

    >>> safe_url("https://eurovoc.europa.eu/5188"), safe_url("/kb/works"), safe_url(" JavaScript:alert(1)")
    ('https://eurovoc.europa.eu/5188', '/kb/works', None)
    """
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip()
    scheme = text.split(":", 1)[0].lower() if ":" in text.split("/", 1)[0] else ""
    if scheme in ("http", "https") or (not scheme and not text.startswith("//")):
        return text
    return None
