"""The map as SVG: nodes placed at build time (table map_nodes), every node a link."""

from __future__ import annotations

from datasette.utils import tilde_encode
from markupsafe import escape

from kb.publish import row_url

NODE_STYLE = {
    "concept": ("#d9480f", 9),
    "work": ("#1c7ed6", 5),
    "document": ("#2b8a3e", 8),
    "focus_group": ("#7048e8", 7),
    "finding": ("#e67700", 5),
}


def node_url(datasette, database, node_type, ref):
    """The page of a map node: a concept's page, or the row of a work, document, focus group or finding."""
    if node_type == "concept":
        return datasette.urls.path(f"/-/concepts/{tilde_encode(ref)}")
    table = {"work": "works", "document": "documents", "focus_group": "focus_groups", "finding": "findings"}.get(
        node_type
    )
    return row_url(datasette, database, table, ref) if table else "#"


def render_svg(datasette, database, nodes, edges) -> str:
    from kb.layout import FONT, label_box

    pos = {n["node"]: (n["x"], n["y"]) for n in nodes}
    half = {n["node"]: label_box(n["label"], n["type"])[0] / 2 for n in nodes}
    min_x = min((x - half[k] for k, (x, _) in pos.items()), default=0) - 10
    max_x = max((x + half[k] for k, (x, _) in pos.items()), default=0) + 10
    min_y = min((y for _, y in pos.values()), default=0) - 30
    max_y = max((y for _, y in pos.values()), default=0) + 30
    vw, vh = max_x - min_x, max_y - min_y
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kb-map" viewBox="{min_x:.0f} {min_y:.0f} {vw:.0f} {vh:.0f}" '
        f'width="{vw:.0f}" style="max-width: 100%; height: auto" role="img" aria-label="map">',
        '<g class="kb-edges" stroke="#adb5bd" stroke-width="1" opacity="0.7">',
    ]
    for e in edges:
        if e["source"] in pos and e["target"] in pos:
            (x1, y1), (x2, y2) = pos[e["source"]], pos[e["target"]]
            out.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>')
    out.append('</g><g class="kb-nodes">')
    for n in nodes:
        colour, radius = NODE_STYLE.get(n["type"], ("#495057", 5))
        size = FONT.get(n["type"], 11)
        url = node_url(datasette, database, n["type"], n["ref"])
        x, y = n["x"], n["y"]
        out.append(
            f'<a href="{escape(url)}" class="kb-node kb-{escape(n["type"] or "")}" data-node="{escape(n["node"])}">'
            f"<title>{escape(n['label'])}</title>"
            f'<circle cx="{x}" cy="{y - size * 0.9:.1f}" r="{radius}" fill="{colour}"/>'
            f'<text class="kb-label" x="{x}" y="{y + size * 0.45:.1f}" font-size="{size}" text-anchor="middle" '
            f'font-family="DejaVu Sans, Arial, sans-serif" fill="#212529">{escape(n["label"])}</text></a>'
        )
    out.append("</g></svg>")
    return "\n".join(out)
