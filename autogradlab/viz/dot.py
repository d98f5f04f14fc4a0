"""Graphviz DOT text for the graph behind a tensor: ``print(ag.viz.to_dot(L))``.

Paste the text into any Graphviz viewer (or ``dot -Tsvg``) to get a picture like torchviz's;
nothing here needs Graphviz installed. Nodes carry the same words as :func:`~.draw.draw`
(``b = w1 * a``, value, gradient) and colours, all from :mod:`.words`; edges carry the local
derivative. A note saying whose gradients are shown (see :attr:`.Graph.note`) is the label.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from ..tensor import Tensor
from . import words
from .draw import DEFAULT_SHOW
from .trace import Graph, trace
from .transforms import as_graph


def _quote(text: str) -> str:
    """A DOT string literal: backslashes and quotes escaped, lines joined with ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(output: Tensor | Graph | nx.DiGraph, show: Sequence[str] = DEFAULT_SHOW) -> str:
    """The graph as DOT text: left to right, one box per node, local derivatives on edges."""
    graph = as_graph(trace(output) if isinstance(output, Tensor) else output)
    g = graph.nx
    lines = [
        "digraph autograd {",
        "  rankdir=LR;",
        f'  node [shape=box, style="rounded,filled", fontname="{words.FONT}", fontsize=10];',
        f'  edge [fontname="{words.FONT}", fontsize=9, color="{words.COLORS["edge"]}", '
        f'fontcolor="{words.COLORS["local"]}"];',
    ]
    if graph.note:
        lines.append(f"  labelloc=t; label={_quote(graph.note)};")
    for node, attrs in g.nodes(data=True):
        fill, border = words.NODE_COLORS.get(attrs.get("kind", "op"), words.NODE_COLORS["op"])
        label = "\n".join([words.title(node, attrs),
                           *words.node_lines(graph.output, node, attrs, tuple(show))])
        lines.append(
            f"  {_quote(node)} [label={_quote(label)}, fillcolor={_quote(fill)}, "
            f"color={_quote(border)}];"
        )
    for source, target, attrs in g.edges(data=True):
        text = words.edge_label(attrs) if "local" in show else None
        label = f" [label={_quote(text)}]" if text else ""
        lines.append(f"  {_quote(source)} -> {_quote(target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"
