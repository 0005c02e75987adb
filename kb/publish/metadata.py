"""Descriptions, label columns, facets, sorts and canned queries for every kb database,
whatever its file name, from the one declaration of the schema (``kb/schema.py``).

A ``metadata.yml`` given with ``-m`` still applies on top (Datasette lets local metadata win):
it holds what belongs to one instance, such as its title, licence and source.
"""

from __future__ import annotations

from datasette import hookimpl

from kb import schema
from kb.publish import kb_databases


def _description_html(datasette, database: str) -> str:
    table = lambda name: datasette.urls.table(database, name)  # noqa: E731
    return (
        f"<p>{schema.DATABASE_DESCRIPTION.replace('`kb build`', '<code>kb build</code>')} Start with "
        f'<a href="{table("works")}">works</a>, '
        f'<a href="{table("citations")}?_facet=status">citations by status</a> or the '
        f'<a href="{datasette.urls.query(database, "integrity_problems")}">integrity problems</a>.</p>'
    )


@hookimpl
def get_metadata(datasette):
    databases = {}
    for name in kb_databases(datasette):
        meta = schema.database_metadata()
        meta["description_html"] = _description_html(datasette, name)
        del meta["description"]
        databases[name] = meta
    return {"databases": databases} if databases else {}


@hookimpl
def canned_queries(datasette, database):
    if database not in kb_databases(datasette):
        return None
    return schema.queries(datasette.urls.table(database, "evidence"))
