"""The published knowledge base through Datasette's own ASGI client: real database, real app."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
import yaml
from datasette.app import Datasette


@pytest.fixture(scope="module")
def ds(built_db, root):
    metadata = yaml.safe_load((root / "metadata.yml").read_text(encoding="utf-8"))
    return Datasette([str(built_db)], immutables=[], metadata=metadata)


def get(ds, path):
    # A thread of its own: Playwright's sync API may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, ds.client.get(path)).result()


def get_json(ds, path):
    response = get(ds, path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


def test_our_plugin_is_loaded_in_its_parts(ds):
    ours = [p for p in get_json(ds, "/-/plugins.json") if p["name"] == "kb"]
    assert len(ours) == 5  # metadata, cells, renderers, pages, cache: one entry point each
    hooks = {h for p in ours for h in p["hooks"]}
    assert {
        "get_metadata",
        "canned_queries",
        "render_cell",
        "extra_body_script",
        "register_output_renderer",
        "register_routes",
        "menu_links",
        "extra_template_vars",
        "asgi_wrapper",
    } <= hooks


def test_every_table_and_visible_column_has_a_description(ds, root, built_db):
    import sqlite_utils

    tables = ds.metadata("tables", database="kb")
    db = sqlite_utils.Database(built_db)
    for name in db.table_names():
        if "_fts" in name:
            continue
        assert tables.get(name, {}).get("description"), f"table {name} has no description"
    for name in ("works", "citations", "findings", "problems", "concept_links", "passages"):
        described = set(tables[name].get("columns", {}))
        missing = {c.name for c in db[name].columns} - described - {"id"}
        assert not missing, f"{name}: no description for {sorted(missing)}"


@pytest.mark.parametrize(
    "path,facet",
    [
        pytest.param("/kb/works.json?_facet=type", "type", id="works-type"),
        pytest.param("/kb/works.json?_facet=decade", "decade", id="works-decade"),
        pytest.param("/kb/citations.json?_facet=status", "status", id="citations-status"),
        pytest.param("/kb/findings.json?_facet=focus_group", "focus_group", id="findings-focus-group"),
    ],
)
def test_facets(ds, path, facet):
    data = get_json(ds, path + "&_extra=facet_results")
    results = data["facet_results"]
    results = results.get("results", results)
    values = {r["value"]: r["count"] for r in results[facet]["results"]}
    assert values
    if facet == "type":
        assert values["article-journal"] == 29 and values["book"] == 3 and values["chapter"] == 2
    if facet == "status":
        assert values == {"ok": 20, "mismatch": 14, "ambiguous": 5, "missing": 2}


def test_array_facets_on_problems_and_concepts(ds):
    data = get_json(ds, "/kb/citations.json?_facet_array=problems&_extra=facet_results")
    results = data["facet_results"]
    results = results.get("results", results)
    values = {r["value"]: r["count"] for r in results["problems"]["results"]}
    assert values["needs-year-suffix"] == 5 and values["wrong-year"] == 1


def test_full_text_search_on_works_and_passages(ds):
    works = get_json(ds, "/kb/works.json?_search=governance&_shape=objects")["rows"]
    assert {"osborne2006new", "vandergraaf2014designing"} <= {r["id"] for r in works}
    passages = get_json(ds, "/kb/passages.json?_search=elderly&_shape=objects")["rows"]
    assert [r["id"] for r in passages] == ["coproduction-essay/p4"]


def test_a_facet_asked_for_again_is_shown_once(ds):
    """A column's "Facet by this" on a table that shows that facet already (citations by
    status) drew it twice (Datasette 0.65 adds the URL's to the declared ones)."""
    for path, facet in (("/kb/citations?_facet=status", "status"), ("/kb/works?_facet=type&_facet=type", "type")):
        page = get(ds, path)
        assert page.status_code == 200
        assert page.text.count(f'id="facet-{facet}"') == 1, path
    facets = get_json(ds, "/kb/citations.json?_facet=status&_facet=year")["facet_results"]
    assert {"status", "year"} <= set(facets)  # a facet not declared is still added


@pytest.mark.parametrize("typed", ['"', '""', '""""', '" "'])
def test_a_search_box_of_quotes_alone_is_a_search_for_nothing_not_an_error(ds, typed):
    """A table's search box holding only double quotes: the whole table, as for an empty box
    (Datasette escaped it into an empty full-text query, answered 400 "Invalid SQL"); a quoted
    phrase still searches."""
    for table, total in (("works", 36), ("passages", 17)):
        response = get(ds, f"/kb/{table}.json?_search={quote(typed)}&_shape=objects&_size=max")
        assert response.status_code == 200, (table, typed, response.text[:300])
        assert len(response.json()["rows"]) == total
        page = get(ds, f"/kb/{table}?_search={quote(typed)}")
        assert page.status_code == 200 and "Invalid SQL" not in page.text
    works = get_json(ds, "/kb/works.json?_search=" + quote('"public governance"') + "&_shape=objects")["rows"]
    assert "osborne2006new" in {r["id"] for r in works} and len(works) < 36


@pytest.mark.parametrize(
    "query,params,check",
    [
        pytest.param(
            "literature_on_concept",
            "concept=new-public-governance",
            lambda rows: "osborne2006new" in {r["id"] for r in rows},
            id="literature-on-concept",
        ),
        pytest.param(
            "integrity_problems",
            "",
            lambda rows: rows[0]["severity"] == "error" and len(rows) > 30,
            id="integrity-problems",
        ),
        pytest.param(
            "works_never_cited",
            "",
            lambda rows: [r["id"] for r in rows] == ["szkuta2014collaborative"],
            id="works-never-cited",
        ),
        pytest.param(
            "focus_group_criterion",
            "focus_group=ul-computing-students&criterion=",
            lambda rows: {r["focus_group"] for r in rows} == {"ul-computing-students"} and len(rows) == 2,
            id="focus-group-criterion",
        ),
        pytest.param(
            "what_to_fix",
            "",
            lambda rows: rows[0]["text"] == "Ostrom et al., 1878" and len(rows) == 21,
            id="what-to-fix",
        ),
    ],
)
def test_canned_queries(ds, query, params, check):
    rows = get_json(ds, f"/kb/{query}.json?_shape=objects&{params}")["rows"]
    assert check(rows), rows[:3]


def test_concept_link_targets_render_as_links(ds):
    response = get(ds, "/kb/concept_links?concept_id=exclusion&method=curated")
    assert response.status_code == 200
    assert 'href="/kb/focus_groups/sight-impaired"' in response.text


def test_home_page_lists_the_database(ds):
    response = get(ds, "/")
    assert response.status_code == 200
    assert "coproduction" in response.text


def test_citations_and_passages_list_in_reading_order(ds):
    """Ids sort as strings (c1, c10, c11 ... c2); the tables list in the order the text reads."""

    def first_ids(table: str) -> list[str]:
        rows = get_json(ds, f"/kb/{table}.json?_shape=objects&_size=12&document_id=coproduction-essay")["rows"]
        return [row["id"].rsplit("/", 1)[1] for row in rows]

    assert first_ids("citations") == [f"c{i}" for i in range(1, 13)]
    assert first_ids("passages")[:4] == ["p1", "p2", "p3", "p4"]


def test_hyphen_and_spelling_variants_find_the_same_works(ds):
    """co-production, coproduction and co production: one word to a reader, so one result."""
    found = {}
    for q in ("coproduction", "co-production", "co production"):
        rows = get_json(ds, f"/kb/works.json?_search={q.replace(' ', '+')}&_shape=objects&_size=max&_col=title")["rows"]
        found[q] = {r["id"] for r in rows}
    assert found["coproduction"] == found["co-production"] == found["co production"]
    titles = " ".join(r for r in found["coproduction"])
    assert len(found["coproduction"]) >= 20, titles


@pytest.mark.parametrize("given", ["ict", "ICT", "information and communication technologies"])
def test_canned_queries_take_a_concept_by_id_or_label(ds, built_db, given):
    """concept=ICT gave 0 rows: a reader types the label they see, not the slug."""
    import sqlite3
    import urllib.parse

    with sqlite3.connect(built_db) as conn:
        expected = {
            r[0]
            for r in conn.execute(
                "select distinct target_id from concept_links where target_table = 'works' and concept_id = 'ict'"
            )
        }
        labels = {r[0].lower() for r in conn.execute("select label from concept_labels where concept_id = 'ict'")}
    if given.lower() not in labels | {"ict"}:
        pytest.skip(f"{given!r} is not a label of ict in this scheme")
    rows = get_json(ds, f"/kb/literature_on_concept.json?_shape=objects&concept={urllib.parse.quote(given)}")["rows"]
    assert expected and {r["id"] for r in rows} == expected


def test_focus_group_criterion_takes_labels(ds):
    url = "/kb/focus_group_criterion.json?_shape=objects&criterion=&focus_group="
    by_id = get_json(ds, url + "ul-computing-students")["rows"]
    by_label = get_json(ds, url + "Students+of+UL+computing+faculty")["rows"]
    assert by_id and by_id == by_label


@pytest.mark.parametrize(
    "table,column,filters",
    [
        ("works", "concepts", ""),
        ("works", "concepts", "type=book"),
        ("works", "concepts", "_search=governance"),
        ("works", "concepts", "concepts__arraycontains=exclusion"),
        ("citations", "problems", ""),
        ("citations", "problems", "status=mismatch"),
    ],
)
def test_the_array_facets_kb_declares_count_as_datasettes_own(ds, table, column, filters):
    """A table's array facet (``kbarray`` in kb/schema.py) gives the values and counts of
    Datasette's own array facet on the same view, with links that filter by each value."""

    def facet(path):
        data = get_json(ds, path + "&_extra=facet_results")
        results = data["facet_results"]
        results = results.get("results", results)
        return results[column]

    ours = facet(f"/{'kb'}/{table}.json?{filters}")
    theirs = facet(f"/kb/{table}.json?{filters}&_facet_array={column}&_facet_size=max")
    assert ours["type"] == "array"
    assert [(r["value"], r["count"]) for r in ours["results"]] == [(r["value"], r["count"]) for r in theirs["results"]][
        : len(ours["results"])
    ]
    assert ours["results"]
    first = ours["results"][0]
    filtered = get_json(
        ds, first["toggle_url"].split("localhost", 1)[-1].replace(f"/{table}?", f"/{table}.json?") + "&_size=0"
    )
    assert filtered["filtered_table_rows_count"] == first["count"]


def test_a_library_without_its_own_metadata_has_a_kb_home_page(built_db, root):
    """Served without a metadata.yml (a user's own library), the home page was titled
    "Datasette" and named none of kb's pages; it is "kb" and says where to start. A
    metadata.yml's own title and description still win."""
    bare = Datasette([str(built_db)], immutables=[])
    page = get(bare, "/")
    assert page.status_code == 200 and "<h1>kb</h1>" in page.text
    for path in ("/-/concepts", "/-/map", "/-/search"):
        assert f'href="{path}"' in page.text
    own = get(
        Datasette([str(built_db)], immutables=[], metadata=yaml.safe_load((root / "metadata.yml").read_text())), "/"
    )
    assert "<h1>kb: coproduction of public services</h1>" in own.text


def test_a_numbered_citations_text_shows_as_printed(ds):
    """A numbered citation's text, '[1]' or '[2, 7]', parses as JSON: the cell showed '1' and
    '2, 7', without the brackets that are the citation."""
    from kb.publish.cells import render_cell

    assert render_cell({}, "[2, 7]", "text", "citations", "kb", ds) is None  # Datasette's own: as stored
    assert str(render_cell({}, '["a", "b"]', "problems", "citations", "kb", ds)) != '["a", "b"]'
