"""What a row page lists beside its row (kb.schema.RELATED), and the search across tables
(/-/search): each checked against counts computed here from the database with plain SQL. Real
files, real Datasette (its ASGI client)."""

from __future__ import annotations

import asyncio
import re
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from html import unescape

import pytest
from datasette.app import Datasette
from datasette.utils import tilde_encode


def get(ds, path, **params):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, ds.client.get(path, params=params or None)).result()


@pytest.fixture(scope="module")
def site(built_db, tmp_path_factory):
    """The seed's database under a name that is not "kb", beside a database kb did not build."""
    folder = tmp_path_factory.mktemp("site")
    path = folder / "library.db"
    shutil.copy(built_db, path)
    plain = folder / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("create table works (id text primary key, title text)")
    conn.execute("insert into works values ('w1', 'A plain work')")
    conn.commit()
    conn.close()
    return Datasette([str(path), str(plain)], immutables=[]), sqlite3.connect(path)


def _section(html: str, title: str) -> list[tuple[str, str]]:
    """(href, text) of the links listed under the related-rows heading ``title``."""
    m = re.search(rf"<h2>{re.escape(title)} <span[^>]*>\(([\d,]+)\)</span></h2>\s*<ul>(.*?)</ul>", html, re.S)
    if not m:
        return []
    return [(unescape(h), unescape(t)) for h, t in re.findall(r'<li><a href="([^"]+)">(.*?)</a>', m.group(2), re.S)]


def test_a_work_lists_the_sentences_citing_it_its_concepts_and_authors(site):
    ds, conn = site
    # the works cited in at least one sentence, and one with the most concepts
    work = conn.execute(
        "select work_id from claim_citations where work_id is not null group by work_id order by count(*) desc, work_id"
    ).fetchone()[0]
    html = get(ds, f"/library/works/{tilde_encode(work)}").text
    sentences = conn.execute(
        "select distinct claims.id from claim_citations join claims on claims.id = claim_citations.claim_id "
        "where claim_citations.work_id = ?",
        [work],
    ).fetchall()
    listed = _section(html, "Sentences citing it")
    assert sorted(h for h, _ in listed) == sorted(f"/library/claims/{tilde_encode(c)}" for (c,) in sentences)
    concepts = {
        c
        for (c,) in conn.execute(
            "select distinct concept_id from concept_links where work_id = ? and concept_id is not null", [work]
        )
    }
    assert {h.rsplit("/", 1)[1] for h, _ in _section(html, "Concepts")} == concepts
    authors = [a for (a,) in conn.execute("select author_id from work_authors where work_id = ?", [work])]
    assert sorted(h for h, _ in _section(html, "Authors")) == sorted(
        f"/library/authors/{tilde_encode(a)}" for a in authors
    )
    # every link the section offers opens
    for href, _ in listed + _section(html, "Concepts") + _section(html, "Authors"):
        assert get(ds, href).status_code == 200, href


def test_a_passage_lists_its_citations_in_reading_order(site):
    ds, conn = site
    passage = conn.execute(
        "select passage_id from citations group by passage_id order by count(*) desc, passage_id"
    ).fetchone()[0]
    html = get(ds, f"/library/passages/{tilde_encode(passage)}").text
    expected = [t for (t,) in conn.execute("select text from citations where passage_id = ? order by start", [passage])]
    assert [t for _, t in _section(html, "Citations in this paragraph")] == expected


def test_a_row_page_of_another_database_is_datasettes_own(site):
    ds, _ = site
    html = get(ds, "/plain/works/w1").text
    assert "A plain work" in html and "kb-related" not in html


@pytest.mark.parametrize("spelling", ["co-production", "co production", "Co-Production"])
def test_search_finds_the_same_works_for_every_spelling_of_coproduction(site, spelling):
    ds, _ = site
    found = get(ds, "/-/search", q=spelling).text
    same = get(ds, "/-/search", q="coproduction").text
    count = re.search(r"<h2>Works <span[^>]*>\(([\d,]+)\)", found)
    assert count and count.group(1) == re.search(r"<h2>Works <span[^>]*>\(([\d,]+)\)", same).group(1)
    # and as many as the works table's own search finds
    table = get(ds, "/library/works.json", _search=spelling, _shape="objects", _size="max").json()
    assert int(count.group(1)) == len(table["rows"]) > 10


def test_search_counts_agree_with_each_tables_search_and_link_to_it(site):
    ds, conn = site
    html = get(ds, "/-/search", q="citizens").text
    for table in ("passages", "works", "claims", "findings"):
        m = re.search(rf"<h2>{table.capitalize()} <span[^>]*>\(([\d,]+)\)", html)
        (n,) = conn.execute(f"select count(*) from {table}_fts where {table}_fts match '\"citizens\"'").fetchone()
        assert (int(m.group(1)) if m else 0) == n, table
    # past the first ten, a link to the table's own search, which lists them all
    html = get(ds, "/-/search", q="coproduction").text
    link = re.search(r'href="(/library/works\?_search=coproduction)">All ([\d,]+) works', html)
    assert link and get(ds, link.group(1)).status_code == 200
    assert len(get(ds, "/library/works.json", _search="coproduction", _size="max").json()["rows"]) == int(link.group(2))


def test_search_shows_a_claims_words_once_with_the_match_marked(site):
    """A claim is named by its sentence, which is also what was searched: each claim was its
    sentence and then a snippet of the same words. Now the snippet is its link, marked."""
    ds, conn = site
    html = get(ds, "/-/search", q="citizens").text
    section = html[html.index("<h2>Claims") :].split("</section>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", section, re.S)
    assert items and all(item.count("<mark>") >= 1 and "<small>" not in item for item in items)
    for item in items:
        words = re.sub(r"<[^>]+>", "", unescape(item)).replace(" … ", " ").strip(" …")
        (n,) = conn.execute("select count(*) from claims where instr(text, ?) > 0", [words.split(" … ")[0]]).fetchone()
        assert n >= 1, words


def test_search_finds_a_concept_by_any_label_and_survives_any_text(site):
    ds, conn = site
    label, concept = conn.execute(
        "select label, concept_id from concept_labels where kind = 'alt' order by label limit 1"
    ).fetchone()
    assert f'href="/-/concepts/{concept}"' in get(ds, "/-/search", q=label).text
    for text in ['governance"', "%", "AND", "(", "NEAR(", "*", "", "  "]:
        assert get(ds, "/-/search", q=text).status_code == 200, text


def test_concept_pages_name_session_evidence_by_label_and_list_each_finding_once(site):
    ds, conn = site
    labels = dict(conn.execute("select id, label from focus_groups"))
    labels |= {f"criteria/{k}": v for k, v in conn.execute("select id, label from criteria")}
    seen_group = False
    for (concept,) in conn.execute("select id from concepts"):
        html = get(ds, f"/-/concepts/{concept}").text
        section = re.search(r'<section id="findings">(.*?)</section>', html, re.S).group(1)
        findings = re.findall(r'href="/library/findings/([^"]+)"', section)
        assert len(findings) == len(set(findings)), concept
        expected = {
            f
            for (f,) in conn.execute(
                "select distinct target_id from concept_links where concept_id = ? and target_table = 'findings'",
                [concept],
            )
        }
        assert {unescape(f) for f in findings} == {tilde_encode(f) for f in expected}, concept
        for table, ident, text in re.findall(
            r'href="/library/(focus_groups|criteria)/([^"]+)">(?:[a-z ]+: )?([^<]+)</a>', section
        ):
            key = ident if table == "focus_groups" else f"criteria/{ident}"
            assert unescape(text).strip() == labels[key], (concept, ident, text)
            seen_group = True
    assert seen_group


def test_row_pages_link_their_foreign_keys_to_rows_that_exist(site):
    from kb.schema import TABLES

    ds, conn = site
    checked = 0
    for table in TABLES:
        if table.hidden or not isinstance(table.pk, str):
            continue
        for column in table.columns:
            if not column.references:
                continue
            row = conn.execute(
                f"select [{table.pk}], [{column.name}] from [{table.name}] where [{column.name}] in "
                f"(select id from [{column.references}]) limit 1"
            ).fetchone()
            if row is None:
                continue
            html = get(ds, f"/library/{table.name}/{tilde_encode(str(row[0]))}").text
            href = f"/library/{column.references}/{tilde_encode(str(row[1]))}"
            cell = re.search(rf'<td class="col-{column.name} [^"]*">(.*?)</td>', html, re.S).group(1)
            assert f'href="{href}"' in cell, (table.name, column.name, cell[:200])
            assert get(ds, href).status_code == 200
            checked += 1
    assert checked >= 15


@pytest.fixture(scope="module")
def larger(generated_db):
    """The generated corpus's database, whose concepts are discussed in more claims, passages
    and works than a page lists (kb.schema.RELATED_LIMIT)."""
    return Datasette([str(generated_db)], immutables=[]), sqlite3.connect(generated_db)


def test_a_concept_page_lists_the_first_rows_of_each_kind_and_links_to_all_of_them(larger):
    """At 100,000 works a concept page listed every claim, passage and work (200 MB): each list
    is now the first RELATED_LIMIT, under the count of all, with a link to all of them in the
    concept links' table, which shows that many rows."""
    from kb.schema import RELATED_LIMIT

    ds, conn = larger
    long_lists = 0
    for (concept,) in conn.execute("select id from concepts"):
        html = get(ds, f"/-/concepts/{concept}").text
        for table, method in (("claims", None), ("passages", "matched"), ("works", None)):
            section = re.search(rf'<section id="{table}">(.*?)</section>', html, re.S).group(1)
            expected = conn.execute(
                "select count(distinct target_id) from concept_links where concept_id = ? and target_table = ?"
                + (" and method = ?" if method else ""),
                [concept, table] + ([method] if method else []),
            ).fetchone()[0]
            heading = re.search(r"<h2>[^<]*\(([\d,]+)\)</h2>", section).group(1)
            assert int(heading.replace(",", "")) == expected, (concept, table)
            items = re.findall(r"<li>", section)
            assert len(items) == min(expected, RELATED_LIMIT) or (expected == 0 and table != "passages"), (
                concept,
                table,
            )
            more = re.search(
                r'<p class="kb-muted kb-more">.*?all ([\d,]+) through <a href="([^"]+)">their ([\d,]+) concept links',
                section,
                re.S,
            )
            if expected <= RELATED_LIMIT:
                assert more is None, (concept, table)
                continue
            long_lists += 1
            url = unescape(more.group(2))
            assert int(more.group(1).replace(",", "")) == expected
            assert url.startswith("/kb/concept_links?"), url
            page = get(ds, url.replace("/kb/concept_links?", "/kb/concept_links.json?") + "&_shape=objects&_size=max")
            rows = page.json()["rows"]
            assert {r["target_id"] for r in rows} and len({r["target_id"] for r in rows}) == expected, (concept, table)
            assert len(rows) == int(more.group(3).replace(",", ""))
            assert all(r["concept_id"] == concept and r["target_table"] == table for r in rows)
    assert long_lists >= 3


def test_a_concept_page_names_the_concepts_it_shares_units_with_as_the_build_counted_them(larger):
    ds, conn = larger
    for (concept,) in conn.execute("select id from concepts"):
        html = get(ds, f"/-/concepts/{concept}").text
        shown = {
            unescape(ident): int(n)
            for ident, n in re.findall(
                r'class="kb-cooccur" href="/-/concepts/([^"]+)">[^<]*</a> <small>\((\d+)\)', html
            )
        }
        stored = {
            other: n
            for other, n in conn.execute(
                "select concept_b, shared from concept_cooccurrence where concept_a = ? "
                "union all select concept_a, shared from concept_cooccurrence where concept_b = ?",
                [concept, concept],
            )
        }
        assert shown == stored, concept


def test_a_path_page_without_a_path_says_what_else_joins_the_concepts(site):
    """/-/path said only 'No path joins these two concepts' for coproduction and New Public
    Governance, which the scheme marks related and a passage discusses together."""
    ds, conn = site
    assert not conn.execute(
        "select path from concept_paths where from_concept = 'coproduction' and to_concept = 'new-public-governance'"
        " and path is not null and path != '[]'"
    ).fetchall()
    shared = conn.execute(
        "select shared from concept_cooccurrence where concept_a = 'coproduction' and concept_b = 'new-public-governance'"
    ).fetchone()[0]
    page = get(ds, "/-/path", **{"from": "coproduction", "to": "new-public-governance"})
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "the scheme marks coproduction and New Public Governance related" in text
    assert f"discussed together in {shared} passage" in text
