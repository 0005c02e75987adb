"""A deployable bundle of a knowledge base (``kb publish``): what one read replica needs to serve
it with Datasette on any machine, and nothing from this checkout at run time.

The bundle holds the database (served immutable), ``metadata.yml``, the kb plugin as a wheel
built from this source tree, the dependencies pinned to the versions this build was tested
with, a ``serve.sh`` with the settings ``kb serve`` uses (but Datasette's 100 MB cap on a CSV,
kept for a public replica), a ``Dockerfile`` and a
``bundle.json`` listing every file with its SHA-256. Copies of one bundle behind a load
balancer are identical read replicas; Datasette's own ``datasette publish`` and ``datasette
package`` need the plugin on PyPI, which kb is not, so the bundle carries its wheel instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import shutil
import subprocess
import sys
from importlib.metadata import requires, version
from pathlib import Path

from kb.records import KbError

PYTHON_IMAGE = "python:3.11-slim"


def source_tree() -> Path:
    """The folder holding kb's ``pyproject.toml``: the wheel is built from it."""
    here = Path(__file__).resolve().parents[1]
    if not (here / "pyproject.toml").is_file():
        raise KbError(
            "kb is not installed from a source tree, so there is nothing to build its wheel from",
            str(here),
            hint="run kb publish from a clone of the kb repository (pip install -e .)",
        )
    return here


def pinned_requirements() -> list[str]:
    """kb's own dependencies, each pinned to the version installed here."""
    out = []
    for req in requires("kb") or []:
        if ";" in req:  # an extra (test) or a platform marker: not needed to serve
            continue
        name = re.match(r"[A-Za-z0-9._-]+", req).group(0)
        out.append(f"{name}=={version(name)}")
    return sorted(out, key=str.lower)


def build_wheel(out: Path) -> Path:
    """kb's wheel, built from the source tree into ``out`` by pip (in an isolated build
    environment, as any installer would build it)."""
    out.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source_tree())],
        capture_output=True,
        text=True,
    )
    wheels = sorted(out.glob("kb-*.whl"))
    if result.returncode != 0 or not wheels:
        raise KbError(
            "could not build kb's wheel: " + (result.stderr.strip().splitlines() or ["pip failed"])[-1],
            str(source_tree()),
            hint="check that pip can reach a package index for setuptools (pip wheel --no-deps .)",
        )
    return wheels[-1]


def serve_command(db_name: str, settings: list[str], metadata: bool) -> str:
    args = ["datasette", "serve", "-i", db_name, "--host", '"${HOST:-0.0.0.0}"', "--port", '"${PORT:-8001}"']
    if metadata:
        args += ["-m", "metadata.yml"]
    return " ".join(a if a.startswith('"') else shlex.quote(a) for a in args + settings)


def write_bundle(db_path: Path, out: Path, metadata: Path | None, settings: list[str]) -> dict:
    """Write the bundle into ``out`` (created; must be empty) and return its manifest."""
    if out.exists() and any(out.iterdir()):
        raise KbError("the output folder is not empty", str(out), hint="give a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    wheel = build_wheel(out / "wheels")
    shutil.copy2(db_path, out / db_path.name)
    if metadata is not None and metadata.is_file():
        shutil.copy2(metadata, out / "metadata.yml")
    has_metadata = (out / "metadata.yml").exists()
    requirements = [*pinned_requirements(), f"./wheels/{wheel.name}"]
    (out / "requirements.txt").write_text("\n".join(requirements) + "\n", encoding="utf-8")
    command = serve_command(db_path.name, settings, has_metadata)
    (out / "serve.sh").write_text(
        "#!/bin/sh\n# Serve this knowledge base read-only (HOST and PORT from the environment).\n"
        'cd "$(dirname "$0")"\nexec ' + command + "\n",
        encoding="utf-8",
    )
    (out / "serve.sh").chmod(0o755)
    (out / "Dockerfile").write_text(
        f"FROM {PYTHON_IMAGE}\nWORKDIR /app\nCOPY . /app\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        "ENV HOST=0.0.0.0 PORT=8001\nEXPOSE 8001\n"
        'CMD ["sh", "serve.sh"]\n',
        encoding="utf-8",
    )
    (out / "README.md").write_text(README.format(db=db_path.name, command=command), encoding="utf-8")
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "bundle.json")
    manifest = {
        "kb": version("kb"),
        "database": db_path.name,
        "wheel": f"wheels/{wheel.name}",
        "files": {str(p.relative_to(out)): _sha256(p) for p in files},
    }
    (out / "bundle.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


README = """# A kb knowledge base, ready to serve

`{db}` served read-only by Datasette with the kb plugin (the wheel in `wheels/`) and
`metadata.yml`. Every file and its SHA-256 is listed in `bundle.json`.

With Docker, on any container host:

    docker build -t kb-site . && docker run -p 8001:8001 kb-site

Without Docker (Python 3.11+):

    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt && PATH=.venv/bin:$PATH sh serve.sh

`serve.sh` runs:

    {command}

Copies of this folder behind a load balancer are identical read replicas: the database is
opened immutable, so nothing is written at run time.
"""


def _sha256(path: Path) -> str:
    """A file's SHA-256, read a block at a time: the database of a large library is gigabytes
    (read whole, 100,000 works' 1.7 GB were held in memory to be hashed)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
