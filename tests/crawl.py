"""Follow every link a site offers, as a visitor clicking through it would.

``crawl(base)`` starts at the home page, reads every ``<a href>`` (and every ``<form>`` that
submits with GET, with its default values) of every page it reaches on the same host, and
fetches each one once. It returns every URL that answered an error, with the page that offered
it. Used by tests/test_crawl.py against a real ``kb serve`` process.
"""

from __future__ import annotations

import concurrent.futures
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
    return path.startswith(("/-/static", "/-/static-plugins")) or path in ("/-/messages", "/-/logout")


def _kind(url: str) -> tuple[str, frozenset[str]]:
    """What a link does: its path and the names of its parameters. Facet and sort links combine
    without end (every facet page offers more); one of each kind stands for the rest."""
    parts = urllib.parse.urlsplit(url)
    return parts.path, frozenset(k for k, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))


def crawl(base: str, start: str = "/", limit: int = 5000, workers: int = 8) -> Crawl:
    """Breadth-first over every same-site link from ``start``: every path, and each path with each
    set of parameter names it is offered with; at most ``limit`` URLs."""
    out = Crawl()
    first = urllib.parse.urljoin(base, start)
    seen = {_kind(first)}
    frontier = [first]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        while frontier and len(out.status) < limit:
            batch, frontier = frontier[: limit - len(out.status)], []
            for url, (status, _kind, body) in zip(batch, pool.map(_fetch, batch), strict=True):
                out.status[url] = status
                if not body:
                    continue
                out.pages += 1
                out.bodies[url] = body
                parser = _Links()
                parser.feed(body)
                for href in parser.links:
                    target = urllib.parse.urljoin(url, href).split("#", 1)[0]
                    if not target or not _same_site(base, target) or _skip(target) or _kind(target) in seen:
                        continue
                    seen.add(_kind(target))
                    out.offered_by[target] = url
                    frontier.append(target)
    return out
