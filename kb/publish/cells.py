"""How the cells of a kb table are shown: ids become links to their rows, JSON lists of ids
lists of links, and the column descriptions fold away on table pages. Only on kb databases."""

from __future__ import annotations

import json

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from kb.publish import is_kb_database, row_url
from kb.schema import TABLES_BY_NAME

# (table, column) -> the table that column's values are ids of
REFERENCES = {(t.name, column): other for t in TABLES_BY_NAME.values() for column, other, _ in t.foreign_keys}
# tables whose rows a concept link may point at
LINKABLE = {"passages", "works", "findings", "focus_groups", "topics", "criteria", "methods", "sessions", "claims"}
# columns holding a JSON list of ids, and the table those ids are rows of
ID_LISTS = {
    "broader": "concepts",
    "related": "concepts",
    "concepts": "concepts",
    "cited_for": "concepts",
    "candidate_ids": "works",
    "works": "works",
    "candidate_works": "works",
    "probably_same_as": "authors",
}
# columns whose lists name ids of several kinds, "work:ostrom1996crossing", "concept:ict"
TYPED_LISTS = {"path", "via"}
# columns of text as a source prints it, never JSON however it reads
PRINTED_TEXT = {"text", "raw", "raw_text", "quote", "sentence", "expected", "matched_text", "title", "message"}
TYPED_TABLES = {
    "work": "works",
    "finding": "findings",
    "passage": "passages",
    "claim": "claims",
    "document": "documents",
}


def _link(url: str, text: str) -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>'


def _name(value: dict) -> str | None:
    """A CSL name as people read it: "Family, Given", or the literal name."""
    if "literal" in value:
        return str(value["literal"])
    if "family" in value:
        family = " ".join(str(value[k]) for k in ("non-dropping-particle", "family") if value.get(k))
        given = " ".join(str(value[k]) for k in ("given", "dropping-particle") if value.get(k))
        return f"{family}, {given}" if given else family
    return None


def _item(datasette, database: str, column: str, value) -> str:
    """One element of a JSON list, as HTML."""
    if isinstance(value, dict):
        name = _name(value)
        return escape(name) if name is not None else _json_details(value)
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    text = str(value)
    if column in ID_LISTS and isinstance(value, str):
        if ID_LISTS[column] == "concepts":
            return _link(datasette.urls.path(f"/-/concepts/{tilde_encode(text)}"), text)
        return _link(row_url(datasette, database, ID_LISTS[column], text), text)
    if column in TYPED_LISTS and ":" in text:
        kind, ident = text.split(":", 1)
        if kind == "concept":
            return _link(datasette.urls.path(f"/-/concepts/{tilde_encode(ident)}"), text)
        if kind in TYPED_TABLES:
            return _link(row_url(datasette, database, TYPED_TABLES[kind], ident), text)
    return escape(text)


def _json_details(value) -> str:
    """A JSON object folded away: its size first, the JSON itself one click away."""
    summary = f"{len(value)} fields" if isinstance(value, dict) else f"{len(value)} items"
    return f"<details><summary>{summary}</summary><pre>{escape(json.dumps(value, ensure_ascii=False, indent=1))}</pre></details>"


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link polymorphic targets to their rows, and show every JSON list or object as people read
    it: ids as links to their rows, names as names, an empty list as nothing."""
    if not is_kb_database(datasette, database):
        return None
    if table == "concept_links" and column == "target_id" and value:
        target = row["target_table"]
        if target in LINKABLE:
            return Markup(_link(row_url(datasette, database, target, value), value))
    if column == "rows_url" and isinstance(value, str) and value.startswith("/"):
        return Markup(_link(value, "rows"))
    target = REFERENCES.get((table, column))
    if target is not None and isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
        # a row page shows a foreign key as it is stored (a table page expands it to its label
        # before this hook sees it): link it as the table page does, label first
        return _foreign_key_link(datasette, database, target, value)
    if not isinstance(value, str) or not value.startswith(("[", "{")) or column in PRINTED_TEXT:
        return None  # "[1]", a numbered citation as printed, is text that happens to parse as JSON
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if isinstance(data, dict):
        name = _name(data)
        return Markup(escape(name) if name is not None else _json_details(data))
    if not isinstance(data, list):
        return None
    if not data:
        # an empty string would read as "no opinion" to Datasette, which would show "[]"
        return Markup('<span class="kb-empty"></span>')
    if table == "claim_citations" and column == "candidates":
        column = "candidate_ids"  # works there, positions in the list in citations
    separator = "<br>" if column in ("problems", "questions", "spellings") else ", "
    if column in TYPED_LISTS:
        separator = " → "
    if column == "value":
        separator = "; "
    return Markup(separator.join(_item(datasette, database, column, v) for v in data))


async def _foreign_key_link(datasette, database: str, target: str, value) -> Markup | None:
    """``value`` as a link to its row in ``target`` with the row's label, or None (the value
    as text) when no such row exists: a link must not lead to a 404."""
    spec = TABLES_BY_NAME[target]
    label_column = spec.label_column or spec.pk
    rows = (
        await datasette.get_database(database).execute(
            f"select [{label_column}] from [{target}] where [{spec.pk}] = ?", [value]
        )
    ).rows
    if not rows:
        return None
    label = rows[0][0]
    link = _link(row_url(datasette, database, target, value), str(label if label not in (None, "") else value))
    if label not in (None, "") and str(label) != str(value):
        link += f"&nbsp;<em>{escape(value)}</em>"
    return Markup(link)


@hookimpl
def extra_body_script(view_name, database, table, request, datasette):
    """On table pages, fold the list of column descriptions into a <details> so that the rows
    come first (the descriptions stay one click away and as tooltips on the column headers),
    and show the columns people read (``Table.shown`` in ``kb/schema.py``) with a link to all
    of them. A page that names its columns (``_col``, ``_nocol``) shows what it names."""
    if view_name != "table" or not is_kb_database(datasette, database):
        return None
    script = FOLD_DESCRIPTIONS
    spec = TABLES_BY_NAME.get(table)
    args = request.args if request is not None else {}
    if spec is not None and spec.shown and not any(k in args for k in ("_col", "_nocol")):
        every = "_kb_all" in args
        script += SHOWN_COLUMNS % json.dumps(
            {
                "shown": len(spec.shown),
                "folded": [c.name for c in spec.columns if c.name not in spec.shown],
                "total": len(spec.columns),
                "all": every,
            },
            ensure_ascii=False,
        )
    return script


FOLD_DESCRIPTIONS = """
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

# Runs as the page is parsed (the script sits at the end of <body>), before the first paint.
SHOWN_COLUMNS = """
(() => {
  const spec = %s;
  const table = document.querySelector("table.rows-and-columns");
  if (!table) return;
  const url = new URL(window.location.href);
  const note = document.createElement("p");
  note.className = "kb-shown-columns";
  const link = document.createElement("a");
  if (spec.all) {
    url.searchParams.delete("_kb_all");
    link.textContent = `show the ${spec.shown} main columns`;
    note.append(`All ${spec.total} columns: `, link);
  } else {
    url.searchParams.set("_kb_all", "1");
    link.textContent = `show all ${spec.total} columns`;
    note.append(`The ${spec.shown} main columns of ${spec.total}: `, link);
    const folded = new Set(spec.folded);
    const hide = [...table.querySelectorAll("thead th")].map((th) => folded.has(th.dataset.column));
    for (const row of table.querySelectorAll("tr")) {
      [...row.children].forEach((cell, i) => { if (hide[i]) cell.style.display = "none"; });
    }
  }
  link.href = url.pathname + url.search;
  table.closest(".table-wrapper, table").before(note);
})();
"""
