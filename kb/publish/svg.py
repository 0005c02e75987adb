"""The map as SVG: nodes placed at build time (table map_nodes), every node a link, each edge
drawn in the style of its kind (table map_edges)."""

from __future__ import annotations

from datasette.utils import tilde_encode
from markupsafe import escape

from kb.layout import FONT, RADIUS, baselines, circle, label_box, label_lines
from kb.publish import row_url

NODE_STYLE = {
    "concept": ("#d9480f", RADIUS["concept"]),
    "work": ("#1c7ed6", RADIUS["work"]),
    "document": ("#2b8a3e", RADIUS["document"]),
    "focus_group": ("#7048e8", RADIUS["focus_group"]),
    "finding": ("#e67700", RADIUS["finding"]),
}

# kind: (stroke, dash pattern, what the legend says)
EDGE_STYLE = {
    "cites": ("#868e96", "", "cites"),
    "lists": ("#868e96", "5 4", "in the reference list, no citation resolves to it"),
    "contains": ("#8ce99a", "", "stated in the report"),
    "reports": ("#b197fc", "", "finding on a focus group"),
    "discusses": ("#ffc078", "", "discusses"),
}


def node_url(datasette, database, node_type, ref):
    """The page of a map node: a concept's page, or the row of a work, document, focus group or finding."""
    if node_type == "concept":
        return datasette.urls.path(f"/-/concepts/{tilde_encode(ref)}")
    table = {"work": "works", "document": "documents", "focus_group": "focus_groups", "finding": "findings"}.get(
        node_type
    )
    return row_url(datasette, database, table, ref) if table else "#"


def legend(nodes: list[dict], edges: list[dict]) -> dict[str, list[tuple[str, tuple]]]:
    """The kinds of node and of edge a map draws, each with its style, in a fixed order: the
    legend names these and no other."""
    drawn = {n["node"] for n in nodes}
    node_kinds = {n["type"] for n in nodes}
    edge_kinds = {e.get("kind") for e in edges if e["source"] in drawn and e["target"] in drawn}
    return {
        "nodes": [(k, style) for k, style in NODE_STYLE.items() if k in node_kinds],
        "edges": [(k, style) for k, style in EDGE_STYLE.items() if k in edge_kinds],
    }


def render_svg(datasette, database, nodes, edges) -> str:
    pos = {n["node"]: (n["x"], n["y"]) for n in nodes}
    rise = {n["node"]: circle(n["label"], n["type"])[0] for n in nodes}
    box = {n["node"]: label_box(n["label"], n["type"]) for n in nodes}
    min_x = min((x - box[k][0] / 2 for k, (x, _) in pos.items()), default=0) - 10
    max_x = max((x + box[k][0] / 2 for k, (x, _) in pos.items()), default=0) + 10
    min_y = min((y - rise[k] for k, (_, y) in pos.items()), default=0) - 20
    max_y = max((y + box[k][1] / 2 for k, (_, y) in pos.items()), default=0) + 10
    vw, vh = max_x - min_x, max_y - min_y
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kb-map" viewBox="{min_x:.0f} {min_y:.0f} {vw:.0f} {vh:.0f}" '
        f'width="{vw:.0f}" style="max-width: 100%; height: auto" role="img" aria-label="map">',
        '<g class="kb-edges" stroke-width="1.2" opacity="0.7">',
    ]
    for e in edges:
        if e["source"] in pos and e["target"] in pos:
            (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
            y1, y2 = y1 - rise[e["source"]], y2 - rise[e["target"]]  # from circle to circle
            kind = e.get("kind") or ""
            stroke, dash, _ = EDGE_STYLE.get(kind, ("#adb5bd", "", ""))
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(
                f'<line class="kb-edge" data-kind="{escape(kind)}" data-source="{escape(e["source"])}" '
                f'data-target="{escape(e["target"])}" x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" '
                f'stroke="{stroke}"{dashed}/>'
            )
    out.append('</g><g class="kb-nodes">')
    for n in nodes:
        colour, radius = NODE_STYLE.get(n["type"], ("#495057", 5))
        size = FONT.get(n["type"], 11)
        url = node_url(datasette, database, n["type"], n["ref"])
        x, y = n["x"], n["y"]
        lines = "".join(
            f'<tspan x="{x}" y="{y + dy:.1f}">{escape(line)}</tspan>'
            for line, dy in zip(label_lines(n["label"]), baselines(n["label"], n["type"]), strict=True)
        )
        out.append(
            f'<a href="{escape(url)}" class="kb-node kb-{escape(n["type"] or "")}" data-node="{escape(n["node"])}" '
            f'data-kind="{escape(n["type"] or "")}">'
            f"<title>{escape(n['label'])}</title>"
            f'<circle cx="{x}" cy="{y - rise[n["node"]]:.1f}" r="{radius}" fill="{colour}"/>'
            f'<text class="kb-label" font-size="{size}" text-anchor="middle" '
            f'font-family="DejaVu Sans, Arial, sans-serif" fill="#212529">{lines}</text></a>'
        )
    out.append("</g></svg>")
    return "\n".join(out)
