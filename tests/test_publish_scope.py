"""The plugin serves any database kb built, whatever its file name, and leaves every other
database alone. Real files, real Datasette (its ASGI client)."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from datasette.app import Datasette


def get(ds, path):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, ds.client.get(path)).result()


@pytest.fixture(scope="module")
def other(built_db, root, tmp_path_factory):
    """The seed's database under another name, beside a database kb did not build (with
    tables named like kb's), served with the repository's metadata.yml as `datasette -m` would."""
    folder = tmp_path_factory.mktemp("other")
    path = folder / "other.db"
    shutil.copy(built_db, path)
    plain = folder / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("create table works (id text primary key, title text, work_id text)")
    conn.execute("create table concept_links (id integer primary key, target_table text, target_id text)")
    conn.execute("insert into works values ('a/b', 'Not a kb work', 'a/b')")
    conn.execute("insert into concept_links values (1, 'works', 'a/b')")
    conn.commit()
    conn.close()
    metadata = yaml.safe_load((root / "metadata.yml").read_text(encoding="utf-8"))
    return Datasette([str(path), str(plain)], immutables=[], metadata=metadata)


@pytest.mark.parametrize("query", ["what_to_fix", "integrity_problems", "works_never_cited", "evidence_map"])
def test_canned_queries_on_a_database_not_called_kb(other, query):
    response = get(other, f"/other/{query}.json?_shape=objects")
    assert response.status_code == 200, response.text[:300]
    assert response.json()["rows"]


def test_evidence_map_query_links_into_the_database_it_is_served_from(other):
    rows = get(other, "/other/evidence_map.json?_shape=objects").json()["rows"]
    assert rows[0]["rows_url"].startswith("/other/evidence?concept_id=")
    assert get(other, rows[0]["rows_url"]).status_code == 200


def test_descriptions_facets_and_sort_on_a_database_not_called_kb(other):
    page = get(other, "/other/works")
    assert "Every work in the reference lists, as CSL-JSON fields" in page.text
    data = get(other, "/other/works.json?_shape=objects&_extra=facet_results&_size=3").json()
    results = data["facet_results"]
    assert {"type", "decade", "container_title"} <= set(results.get("results", results))
    assert [r["position"] for r in data["rows"]] == [1, 2, 3]
    assert other.metadata("label_column", database="other", table="works") == "title"


def test_a_database_kb_did_not_build_is_left_alone(other):
    assert other.metadata("tables", database="plain") is None
    assert get(other, "/plain/what_to_fix").status_code == 404
    assert get(other, "/plain/works.bib").status_code in (400, 404)
    page = get(other, "/plain/concept_links").text
    assert 'href="/plain/works/a~2Fb"' not in page
    assert "Every work in the reference lists" not in get(other, "/plain/works").text


def test_no_kb_menu_or_pages_without_a_kb_database(tmp_path):
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("create table t (id integer)").connection.commit()
    ds = Datasette([str(plain)], immutables=[])
    assert get(ds, "/-/concepts").status_code == 404
    assert "Evidence map" not in get(ds, "/").text


def test_kb_pages_and_menu_on_a_database_not_called_kb(other):
    assert "Evidence map" in get(other, "/").text
    page = get(other, "/-/concepts/exclusion")
    assert page.status_code == 200
    assert 'href="/other/' in page.text and 'href="/kb/' not in page.text


def test_every_row_link_on_the_concept_pages_opens_its_row(other):
    """Ids hold "/" (passages are "coproduction-essay/p3"): links are tilde-encoded, never 404."""
    concepts = [r["id"] for r in get(other, "/other/concepts.json?_shape=objects").json()["rows"]]
    links = set()
    for concept in concepts:
        page = get(other, f"/-/concepts/{concept}").text
        links |= set(re.findall(r'href="(/other/[a-z_]+/[^"?]+)"', page))
    assert any("~2F" in link for link in links)
    broken = [link for link in sorted(links) if get(other, link).status_code != 200]
    assert not broken, broken[:5]


def test_row_links_in_cells_are_tilde_encoded(other):
    page = get(other, "/other/concept_links?target_table=passages&_size=5").text
    hrefs = re.findall(r'href="(/other/passages/[^"]+)"', page)
    assert hrefs and all("~2F" in h for h in hrefs)
    assert all(get(other, h).status_code == 200 for h in hrefs)
