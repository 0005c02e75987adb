"""Exports from Datasette views (.bib, .ris, .csljson) and from `kb cite`."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import rispy
import yaml
from click.testing import CliRunner
from datasette.app import Datasette

from kb.cli import cli
from kb.schema import ORDINAL_STRIDE
from loaders.bibtex import parse_bibtex


def make_ds(built_db, root, **settings):
    metadata = yaml.safe_load((root / "metadata.yml").read_text(encoding="utf-8"))
    return Datasette([str(built_db)], metadata=metadata, settings=settings or None)


def get(ds, path):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, ds.client.get(path)).result()


@pytest.fixture(scope="module")
def ds(built_db, root):
    return make_ds(built_db, root)


def test_bib_of_the_works_table_has_every_work(ds):
    response = get(ds, "/kb/works.bib")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-bibtex")
    works, failed = parse_bibtex(response.text)
    assert failed == [] and len(works) == 36


def test_export_is_not_cut_by_max_returned_rows(built_db, root):
    small = make_ds(built_db, root, max_returned_rows=10)
    assert len(get(small, "/kb/works.json?_shape=objects").json()["rows"]) == 10
    works, _ = parse_bibtex(get(small, "/kb/works.bib").text)
    assert len(works) == 36
    items = json.loads(get(small, "/kb/works.csljson?type=article-journal").text)
    assert len(items) == 29


@pytest.mark.parametrize(
    "path,expected",
    [
        pytest.param(
            "/kb/works.bib?type=book",
            {"alford2009engaging", "brudney1990fostering", "marres2012material"},
            id="facet-filter",
        ),
        pytest.param(
            "/kb/works.bib?_search=Voluntas",
            {"bovaird2012engagementa", "meijer2012coproduction", "pestoff2012coproduction"},
            id="search",
        ),
        pytest.param("/kb/works_never_cited.bib", {"szkuta2014collaborative"}, id="canned-query"),
        pytest.param("/kb/citations.bib?status=mismatch&_search=x", None, id="other-table-with-work-id"),
    ],
)
def test_filtered_views_export_their_rows(ds, path, expected):
    response = get(ds, path)
    assert response.status_code == 200, response.text
    works, failed = parse_bibtex(response.text)
    if expected is not None:
        assert {w.id for w in works} == expected


def test_citations_export_the_works_they_resolve_to(ds):
    works, _ = parse_bibtex(get(ds, "/kb/citations.bib?status=mismatch").text)
    assert "ostrom1978public" in {w.id for w in works} and len(works) == 13  # 14 mismatches, Graaf twice


def test_ris_reads_back_with_rispy(ds):
    entries = rispy.loads(get(ds, "/kb/literature_on_concept.ris?concept=new-public-governance").text)
    assert "The New Public Governance?" in {e["title"] for e in entries}


@pytest.mark.parametrize("path", ["/kb/focus_groups.bib", "/kb/focus_group_criterion.ris", "/kb/concepts.csljson"])
def test_view_without_works_is_a_clear_400(ds, path):
    response = get(ds, path)
    assert response.status_code == 400
    assert "no work column" in response.text or "not works" in response.text


def test_work_rows_show_formatted_references(ds):
    row = get(ds, "/kb/works/osborne2006new.json?_shape=objects").json()["rows"][0]
    assert row["apa"] == "Osborne, S. (2006). The New Public Governance? Public Management Review, 8, 377–387."
    assert row["ieee"].startswith("S. Osborne, “The New Public Governance?,”")


@pytest.mark.parametrize(
    "args,check",
    [
        pytest.param(
            ["bovaird2007beyond", "--format", "apa"],
            lambda out: out.startswith("Bovaird, T. (2007). Beyond engagement"),
            id="key-apa",
        ),
        pytest.param(
            ["--concept", "New Public Governance", "--format", "csljson"],
            lambda out: "osborne2006new" in {i["id"] for i in json.loads(out)},
            id="concept-label",
        ),
        pytest.param(
            ["--search", "Voluntas", "--format", "ris"], lambda out: len(rispy.loads(out)) == 3, id="search-ris"
        ),
        pytest.param(
            ["osborne2006new", "--format", "bibtex"],
            lambda out: parse_bibtex(out)[0][0].csl["title"] == "The New Public Governance?",
            id="bibtex",
        ),
    ],
)
def test_kb_cite(built_db, args, check):
    result = CliRunner().invoke(cli, ["cite", "--db", str(built_db), *args])
    assert result.exit_code == 0, result.output
    assert check(result.output), result.output[:300]


def test_kb_cite_unknown_key_is_a_clear_error(built_db):
    result = CliRunner().invoke(cli, ["cite", "--db", str(built_db), "nosuch1999key"])
    assert result.exit_code == 2 and "no work with key 'nosuch1999key'" in result.output


@pytest.fixture(scope="module")
def several_lists(generated_db):
    import sqlite3

    return generated_db, sqlite3.connect(generated_db)


@pytest.mark.parametrize(
    "path,sql",
    [
        pytest.param("/kb/works.bib", "select id from works", id="works"),
        pytest.param("/kb/works.bib?_sort_desc=year", "select id from works", id="works-by-year"),
        pytest.param(
            "/kb/citations.bib?status=ok", "select distinct work_id from citations where status = 'ok'", id="citations"
        ),
        pytest.param("/kb/works.ris?type=book", "select id from works where type = 'book'", id="facet"),
    ],
)
def test_an_export_has_every_row_of_its_view_past_the_first_page(several_lists, root, path, sql):
    """Paging through a view a page at a time (``_next``), Datasette 0.65 orders the first page
    by the sort column alone and the next ones by it and the key: rows that tie with the first
    page's last one were skipped or repeated (the works of 100,000 exported as 99,074)."""
    db, conn = several_lists
    small = make_ds(db, root, max_returned_rows=25)
    expected = {r[0] for r in conn.execute(sql)}
    assert len(expected) > 25
    body = get(small, path).text
    if path.split("?")[0].endswith(".ris"):
        keys = [e["id"] for e in rispy.loads(body)]
    else:
        works, failed = parse_bibtex(body)
        assert failed == []
        keys = [w.id for w in works]
    assert len(keys) == len(set(keys))
    assert set(keys) == expected


@pytest.mark.parametrize("table", ["works", "citations", "passages"])
def test_paging_through_a_table_shows_every_row_once_in_reading_order(several_lists, root, table):
    """Each of these tables is sorted by its ``ordinal``, one number a row: its pages, followed
    by their next links as a reader follows them, show every row once (sorted by a column rows
    share, Datasette 0.65 skipped and repeated rows at the first page's end)."""
    db, conn = several_lists
    small = make_ds(db, root, default_page_size=20)
    seen, path = [], f"/kb/{table}.json?_shape=objects"
    while path:
        page = get(small, path).json()
        seen += [r["id"] for r in page["rows"]]
        path = page["next_url"] and "/" + page["next_url"].split("://", 1)[-1].split("/", 1)[-1]
    stored = conn.execute(f"select ordinal, id from {table} order by ordinal").fetchall()
    assert len(stored) > 100 and seen == [i for _, i in stored]
    if table == "works":
        assert [o for o, _ in stored] == list(range(1, len(stored) + 1))
    else:  # from each document's place, numbered on: ORDINAL_STRIDE apart
        assert len({o for o, _ in stored}) == len(stored)
        documents = conn.execute("select count(*) from documents").fetchone()[0]
        assert {o // ORDINAL_STRIDE for o, _ in stored} <= set(range(1, documents + 1))
    if table != "works":  # reading order: the documents as read (their files' names), each from its start
        column = "number" if table == "passages" else "start"
        files = dict(conn.execute("select id, path from documents"))
        rows = conn.execute(f"select ordinal, document_id, {column} from {table}").fetchall()
        assert sorted(rows) == sorted(rows, key=lambda r: (files[r[1]], r[2]))
