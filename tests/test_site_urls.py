"""Only http(s) and relative URLs become links on the site: a ``javascript:`` URI in the data
stays text, on kb's own pages and in table cells."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
import sqlite3

import pytest
from datasette.app import Datasette


def get(ds: Datasette, path: str) -> str:
    # in a thread of its own: Playwright's sync API may already run an event loop in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, ds.client.get(path)).result().text


@pytest.mark.parametrize("uri", ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<b>x</b>"])
def test_a_hostile_uri_in_a_concept_is_not_a_link(built_db, tmp_path, uri):
    db = tmp_path / "kb.db"
    shutil.copy(built_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute("update concepts set eurovoc_uri = ? where id = 'ict'", [uri])
    ds = Datasette([str(db)])
    page = get(ds, "/-/concepts/ict")
    assert 'class="kb-eurovoc"' not in page
    assert 'href="javascript' not in page.lower() and 'href="data:' not in page.lower()
    cells = get(ds, "/kb/concepts/ict")
    assert 'href="javascript' not in cells.lower() and 'href="data:' not in cells.lower()


def test_an_http_uri_in_a_concept_is_a_link(built_db):
    page = get(Datasette([str(built_db)]), "/-/concepts/ict")
    assert 'class="kb-eurovoc" href="http' in page
