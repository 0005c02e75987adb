"""Who may change a database file while others read it.

An update in place (:mod:`kb.update`) writes the changed rows into the database file itself,
in one SQLite transaction: a failure, a Ctrl-C or a killed process leaves the rows as they were
(SQLite's rollback journal puts back every page it changed, at once or when the file is next
opened). A reader that opened the file immutable, as ``kb serve`` has Datasette do, takes no
lock and trusts that nothing changes: it would read pages of both versions. So ``kb serve``
holds a shared lock for as long as it serves and an update in place an exclusive one; an update
that cannot have it (a server is serving the file) writes a copy and renames it into place, as
before, and the server opens the new file (:class:`kb.publish.cache.Reopen`).

The lock is ``flock(2)`` on a file beside the database, ``.kb.db.lock``, never on the database:
its locks are SQLite's, and POSIX drops a process's locks on a file when any descriptor of it is
closed. The lock file is left in place (removing it would let two processes lock two files).
Where there is no ``flock`` (Windows, a file system that refuses it) or the lock file cannot be
made (a read-only folder), nothing is locked and every update writes a copy.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_held: list[int] = []  # the descriptors of the locks this process holds until it exits


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(f".{db_path.name}.lock")


def _open_lock(db_path: Path) -> int | None:
    if fcntl is None:
        return None
    try:
        return os.open(lock_path(db_path), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None


@contextlib.contextmanager
def sole_writer(db_path: Path) -> Iterator[bool]:
    """True while this process alone has ``db_path`` open through kb (an exclusive lock, held
    until the block ends): it may change the file in place. Otherwise False, with a shared lock
    held (it waits for an update in place to end): the file is read whole, as it is, and a copy
    of it written."""
    fd = _open_lock(db_path)
    if fd is None:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            fcntl.flock(fd, fcntl.LOCK_SH)
            alone = False
        except OSError:  # a file system without flock (ENOLCK, some network ones): a copy
            alone = False
        yield alone
    finally:
        os.close(fd)  # the lock goes with it


def hold_while_serving(db_path: Path) -> None:
    """A shared lock on ``db_path`` until this process exits (``kb serve``): an update in place
    waits for none, it writes a copy instead. Taken after any update in place running now has
    ended, and any it left unfinished is rolled back first (:func:`recover`)."""
    fd = _open_lock(db_path)
    if fd is not None:
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                print(f"waiting for the kb build updating {db_path.name} to finish ...", file=sys.stderr, flush=True)
                fcntl.flock(fd, fcntl.LOCK_SH)
            _held.append(fd)
        except OSError:  # a file system without flock: nothing locked, as where there is none
            os.close(fd)
    recover(db_path)


# SQLite's extended result code: a hot journal that a connection which cannot write found
SQLITE_READONLY_ROLLBACK = 776


def recover(db_path: Path) -> None:
    """The rows of an update in place that was killed before it ended rolled back: SQLite does
    it when a connection that may write opens the file and finds the journal it left. A reader
    that opens it read-only cannot (``SQLITE_READONLY_ROLLBACK``), and one that opens it
    immutable would read the unfinished pages; so every reader calls this first. One ``stat``
    when there is nothing to do. Where the journal cannot be played back (a folder kb cannot
    write), a KbError: served immutable, the unfinished pages would be read as rows."""
    journal = f"{db_path}-journal"
    if not os.path.exists(journal):
        return
    try:
        conn = sqlite3.connect(db_path)
        try:
            conn.execute("select count(*) from sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as e:
        if getattr(e, "sqlite_errorcode", None) != SQLITE_READONLY_ROLLBACK:
            return  # not a database, or not one kb built: the reader's own error says so
        from kb.records import KbError

        raise KbError(
            f"a kb build stopped before it ended left {Path(journal).name} beside the database, and it"
            " cannot be played back here (the folder cannot be written): the file holds unfinished pages",
            str(db_path),
            hint=f"run kb build once where the folder can be written, or copy {Path(db_path).name} and"
            f" {Path(journal).name} together to a folder that can and read it there",
        ) from None
