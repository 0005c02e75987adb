from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kb.build import build

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seed" / "000_6edf30adf7f2fd5c.txt"

# the tests' own helper modules (corpus.py, crawl.py) importable from any test, whichever are
# collected: with --import-mode=importlib pytest puts no test folder on the path
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    """The knowledge base built once from the shipped sources, into a real SQLite file."""
    path = tmp_path_factory.mktemp("kb") / "kb.db"
    build(path, ROOT)
    return path


@pytest.fixture(scope="session")
def generated_db(tmp_path_factory) -> Path:
    """A knowledge base built from a generated corpus of six documents (tests/corpus.py): its
    concepts are discussed in more rows than a page lists, many works share a position and many
    citations a start offset, and the first document's works have the keys that sort last."""
    from corpus import write_corpus

    folder = tmp_path_factory.mktemp("generated")
    path = folder / "kb.db"
    build(path, write_corpus(folder / "corpus", ROOT, documents=6, per_document=60, keys_descending=True))
    return path


@pytest.fixture
def sources_copy(tmp_path) -> Path:
    """A private copy of the sources, for tests that break them."""
    for name in ("bibliography", "evidence", "concepts"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "metadata.yml", tmp_path / "metadata.yml")
    return tmp_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kb_executable() -> list[str]:
    exe = Path(sys.executable).with_name("kb")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "kb"]


@contextlib.contextmanager
def serve_process(sources: Path):
    """A real `kb serve` of a sources folder (its kb.db, built first if need be) on a free
    loopback port, not waited for: yields (process, port, the file its output goes to). The
    output goes to a file: a pipe nobody reads fills up after a few hundred requests and the
    server stops answering."""
    port = free_port()
    out = sources / "serve.log"
    log = open(out, "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        kb_executable() + ["serve", "--sources", str(sources), "--db", str(sources / "kb.db"), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield proc, port, out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def serving(sources: Path):
    """A real `kb serve` process on a free loopback port, serving (and first building) the
    knowledge base of a sources folder, once it answers; yields (base URL, database path,
    process)."""
    with serve_process(sources) as (proc, port, out):
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"kb serve exited early: {out.read_text()}")
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("kb serve did not answer within 120 s")
        yield base, sources / "kb.db", proc


def wait_for_output(proc: subprocess.Popen, out: Path, text: str, seconds: float = 60) -> None:
    """Until ``text`` is in the file ``out`` (a process's output); fails when the process
    exits first or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while text not in out.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, out.read_text()
        time.sleep(0.1)


@pytest.fixture(scope="session")
def kb_command() -> list[str]:
    """The installed ``kb`` console script, as a user runs it."""
    return kb_executable()


@pytest.fixture(scope="session")
def serve():
    """``serving`` for tests that serve a sources folder of their own."""
    return serving


@pytest.fixture
def server(sources_copy):
    """A real `kb serve` process on a free loopback port."""
    with serving(sources_copy) as running:
        yield running


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One real `kb serve` of a copy of the seed for a whole test module, for tests that only
    read pages; yields (base URL, database path)."""
    sources = tmp_path_factory.mktemp("site")
    for name in ("bibliography", "evidence", "concepts"):
        shutil.copytree(ROOT / name, sources / name)
    shutil.copy(ROOT / "metadata.yml", sources / "metadata.yml")
    with serving(sources) as (base, db, _):
        yield base, db


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium through Playwright. Skipped only where Chromium is truly absent,
    and never in CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI but {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = ROOT / "tests" / "artifacts"
    path.mkdir(exist_ok=True)
    return path


def pytest_collection_modifyitems(items):
    """A test that opens Chromium is marked browser, so `pytest -m "not browser"` leaves it out;
    an unmarked one is a mistake this says about."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and item.get_closest_marker("browser") is None:
            raise pytest.UsageError(f"{item.nodeid} uses Chromium: mark it @pytest.mark.browser")


def interruptible() -> None:
    """A test's child process, before it runs (``preexec_fn``): Ctrl-C's default action, as a
    terminal's job has it. A job a shell without job control starts in the background (a CI
    runner's ``cmd &``) ignores SIGINT, and every process it starts inherits that: a test
    sending SIGINT would see it do nothing."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
