"""Graphviz DOT text for the graph behind a tensor: ``print(ag.viz.to_dot(L))``.

Paste the text into any Graphviz viewer (or ``dot -Tsvg``) to get a picture like torchviz's;
nothing here needs Graphviz installed. Nodes carry the same words as :func:`~.draw.draw`
(``b = w1 * a``, value, grad) and colours; edges carry the local derivative.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from ..tensor import Tensor
from .draw import DEFAULT_SHOW, NODE_COLORS, edge_text, node_lines, node_title
from .trace import Graph, trace


def _quote(text: str) -> str:
    """A DOT string literal: backslashes and quotes escaped, lines joined with ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(output: Tensor | Graph | nx.DiGraph, show: Sequence[str] = DEFAULT_SHOW) -> str:
    """The graph as DOT text: left to right, one box per node, local derivatives on edges."""
    graph = trace(output) if isinstance(output, Tensor) else output
    g = graph.nx if isinstance(graph, Graph) else graph
    lines = [
        "digraph autograd {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans", fontsize=10];',
        '  edge [fontname="DejaVu Sans", fontsize=9, color="#64748b", fontcolor="#9a3412"];',
    ]
    for node, attrs in g.nodes(data=True):
        fill, border = NODE_COLORS.get(attrs.get("kind", "op"), NODE_COLORS["op"])
        label = "\n".join([node_title(node, attrs, limit=60), *node_lines(attrs, show)])
        lines.append(
            f"  {_quote(node)} [label={_quote(label)}, fillcolor={_quote(fill)}, "
            f"color={_quote(border)}];"
        )
    for source, target, attrs in g.edges(data=True):
        text = edge_text(attrs, limit=40) if "local" in show else None
        label = f" [label={_quote(text)}]" if text else ""
        lines.append(f"  {_quote(source)} -> {_quote(target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
