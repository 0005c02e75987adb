"""kb.parallel: work spread across forked processes gives what one process gives."""

from __future__ import annotations

import os

import pytest

from kb.parallel import Later, forked_map, no_cycle_collection, workers

from .conftest import interruptible

two_cores = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="this machine gives the tests one core")


def test_workers_follows_kb_workers(monkeypatch):
    monkeypatch.setenv("KB_WORKERS", "1")
    assert workers() == 1
    monkeypatch.setenv("KB_WORKERS", "not a number")
    assert workers() == len(os.sched_getaffinity(0))


@two_cores
def test_forked_map_gives_the_list_in_order_from_other_processes():
    seen = {"offset": 1000}  # inherited by the fork, never pickled
    items = list(range(37))
    out = forked_map(lambda i: (i + seen["offset"], os.getpid()), items, 2)
    assert [v for v, _ in out] == [i + 1000 for i in items]
    assert {pid for _, pid in out} - {os.getpid()}  # computed elsewhere


@pytest.mark.parametrize("processes", [1, pytest.param(2, marks=two_cores)])
def test_forked_map_together_hands_fn_whole_chunks_and_gives_the_list_in_order(processes):
    calls = []

    def squares(chunk):
        calls.append(len(chunk))  # seen here only when computed here
        return [(i * i, os.getpid(), len(chunk)) for i in chunk]

    items = list(range(100))
    out = forked_map(squares, items, processes, chunks_per_process=4, together=True)
    assert [v for v, _, _ in out] == [i * i for i in items]
    if processes == 1:
        assert calls == [25, 25, 25, 25]  # a call a chunk, here
    else:  # a call a chunk (eight of 13 items, the last of 9), in other processes
        assert not calls and os.getpid() not in {pid for _, pid, _ in out}
        assert [n for _, _, n in out] == [13] * 91 + [9] * 9


@two_cores
@pytest.mark.parametrize("cap, elsewhere", [("2", True), ("1", False)])
def test_later_computes_in_another_process_unless_one_core(monkeypatch, cap, elsewhere):
    monkeypatch.setenv("KB_WORKERS", cap)
    table = {"rows": [1, 2, 3]}
    later = Later(lambda: (sum(table["rows"]), os.getpid()))
    total, pid = later.result()
    assert total == 6 and (pid != os.getpid()) is elsewhere


@two_cores
def test_later_raises_what_computing_raised(monkeypatch):
    monkeypatch.setenv("KB_WORKERS", "2")

    def fails():
        raise ValueError("no map of nothing")

    with pytest.raises(ValueError, match="no map of nothing"):
        Later(fails).result()


@two_cores
def test_a_cancelled_later_leaves_no_process(monkeypatch):
    import multiprocessing
    import time

    monkeypatch.setenv("KB_WORKERS", "2")
    later = Later(lambda: time.sleep(30))
    assert multiprocessing.active_children()
    later.cancel()
    assert not multiprocessing.active_children()


@two_cores
def test_forked_work_moves_a_progress_bar_on_a_terminal(monkeypatch, capsys):
    from kb import progress

    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    progress.set_quiet(False)
    out = forked_map(lambda i: i * i, list(range(64)), 2, label="reference lists")
    assert out == [i * i for i in range(64)]
    shown = capsys.readouterr().err
    assert "reference lists" in shown and "64/64" in shown  # every item shown done, not the chunks


@pytest.mark.parametrize("processes", [1, pytest.param(2, marks=two_cores)])
def test_work_done_together_moves_a_progress_bar_too(monkeypatch, capsys, processes):
    """With one core the build reads its lists in this process, a chunk at a time: the bar
    still moves, and counts the lists, not the chunks."""
    from kb import progress

    monkeypatch.setattr(progress.sys.stderr, "isatty", lambda: True, raising=False)
    progress.set_quiet(False)
    out = forked_map(
        lambda chunk: [i * i for i in chunk], list(range(64)), processes, label="reference lists", together=True
    )
    assert out == [i * i for i in range(64)]
    shown = capsys.readouterr().err
    assert "reference lists" in shown and "64/64" in shown


def test_what_was_made_without_the_collector_waits_for_a_full_collection():
    """On the way out the objects made meanwhile go to the oldest generation: the first young
    collection after it does not walk them all (0.4 s after a 200,000-citation check)."""
    import gc

    assert gc.isenabled()
    with no_cycle_collection():
        assert not gc.isenabled()
        made = [[i] for i in range(10_000)]
    assert gc.isenabled()
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not any(id(x) in young for x in made)
    assert any(o is made for o in gc.get_objects(generation=2))


def test_objects_frozen_before_stay_frozen():
    """A forked process keeps its parent's objects frozen; leaving the block must not unfreeze them."""
    import gc

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with no_cycle_collection():
            [[i] for i in range(1_000)]
        assert gc.get_freeze_count() == frozen and gc.isenabled()
    finally:
        gc.unfreeze()


@pytest.mark.skipif(workers() < 2, reason="one core: nothing is forked, so no worker can print anything")
@pytest.mark.parametrize("how", ["forked_map", "Later"])
def test_ctrl_c_stops_the_workers_without_their_tracebacks(how):
    """Ctrl-C reaches every process of the terminal's group: each pool worker printed its own
    KeyboardInterrupt traceback under kb's 'Aborted!'. The workers leave it to their parent."""
    import signal
    import subprocess
    import sys
    import time

    work = "forked_map(nap, list(range(4)), 2)" if how == "forked_map" else "Later(lambda: nap(0)); time.sleep(30)"
    script = (
        "import os, time\nfrom kb.parallel import Later, forked_map\n"
        # one write of the whole line: two workers' prints came out as 'workingworking'
        "def nap(x):\n    os.write(1, b'working\\n')\n    time.sleep(30)\n"
        f"print('ready', flush=True)\n{work}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal's foreground job is
        preexec_fn=interruptible,
    )
    assert proc.stdout.readline().strip() == "ready"
    for _ in range(2 if how == "forked_map" else 1):  # each worker at work: no guess at how long starting takes
        assert proc.stdout.readline().strip() == "working"
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert "KeyboardInterrupt" in err  # the parent's own, which kb's command turns into 'Aborted!'
    assert "ForkPoolWorker" not in err and "_bootstrap" not in err  # no worker's traceback


def _killed_at_5(x: int) -> int:
    if x == 5:  # as the system's out-of-memory killer would
        os.kill(os.getpid(), __import__("signal").SIGKILL)
    return x


@pytest.mark.skipif(workers() < 2, reason="one core: nothing is forked, so no process can be killed")
def test_a_killed_process_is_an_error_not_a_wait_for_ever():
    """A pool never hears that one of its processes was killed: what it computed never came,
    and the build waited for ever. Now it is an error that says what to do."""
    import time

    from kb.records import KbError

    start = time.monotonic()
    with pytest.raises(KbError) as raised:
        forked_map(_killed_at_5, list(range(40)), 2, label="documents")
    assert "a process computing documents was stopped (exit code -9)" in str(raised.value)
    assert "KB_WORKERS=1" in str(raised.value)
    with pytest.raises(KbError, match="computing the maps was stopped"):
        Later(lambda: _killed_at_5(5), "the maps").result()
    assert time.monotonic() - start < 15
    # and the next pool works
    assert forked_map(_killed_at_5, [1, 2, 3, 4], 2) == [1, 2, 3, 4]


@pytest.mark.skipif(workers() < 2, reason="one core: nothing is forked")
@pytest.mark.parametrize("how", ["forked_map", "Later"])
def test_forked_processes_end_with_a_parent_that_is_killed(how):
    """A build killed with SIGKILL (or SIGTERM) left its forked processes waiting for ever on
    their pool's queue, each with a copy of its memory (1.7 GB at 100,000 works). They end with
    it now (Linux)."""
    import signal
    import subprocess
    import sys
    import time

    if not sys.platform.startswith("linux"):
        pytest.skip("the parent's end is signalled to its children on Linux only")
    work = (
        "forked_map(lambda x: time.sleep(60), list(range(4)), 2)"
        if how == "forked_map"
        else "Later(lambda: time.sleep(60)); time.sleep(60)"
    )
    script = (
        "import multiprocessing, threading, time\nfrom kb.parallel import Later, forked_map\n"
        "def tell():\n    time.sleep(1.0)\n"
        "    print(' '.join(str(p.pid) for p in multiprocessing.active_children()), flush=True)\n"
        f"threading.Thread(target=tell, daemon=True).start()\n{work}\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True)
    children = [int(p) for p in proc.stdout.readline().split()]
    assert children, "no forked process to watch"
    proc.kill()
    proc.wait(timeout=10)

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().split(") ")[1][0] != "Z"
        except FileNotFoundError:
            return False

    deadline = time.monotonic() + 10
    while any(alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [p for p in children if alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert left == []
