"""Map layout: positions for the nodes of a map (``kb.graph.map_graph``), in rings, with the
boxes of nodes kept apart so that no label overlaps another label or another node's circle. Its own module: the analyses of the graph live
in ``kb/graph.py``, the drawing in ``kb/publish/svg.py``."""

from __future__ import annotations

import math
import textwrap
from collections import Counter

import networkx as nx

from kb.mapscale import separate

RING_ORDER = {"concept": 0, "work": 1, "finding": 1, "focus_group": 2, "document": 2}


def canonical(H: nx.Graph) -> nx.Graph:
    """``H`` with its nodes and edges inserted in sorted order. A graph built from sets holds them
    in an order that changes with PYTHONHASHSEED, and the spring layout and every sum over
    neighbours follow that order: the same sources would give different maps."""
    C = nx.Graph()
    C.add_nodes_from(sorted(H.nodes(data=True), key=lambda nd: nd[0]))
    C.add_edges_from(sorted(((min(u, v), max(u, v)) for u, v in H.edges()), key=lambda e: e))
    return C


def layout(H: nx.Graph, centre: str | None = None) -> dict[str, tuple[float, float]]:
    """Positions for a map, in rings so that labels can be read.

    With a ``centre`` (a concept's neighbourhood) the rings are the distance from it; without,
    concepts form the inner ring, works and findings the next, focus groups and documents the
    outer one. Within a ring, a node sits at the mean angle of its neighbours on inner rings, and
    the ring is spaced evenly in that order, with a radius long enough for its labels. A last
    pass pushes apart any two node boxes (label and circle, ``node_box``) that still overlap.
    A position is the centre of the node's label; its circle is drawn above it.
    """
    if H.number_of_nodes() == 0:
        return {}
    H = canonical(H)
    if centre is not None and centre in H:
        dist = nx.single_source_shortest_path_length(H, centre)
        ring = {n: dist.get(n, max(dist.values()) + 1) for n in H.nodes}
    else:
        ring = {n: RING_ORDER.get(H.nodes[n].get("type"), 2) for n in H.nodes}
    boxes = {n: label_box(H.nodes[n].get("label") or n, H.nodes[n].get("type")) for n in H.nodes}
    whole = {n: node_box(H.nodes[n].get("label") or n, H.nodes[n].get("type")) for n in H.nodes}
    angle: dict[str, float] = {}
    pos: dict[str, list[float]] = {}
    radius = 0.0
    for r in sorted(set(ring.values())):
        members = sorted(n for n in H.nodes if ring[n] == r)
        if r == 0 and len(members) == 1:
            pos[members[0]] = [0.0, 0.0]
            angle[members[0]] = 0.0
            continue
        wanted = {}
        for i, n in enumerate(members):
            inner = [angle[m] for m in H.neighbors(n) if m in angle]
            if inner:
                wanted[n] = math.atan2(sum(math.sin(a) for a in inner), sum(math.cos(a) for a in inner)) % (2 * math.pi)
            else:
                wanted[n] = 2 * math.pi * i / len(members)
        if r == min(ring.values()) and centre is None:
            order = _spectral_order(H, members)
        else:
            order = sorted(members, key=lambda n: (wanted[n], n))
        need = sum(max(boxes[n][1] * 1.6, boxes[n][0] * 0.75) for n in order)
        radius = max(radius + 150, need / (2 * math.pi), 120)
        start = wanted[order[0]] if order and centre is not None else 0.0
        for k, n in enumerate(order):
            a = start + 2 * math.pi * k / len(order)
            angle[n] = a % (2 * math.pi)
            pos[n] = [radius * math.cos(a), radius * math.sin(a)]
    # kb.mapscale: only boxes in neighbouring grid cells are compared
    separate(pos, {n: (w, h) for n, (w, h, _) in whole.items()}, rise={n: dy for n, (_, _, dy) in whole.items()})
    return {n: (round(x, 1), round(y, 1)) for n, (x, y) in sorted(pos.items())}


def _spectral_order(H: nx.Graph, members: list[str]) -> list[str]:
    """An order for the inner ring that keeps related nodes near each other: their angles in a
    seeded spring layout of the whole map."""
    pos = nx.spring_layout(H, seed=1, iterations=100)
    return sorted(members, key=lambda n: (math.atan2(pos[n][1], pos[n][0]), n))


FONT = {"concept": 15, "document": 13, "work": 11, "focus_group": 12, "finding": 11}
RADIUS = {"concept": 9, "document": 8, "work": 5, "focus_group": 7, "finding": 5}
CIRCLE_RISE = 0.9  # the circle's centre above the first line of its label, in em of the label's font
LINE = 1.2  # the distance between two lines of a label, in em
LINE_CHARS = 24  # a longer label is broken into lines at spaces


def label_lines(label: str) -> list[str]:
    """A label as the lines it is drawn in: broken at spaces or after hyphens past ``LINE_CHARS``
    characters, so that a long title, focus group or finding makes a block, not a line across
    the map.

    >>> label_lines("employees of the United State and Municipal Client Service Centres")
    ['employees of the United', 'State and Municipal', 'Client Service Centres']
    >>> label_lines("participant-surveys-basis-of-results")
    ['participant-surveys-', 'basis-of-results']
    >>> label_lines("Pestoff 2012a")
    ['Pestoff 2012a']
    """
    return textwrap.wrap(label, LINE_CHARS, break_long_words=False) or [label]


def label_box(label: str, kind: str | None) -> tuple[float, float]:
    """Width and height of a label at its font size (0.6 em a character, generous), all its
    lines; its centre is the node's position."""
    size = FONT.get(kind or "", 11)
    lines = label_lines(label)
    return max(len(line) for line in lines) * size * 0.6 + 8, size * 1.4 + (len(lines) - 1) * size * LINE


def baselines(label: str, kind: str | None) -> list[float]:
    """Where each line of a label is written, below (+) or above (-) the node's position."""
    size = FONT.get(kind or "", 11)
    n = len(label_lines(label))
    return [round(size * (0.45 + LINE * (i - (n - 1) / 2)), 1) for i in range(n)]


def circle(label: str, kind: str | None) -> tuple[float, float]:
    """How far above its label's centre a node's circle is centred, and its radius."""
    size = FONT.get(kind or "", 11)
    n = len(label_lines(label))
    return CIRCLE_RISE * size + (n - 1) * size * LINE / 2, RADIUS.get(kind or "", 5)


def node_box(label: str, kind: str | None) -> tuple[float, float, float]:
    """The box holding a node's label and its circle: width, height, and how far its centre is
    above the label's centre. Two nodes whose boxes do not overlap have neither a label on the
    other's circle nor two labels on each other.

    >>> node_box("ICT", "concept")
    (35.0, 33.0, 6.0)
    """
    w, h = label_box(label, kind)
    rise, r = circle(label, kind)
    top, bottom = max(h / 2, rise + r), h / 2
    return max(w, 2 * r), top + bottom, (top - bottom) / 2


def map_rows(G: nx.MultiDiGraph, concepts: list[str]) -> dict[str, list[dict]]:
    """The maps laid out, as rows of map_nodes and map_edges: the whole knowledge base ("all")
    and each concept's neighbourhood."""
    from kb.graph import citation_pagerank, evidence_graph, map_graph
    from kb.mapscale import central_subgraph

    E, ranks = evidence_graph(G), citation_pagerank(G)  # shared by every map, made once
    nodes, edges = [], []
    for name, concept in [("all", None)] + [(c, c) for c in concepts]:
        centre = f"concept:{concept}" if concept else None
        M = central_subgraph(map_graph(G, concept, E, ranks), ranks, centre=centre)
        labels = distinct_labels(M)
        for n in M.nodes:
            M.nodes[n]["label"] = labels[n]
        pos = layout(M, centre)
        for n in sorted(M.nodes):
            nodes.append(
                {
                    "map": name,
                    "node": n,
                    "type": M.nodes[n].get("type"),
                    "ref": M.nodes[n].get("ref"),
                    "label": labels[n],
                    "x": pos[n][0],
                    "y": pos[n][1],
                }
            )
        for u, v in sorted(tuple(sorted(e)) for e in M.edges):
            edges.append({"map": name, "source": u, "target": v, "kind": M.edges[u, v].get("kind")})
    return {"map_nodes": nodes, "map_edges": edges}


def distinct_labels(M: nx.Graph) -> dict[str, str]:
    """Each node's label, with its reference in brackets where two nodes of the map would
    otherwise read the same (works by the same authors in the same year already carry APA's
    2012a/2012b from the graph).

    >>> M = nx.Graph()
    >>> M.add_nodes_from([("work:a", {"label": "Smith et al. 2010", "ref": "a"}), ("work:b", {"label": "Smith et al. 2010", "ref": "b"}), ("c", {})])
    >>> distinct_labels(M)
    {'work:a': 'Smith et al. 2010 (a)', 'work:b': 'Smith et al. 2010 (b)', 'c': 'c'}
    """
    labels = {n: M.nodes[n].get("label") or n for n in M.nodes}
    count = Counter(labels.values())
    return {n: f"{label} ({M.nodes[n].get('ref') or n})" if count[label] > 1 else label for n, label in labels.items()}
