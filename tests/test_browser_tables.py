"""Table pages as a person sees them in a real headless Chromium against a real `kb serve`:
the main columns first (the rest one click away), no cell showing a JSON list or object as it
is stored, nothing wider than the window, and the search across tables on a phone."""

from __future__ import annotations

import json
import sqlite3

import pytest
from datasette.utils import tilde_encode

from kb.schema import TABLES, TABLES_BY_NAME

# A cell's text as the browser renders it, for every visible cell of the rows table.
VISIBLE_CELLS = """() => [...document.querySelectorAll('table.rows-and-columns td')]
  .filter(td => td.offsetParent !== null).map(td => td.innerText.trim())"""


def _raw_json(text: str) -> bool:
    if not text.startswith(("[", "{")):
        return False
    try:
        return isinstance(json.loads(text), (list, dict))
    except ValueError:
        return False


@pytest.mark.browser
def test_works_shows_its_main_columns_and_all_of_them_one_click_away(site, browser, artifacts):
    base, _ = site
    works = TABLES_BY_NAME["works"]
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(base + "/kb/works")
    visible = page.evaluate(
        "() => [...document.querySelectorAll('table.rows-and-columns th')].filter(th => th.offsetParent !== null).map(th => th.dataset.column)"
    )
    assert visible == list(works.shown)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 1366
    page.locator("p.kb-shown-columns").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "works-columns.png"))
    page.locator("p.kb-shown-columns a").click()
    page.wait_for_load_state()
    assert "_kb_all=1" in page.url
    assert page.locator("table.rows-and-columns th:visible").count() == len(works.columns)
    # a page that names its columns shows what it names
    page.goto(base + "/kb/works?_col=title&_col=doi")
    assert page.locator("table.rows-and-columns th:visible").count() == 3  # id, title, doi
    assert page.locator("p.kb-shown-columns").count() == 0
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_no_table_page_shows_a_raw_json_cell(site, browser, width):
    base, db = site
    with sqlite3.connect(db) as conn:
        nonempty = {
            t.name for t in TABLES if not t.hidden and conn.execute(f"select 1 from [{t.name}] limit 1").fetchone()
        }
    assert len(nonempty) > 25
    page = browser.new_page(viewport={"width": width, "height": 900})
    raw = []
    for table in sorted(nonempty):
        for suffix in ("", "?_kb_all=1"):
            page.goto(f"{base}/kb/{table}{suffix}")
            cells = page.evaluate(VISIBLE_CELLS)
            assert cells, table
            raw += [(table, suffix, c[:60]) for c in cells if _raw_json(c)]
    page.close()
    assert raw == []


@pytest.mark.browser
def test_search_everything_on_a_phone(site, browser, artifacts):
    base, _ = site
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, device_scale_factor=2)
    page.goto(base + "/")
    page.goto(base + "/-/search")
    page.locator("form.kb-search input[type=search]").fill("co-production")
    page.locator("form.kb-search input[type=submit]").click()
    page.wait_for_load_state()
    assert "q=co-production" in page.url
    headings = page.locator("section.kb-search-group h2").all_inner_texts()
    assert any(h.startswith("Works (") for h in headings)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts / "search-phone.png"))
    page.locator("section.kb-search-group a").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").count() == 1
    page.close()


# Each visible cell of a row page: its label (the :before content), where it and its value sit.
ROW_CARD = """() => [...document.querySelectorAll('table.rows-and-columns td')].filter(td => td.offsetParent !== null)
  .map(td => ({label: getComputedStyle(td, '::before').content.replace(/^"|"$/g, ''), text: td.innerText,
               width: td.getBoundingClientRect().width}))"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [1366, 390])
def test_a_row_page_is_a_card_of_its_columns_at_every_width(site, browser, artifacts, width):
    """A work has 35 columns: as Datasette's one-row table its page ran far off a desktop screen,
    the title a word a line. Every kb row page is a card: each column with a value on a line of
    its own, labelled with the column's name, the card as wide as the page and no wider."""
    base, db = site
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(base + "/kb/works/osborne2006new")
    cells = page.evaluate(ROW_CARD)
    row = json.loads(page.goto(base + "/kb/works/osborne2006new.json?_shape=object").text())["osborne2006new"]
    page.goto(base + "/kb/works/osborne2006new")
    assert [c["label"] for c in cells] == [k for k, v in row.items() if v is not None]
    title = next(c for c in cells if c["label"] == "title")
    assert "The New Public Governance?" in title["text"] and title["width"] > 0.8 * (width - 60)
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    page.screenshot(path=str(artifacts / f"row-card-{width}.png"))
    with sqlite3.connect(db) as conn:  # other tables' row pages too
        ids = {
            t: conn.execute(f"select {TABLES_BY_NAME[t].pk} from [{t}] order by rowid limit 1").fetchone()[0]
            for t in ("citations", "passages", "findings", "problems")
        }
    for table, ident in ids.items():
        page.goto(f"{base}/kb/{table}/{tilde_encode(str(ident))}")
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), table
        assert len(page.evaluate(ROW_CARD)) > 3, table
    page.close()
