"""The evidence layer on the seed's real content: claims, concept links, the matcher's
accuracy, a second evidence file, and the concept pages and evidence map in a browser."""

from __future__ import annotations

import json
import shutil
import sys
import urllib.request

import pytest
import sqlite_utils

from kb.build import build


@pytest.fixture(scope="module")
def db(built_db):
    return sqlite_utils.Database(built_db)


def links(db, concept, table):
    return {
        (r["target_id"], r["method"])
        for r in db.query(
            "select target_id, method from concept_links where concept_id = ? and target_table = ?", [concept, table]
        )
    }


def test_every_citing_sentence_is_a_claim(db):
    assert db["claims"].count == 20
    assert db["claim_citations"].count == 41  # every citation sits in exactly one claim
    claim = db["claims"].get("coproduction-essay/p4/s5")
    assert claim["text"].startswith("However, this ICTs use may exclude some citizen groups such as the elderly")
    assert json.loads(claim["works"]) == ["vandergraaf2014designing"]


def test_exclusion_reaches_van_der_graaf_the_elderly_sentence_and_the_sight_impaired(db):
    assert ("vandergraaf2014designing", "cited-in") in links(db, "exclusion", "works")
    assert ("coproduction-essay/p4/s5", "matched") in links(db, "exclusion", "claims")
    assert ("sight-impaired", "curated") in links(db, "exclusion", "focus_groups")


def test_ict_reaches_the_oecd_litter_example(db):
    assert ("coproduction-essay/p4/s4", "matched") in links(db, "ict", "claims")
    claim = db["claims"].get("coproduction-essay/p4/s4")
    assert "track litter" in claim["text"] and json.loads(claim["works"]) == ["oecd2017embracing"]
    assert ("oecd2017embracing", "cited-in") in links(db, "ict", "works")


def test_new_public_governance_reaches_osborne_and_both_pestoff_candidates(db):
    works = links(db, "new-public-governance", "works")
    assert ("osborne2006new", "cited-in") in works
    assert {("pestoff2012what", "cited-in-candidate"), ("pestoff2012coproduction", "cited-in-candidate")} <= works
    assert not any(w.startswith("pestoff") and m == "cited-in" for w, m in works)  # never a guessed edge


def test_abbreviation_defined_in_the_text_is_a_label(db):
    rows = list(db.query("select concept_id from concept_labels where kind = 'abbreviation' and label = 'ICTs'"))
    assert rows == [{"concept_id": "ict"}]


def test_false_friend_is_not_matched(db):
    assert ("citadel-latvia-report/p5", "matched") not in links(db, "transparency", "passages")
    assert ("coproduction-essay/p3", "matched") in links(db, "transparency", "passages")


def test_matcher_precision_and_recall_against_the_hand_labelled_table(built_db, root):
    sys.path.insert(0, str(root / "benchmarks"))
    from concept_matcher import measure

    m = measure(sqlite_utils.Database(built_db), root / "concepts" / "gold-passage-concepts.yml")
    assert m["precision"] >= 0.95, m["false_positives"]
    assert m["recall"] >= 0.8, m["missed"]


def test_every_link_shows_its_evidence_passage(db):
    for row in db.query("select * from concept_links where start is not null"):
        passage = db["passages"].get(row["passage_id"])
        assert passage["text"][row["start"] : row["end"]] == row["matched_text"], row


def test_a_second_evidence_file_adds_findings(sources_copy, root):
    for f in (root / "tests/fixtures/december-results").iterdir():
        shutil.copy(f, sources_copy / "evidence" / f.name)
    build(sources_copy / "kb.db", sources_copy)
    db = sqlite_utils.Database(sources_copy / "kb.db")
    row = db["findings"].get("test-ngo-search-imprecise")
    assert (row["focus_group"], row["criterion"], row["topic"]) == ("ngos", "search-function", "life-situations")
    assert row["passage_id"] == "citadel-latvia-december-test/p1"
    said = list(db.query("select * from findings where focus_group = 'ul-computing-students' and criterion = 'speed'"))
    assert [r["id"] for r in said] == ["test-students-speed"]
    counts = {
        (r["bucket"]): r["n"]
        for r in db.query(
            "select bucket, count(*) n from evidence where concept_id = 'usability' and evidence = 'findings by criterion' "
            "group by bucket"
        )
    }
    assert counts.get("search-function") == 1  # the new finding; the criterion itself is not a finding
    criteria = [
        r["bucket"]
        for r in db.query(
            "select bucket from evidence where concept_id = 'usability' and evidence = 'usability criteria'"
        )
    ]
    assert "search-function" in criteria  # the curated link to the criterion, counted as a criterion


# In a real browser, against a real `kb serve`.


@pytest.mark.browser
def test_concept_page_renders_with_working_links(server, browser, artifacts):
    base, _, _ = server
    page = browser.new_page()
    page.goto(base + "/-/concepts/exclusion")
    assert page.locator("h1").inner_text() == "exclusion"
    assert page.locator("#claims mark").first.inner_text() == "exclude"
    assert page.locator("a.kb-eurovoc").get_attribute("href") == "http://eurovoc.europa.eu/7939"
    assert page.locator('#findings a[href="/kb/focus_groups/sight-impaired"]').count() == 1
    related = page.locator("#relations a").all_inner_texts()
    assert "information and communication technologies" in related
    page.screenshot(path=str(artifacts / "concept-exclusion.png"), full_page=True)
    page.locator("#works a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/kb/works/vandergraaf2014designing")
    assert "Designing for participatory governance" in page.content()
    page.goto(base + "/-/concepts/exclusion")
    page.locator("#relations a", has_text="e-government").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "e-government"
    page.close()


def test_every_concept_page_answers(server):
    base, _, _ = server
    with urllib.request.urlopen(base + "/kb/concepts.json?_shape=objects&_size=100") as r:
        ids = [row["id"] for row in json.load(r)["rows"]]
    assert len(ids) == 12
    for concept_id in ids:
        with urllib.request.urlopen(f"{base}/-/concepts/{concept_id}") as r:
            assert r.status == 200


@pytest.mark.browser
def test_evidence_map_counts_link_to_their_rows(server, browser, artifacts):
    base, _, _ = server
    page = browser.new_page()
    page.goto(base + "/-/evidence-map")
    row = page.locator("tr", has=page.locator("th a", has_text="exclusion"))
    cells = row.locator("td.kb-some a")
    assert cells.count() == 2  # the 2010s literature, and the sight-impaired focus group
    page.screenshot(path=str(artifacts / "evidence-map.png"), full_page=True)
    count = int(cells.first.inner_text())
    cells.first.click()
    page.wait_for_load_state()
    assert "/kb/evidence?" in page.url
    assert page.locator("table.rows-and-columns tbody tr").count() == count
    page.close()


def test_evidence_map_counts_findings_as_findings_only(built_db):
    """'findings by criterion' counted rows of the criteria table linked to a concept; each
    'findings by ...' count must be the concept's linked findings, computed here from the links."""
    import sqlite3

    with sqlite3.connect(built_db) as conn:
        linked = {}
        for concept, finding in conn.execute(
            "select concept_id, target_id from concept_links where target_table = 'findings'"
        ):
            linked.setdefault(concept, set()).add(finding)
        for kind in ("findings by focus group", "findings by criterion"):
            got = {}
            for concept, table, target in conn.execute(
                "select concept_id, target_table, target_id from evidence where evidence = ?", [kind]
            ):
                assert table == "findings", (kind, concept, table, target)
                got.setdefault(concept, set()).add(target)
            assert got == linked, kind


def test_claims_keep_the_works_own_ids(root):
    """Each document's citations come back from the cache with strings of their own: the claims
    keep the works' ids instead, one string for each work however often it is cited."""
    from kb.build import read_sources, resolved_documents
    from kb.claims import claims as make_claims
    from kb.claims import keep_what_is_read

    sources = read_sources(root)
    work_ids = {w.id: w.id for w in sources.works}
    copies = {w: "".join(w) for w in work_ids}  # equal, not the same strings
    kept = 0
    for doc, found, _ in resolved_documents(sources):
        for c in found:
            c.work_id = copies.get(c.work_id, c.work_id)
            c.candidate_ids = tuple(copies.get(w, w) for w in c.candidate_ids)
        made = make_claims([doc], found)
        keep_what_is_read(made, work_ids)
        for claim in made:
            for x in claim.citations:
                if x.work_id:
                    assert x.work_id is work_ids[x.work_id]
                    kept += 1
                assert all(w is work_ids[w] for w in x.candidate_ids)
    assert kept > 30  # the seed essay's resolved citations that fall in a sentence
