"""The in-process answer cache (kb/publish/cache.py): a real `kb serve` (databases immutable)
answers a page the second time from memory, byte for byte the same; a mutable database, a
request with a cookie, another database's pages and answers that are not 200 are never kept."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from datasette.app import Datasette


def fetch(url: str, **headers) -> tuple[int, str | None, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request) as r:
            return r.status, r.headers.get("x-kb-cache"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("x-kb-cache"), e.read()


@pytest.fixture(scope="module")
def base(site):
    """The URL of the module's `kb serve` of the seed (conftest's ``site``)."""
    return site[0]


@pytest.mark.parametrize(
    "path",
    [
        "/kb/works?_facet=type",
        "/kb/citations?status=missing",
        "/-/concepts/exclusion",
        "/kb/works/osborne2006new.bib",
        "/",
    ],
)
def test_the_second_answer_comes_from_memory_and_is_the_same(base, path):
    first = fetch(base + path)
    second = fetch(base + path)
    assert first[0] == second[0] == 200
    assert (first[1], second[1]) == ("miss", "hit")
    assert first[2] == second[2]


def test_each_query_string_is_its_own_answer(base):
    a = fetch(base + "/kb/citations.json?status=ok&_shape=array")[2]
    b = fetch(base + "/kb/citations.json?status=missing&_shape=array")[2]
    assert a != b and b"Alford, 1998" in b and b"Alford, 1998" not in a


def test_errors_and_requests_with_cookies_are_not_kept(base):
    assert fetch(base + "/kb/no_such_table")[:2] == (404, "miss")
    assert fetch(base + "/kb/no_such_table")[:2] == (404, "miss")
    assert fetch(base + "/kb/problems", Cookie="ds_actor=x")[1] is None
    assert fetch(base + "/kb/problems", Cookie="ds_actor=x")[1] is None


def test_no_cache_while_a_database_can_change(built_db, tmp_path):
    path = tmp_path / "kb.db"
    shutil.copy(built_db, path)
    ds = Datasette([str(path)])  # mutable: a rebuild may replace it
    with ThreadPoolExecutor(1) as pool:
        responses = [pool.submit(asyncio.run, ds.client.get("/kb/works")).result() for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    assert [r.headers.get("x-kb-cache") for r in responses] == [None, None]


def test_a_database_kb_did_not_build_is_not_cached(built_db, tmp_path):
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("create table t (id integer)").connection.commit()
    ds = Datasette([], immutables=[str(plain), str(built_db)])
    with ThreadPoolExecutor(1) as pool:
        plain_page = [pool.submit(asyncio.run, ds.client.get("/plain/t")).result() for _ in range(2)]
        kb_page = [pool.submit(asyncio.run, ds.client.get(f"/{built_db.stem}/works")).result() for _ in range(2)]
    assert [r.headers.get("x-kb-cache") for r in plain_page] == [None, None]
    assert [r.headers.get("x-kb-cache") for r in kb_page] == ["miss", "hit"]
