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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

_quiet = False


def set_quiet(quiet: bool) -> None:
    """Silence every progress bar of this process (``--quiet``)."""
    global _quiet
    _quiet = quiet


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
        items, length=length, label=label.ljust(24), file=sys.stderr, show_pos=True, show_eta=True
    ) as shown:
        yield from shown


class Laps:
    """Consecutive stages timed without nesting the code: ``laps = Laps("analyses")``, later
    ``laps.next("maps")`` and at the end ``laps.done()``; each lap prints as :func:`stage` does."""

    def __init__(self, name: str):
        self.name, self.start, self.cpu = name, time.perf_counter(), cpu_seconds()
        if showing():
            print(f"kb: {name} ...", file=sys.stderr, flush=True)

    def next(self, name: str | None) -> None:
        if timings_on():
            _timing(self.name, time.perf_counter() - self.start, cpu_seconds() - self.cpu)
        self.name, self.start, self.cpu = name or "", time.perf_counter(), cpu_seconds()
        if name and showing():
            print(f"kb: {name} ...", file=sys.stderr, flush=True)

    def done(self) -> None:
        self.next(None)
