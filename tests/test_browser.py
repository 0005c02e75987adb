"""Pages a person opens, in a real headless Chromium against a real `kb serve`."""

from __future__ import annotations

import pytest


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
