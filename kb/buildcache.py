"""What reading and resolving gave, kept between builds: a rebuild after one changed document
re-reads and re-resolves only that document.

The cache is one SQLite file beside the database (``.kb.db.build-cache``), holding values by
kind and key:

- ``list``: a parsed reference list, by the parser, the file's path and the SHA-256 of its bytes;
- ``merged-list``: a document's list, its BibTeX and its other list merged, with the field
  sources and disagreements merging found, by the keys of both files;
- ``document``: a citing document read into passages, by its path and the SHA-256 of its bytes;
- ``citations``: a document's resolved citations and the problems of its list, by the SHA-256
  of the document and of its list's works as the resolver gets them (after linking);
- ``concepts``: the concept matches in a document's passages and claim sentences, by the
  SHA-256 of its texts and of the matcher's labels (:func:`kb.concepts.matches_kept`).

Each value is a pure function of its key and of the code, so the whole file belongs to the
code that wrote it: every module of ``kb`` and ``loaders``, the parser's model and the versions
of the libraries that read and match (:func:`code_version`). A cache written by anything else
is ignored, as is a file that is damaged, truncated or not SQLite at all, and any value whose
SHA-256 is not the one written beside it: the build then does the work and writes a new cache.
A cache never fails a build.

A build reads the previous cache and writes what it used, found or fresh, to a temporary file
that replaces the old one when the build is done (:meth:`BuildCache.save`): the cache holds only
what the latest build needed, and a build that fails or is killed leaves the previous cache as
it was.

What a build lacks can be computed across cores ahead of the loop that asks for it
(:meth:`BuildCache.prefill`): the loop then finds it ready, in one process, in its own order.

Values are pickled and read back by an unpickler that makes only kb's own records and plain
Python values: a cache file planted beside a database cannot run code.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import pickle
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from kb.parallel import forked_map, workers

T = TypeVar("T")

PARALLEL_FROM = 64  # values to compute before forked processes are worth starting
OLD_CACHE_KIB = 8192  # SQLite's page cache reading the previous build's values

# the libraries whose output a cached value holds: reading BibTeX, RIS, YAML, free text (the
# parser's model), matching names; a new version of any starts the cache afresh
LIBRARIES = (
    "bibtexparser",
    "pylatexenc",
    "rispy",
    "PyYAML",
    "python-crfsuite",
    "numpy",
    "pyiso4",
    "rapidfuzz",
    "regex",
)

# what a cached value may be made of: kb's records and the few standard types they hold
# (a front matter's date); anything else in a cache file is refused, not made
ALLOWED = {
    ("kb.records", "Work"),
    ("kb.records", "Problem"),
    ("kb.records", "Document"),
    ("kb.records", "Passage"),
    ("kb.records", "ReferenceSection"),
    ("kb.records", "Citation"),
    ("loaders.references", "ReadResult"),
    ("kb.merge", "FieldSource"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
}


@functools.cache
def code_version() -> str:
    """The SHA-256 of the code a cached value comes from: every file of ``kb`` and ``loaders``
    (the parser's model included), Python's version and the versions of :data:`LIBRARIES`."""
    digest = hashlib.sha256(sys.version.encode())
    base = Path(__file__).resolve().parents[1]
    files = [p for folder in ("kb", "loaders") for p in (base / folder).rglob("*") if p.is_file()]
    for path in sorted(p for p in files if "__pycache__" not in p.parts):
        digest.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in LIBRARIES:
        try:
            digest.update(f"{name}=={version(name)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{name} missing\0".encode())
    return digest.hexdigest()


def dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


class _RecordsOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a record a build keeps")
        return super().find_class(module, name)


def loads(blob: bytes) -> Any:
    """A value written by :func:`dumps`; a fresh copy at every call."""
    return _RecordsOnly(io.BytesIO(blob)).load()


def digest(*parts: bytes | str) -> str:
    """The SHA-256 of ``parts``, each kept apart from the next."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


_MISSING = object()
_DAMAGED = (sqlite3.Error, OSError)
# what reading a damaged value can raise: anything the unpickler or the classes it makes raise
_UNREADABLE = (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, KeyError, IndexError)


class BuildCache:
    """The values of the previous build, by kind and key, and those this build uses, written
    to a temporary file beside ``path`` that :meth:`save` renames into place. ``path`` None:
    no cache, every value is computed."""

    def __init__(self, path: Path | None, tmp: Path | None = None):
        self.path = path
        self.hits: Counter[str] = Counter()
        self.misses: Counter[str] = Counter()
        self._old = self._open_old(path) if path else None
        self._new: sqlite3.Connection | None = None
        self._tmp = tmp or (path.with_name(f"{path.name}.{os.getpid()}.tmp") if path else None)
        self._ready: dict[tuple[str, str], bytes] = {}  # computed across cores by prefill()
        self.spread: Counter[str] = Counter()  # by kind, the values prefill() computed so
        self.computed: Counter[str] = Counter()  # by kind, the values this build computed (here or ahead)
        self.processes = 1

    @staticmethod
    def _open_old(path: Path) -> sqlite3.Connection | None:
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            # room for the keys' pages: a build looks up every document's values, each lookup
            # reading its way down from the root (at 100,000 works 1 s of a rebuild with 2 MiB)
            db.execute(f"pragma cache_size = -{OLD_CACHE_KIB}")
            row = db.execute("select version from meta").fetchone()
            if row is None or row[0] != code_version():
                db.close()
                return None  # another version's cache: start afresh
            return db
        except _DAMAGED:
            return None  # not a cache this code can read: start afresh

    def value(self, kind: str, key: str, compute: Callable[..., T], *args: Any) -> T:
        """The value of ``key``: the previous build's when it has it, else ``compute(*args)``.
        Either way kept for the next build; the caller gets its own copy (a build changes
        records)."""
        ready = self._ready.pop((kind, key), None)
        if ready is not None:
            self.misses[kind] += 1
            if self.path is not None:
                self._keep(kind, key, ready)
            return loads(ready)
        blob = self._blob(kind, key)
        if blob is not None:
            try:
                value = loads(blob)
            except _UNREADABLE:
                value = _MISSING  # a damaged value: computed again
            if value is not _MISSING:
                self.hits[kind] += 1
                self._keep(kind, key, blob)
                return value
        value = compute(*args)
        self.computed[kind] += 1
        self.misses[kind] += 1
        if self.path is not None:
            self._keep(kind, key, dumps(value))
        return value

    def prefill(
        self,
        kind: str,
        jobs: Iterable[tuple[str, Callable[..., Any], tuple]],
        label: str | None = "",
        many: dict[Callable[..., Any], Callable[[list[tuple]], list[Any]]] | None = None,
    ) -> None:
        """Compute across cores the values of ``jobs`` (key, compute, arguments) that the
        previous build did not keep, so that :meth:`value` finds them ready: a build of many
        documents reads, resolves and matches them on every core, and still assembles what they
        give in one process, in their order. Each value is computed by the same call, in a
        forked process, as :meth:`value` would make here.

        Nothing is computed ahead without a cache file (values are kept only by their keys);
        with one core, or for fewer than :data:`PARALLEL_FROM` values, nothing is but what
        ``many`` computes (below), here. A value whose computing fails is left to
        :meth:`value`, which fails here with the same error. ``label``: the progress bar shown
        on a terminal while they are computed (``kind`` by default; None: none, the caller's
        own bar moves).

        ``many`` maps a compute function to one that computes many values at once, from their
        arguments, faster than one by one (None where one fails): the parser labels the entries
        of many reference lists in one pass. Those values are computed a chunk at a time, in
        the forked processes, or all at once in this process when it is the only one."""
        if self.path is None:
            return
        todo: dict[str, tuple[Callable[..., Any], tuple]] = {}
        for key, compute, args in jobs:
            if key not in todo and (kind, key) not in self._ready and not self._has(kind, key):
                todo[key] = (compute, args)
        n = workers() if len(todo) >= PARALLEL_FROM else 1
        together = bool(many) and any(compute in many for compute, _ in todo.values())  # type: ignore[operator]
        if not todo or (n < 2 and not together):
            return
        compute_all = functools.partial(_computed_together, many=many) if together else _computed
        blobs = forked_map(compute_all, list(todo.values()), n, label=kind if label == "" else label, together=together)
        self.computed[kind] += len(todo)
        if n > 1:
            self.spread[kind] += len(todo)
            self.processes = n
        for key, blob in zip(todo, blobs, strict=True):
            if blob is not None:
                self._ready[(kind, key)] = blob

    def has(self, kind: str, key: str) -> bool:
        """True when the value of ``key`` is ready: kept by the previous build, or computed ahead."""
        return (kind, key) in self._ready or self._has(kind, key)

    def _has(self, kind: str, key: str) -> bool:
        if self._old is None:
            return False
        try:
            return (
                self._old.execute("select 1 from entries where kind = ? and key = ?", (kind, key)).fetchone()
                is not None
            )
        except _DAMAGED:
            return False

    def _blob(self, kind: str, key: str) -> bytes | None:
        if self._old is None:
            return None
        try:
            row = self._old.execute(
                "select value, checksum from entries where kind = ? and key = ?", (kind, key)
            ).fetchone()
        except _DAMAGED:
            self._close_old()  # damaged past its first page: nothing more is read from it
            return None
        if row is None or not isinstance(row[0], bytes) or hashlib.sha256(row[0]).digest() != row[1]:
            return None  # not there, or changed since it was written: computed again
        return row[0]

    def _keep(self, kind: str, key: str, blob: bytes) -> None:
        try:
            if self._new is None:
                self._new = self._create()
            self._new.execute(
                "insert or replace into entries (kind, key, value, checksum) values (?, ?, ?, ?)",
                (kind, key, blob, hashlib.sha256(blob).digest()),
            )
        except _DAMAGED:
            self.discard()  # no room, no permission: this build keeps nothing, and says nothing
            self.path = None

    def _create(self) -> sqlite3.Connection:
        assert self._tmp is not None
        if self._tmp.exists():
            self._tmp.unlink()
        db = sqlite3.connect(self._tmp, isolation_level=None)
        db.execute("pragma journal_mode = off")
        db.execute("pragma synchronous = off")
        db.execute("begin")
        db.execute("create table meta (version text)")
        db.execute("insert into meta values (?)", (code_version(),))
        db.execute(
            "create table entries (kind text, key text, value blob, checksum blob, primary key (kind, key)) without rowid"
        )
        return db

    def save(self, adding: bool = False) -> None:
        """Write this build's values to ``path``, atomically: a temporary file, then a rename.
        Nothing to write, or a failure writing it: the previous cache stays as it was.

        ``adding``: this build's values added to the previous cache, in one transaction, which
        keeps the rest (an update in place reads a few documents' values; the next update or
        full build needs the others)."""
        old_ok = self._old is not None
        self._close_old()
        if self._new is None or self.path is None or self._tmp is None:
            return
        if adding and old_ok:
            try:
                self._new.execute("commit")
                self._new.close()
                self._new = None
                into = sqlite3.connect(self.path)
                try:
                    into.execute("attach database ? as added", (str(self._tmp),))
                    with into:
                        into.execute("insert or replace into entries select * from added.entries")
                    into.execute("detach database added")
                finally:
                    into.close()
            except _DAMAGED:
                pass  # the previous cache as it was, or without this build's values: never wrong
            self.discard()
            return
        try:
            self._new.execute("commit")
            self._new.close()
            self._new = None
            with open(self._tmp, "rb+") as written:
                os.fsync(written.fileno())
            os.replace(self._tmp, self.path)
        except _DAMAGED:
            self.discard()

    def discard(self) -> None:
        """Drop what this build would have kept; the previous cache stays as it was."""
        self._close_old()
        if self._new is not None:
            try:
                self._new.close()
            except sqlite3.Error:
                pass
            self._new = None
        if self._tmp is not None:
            try:
                self._tmp.unlink(missing_ok=True)
            except OSError:
                pass

    def _close_old(self) -> None:
        if self._old is not None:
            try:
                self._old.close()
            except sqlite3.Error:
                pass
            self._old = None

    def report(self) -> str:
        """What was found and what was computed, by kind: ``list 800/801 document 800/801``."""
        kinds = sorted(set(self.hits) | set(self.misses))
        return " ".join(f"{k} {self.hits[k]}/{self.hits[k] + self.misses[k]}" for k in kinds)


def _computed(job: tuple[Callable[..., Any], tuple]) -> bytes | None:
    """One value computed in a forked process, pickled; None when computing it fails (the
    build computes it again in its own process, where the error is raised as usual)."""
    compute, args = job
    try:
        return dumps(compute(*args))
    except Exception:
        return None


def _computed_together(
    jobs: list[tuple[Callable[..., Any], tuple]], many: dict[Callable[..., Any], Callable[[list[tuple]], list[Any]]]
) -> list[bytes | None]:
    """The values of a chunk of jobs, pickled (None where computing fails): the jobs whose
    function ``many`` can compute together in one call of it, the others one by one."""
    out: list[bytes | None] = [None] * len(jobs)
    groups: dict[Callable[..., Any], list[int]] = {}
    for i, (compute, _) in enumerate(jobs):
        groups.setdefault(compute, []).append(i)
    for compute, indices in groups.items():
        if compute in many:
            try:
                values = many[compute]([jobs[i][1] for i in indices])
            except Exception:
                continue  # left to BuildCache.value, which raises the error
            for i, value in zip(indices, values, strict=True):
                out[i] = None if value is None else dumps(value)
        else:
            for i in indices:
                out[i] = _computed(jobs[i])
    return out


def timing_line(cache: BuildCache) -> None:
    """With ``KB_TIMINGS=1``: ``kb-cache: KIND FOUND/USED ...`` on standard error."""
    from kb.progress import timings_on

    if timings_on():
        print(f"kb-cache: {cache.report()}", file=sys.stderr, flush=True)
        computed = " ".join(f"{k} {n}" for k, n in sorted(cache.computed.items()))
        print(f"kb-computed: {computed or 'nothing'}", file=sys.stderr, flush=True)
        if cache.spread:
            spread = " ".join(f"{k} {n}" for k, n in sorted(cache.spread.items()))
            print(f"kb-workers: {cache.processes} processes computed {spread}", file=sys.stderr, flush=True)
