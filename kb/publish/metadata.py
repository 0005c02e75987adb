"""Descriptions, label columns, facets, sorts and canned queries for every kb database,
whatever its file name, from the one declaration of the schema (``kb/schema.py``).

A ``metadata.yml`` given with ``-m`` still applies on top (Datasette lets local metadata win):
it holds what belongs to one instance, such as its title, licence and source.
"""

from __future__ import annotations

import os
from pathlib import Path

from datasette import hookimpl

from kb import schema
from kb.publish import kb_databases
from kb.sources import analyses_behind, changed_since
from kb.update import STALE_TABLES


def _description_html(datasette, database: str) -> str:
    table = lambda name: datasette.urls.table(database, name)  # noqa: E731
    return (
        f"<p>{schema.DATABASE_DESCRIPTION.replace('`kb build`', '<code>kb build</code>')} Start with "
        f'<a href="{table("works")}">works</a>, '
        f'<a href="{table("citations")}?_facet=status">citations by status</a> or the '
        f'<a href="{datasette.urls.query(database, "integrity_problems")}">integrity problems</a>.</p>'
    )


def _site_description_html(datasette) -> str:
    page = datasette.urls.path
    return (
        "<p>A knowledge base kb built from a library's citing documents, reference lists, evidence and "
        f'concepts. Start with the <a href="{page("/-/concepts")}">concept pages</a>, the '
        f'<a href="{page("/-/map")}">map</a> or <a href="{page("/-/search")}">search everything</a>; the '
        "database's own page links its works, citations and integrity problems.</p>"
    )


_behind: dict[str, tuple[tuple[float, int], list[str]]] = {}  # path -> (its mtime and inode, what it says)


def served_analyses_behind(datasette, name: str) -> list[str]:
    """The documents changed since the database's graph analyses were made (``kb.update``), read
    once for each file (a database ``kb build`` replaces is read again)."""
    path = datasette.databases[name].path
    try:
        stat = os.stat(path)
    except OSError:
        return []
    known = _behind.get(path)
    if known is None or known[0] != (stat.st_mtime, stat.st_ino):
        known = _behind[path] = ((stat.st_mtime, stat.st_ino), analyses_behind(Path(path)))
    return known[1]


def behind_note(behind: list[str]) -> str:
    """What a page of the graph's analyses says after an update in place left them as they were."""
    return (
        f"Not up to date: made by the last full build, before {changed_since(behind)}; kb build --full makes it again."
    )


@hookimpl
def get_metadata(datasette):
    databases = {}
    for name in kb_databases(datasette):
        meta = schema.database_metadata()
        meta["description_html"] = _description_html(datasette, name)
        del meta["description"]
        behind = served_analyses_behind(datasette, name)
        if behind:  # an update in place left the graph's analyses as they were: the pages say so
            note = behind_note(behind)
            for table in STALE_TABLES:
                meta["tables"][table]["description"] = f"{meta['tables'][table].get('description', '')} {note}".strip()
        databases[name] = meta
    if not databases:
        return {}
    # the site's title and where to start, for a library without a metadata.yml of its own (whose
    # title and description win where it has one): its home page was "Datasette", the concept
    # pages, map and search only in the menu
    return {"title": "kb", "description_html": _site_description_html(datasette), "databases": databases}


@hookimpl
def canned_queries(datasette, database):
    if database not in kb_databases(datasette):
        return None
    return schema.queries(datasette.urls.table(database, "evidence"))


def _array_facet_class():
    from datasette.database import QueryInterrupted
    from datasette.facets import ArrayFacet
    from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

    class RowArrayFacet(ArrayFacet):
        """Datasette's array facet (a table's ``{"kbarray": column}`` facet in ``kb/schema.py``):
        each value with the number of rows holding it, counted by the rows' keys. Datasette's own
        removes repeated (value, row) pairs comparing every column of the row: at 100,000 works
        (their formatted references and CSL-JSON among them) it took longer than the facet time
        limit, and the works page said "These facets timed out: concepts" (0.5 s; this 0.2 s)."""

        type = "kbarray"

        async def facet_results(self):
            pks = await self.ds.get_database(self.database).primary_keys(self.table) if self.table else []
            if not pks:
                return await super().facet_results()
            results, timed_out = [], []
            size = self.get_facet_size()
            pairs = self.get_querystring_pairs()
            key = escape_sqlite(pks[0]) if len(pks) == 1 else f"json_array({', '.join(map(escape_sqlite, pks))})"
            for config in self.get_configs():
                column = config["config"].get("column") or config["config"]["simple"]
                sql = (
                    f"select j.value as value, count(distinct inner.{key}) as count from ({self.sql}) as inner, "
                    f"json_each(inner.{escape_sqlite(column)}) j group by j.value order by count desc, value "
                    f"limit {size + 1}"
                )
                try:
                    rows = (
                        await self.ds.execute(
                            self.database,
                            sql,
                            self.params,
                            truncate=False,
                            custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                        )
                    ).rows
                except QueryInterrupted:
                    timed_out.append(column)
                    continue
                values = []
                for row in rows[:size]:
                    value = str(row["value"])
                    arg = {f"{column}__arraycontains": value}
                    selected = (f"{column}__arraycontains", value) in pairs
                    path = (
                        path_with_removed_args(self.request, arg)
                        if selected
                        else path_with_added_args(self.request, arg)
                    )
                    values.append(
                        {
                            "value": value,
                            "label": value,
                            "count": row["count"],
                            "toggle_url": self.ds.absolute_url(self.request, path),
                            "selected": selected,
                        }
                    )
                results.append(
                    {
                        "name": column,
                        "type": "array",  # as the page names it: Datasette's array facet, counted by key
                        "results": values,
                        "hideable": config["source"] != "metadata",
                        "toggle_url": self.ds.urls.path(
                            path_with_removed_args(self.request, {"_facet_kbarray": column})
                        ),
                        "truncated": len(rows) > size,
                    }
                )
            return results, timed_out

    return RowArrayFacet


@hookimpl
def register_facet_classes():
    return [_array_facet_class()]
