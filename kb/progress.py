"""What a long build tells the person waiting for it: a progress bar per stage on a terminal,
and, with ``KB_TIMINGS=1``, one line per stage on standard error with its wall time, the
process's peak memory so far and its CPU time (what ``benchmarks/build_scale.py`` reads).

Nothing is shown when standard error is not a terminal (a log, a pipe, CI) or when the build
is quiet (``kb build --quiet``).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_quiet = False


def set_quiet(quiet: bool) -> None:
    """Silence every progress bar of this process (``--quiet``)."""
    global _quiet
    _quiet = quiet


def quiet() -> bool:
    """True when ``--quiet`` silenced this process's bars (a process it starts afresh is told)."""
    return _quiet


def showing() -> bool:
    """True when progress bars are drawn: standard error is a terminal and not ``--quiet``."""
    return not _quiet and sys.stderr.isatty()


def timings_on() -> bool:
    return os.environ.get("KB_TIMINGS", "") not in ("", "0")


def cpu_seconds() -> float:
    """CPU time of this process and of the children it has waited for (formatting workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timing(name: str, wall: float, cpu: float) -> None:
    print(f"kb-timing: {name} {wall:.3f} {peak_rss_mb():.0f} {cpu:.3f}", file=sys.stderr, flush=True)


def overlapped(name: str, wall: float, cpu: float) -> None:
    """With KB_TIMINGS=1, the ``kb-timing:`` line of a stage another process ran while this one
    ran its own stages (its time is not part of the build's wall time but for what was waited)."""
    if timings_on():
        _timing(name, wall, cpu)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time one stage of the build; with KB_TIMINGS=1 print ``kb-timing: NAME SECONDS PEAK_MB
    CPU_SECONDS``. On a terminal, say which stage starts."""
    start, cpu = time.perf_counter(), cpu_seconds()
    if showing():
        print(f"kb: {name} ...", file=sys.stderr, flush=True)
    try:
        yield
    finally:
        if timings_on():
            _timing(name, time.perf_counter() - start, cpu_seconds() - cpu)


def bar(items: Iterable[T], label: str, length: int | None = None) -> Iterator[T]:
    """``items`` as they are, with a progress bar on standard error when :func:`showing`."""
    if not showing():
        yield from items
        return
    import click

    if length is None and hasattr(items, "__len__"):
        length = len(items)  # type: ignore[arg-type]
    with click.progressbar(
        items,
        length=length,
        label=label.ljust(24),
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        # drawn a thousand times at most: each drawing writes a line to the terminal (100,000
        # items drawn one by one took 2.7 s and wrote 9 MB)
        update_min_steps=max(1, (length or 0) // 1000),
    ) as shown:
        yield from shown


@contextmanager
def steps(label: str, total: int) -> Iterator[Callable[[], None]]:
    """A bar of ``total`` steps that the caller moves, one ``tick()`` a step done, for a stage
    made of a few long steps rather than of many items: ``with steps("graph records", 12) as
    tick: ...``. Nothing is drawn unless :func:`showing`."""
    if not showing():
        yield lambda: None
        return
    import click

    with click.progressbar(length=total, label=label.ljust(24), file=sys.stderr, show_pos=True, show_eta=True) as shown:
        yield lambda: shown.update(1)
