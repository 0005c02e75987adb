"""Pages a person opens, in a real headless Chromium against a real `kb serve`."""

from __future__ import annotations

import pytest

from kb.schema import QUERIES


@pytest.mark.browser
def test_works_table_shows_facets_and_rows(server, browser, artifacts):
    base, _, _ = server
    page = browser.new_page()
    page.goto(base + "/kb/works")
    assert page.locator("table.rows-and-columns tbody tr").count() == 36
    facet = page.locator("#facet-type")
    assert "article-journal" in facet.inner_text()
    page.screenshot(path=str(artifacts / "works.png"), full_page=False)
    page.close()


@pytest.mark.browser
def test_citation_problem_facet_filters_rows(server, browser):
    base, _, _ = server
    page = browser.new_page()
    page.goto(base + "/kb/citations")
    page.locator("#facet-status a", has_text="missing").click()
    page.wait_for_load_state()
    cells = page.locator("td.col-text").all_inner_texts()
    assert cells == ["Alford, 1998", "Hartley, 2005"]
    page.close()


@pytest.mark.browser
def test_column_descriptions_fold_away_and_become_tooltips(server, browser):
    base, _, _ = server
    page = browser.new_page()
    page.goto(base + "/kb/citations")
    details = page.locator("details.kb-column-descriptions")
    assert details.count() == 1
    assert not page.locator("dl.column-descriptions").is_visible()  # folded: the rows come first
    assert page.locator('th[data-column="status"]').get_attribute("title").startswith("ok, mismatch")
    details.locator("summary").click()
    assert page.locator("dl.column-descriptions").is_visible()
    page.close()


PAGES = [
    pytest.param("/", id="home"),
    pytest.param("/kb/works", id="works"),
    pytest.param("/kb/works/osborne2006new", id="work"),
    pytest.param("/kb/citations", id="citations"),
    pytest.param("/-/concepts", id="concepts"),
    pytest.param("/-/concepts/exclusion", id="concept"),
    pytest.param("/-/evidence-map", id="evidence-map"),
    pytest.param("/-/map", id="map"),
    pytest.param("/-/map/exclusion", id="concept-map"),
    # a table's schema, as Datasette prints it under the rows
    pytest.param("/kb/concept_links", id="concept-links"),
    pytest.param("/kb/bibliographic_coupling", id="coupling"),
    # each canned query, its SQL printed above its form
    *(pytest.param(f"/kb/{name}", id=name) for name in QUERIES),
]
# a raw JSON array or object, as stored, in a table cell
RAW_JSON_CELLS = """() => [...document.querySelectorAll('td')].map(td => td.innerText.trim()).filter(t => {
    if (!/^(\\[.*\\]|\\{.*\\})$/s.test(t)) return false;
    try { JSON.parse(t); return true; } catch (e) { return false; } })"""


@pytest.mark.browser
@pytest.mark.parametrize(
    "viewport",
    [
        pytest.param({"width": 1366, "height": 900}, id="desktop"),
        pytest.param({"width": 390, "height": 844}, id="phone"),
    ],
)
def test_main_pages_fit_the_screen_and_show_no_raw_json(site, browser, artifacts, viewport):
    """Screenshots of the main pages at desktop and phone width (tests/artifacts/): no page is
    wider than the window (a wide table scrolls in its own box), no evidence-map column is cut
    off at 1366 px, and no cell shows a JSON list or object as stored."""
    phone = viewport["width"] < 600
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, device_scale_factor=1)
    page = context.new_page()
    wide, raw = {}, {}
    for param in PAGES:
        path, name = param.values[0], param.id
        assert page.goto(site[0] + path).ok, path
        page.screenshot(path=str(artifacts / f"{name}-{viewport['width']}.png"), full_page=True)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > viewport["width"]:
            wide[name] = width
        if page.evaluate(RAW_JSON_CELLS):
            raw[name] = page.evaluate(RAW_JSON_CELLS)
    if not phone:
        page.goto(site[0] + "/-/evidence-map")
        table = page.locator("table.kb-map")
        assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    context.close()
    assert wide == {} and raw == {}
