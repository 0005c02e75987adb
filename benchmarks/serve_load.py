"""A real `kb serve` under load: 20 concurrent clients over HTTP on loopback.

Starts the installed `kb serve` on a built database (e.g. one kept by
``benchmarks/build_scale.py --keep``), drives it with ``--clients`` threads for ``--seconds``
seconds, each taking the URLs below in turn (works and citations pages with their facets,
full-text search, and every canned query), and prints per URL: requests, requests/s, p50,
p95 and p99 latency in ms, and errors (any status but 200, or a failed connection).

kb serve keeps answers in memory (``kb/publish/cache.py``), so a URL asked again is answered
without SQL: the table also prints each URL's first answer ("first ms", one request at a time,
before the load), and one request in five under load goes to a work's row page never asked
before (each a cache miss), reported as its own line. ``--no-cache`` serves with
``KB_RESPONSE_CACHE=0``.

    python benchmarks/build_scale.py --start 100000 --max 100000 --no-check --workdir /tmp/kb100k --keep
    python benchmarks/serve_load.py --sources /tmp/kb100k/build-100000
"""

from __future__ import annotations

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

URLS = [
    "/kb/works",
    "/kb/works?_facet=type&_facet=decade",
    "/kb/works?_search=governance",
    "/kb/works?decade=2000s&type=article-journal",
    "/kb/citations",
    "/kb/citations?status=missing",
    "/kb/citations?_search=coproduction",  # no FTS on citations: Datasette answers with a filter page
    "/kb/problems",
    "/kb/literature_on_concept?concept=coproduction",
    "/kb/integrity_problems",
    "/kb/what_to_fix",
    "/kb/works_never_cited",
    "/kb/evidence_map",
    "/kb/concept_path?from=ict&to=exclusion",
    "/kb/co_cited_works?level=paragraph",
    "/kb/focus_group_criterion?focus_group=&criterion=",
    # the pages a new user found slowest at 100,000 works: the largest concept's page, the
    # works faceted by concept
    "/-/concepts/coproduction",
    "/kb/works?concepts__arraycontains=exclusion",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=Path, required=True, help="the sources folder, with kb.db built in it")
    ap.add_argument("--db", type=Path, default=None, help="database (default: kb.db in the sources folder)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=int, default=1, help="passes over the URLs before measuring")
    ap.add_argument("--no-cache", action="store_true", help="serve without the answer cache")
    args = ap.parse_args()
    db = args.db or args.sources / "kb.db"
    kb = Path(sys.executable).with_name("kb")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(
        [str(kb), "serve", "--quiet", "--sources", str(args.sources), "--db", str(db), "--port", str(port)],
        # a log file, never a pipe: a pipe nobody reads fills after some hundreds of requests and
        # the server stops answering (every client then waits out its timeout)
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "KB_RESPONSE_CACHE": "0" if args.no_cache else "1"},
    )
    try:
        deadline = time.monotonic() + 3600  # kb serve builds first when the database is stale
        while True:
            if proc.poll() is not None:
                log.seek(0)
                sys.exit(f"kb serve exited: {log.read()}")
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("kb serve did not answer")
                time.sleep(0.5)
        counts = (
            sqlite3.connect(db)
            .execute("select (select count(*) from works), (select count(*) from citations)")
            .fetchone()
        )
        print(f"kb serve on {db} ({db.stat().st_size / 1e6:.0f} MB, {counts[0]:,} works, {counts[1]:,} citations)")
        first: dict[str, float] = {}
        for n in range(args.warmup):
            for url in URLS:
                start = time.perf_counter()
                try:
                    urllib.request.urlopen(base + url, timeout=60).read()
                except urllib.error.URLError:
                    pass
                if n == 0:
                    first[url] = (time.perf_counter() - start) * 1000
        from datasette.utils import tilde_encode

        fresh = iter(
            [r[0] for r in sqlite3.connect(db).execute("select id from works order by random()")]
        )  # row pages nobody asked for yet
        ROWS = "/kb/works/<a row not asked before>"
        times: dict[str, list[float]] = {u: [] for u in [*URLS, ROWS]}
        errors: dict[str, int] = {u: 0 for u in [*URLS, ROWS]}
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(k: int) -> None:
            i = k
            while time.monotonic() < stop:
                url = URLS[i % len(URLS)]
                i += 1
                path = url
                if i % 5 == 0:
                    with lock:
                        work = next(fresh, None)
                    if work is not None:
                        url, path = ROWS, f"/kb/works/{tilde_encode(work)}"
                start = time.perf_counter()
                ok = True
                try:
                    with urllib.request.urlopen(base + path, timeout=60) as r:
                        r.read()
                        ok = r.status == 200
                except (urllib.error.URLError, OSError):
                    ok = False
                took = (time.perf_counter() - start) * 1000
                with lock:
                    times[url].append(took)
                    errors[url] += 0 if ok else 1

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
        total = sum(len(v) for v in times.values())
        print(
            f"{args.clients} clients, {wall:.0f} s: {total} requests, {total / wall:.1f} requests/s, "
            f"{sum(errors.values())} errors"
        )
        print("| URL | first ms | requests | p50 ms | p95 ms | p99 ms | errors |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for url in [*URLS, ROWS]:
            v = times[url] or [float("nan")]
            once = f"{first[url]:.0f}" if url in first else "-"
            print(
                f"| `{url}` | {once} | {len(times[url])} | {percentile(v, 50):.0f} | {percentile(v, 95):.0f} | "
                f"{percentile(v, 99):.0f} | {errors[url]} |"
            )
        every = [x for v in times.values() for x in v]
        print(
            f"| all | - | {len(every)} | {percentile(every, 50):.0f} | {percentile(every, 95):.0f} | "
            f"{percentile(every, 99):.0f} | {sum(errors.values())} |"
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
