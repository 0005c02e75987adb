"""The Datasette plugin that publishes a kb database.

Registered by entry point (``[project.entry-points.datasette]``), so ``datasette kb.db`` and
``kb serve`` behave alike. Each hook asks only for the arguments it needs.
"""

from __future__ import annotations

import json

from datasette import hookimpl
from markupsafe import Markup, escape

# tables whose rows a concept link may point at
LINKABLE = {"passages", "works", "findings", "focus_groups", "topics", "criteria", "methods", "sessions"}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link polymorphic targets to their rows, and show JSON lists of ids as lists."""
    if table == "concept_links" and column == "target_id" and value:
        target = row["target_table"]
        if target in LINKABLE:
            url = datasette.urls.row(database, target, value)
            return Markup(f'<a href="{escape(url)}">{escape(value)}</a>')
    if table == "citations" and column == "candidates" and value and value != "[]":
        try:
            positions = json.loads(value)
        except ValueError:
            return None
        links = []
        for position in positions:
            url = datasette.urls.table(database, "works") + f"?position={int(position)}"
            links.append(f'<a href="{escape(url)}">[{int(position)}]</a>')
        return Markup(" ".join(links))
    if column in ("problems", "broader", "related", "concepts", "questions") and isinstance(value, str) and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return None
        if column in ("broader", "related", "concepts"):
            return Markup(", ".join(
                f'<a href="{escape(datasette.urls.row(database, "concepts", i))}">{escape(i)}</a>' for i in items))
        return Markup("<br>".join(escape(str(i)) for i in items)) if items else ""
    return None
