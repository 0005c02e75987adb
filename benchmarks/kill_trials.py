"""Kill `kb build` at random moments and check what it leaves.

Each trial starts the installed `kb build` on a copy of the sources (a database already built
there), kills it with SIGKILL after a random delay within one build's time, and checks that the
database is the previous one, whole: `PRAGMA integrity_check` is ok and every table has the same
rows (a digest of all rows). Stray files (`.kb.db.PID.tmp`, journals) are counted after each
kill; after the last trial one more build runs and must leave none.

    python benchmarks/kill_trials.py [--trials 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def strays(folder: Path) -> list[str]:
    """Temp files of builds (the format cache is kept between builds on purpose)."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".kb.db.") and ".format-cache" not in p.name]


def digest(db: Path) -> tuple[str, str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        h = hashlib.sha256()
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        for t in tables:
            for row in sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"'))):
                h.update(row.encode())
        return ok, h.hexdigest()
    finally:
        conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    kb = str(Path(sys.executable).with_name("kb"))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sources"
        for name in ("bibliography", "evidence", "concepts"):
            shutil.copytree(ROOT / name, src / name)
        db = src / "kb.db"
        cmd = [kb, "build", "--sources", str(src), "--db", str(db), "--quiet"]
        subprocess.run(cmd, check=True, env={"PYTHONHASHSEED": "0", "PATH": ""}, capture_output=True)
        # timed on a second build: the first fills the format cache, and later builds are faster
        started = time.perf_counter()
        subprocess.run(cmd, check=True, env={"PYTHONHASHSEED": "0", "PATH": ""}, capture_output=True)
        one_build = time.perf_counter() - started
        good = digest(db)
        damaged = stray_max = finished = 0
        for _ in range(args.trials):
            proc = subprocess.Popen(
                cmd, env={"PYTHONHASHSEED": "0", "PATH": ""}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(rng.uniform(0, one_build * 0.9))  # within the build
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            else:
                finished += 1
            proc.wait()
            if not db.exists() or digest(db) != good:
                damaged += 1
            stray_max = max(stray_max, len(strays(src)))
        subprocess.run(cmd, check=True, env={"PYTHONHASHSEED": "0", "PATH": ""}, capture_output=True)
        stray_after = strays(src)
        intact = digest(db) == good
    print(
        f"{args.trials} SIGKILL trials during kb build (one build {one_build:.1f} s; {finished} finished before "
        f"the kill): {damaged} damaged databases; stray temp files at most {stray_max} between trials, "
        f"{len(stray_after)} after the next build; final database same as the first: {intact}"
    )


if __name__ == "__main__":
    main()
