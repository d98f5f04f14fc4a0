"""A static picture of the graph behind a tensor: ``ag.viz.draw(L)``.

Like torchviz's ``make_dot``, but meant to be read by a learner: each node is a box that says what
it is (``b = w1 * a``), its value and the gradient the engine gave it; each edge carries the local
derivative d(target)/d(source) that backpropagation multiplies by. Leaves, operations and the
output have their own colours. Tensors are also drawn as small heatmaps (value and gradient, red
positive, blue negative, one colour scale for all values and one for all gradients); up to 4×4
their numbers are printed in the cells. Every word and colour comes from :mod:`.words`.

How it stays fast and tidy:

* All node boxes are one ``PatchCollection``; all edges one ``LineCollection`` plus one scatter of
  arrowheads. Only the words are separate artists (about 0.75 ms each), two per node and one per
  edge, so a 60-node picture draws in well under a second.
* Boxes are sized from the measured width of their text (:func:`text_width`), so no title is cut;
  a picture too wide for the page shrinks, but not below 9-pixel text (it grows wider instead),
  unless it is wider than 40 inches even so (an overview of a big graph, names only).
* Every edge leaves a box on its right side and enters the next on its left, horizontally, so all
  arrowheads point right and can share one marker; inputs of one operation enter it at separate
  heights, the first input on top (``w3 * b`` reads top to bottom).
* Big graphs are never drawn as a hairball: beyond ``max_nodes`` the picture folds each
  ``nn.Module`` call into one box, or shows only the neighbourhood of the output, and its title
  says so (:func:`~.transforms.reduce`, shared with the player).

The result is a :class:`GraphFigure` (a ``matplotlib.figure.Figure`` not managed by pyplot) that a
notebook shows once, as a PNG, through ``_repr_png_``.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
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
from . import words
from .layout import Layout, compute
from .protocol import follows_protocol
from .trace import Graph, trace
from .transforms import as_graph, reduce
from .words import COLORS, NODE_COLORS

#: sizes of a picture, in inches and points at 100 dpi
STYLE: dict[str, Any] = {
    "font": words.FONT,
    "fontsize": 9.0,
    "line_height": 0.17,  # inches per text line
    "box_pad": 0.10,  # inches of space inside a box
    "layer_gap": 0.75,  # inches between boxes of neighbouring layers, at least (edge labels)
    "row_gap": 0.32,  # inches between boxes of one layer
    "edge_width": 1.2,
    "arrow_size": 28.0,  # scatter marker size (points squared)
    "map_size": 0.6,  # inches: the side of a heatmap without numbers
    "cell_w": 0.42,  # inches per cell of a heatmap with numbers in it
    "cell_h": 0.19,
    "max_width": 15.0,  # inches; wider pictures shrink (fonts too), down to ``min_scale``
    "min_scale": 0.8,  # 8.1-point legend text at 0.8 is 9 pixels: never smaller...
    "hard_max_width": 40.0,  # ...except in an overview (names only) wider than this, in inches
    "heatmap_nodes": 30,  # heatmaps only up to this many nodes
    "cell_texts": 200,  # numbers in heatmap cells only while a picture has at most this many
    "detail_nodes": words.MAX_NODES,  # beyond this many nodes: titles only
    "dpi": 100,
}
DEFAULT_SHOW = ("value", "grad", "local")


class GraphFigure(Figure):
    """A matplotlib Figure that Jupyter shows once, as a PNG, even without ``%matplotlib``."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()


@functools.lru_cache(maxsize=1024)
def _char_width(char: str, bold: bool) -> float:
    properties = FontProperties(family=STYLE["font"], size=STYLE["fontsize"],
                                weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(char, properties, ismath=False)
    return width / 72.0


def text_width(text: str, bold: bool = False, size: float | None = None) -> float:
    """Width in inches of one line of text at ``size`` points (default ``STYLE["fontsize"]``),
    measured letter by letter with the font's own metrics."""
    width = sum(_char_width(char, bold) for char in text)
    return width * (size or STYLE["fontsize"]) / STYLE["fontsize"]


# --------------------------------------------------------------------------------------------
# Heatmaps
# --------------------------------------------------------------------------------------------


def map_size(value: Any, numbers: bool = True) -> tuple[float, float]:
    """Inches (width, height) of a tensor's heatmap; (0, 0) for a single number."""
    grid = words.as_grid(value)
    if grid is None:
        return (0.0, 0.0)
    rows, cols = grid.shape
    if numbers and words.shows_numbers(value):
        return (cols * STYLE["cell_w"], rows * STYLE["cell_h"])
    side = STYLE["map_size"]
    ratio = min(max(rows / cols, 0.12), 1.0)
    return (side, side * ratio) if cols >= rows else (side * max(cols / rows, 0.3), side)


def colour_scales(g: nx.DiGraph) -> dict[str, float]:
    """One colour scale for every value and one for every gradient of a picture."""
    return {key: words.colour_limit([a.get(key) for _, a in g.nodes(data=True)
                                     if words.as_grid(a.get(key)) is not None])
            for key in ("value", "grad")}


def heatmap(ax: Axes, value: Any, extent: tuple[float, float, float, float], limit: float,
            fontsize: float, zorder: float = 6, animated: bool = False,
            numbers: bool = True) -> list[Any]:
    """Draw ``value`` as a heatmap into ``extent`` (left, right, bottom, top) of ``ax``, centred
    on zero on the scale ``[-limit, limit]``, with its numbers in the cells when it is small.
    Returns the artists (the image, then the cell texts)."""
    grid = words.as_grid(value)
    if grid is None:
        return []
    shown = np.nan_to_num(grid, nan=0.0, posinf=limit, neginf=-limit)
    artists = [ax.imshow(shown, cmap=words.HEATMAP_CMAP, vmin=-limit, vmax=limit, extent=extent,
                         aspect="auto", interpolation="nearest", zorder=zorder,
                         animated=animated)]
    if numbers and words.shows_numbers(value):
        left, right, bottom, top = extent
        rows, cols = grid.shape
        dx, dy = (right - left) / cols, (top - bottom) / rows
        for (i, j), x in np.ndenumerate(grid):
            strong = np.isfinite(x) and abs(x) > 0.6 * limit
            artists.append(ax.text(
                left + (j + 0.5) * dx, top - (i + 0.5) * dy, words.cell(x), ha="center",
                va="center", fontsize=fontsize, family=STYLE["font"], zorder=zorder + 0.1,
                color="white" if strong else COLORS["text"], animated=animated,
            ))
    return artists


class _Geometry:
    """Box sizes in inches, measured from the text and heatmaps they hold, and the scale from
    layout units to inches.

    A box holds a bold title, the lines of :func:`.words.node_lines` and, for tensors, a row of
    heatmaps (value, then gradient) under the text.
    """

    def __init__(self, g: nx.DiGraph, output: str, show: Iterable[str], heatmaps: bool) -> None:
        show = tuple(show)
        nodes = list(g.nodes(data=True))
        widths = [text_width(words.title(n, a), bold=True) for n, a in nodes]
        widths += [text_width(line) for n, a in nodes
                   for line in words.node_lines(output, n, a, show)]
        lines = 1 + max((len(words.node_lines(output, n, a, show)) for n, a in nodes), default=0)
        self.keys = tuple(k for k in ("value", "grad") if k in show) if heatmaps else ()
        cells = sum(words.size_of(a.get(k)) for _, a in nodes for k in self.keys
                    if words.shows_numbers(a.get(k)))
        self.numbers = cells <= STYLE["cell_texts"]  # each number is a text: a few hundred at most
        maps_w, self.maps_h = 0.0, 0.0
        for _, a in nodes:
            sizes = [map_size(a.get(k), self.numbers) for k in self.keys]
            maps_w = max(maps_w, sum(w + 0.1 for w, _ in sizes))
            self.maps_h = max(self.maps_h, max((h for _, h in sizes), default=0.0))
        if self.maps_h:
            self.maps_h += 0.08
        self.box_w = max([*widths, maps_w, 0.3]) + 2 * STYLE["box_pad"]
        self.box_h = lines * STYLE["line_height"] + 2 * STYLE["box_pad"] + self.maps_h
        labels = [words.edge_label(a) for _, _, a in g.edges(data=True)] if "local" in show else []
        label_w = max((text_width(t, size=STYLE["fontsize"] * 0.92) for t in labels if t),
                      default=0.0)
        self.x_unit = self.box_w + max(STYLE["layer_gap"], label_w + 0.45)  # inches per unit
        self.y_unit = self.box_h + STYLE["row_gap"]


def figure_size(lay: Layout, geometry: _Geometry) -> tuple[float, float, float]:
    """(width, height, scale) in inches for a layout; scale < 1 when it had to shrink."""
    xs = [p[0] for p in lay.positions.values()]
    ys = [p[1] for p in lay.positions.values()]
    ys += [p[1] for route in lay.routes.values() for p in route]
    width = (max(xs) - min(xs)) * geometry.x_unit + geometry.box_w + 0.4
    height = (max(ys) - min(ys)) * geometry.y_unit + geometry.box_h + 0.4
    scale = max(STYLE["min_scale"], min(1.0, STYLE["max_width"] / width))
    scale = min(scale, STYLE["hard_max_width"] / width)
    return width * scale, height * scale, scale


def draw(
    output_or_graph: Tensor | Graph | nx.DiGraph,
    show: Sequence[str] = DEFAULT_SHOW,
    ax: Axes | None = None,
    group: str | None = None,
    focus: str | Tensor | None = None,
    depth: int = 2,
    max_nodes: int | None = words.MAX_NODES,
    open_groups: Collection[str] = (),
) -> Figure:
    """Draw the graph behind a tensor (or a traced :class:`Graph`) and return the Figure.

    ``show`` picks what boxes and edges say: ``"value"``, ``"grad"`` (after ``backward()``) and
    ``"local"`` (local derivatives on the edges). ``group="module"`` draws each top-level
    ``nn.Module`` call as one box (``open_groups={"0"}`` opens module ``0`` one level);
    ``focus="b", depth=2`` draws only the nodes near ``b``. Graphs with more than ``max_nodes``
    nodes are reduced that way automatically, and the title says so.
    With ``ax`` the picture goes into your axes (and figure); otherwise a new
    :class:`GraphFigure` is made, which a notebook shows by itself.
    """
    graph = output_or_graph
    if (isinstance(graph, Tensor) or type(graph).__module__.split(".")[0] == "torch"
            or follows_protocol(graph)):  # a tensor, PyTorch's, or a learner's own engine's
        graph = trace(graph)
    if not isinstance(graph, Graph | nx.DiGraph):
        raise TypeError(f"draw() needs a Tensor or a traced Graph, not {type(graph).__name__}")
    view, caption = reduce(as_graph(graph), group=group, focus=focus, depth=depth,
                           max_nodes=max_nodes, open_groups=open_groups)
    g = view.nx
    lay = compute(g)
    if g.number_of_nodes() > STYLE["detail_nodes"]:
        show = ()
        caption = "; ".join(filter(None, [caption, f"{g.number_of_nodes()} nodes: only names "
                                          f"shown (use focus=..., depth=... for details)"]))
    heatmaps = g.number_of_nodes() <= STYLE["heatmap_nodes"] and any(
        words.as_grid(a.get("value")) is not None for _, a in g.nodes(data=True)
    )
    geometry = _Geometry(g, view.output, show, heatmaps)
    width, height, scale = figure_size(lay, geometry)
    head = [(t, c) for t, c in ((view.note, COLORS["grad"]), (caption, COLORS["muted"])) if t]
    legend = _legend_entries(g, show, heatmaps, colour_scales(g) if heatmaps else {})
    if ax is None:
        head_lines = [_wrap(t, width / scale - 0.2) for t, _ in head]
        top_in = 0.1 + sum(len(lines) for lines in head_lines) * 0.19
        columns = _legend_columns(legend, width / scale)
        rows = -(-len(legend) // columns) if legend else 0
        bottom_in = 0.15 + rows * 0.2
        height += (top_in + bottom_in) * scale
        figure = GraphFigure(figsize=(width, height), dpi=STYLE["dpi"])
        FigureCanvasAgg(figure)
        bottom, top = bottom_in * scale / height, top_in * scale / height
        ax = figure.add_axes((0.0, bottom, 1.0, 1.0 - bottom - top))
        head = [("\n".join(lines), c) for lines, (_, c) in zip(head_lines, head)]
    else:
        columns = len(legend)
    render(ax, g, view.output, lay, show=show, geometry=geometry, scale=scale)
    if legend:
        _legend(ax, legend, columns, scale)
    offset = 2.0  # points above the axes: the note on top, then the caption
    for text, colour in reversed(head):
        ax.annotate(text, xy=(0.01, 1.0), xycoords="axes fraction", xytext=(0, offset),
                    textcoords="offset points", ha="left", va="bottom", color=colour,
                    fontsize=STYLE["fontsize"] * scale, linespacing=1.3)
        offset += 0.19 * 72 * scale * (text.count("\n") + 1)
    return ax.figure


def _wrap(text: str, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` inches (measured), broken between words."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and text_width(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def render(
    ax: Axes,
    g: nx.DiGraph,
    output: str,
    lay: Layout | None = None,
    show: Sequence[str] = DEFAULT_SHOW,
    geometry: _Geometry | None = None,
    scale: float = 1.0,
) -> dict[str, Any]:
    """Draw ``g`` into ``ax`` and return its artists (``boxes``, ``edges``, ``arrows``, ...)."""
    lay = lay or compute(g)
    geometry = geometry or _Geometry(g, output, show, heatmaps=False)
    font = {"family": STYLE["font"], "size": STYLE["fontsize"] * scale}
    w = geometry.box_w / geometry.x_unit  # box size in layout units
    h = geometry.box_h / geometry.y_unit
    pos = lay.positions

    # edges: one LineCollection, one scatter of arrowheads, one text per labelled edge
    entry = _entry_heights(g, pos, h)
    stub = 0.12 / geometry.x_unit
    lines, heads, texts = [], [], []
    for u, v in g.edges:
        route = lay.routes.get((u, v), [pos[u], pos[v]])
        start = (pos[u][0] + w / 2, pos[u][1])
        end_y = entry[(u, v)]
        end = (pos[v][0] - w / 2 - stub * 0.55, end_y)
        points = [start, (start[0] + stub, start[1]), *route[1:-1],
                  (end[0] - stub, end_y), end]
        lines.append(points)
        heads.append(end)
        if "local" in show:
            label = words.edge_label(g.edges[u, v])
            if label is not None:
                texts.append((_label_point(points), label))
    edge_artist = LineCollection(lines, colors=COLORS["edge"],
                                 linewidths=STYLE["edge_width"] * scale, zorder=1,
                                 capstyle="round", joinstyle="round")
    ax.add_collection(edge_artist)
    arrows = ax.scatter([p[0] for p in heads], [p[1] for p in heads], marker=">",
                        s=STYLE["arrow_size"] * scale**2, c=COLORS["edge"], linewidths=0,
                        zorder=2)
    edge_labels = [
        ax.text(x, y, label, ha="center", va="center", color=COLORS["local"],
                fontdict={**font, "size": font["size"] * 0.92}, zorder=4,
                bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.9})
        for (x, y), label in texts
    ]

    # nodes: one PatchCollection of boxes, a bold title and one text block each
    boxes, faces, borders, styles = [], [], [], []
    for node, attrs in g.nodes(data=True):
        x, y = pos[node]
        face, border = NODE_COLORS.get(attrs.get("kind", "op"), NODE_COLORS["op"])
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
    scales = colour_scales(g) if geometry.keys else {}
    titles, bodies, images = [], [], []
    for node, attrs in g.nodes(data=True):
        x, y = pos[node]
        left, top = x - w / 2 + pad_x, y + h / 2 - STYLE["box_pad"] / geometry.y_unit
        titles.append(ax.text(left, top, words.title(node, attrs), ha="left", va="top",
                              fontdict={**font, "weight": "bold"}, color=COLORS["text"],
                              zorder=5))
        body = words.node_lines(output, node, attrs, show)
        if body:
            bodies.append(ax.text(left, top - line, "\n".join(body), ha="left", va="top",
                                  fontdict=font, color=COLORS["muted"], zorder=5,
                                  linespacing=1.25))
        if geometry.keys:
            bottom = y - h / 2 + STYLE["box_pad"] / geometry.y_unit
            images.extend(_insets(ax, attrs, geometry, left, bottom, scales, scale))
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


def _insets(ax: Axes, attrs: Mapping[str, Any], geometry: _Geometry, left: float,
            bottom: float, scales: Mapping[str, float], scale: float) -> list[Any]:
    """The heatmaps of a tensor's value and gradient, side by side at the bottom of a box."""
    artists = []
    for key in geometry.keys:
        width, height = map_size(attrs.get(key), geometry.numbers)
        if width:
            size_x, size_y = width / geometry.x_unit, height / geometry.y_unit
            artists += heatmap(ax, attrs[key], (left, left + size_x, bottom, bottom + size_y),
                               scales[key], max(STYLE["fontsize"] * 0.8 * scale,
                                                words.MIN_FONT_PX * 0.72),
                               numbers=geometry.numbers)
        left += (width + 0.1) / geometry.x_unit
    return [a for a in artists if hasattr(a, "get_array")]


def _legend_entries(g: nx.DiGraph, show: Iterable[str], heatmaps: bool,
                    scales: Mapping[str, float]) -> list[tuple[str, str, str]]:
    """(label, fill, border) of each legend entry: node kinds, heatmaps, edge labels."""
    kinds = {a.get("kind", "op") for _, a in g.nodes(data=True)}
    entries = [(words.KIND_NAMES[k], *NODE_COLORS[k])
               for k in ("leaf", "op", "module", "output") if k in kinds]
    if heatmaps:
        scale = f"values ±{words.number(scales['value'])}"
        if any(words.as_grid(a.get("grad")) is not None for _, a in g.nodes(data=True)):
            scale += f", gradients ±{words.number(scales['grad'])}"
        entries.append((f"squares: red +, blue −, white 0 ({scale})", "#ef8a62", "#67a9cf"))
    if "local" in show and any(a.get("local") is not None for _, _, a in g.edges(data=True)):
        entries.append(("on edges: local derivative d(target)/d(source)", "white", "white"))
    return entries


def _legend_columns(entries: Sequence[tuple[str, str, str]], width: float) -> int:
    """How many legend entries fit side by side in ``width`` inches (measured)."""
    size = STYLE["fontsize"] * 0.9
    for columns in range(len(entries), 1, -1):
        rows = [entries[k:k + columns] for k in range(0, len(entries), columns)]
        if all(sum(text_width(e[0], size=size) + 0.6 for e in row) <= width - 0.2
               for row in rows):
            return columns
    return 1


def _legend(ax: Axes, entries: Sequence[tuple[str, str, str]], columns: int,
            scale: float) -> None:
    handles = [Patch(facecolor=fill, edgecolor=border, label=label)
               for label, fill, border in entries]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=columns,
              frameon=False, fontsize=STYLE["fontsize"] * 0.9 * scale, handlelength=1.2,
              borderaxespad=0.1, columnspacing=1.2)
