"""`kb publish`: a bundle that serves the knowledge base with the kb plugin installed from the
bundle's own wheel, never from this checkout. Real pip, real wheel, real Datasette process."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from kb.schema import MARKER


@pytest.fixture(scope="module")
def bundle(built_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "site ü 2"  # a space and a non-ASCII letter, as folders have
    result = subprocess.run(
        [sys.executable, "-m", "kb", "publish", str(out), "--db", str(built_db)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    # the command it prints can be pasted into a shell as it is
    assert shlex.split(result.stdout.split("serve with: ", 1)[1]) == ["sh", str(out / "serve.sh")]
    return out


def test_the_bundle_holds_every_file_it_lists_and_nothing_unlisted(bundle, built_db):
    manifest = json.loads((bundle / "bundle.json").read_text())
    on_disk = {str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file()} - {"bundle.json"}
    assert set(manifest["files"]) == on_disk
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest, name
    assert {
        "kb.db",
        "metadata.yml",
        "requirements.txt",
        "serve.sh",
        "Dockerfile",
        "README.md",
        manifest["wheel"],
    } <= on_disk
    assert (bundle / "kb.db").read_bytes() == built_db.read_bytes()
    with sqlite3.connect(bundle / "kb.db") as conn:
        assert conn.execute("select 1 from sqlite_master where name = ?", [MARKER]).fetchone()


def test_requirements_pin_what_was_tested_and_name_the_wheel(bundle):
    lines = (bundle / "requirements.txt").read_text().split()
    assert f"datasette=={version('datasette')}" in lines
    assert f"sqlite-utils=={version('sqlite-utils')}" in lines
    assert lines[-1].startswith("./wheels/kb-") and (bundle / lines[-1]).is_file()
    assert not any(name.startswith(("pytest", "playwright", "hypothesis")) for name in lines)
    serve = (bundle / "serve.sh").read_text()
    assert "datasette serve -i kb.db" in serve and "-m metadata.yml" in serve and "suggest_facets off" in serve
    assert 'CMD ["sh", "serve.sh"]' in (bundle / "Dockerfile").read_text()


def test_the_plugin_is_loaded_from_the_bundles_wheel_not_the_checkout(bundle, tmp_path):
    manifest = json.loads((bundle / "bundle.json").read_text())
    target = tmp_path / "installed"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(bundle / manifest["wheel"]),
        ],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import kb.publish.pages, sys; print(kb.publish.pages.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(target), where

    # the bundle's own serve command, as serve.sh runs it, answering kb's pages and exports
    def get(path: str) -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "datasette",
                "serve",
                "-i",
                "kb.db",
                "-m",
                "metadata.yml",
                "--setting",
                "suggest_facets",
                "off",
                "--get",
                path,
            ],
            capture_output=True,
            text=True,
            cwd=bundle,
            env=env,
        )
        assert result.returncode == 0, (path, result.stderr[-500:])
        return result.stdout

    assert "<h1>exclusion</h1>" in get("/-/concepts/exclusion")
    assert get("/kb/works/osborne2006new.bib").startswith("@article{osborne2006new,")
    assert "CITADEL" in get("/kb")  # metadata.yml's source is served


def test_publishing_into_a_folder_that_holds_files_is_a_clear_error(built_db, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = subprocess.run(
        [sys.executable, "-m", "kb", "publish", str(tmp_path), "--db", str(built_db)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "the output folder is not empty" in result.stderr and str(tmp_path) in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
