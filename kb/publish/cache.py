"""Answers kept in memory while every database is served immutable (``kb serve``, a bundle's
``serve.sh``): nothing can change what a page says then, so the second request for a URL is
answered from memory, without SQL or templates. A database file that ``kb build`` replaces
meanwhile is opened again and the answers kept are dropped (:class:`Reopen`). Datasette's own advice for a busy read-only
site is a caching proxy in front; this is that cache, inside the process.

Only complete 200 answers to GET requests without cookies or an ``Authorization`` header are
kept, only for pages of kb databases and kb's own pages, at most ``MAX_BODY`` bytes each and
``MAX_TOTAL`` bytes in all (least recently used first out). Each answer says ``x-kb-cache: hit``
or ``miss``. ``KB_RESPONSE_CACHE=0`` turns it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import OrderedDict

from datasette import hookimpl
from datasette.database import Database, connections

from kb.publish import forget, kb_databases

MAX_BODY = 4 * 1024 * 1024
MAX_TOTAL = 256 * 1024 * 1024
KB_PAGES = ("/-/concepts", "/-/evidence-map", "/-/map", "/-/path", "/-/search")


class ResponseCache:
    def __init__(self, max_total: int = MAX_TOTAL, max_body: int = MAX_BODY):
        self.entries: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self.size = 0
        self.max_total = max_total
        self.max_body = max_body

    def get(self, key):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    def put(self, key, status: int, headers: list, body: bytes) -> None:
        if len(body) > self.max_body or key in self.entries:
            return
        self.entries[key] = (status, headers, body)
        self.size += len(body)
        while self.size > self.max_total and self.entries:
            _, (_, _, old) = self.entries.popitem(last=False)
            self.size -= len(old)


def cacheable(datasette, scope) -> bool:
    """A GET of a page whose answer depends on nothing but its URL and the (immutable) data."""
    if scope.get("type") != "http" or scope.get("method") != "GET":
        return False
    if any(name in (b"cookie", b"authorization") for name, _ in scope.get("headers", [])):
        return False
    if any(db.is_mutable for db in datasette.databases.values() if not getattr(db, "is_memory", False)):
        return False
    path = scope.get("path", "")
    ours = kb_databases(datasette)
    if path == "/" or path.startswith(KB_PAGES):
        return bool(ours)
    return path.lstrip("/").split("/", 1)[0].split(".", 1)[0] in ours


class Reopen:
    """A database file replaced while it is served (``kb build`` writes a new file and renames it
    into place) is opened again: Datasette kept reading the old one until it was restarted. One
    ``stat`` a file, at most once a second."""

    EVERY = 1.0

    def __init__(self, datasette):
        self.datasette = datasette
        self.seen: dict[str, tuple[int, int, int]] = {}
        self.checked = 0.0
        # each file as it is when the server starts, the file its start-up connections opened:
        # learnt at the first request instead, a file renamed into place before it was taken
        # for the one served, and those connections read the old file for good
        for db in list(datasette.databases.values()):
            stamp = self._stamp(db)
            if stamp is not None:
                self.seen[db.path] = stamp

    @staticmethod
    def _stamp(db) -> tuple[int, int, int] | None:
        if getattr(db, "is_memory", False) or not getattr(db, "path", None):
            return None
        try:
            st = os.stat(db.path)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    async def __call__(self) -> bool:
        """Whether a database was opened again."""
        now = time.monotonic()
        if now - self.checked < self.EVERY:
            return False
        self.checked = now
        reopened = False
        for name, db in list(self.datasette.databases.items()):
            stamp = self._stamp(db)
            if stamp is None or self.seen.setdefault(db.path, stamp) == stamp:
                continue
            self.seen[db.path] = stamp
            fresh = Database(self.datasette, path=db.path, is_mutable=db.is_mutable)
            self.datasette.remove_database(name)
            self.datasette.add_database(fresh, name=name, route=db.route)
            await self.drop_connections(name)
            forget(db.path)
            reopened = True
        return reopened

    async def drop_connections(self, name: str) -> None:
        """Datasette keeps one connection a database name in each of its SQL threads: the old
        file's are dropped, one task a thread (a barrier makes each thread take one)."""
        executor = self.datasette.executor
        if executor is None:
            return
        n = executor._max_workers
        barrier = threading.Barrier(n, timeout=5)

        def drop() -> None:
            old = getattr(connections, name, None)
            if old is not None:
                delattr(connections, name)
                old.close()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

        await asyncio.gather(*(asyncio.wrap_future(executor.submit(drop)) for _ in range(n)))


@hookimpl
def asgi_wrapper(datasette):
    caching = os.environ.get("KB_RESPONSE_CACHE", "1") != "0"
    cache = ResponseCache()
    reopen = Reopen(datasette)

    def wrap(app):
        async def cached_app(scope, receive, send):
            if scope.get("type") == "http" and await reopen():
                cache.clear()  # what the pages said of the old file
            if not caching or not cacheable(datasette, scope):
                await app(scope, receive, send)
                return
            key = (scope.get("path"), scope.get("query_string", b""), scope.get("root_path", ""))
            entry = cache.get(key)
            if entry is not None:
                status, headers, body = entry
                await send(
                    {"type": "http.response.start", "status": status, "headers": [*headers, (b"x-kb-cache", b"hit")]}
                )
                await send({"type": "http.response.body", "body": body})
                return
            started: dict = {}
            chunks: list[bytes] | None = []
            kept = 0

            async def capture(message):
                nonlocal chunks, kept
                if message["type"] == "http.response.start":
                    started.update(message)
                    message = {**message, "headers": [*message.get("headers", []), (b"x-kb-cache", b"miss")]}
                elif message["type"] == "http.response.body" and chunks is not None:
                    chunks.append(message.get("body", b""))
                    kept += len(chunks[-1])
                    if kept > cache.max_body:  # too big to keep: streamed through
                        chunks = None
                    elif not message.get("more_body") and started.get("status") == 200:
                        headers = [(k, v) for k, v in started.get("headers", []) if k.lower() != b"set-cookie"]
                        if len(headers) == len(started.get("headers", [])):  # an answer that sets a cookie is not kept
                            cache.put(key, 200, headers, b"".join(chunks))
                await send(message)

            await app(scope, receive, capture)

        return cached_app

    return wrap
