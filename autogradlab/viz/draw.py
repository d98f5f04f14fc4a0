"""A static picture of the graph behind a tensor: ``ag.viz.draw(L)``.

Like torchviz's ``make_dot``, but meant to be read by a learner: each node is a box that says what
it is (``b = w1 * a``), its value and the gradient the engine gave it; each edge carries the local
derivative d(target)/d(source) that backpropagation multiplies by. Leaves, operations and the
output have their own colours (:data:`NODE_COLORS`).

How it stays fast and tidy:

* All node boxes are one ``PatchCollection``; all edges one ``LineCollection`` plus one scatter of
  arrowheads. Only the words are separate artists (about 0.75 ms each), two per node and one per
  edge, so a 60-node picture draws in well under a second.
* Every edge leaves a box on its right side and enters the next on its left, horizontally, so all
  arrowheads point right and can share one marker; inputs of one operation enter it at separate
  heights, the first input on top (``w3 * b`` reads top to bottom).
* Big graphs are never drawn as a hairball: beyond ``max_nodes`` the picture collapses each
  ``nn.Module`` call into one box, or shows only the neighbourhood of the output, and its title
  says so (:func:`reduce`).

The result is a :class:`GraphFigure` (a ``matplotlib.figure.Figure`` not managed by pyplot) that a
notebook shows once, as a PNG, through ``_repr_png_``. The widgets draw their frames with the same
:func:`render` and :data:`STYLE`.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyBboxPatch, Patch
from matplotlib.textpath import text_to_path

from ..tensor import Tensor
from .layout import Layout, compute
from .trace import Graph, shape_text, trace

#: fill and border colour of each kind of node
NODE_COLORS: dict[str, tuple[str, str]] = {
    "leaf": ("#dbeafe", "#1d4ed8"),  # blue: inputs and parameters
    "op": ("#fef3c7", "#b45309"),  # amber: operations
    "output": ("#dcfce7", "#15803d"),  # green: the output
    "module": ("#ede9fe", "#6d28d9"),  # violet: a collapsed nn.Module call
}
#: automatic reduction keeps at most this many layers around the output (wider is unreadable)
MAX_LAYERS = 8
#: everything else a picture needs; sizes are in inches and points at 100 dpi
STYLE: dict[str, Any] = {
    "font": "DejaVu Sans",
    "fontsize": 9.0,
    "title_fontsize": 9.5,
    "line_height": 0.17,  # inches per text line
    "box_pad": 0.10,  # inches of space inside a box
    "layer_gap": 0.75,  # inches between boxes of neighbouring layers, at least (edge labels)
    "row_gap": 0.32,  # inches between boxes of one layer
    "edge": "#64748b",
    "edge_width": 1.2,
    "arrow_size": 28.0,  # scatter marker size (points squared)
    "text": "#111827",
    "muted": "#4b5563",
    "grad": "#b91c1c",  # gradients: red, as in the lessons
    "local": "#9a3412",  # local derivatives on edges
    "heatmap": "RdBu_r",
    "heatmap_size": 0.42,  # inches per inset heatmap
    "max_width": 15.0,  # inches; wider pictures shrink (fonts too), down to ``min_scale``
    "min_scale": 0.6,
    "hard_max_width": 40.0,  # inches; beyond this a picture shrinks further, however small
    "heatmap_nodes": 30,  # small heatmaps only up to this many nodes
    "detail_nodes": 60,  # beyond this many nodes: titles only (values, grads, labels hidden)
    "dpi": 100,
}
DEFAULT_SHOW = ("value", "grad", "local")
_GENERATED = re.compile(r"^[a-z_]+\d+$")


class GraphFigure(Figure):
    """A matplotlib Figure that Jupyter shows once, as a PNG, even without ``%matplotlib``."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Text for nodes and edges
# --------------------------------------------------------------------------------------------


def number(x: float) -> str:
    """``3.0``, ``0.07``, ``-1.25e+03``: short, and integers still look like floats."""
    x = float(x)
    if x == int(x) and abs(x) < 1e6:
        return f"{x:.1f}"
    return f"{x:.4g}"


def array_text(array: Any) -> str:
    """``3.0`` for one number; ``5×5 mean 0.12`` for a tensor."""
    array = np.asarray(array)
    if array.size == 1:
        return number(array.reshape(()))
    if array.size == 0:
        return f"{shape_text(array.shape)} empty"
    return f"{shape_text(array.shape)} mean {float(array.astype(np.float64).mean()):.2g}"


def node_title(name: str, attrs: Mapping[str, Any], limit: int = 26) -> str:
    """``b = w1 * a`` for an operation, ``a`` for a leaf, ``fc1 (Linear)`` for a module."""
    expression = attrs.get("expression", name)
    if attrs.get("members"):  # a collapsed nn.Module call: "fc1: Linear"
        title = name if expression in (name, "module") else f"{name}: {expression}"
    else:
        title = name if expression == name else f"{name} = {expression}"
    return title if len(title) <= limit else title[: limit - 1] + "…"


def node_lines(attrs: Mapping[str, Any], show: Iterable[str] = DEFAULT_SHOW) -> list[str]:
    """The lines under a node's title: ``value 3.0``, ``grad 0.07``."""
    show = set(show)
    lines = []
    if "value" in show and attrs.get("value") is not None:
        lines.append(f"value {array_text(attrs['value'])}")
    if "grad" in show and attrs.get("grad") is not None:
        lines.append(f"grad {array_text(attrs['grad'])}")
    return lines


def edge_text(attrs: Mapping[str, Any], limit: int = 20) -> str | None:
    """The local derivative on an edge: ``3.0``, ``⊙ mean 0.4`` (elementwise) or a formula."""
    local = attrs.get("local")
    if local is None:
        return None
    if isinstance(local, float | int):
        return number(local)
    value = attrs.get("local_value")
    if isinstance(value, np.ndarray) and value.size > 1:
        return f"⊙ mean {float(value.astype(np.float64).mean()):.2g}"
    text = str(local).split("=", 1)[-1].strip()  # "d sum(a)/da = 1 for every element" -> rhs
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _heatmap_of(array: Any) -> np.ndarray | None:
    """A 2-D view of a value for a small inset picture, or None if it would not help."""
    if array is None:
        return None
    array = np.asarray(array)
    if array.ndim == 1 and 1 < array.size <= 64:
        array = array.reshape(1, -1)
    if array.ndim != 2 or array.size <= 1 or max(array.shape) > 64:
        return None
    return array.astype(np.float64)


# --------------------------------------------------------------------------------------------
# Making big graphs small: module boxes and neighbourhoods
# --------------------------------------------------------------------------------------------


def collapse_modules(graph: Graph | nx.DiGraph) -> nx.DiGraph:
    """One node per ``nn.Module`` call: nodes sharing a ``module_path`` become one box.

    Leaves that require grad and feed only one module call (its weights and bias) go into that
    box too; other leaves (the data ``x``) and nodes made outside any module stay as they are.
    """
    g = graph.nx if isinstance(graph, Graph) else graph
    types = {}
    if isinstance(graph, Graph):
        types = {
            n: getattr(fn, "module_type", None) for n, fn in graph.functions.items()
        }
    group: dict[str, str] = {}
    for node, attrs in g.nodes(data=True):
        path = attrs.get("module_path")
        if path is not None:
            group[node] = path or "model"
    for node, attrs in g.nodes(data=True):
        if attrs.get("kind") == "leaf" and attrs.get("requires_grad"):
            owners = {group.get(s) for s in g.successors(node)}
            if len(owners) == 1 and None not in owners:
                group[node] = owners.pop()
    reduced = nx.DiGraph()
    members: dict[str, list[str]] = {}
    for node in g:
        key = group.get(node)
        if key is None:
            reduced.add_node(node, **g.nodes[node])
        else:
            members.setdefault(key, []).append(node)
            if key not in reduced:
                reduced.add_node(key)
    for key, nodes in members.items():
        inside = set(nodes)
        exits = [n for n in nodes if any(s not in inside for s in g.successors(n))]
        exit_node = exits[-1] if exits else nodes[-1]
        exit_attrs = g.nodes[exit_node]
        kind_name = next((types[n] for n in nodes if types.get(n)), None)
        ops = sum(1 for n in nodes if g.nodes[n].get("kind") not in ("leaf", None))
        reduced.nodes[key].update(
            kind="output" if exit_attrs.get("kind") == "output" else "module",
            expression=kind_name or "module",
            ops=ops,
            value=exit_attrs.get("value"),
            grad=exit_attrs.get("grad"),
            shape=exit_attrs.get("shape"),
            members=tuple(nodes),
            module_path=key,
        )
        if exit_attrs.get("kind") == "output":
            reduced.nodes[key]["kind"] = "output"
    for u, v, attrs in g.edges(data=True):
        a, b = group.get(u, u), group.get(v, v)
        if a != b and not reduced.has_edge(a, b):
            same = group.get(u) is None and group.get(v) is None
            reduced.add_edge(a, b, **(attrs if same else {"indices": attrs.get("indices", (0,))}))
    return reduced


def neighbourhood(graph: Graph | nx.DiGraph, focus: str, depth: int) -> nx.DiGraph:
    """The nodes at most ``depth`` edges away from ``focus`` (either direction), with their edges.

    Nodes that have neighbours outside the picture get ``clipped=True`` (drawn dashed).
    """
    g = graph.nx if isinstance(graph, Graph) else graph
    if focus not in g:
        raise KeyError(f"no node named {focus!r} in the graph; its nodes are {list(g)[:12]}...")
    near = nx.single_source_shortest_path_length(g.to_undirected(as_view=True), focus, depth)
    keep = [n for n in g if n in near]  # graph order, not distance order: stable layouts
    sub = g.subgraph(keep).copy()
    for node in sub:
        if sub.degree(node) < g.degree(node):
            sub.nodes[node]["clipped"] = True
    return sub


def reduce(
    graph: Graph | nx.DiGraph,
    group: str | None = None,
    focus: str | None = None,
    depth: int = 2,
    max_nodes: int | None = 60,
) -> tuple[nx.DiGraph, str]:
    """The graph to draw, and a caption saying what was left out (empty if nothing was)."""
    g = graph.nx if isinstance(graph, Graph) else graph
    output = graph.output if isinstance(graph, Graph) else _sink(g)
    total = g.number_of_nodes()
    notes = []
    if group == "module":
        g = collapse_modules(graph)
        notes.append(f"each nn.Module call drawn as one box ({total} nodes in all)")
    elif group is not None:
        raise ValueError(f"group must be None or 'module', not {group!r}")
    if focus is not None:
        g = neighbourhood(g, focus, depth)
        notes.append(f"{focus!r} and its neighbours up to {depth} steps away "
                     f"({g.number_of_nodes()} of {total} nodes)")
    if max_nodes is not None and g.number_of_nodes() > max_nodes:
        if group is None and any(a.get("module_path") is not None for _, a in g.nodes(data=True)):
            g = collapse_modules(g if focus is not None else graph)
            notes.append(f"{total} nodes: each nn.Module call drawn as one box")
        if g.number_of_nodes() > max_nodes:
            output = output if output in g else _sink(g)
            k = 1
            while (k < MAX_LAYERS
                   and neighbourhood(g, output, k + 1).number_of_nodes() <= max_nodes):
                k += 1
            g = neighbourhood(g, output, k)
            notes.append(
                f"{total} nodes is too many to read: showing the {g.number_of_nodes()} nodes "
                f"within {k} steps of {output!r} (use focus=..., depth=... or group='module')"
            )
    return g, "; ".join(notes)


def _sink(g: nx.DiGraph) -> str:
    sinks = [n for n in g if g.out_degree(n) == 0]
    return sinks[-1] if sinks else next(iter(g))


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _char_width(char: str, bold: bool) -> float:
    properties = FontProperties(family=STYLE["font"], size=STYLE["fontsize"],
                                weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(char, properties, ismath=False)
    return width / 72.0


def text_width(text: str, bold: bool = False) -> float:
    """Width in inches of one line of text at ``STYLE["fontsize"]`` (sum of letter widths)."""
    return sum(_char_width(char, bold) for char in text)


class _Geometry:
    """Box sizes in inches and the scale from layout units to inches.

    A box holds a bold title, the lines of :func:`node_lines` and, for 2-D tensors, a row of
    small heatmaps (value, then gradient) under the text.
    """

    def __init__(self, g: nx.DiGraph, show: Iterable[str], heatmaps: bool) -> None:
        show = tuple(show)
        widths = [text_width(node_title(n, a), bold=True) for n, a in g.nodes(data=True)]
        widths += [text_width(line) for _, a in g.nodes(data=True) for line in node_lines(a, show)]
        lines = 1 + max((len(node_lines(a, show)) for _, a in g.nodes(data=True)), default=0)
        self.maps = sum(1 for key in ("value", "grad") if key in show) if heatmaps else 0
        maps_w = self.maps * (STYLE["heatmap_size"] + 0.08)
        self.box_w = max([*widths, maps_w, 0.3]) + 2 * STYLE["box_pad"]
        self.maps_h = STYLE["heatmap_size"] + 0.06 if self.maps else 0.0
        self.box_h = lines * STYLE["line_height"] + 2 * STYLE["box_pad"] + self.maps_h
        labels = [edge_text(a) for _, _, a in g.edges(data=True)] if "local" in show else []
        label_w = max((text_width(t) * 0.92 for t in labels if t), default=0.0)
        self.x_unit = self.box_w + max(STYLE["layer_gap"], label_w + 0.45)  # inches per unit
        self.y_unit = self.box_h + STYLE["row_gap"]


def figure_size(lay: Layout, geometry: _Geometry) -> tuple[float, float, float]:
    """(width, height, scale) in inches for a layout; scale < 1 when it had to shrink."""
    xs = [p[0] for p in lay.positions.values()]
    ys = [p[1] for p in lay.positions.values()]
    ys += [p[1] for route in lay.routes.values() for p in route]
    width = (max(xs) - min(xs)) * geometry.x_unit + geometry.box_w + 0.4
    height = (max(ys) - min(ys)) * geometry.y_unit + geometry.box_h + 0.9
    scale = max(STYLE["min_scale"], min(1.0, STYLE["max_width"] / width))
    scale = min(scale, STYLE["hard_max_width"] / width)
    return width * scale, height * scale, scale


def draw(
    output_or_graph: Tensor | Graph | nx.DiGraph,
    show: Sequence[str] = DEFAULT_SHOW,
    ax: Axes | None = None,
    group: str | None = None,
    focus: str | None = None,
    depth: int = 2,
    max_nodes: int | None = 60,
) -> Figure:
    """Draw the graph behind a tensor (or a traced :class:`Graph`) and return the Figure.

    ``show`` picks what boxes and edges say: ``"value"``, ``"grad"`` (after ``backward()``) and
    ``"local"`` (local derivatives on the edges). ``group="module"`` draws each ``nn.Module``
    call as one box; ``focus="b", depth=2`` draws only the nodes near ``b``. Graphs with more
    than ``max_nodes`` nodes are reduced that way automatically, and the title says so.
    With ``ax`` the picture goes into your axes (and figure); otherwise a new
    :class:`GraphFigure` is made, which a notebook shows by itself.
    """
    graph = output_or_graph
    if isinstance(graph, Tensor):
        graph = trace(graph)
    if not isinstance(graph, Graph | nx.DiGraph):
        raise TypeError(f"draw() needs a Tensor or a traced Graph, not {type(graph).__name__}")
    g, caption = reduce(graph, group=group, focus=focus, depth=depth, max_nodes=max_nodes)
    lay = compute(g)
    if g.number_of_nodes() > STYLE["detail_nodes"]:
        show = ()
        caption = "; ".join(filter(None, [caption, f"{g.number_of_nodes()} nodes: only names "
                                          f"shown (use focus=..., depth=... for details)"]))
    heatmaps = g.number_of_nodes() <= STYLE["heatmap_nodes"] and any(
        _heatmap_of(a.get("value")) is not None for _, a in g.nodes(data=True)
    )
    geometry = _Geometry(g, show, heatmaps)
    width, height, scale = figure_size(lay, geometry)
    if ax is None:
        figure = GraphFigure(figsize=(width, height), dpi=STYLE["dpi"])
        FigureCanvasAgg(figure)
        bottom, top = 0.4 * scale / height, (0.45 if caption else 0.1) * scale / height
        ax = figure.add_axes((0.0, bottom, 1.0, 1.0 - bottom - top))
    render(ax, g, lay, show=show, geometry=geometry, scale=scale)
    if caption:
        ax.text(0.01, 1.0, caption, transform=ax.transAxes, ha="left", va="bottom",
                fontsize=STYLE["fontsize"] * scale, color=STYLE["muted"], wrap=True)
    return ax.figure


def render(
    ax: Axes,
    g: nx.DiGraph,
    lay: Layout | None = None,
    show: Sequence[str] = DEFAULT_SHOW,
    geometry: _Geometry | None = None,
    scale: float = 1.0,
    node_colors: Mapping[str, tuple[str, str]] | None = None,
    edge_colors: Mapping[tuple[str, str], str] | None = None,
    labels: Mapping[str, Sequence[str]] | None = None,
    legend: bool = True,
) -> dict[str, Any]:
    """Draw ``g`` into ``ax`` and return its artists (``boxes``, ``edges``, ``arrows``, ...).

    The frames of an animation call this once per step with overrides: ``node_colors``
    ({node: (fill, border)}), ``edge_colors`` ({(u, v): colour}) and ``labels``
    ({node: lines under its title}).
    """
    lay = lay or compute(g)
    geometry = geometry or _Geometry(g, show, heatmaps=False)
    font = {"family": STYLE["font"], "size": STYLE["fontsize"] * scale}
    w = geometry.box_w / geometry.x_unit  # box size in layout units
    h = geometry.box_h / geometry.y_unit
    pos = lay.positions
    node_colors = node_colors or {}
    edge_colors = edge_colors or {}

    # edges: one LineCollection, one scatter of arrowheads, one text per labelled edge
    entry = _entry_heights(g, pos, h)
    stub = 0.12 / geometry.x_unit
    lines, colors, heads, texts = [], [], [], []
    for u, v in g.edges:
        route = lay.routes.get((u, v), [pos[u], pos[v]])
        start = (pos[u][0] + w / 2, pos[u][1])
        end_y = entry[(u, v)]
        end = (pos[v][0] - w / 2 - stub * 0.55, end_y)
        points = [start, (start[0] + stub, start[1]), *route[1:-1],
                  (end[0] - stub, end_y), end]
        lines.append(points)
        colors.append(edge_colors.get((u, v), STYLE["edge"]))
        heads.append(end)
        if "local" in show:
            label = edge_text(g.edges[u, v])
            if label is not None:
                texts.append((_label_point(points), label))
    edge_artist = LineCollection(lines, colors=colors, linewidths=STYLE["edge_width"] * scale,
                                 zorder=1, capstyle="round", joinstyle="round")
    ax.add_collection(edge_artist)
    arrows = ax.scatter([p[0] for p in heads], [p[1] for p in heads], marker=">",
                        s=STYLE["arrow_size"] * scale**2, c=colors or STYLE["edge"],
                        linewidths=0, zorder=2)
    edge_labels = [
        ax.text(x, y, label, ha="center", va="center", color=STYLE["local"],
                fontdict={**font, "size": font["size"] * 0.92}, zorder=4,
                bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.9})
        for (x, y), label in texts
    ]

    # nodes: one PatchCollection of boxes, a bold title and one text block each
    boxes, faces, borders, styles = [], [], [], []
    for node, attrs in g.nodes(data=True):
        x, y = pos[node]
        kind = attrs.get("kind", "op")
        face, border = node_colors.get(node, NODE_COLORS.get(kind, NODE_COLORS["op"]))
        boxes.append(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                    boxstyle="round,pad=0,rounding_size=0.04"))
        faces.append(face)
        borders.append(border)
        styles.append("--" if attrs.get("clipped") else "-")
    box_artist = PatchCollection(boxes, facecolors=faces, edgecolors=borders,
                                 linewidths=1.4 * scale, linestyles=styles, zorder=3)
    ax.add_collection(box_artist)
    pad_x = STYLE["box_pad"] / geometry.x_unit
    line = STYLE["line_height"] / geometry.y_unit
    titles, bodies, images = [], [], []
    for node, attrs in g.nodes(data=True):
        x, y = pos[node]
        left, top = x - w / 2 + pad_x, y + h / 2 - STYLE["box_pad"] / geometry.y_unit
        titles.append(ax.text(left, top, node_title(node, attrs), ha="left", va="top",
                              fontdict={**font, "weight": "bold"}, color=STYLE["text"],
                              zorder=5))
        body = list(labels[node]) if labels and node in labels else node_lines(attrs, show)
        if body:
            bodies.append(ax.text(left, top - line, "\n".join(body), ha="left", va="top",
                                  fontdict=font, color=STYLE["muted"], zorder=5,
                                  linespacing=1.25))
        if geometry.maps:
            bottom = y - h / 2 + STYLE["box_pad"] / geometry.y_unit
            images.extend(_insets(ax, attrs, show, left, bottom, geometry))
    if legend:
        _legend(ax, g, show, scale, heatmaps=bool(images))
    pad = 0.15 / geometry.x_unit
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()] + [p[1] for route in lay.routes.values() for p in route]
    ax.set_xlim(min(xs) - w / 2 - pad, max(xs) + w / 2 + pad)
    ax.set_ylim(min(ys) - h / 2 - pad, max(ys) + h / 2 + pad)
    ax.set_axis_off()
    return {"boxes": box_artist, "edges": edge_artist, "arrows": arrows, "titles": titles,
            "bodies": bodies, "edge_labels": edge_labels, "images": images}


def _entry_heights(g: nx.DiGraph, pos: Mapping[str, tuple[float, float]], h: float) -> dict:
    """Where each edge enters its target: spread over the box's left side, top input first."""
    heights = {}
    for v in g:
        incoming = sorted(g.predecessors(v), key=lambda u: (-pos[u][1], pos[u][0]))
        n = len(incoming)
        for i, u in enumerate(incoming):
            offset = 0.0 if n == 1 else (0.5 - i / (n - 1)) * h * 0.55
            heights[(u, v)] = pos[v][1] + offset
    return heights


def _label_point(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The point halfway along a polyline (by length), where its label goes."""
    lengths = [np.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(points, points[1:])]
    half = sum(lengths) / 2
    for (a, b), length in zip(zip(points, points[1:]), lengths):
        if half <= length and length > 0:
            t = half / length
            return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
        half -= length
    return points[len(points) // 2]


def _insets(ax: Axes, attrs: Mapping[str, Any], show: Iterable[str], left: float,
            bottom: float, geometry: _Geometry) -> list[Any]:
    """Small heatmaps of a 2-D value and its gradient, side by side at the bottom of a box.

    Colours are centred on zero (red positive, blue negative) and never fully saturated, so a
    constant gradient reads as a flat, mid-strength colour.
    """
    size_x = STYLE["heatmap_size"] / geometry.x_unit
    size_y = STYLE["heatmap_size"] / geometry.y_unit
    step = (STYLE["heatmap_size"] + 0.08) / geometry.x_unit
    images = []
    for key in ("value", "grad"):
        if key not in show:
            continue
        array = _heatmap_of(attrs.get(key))
        if array is not None:
            limit = float(np.abs(array).max()) or 1.0
            limit *= 2.5 if np.ptp(array) == 0 else 1.2  # a constant array: a calm colour
            images.append(ax.imshow(array, cmap=STYLE["heatmap"], vmin=-limit, vmax=limit,
                                    extent=(left, left + size_x, bottom, bottom + size_y),
                                    aspect="auto", interpolation="nearest", zorder=6))
        left += step
    return images


def _legend(ax: Axes, g: nx.DiGraph, show: Iterable[str], scale: float, heatmaps: bool) -> None:
    kinds = {a.get("kind", "op") for _, a in g.nodes(data=True)}
    names = {"leaf": "leaf (input)", "op": "operation", "output": "output",
             "module": "nn.Module call"}
    handles = [Patch(facecolor=NODE_COLORS[k][0], edgecolor=NODE_COLORS[k][1], label=names[k])
               for k in ("leaf", "op", "module", "output") if k in kinds]
    if heatmaps:
        handles.append(Patch(facecolor="white", edgecolor="white",
                             label="small squares: value, grad (red +, blue −)"))
    if "local" in show and any(a.get("local") is not None for _, _, a in g.edges(data=True)):
        handles.append(Patch(facecolor="white", edgecolor="white",
                             label="on edges: local derivative d(target)/d(source)"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles),
              frameon=False, fontsize=STYLE["fontsize"] * 0.9 * scale, handlelength=1.2,
              borderaxespad=0.1, columnspacing=1.2)
