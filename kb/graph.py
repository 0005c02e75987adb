"""The citation graph (networkx) and its analyses, as plain functions of the graph.

Nodes are typed ("document", "passage", "work", "author", "concept", "finding"); edges carry a
``kind``: contains, cites, authored-by, discusses, reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import networkx as nx


def build_graph(documents: Iterable[Any], works: Iterable[Any], citations: Iterable[Any],
                links: Iterable[Any], findings: Iterable[dict[str, Any]] = ()) -> nx.MultiDiGraph:
    """One graph of the knowledge base. Ambiguous and missing citations add no edge."""
    G = nx.MultiDiGraph()
    for doc in documents:
        G.add_node(f"document:{doc.id}", type="document", label=doc.title)
        for p in doc.passages:
            G.add_node(f"passage:{p.id}", type="passage", label=p.id)
            G.add_edge(f"document:{doc.id}", f"passage:{p.id}", kind="contains")
    for w in works:
        G.add_node(f"work:{w.id}", type="work", label=w.csl.get("title", w.id))
        for a in w.authors:
            name = a.get("literal") or f"{a.get('family', '')}, {a.get('given', '')}".strip(", ")
            G.add_node(f"author:{name}", type="author", label=name)
            G.add_edge(f"work:{w.id}", f"author:{name}", kind="authored-by")
    for c in citations:
        if c.work_id and c.passage_id:
            G.add_edge(f"passage:{c.passage_id}", f"work:{c.work_id}", kind="cites", citation=c.id)
    for f in findings:
        G.add_node(f"finding:{f['id']}", type="finding", label=f["id"])
    for link in links:
        G.add_node(f"concept:{link.concept_id}", type="concept", label=link.concept_id)
        prefix = {"passages": "passage", "works": "work", "findings": "finding"}.get(link.target_table)
        if prefix:
            G.add_edge(f"{prefix}:{link.target_id}", f"concept:{link.concept_id}", kind="discusses")
    return G


def times_cited(G: nx.MultiDiGraph) -> Counter:
    """How many resolved citations point at each work node.

    >>> G = nx.MultiDiGraph()
    >>> G.add_edge("passage:a", "work:x", kind="cites"); G.add_edge("passage:b", "work:x", kind="cites")
    0
    0
    >>> times_cited(G)["work:x"]
    2
    """
    return Counter(v for _, v, k in G.edges(data="kind") if k == "cites")


def citing_passages(G: nx.MultiDiGraph) -> Counter:
    """How many distinct passages cite each work node."""
    pairs = {(u, v) for u, v, k in G.edges(data="kind") if k == "cites"}
    return Counter(v for _, v in pairs)


def citation_pagerank(G: nx.MultiDiGraph, alpha: float = 0.85) -> dict[str, float]:
    """PageRank of works over the cites edges (passages -> works)."""
    H = nx.DiGraph()
    H.add_nodes_from(n for n, t in G.nodes(data="type") if t == "work")
    for u, v, k in G.edges(data="kind"):
        if k == "cites":
            w = H[u][v]["weight"] + 1 if H.has_edge(u, v) else 1
            H.add_edge(u, v, weight=w)
    if H.number_of_nodes() == 0:
        return {}
    ranks = nx.pagerank(H, alpha=alpha, weight="weight")
    return {n: r for n, r in ranks.items() if n.startswith("work:")}
