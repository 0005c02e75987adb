"""Maps of a large knowledge base: which nodes a map draws, and how label boxes are kept apart
at a cost that grows with the nodes drawn, not with their square.

A map of 100,000 works cannot be read anyway: past ``MAP_LIMIT`` nodes a map keeps its concepts
and focus groups, the most central works (PageRank over the citations) and the documents and
findings most linked to what it keeps. Below the limit every node is drawn, as before.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

MAP_LIMIT = 200
ALWAYS = ("concept", "focus_group")


def central_subgraph(M: Any, rank: dict[str, float], limit: int = MAP_LIMIT, centre: str | None = None) -> Any:
    """``M`` itself when it has at most ``limit`` nodes; else the subgraph of the nodes to draw:
    ``centre``, concepts and focus groups, then works by PageRank (``rank``, ties by id) for
    three quarters of the room left, then the other nodes by how many kept nodes they link to.

    >>> import networkx as nx
    >>> M = nx.Graph()
    >>> M.add_node("concept:c", type="concept")
    >>> for i in range(5):
    ...     M.add_node(f"work:{i}", type="work"); M.add_edge("concept:c", f"work:{i}")
    >>> sorted(central_subgraph(M, {"work:3": 0.5, "work:1": 0.4}, limit=3).nodes)
    ['concept:c', 'work:1', 'work:3']
    """
    if M.number_of_nodes() <= limit:
        return M
    return M.subgraph(central_nodes(M, rank, limit, centre)).copy()


def central_nodes(M: Any, rank: dict[str, float], limit: int = MAP_LIMIT, centre: str | None = None) -> list[str]:
    """The nodes :func:`central_subgraph` keeps of ``M`` (any graph whose nodes carry their
    ``type``, a view included), in the order it chooses them."""
    kind = {n: M.nodes[n].get("type") for n in M.nodes}
    keep = sorted(n for n in M.nodes if kind[n] in ALWAYS or n == centre)
    room = max(limit - len(keep), 0)
    works = sorted((n for n in M.nodes if kind[n] == "work" and n not in keep), key=lambda n: (-rank.get(n, 0.0), n))
    others = [n for n in M.nodes if kind[n] not in ALWAYS and kind[n] != "work" and n != centre]
    take = min(len(works), max(room * 3 // 4, room - len(others)))
    keep += works[:take]
    kept = set(keep)
    linked = sorted(others, key=lambda n: (-sum(1 for m in M.neighbors(n) if m in kept), -M.degree(n), n))
    keep += linked[: max(limit - len(keep), 0)]
    return keep


def separate(
    pos: dict[str, list[float]],
    boxes: dict[str, tuple[float, float]],
    rounds: int = 500,
    rise: dict[str, float] | None = None,
) -> None:
    """Push apart boxes that overlap (in place), comparing each node only with the nodes
    in its own and the eight neighbouring cells of a grid whose cells are as large as the
    largest box: two boxes farther apart than that cannot overlap. Pairs are taken in the same
    order as a scan of all pairs would take them, so the outcome is deterministic. A box is
    centred on its node's position, or ``rise[node]`` above it (a label with its circle)."""
    nodes = sorted(pos)
    if len(nodes) < 2:
        return
    if rise:  # work on the boxes' centres, then move the positions back under them
        centres = {n: [pos[n][0], pos[n][1] - rise.get(n, 0.0)] for n in nodes}
        separate(centres, boxes, rounds)
        for n in nodes:
            pos[n][0], pos[n][1] = centres[n][0], centres[n][1] + rise.get(n, 0.0)
        return
    cell_w = max(w for w, _ in boxes.values()) + 6
    cell_h = max(h for _, h in boxes.values()) + 4
    for _ in range(rounds):
        grid: dict[tuple[int, int], list[int]] = defaultdict(list)
        cells = []
        for i, n in enumerate(nodes):
            cell = (math.floor(pos[n][0] / cell_w), math.floor(pos[n][1] / cell_h))
            cells.append(cell)
            grid[cell].append(i)
        moved = False
        for i, a in enumerate(nodes):
            cx, cy = cells[i]
            near = sorted(
                j for gx in (cx - 1, cx, cx + 1) for gy in (cy - 1, cy, cy + 1) for j in grid.get((gx, gy), ()) if j > i
            )
            for j in near:
                b = nodes[j]
                (wa, ha), (wb, hb) = boxes[a], boxes[b]
                dx = pos[b][0] - pos[a][0]
                dy = pos[b][1] - pos[a][1]
                overlap_x = (wa + wb) / 2 + 6 - abs(dx)
                overlap_y = (ha + hb) / 2 + 4 - abs(dy)
                if overlap_x > 0 and overlap_y > 0:
                    moved = True
                    if overlap_y < overlap_x:
                        shift = overlap_y / 2 + 0.5
                        sign = 1 if dy >= 0 else -1
                        pos[a][1] -= sign * shift
                        pos[b][1] += sign * shift
                    else:
                        shift = overlap_x / 2 + 0.5
                        sign = 1 if dx >= 0 else -1
                        pos[a][0] -= sign * shift
                        pos[b][0] += sign * shift
        if not moved:
            return
