"""Every canned query on the seed, against what the test computes itself from the stored rows
in Python (never the query's own SQL): the query must return exactly those rows. Real file,
real Datasette (its ASGI client)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from itertools import combinations

import pytest
from datasette.app import Datasette

from kb.schema import QUERIES


@pytest.fixture(scope="module")
def seed(built_db):
    conn = sqlite3.connect(built_db)
    conn.row_factory = sqlite3.Row
    rows = {
        t: [dict(r) for r in conn.execute(f"select * from [{t}]")]
        for (t,) in conn.execute("select name from sqlite_master where type = 'table' and name not like '%fts%'")
    }
    return Datasette([str(built_db)], immutables=[]), rows


def run(ds, query: str, **params) -> list[dict]:
    async def fetch():
        response = await ds.client.get(f"/kb/{query}.json", params={"_shape": "objects", "_size": "max", **params})
        assert response.status_code == 200, response.text[:300]
        return response.json()["rows"]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fetch()).result()


def test_every_canned_query_is_checked_here():
    checked = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(QUERIES) <= checked


def test_works_never_cited(seed):
    ds, t = seed
    cited = {c["work_id"] for c in t["citations"] if c["work_id"]}
    candidates = {w for c in t["citations"] for w in json.loads(c["candidate_ids"] or "[]")}
    expected = [w["id"] for w in sorted(t["works"], key=lambda w: w["position"]) if w["id"] not in cited | candidates]
    assert [r["id"] for r in run(ds, "works_never_cited")] == expected


def test_what_to_fix(seed):
    ds, t = seed
    expected = [
        c["id"] for c in sorted(t["citations"], key=lambda c: (c["document_id"], c["start"])) if c["status"] != "ok"
    ]
    assert [r["id"] for r in run(ds, "what_to_fix")] == expected
    assert len(expected) == sum(1 for c in t["citations"] if c["status"] in ("mismatch", "ambiguous", "missing"))


def test_integrity_problems(seed):
    ds, t = seed
    rows = run(ds, "integrity_problems")
    assert Counter((r["code"], r["message"]) for r in rows) == Counter((p["code"], p["message"]) for p in t["problems"])
    severities = [r["severity"] for r in rows]
    assert severities == sorted(severities, key=lambda s: s == "warning")  # errors first


def test_literature_on_concept(seed):
    ds, t = seed
    by_concept = defaultdict(set)
    for link in t["concept_links"]:
        if link["target_table"] == "works":
            by_concept[link["concept_id"]].add(link["target_id"])
    labels = defaultdict(set)
    for label in t["concept_labels"]:
        labels[label["concept_id"]].add(label["label"])
    assert sum(1 for c in t["concepts"] if by_concept[c["id"]]) >= 5
    for concept in t["concepts"]:
        expected = by_concept[concept["id"]]
        for given in {concept["id"], *labels[concept["id"]]}:
            assert {r["id"] for r in run(ds, "literature_on_concept", concept=given)} == expected, given


def test_focus_group_criterion(seed):
    ds, t = seed
    groups = {g["id"]: g["label"] for g in t["focus_groups"]}
    criteria = {c["id"]: c["label"] for c in t["criteria"]}
    for group in ["", *groups]:
        for criterion in ["", *criteria]:
            expected = sorted(
                f["id"]
                for f in t["findings"]
                if (not group or f["focus_group"] == group) and (not criterion or f["criterion"] == criterion)
            )
            by_id = run(ds, "focus_group_criterion", focus_group=group, criterion=criterion)
            assert sorted(r["passage_id"] + "|" + r["summary"] for r in by_id) == sorted(
                f["passage_id"] + "|" + f["summary"] for f in t["findings"] if f["id"] in expected
            )
            by_label = run(
                ds, "focus_group_criterion", focus_group=groups.get(group, ""), criterion=criteria.get(criterion, "")
            )
            assert by_label == by_id


def test_co_cited_works(seed):
    """Paragraph and sentence co-citation from the resolved citations, counted here."""
    ds, t = seed
    claim_of = {cc["citation_id"]: cc["claim_id"] for cc in t["claim_citations"]}
    for level, unit in (("paragraph", lambda c: c["passage_id"]), ("sentence", lambda c: claim_of.get(c["id"]))):
        units = defaultdict(set)
        for c in t["citations"]:
            if c["work_id"] and c["status"] in ("ok", "mismatch"):
                units[unit(c)].add(c["work_id"])
        expected = Counter()
        for works in units.values():
            for pair in combinations(sorted(works), 2):
                expected[pair] += 1
        rows = run(ds, "co_cited_works", level=level)
        assert {(r["work_a"], r["work_b"]): r["weight"] for r in rows} == dict(expected), level
        assert expected


def test_evidence_map(seed):
    ds, t = seed
    expected = Counter((e["concept_id"], e["evidence"], e["bucket"]) for e in t["evidence"])
    rows = run(ds, "evidence_map")
    assert {(r["concept_id"], r["evidence"], r["bucket"]): r["n"] for r in rows} == dict(expected)


def test_concept_path(seed):
    ds, t = seed
    paths = {(p["from_concept"], p["to_concept"]): p for p in t["concept_paths"]}
    assert ("ict", "exclusion") in paths
    import networkx as nx

    # the concepts joined through the works, findings and focus groups linked to them (a
    # candidate of an ambiguous citation is no link), and findings to their focus group
    G = nx.Graph()
    kinds = {"works": "work", "findings": "finding", "focus_groups": "focus_group"}
    for link in t["concept_links"]:
        if link["target_table"] in kinds and link["method"] != "cited-in-candidate":
            G.add_edge(f"concept:{link['concept_id']}", f"{kinds[link['target_table']]}:{link['target_id']}")
    for f in t["findings"]:
        if f["focus_group"]:
            G.add_edge(f"finding:{f['id']}", f"focus_group:{f['focus_group']}")
    for (a, b), path in paths.items():
        rows = run(ds, "concept_path", **{"from": a, "to": b})
        assert [(r["from_concept"], r["to_concept"], r["steps"]) for r in rows] == [(a, b, path["steps"])]
        hops = json.loads(path["path"])
        if path["steps"] is None:  # no path: the two concepts are not connected
            assert hops == [] and not (f"concept:{a}" in G and nx.has_path(G, f"concept:{a}", f"concept:{b}"))
            continue
        assert hops[0] == f"concept:{a}" and hops[-1] == f"concept:{b}"
        assert path["steps"] == len(hops) - 1 == nx.shortest_path_length(G, f"concept:{a}", f"concept:{b}")
        assert all(G.has_edge(u, v) for u, v in zip(hops, hops[1:], strict=False))
