"""Follow every link a site offers, as a visitor clicking through it would.

``crawl(base)`` starts at the home page, reads every ``<a href>`` (and every ``<form>`` that
submits with GET, with its default values) of every page it reaches on the same host, and
fetches each one once. It returns every URL that answered an error, with the page that offered
it. Used by tests/test_crawl.py against a real ``kb serve`` process.
"""

from __future__ import annotations

import concurrent.futures
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


@dataclass
class Crawl:
    pages: int = 0
    status: dict[str, int] = field(default_factory=dict)
    offered_by: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)

    @property
    def broken(self) -> list[tuple[int, str, str]]:
        return sorted((s, url, self.offered_by.get(url, "")) for url, s in self.status.items() if s >= 400)


def _fetch(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            kind = r.headers.get("content-type", "")
            body = r.read().decode("utf-8", "replace") if "html" in kind else ""
            return r.status, kind, body
    except urllib.error.HTTPError as e:
        return e.code, "", ""


def _same_site(base: str, url: str) -> bool:
    b, u = urllib.parse.urlsplit(base), urllib.parse.urlsplit(url)
    return (u.scheme, u.netloc) == (b.scheme, b.netloc)


def _skip(url: str) -> bool:
    path = urllib.parse.urlsplit(url).path
    # Datasette's own static files and its debugging pages are not part of the knowledge base.
    # SQLite's own full-text index tables (listed among the hidden tables) are not either: their
    # rows have BLOB keys, which Datasette 0.65 cannot address as row pages.
    table = path.strip("/").split("/")[1:2]
    return (
        path.startswith(("/-/static", "/-/static-plugins"))
        or path in ("/-/messages", "/-/logout")
        or bool(table and re.search(r"_fts(_\w+)?$", table[0].split(".")[0]))
    )


def _kind(url: str, coarse: bool = False) -> tuple[str, frozenset[str], frozenset[str] | int]:
    """What a link does: its path, the names of its special parameters (``_sort``, ``_facet``...)
    and the columns it filters on. Facet and filter links combine without end (every facet page
    offers more); one of each kind stands for the rest, and filters on two or more columns are
    one kind whichever the columns. ``coarse``: filters on one column are one kind too."""
    parts = urllib.parse.urlsplit(url)
    names = {k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)}
    special = frozenset(n for n in names if n.startswith("_"))
    filters = frozenset(names - special)
    if coarse:
        # the JSON shapes and label expansion are one kind; so is any combination of facets and sorts
        special = special - {"_shape", "_nl", "_labels", "_size"}
        return parts.path, special if len(special) < 2 else frozenset({"*"}), min(len(filters), 2)
    return parts.path, special, filters if len(filters) < 2 else 2


def _row(url: str) -> tuple[str, str] | None:
    """(table, primary key) when the URL is a row page or one of its exports, else None."""
    parts = urllib.parse.unquote(urllib.parse.urlsplit(url).path).strip("/").split("/")
    if len(parts) != 3 or parts[0] == "-":
        return None
    return parts[1], parts[2].rsplit(".", 1)[0] if parts[2].endswith(
        (".json", ".bib", ".ris", ".csljson", ".csv")
    ) else parts[2]


def _kb_page(url: str) -> bool:
    return urllib.parse.urlsplit(url).path.startswith("/-/")


def crawl(
    base: str,
    start: str = "/",
    limit: int = 20000,
    workers: int = 8,
    rows_per_table: int | None = None,
    skip_extensions: tuple[str, ...] = (),
) -> Crawl:
    """Breadth-first over every same-site link from ``start``: every path, and each path with each
    set of parameter names it is offered with; at most ``limit`` URLs.

    With ``rows_per_table``, at most that many row pages of each table are visited when a table
    page or another row page offers them; the rows kb's own pages (under ``/-/``) offer are
    always visited, and so is every filtered table link a row page offers (its related rows),
    each URL of those once, not one of a kind; a row page beyond the cap is fetched but the links
    it offers are not followed. A capped crawl also takes a table view filtered on one column as
    one kind whichever the column, and any two facets or sorts as one kind. Links to paths ending
    in one of ``skip_extensions`` (".json", ".csv": Datasette's own renderers) are not fetched."""
    out = Crawl()
    first = urllib.parse.urljoin(base, start)
    coarse = rows_per_table is not None

    def kind_of(u: str):
        return _kind(u, coarse)

    seen = {kind_of(first)}
    exact: set[str] = set()
    rows: dict[str, set[str]] = {}
    read: dict[str, set[str]] = {}
    frontier = [first]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        while frontier and len(out.status) < limit:
            batch, frontier = frontier[: limit - len(out.status)], []
            for url, (status, _type, body) in zip(batch, pool.map(_fetch, batch), strict=True):
                out.status[url] = status
                if not body:
                    continue
                out.pages += 1
                out.bodies[url] = body
                this = _row(url)
                if this and rows_per_table is not None:
                    done = read.setdefault(this[0], set())
                    if this[1] not in done and len(done) >= rows_per_table:
                        continue
                    done.add(this[1])
                parser = _Links()
                parser.feed(body)
                for href in parser.links:
                    target = urllib.parse.urljoin(url, href).split("#", 1)[0]
                    if not target or not _same_site(base, target) or _skip(target):
                        continue
                    if skip_extensions and urllib.parse.urlsplit(target).path.endswith(skip_extensions):
                        continue
                    row = _row(target)
                    if _kb_page(url) or (_row(url) and not row and "?" in target):
                        # kb's own pages, and a row page's related rows: every URL they offer
                        if target in exact:
                            continue
                        exact.add(target)
                        seen.add(kind_of(target))
                    else:
                        if kind_of(target) in seen:
                            continue
                        if row and rows_per_table is not None:
                            visited = rows.setdefault(row[0], set())
                            if row[1] not in visited and len(visited) >= rows_per_table:
                                continue
                            visited.add(row[1])
                        seen.add(kind_of(target))
                    out.offered_by[target] = url
                    frontier.append(target)
    return out


class _Cells(HTMLParser):
    """The text of every table cell of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[str, str]] = []
        self._cell: list[str] | None = None
        self._class = ""

    def handle_starttag(self, tag, attrs):
        if tag == "td":
            self._cell, self._class = [], dict(attrs).get("class") or ""

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append((self._class, "".join(self._cell).strip()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


RAW_JSON = re.compile(r"^(\[.*\]|\{.*\})$", re.S)


def raw_json_cells(body: str) -> list[tuple[str, str]]:
    """(cell class, text) of every table cell that shows a JSON array or object as it is stored.

    >>> raw_json_cells('<table><tr><td class="col-x">["a", "b"]</td><td>a, b</td><td>[]</td></tr></table>')
    [('col-x', '["a", "b"]'), ('', '[]')]
    """
    parser = _Cells()
    parser.feed(body)
    return [(cls, text) for cls, text in parser.cells if RAW_JSON.match(text)]
