"""The site as its users click through it: a real `kb serve` on the seed and on a larger
generated corpus (tests/corpus.py), every link from the home page followed (tests/crawl.py),
and no page may offer a link that answers an error or show a JSON list as it is stored.

The default run crawls the seed's site; ``pytest -m slow`` adds the larger corpus and the
uncapped crawl. It caps the row pages read per table (every link kb's own pages offer, and every
related-row list of a row page read, is still followed) and leaves Datasette's own .json and
.csv renderers out; ``pytest -m slow`` crawls everything."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import urllib.request
from pathlib import Path

import pytest
from datasette.utils import tilde_encode

sys.path.insert(0, str(Path(__file__).parent))
from corpus import write_corpus  # noqa: E402
from crawl import crawl, raw_json_cells  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


# The larger corpus links some 800 row pages from its concept pages alone: minutes on a 2-core
# machine, so it runs with the slow tests (pytest -m slow), the seed in every run.
@pytest.fixture(scope="module", params=["seed", pytest.param("larger", marks=pytest.mark.slow)])
def site(request, tmp_path_factory, serve):
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "seed":
        for name in ("bibliography", "evidence", "concepts"):
            shutil.copytree(ROOT / name, folder / name)
        shutil.copy(ROOT / "metadata.yml", folder / "metadata.yml")
    else:
        write_corpus(folder, ROOT)
    with serve(folder) as (base, db, _):
        yield request.param, base, db


def _report(result) -> str:
    return "\n".join(f"{status} {url}\n    offered by {by}" for status, url, by in result.broken[:40])


def _raw_cells(result) -> list[tuple[str, str, str]]:
    return [(url, cls, text[:60]) for url, body in result.bodies.items() for cls, text in raw_json_cells(body)]


def test_no_page_offers_a_dead_link_or_a_raw_json_cell(site):
    name, base, _ = site
    result = crawl(base, rows_per_table=2, skip_extensions=(".json", ".csv"))
    assert result.pages > 100
    # the crawl reached what a user reaches: a row page of works, a concept page, an export of a row
    assert any("/-/concepts/" in u for u in result.status)
    if name == "seed":  # (the larger corpus's capped crawl may pick rows without one; the full crawl reads all)
        assert any(u.endswith(".bib") and "/works/" in u for u in result.status)
    assert result.broken == [], _report(result)
    assert _raw_cells(result) == []


@pytest.mark.slow
def test_full_crawl_finds_nothing_broken(site):
    _, base, _ = site
    result = crawl(base)
    assert result.broken == [], _report(result)
    assert _raw_cells(result) == []


def test_a_row_page_exports_its_row_only(site):
    _, base, db = site
    with sqlite3.connect(db) as conn:
        (work,) = conn.execute("select id from works order by position limit 1").fetchone()

    from kb.publish import row_url  # noqa: F401  (URL rule: tilde-encoded ids)

    body = urllib.request.urlopen(f"{base}/kb/works/{tilde_encode(work)}.bib").read().decode()
    assert body.count("\n@") + body.startswith("@") == 1
    assert work in body
