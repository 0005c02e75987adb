"""Work spread across cores: forked processes, which inherit what the parent holds (a loaded
model, the records read so far) instead of receiving it pickled.

One place decides how many processes a build may use (:func:`workers`) and how work is handed
to them (:func:`forked_map`); the parser's labelling and the build's per-document stages both
go through it. Only what a process computes travels back, pickled, in the order it was asked
for: the result is the same list as the loop in one process would make.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from kb.progress import bar
from kb.records import KbError

T = TypeVar("T")
R = TypeVar("R")

# what the forked processes work on: set by forked_map before the fork, read by _run_chunk
_TASK: tuple[Callable[[Any], Any], Sequence[Any], bool] | None = None


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Many small objects and no reference cycles: the cyclic collector would only rescan them
    (with 200,000 citations alive, each of its full passes reads them all again). ``kb check``
    reads its document and list inside it, ``kb parse`` parses inside it, and ``kb build`` runs
    inside it whole."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # Everything made meanwhile is still counted as young: the first collection after
            # ``enable`` would scan it all at once (0.4 s after a 200,000-citation check, on its
            # way out). Moved to the oldest generation instead, it waits for a full collection.
            # Not where objects are frozen already: a forked process keeps its parent's frozen,
            # and unfreezing them would let its collections walk (and copy) the parent's memory.
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def workers() -> int:
    """Processes to spread work over: the cores this process may use (``KB_WORKERS`` caps it;
    1 computes everything in this process), never more than one from inside a worker process
    or where processes cannot be forked."""
    import multiprocessing  # here, not at the top: kb check imports this module and forks nothing

    if multiprocessing.current_process().daemon or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, _cap() or cores)


def one_process() -> bool:
    """``KB_WORKERS=1``: everything computed in this process, no other forked or started."""
    return _cap() == 1


def _cap() -> int | None:
    """``KB_WORKERS``, when it is a number of processes (none otherwise)."""
    cap = os.environ.get("KB_WORKERS", "")
    return int(cap) if cap.isdigit() and int(cap) > 0 else None


def _leave_interrupts(parent: int | None = None) -> None:
    """A worker leaves Ctrl-C to the process that started it, which stops the workers (a pool
    ends them when the error leaves it); each worker would otherwise print its own traceback.
    It ends with its parent (``parent``, that process's id), however the parent ended."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # and stops when its pool ends it, whatever its parent made of SIGTERM (a build's process
    # started afresh raises KeyboardInterrupt on it, to end what it started)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if parent is not None:
        import threading

        threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent: int) -> None:
    """A worker's watch: it ends once its parent has ended, however that ended. A build killed by
    SIGKILL or SIGTERM left its forked processes waiting for ever on their pool's queue, each
    holding a copy of the build's memory (1.7 GB at 100,000 works). A thread that looks once a
    second, not the kernel's parent-death signal: that one fires when the *thread* that forked
    ends, and a pool forks the workers it replaces from a thread of its own that ends with it
    (a worker so ended while holding the queue's lock hung the pool's end)."""
    import time

    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)  # an orphan: nothing of it is wanted


def die_with_parent(parent: int) -> None:
    """Linux: SIGTERM to this process when the one that started it (``parent``) ends, however it
    ended; for a process started by ``subprocess`` from the main thread (a build's finishing
    Python), before it runs a program (the signal fires when the thread that started it ends).
    Elsewhere nothing is done."""
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before that was asked: end now
        os.kill(os.getpid(), signal.SIGTERM)


def _pool(processes: int) -> tuple[Any, list[Any]]:
    """A pool of forked processes that leave Ctrl-C to this one and end with it, and its processes."""
    import multiprocessing

    before = set(multiprocessing.active_children())
    pool = multiprocessing.get_context("fork").Pool(processes, initializer=_leave_interrupts, initargs=(os.getpid(),))
    return pool, [p for p in multiprocessing.active_children() if p not in before]


def _waited(get: Callable[[float], R], processes: list[Any], what: str) -> R:
    """``get(timeout)`` until it gives. A pool never hears that one of its processes was killed
    (by the system's out-of-memory killer, say): what that process was computing never comes,
    and a plain ``get()`` would wait for ever. Here it is an error, with what to do."""
    import multiprocessing

    while True:
        try:
            return get(1.0)
        except multiprocessing.TimeoutError:
            dead = [p for p in processes if p.exitcode is not None]
            if dead:
                raise KbError(
                    f"a process computing {what} was stopped (exit code {dead[0].exitcode}) before it was done",
                    hint="the machine may have run out of memory: free some, or set KB_WORKERS=1 to work in "
                    "one process",
                ) from None


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _TASK is not None
    fn, items, together = _TASK
    if together:
        return list(fn(list(items[bounds[0] : bounds[1]])))
    return [fn(items[i]) for i in range(*bounds)]


def forked_map(
    fn: Callable[[Any], Any],
    items: Sequence[T],
    processes: int,
    chunks_per_process: int = 16,
    label: str | None = None,
    together: bool = False,
) -> list[Any]:
    """``[fn(item) for item in items]``, computed in ``processes`` forked processes (here, with
    one). ``fn`` and ``items`` are inherited by the fork, never pickled, so ``fn`` may be any
    callable; each result must pickle. Several chunks a process, so that one slow chunk does not
    leave the other cores idle, and a progress bar (``label``, on a terminal) moves as they come
    back.

    With ``together``, ``fn`` takes a list of items and gives their results in order, for work
    cheaper done many at a time (the parser labels many lists' entries in one pass): it is
    called once a chunk, here too, where the bar moves a chunk at a time."""
    if processes < 2 or len(items) < 2:
        if not together:
            return [fn(item) for item in (bar(items, label) if label else items)]
        size = max(1, -(-len(items) // chunks_per_process))
        here = (r for i in range(0, len(items), size) for r in fn(list(items[i : i + size])))
        return list(bar(here, label, len(items)) if label else here)
    global _TASK
    n = len(items)
    size = max(1, -(-n // (processes * chunks_per_process)))
    bounds = [(i, min(n, i + size)) for i in range(0, n, size)]
    _TASK = (fn, items, together)
    # the parent's objects out of the collector's sight: a worker's collections would otherwise
    # walk them all, and writing to each makes the worker copy the memory it shares
    gc.freeze()
    try:
        pool, started = _pool(processes)
        with pool:
            chunks = pool.imap(_run_chunk, bounds)
            done = (r for _ in bounds for r in _waited(chunks.next, started, label or "part of the work"))
            return list(bar(done, label, n) if label else done)  # the bar counts items, not chunks
    finally:
        _TASK = None
        gc.unfreeze()


class Later:
    """``fn()``, computed in a forked process from now on while this process goes on (with one
    core, or inside a worker, computed here when :meth:`result` asks for it). The result comes
    back pickled; an exception raised computing it is raised again by :meth:`result`."""

    def __init__(self, fn: Callable[[], R], what: str = "part of the work"):
        self.fn: Callable[[], R] | None = fn
        self.what = what  # what an error says was being computed
        self.pool = None
        self.pending = None
        self.processes: list[Any] = []
        if workers() > 1:
            global _TASK
            _TASK = (lambda f: f(), [fn], False)
            gc.freeze()  # as in forked_map
            try:
                self.pool, self.processes = _pool(1)
                self.pending = self.pool.apply_async(_run_chunk, ((0, 1),))
            finally:
                _TASK = None  # the fork has its own copy; this process needs none
                gc.unfreeze()

    def cancel(self) -> None:
        """Stop computing: the caller will not ask for the result."""
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
        self.pool = self.pending = self.fn = None

    def result(self) -> R:
        if self.pending is None:
            assert self.fn is not None
            return self.fn()
        ended = False
        try:
            value = _waited(self.pending.get, self.processes, self.what)[0]
            ended = True
            return value
        finally:
            # a pool waits for what it was asked before it closes: it is ended when that will
            # never come (a process killed, Ctrl-C)
            if ended:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()
            self.pool = self.pending = self.fn = None
