"""How the cells of a kb table are shown: ids become links to their rows, JSON lists of ids
lists of links, and the column descriptions fold away on table pages. Only on kb databases."""

from __future__ import annotations

import json

from datasette import hookimpl
from markupsafe import Markup, escape

from kb.publish import is_kb_database, row_url

# tables whose rows a concept link may point at
LINKABLE = {"passages", "works", "findings", "focus_groups", "topics", "criteria", "methods", "sessions", "claims"}
# columns holding a JSON list of ids, and the table those ids are rows of
ID_LISTS = {"broader": "concepts", "related": "concepts", "concepts": "concepts", "candidate_ids": "works"}


def _link(url: str, text: str) -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>'


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link polymorphic targets to their rows, and show JSON lists of ids as lists."""
    if not is_kb_database(datasette, database):
        return None
    if table == "concept_links" and column == "target_id" and value:
        target = row["target_table"]
        if target in LINKABLE:
            return Markup(_link(row_url(datasette, database, target, value), value))
    if column == "rows_url" and isinstance(value, str) and value.startswith("/"):
        return Markup(_link(value, "rows"))
    if (
        column in ID_LISTS
        and (column != "candidate_ids" or table == "citations")
        and isinstance(value, str)
        and value.startswith("[")
        and not (column == "candidate_ids" and value == "[]")
    ):
        try:
            ids = json.loads(value)
        except ValueError:
            return None
        return Markup(", ".join(_link(row_url(datasette, database, ID_LISTS[column], i), i) for i in ids))
    if column in ("problems", "questions") and isinstance(value, str) and value.startswith("["):
        try:
            items = json.loads(value)
        except ValueError:
            return None
        return Markup("<br>".join(escape(str(i)) for i in items)) if items else ""
    return None


@hookimpl
def extra_body_script(view_name, database, datasette):
    """On table pages, fold the list of column descriptions into a <details> so that the rows
    come first; the descriptions stay one click away and as tooltips on the column headers."""
    if view_name != "table" or not is_kb_database(datasette, database):
        return None
    return """
document.addEventListener("DOMContentLoaded", () => {
  const dl = document.querySelector("dl.column-descriptions");
  if (!dl) return;
  const terms = [...dl.querySelectorAll("dt")];
  for (const dt of terms) {
    const dd = dt.nextElementSibling;
    const th = document.querySelector(`th[data-column="${CSS.escape(dt.textContent.trim())}"]`);
    if (th && dd) th.title = dd.textContent.trim();
  }
  const details = document.createElement("details");
  details.className = "kb-column-descriptions";
  const summary = document.createElement("summary");
  summary.textContent = `What the ${terms.length} columns mean`;
  details.appendChild(summary);
  dl.replaceWith(details);
  details.appendChild(dl);
});
"""
