"""The knowledge base as one networkx graph, and its analyses as plain functions of the graph.

Nodes are typed (``type``): document, passage, claim, work, author, concept, finding,
focus_group. Edges carry a ``kind``: contains, cites, lists, authored-by, discusses, reports,
co-cited-with. Only resolved citations make ``cites`` edges: an ambiguous or missing citation
adds no edge, whatever its candidates.
"""

from __future__ import annotations

import heapq
import json
import re
import sqlite3
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, combinations
from typing import Any

import networkx as nx

from kb.louvain import louvain_communities
from kb.mapscale import MAP_LIMIT, central_nodes
from kb.normalise import fold, german_key
from kb.store import TupleRows

TABLES = (
    "documents",
    "passages",
    "claims",
    "claim_citations",
    "citations",
    "works",
    "reference_entries",
    "authors",
    "work_authors",
    "concepts",
    "concept_links",
    "findings",
    "focus_groups",
)


# The columns ``build_graph`` reads of each table: at 100,000 works reading every column (the
# paragraphs' text, each citation's message, each work's formatted references) held gigabytes
# the graph never looks at. ``tests/test_graph.py`` checks the graph is the same as from whole rows.
GRAPH_COLUMNS = {
    "documents": ("id", "title"),
    "passages": ("id", "document_id"),
    "claims": ("id", "passage_id"),
    "claim_citations": ("claim_id", "citation_id"),
    "citations": ("id", "work_id", "document_id", "group_number", "passage_id"),
    "works": ("id", "title", "year", "authors", "et_al", "csl_json"),
    "reference_entries": ("document_id", "work_id"),
    "authors": ("id", "family", "given", "is_organisation", "display"),
    "work_authors": ("work_id", "author_id", "role", "position"),
    "concepts": ("id", "pref_label"),
    "concept_links": ("concept_id", "target_table", "target_id", "method"),
    "findings": ("id", "focus_group", "passage_id"),
    "focus_groups": ("id", "label", "passage_id"),
}


class StoredRows:
    """The rows of one table, read from the database each time they are walked, one at a time,
    in the order they were stored (not that of an index SQLite might read them from instead): at
    100,000 works the tables the graph is made of held 1.9 GB as lists of dicts beside the
    graph, which needs none of them once made. ``columns`` are those the table has of the ones
    asked for (``GRAPH_COLUMNS``); ``values`` reads them all, a missing one as null."""

    def __init__(self, db: Any, table: str, columns: list[str], have: set[str]):
        self.db, self.table, self.columns, self.have = db, table, columns, have

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = [c for c in self.columns if c in self.have]
        return iter(self.db.query(f"select {', '.join(f'[{c}]' for c in names)} from [{self.table}] order by rowid"))

    def values(self, columns: tuple[str, ...], defaults: dict[str, Any]) -> Iterator[tuple]:
        """Each row as a tuple of ``columns`` straight from SQLite, without a dict a row (millions
        of them at 100,000 works); a column the table lacks reads as its default."""
        picked = [f"[{c}]" if c in self.have else "?" for c in columns]
        missing = [defaults.get(c) for c in columns if c not in self.have]
        return self.db.conn.execute(f"select {', '.join(picked)} from [{self.table}] order by rowid", missing)


def _values(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], **defaults: Any) -> Iterable[tuple]:
    """The ``columns`` of each row, as a tuple; a key a row lacks reads as its default (None
    unless given), as ``row.get(column, default)`` reads it."""
    if isinstance(rows, StoredRows):
        return rows.values(columns, defaults)
    return (tuple(r.get(c, defaults.get(c)) for c in columns) for r in rows)


def records_from_db(db: Any) -> dict[str, Iterable[dict[str, Any]]]:
    """The rows the graph is made of, from a kb database (sqlite-utils Database): of each table
    in ``TABLES`` the columns in ``GRAPH_COLUMNS`` it has, read as the graph walks them
    (:class:`StoredRows`)."""
    out: dict[str, Iterable[dict[str, Any]]] = {}
    names = set(db.table_names())
    for t in TABLES:
        if t not in names:
            out[t] = []
            continue
        out[t] = StoredRows(db, t, list(GRAPH_COLUMNS[t]), set(db[t].columns_dict))
    return out


class _OrNone(dict):
    """A dict whose missing keys read as None, as networkx's ``G.nodes(data=...)`` reads a node
    without the attribute."""

    def __missing__(self, key: Any) -> None:
        return None


class EdgeLists:
    """The graph :func:`build_graph` makes, held as what the analyses and maps read of it,
    without a networkx object (``build_graph(..., light=True)``; a build's graph stage).

    At 100,000 works the networkx graph of every passage, claim and citation took 20.6 s to make
    and 3.4 GB, to be read through a few views: each node's type, label and reference, in the
    nodes' order, and the edges of each kind in the order ``G.edges`` walks them. Those are what
    this holds: ``types`` (every node, in order), ``labels``, ``refs`` and ``kinds`` (kind ->
    ``[(source, target, data)]``; made by :func:`build_graph`: no authors, nor the co-cited-with
    edges and the passages' edges to their claims, which only exports read). :func:`edges_of`, :func:`node_types`, :func:`node_attrs` and
    :func:`out_edges` read either; ``tests/test_graph.py`` compares every analysis and map of the
    two. Edges of one attribute or two share their data (``{"kind": "contains"}`` a million
    times); node ids are interned (each edge's ends are the nodes' own strings).

    >>> G = EdgeLists()
    >>> G.add_node("work:a", type="work", label="A", ref="a")
    >>> _ = G.add_edge("claim:s", "work:a", kind="cites"); _ = G.add_edge("claim:r", "work:a", kind="cites")
    >>> G = G.freeze()
    >>> list(G), edges_of(G, "cites")[0], node_types(G)["claim:s"]
    (['work:a', 'claim:s', 'claim:r'], ('claim:s', 'work:a', {'kind': 'cites'}), None)
    """

    frozen = True  # nx.is_frozen: what is computed of it is kept with it (``_kept``)

    def __init__(self) -> None:
        self.graph: dict[str, Any] = {}
        self.types: dict[str, Any] = _OrNone()
        self.labels: dict[str, Any] = _OrNone()
        self.refs: dict[str, Any] = _OrNone()
        self.kinds: dict[Any, list[tuple[str, str, dict[str, Any]]]] = {}
        self._shared: dict[tuple, dict[str, Any]] = {}

    def __contains__(self, node: object) -> bool:
        return node in self.types

    def __iter__(self) -> Iterator[str]:
        return iter(self.types)

    def add_node(self, node: str, **attrs: Any) -> None:
        node = sys.intern(node)
        if node not in self.types:
            self.types[node] = None
        for key, into in (("type", self.types), ("label", self.labels), ("ref", self.refs)):
            if key in attrs:
                into[node] = attrs[key]

    def add_edge(self, u: str, v: str, **attrs: Any) -> dict[str, Any]:
        """Add an edge (its ends as nodes, if new); return its data."""
        self.add_edges_from([(u, v, attrs)])
        return self.kinds[attrs.get("kind")][-1][2]

    def add_nodes_from(self, nodes: Iterable[str | tuple[str, dict[str, Any]]], **attrs: Any) -> None:
        """Add nodes, each a node or ``(node, attributes)``, as networkx's method does."""
        for n in nodes:
            if isinstance(n, tuple):
                n, own = n
                self.add_node(n, **{**attrs, **own})
            else:
                self.add_node(n, **attrs)

    def add_edges_from(self, edges: Iterable[tuple], **attrs: Any) -> None:
        """Add edges, each ``(u, v)`` or ``(u, v, data)`` (that dict is the edge's own; with
        ``attrs``, a new one of both), as networkx's method does: one loop, not a call an edge."""
        intern, types, kinds, shared = sys.intern, self.types, self.kinds, self._shared
        common = shared.setdefault(tuple(attrs.items()), attrs)
        for e in edges:
            if len(e) == 3:
                u, v, d = e
                if attrs:
                    d = {**attrs, **d}
                if len(d) <= 2:
                    d = shared.setdefault(tuple(d.items()), d)
            else:
                u, v = e
                d = common
            u, v = intern(u), intern(v)
            if u not in types:
                types[u] = None
            if v not in types:
                types[v] = None
            same = kinds.get(d.get("kind"))
            if same is None:
                same = kinds[d.get("kind")] = []
            same.append((u, v, d))

    def freeze(self) -> EdgeLists:
        """Put each kind's edges in networkx's order: by source in the nodes' order, then by
        target in the order the pair was first added, the edges of a pair in the order added.
        Added as :func:`build_graph` adds them, some kinds are in that order already, which one
        walk confirms; in some only a source's edges need their pairs put together (a sentence
        citing a work twice around another); the rest are grouped by source into it."""
        index = {n: i for i, n in enumerate(self.types)}
        for kind, edges in self.kinds.items():
            runs = _in_order_but(edges, index)
            if runs is None:
                self.kinds[kind] = _networkx_order(edges, index)
            for start, end in runs or ():
                edges[start:end] = _pairs_together(edges[start:end])
        self._shared = {}
        return self

    def out_edges(self, nodes: set[str], kinds: tuple[str, ...]) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
        """The edges of ``kinds`` from each of ``nodes``, in the order ``G.edges(node)`` walks
        them. Each node's edges of one kind were all added before those of the next kind it has
        (:func:`build_graph` adds each kind in a loop of its own; ``contains`` in three, from
        documents, passages and passages again): a node's kinds follow the order the kinds were
        first added in, which is this dict's."""
        out: dict[str, list[tuple[str, str, dict[str, Any]]]] = {n: [] for n in nodes}
        for kind, edges in self.kinds.items():
            if kind in kinds:
                for e in edges:
                    if e[0] in out:
                        out[e[0]].append(e)
        return out


def _networkx_order(
    edges: list[tuple[str, str, dict[str, Any]]], index: dict[str, int]
) -> list[tuple[str, str, dict[str, Any]]]:
    """``edges`` in the order networkx walks them (see :meth:`EdgeLists.freeze`)."""
    by_source: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for e in edges:
        group = by_source.get(e[0])
        if group is None:
            by_source[e[0]] = [e]
        else:
            group.append(e)
    out: list[tuple[str, str, dict[str, Any]]] = []
    for u in sorted(by_source, key=index.__getitem__):
        group = by_source[u]
        if len(group) > 2 and len({e[1] for e in group}) < len(group):
            group = _pairs_together(group)  # (two edges are in order either way)
        out.extend(group)
    return out


def _pairs_together(group: list[tuple[str, str, dict[str, Any]]]) -> list[tuple[str, str, dict[str, Any]]]:
    """One source's edges with each pair's together, where its first edge was."""
    by_target: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for e in group:
        by_target.setdefault(e[1], []).append(e)
    return [e for same in by_target.values() for e in same]


def _in_order_but(edges: list[tuple[str, str, dict[str, Any]]], index: dict[str, int]) -> list[tuple[int, int]] | None:
    """None when ``edges`` do not come source by source in the nodes' order (``index``); else
    the ``(start, end)`` of each source's run of edges in which a target comes back after
    another (none: in networkx's order as they are)."""
    runs = []
    last_u, last_v, seen, start, back = None, None, set(), 0, False
    for i, (u, v, _) in enumerate(edges):
        if u is not last_u:
            if last_u is not None:
                if index[u] < index[last_u]:
                    return None
                if back:
                    runs.append((start, i))
            last_u, last_v, seen, start, back = u, v, {v}, i, False
        elif v is not last_v:
            back = back or v in seen
            seen.add(v)
            last_v = v
    if back:
        runs.append((start, len(edges)))
    return runs


GRAPH_STEPS = 12  # the tables build_graph reads, each one step (``tick``) of a progress bar


def build_graph(
    records: dict[str, Iterable[dict[str, Any]]], tick: Callable[[], None] | None = None, light: bool = False
) -> nx.MultiDiGraph:
    """One graph of the whole knowledge base from its records (see ``records_from_db``);
    ``tick()`` after each of its :data:`GRAPH_STEPS` steps (a build's progress bar). With
    ``light``, the same graph as :class:`EdgeLists` (what a build's analyses and maps read of
    it: all but the co-cited-with edges and the passages' contains edges to their claims, which
    only the exports read, and the authors, whose analyses a build makes from the stored rows,
    ``author_rows_from_db``).

    >>> G = build_graph({"works": [{"id": "a", "title": "A", "year": 2000}], "concepts": [{"id": "c", "pref_label": "C"}],
    ...                  "concept_links": [{"concept_id": "c", "target_table": "works", "target_id": "a", "method": "cited-in"}]})
    >>> sorted(G.nodes), [k for _, _, k in G.edges(data="kind")]
    (['concept:c', 'work:a'], ['discusses'])
    """
    tick = tick or (lambda: None)
    G: Any = EdgeLists() if light else nx.MultiDiGraph()
    for d in records.get("documents", []):
        G.add_node(f"document:{d['id']}", type="document", label=d.get("title") or d["id"], ref=d["id"])
    tick()
    # the largest tables are read as tuples (``_values``): a dict a row cost a quarter of the
    # stage; and added as lists, each table's nodes and then its edges (``add_edges_from``: a
    # loop of the graph's own, not a call an edge)
    rows = list(_values(records.get("passages", []), ("id", "document_id")))
    G.add_nodes_from(((f"passage:{pid}", {"type": "passage", "label": pid, "ref": pid}) for pid, _ in rows))
    G.add_edges_from(((f"document:{doc}", f"passage:{pid}") for pid, doc in rows), kind="contains")
    tick()
    rows = list(_values(records.get("claims", []), ("id", "passage_id")))
    G.add_nodes_from(((f"claim:{cid}", {"type": "claim", "label": cid, "ref": cid}) for cid, _ in rows))
    if not light:  # read by the exports alone, not by an analysis or map
        G.add_edges_from(((f"passage:{pid}", f"claim:{cid}") for cid, pid in rows), kind="contains")
    rows = None
    tick()
    suffixes = work_year_suffixes(records.get("works", []))
    for w in records.get("works", []):
        G.add_node(
            f"work:{w['id']}",
            type="work",
            label=short_label(w, suffixes.get(w["id"], "")),
            ref=w["id"],
            year=w.get("year") or 0,
        )
    tick()
    listed = (
        (f"document:{doc}", f"work:{wid}")
        for doc, wid in _values(records.get("reference_entries", []), ("document_id", "work_id"))
        if wid
    )
    # the reference list, cited or not
    G.add_edges_from([(u, v) for u, v in listed if u in G and v in G], kind="lists")
    tick()
    identity = {} if light else author_identities(records.get("authors", []))
    for a in [] if light else records.get("authors", []):
        canonical = identity[a["id"]]["canonical"]
        G.add_node(f"author:{canonical}", type="author", label=identity[a["id"]]["display"], ref=canonical)
    tick()
    columns = ("work_id", "author_id", "role", "position")
    G.add_edges_from(
        (
            (f"work:{wid}", f"author:{identity[aid]['canonical']}", {"kind": "authored-by", "position": position or 0})
            for wid, aid, role, position in _values(
                [] if light else records.get("work_authors", []), columns, role="author"
            )
            if role == "author"
        )
    )
    tick()
    claim_of = {
        citation: claim for claim, citation in _values(records.get("claim_citations", []), ("claim_id", "citation_id"))
    }
    columns = ("id", "work_id", "document_id", "group_number", "passage_id")
    cites = (
        (
            f"claim:{claim_of[cid]}",
            f"work:{wid}",
            {"kind": "cites", "citation": cid, "group": f"{doc}#{group}", "passage": pid or "", "document": doc},
        )
        for cid, wid, doc, group, pid in _values(records.get("citations", []), columns)
        if wid and cid in claim_of
    )
    if not light:  # also what the co-cited-with edges are counted from, without a walk of the whole graph
        cites = list(cites)
    G.add_edges_from(cites)
    claim_of = None
    tick()
    for f in records.get("findings", []):
        G.add_node(f"finding:{f['id']}", type="finding", label=f["id"], ref=f["id"])
        if f.get("focus_group"):
            G.add_edge(f"finding:{f['id']}", f"focus_group:{f['focus_group']}", kind="reports")
    for g in records.get("focus_groups", []):
        G.add_node(f"focus_group:{g['id']}", type="focus_group", label=g.get("label") or g["id"], ref=g["id"])
    for kind, rows in (("finding", records.get("findings", [])), ("focus_group", records.get("focus_groups", []))):
        for r in rows:  # the passage whose words the finding or focus group is quoted from
            if r.get("passage_id") and f"passage:{r['passage_id']}" in G:
                G.add_edge(f"passage:{r['passage_id']}", f"{kind}:{r['id']}", kind="contains")
    tick()
    for c in records.get("concepts", []):
        G.add_node(f"concept:{c['id']}", type="concept", label=c.get("pref_label") or c["id"], ref=c["id"])
    tick()
    prefix = {
        "passages": "passage",
        "claims": "claim",
        "works": "work",
        "findings": "finding",
        "focus_groups": "focus_group",
    }
    columns = ("concept_id", "target_table", "target_id", "method")
    discussed, new = [], {}
    for concept, table, target, method in _values(records.get("concept_links", []), columns):
        kind = prefix.get(table)
        if kind is None or method == "cited-in-candidate":
            continue  # a candidate of an ambiguous citation is not evidence of an edge
        source = f"{kind}:{target}"
        if source not in G and source not in new:  # a row of no table read: a node of its own
            new[source] = {"type": kind, "label": target, "ref": target}
        discussed.append((source, f"concept:{concept}", {"kind": "discusses", "method": method or ""}))
    G.add_nodes_from(new.items())
    G.add_edges_from(discussed)
    discussed = new = None
    tick()
    if not light:  # read by the exports alone, not by an analysis or map
        for (a, b), weight in sorted(_co_cited(cites, "parenthesis").items()):
            G.add_edge(a, b, kind="co-cited-with", weight=weight)
    tick()
    return G.freeze() if light else nx.freeze(G)  # read by every analysis and map, which keep what they compute with it


def work_year_suffixes(works: list[dict[str, Any]]) -> dict[str, str]:
    """The letters APA gives works by the same authors in the same year (``kb.resolve``'s
    ``year_suffixes``, as the formatted references print them), by work id, from works rows."""
    from kb.records import Work
    from kb.resolve import year_suffixes

    return year_suffixes(
        [Work(json.loads(w["csl_json"]), et_al=bool(w.get("et_al"))) for w in works if w.get("csl_json")]
    )


def short_label(work: dict[str, Any], suffix: str = "") -> str:
    """ "Bovaird 2007", "Osborne et al. 2016", "Bovaird & Loeffler 2012b" (``suffix`` "b")."""
    authors = [a.strip() for a in (work.get("authors") or "").split(";") if a.strip() and a.strip() != "et al."]
    families = [a.split(",")[0] for a in authors]
    if not families:
        who = (work.get("title") or work["id"])[:24]
    elif len(families) == 1 and not work.get("et_al"):
        who = families[0]
    elif len(families) == 2 and not work.get("et_al"):
        who = f"{families[0]} & {families[1]}"
    else:
        who = f"{families[0]} et al."
    return f"{who} {work.get('year') or 'n.d.'}{suffix if work.get('year') else ''}"


# ---------------------------------------------------------------------------------------------
# Citation analyses


def edges_of(G: nx.MultiDiGraph, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The edges of one ``kind`` (source, target, data), in the graph's order.

    Every analysis and map reads the edges of one or two kinds; the graph of 100,000 works has
    millions of edges, and walking all of them once an analysis was a third of the graph's
    stages. The graph ``build_graph`` makes cannot change (networkx's ``freeze``), so its edges
    are sorted by kind in one walk and kept with it (``G.graph``); a graph that can still change
    is walked at every call.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("claim:a", "work:x", kind="cites"); _ = G.add_edge("work:x", "concept:c", kind="discusses")
    >>> [(u, v) for u, v, _ in edges_of(G, "cites")], edges_of(G, "lists")
    ([('claim:a', 'work:x')], [])
    """
    if isinstance(G, EdgeLists):
        return G.kinds.get(kind, [])
    return _kept(G, "edges-by-kind", lambda: _by_kind(G)).get(kind, [])


def _by_kind(G: nx.MultiDiGraph) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    by_kind: dict[str, list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    for u, v, d in G.edges(data=True):
        by_kind[d.get("kind")].append((u, v, d))
    return dict(by_kind)


def _kept(G: nx.MultiDiGraph, name: str, make: Any) -> Any:
    """``make()``, made once for a graph that cannot change (see :func:`edges_of`): what the
    analyses and the maps both need (PageRank, the evidence graph) is computed once a build."""
    if not nx.is_frozen(G):
        return make()
    if f"kb_{name}" not in G.graph:
        G.graph[f"kb_{name}"] = make()
    return G.graph[f"kb_{name}"]


def node_types(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Each node's ``type`` (None when it has none), made once for a graph that cannot change:
    the maps and the evidence graph ask it of millions of edges' ends."""
    if isinstance(G, EdgeLists):
        return G.types
    return _kept(G, "types", lambda: dict(G.nodes(data="type")))


def node_attrs(G: nx.MultiDiGraph | EdgeLists, node: str) -> dict[str, Any]:
    """A node's attributes (of an :class:`EdgeLists`, its type, label and reference)."""
    if isinstance(G, EdgeLists):
        return {"type": G.types[node], "label": G.labels[node], "ref": G.refs[node]}
    return G.nodes[node]


def out_edges(
    G: nx.MultiDiGraph | EdgeLists, nodes: set[str], kinds: tuple[str, ...]
) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:
    """The edges of ``kinds`` from each of ``nodes`` (source, target, data), in the graph's order."""
    if isinstance(G, EdgeLists):
        return G.out_edges(nodes, kinds)
    return {u: [e for e in G.edges(u, data=True) if e[2].get("kind") in kinds] for u in nodes}


def times_cited(G: nx.MultiDiGraph) -> Counter:
    """Resolved citations of each work node.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("claim:a", "work:x", kind="cites"); _ = G.add_edge("claim:b", "work:x", kind="cites")
    >>> times_cited(G)["work:x"]
    2
    """
    return Counter(v for _, v, _ in edges_of(G, "cites"))


def citing_passages(G: nx.MultiDiGraph) -> Counter:
    """Distinct passages citing each work."""
    pairs = {(d.get("passage"), v) for _, v, d in edges_of(G, "cites")}
    return Counter(v for _, v in pairs)


def citation_pagerank(G: nx.MultiDiGraph, alpha: float = 0.85) -> dict[str, float]:
    """PageRank of works over the cites edges (claims -> works), weighted by citation count."""
    return dict(_kept(G, f"pagerank-{alpha}", lambda: _pagerank(G, alpha)))


def _pagerank(G: nx.MultiDiGraph, alpha: float) -> dict[str, float]:
    """``nx.pagerank`` of the directed graph of works and the claims citing them (an edge for
    each claim and work, weighted by the claim's citations of it): :func:`pagerank_of` the
    graph's works and its cites edges, grouped by claim in the graph's order."""
    weights = Counter((u, v) for u, v, _ in edges_of(G, "cites"))
    return pagerank_of([n for n, t in node_types(G).items() if t == "work"], weights, alpha)


def pagerank_from_db(conn: Any, alpha: float = 0.85, works: list[str] | None = None) -> dict[str, float]:
    """:func:`citation_pagerank` of the graph :func:`build_graph` makes of a kb database, read
    from the database without the graph: the works in the order stored, a work a concept link
    names that is not one of them after them, then the claims citing them in the documents'
    order, each claim's edge to a work weighted by its citations of it. Read from ``rank_edges``
    (:func:`rank_edges`, what an update in place reads, ``kb/update.py``) when it holds the
    documents' parts for these works, else from every citation.
    ``tests/test_graph.py`` compares the two with the graph's. ``works``: :func:`ranked_works`,
    when the caller has them."""
    works = ranked_works(conn) if works is None else works
    blocks = stored_edges(conn, works)
    if blocks is None:
        blocks = rank_edges(conn, works)
    return _pagerank_of_edges(conn, works, blocks, alpha)


def ranked_works(conn: Any) -> list[str]:
    """The works' nodes in the graph's order: the works as stored, then each work a concept
    link names that is not one of them (a row of no table read: a node of its own, as
    :func:`build_graph` adds it)."""
    import json

    works = [f"work:{w}" for (w,) in conn.execute("select id from works order by rowid")]
    # the ids no work has, from the links' index alone (at 100,000 works 0.1 s, against 0.5 s
    # for reading the half a million links to works row by row); usually none
    missing = [
        t
        for (t,) in conn.execute(
            "select target_id from (select distinct target_id from concept_links where target_table = 'works')"
            " where target_id not in (select id from works)"
        )
    ]
    if missing:
        works += [
            f"work:{w}"
            for w in dict.fromkeys(
                t
                for (t,) in conn.execute(
                    "select target_id from concept_links where target_table = 'works'"
                    " and coalesce(method, '') != 'cited-in-candidate'"
                    " and target_id in (select value from json_each(?)) order by rowid",
                    [json.dumps(missing)],
                )
            )
        ]
    return works


# the _kb_meta key of the works ``rank_edges`` numbers (:func:`works_key`)
RANK_WORKS_KEY = "rank_works"


def works_key(works: list[str]) -> str:
    """What ``rank_edges`` numbers its works by: a digest of the list."""
    import hashlib

    return hashlib.sha256("\n".join(works).encode()).hexdigest()


def rank_edges(conn: Any, works: list[str], document_id: str | None = None) -> dict[str, tuple]:
    """Each document's part of the ranking (every document's, or ``document_id``'s alone), by
    its id: (the number of its claims citing a work; each such claim's place in the document;
    for each resolved citation, its claim's number in the document and its work's in ``works``).

    A claim's place is its passage's (``ordinal``; a claim's id is its passage's and its
    sentence number, kb/claims.py) less the document's first passage's, so that a document's
    part reads nothing of the other documents. A claim's number is
    the order it is first met in, a document's rows together and in reading order (a build
    stores them so; an update appends a changed document's rows after the rest). Sorted by
    place (the document's first passage's added back), a passage's claims as met, the claims
    are in a full build's order, the graph's: a place is one passage's, so only one document's
    claims can share one. A claim whose passage is not stored is the part of document ""."""
    import numpy as np

    sql = "select id, ordinal, document_id from passages"
    args: list = []
    if document_id is not None:
        sql += " where document_id = ?"
        args = [document_id]
    passage_at = {p: (o, d) for p, o, d in conn.execute(sql, args)}
    base = first_ordinals(conn, document_id)
    work = {w[5:]: i for i, w in enumerate(works)}
    sql = "select claim_id, work_id from claim_citations where work_id is not null and work_id != ''"
    if document_id is not None:
        sql += " and claim_id in (select id from claims where document_id = ?)"
    met: dict[str, tuple[tuple[list, list, list], int]] = {}  # claim -> (its document's part, its number there)
    blocks: dict[str, tuple[list, list, list]] = {}
    for claim, work_id in conn.execute(sql + " order by rowid", args):
        found = met.get(claim)
        if found is None:
            ordinal, doc = passage_at.get(claim.rpartition("/")[0], (0, ""))
            block = blocks.setdefault(doc, ([], [], []))
            found = met[claim] = (block, len(block[0]))
            block[0].append(ordinal - base.get(doc, 0))
        block, i = found
        block[1].append(i)
        block[2].append(work[work_id])
    return {
        doc: (
            len(places),
            np.array(places, dtype=np.int64),
            np.array(rows, dtype=np.int32),
            np.array(cols, dtype=np.int32),
        )
        for doc, (places, rows, cols) in blocks.items()
    }


def first_ordinals(conn: Any, document_id: str | None = None) -> dict[str, int]:
    """Each document's first passage's ``ordinal`` (``document_id``'s alone): what a claim's
    place in ``rank_edges`` is counted from."""
    sql = "select document_id, min(ordinal) from passages"
    if document_id is None:
        return dict(conn.execute(sql + " group by document_id"))
    return dict(conn.execute(sql + " where document_id = ? group by document_id", [document_id]))


def edge_rows(blocks: dict[str, tuple]) -> Iterator[tuple[str, int, str, str, str]]:
    """:func:`rank_edges` as rows of the table of that name: the arrays as the hex of their
    bytes (little-endian), a text the tables' comparisons read."""
    for doc, (n, places, rows, cols) in blocks.items():
        yield (
            doc,
            n,
            places.astype("<i8").tobytes().hex(),
            rows.astype("<i4").tobytes().hex(),
            cols.astype("<i4").tobytes().hex(),
        )


def stored_edges(conn: Any, works: list[str]) -> dict[str, tuple] | None:
    """The documents' parts of the ranking as ``rank_edges`` holds them; None when it holds
    none or numbers other works (its key in ``_kb_meta`` is another list's), or holds a claim
    without a passage (placed before every document's: only the whole scan orders those)."""
    import numpy as np

    from kb.schema import MARKER

    try:
        key = conn.execute(f"select value from [{MARKER}] where key = ?", [RANK_WORKS_KEY]).fetchone()
        stored = conn.execute("select document_id, claims, places, claim_of, work_of from rank_edges").fetchall()
    except sqlite3.OperationalError:  # no such table (a database made otherwise): the whole scan
        return None
    if not stored or key is None or key[0] != works_key(works) or any(doc == "" for doc, *_ in stored):
        return None
    return {
        doc: (
            n,
            np.frombuffer(bytes.fromhex(p), dtype="<i8"),
            np.frombuffer(bytes.fromhex(r), dtype="<i4"),
            np.frombuffer(bytes.fromhex(c), dtype="<i4"),
        )
        for doc, n, p, r, c in stored
    }


def _pagerank_of_edges(conn: Any, works: list[str], blocks: dict[str, tuple], alpha: float) -> dict[str, float]:
    """The works' PageRank from the documents' parts (:func:`rank_edges`): every claim numbered
    after the works, in the order of its place (ties: as its document gives them)."""
    import numpy as np

    base = first_ordinals(conn)
    parts = list(blocks.items())
    n_claims = sum(n for _, (n, *_) in parts)
    offsets = np.cumsum([0] + [n for _, (n, *_) in parts])
    empty = np.zeros(0, dtype=np.int64)
    places = np.concatenate([empty] + [p.astype(np.int64) + base.get(doc, 0) for doc, (_, p, _, _) in parts])
    rows = np.concatenate([empty] + [r.astype(np.int64) + offsets[k] for k, (_, (_, _, r, _)) in enumerate(parts)])
    cols = np.concatenate([empty] + [c.astype(np.int64) for _, (_, _, _, c) in parts])
    final = np.empty(n_claims, dtype=np.int64)
    final[np.argsort(places, kind="stable")] = np.arange(len(works), len(works) + n_claims)
    # an edge a citation; the matrix sums a claim's citations of one work (whole numbers: exact)
    ranks = _power_iteration(len(works) + n_claims, final[rows], cols, np.ones(len(rows)), alpha)
    return {w: float(r) for w, r in zip(works, ranks[: len(works)], strict=True)}


def pagerank_of(works: list[str], weights: Counter, alpha: float = 0.85) -> dict[str, float]:
    """The PageRank of ``works`` (node ids, in the graph's order) in the directed graph of them
    and the claims citing them, ``weights`` giving each (claim, work) edge's citations in the
    order networkx walks the edges, computed as networkx 3 computes it (``_pagerank_scipy``,
    BSD-3-Clause), number for number, but from the weights themselves: at 100,000 works, making
    that graph of 700,000 nodes and then its matrix took most of the time.
    ``tests/test_graph.py`` compares the two."""
    import numpy as np

    nodelist = list(works)
    index = dict(zip(nodelist, range(len(nodelist)), strict=True))
    for u, v in weights:  # nodes in the order the graph of weighted edges would add them
        for n in (u, v):
            if n not in index:
                index[n] = len(nodelist)
                nodelist.append(n)
    row = np.fromiter((index[u] for u, _ in weights), dtype=np.int64, count=len(weights))
    col = np.fromiter((index[v] for _, v in weights), dtype=np.int64, count=len(weights))
    data = np.fromiter(weights.values(), dtype=float, count=len(weights))
    x = _power_iteration(len(nodelist), row, col, data, alpha)
    return {n: float(r) for n, r in zip(nodelist, x, strict=True) if n.startswith("work:")}


def _power_iteration(
    N: int, row: Any, col: Any, data: Any, alpha: float, max_iter: int = 100, tol: float = 1.0e-6
) -> Any:
    """networkx's ``_pagerank_scipy`` power iteration over the N nodes' weighted edges (row ->
    col; edges given twice are summed); the nodes' ranks in their order."""
    import numpy as np
    import scipy as sp

    if N == 0:
        return np.zeros(0)
    A = sp.sparse.coo_array((data, (row, col)), shape=(N, N), dtype=float).asformat("csr")
    S = A.sum(axis=1)
    S[S != 0] = 1.0 / S[S != 0]
    Q = sp.sparse.dia_array((S.T, 0), shape=A.shape).tocsr()
    A = Q @ A
    x = np.repeat(1.0 / N, N)
    p = np.repeat(1.0 / N, N)
    is_dangling = np.where(S == 0)[0]
    for _ in range(max_iter):
        xlast = x
        # networkx sums the dangling nodes' ranks with Python's sum(), left to right; a
        # cumulative sum adds in the same order (the same float) without a Python object a
        # node: every work is dangling, 100,000 of them at 100,000 works
        dangling = np.cumsum(x[is_dangling])[-1] if len(is_dangling) else 0
        x = alpha * (x @ A + dangling * p) + (1 - alpha) * p
        if np.absolute(x - xlast).sum() < N * tol:
            return x
    raise nx.PowerIterationFailedConvergence(max_iter)


def concepts_cited_for(G: nx.MultiDiGraph) -> dict[str, list[str]]:
    """For each work, the concepts of the claims that cite it."""
    out: dict[str, set[str]] = defaultdict(set)
    discussed: dict[str, list[str]] = defaultdict(list)
    ref = _refs(G)
    for u, c, _ in edges_of(G, "discusses"):
        discussed[u].append(ref(c))
    for u, v, _ in edges_of(G, "cites"):
        if u in discussed:
            out[v].update(discussed[u])
    return {w: sorted(cs) for w, cs in out.items()}


_LEVEL_ATTR = {"parenthesis": "group", "sentence": None, "paragraph": "passage"}


def co_citation(G: nx.MultiDiGraph, level: str = "paragraph") -> Counter:
    """Pairs of works cited together in the same parenthesis, sentence or paragraph, with the
    number of such units. Pairs are sorted node ids.

    >>> G = nx.MultiDiGraph()
    >>> _ = G.add_edge("claim:s1", "work:a", kind="cites", group="g1", passage="p1")
    >>> _ = G.add_edge("claim:s1", "work:b", kind="cites", group="g1", passage="p1")
    >>> _ = G.add_edge("claim:s2", "work:c", kind="cites", group="g2", passage="p1")
    >>> co_citation(G, "parenthesis")
    Counter({('work:a', 'work:b'): 1})
    >>> sorted(co_citation(G, "paragraph").items())
    [(('work:a', 'work:b'), 1), (('work:a', 'work:c'), 1), (('work:b', 'work:c'), 1)]
    """
    return _co_cited(edges_of(G, "cites"), level)


def _co_cited(cites: Iterable[tuple[str, str, dict[str, Any]]], level: str) -> Counter:
    if level not in _LEVEL_ATTR:
        raise ValueError(f"level must be one of {sorted(_LEVEL_ATTR)}")
    units: dict[str, set[str]] = defaultdict(set)
    attr = _LEVEL_ATTR[level]
    for u, v, d in cites:
        units[u if attr is None else d.get(attr, "")].add(v)
    return _pair_counts(units.values())


def _pair_counts(groups: Iterable[set[str]]) -> Counter:
    """Each pair of members of a group (sorted), with the number of groups holding it: counted by
    Counter's own loop (in C), over a million groups at 100,000 works."""
    return Counter(chain.from_iterable(combinations(sorted(g), 2) for g in groups if len(g) > 1))


def _sorted_pairs(counts: Counter) -> Iterator[tuple[tuple[int, int], int]]:
    """``sorted(counts.items())`` for pairs of numbers below 2**30, sorted as pairs of numbers
    (which Python's sort compares fast) rather than as pairs of a pair and a count (a third of
    the time)."""
    return ((pair, counts[pair]) for pair in sorted(counts))


def bibliographic_coupling(G: nx.MultiDiGraph) -> Counter:
    """Pairs of citing documents and the number of works both cite (counted work by work, from
    the documents citing each, never over all pairs of documents).

    >>> G = nx.MultiDiGraph()
    >>> for d, w in [("d1", "a"), ("d1", "b"), ("d2", "b"), ("d2", "c")]:
    ...     _ = G.add_edge(f"claim:{d}", f"work:{w}", kind="cites", document=d)
    >>> bibliographic_coupling(G)
    Counter({('document:d1', 'document:d2'): 1})
    """
    citing: dict[str, set[str]] = defaultdict(set)
    for _, v, d in edges_of(G, "cites"):
        citing[v].add(f"document:{d['document']}")
    return _pair_counts(citing.values())


# ---------------------------------------------------------------------------------------------
# Authors


def _initials(given: str) -> str:
    return "".join(w[0] for w in re.split(r"[\s.\-]+", fold(given or "")) if w).upper()


def author_identities(authors: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Resolve author spellings to people. Same German-folded family name and same initials:
    one person ("Löffler, E." and "Loeffler, E."), status ``same``. Same family name and one set
    of initials a prefix of the other ("Osborne, S." and "Osborne, S. P."): flagged ``probable``,
    kept apart.

    >>> ids = author_identities([{"id": "loffler-e", "family": "Löffler", "given": "E."},
    ...                          {"id": "loeffler-e", "family": "Loeffler", "given": "E."},
    ...                          {"id": "osborne-s", "family": "Osborne", "given": "S."},
    ...                          {"id": "osborne-sp", "family": "Osborne", "given": "S. P."}])
    >>> ids["loffler-e"]["canonical"] == ids["loeffler-e"]["canonical"], ids["loffler-e"]["status"]
    (True, 'same')
    >>> ids["osborne-s"]["canonical"] == ids["osborne-sp"]["canonical"], ids["osborne-s"]["probable"]
    (False, ['osborne-sp'])
    """
    authors = list(authors)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for a in authors:
        key = german_key(a.get("family") or "")
        groups[(key, _initials(a.get("given") or ""))].append(a)
    out: dict[str, dict[str, Any]] = {}
    members_of: dict[str, list[str]] = {}
    for members in groups.values():
        members = sorted(members, key=lambda a: a["id"])
        canonical = members[0]["id"]
        members_of[canonical] = [m["id"] for m in members]
        spellings = sorted({m.get("display") or m.get("family") or "" for m in members})
        for m in members:
            out[m["id"]] = {
                "canonical": canonical,
                "status": "same" if len(members) > 1 else "single",
                "display": members[0].get("display") or members[0].get("family") or canonical,
                "spellings": spellings,
                "probable": [],
            }
    by_family: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (key, initials), members in groups.items():
        by_family[key].append((initials, out[members[0]["id"]]["canonical"]))
    for entries in by_family.values():
        for (ia, ca), (ib, cb) in combinations(entries, 2):
            if ia and ib and ia != ib and (ia.startswith(ib) or ib.startswith(ia)):
                for x, y in ((ca, cb), (cb, ca)):
                    for member in members_of[x]:
                        out[member]["probable"] = sorted(set(out[member]["probable"]) | {y})
    return out


def coauthorship(G: nx.MultiDiGraph) -> nx.Graph:
    """Authors linked by the works they wrote together, weighted by the number of works."""
    if isinstance(G, EdgeLists):
        raise ValueError("an EdgeLists graph holds no authors: use author_rows_from_db")
    authors_of: dict[str, set[str]] = defaultdict(set)
    for w, a, _ in edges_of(G, "authored-by"):
        authors_of[w].add(a)
    return _coauthorship((w for w, t in node_types(G).items() if t == "work"), authors_of)


def _coauthorship(works: Iterable[str], authors_of: dict[str, set[str]]) -> nx.Graph:
    """The co-authorship graph of ``works`` (work nodes, in the graph's order, which Louvain's
    communities follow) and their authors (author nodes)."""
    H = nx.Graph()
    for w in works:
        people = sorted(authors_of.get(w, ()))
        H.add_nodes_from(people)
        for a, b in combinations(people, 2):
            H.add_edge(a, b, weight=H[a][b]["weight"] + 1 if H.has_edge(a, b) else 1)
    return H


def author_communities(H: nx.Graph, seed: int = 0) -> dict[str, int]:
    """Community number of each author in the co-authorship network (Louvain, seeded, so the
    same graph gives the same communities). Numbered by size, then by first member."""
    if H.number_of_nodes() == 0:
        return {}
    parts = louvain_communities(H, seed=seed)  # networkx's, number for number, faster
    parts = sorted((sorted(p) for p in parts), key=lambda p: (-len(p), p[0]))
    return {n: i + 1 for i, part in enumerate(parts) for n in part}


# ---------------------------------------------------------------------------------------------
# Concepts


def concept_cooccurrence(G: nx.MultiDiGraph) -> Counter:
    """Pairs of concepts discussed in the same passage, claim or finding, with the count.

    >>> G = nx.MultiDiGraph()
    >>> for n, c in [("passage:p", "a"), ("passage:p", "b"), ("claim:s", "a"), ("claim:s", "b"), ("claim:t", "a")]:
    ...     _ = G.add_edge(n, f"concept:{c}", kind="discusses")
    >>> concept_cooccurrence(G)
    Counter({('concept:a', 'concept:b'): 2})
    """
    by_unit: dict[str, set[str]] = defaultdict(set)
    for u, v, _ in edges_of(G, "discusses"):
        if u.split(":", 1)[0] in ("passage", "claim", "finding"):
            by_unit[u].add(v)
    out: Counter = Counter()
    for concepts in by_unit.values():
        for a, b in combinations(sorted(concepts), 2):
            out[(a, b)] += 1
    return out


def evidence_graph(G: nx.MultiDiGraph) -> nx.Graph:
    """Concepts, works, findings and focus groups, joined by what links them: the graph in
    which paths between concepts are sought. Made once for a graph that cannot change (see
    :func:`edges_of`), and frozen like it."""
    return _kept(G, "evidence-graph", lambda: nx.freeze(_evidence_graph(G)))


_EVIDENCE = ("concept", "work", "finding", "focus_group")


def _evidence_graph(G: nx.MultiDiGraph) -> nx.Graph:
    H = nx.Graph()
    type_of = node_types(G).__getitem__
    for u, v, k in _evidence_edges(G):  # in the graph's order, which the maps' layout follows
        tu, tv = type_of(u), type_of(v)
        if tu in _EVIDENCE and tv in _EVIDENCE:
            H.add_edge(u, v, kind=k)
            H.nodes[u]["type"], H.nodes[v]["type"] = tu, tv  # what a map chooses its nodes by
    return H


def _evidence_edges(G: nx.MultiDiGraph) -> Iterator[tuple[str, str, str]]:
    """The discusses and reports edges that may join two nodes of ``_EVIDENCE`` (source, target,
    kind), in the graph's order, as ``G.edges`` walks them, without walking the millions of
    other edges: the two kinds' lists (``edges_of``) are each in that order, and the few nodes
    with edges of both kinds (findings, which report their focus group and discuss concepts)
    have their edges taken from the graph itself, in its order, where they fall among the rest."""
    type_of = node_types(G).__getitem__
    both = {u for u, _, _ in edges_of(G, "reports")}
    discussed = [
        (u, v, "discusses") for u, v, _ in edges_of(G, "discusses") if type_of(u) in _EVIDENCE and u not in both
    ]
    if not both:
        yield from discussed
        return
    order = {n: i for i, n in enumerate(G)}
    edges = out_edges(G, both, ("discusses", "reports"))
    own = [(u, v, d["kind"]) for u in sorted(both, key=order.__getitem__) for _, v, d in edges[u]]
    yield from heapq.merge(discussed, own, key=lambda e: order[e[0]])


def concept_path(G: nx.MultiDiGraph, a: str, b: str, H: nx.Graph | None = None) -> list[str]:
    """A shortest path from concept ``a`` to concept ``b`` through works and findings
    (node ids); empty when there is none. Ties go to the path whose node ids sort first.

    >>> G = nx.MultiDiGraph()
    >>> for u, c in [("work:w", "ict"), ("work:w", "exclusion"), ("finding:f", "ict")]:
    ...     G.add_node(u, type=u.split(":")[0]); G.add_node(f"concept:{c}", type="concept")
    ...     _ = G.add_edge(u, f"concept:{c}", kind="discusses")
    >>> concept_path(G, "ict", "exclusion")
    ['concept:ict', 'work:w', 'concept:exclusion']
    """
    H = H if H is not None else evidence_graph(G)
    return concept_paths(G, [a], [b], H).get((a, b), [])


def concept_paths(
    G: nx.MultiDiGraph, sources: list[str], targets: list[str], H: nx.Graph | None = None
) -> dict[tuple[str, str], list[str]]:
    """:func:`concept_path` from every concept of ``sources`` to every other of ``targets``,
    by (from, to); pairs without a path are left out. One breadth-first search from each source
    serves all its targets, and no shortest path is listed but the one returned: of all the
    shortest paths, the one whose node ids sort first is walked to from the source, taking at
    each step the smallest next node that still lies on a shortest path to the target.

    >>> H = nx.Graph([("concept:a", "work:2"), ("concept:a", "work:1"), ("work:1", "concept:b"),
    ...               ("work:2", "concept:b")])
    >>> concept_paths(nx.MultiDiGraph(), ["a"], ["b"], H)
    {('a', 'b'): ['concept:a', 'work:1', 'concept:b']}
    """
    H = H if H is not None else evidence_graph(G)
    out: dict[tuple[str, str], list[str]] = {}
    # the concepts a search can reach: one concept alone would have every search walk it all
    wanted = {f"concept:{b}" for b in (*sources, *targets)} & set(H)
    part = {n: i for i, nodes in enumerate(nx.connected_components(H)) for n in nodes & wanted}
    adj = H._adj  # the neighbours as plain dicts: millions of lookups, each a view else
    for a in sources:
        s = f"concept:{a}"
        if s not in H:
            continue
        pred, dist = _predecessors(adj, s, {f"concept:{b}" for b in targets if part.get(f"concept:{b}") == part[s]})
        for b in targets:
            t = f"concept:{b}"
            if b == a or t not in dist:
                continue
            on_path, stack = {t}, [t]  # the nodes of every shortest path from s to t
            while stack:
                for u in pred[stack.pop()]:
                    if u not in on_path:
                        on_path.add(u)
                        stack.append(u)
            path = [s]
            while path[-1] != t:
                step, here = dist[path[-1]] + 1, adj[path[-1]]
                # the smallest next node on a shortest path: sought among the path's nodes or
                # the node's neighbours, whichever are fewer (a concept has thousands of works)
                pool = on_path if len(on_path) < len(here) else here
                path.append(min(v for v in pool if dist.get(v) == step and v in here and v in on_path))
            out[(a, b)] = path
    return out


def _predecessors(
    adj: dict[str, dict[str, Any]], source: str, targets: set[str]
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """``nx.predecessor(H, source, return_seen=True)`` of the graph whose adjacency is ``adj``
    (``H._adj``; a breadth-first search: each node's
    predecessors on shortest paths from ``source``, and its distance), the same lists in the same
    order, for the nodes no farther than the farthest of ``targets`` it reaches: the search stops
    once the level that reaches the last of them is done (a node's predecessors are all found
    when the level before it is). At 100,000 works a concept's paths to the others are two or
    three steps long; the whole search went on through every work.

    >>> H = nx.Graph([("concept:a", "work:1"), ("work:1", "concept:b"), ("concept:b", "work:2"), ("work:2", "concept:c")])
    >>> _predecessors(H._adj, "concept:a", {"concept:b"})
    ({'concept:a': [], 'work:1': ['concept:a'], 'concept:b': ['work:1']}, {'concept:a': 0, 'work:1': 1, 'concept:b': 2})
    """
    pred: dict[str, list[str]] = {source: []}
    dist = {source: 0}
    remaining = {t for t in targets if t in adj} - {source}
    level, here = 0, [source]
    while here and remaining:
        level += 1
        after = []
        for v in here:
            for w in adj[v]:
                if w not in dist:
                    pred[w] = [v]
                    dist[w] = level
                    after.append(w)
                elif dist[w] == level:
                    pred[w].append(v)
        remaining.difference_update(after)
        here = after
    return pred, dist


# ---------------------------------------------------------------------------------------------
# The map


MAP_TYPES = {"concept", "work", "finding", "focus_group", "document"}


def map_graph(
    G: nx.MultiDiGraph, concept: str | None = None, E: nx.Graph | None = None, rank: dict[str, float] | None = None
) -> nx.Graph:
    """The graph a map shows, each edge with its ``kind``.

    For the whole knowledge base: documents and the works they cite (``cites``) or only list in
    their reference list (``lists``: every citation of it is ambiguous or none was made), the
    focus groups a report names and the findings it states that discuss a concept (``contains``:
    their quote is in one of its passages; a finding on no concept is not drawn, the map being
    one of evidence on concepts), what findings report on (``reports``) and the concepts all of these
    discuss (``discusses``). A node is drawn only with an edge: nothing stands alone on the map. For one
    concept, its neighbourhood (works, findings, focus groups and related concepts within two
    steps of ``evidence_graph``). ``E`` is ``evidence_graph(G)`` when the caller has it already.
    With ``rank`` (the works' PageRank), a concept's neighbourhood larger than a map draws is cut
    to what ``kb.mapscale.central_subgraph`` keeps before it is copied: at 100,000 works it holds
    tens of thousands of nodes, of which a map draws 200.

    >>> G = nx.MultiDiGraph()
    >>> for n, t in [("document:d", "document"), ("passage:p", "passage"), ("finding:f", "finding"),
    ...              ("work:w", "work"), ("work:lone", "work"), ("concept:c", "concept")]:
    ...     G.add_node(n, type=t)
    >>> for u, v, k in [("document:d", "passage:p", "contains"), ("passage:p", "finding:f", "contains"),
    ...                 ("document:d", "work:w", "lists"), ("finding:f", "concept:c", "discusses")]:
    ...     _ = G.add_edge(u, v, kind=k)
    >>> sorted((u, v, k) for u, v, k in map_graph(G).edges(data="kind"))
    [('document:d', 'finding:f', 'contains'), ('document:d', 'work:w', 'lists'), ('finding:f', 'concept:c', 'discusses')]
    """
    H = nx.Graph()
    if concept is None:
        kind_of = node_types(G).__getitem__
        contains = edges_of(G, "contains")
        document_of = {v: u for u, v, _ in contains if kind_of(u) == "document"}
        # a document's many citations of one work are one edge: each pair added once, in the
        # order of its first citation (a million citations at 100,000 works)
        cited = dict.fromkeys((f"document:{d['document']}", v) for _, v, d in edges_of(G, "cites"))
        H.add_edges_from(cited, kind="cites")
        on_concept = {u for u, _, _ in edges_of(G, "discusses") if kind_of(u) == "finding"}

        def drawn(u: str, v: str) -> bool:  # a finding on no concept is not drawn
            return not (kind_of(u) == "finding" and u not in on_concept) and not (
                kind_of(v) == "finding" and v not in on_concept
            )

        # a pair has one kind of edge: cites before lists, and no other kind joins the same pair
        for u, v, _ in edges_of(G, "lists"):
            if not H.has_edge(u, v) and drawn(u, v):
                H.add_edge(u, v, kind="lists")
        for k in ("discusses", "reports"):
            for u, v, _ in edges_of(G, k):
                if kind_of(u) in MAP_TYPES and kind_of(v) in MAP_TYPES and drawn(u, v):
                    H.add_edge(u, v, kind=k)
        for u, v, _ in contains:
            if (
                kind_of(u) == "passage"
                and kind_of(v) in ("finding", "focus_group")
                and u in document_of
                and drawn(u, v)
            ):
                H.add_edge(document_of[u], v, kind="contains")
    else:
        E = E if E is not None else evidence_graph(G)
        centre = f"concept:{concept}"
        if centre not in E:
            H.add_node(centre)
        else:
            near = E.subgraph(nx.single_source_shortest_path_length(E, centre, cutoff=2))
            if rank is not None and near.number_of_nodes() > MAP_LIMIT:
                near = near.subgraph(central_nodes(near, rank, centre=centre))
            H = near.copy()
    for n in H.nodes:
        H.nodes[n].update({k: node_attrs(G, n).get(k) for k in ("type", "label", "ref")})
    return H


# ---------------------------------------------------------------------------------------------
# Every analysis as rows, for the store


def stored_rank(ranks: dict[str, float], work_id: str) -> float:
    """A work's PageRank as ``works.pagerank`` holds it: six decimals, 0 for a work no claim
    cites (what a full build and an update in place both write)."""
    return round(ranks.get(f"work:{work_id}", 0.0), 6)


def work_figures(G: nx.MultiDiGraph, work_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Times cited, citing passages, PageRank and the concepts cited for, by work id."""
    cited, citing, ranks = times_cited(G), citing_passages(G), citation_pagerank(G)
    cited_for = concepts_cited_for(G)
    figures = {}
    for work_id in work_ids:
        node = f"work:{work_id}"
        figures[work_id] = {
            "times_cited": cited.get(node, 0),
            "citing_passages": citing.get(node, 0),
            "pagerank": stored_rank(ranks, work_id),
            "cited_for": json.dumps(cited_for.get(node, [])),
        }
    return figures


def _refs(G: nx.MultiDiGraph) -> Any:
    # one lookup a row, of millions at 100,000 works; the dict made once a graph (see ``_kept``)
    if isinstance(G, EdgeLists):
        return G.refs.__getitem__
    return _kept(G, "refs", lambda: dict(G.nodes(data="ref"))).__getitem__


def pair_rows(G: nx.MultiDiGraph) -> dict[str, TupleRows]:
    """The rows of co_citations and bibliographic_coupling: the two largest tables (2.2 million
    co-citations at 100,000 works). The pairs are counted now; their rows are made by
    generators as the store writes them, never all held at once, as tuples (no dict a row).

    >>> G = nx.MultiDiGraph()
    >>> for w in ("a", "b"):
    ...     _ = G.add_node(f"work:{w}", ref=w)
    ...     _ = G.add_edge("claim:s1", f"work:{w}", kind="cites", group="g1", passage="p1", document="d1")
    >>> _ = G.add_node("document:d1", ref="d1")
    >>> rows = pair_rows(G)["co_citations"]
    >>> [dict(zip(rows.columns, row)) for row in rows.rows][0]
    {'work_a': 'a', 'work_b': 'b', 'level': 'parenthesis', 'weight': 1}
    """
    ref = _refs(G)
    cites = edges_of(G, "cites")
    # counted and sorted as numbers, each node's place among the nodes sorted, then named: the
    # same pairs in the same order as by their ids, without millions of pairs of strings to
    # hash and compare (at 100,000 works 2.2 million pairs)
    works = sorted({v for _, v, _ in cites})
    rank = dict(zip(works, range(len(works)), strict=True))
    levels = []
    for level in ("parenthesis", "sentence", "paragraph"):
        units: dict[str, set[int]] = defaultdict(set)
        attr = _LEVEL_ATTR[level]
        for u, v, d in cites:
            units[u if attr is None else d.get(attr, "")].add(rank[v])
        levels.append((level, _sorted_pairs(_pair_counts(units.values()))))
        units = None
    documents = sorted({d["document"] for _, _, d in cites})  # as their nodes sort: one prefix
    place = dict(zip(documents, range(len(documents)), strict=True))
    citing: dict[str, set[int]] = defaultdict(set)
    for _, v, d in cites:
        citing[v].add(place[d["document"]])
    coupled = _sorted_pairs(_pair_counts(citing.values()))
    citing = None
    work_refs, document_refs = [ref(w) for w in works], [ref(f"document:{d}") for d in documents]
    return {
        "co_citations": TupleRows(
            ("work_a", "work_b", "level", "weight"),
            ((work_refs[a], work_refs[b], level, w) for level, pairs in levels for (a, b), w in pairs),
        ),
        "bibliographic_coupling": TupleRows(
            ("document_a", "document_b", "shared_works"),
            ((document_refs[a], document_refs[b], n) for (a, b), n in coupled),
        ),
    }


def author_rows(G: nx.MultiDiGraph, authors: Iterable[dict[str, Any]]) -> dict[str, TupleRows]:
    """The rows of author_identities (with each person's co-authorship community) and
    coauthorships, as tuples (one a spelling of a name: 170,000 at 100,000 works)."""
    return _author_tables(author_identities(authors), coauthorship(G))


def author_rows_from_db(db: Any) -> dict[str, TupleRows]:
    """:func:`author_rows` of the graph :func:`build_graph` makes of a database's records, read
    from the database without the graph (a build makes them in the process that indexes the
    stored tables, while this one builds the graph): the same people from the same rows, and the
    works in the order the graph has them, the order they were stored in."""
    names = set(db.table_names())
    if not {"authors", "work_authors", "works"} <= names:
        return _author_tables({}, nx.Graph())
    authors = [
        dict(zip(("id", "family", "given", "display"), row, strict=True))
        for row in db.execute("select id, family, given, display from authors order by rowid")
    ]
    identity = author_identities(authors)
    authors_of: dict[str, set[str]] = defaultdict(set)
    for wid, aid, role in db.execute("select work_id, author_id, role from work_authors order by rowid"):
        if role == "author":
            authors_of[f"work:{wid}"].add(f"author:{identity[aid]['canonical']}")
    works = [f"work:{wid}" for (wid,) in db.execute("select id from works order by rowid")]
    return _author_tables(identity, _coauthorship(works, authors_of))


def _author_tables(identities: dict[str, dict[str, Any]], H: nx.Graph) -> dict[str, TupleRows]:
    def ref(node: str) -> str:
        return node.removeprefix("author:")  # an author node's ref is its person's id

    communities = author_communities(H)
    return {
        "author_identities": TupleRows(
            ("author_id", "person_id", "status", "spellings", "probably_same_as", "community"),
            [
                (
                    a,
                    info["canonical"],
                    info["status"],
                    json.dumps(info["spellings"], ensure_ascii=False),
                    json.dumps(info["probable"]),
                    communities.get(f"author:{info['canonical']}"),
                )
                for a, info in sorted(identities.items())
            ],
        ),
        "coauthorships": TupleRows(
            ("author_a", "author_b", "works"),
            [(ref(a), ref(b), d["weight"]) for a, b, d in sorted(H.edges(data=True))],
        ),
    }


def concept_rows(G: nx.MultiDiGraph, concepts: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The rows of concept_cooccurrence and concept_paths (every ordered pair of concepts)."""
    ref = _refs(G)
    found = concept_paths(G, concepts, concepts, evidence_graph(G))
    paths = []
    for a in concepts:
        for b in concepts:
            if a != b:
                path = found.get((a, b), [])
                paths.append(
                    {
                        "from_concept": a,
                        "to_concept": b,
                        "steps": len(path) - 1 if path else None,
                        "path": json.dumps(path),
                        "via": " → ".join(node_attrs(G, n)["label"] for n in path) or None,
                    }
                )
    return {
        "concept_cooccurrence": [
            {"concept_a": ref(a), "concept_b": ref(b), "shared": n}
            for (a, b), n in sorted(concept_cooccurrence(G).items())
        ],
        "concept_paths": paths,
    }
