"""The citation graph: analyses on small graphs worked out by hand, the numbers on the seed,
a second citing document, exports Gephi reads, and the map in a browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import networkx as nx
import pytest
import sqlite_utils

from kb import graph as g
from kb.build import build


def small_graph() -> nx.MultiDiGraph:
    """Two documents. d1 cites a and b in one parenthesis (s1) and c in the next sentence (s2) of
    paragraph p1; d2 cites b and c together (t1). Work a is by Löffler; b by Loeffler and Smith."""
    G = nx.MultiDiGraph()
    for claim, work, group, passage, doc in [
        ("s1", "a", "g1", "p1", "d1"),
        ("s1", "b", "g1", "p1", "d1"),
        ("s2", "c", "g2", "p1", "d1"),
        ("t1", "b", "g3", "q1", "d2"),
        ("t1", "c", "g3", "q1", "d2"),
    ]:
        G.add_node(f"work:{work}", type="work", ref=work)
        G.add_edge(f"claim:{claim}", f"work:{work}", kind="cites", group=group, passage=passage, document=doc)
    return G


def test_times_cited_and_citing_passages_by_hand():
    G = small_graph()
    assert g.times_cited(G) == {"work:a": 1, "work:b": 2, "work:c": 2}
    assert g.citing_passages(G) == {"work:a": 1, "work:b": 2, "work:c": 2}


@pytest.mark.parametrize(
    "level,pairs",
    [
        pytest.param("parenthesis", {("work:a", "work:b"): 1, ("work:b", "work:c"): 1}, id="parenthesis"),
        pytest.param("sentence", {("work:a", "work:b"): 1, ("work:b", "work:c"): 1}, id="sentence"),
        pytest.param(
            "paragraph", {("work:a", "work:b"): 1, ("work:a", "work:c"): 1, ("work:b", "work:c"): 2}, id="paragraph"
        ),
    ],
)
def test_co_citation_by_hand(level, pairs):
    assert dict(g.co_citation(small_graph(), level)) == pairs


def test_bibliographic_coupling_by_hand():
    assert dict(g.bibliographic_coupling(small_graph())) == {("document:d1", "document:d2"): 2}


def test_pagerank_by_hand():
    # A claim passes its rank in equal shares: s1 gives a and b half each, s2 gives c all, t1 gives
    # b and c half each. So c gets 1.5 shares, b 1, a 0.5: c > b > a.
    ranks = g.citation_pagerank(small_graph())
    assert ranks["work:c"] > ranks["work:b"] > ranks["work:a"]
    assert sum(ranks.values()) < 1  # the claims hold the rest


def test_coauthorship_and_communities_by_hand():
    G = nx.MultiDiGraph()
    for work, people in [("w1", ["x", "y"]), ("w2", ["x", "y"]), ("w3", ["y", "z"]), ("w4", ["p", "q"])]:
        G.add_node(f"work:{work}", type="work")
        for person in people:
            G.add_edge(f"work:{work}", f"author:{person}", kind="authored-by")
    H = g.coauthorship(G)
    assert H["author:x"]["author:y"]["weight"] == 2 and H["author:y"]["author:z"]["weight"] == 1
    communities = g.author_communities(H)
    assert communities["author:p"] == communities["author:q"] != communities["author:x"]
    assert g.author_communities(H) == communities  # seeded: the same every time


def test_concept_path_by_hand():
    G = nx.MultiDiGraph()
    edges = [
        ("work:w1", "ict"),
        ("work:w1", "egov"),
        ("finding:f", "egov"),
        ("finding:f", "exclusion"),
        ("work:w2", "ict"),
        ("work:w2", "exclusion"),
    ]
    for node, concept in edges:
        G.add_node(node, type=node.split(":")[0])
        G.add_node(f"concept:{concept}", type="concept")
        G.add_edge(node, f"concept:{concept}", kind="discusses")
    assert g.concept_path(G, "ict", "exclusion") == ["concept:ict", "work:w2", "concept:exclusion"]
    assert g.concept_path(G, "egov", "exclusion") == ["concept:egov", "finding:f", "concept:exclusion"]
    assert g.concept_path(G, "ict", "nowhere") == []


# The seed


@pytest.fixture(scope="module")
def db(built_db):
    return sqlite_utils.Database(built_db)


@pytest.fixture(scope="module")
def G(db):
    return g.build_graph(g.records_from_db(db))


def test_ambiguous_citations_make_no_edges(G, db):
    cited = g.times_cited(G)
    for work in ("pestoff2012what", "pestoff2012coproduction", "bovaird2012engagement", "bovaird2012engagementa"):
        assert cited[f"work:{work}"] == 0
        assert db["works"].get(work)["times_cited"] == 0


def test_osborne_2016_and_linders_2012_are_co_cited_in_a_paragraph(db):
    rows = list(
        db.query(
            "select level, weight from co_citations where work_a = 'linders2012egovernment' "
            "and work_b = 'osborne2016coproduction'"
        )
    )
    assert rows == [{"level": "paragraph", "weight": 1}]  # same paragraph, different sentences


def test_seed_figures(G, db):
    assert sum(g.times_cited(G).values()) == 34  # 41 citations less 5 ambiguous and 2 missing
    assert db["works"].get("percy1984citizen")["times_cited"] == 2
    assert db["works"].get("vandergraaf2014designing")["citing_passages"] == 2
    # Pairs within one parenthesis, counted from the essay: (Ostrom; Whitaker; Parks; Rich 1981) 6,
    # (Percy 1978; Rich 1979; Rosentraub 1980) 3, (Rosentraub 1987; Brudney; Ostrom 1996) 3,
    # (Bovaird 2007; 2016) 1, (Osborne 2013; Farr; the two 2012s ambiguous) 1, (Parrado; Wiewiora;
    # Alford et al.) 3, (Granier; Uppström) 1, (Kavanaugh; van der Graaf) 1: 19.
    assert next(db.query("select count(*) as n from co_citations where level = 'parenthesis'"))["n"] == 19


def test_loffler_and_loeffler_are_one_person_and_osbornes_flagged(db):
    same = db["author_identities"].get("loffler-e")
    assert same["person_id"] == db["author_identities"].get("loeffler-e")["person_id"] and same["status"] == "same"
    assert json.loads(db["author_identities"].get("osborne-s")["probably_same_as"]) == ["osborne-sp"]


def test_concept_path_on_the_seed(db):
    row = db["concept_paths"].get(("ict", "exclusion"))
    assert json.loads(row["path"]) == ["concept:ict", "work:vandergraaf2014designing", "concept:exclusion"]


def test_second_document_joins_the_same_graph(sources_copy, root):
    for f in (root / "tests/fixtures/second-essay").iterdir():
        shutil.copy(f, sources_copy / "bibliography" / f.name)
    build(sources_copy / "kb.db", sources_copy)
    db = sqlite_utils.Database(sources_copy / "kb.db")
    assert db["works"].count == 38  # 36 + Alford 1998 + Brandsen & Honingh 2016
    entries = list(
        db.query(
            "select document_id, raw from reference_entries where work_id = 'bovaird2007beyond' order by document_id"
        )
    )
    assert [e["document_id"] for e in entries] == ["coproduction-essay", "second-essay"]
    assert entries[0]["raw"].startswith("T. Bovaird, “Beyond") and entries[1]["raw"].startswith("Bovaird, T. (2007)")
    cited = {
        r["text"]: (r["status"], r["work_id"])
        for r in db.query("select * from citations where document_id = 'second-essay'")
    }
    assert cited["Bovaird, 2007"] == ("ok", "bovaird2007beyond")
    assert cited["Alford, 1998"] == ("ok", "alford1998public")  # missing in the seed, found here
    coupling = list(db["bibliographic_coupling"].rows)
    assert coupling == [{"document_a": "coproduction-essay", "document_b": "second-essay", "shared_works": 2}]
    assert db["works"].get("bovaird2007beyond")["times_cited"] == 2


@pytest.mark.parametrize("fmt,reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_exports_read_back(built_db, tmp_path, fmt, reader):
    out = tmp_path / f"kb.{fmt}"
    result = subprocess.run(
        [sys.executable, "-m", "kb", "graph", "--db", str(built_db), "--format", fmt, "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # what was written beside it, renamed
    H = reader(out)
    assert H.nodes["work:osborne2006new"]["type"] == "work"
    assert H.number_of_nodes() > 150


def _scalar_copy(G):
    """``G`` with only the attributes networkx's writers take (str, int, float, bool)."""
    H = nx.MultiDiGraph()
    for n, d in G.nodes(data=True):
        H.add_node(n, **{k: v for k, v in d.items() if isinstance(v, (str, int, float, bool))})
    for u, v, d in G.edges(data=True):
        H.add_edge(u, v, **{k: x for k, x in d.items() if isinstance(x, (str, int, float, bool))})
    return H


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_streamed_export_reads_back_as_networkx_s_does(built_db, fmt):
    """kb's streamed writers give what networkx's own writers give of the same graph, as
    networkx's readers read both back: every node and edge, key and attribute, in order; with
    characters XML must escape, a line break and a tab in a label, a list and a None left out."""
    import io

    from kb.graphexport import write_graph

    G = nx.MultiDiGraph(g.build_graph(g.records_from_db(sqlite_utils.Database(built_db))))  # not frozen
    G.add_node("odd & <node>", type="x", label='a "b" & <c>\nd\te', score=1.5, flag=True, none=None, many=[1, 2])
    G.add_edge("odd & <node>", "work:osborne2006new", kind="test", weight=2, label="x > y", share=0.25)
    G.add_edge("odd & <node>", "work:osborne2006new", kind="again", flag=False)
    ours = io.StringIO()
    write_graph(G, fmt, ours)
    H = _scalar_copy(G)
    if fmt == "json":
        assert json.loads(ours.getvalue()) == nx.node_link_data(H, edges="links")
        return
    theirs = io.BytesIO()
    (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(H, theirs)
    read = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    A, B = read(io.BytesIO(ours.getvalue().encode("utf-8"))), read(io.BytesIO(theirs.getvalue()))
    assert type(A) is type(B) and A.number_of_edges() == G.number_of_edges() > 300
    assert list(A.nodes(data=True)) == list(B.nodes(data=True))
    assert list(A.edges(keys=True, data=True)) == list(B.edges(keys=True, data=True))
    assert A.nodes["odd & <node>"]["label"] == 'a "b" & <c>\nd\te'


def test_export_of_a_character_xml_cannot_hold():
    """A control character in a label (a source may hold one) is written as U+FFFD in XML, which
    cannot hold it, and the file still reads; JSON keeps it."""
    import io

    from kb.graphexport import write_graph

    G = nx.MultiDiGraph()
    G.add_node("a", label="bell\x07 here")
    G.add_edge("a", "b", kind="cites")
    for fmt, read in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        out = io.StringIO()
        write_graph(G, fmt, out)
        assert read(io.BytesIO(out.getvalue().encode("utf-8"))).nodes["a"]["label"] == "bell\ufffd here"
    out = io.StringIO()
    write_graph(G, "json", out)
    assert json.loads(out.getvalue())["nodes"][0]["label"] == "bell\x07 here"


def test_json_export(built_db):
    result = subprocess.run(
        [sys.executable, "-m", "kb", "graph", "--db", str(built_db), "--format", "json"], capture_output=True, text=True
    )
    data = json.loads(result.stdout)
    kinds = {link["kind"] for link in data["links"]}
    assert kinds == {"contains", "cites", "lists", "authored-by", "discusses", "reports", "co-cited-with"}


@pytest.mark.browser
def test_map_in_a_browser(server, browser, artifacts):
    base, _, _ = server
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(base + "/")
    page.locator('a[href="/-/map"]:visible').first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/-/map")
    nodes = page.locator("svg.kb-map a.kb-node")
    assert nodes.count() == 62  # 12 concepts, 36 works, 2 documents, 5 focus groups, 7 findings on concepts
    assert page.locator('svg.kb-map a[href="/-/concepts/exclusion"]').count() == 1
    assert page.locator('svg.kb-map a[href="/kb/works/osborne2006new"]').count() == 1
    boxes = page.evaluate("""() => [...document.querySelectorAll('svg.kb-map text.kb-label')].map(t => {
        const b = t.getBBox(); return [b.x, b.y, b.x + b.width, b.y + b.height, t.textContent]; })""")
    overlaps = [
        (a[4], b[4])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]
    assert overlaps == []
    page.screenshot(path=str(artifacts / "map.png"), full_page=True)
    page.locator('svg.kb-map a[href="/-/concepts/exclusion"]').click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "exclusion"
    page.goto(base + "/-/map/exclusion")
    assert page.locator('svg.kb-map a[href="/kb/focus_groups/sight-impaired"]').count() == 1
    page.screenshot(path=str(artifacts / "map-exclusion.png"), full_page=True)
    page.goto(base + "/-/path?from=ict&to=exclusion")
    assert page.locator("ol.kb-path li").all_inner_texts()[1].endswith("van der Graaf & Veeckman 2014")
    page.close()


@pytest.mark.parametrize("seed", range(30))
def test_concept_paths_are_the_first_of_all_shortest_paths(seed):
    """One search per concept gives, for every pair, the shortest path whose node ids sort first,
    as listing every shortest path and taking the least does."""
    import random

    rng = random.Random(seed)
    concepts = [f"c{i}" for i in range(6)]
    nodes = [f"concept:{c}" for c in concepts] + [f"work:w{i}" for i in range(25)] + ["finding:f1", "finding:f2"]
    H = nx.Graph()
    H.add_nodes_from(nodes[: len(concepts) + rng.randint(0, 25)])
    for _ in range(rng.randint(5, 60)):
        H.add_edge(*rng.sample(nodes, 2))
    found = g.concept_paths(nx.MultiDiGraph(), concepts, concepts, H)
    for a in concepts:
        for b in concepts:
            s, t = f"concept:{a}", f"concept:{b}"
            if a == b:
                continue
            try:
                expected = min(nx.all_shortest_paths(H, s, t)) if s in H and t in H else None
            except nx.NetworkXNoPath:
                expected = None
            assert found.get((a, b)) == expected


def test_the_graph_from_the_columns_it_reads_is_the_graph_from_whole_rows(db, G):
    from kb.graph import GRAPH_COLUMNS, TABLES

    whole = g.build_graph({t: list(db[t].rows) for t in TABLES})
    assert set(GRAPH_COLUMNS) == set(TABLES)
    assert dict(G.nodes(data=True)) == dict(whole.nodes(data=True))
    assert sorted(G.edges(data=True, keys=True), key=repr) == sorted(whole.edges(data=True, keys=True), key=repr)
    # and the columns named are all there: a renamed column would silently read as missing
    for table, columns in GRAPH_COLUMNS.items():
        assert set(columns) <= set(db[table].columns_dict), table


def _mixed_graph(seed: int = 7) -> nx.MultiDiGraph:
    """Claims citing works (some twice, some works not in the works table), works and claims
    discussing concepts, findings that report focus groups and discuss concepts, in a shuffled
    order: what the shortcuts below must read as the whole graph reads."""
    import random

    rng = random.Random(seed)
    G = nx.MultiDiGraph()
    works = [f"work:w{i}" for i in range(60)]
    for w in works:
        G.add_node(w, type="work", ref=w[5:])
    for i in range(200):
        claim = f"claim:c{i}"
        G.add_node(claim, type="claim", ref=claim[6:])
        for w in rng.sample(works + ["work:untyped"], rng.randint(1, 4)):
            for _ in range(rng.choice((1, 1, 2))):
                G.add_edge(claim, w, kind="cites", group="g", passage="p", document="d")
    for c in ("a", "b", "c"):
        G.add_node(f"concept:{c}", type="concept", ref=c)
    for f in range(5):
        G.add_node(f"finding:f{f}", type="finding", ref=f"f{f}")
        G.add_edge(f"finding:f{f}", f"focus_group:g{f % 2}", kind="reports")
    G.add_node("focus_group:g0", type="focus_group", ref="g0")  # g1 is never described: no type
    sources = (
        works + [f"claim:c{i}" for i in range(0, 200, 7)] + [f"finding:f{f}" for f in range(5)] + ["focus_group:g0"]
    )
    for _ in range(300):
        G.add_edge(rng.choice(sources), f"concept:{rng.choice('abc')}", kind="discusses", method="m")
    return nx.freeze(G)


@pytest.mark.parametrize("which", ["seed", "mixed"])
def test_pagerank_is_networkx_pagerank_number_for_number(which, G):
    from collections import Counter

    graph = G if which == "seed" else _mixed_graph()
    H = nx.DiGraph()  # the graph networkx ranks: works, and claims weighted by their citations
    H.add_nodes_from(n for n, t in graph.nodes(data="type") if t == "work")
    weights = Counter((u, v) for u, v, k in graph.edges(data="kind") if k == "cites")
    H.add_weighted_edges_from((u, v, w) for (u, v), w in weights.items())
    expected = {n: r for n, r in nx.pagerank(H, alpha=0.85, weight="weight").items() if n.startswith("work:")}
    assert g.citation_pagerank(graph) == expected
    assert list(g.citation_pagerank(graph)) == list(expected)


@pytest.mark.parametrize("which", ["seed", "mixed"])
def test_evidence_graph_is_the_one_a_walk_of_every_edge_makes(which, G):
    graph = G if which == "seed" else _mixed_graph()
    keep = {"concept", "work", "finding", "focus_group"}
    walked = nx.Graph()
    for u, v, k in graph.edges(data="kind"):
        tu, tv = graph.nodes[u].get("type"), graph.nodes[v].get("type")
        if k in ("discusses", "reports") and tu in keep and tv in keep:
            walked.add_edge(u, v, kind=k)
            walked.nodes[u]["type"], walked.nodes[v]["type"] = tu, tv
    got = g.evidence_graph(graph)
    assert list(got.nodes(data=True)) == list(walked.nodes(data=True))  # the order the maps' layout follows
    assert list(got.edges(data=True)) == list(walked.edges(data=True))
    assert {n: list(got[n]) for n in got} == {n: list(walked[n]) for n in walked}


def test_stored_rows_without_a_column_read_as_the_same_rows_without_the_key(tmp_path):
    """An older database may lack a column the graph reads: read from the file (as tuples) it
    gives the graph the same rows without that key give (a work's role is then "author")."""
    rows = {
        "works": [{"id": "w1", "title": "T", "year": 2001, "authors": "Ostrom, E.", "et_al": 0}],
        "authors": [
            {"id": "ostrom-e", "family": "Ostrom", "given": "E.", "is_organisation": 0, "display": "Ostrom, E."}
        ],
        "work_authors": [{"work_id": "w1", "author_id": "ostrom-e"}],  # no role, no position
        "documents": [{"id": "d"}],
        "passages": [{"id": "p1", "document_id": "d"}],
        "claims": [{"id": "s1", "passage_id": "p1"}],
        "citations": [{"id": "c1", "work_id": "w1", "document_id": "d"}],  # no group, no passage
        "claim_citations": [{"claim_id": "s1", "citation_id": "c1"}],
        "concept_links": [{"concept_id": "ict", "target_table": "works", "target_id": "w1"}],  # no method
        "concepts": [{"id": "ict", "pref_label": "ICT"}],
    }
    db = sqlite_utils.Database(tmp_path / "old.db")
    for table, table_rows in rows.items():
        db[table].insert_all(table_rows)
    from_file = g.build_graph(g.records_from_db(db))
    from_rows = g.build_graph(rows)
    assert list(from_file.edges(data=True, keys=True)) == list(from_rows.edges(data=True, keys=True))
    assert from_file["work:w1"]["author:ostrom-e"][0] == {"kind": "authored-by", "position": 0}
    assert from_file["claim:s1"]["work:w1"][0]["group"] == "d#None"


def test_concept_paths_beyond_two_steps_and_without_a_path():
    """A concept several steps away gets the first of all its shortest paths, one out of
    reach none, as networkx's own shortest paths say."""
    H = nx.Graph(
        [
            ("concept:a", "work:2"),
            ("concept:a", "work:1"),
            ("work:1", "concept:b"),
            ("work:2", "concept:b"),
            ("concept:b", "finding:f"),
            ("finding:f", "focus_group:g"),
            ("focus_group:g", "finding:e"),
            ("finding:e", "concept:c"),
        ]
    )
    H.add_node("concept:d")
    names = ["a", "b", "c", "d"]
    got = g.concept_paths(nx.MultiDiGraph(), names, names, H)
    for x in names:
        for y in names:
            if x == y:
                continue
            s, t = f"concept:{x}", f"concept:{y}"
            if nx.has_path(H, s, t):
                assert got[(x, y)] == min(nx.all_shortest_paths(H, s, t)), (x, y)
            else:
                assert (x, y) not in got
    assert got[("a", "c")] == [
        "concept:a",
        "work:1",
        "concept:b",
        "finding:f",
        "focus_group:g",
        "finding:e",
        "concept:c",
    ]


def _corpus_db(corpus: str, built_db, tmp_path) -> sqlite_utils.Database:
    """The seed's database ("seed"), or one built from a generated corpus of six documents."""
    from pathlib import Path

    if corpus == "seed":
        return sqlite_utils.Database(built_db)
    sys.path.insert(0, str(Path(__file__).parent))
    from corpus import write_corpus

    path = tmp_path / "kb.db"
    build(path, write_corpus(tmp_path / "corpus", Path(__file__).resolve().parents[1], documents=6, per_document=60))
    return sqlite_utils.Database(path)


@pytest.mark.parametrize("corpus", ["seed", "generated"])
def test_the_authors_analyses_from_the_database_are_those_of_the_graph(corpus, built_db, tmp_path):
    """A build with its tables indexed in another process makes the authors' analyses there,
    from the stored rows (``author_rows_from_db``), while it builds the graph: the same rows,
    communities included, as from the graph."""
    db = _corpus_db(corpus, built_db, tmp_path)
    G = g.build_graph(g.records_from_db(db))
    from_graph = g.author_rows(G, list(db["authors"].rows))
    from_db = g.author_rows_from_db(db)
    assert {t: (r.columns, list(r.rows)) for t, r in from_db.items()} == {
        t: (r.columns, list(r.rows)) for t, r in from_graph.items()
    }
    assert len(from_graph["coauthorships"].rows) > 10


@pytest.mark.parametrize("corpus", ["seed", "generated"])
def test_the_light_graph_gives_every_analysis_and_map_the_networkx_graph_gives(corpus, built_db, tmp_path):
    """A build reads the graph as ``EdgeLists`` (``build_graph(..., light=True)``): the same nodes
    in the same order, each kind's edges in the order networkx walks them, and so the same rows
    of every analysis and map, number for number (PageRank sums in the nodes' order)."""
    from kb.layout import map_rows

    db = _corpus_db(corpus, built_db, tmp_path)
    G = g.build_graph(g.records_from_db(db))
    L = g.build_graph(g.records_from_db(db), light=True)
    assert isinstance(L, g.EdgeLists) and not isinstance(G, g.EdgeLists)
    # all but the authors (their analyses are made from the stored rows), the co-cited-with
    # edges and the passages' edges to their claims (read by the exports alone)
    types = g.node_types(G)
    authors = {n for n, t in types.items() if t == "author"}
    assert authors and list(L) == [n for n in G if n not in authors]
    assert list(g.node_types(L).items()) == [(n, t) for n, t in types.items() if n not in authors]
    kinds = {d["kind"] for _, _, d in G.edges(data=True)}
    assert {"cites", "contains", "discusses", "lists", "authored-by", "reports"} <= kinds
    for kind in kinds - {"co-cited-with", "authored-by", "contains"}:
        assert g.edges_of(L, kind) == g.edges_of(G, kind), kind
    assert g.edges_of(L, "co-cited-with") == g.edges_of(L, "authored-by") == []
    to_claims = [e for e in g.edges_of(G, "contains") if types[e[1]] == "claim"]
    assert to_claims and g.edges_of(L, "contains") == [e for e in g.edges_of(G, "contains") if types[e[1]] != "claim"]
    for n in L:
        assert g.node_attrs(L, n) == {k: G.nodes[n].get(k) for k in ("type", "label", "ref")}
    findings = {n for n, t in g.node_types(G).items() if t == "finding"}
    assert g.out_edges(L, findings, ("discusses", "reports")) == g.out_edges(G, findings, ("discusses", "reports"))
    assert any(
        len({d["kind"] for _, _, d in e}) == 2 for e in g.out_edges(G, findings, ("discusses", "reports")).values()
    )

    works = [r["id"] for r in db["works"].rows]
    concepts = sorted(r["id"] for r in db["concepts"].rows)

    def rows(tables):
        return {t: (r.columns, list(r.rows)) if hasattr(r, "columns") else list(r) for t, r in tables.items()}

    assert g.work_figures(L, works) == g.work_figures(G, works)
    assert g.citation_pagerank(L) == g.citation_pagerank(G)
    # and read from the database without a graph, as an update in place makes it again
    assert g.pagerank_from_db(db.conn) == g.citation_pagerank(G)
    assert list(g.pagerank_from_db(db.conn)) == list(g.citation_pagerank(G))
    # from the documents' parts the build stored, and without them from every citation
    assert g.stored_edges(db.conn, g.ranked_works(db.conn)) is not None
    db.conn.execute("savepoint whole_scan")
    db.conn.execute("delete from rank_edges")
    assert g.stored_edges(db.conn, g.ranked_works(db.conn)) is None
    assert g.pagerank_from_db(db.conn) == g.citation_pagerank(G)
    db.conn.execute("rollback to whole_scan")
    db.conn.execute("release whole_scan")
    assert rows(g.pair_rows(L)) == rows(g.pair_rows(G))
    assert rows(g.author_rows_from_db(db)) == rows(g.author_rows(G, list(db["authors"].rows)))
    with pytest.raises(ValueError, match="author_rows_from_db"):  # not an empty network, silently
        g.author_rows(L, list(db["authors"].rows))
    assert g.concept_rows(L, concepts) == g.concept_rows(G, concepts)
    assert map_rows(L, concepts) == map_rows(G, concepts)
    # what was compared is there to compare
    assert len(list(g.pair_rows(G)["co_citations"].rows)) > 10 and len(g.citation_pagerank(G)) > 30


def test_edges_added_out_of_order_are_put_in_networkx_order():
    """Edges added other than source by source (a source's edge after another source's, a pair
    left and come back to) are walked as networkx walks them."""
    G, L = nx.MultiDiGraph(), g.EdgeLists()
    for H in (G, L):
        H.add_node("work:b", type="work")
        H.add_node("work:a", type="work")
        for u, v, n in [
            ("claim:2", "work:a", 1),
            ("claim:1", "work:a", 2),
            ("claim:2", "work:b", 3),
            ("claim:2", "work:a", 4),
        ]:
            H.add_edge(u, v, kind="cites", n=n, m=0, o=0)
        H.add_edge("work:a", "work:b", kind="co-cited-with", weight=1)
        H.add_edge("claim:1", "work:b", kind="cites", n=5, m=0, o=0)
    L.freeze()
    assert list(L) == list(G)
    assert g.edges_of(L, "cites") == [(u, v, d) for u, v, d in G.edges(data=True) if d["kind"] == "cites"]
    assert [d["n"] for _, _, d in g.edges_of(L, "cites")] == [1, 4, 3, 2, 5]
    # sources in order, a target come back to within one source's edges: that source's put right
    M, N = nx.MultiDiGraph(), g.EdgeLists()
    for H in (M, N):
        for u, v, n in [
            ("claim:1", "work:a", 1),
            ("claim:2", "work:a", 2),
            ("claim:2", "work:b", 3),
            ("claim:2", "work:a", 4),
            ("claim:3", "work:b", 5),
        ]:
            H.add_edge(u, v, kind="cites", n=n, m=0, o=0)
    N.freeze()
    assert (
        [d["n"] for _, _, d in g.edges_of(N, "cites")] == [d["n"] for _, _, d in M.edges(data=True)] == [1, 2, 4, 3, 5]
    )


def test_louvain_communities_are_networkx_s(built_db):
    """``kb.louvain`` gives the communities networkx's Louvain gives, set for set and in the same
    order, for the same seed: on random weighted graphs with lone nodes (the co-authorship
    network's many single authors) and string ids, and on the seed's co-authorship network."""
    import random

    from kb.louvain import louvain_communities

    compared = 0
    for i in range(120):
        r = random.Random(i)
        n = r.randint(1, 90)
        G = nx.gnm_random_graph(n, r.randint(0, 3 * n), seed=i)
        for u, v in G.edges:  # whole numbers, as a build's counts are; some graphs' not
            G[u][v]["weight"] = r.randint(1, 4) if i % 4 else r.uniform(0.5, 3)
        G.add_nodes_from(range(n, n + r.randint(0, 10)))
        if i % 3 == 0:
            G = nx.relabel_nodes(G, {k: f"author:{k}" for k in G})
        for seed in (0, 5):
            assert louvain_communities(G, seed=seed) == nx.community.louvain_communities(G, weight="weight", seed=seed)
            compared += 1
    # many parts, some settled in a pass or two and some taking many (the build's co-authorship
    # network: one large part among thousands of small ones), where a pass visits only the parts
    # the last one changed
    parts = [nx.gnm_random_graph(k, 2 * k, seed=k) for k in (3, 5, 8, 13, 40, 120, 300)] * 3
    U = nx.disjoint_union_all(parts + [nx.path_graph(60), nx.karate_club_graph()])
    for u, v in U.edges:
        U[u][v]["weight"] = 1 + (u * v) % 3
    for seed in (0, 1, 2):
        assert louvain_communities(U, seed=seed) == nx.community.louvain_communities(U, weight="weight", seed=seed)
    K = nx.karate_club_graph()  # weighted, one component: several levels
    assert louvain_communities(K, seed=0) == nx.community.louvain_communities(K, weight="weight", seed=0)
    assert len(louvain_communities(K, seed=0)) > 2 and compared == 240
    H = g.coauthorship(g.build_graph(g.records_from_db(sqlite_utils.Database(built_db))))
    assert H.number_of_edges() > 5
    assert louvain_communities(H) == nx.community.louvain_communities(H, weight="weight", seed=0)
    with pytest.raises(ValueError):
        louvain_communities(nx.DiGraph([(1, 2)]))


def test_pagerank_from_db_reads_a_moved_documents_rows_in_the_documents_order():
    """An update in place stores a changed document's rows after the rest's; read in the
    documents' order (their passages'), every sum is made in a full build's order, to the last
    bit, and is the graph's (``pagerank_of`` the same edges in that order)."""
    import random
    import sqlite3
    from collections import Counter

    documents = [f"d{i}" for i in range(8)]
    rng = random.Random(3)
    works = [f"w{i}" for i in range(4)]
    rows = {
        d: [
            (f"{d}/p1/s{s}", f"{d}/c{s}.{k}", rng.choice(works))
            for s in range(rng.randint(3, 9))
            for k in range(rng.randint(1, 7))
        ]
        for d in documents
    }

    def ranks(stored: list[str]) -> dict[str, float]:
        conn = sqlite3.connect(":memory:")
        conn.executescript(
            "create table works (id text); create table concept_links (target_table, target_id, method);"
            "create table claim_citations (claim_id, citation_id, work_id);"
            "create table passages (id, document_id, ordinal); create table claims (id, document_id);"
        )
        conn.executemany("insert into works values (?)", [(w,) for w in works])
        conn.executemany("insert into passages values (?, ?, ?)", [(f"{d}/p1", d, i) for i, d in enumerate(documents)])
        for d in stored:
            conn.executemany("insert into claims values (?, ?)", [(c, d) for c in dict.fromkeys(r[0] for r in rows[d])])
            conn.executemany("insert into claim_citations values (?, ?, ?)", rows[d])
        return g.pagerank_from_db(conn)

    in_order = ranks(documents)
    weights = Counter((f"claim:{c}", f"work:{w}") for d in documents for c, _, w in rows[d])
    assert in_order == g.pagerank_of([f"work:{w}" for w in works], weights)
    for moved in (2, 5):
        assert ranks(documents[:moved] + documents[moved + 1 :] + [documents[moved]]) == in_order


def test_ranked_works_are_the_stored_ones_then_those_only_a_concept_link_names():
    """The works' nodes in the graph's order: the stored works, then the ids concept links name
    that no work has, once each, in the links' order; a candidate's link adds no node."""
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.executescript(
        "create table works (id text primary key); create table concept_links (target_table, target_id, method);"
    )
    conn.executemany("insert into works values (?)", [("b",), ("a",)])
    conn.executemany(
        "insert into concept_links values (?, ?, ?)",
        [
            ("works", "a", "cited-in"),
            ("works", "zz", None),
            ("passages", "q", None),  # not a work's link
            ("works", "only-candidate", "cited-in-candidate"),
            ("works", "m", "scheme"),
            ("works", "zz", "scheme"),
            ("works", "b", None),
        ],
    )
    assert g.ranked_works(conn) == ["work:b", "work:a", "work:zz", "work:m"]
    conn.execute("delete from concept_links where target_id in ('zz', 'm')")
    assert g.ranked_works(conn) == ["work:b", "work:a"]
