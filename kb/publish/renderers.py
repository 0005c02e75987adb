"""Output renderers: .bib, .ris and .csljson on the works table, any filtered, searched or
faceted view of it, canned queries and other tables whose rows name works (work_id), with
every matching row, not only the first page. Each extension is a format of the registry
(``kb/formats/``): a format with a writer and an extension is exported here. Only on kb
databases."""

from __future__ import annotations

import json

from datasette import hookimpl

from kb.formats import get_format, writable_formats
from kb.publish import is_kb_database

# extension on the URL -> the registry's format name
FORMAT_OF_EXTENSION = {f.extension: f.name for f in writable_formats() if f.extension}
FORMATS = {f.extension: f.content_type for f in writable_formats() if f.extension}


def _work_column(columns, table, query_name=None):
    """The column that names works: works.id on the works table, work_id anywhere, and id in a
    query (checked against the works table when the export runs)."""
    if table == "works" and "id" in columns:
        return "id"
    if "work_id" in columns:
        return "work_id"
    if not table and "id" in columns:
        return "id"
    return None


async def _all_rows(datasette, request, database, table, sql, query_name, column):
    """Every row of the view, as dicts with ``column``: a table view's rows by the SQL Datasette
    makes for it (its filters, search and sort, as its JSON gives it), without its row cap; a
    query's rows by its own SQL, likewise. Paging through the view's JSON a thousand rows at a
    time, at 100,000 works and 1,000,000 citations, the works took 77 s (each page counted the
    facets again) and left 962 out (Datasette 0.65 orders a first page by the sort column alone,
    the next by it and the key), and the citations took more than two minutes."""
    import re
    from urllib.parse import parse_qsl, urlencode

    db = datasette.get_database(database)
    if table and not query_name:
        args = [
            (k, v)
            for k, v in parse_qsl(request.query_string, keep_blank_values=True)
            if k not in ("_size", "_next", "_shape", "_nocount", "_facet", "_facet_array", "_labels", "_col", "_nocol")
        ]
        base = datasette.urls.table(database, table, format="json")
        query = args + [("_shape", "objects"), ("_size", "1"), ("_nocount", "1"), ("_nofacet", "1"), ("_col", column)]
        page = (await datasette.client.get(f"{base}?{urlencode(query)}")).json()
        # the view's SQL without the page's limit (Datasette 0.65 ends it with one)
        whole = re.sub(r"\s+limit \d+\s*$", "", page["query"]["sql"])
        sql, params = f"select [{column}] from ({whole})", page["query"]["params"]
    else:
        params = {name: request.args.get(name) or "" for name in set(re.findall(r"(?<!:):(\w+)", sql))}
    result = await db.execute(sql, params, truncate=False)
    return [dict(r) for r in result.rows]


def _value(v):
    """A cell's value, whether Datasette expanded it into {"value", "label"} or not."""
    return v.get("value") if isinstance(v, dict) else v


async def _work_ids(datasette, database, ids) -> set[str]:
    """Which of these ids are works."""
    ids = [str(i) for i in ids]
    found: set[str] = set()
    db = datasette.get_database(database)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        result = await db.execute(f"select id from works where id in ({', '.join('?' for _ in chunk)})", chunk)
        found.update(r["id"] for r in result.rows)
    return found


async def _render(fmt, datasette, request, database, table, columns, rows, sql, query_name, view_name):
    from datasette.utils.asgi import Response
    from datasette.views.base import DatasetteError

    from kb.records import Work

    if not is_kb_database(datasette, database):
        raise DatasetteError(
            f"{database} was not built by kb, so it has no works to export as .{fmt}.",
            title="Not a kb database",
            status=404,
        )
    column = _work_column(columns or [], table, query_name)
    if column is None:
        raise DatasetteError(
            f"This view has no work column (works.id or work_id), so there is nothing to export as .{fmt}. "
            f"Export from the works table, or from a query that returns works.id.",
            title="Nothing to export",
            status=400,
        )
    if view_name == "row":
        # a row page exports its own row, not the table
        rows = [dict(zip(columns, r, strict=False)) if not isinstance(r, dict) else r for r in rows]
    else:
        rows = await _all_rows(datasette, request, database, table, sql, query_name, column)
    ids = list(dict.fromkeys(_value(r.get(column)) for r in rows if _value(r.get(column))))
    db = datasette.get_database(database)
    works = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found = await db.execute(
            f"select id, csl_json, et_al, position from works where id in ({', '.join('?' for _ in chunk)})", chunk
        )
        by_id = {r["id"]: r for r in found.rows}
        works += [
            Work(csl=json.loads(by_id[i]["csl_json"]), et_al=bool(by_id[i]["et_al"]), position=by_id[i]["position"])
            for i in chunk
            if i in by_id
        ]
    if ids and not works:
        raise DatasetteError(
            f"The rows of this view are not works (no '{column}' value is a works.id), so there is nothing to export "
            f"as .{fmt}.",
            title="Nothing to export",
            status=400,
        )
    body = get_format(FORMAT_OF_EXTENSION[fmt]).write(works)
    name = query_name or table or "works"
    return Response(
        body, content_type=FORMATS[fmt], headers={"content-disposition": f'inline; filename="{name}.{fmt}"'}
    )


def _renderer(fmt):
    async def render(datasette, request, database, table, columns, rows, sql, query_name, view_name):
        from datasette.database import QueryInterrupted
        from datasette.utils.asgi import Response

        try:
            return await _render(fmt, datasette, request, database, table, columns, rows, sql, query_name, view_name)
        except QueryInterrupted:  # the instance's time limit: say so, as Datasette's .json does (400)
            return Response.text(
                "The export took longer than this site's time limit (sql_time_limit_ms): "
                "select fewer works (a facet, a search) and export again.",
                status=400,
            )

    async def can_render(datasette, database, columns, rows, table, query_name):
        """Offered only where it has works to export: a view whose rows name at least one work
        (a page of a table of citations without work_id, or a query of citation ids, has none)."""
        if not is_kb_database(datasette, database):
            return False
        column = _work_column(columns or [], table, query_name)
        if column is None:
            return False
        index = list(columns).index(column)
        values = [_value(r[column] if isinstance(r, dict) else r[index]) for r in rows or []]
        values = [v for v in values if v]
        if not values:
            return False
        if table == "works" or column == "work_id":
            return True
        return bool(await _work_ids(datasette, database, values))

    return {"extension": fmt, "render": render, "can_render": can_render}


@hookimpl
def register_output_renderer(datasette):
    return [_renderer(fmt) for fmt in FORMATS]
