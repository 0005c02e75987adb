"""A library's source files and whether its database is current: what every command asks
before anything else (``kb build`` with nothing changed, ``kb serve``, ``kb cite``), kept apart
from the build itself so that answering it imports no parser, graph or formatter (the seed's
``kb build`` with nothing to do took 1.0-1.2 s and 80 MB importing them, now 0.33 s and 39 MB).

One-way: the build (``kb/build.py``) and the update in place (``kb/update.py``) read these; this
module reads neither but to build when asked (:func:`ensure_built`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import sqlite3
import time
from pathlib import Path
from typing import Any

from kb import schema
from kb.buildcache import code_version
from kb.dblock import recover
from kb.records import KbError

SOURCE_DIRS = ("bibliography", "evidence", "concepts")


def default_root() -> Path:
    """The sources folder (:func:`find_root`); none found is an error, not another library's
    data (the repository's seed used to be read, and its ``kb.db`` written, from any folder
    outside a library)."""
    found = find_root()
    if found is None:
        try:
            here = os.getcwd()
        except OSError:
            here = "the current folder (removed)"
        raise KbError(
            f"no sources folder: neither {here} nor a folder above it holds bibliography/",
            hint="run kb from your library's folder (the one holding bibliography/), or pass --sources DIR",
        )
    return found


def find_root() -> Path | None:
    """The current folder when it has ``bibliography/``, else the nearest folder above it that
    has one, as git finds a repository: a command run from inside ``bibliography/`` or any
    folder of a library reads that library. None when there is none."""
    try:
        cwd = Path.cwd()
    except OSError:  # the folder the command was started in was removed
        return None
    for folder in (cwd, *cwd.parents):
        if (folder / "bibliography").is_dir():
            return folder
    return None


def source_files(root: Path) -> list[Path]:
    """Every file a build reads (those of :data:`SOURCE_DIRS`, hidden ones aside), in name order.
    A file name that is not UTF-8 is an error naming it: every path is stored as text."""
    return [root / rel for rel in _source_names(root)]


def _source_names(root: Path) -> list[str]:
    """:func:`source_files` as paths in ``root`` ("bibliography/essay.md"), in the order of
    their parts (pathlib's, as ``sorted`` orders Paths): every file under each of
    :data:`SOURCE_DIRS`, a link to a file too, whose own name does not start with a dot, in
    every folder but one reached through a link (as ``Path.rglob`` walks them). Read with
    ``os.scandir``, a folder at a time, without a ``stat`` of each file (20,000 files: 0.06 s
    against 0.6-0.8 s through ``rglob`` and ``is_file``)."""
    found: list[tuple[str, ...]] = []

    def walk(folder: str, parts: tuple[str, ...]) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.is_dir() and not entry.is_symlink():
                        walk(entry.path, (*parts, entry.name))
                    elif entry.is_file() and not entry.name.startswith("."):
                        found.append((*parts, entry.name))
                except OSError:  # gone meanwhile, or not to be looked at: not a file it can read
                    continue

    for name in SOURCE_DIRS:
        if (root / name).is_dir():
            walk(str(root / name), (name,))
    for parts in found:
        try:
            parts[-1].encode("utf-8")
        except UnicodeEncodeError:
            p = root.joinpath(*parts)
            shown = os.fsencode(p).decode("utf-8", "replace")  # the bytes that are not UTF-8 as U+FFFD
            # a shell pattern that matches it: each byte that is not UTF-8, and each space, a "?"
            pattern = re.sub(r"[\ufffd ]", "?", os.fsencode(p.relative_to(root)).decode("utf-8", "replace"))
            renamed = shlex.quote(str(p.relative_to(root).parent / f"renamed{p.suffix}"))
            raise KbError(
                "the file name is not UTF-8 (kb keeps every file's path as text)",
                shown,
                hint=f"give it a UTF-8 name, e.g. in a shell in {root}: mv {pattern} {renamed}",
            ) from None
    return ["/".join(parts) for parts in sorted(found)]


def is_stale(db_path: Path, root: Path) -> bool:
    """True when the database is missing or older than any source or the code that builds it."""
    if not db_path.exists():
        return True
    built = db_path.stat().st_mtime
    code = list(Path(__file__).parent.glob("*.py")) + list((Path(__file__).parents[1] / "loaders").glob("*.py"))
    return any(p.stat().st_mtime > built for p in source_files(root) + code if p.exists())


# each source file's hash kept beside the sources with what ``stat`` said of the file, as git's
# index keeps them: a file whose size, times and inode are those kept is not read again
HASHES_KEPT = ".kb.source-hashes"
# a file changed this close to the moment its hash was kept is read again: a change within the
# same tick of the file system's clock leaves its times as they were (git's "racily clean")
RACY_NS = 2_000_000_000


def source_hashes(root: Path, racy_ns: int = RACY_NS) -> dict[str, str]:
    """The SHA-256 (hex) of each file a build of ``root`` reads, by its path in the folder, in
    name order.

    A file is read and hashed unless :data:`HASHES_KEPT` holds its hash with the same size,
    modification and change times (in nanoseconds) and inode, and the file was last changed
    more than ``racy_ns`` before that hash was kept. The change time is the kernel's (no
    tool sets it back, as ``touch`` or ``rsync -t`` set a modification time), so a file written
    since has another. At 20,000 files a ``stat`` each took 0.1 s, reading and hashing them
    0.7-0.9 s on every command."""
    started = time.time_ns()
    kept_path = os.path.join(root, HASHES_KEPT)
    kept, written = _kept_hashes(kept_path)
    trusted_before = written - racy_ns
    out: dict[str, str] = {}
    stamps: dict[str, list] = {}
    read = 0
    for rel in _source_names(root):
        path = os.path.join(root, rel)
        st = os.stat(path)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
        entry = kept.get(rel)
        if entry is not None and entry[:4] == stamp and max(st.st_mtime_ns, st.st_ctime_ns) < trusted_before:
            sha = entry[4]
        else:
            with open(path, "rb") as f:
                sha = hashlib.sha256(f.read()).hexdigest()
            read += 1
        out[rel] = sha
        stamps[rel] = [*stamp, sha]
    if read or len(stamps) != len(kept):
        _keep_hashes(kept_path, started, stamps)
    return out


def _kept_hashes(path: str) -> tuple[dict[str, list], int]:
    """The hashes :data:`HASHES_KEPT` holds and when they were (a moment before the files'
    ``stat``); none when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            kept = json.load(f)
        return dict(kept["files"]), int(kept["written_ns"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}, 0


def _keep_hashes(path: str, started: int, stamps: dict[str, list]) -> None:
    """:data:`HASHES_KEPT` written anew (a new file renamed into place); nothing when the folder
    cannot be written."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"written_ns": started, "files": stamps}, f, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def sources_digest(root: Path, hashes: dict[str, str] | None = None) -> str:
    """The SHA-256 of everything a build of ``root`` reads: each source file's path in the
    folder and its bytes (``hashes``: :func:`source_hashes`, when the caller has them), and the
    code that builds (:func:`kb.buildcache.code_version`). Two builds with the same digest write
    the same rows."""
    whole = hashlib.sha256(code_version().encode())
    for path, sha in (source_hashes(root) if hashes is None else hashes).items():
        whole.update(path.encode() + b"\0" + bytes.fromhex(sha))
    return whole.hexdigest()


def built_from(db_path: Path, fingerprint: str) -> bool:
    """True when ``db_path`` is what a build would write now: a database kb built from sources
    whose :func:`sources_digest` is ``fingerprint`` (the same files, byte for byte, and this
    code). Its modification time is then brought up to now, so that a check by time
    (:func:`is_stale`) finds it current too (a checkout, or a file saved unchanged, makes
    sources newer without changing them)."""
    if stored_digest(db_path) != fingerprint:
        return False
    os.utime(db_path)
    return True


def stored_digest(db_path: Path) -> str | None:
    """The :func:`sources_digest` of the sources ``db_path`` was built from; None for a file
    that is missing, not a database, not one kb built, or built before the digest was kept."""
    recover(db_path)
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            row = conn.execute(f"select value from [{schema.MARKER}] where key = 'sources_digest'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def ensure_built(db_path: Path | None = None, root: Path | None = None) -> Path:
    """The database to read. Without ``db_path``: the sources folder's kb.db, built first when it
    is missing or older than its sources and they changed since it was built (:func:`built_from`).
    With one: that file, read as it is (never rebuilt from whatever sources the current folder
    holds), and it must be a database kb built."""
    if db_path is not None:
        return readable_kb_database(Path(db_path))
    root = root or default_root()
    db_path = root / "kb.db"
    if is_stale(db_path, root) and (root / "bibliography").is_dir():
        hashes = source_hashes(root)
        fingerprint = sources_digest(root, hashes)
        if not built_from(db_path, fingerprint):
            from kb.build import build  # what is heavy, when there is something to build

            build(db_path, root, fingerprint, hashes)
    if not db_path.exists():
        raise KbError("no database", str(db_path), hint="run kb build first, or pass --db")
    recover(db_path)
    return db_path


def readable_kb_database(db_path: Path) -> Path:
    """``db_path`` when it is a SQLite database kb built; a KbError saying what it is otherwise."""
    from kb.schema import MARKER

    if not db_path.is_file():
        raise KbError("no such database", str(db_path), hint="build it with: kb build --db " + str(db_path))
    recover(db_path)
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            marked = conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [MARKER]).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as e:
        raise KbError(f"not a SQLite database ({e})", str(db_path), hint="pass the .db file kb build wrote") from None
    if not marked:
        raise KbError(
            "not a database kb built (it has no _kb_meta table)",
            str(db_path),
            hint="pass a database kb build wrote, or build one with: kb build --db " + str(db_path),
        )
    return db_path


COUNTED = (
    "documents",
    "passages",
    "works",
    "authors",
    "citations",
    "concepts",
    "concept_links",
    "claims",
    "sessions",
    "focus_groups",
    "topics",
    "criteria",
    "methods",
    "findings",
    "problems",
)


def row_counts(db: Any) -> dict[str, int]:
    """The rows of each table a build reports (:data:`COUNTED`), of a sqlite-utils Database or
    a sqlite3 connection (a library with nothing to build imports neither sqlite-utils nor,
    through it, numpy: 0.5 s of a 1 s `kb build` at 100,000 works)."""
    conn = getattr(db, "conn", db)
    return {t: conn.execute(f"select count(*) from [{t}]").fetchone()[0] for t in COUNTED}


# the _kb_meta key naming the documents changed since the graph's analyses were made (updates
# in place, kb/update.py)
BEHIND_KEY = "analyses_behind"


def analyses_behind(db_path: Path) -> list[str]:
    """The documents changed since the graph's analyses were made (updates in place); none when
    a full build made the database."""
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            row = conn.execute(f"select value from [{schema.MARKER}] where key = ?", [BEHIND_KEY]).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    return json.loads(row[0]) if row else []


def changed_since(behind: list[str]) -> str:
    """The documents an update in place changed, said in a note: "2 documents changed (a, b)",
    the first three named."""
    shown = ", ".join(behind[:3]) + (f" and {len(behind) - 3} more" if len(behind) > 3 else "")
    return f"{len(behind)} document{'s' if len(behind) != 1 else ''} changed ({shown})"
