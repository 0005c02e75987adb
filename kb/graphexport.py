"""The citation graph written as GraphML, GEXF (both open in Gephi) or node-link JSON, streamed:
each node and edge is written as it is read from the graph, with nothing else held.

networkx's writers hold the whole file (its GEXF writer an element tree of the whole graph, its
JSON a dict of it), and the graph had to be copied first to drop the attributes they cannot
write. At 16,000 works (160,000 nodes, 610,000 edges) ``kb graph`` took 17-34 s and 1.3-2.7 GB;
at 100,000 works the GEXF would have needed some 16 GB. These write what networkx's writers
write for kb's graphs, as networkx's readers read it back (``tests/test_graph.py`` compares
them): the same scalar attributes (str, int, float, bool; a list or None is left out, as
before), GraphML keys by name, type and scope, GEXF's node ``label``, edge ``weight`` and
multigraph key (``networkx_key``) where networkx puts them, node-link JSON as
``nx.node_link_data(G, edges="links")`` gives it, one node or link a line.

Characters XML 1.0 cannot hold (control characters other than tab and line breaks) are written as
U+FFFD in GraphML and GEXF; JSON holds them as they are.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

import networkx as nx

FORMATS = ("graphml", "gexf", "json")

_SCALAR = (str, int, float, bool)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_IN_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# in an attribute a line break or tab is written as a character reference: a reader would
# otherwise read each as a space
_IN_ATTRIBUTE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
)


def write_graph(G: nx.MultiDiGraph, fmt: str, out: TextIO) -> None:
    """Write ``G``, a directed multigraph as :func:`kb.graph.build_graph` makes it, to ``out`` as
    ``fmt``: one of :data:`FORMATS`."""
    if fmt == "graphml":
        _graphml(G, out)
    elif fmt == "gexf":
        _gexf(G, out)
    elif fmt == "json":
        _node_link(G, out)
    else:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")


def _scalars(data: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    return ((k, v) for k, v in data.items() if isinstance(v, _SCALAR))


def _xml_str(value: Any) -> str:
    text = str(value)
    return _NOT_XML.sub("\ufffd", text) if _NOT_XML.search(text) else text


def _text(value: Any) -> str:
    return _xml_str(value).translate(_IN_TEXT)


def _attr(value: Any) -> str:
    return _xml_str(value).translate(_IN_ATTRIBUTE)


# GraphML's and GEXF's names of Python's scalar types (a bool is an int in Python: asked first)
def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "string"


def _float_text(value: float) -> str:
    """A float as networkx's GEXF writer writes it (INF, -INF, NaN)."""
    text = str(value)
    return {"inf": "INF", "-inf": "-INF", "nan": "NaN"}.get(text, text)


# ---------------------------------------------------------------------------------------------
# GraphML


def _graphml(G: nx.MultiDiGraph, out: TextIO) -> None:
    # keys first, as GraphML has them: one for each name, type and scope met (networkx's rule)
    keys: dict[tuple[str, str, str], str] = {}
    for scope, items in (("node", (d for _, d in G.nodes(data=True))), ("edge", (d for *_, d in G.edges(data=True)))):
        for data in items:
            for k, v in _scalars(data):
                if (scope, k, _type_name(v)) not in keys:
                    keys[(scope, k, _type_name(v))] = f"d{len(keys)}"
    write = out.write
    write(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
        'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n'
    )
    for (scope, name, kind), key in keys.items():
        write(f'<key id="{key}" for="{scope}" attr.name="{_attr(name)}" attr.type="{kind}"/>\n')
    write('<graph edgedefault="directed">\n')

    def data(scope: str, values: dict[str, Any]) -> str:
        return "".join(
            f'  <data key="{keys[(scope, k, _type_name(v))]}">{_text(v)}</data>\n' for k, v in _scalars(values)
        )

    for n, d in G.nodes(data=True):
        write(f'<node id="{_attr(n)}">\n{data("node", d)}</node>\n')
    for u, v, k, d in G.edges(keys=True, data=True):
        write(f'<edge source="{_attr(u)}" target="{_attr(v)}" id="{_attr(k)}">\n{data("edge", d)}</edge>\n')
    write("</graph>\n</graphml>\n")


# ---------------------------------------------------------------------------------------------
# GEXF 1.2

# what networkx's GEXF writer puts on a node's or an edge's own element, not among its values
_NODE_OWN = ("id", "label")
_EDGE_OWN = ("id", "label", "weight", "type")


def _gexf_values(data: dict[str, Any], own: tuple[str, ...], key: Any = None) -> Iterator[tuple[str, Any]]:
    """A node's or an edge's values, and an edge's multigraph ``key`` under networkx's name for it."""
    yield from ((k, v) for k, v in _scalars(data) if k not in own)
    if key is not None:
        yield "networkx_key", key


def _gexf(G: nx.MultiDiGraph, out: TextIO) -> None:
    # each attribute's id by its class and title, typed by its first value (networkx's rule)
    ids: dict[str, dict[str, tuple[str, str]]] = {"node": {}, "edge": {}}
    count = 0
    for cls, items in (
        ("node", ((d, None) for _, d in G.nodes(data=True))),
        ("edge", ((d, k) for *_, k, d in G.edges(keys=True, data=True))),
    ):
        own = _NODE_OWN if cls == "node" else _EDGE_OWN
        for data, key in items:
            for k, v in _gexf_values(data, own, key):
                if k not in ids[cls]:
                    ids[cls][k] = (str(count), _type_name(v))
                    count += 1
    write = out.write
    write(
        "<?xml version='1.0' encoding='utf-8'?>\n"
        '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
        f'  <meta lastmodifieddate="{datetime.date.today().isoformat()}">\n'
        "    <creator>kb</creator>\n"
        "  </meta>\n"
        '  <graph defaultedgetype="directed" mode="static" name="">\n'
    )
    for cls in ("edge", "node"):
        if ids[cls]:
            write(f'    <attributes mode="static" class="{cls}">\n')
            for title, (i, kind) in ids[cls].items():
                write(f'      <attribute id="{i}" title="{_attr(title)}" type="{kind}" />\n')
            write("    </attributes>\n")

    def values(cls: str, items: Iterator[tuple[str, Any]]) -> str:
        parts = []
        for k, v in items:
            if isinstance(v, bool):
                text = str(v).lower()
            elif isinstance(v, float):
                text = _float_text(v)
            else:
                text = _attr(v)
            parts.append(f'          <attvalue for="{ids[cls][k][0]}" value="{text}" />\n')
        return f"        <attvalues>\n{''.join(parts)}        </attvalues>\n" if parts else ""

    write("    <nodes>\n")
    node_id = {}
    for n, d in G.nodes(data=True):
        node_id[n] = _attr(d["id"]) if "id" in d else _attr(n)
        label = _attr(d["label"]) if "label" in d else _attr(n)
        write(f'      <node id="{node_id[n]}" label="{label}">\n')
        write(values("node", _gexf_values(d, _NODE_OWN)))
        write("      </node>\n")
    write("    </nodes>\n    <edges>\n")
    running = 0
    for u, v, k, d in G.edges(keys=True, data=True):
        if "id" in d:
            eid = _attr(d["id"])
        else:
            eid, running = str(running), running + 1
        own = "".join(f' {name}="{_attr(d[name])}"' for name in ("label", "weight", "type") if name in d)
        write(f'      <edge source="{node_id[u]}" target="{node_id[v]}" id="{eid}"{own}>\n')
        write(values("edge", _gexf_values(d, _EDGE_OWN, k)))
        write("      </edge>\n")
    write("    </edges>\n  </graph>\n</gexf>\n")


# ---------------------------------------------------------------------------------------------
# node-link JSON


def _node_link(G: nx.MultiDiGraph, out: TextIO) -> None:
    """``nx.node_link_data(G, edges="links")`` with its keys sorted, one node or link a line."""

    def line(item: dict[str, Any]) -> str:
        return json.dumps(item, ensure_ascii=False, sort_keys=True)

    write = out.write
    # no graph attributes: the graph holds none of its own, only what analyses keep on it
    write('{"directed": true, "graph": {}, "links": [\n')
    first = True
    for u, v, k, d in G.edges(keys=True, data=True):
        write(("" if first else ",\n") + line({**dict(_scalars(d)), "source": u, "target": v, "key": k}))
        first = False
    write('\n], "multigraph": true, "nodes": [\n')
    first = True
    for n, d in G.nodes(data=True):
        write(("" if first else ",\n") + line({**dict(_scalars(d)), "id": n}))
        first = False
    write("\n]}\n")
