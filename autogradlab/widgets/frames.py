"""Drawing an animation's frames with matplotlib, quickly enough to build them in a notebook.

A frame is a PNG of at least 1000×600 pixels. Redrawing a 100-node picture from scratch costs
about 0.4 s, and an animation has dozens of frames, so :class:`FrameRenderer` works like a
flip-book artist:

1. Draw what never changes **once**: every edge (one ``LineCollection``), a dashed outline for
   each operation still to run, the legend. Keep those pixels.
2. For each step, paste back the pixels kept from the previous step and draw **only what this
   step changes** on top: a node whose value is now known, a node whose gradient changed, an
   edge just used. Keep the result for the next step.
3. Draw this frame's **highlights** (the current node and edge, the arithmetic on the edge),
   which the next step does not keep, and encode the PNG.

Artists are made once and reused (``set_text``, ``set_data``), and each is drawn on its own
with ``artist.draw(renderer)`` into the canvas' pixels. What is left per frame is a handful of
artists plus PNG encoding, which is the floor (see ``benchmarks/animation.py``).

Geometry comes from measured text (:func:`~autogradlab.viz.draw.text_width`): a box is as wide as
its widest line, no title is cut, and no text is smaller than 9 pixels. When the graph does not
fit, a box shows less (the node's name only) and, as a last resort, the frame grows.
With ``heatmaps=True`` (the player), a tensor node shows its value and gradient as heatmaps, on
one colour scale for all values and one for all gradients, the same in every frame; up to 4×4 the
numbers are printed in the cells, bigger tensors show their shape, min, max and norm.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.text import Text
from PIL import Image

from ..viz import words
from ..viz.draw import heatmap, text_width
from ..viz.layout import compute
from ..viz.trace import Graph
from ..viz.words import COLORS, FONT, NODE_COLORS
from .steps import Edge, Step, grad_text, title

Point = tuple[float, float]

WIDTH, HEIGHT, DPI = 1000, 600, 100
HEADER, MARGIN = 46, 14  # pixels kept free for the title and the border
#: the largest frame a big graph may grow to before boxes show names only
MAX_WIDTH, MAX_HEIGHT = 1600, 1000
FONT_PT = 9.0  # the text of the boxes, at most
MIN_PT = words.MIN_FONT_PX * 72 / DPI  # 6.48 points: 9 pixels
LEGEND_PT = 8.0
HEATMAP_NODES = 30  # heatmaps only in graphs up to this many nodes
MAP_SIDE = 76.0  # pixels: the long side of a heatmap without numbers, at most
#: (points, heatmap side) tried in turn for boxes with all their words: the first that fits wins
SIZES = ((FONT_PT, MAP_SIDE), (FONT_PT, 56.0), (8.0, 48.0), (7.0, 40.0), (MIN_PT, 36.0))


def px(text: str, points: float, bold: bool = False) -> float:
    """The width in pixels of one line of ``text`` at ``points`` (measured glyph by glyph)."""
    return text_width(text, bold=bold, size=points) * DPI * 1.05 + 1  # Agg draws ~4% wider


def line_px(points: float) -> float:
    """The height of one line of text at ``points``, in pixels (with its leading)."""
    return points * 1.3 / 72 * DPI


#: matplotlib's line spacing (a multiple of the font's line height, about 1.17 x its size) that
#: puts the lines of one text :func:`line_px` apart
LINESPACING = 1.1


def stat_lines(label: str, value: Any, stats: bool = True) -> list[str]:
    """The words under a heatmap: ``value 4×16`` (a gradient: ``∂L/∂h``, same shape) then
    ``min ..``, ``max ..``, ``norm ..`` (a tensor up to 4×4 has its numbers in its cells)."""
    shape = words.shape_text(words.shape_of(value))
    lines = [f"{label} {shape}" if label == "value" else label]
    if stats and not words.shows_numbers(value):
        lines += words.stats(value).split(", ")
    return lines


def map_px(value: Any, points: float, side: float = MAP_SIDE) -> tuple[float, float]:
    """(width, height) in pixels of a tensor's heatmap; numbers in cells need room for them."""
    grid = words.as_grid(value)
    if grid is None:
        return (0.0, 0.0)
    numbers = words.shows_numbers(value)
    cells = [words.cell(x) for x in grid.reshape(-1)] if numbers else []
    return _map_px(grid.shape, numbers, cells, points, side)


@dataclass(frozen=True)
class NodeLook:
    """What one node's box holds at a given detail: its title, and (detail 3) either two lines
    (value, gradient) or two heatmap columns with their words."""

    title: str
    lines: tuple[str, ...] = ()
    maps: bool = False
    width: float = 0.0  # pixels, measured
    height: float = 0.0


@dataclass(frozen=True)
class Geometry:
    """Where things go, in pixels (origin bottom left): node centres, box size, edge routes."""

    centres: dict[str, Point]
    box: tuple[float, float]
    routes: dict[Edge, list[Point]]
    detail: int  # 3: title, value, gradient (lines or heatmaps); 2: heatmaps, shape only;
    # 1: names only
    fontsize: float  # points
    size: tuple[int, int] = (WIDTH, HEIGHT)
    looks: dict[str, NodeLook] = field(default_factory=dict)
    footer: float = 30.0
    map_side: float = MAP_SIDE  # pixels: the long side of a heatmap
    #: box heights that differ from ``box[1]`` (a heatmap node in a column of its own)
    heights: dict[str, float] = field(default_factory=dict)

    def height(self, node: str) -> float:
        """The height in pixels of ``node``'s box."""
        return self.heights.get(node, self.box[1])

    @classmethod
    def of(cls, graph: Graph, width: int = WIDTH, height: int = HEIGHT,
           heatmaps: bool = False, legend: Sequence[str] = ()) -> Geometry:
        """Fit ``ag.viz.layout``'s layers into a frame: the most detail, at the largest font
        (9 points down to 9 pixels), that fits; else names only; else a bigger frame."""
        lay = compute(graph)
        if not lay.positions:
            return cls({}, (0, 0), {}, 1, FONT_PT, (width, height))
        xs = [p[0] for p in lay.positions.values()]
        # an edge may bend around the nodes in its way, above the top row or below the bottom
        # one: the frame holds its route too, so no line leaves the picture
        ys = [p[1] for p in lay.positions.values()] + [
            y for route in lay.routes.values() for _, y in route]
        columns = max(xs) - min(xs) + 1
        rows = max(ys) - min(ys) + 1
        room = _vertical_room(lay.positions, rows)
        totals = _totals(graph)
        said = {n: _NodeWords(graph, n, totals.get(n, ())) for n in graph.nx}
        maps = heatmaps and len(graph) <= HEATMAP_NODES
        choice = None
        sizes = ((width, height), (int(width * 1.2), int(height * 1.2)),
                 (max(width, MAX_WIDTH), max(height, MAX_HEIGHT)))
        # detail 3 (heatmaps with their statistics) in a frame up to 1.2 times the size asked
        # for, then detail 2 (heatmaps, shape only), then the largest frame, then names only
        # (a title that does not fit becomes the node's name: the caption has the expression)
        tries = []
        for frames in (sizes[:2], sizes[2:]):
            for detail, full in ((3, True), (3, False), (2, True), (2, False)):
                if detail == 3 or maps:
                    tries += [(detail, size, points, side, full) for size in frames
                              for points, side in SIZES]
        tries += [(1, size, points, 0.0, False) for size in sizes
                  for points in (FONT_PT, 8, MIN_PT)]
        for detail, size, points, side, full in tries:
            footer = _footer_height(legend, size[0])
            looks = {n: _look(said[n], detail, points, maps, side, full) for n in graph.nx}
            box_w = max(look.width for look in looks.values())
            box_h = max(look.height for look in looks.values() if not look.maps) if any(
                not look.maps for look in looks.values()) else 0.0
            col_w = (size[0] - 2 * MARGIN) / columns
            row_h = (size[1] - HEADER - footer - 8) / rows
            if box_w <= col_w - 26 and all(
                max(look.height, box_h) <= room[n] * row_h - 8 for n, look in looks.items()
            ):
                choice = (size, footer, detail, points, looks, box_w, box_h, side)
                break
        if choice is None:  # grow the frame until the names fit at 9 pixels
            looks = {n: _look(said[n], 1, MIN_PT, False) for n in graph.nx}
            box_w = max(look.width for look in looks.values())
            box_h = max(look.height for look in looks.values())
            grown = (int(max(MAX_WIDTH, columns * (box_w + 26) + 2 * MARGIN)),
                     int(max(MAX_HEIGHT, rows * (box_h + 8) + HEADER + 60)))
            footer = _footer_height(legend, grown[0])
            choice = (grown, footer, 1, MIN_PT, looks, box_w, box_h, 0.0)
        (width, height), footer, detail, points, looks, box_w, box_h, side = choice
        col_w = (width - 2 * MARGIN) / columns
        row_h = (height - HEADER - footer - 8) / rows
        # boxes a little roomier than their text where there is space
        box_w = min(max(box_w, min(180.0, 0.84 * col_w)), col_w - 26)
        box_h = min(max(box_h, min(58.0, 0.8 * row_h)) if detail == 3 else box_h, row_h - 8)
        heights = {n: look.height for n, look in looks.items() if look.maps}
        heights = {n: max(h, box_h) for n, h in heights.items() if h != box_h}

        def place(p: Point) -> Point:
            return (
                MARGIN + (p[0] - min(xs) + 0.5) * col_w,
                footer + 4 + (p[1] - min(ys) + 0.5) * row_h,
            )

        centres = {n: place(p) for n, p in lay.positions.items()}
        routes = {}
        for edge, points_ in lay.routes.items():
            pts = [place(p) for p in points_]
            (x0, y0), (x1, y1) = pts[0], pts[-1]
            pts[0], pts[-1] = (x0 + box_w / 2, y0), (x1 - box_w / 2 - 1, y1)
            routes[edge] = pts
        return cls(centres, (box_w, box_h), routes, detail, points, (width, height), looks,
                   footer, side, heights)

    def chars(self, fontsize: float | None = None, bold: bool = False) -> int:
        """How many characters fit across a box at ``fontsize`` (DejaVu Sans, on average)."""
        px_ = (fontsize or self.fontsize) / 0.72
        return max(int((self.box[0] - 8) / ((0.62 if bold else 0.55) * px_)), 1)


def _vertical_room(positions: Mapping[str, Point], rows: float) -> dict[str, float]:
    """How many rows of height each node may take: the distance to its nearest neighbour in
    the same column (the whole column when it is alone there)."""
    columns: dict[float, list[tuple[float, str]]] = {}
    for node, (x, y) in positions.items():
        columns.setdefault(x, []).append((y, node))
    room = {}
    for members in columns.values():
        members.sort()
        for k, (y, node) in enumerate(members):
            gaps = [abs(y - members[j][0]) for j in (k - 1, k + 1) if 0 <= j < len(members)]
            room[node] = min(gaps) if gaps else rows
    return room


def _totals(graph: Graph) -> dict[str, list[Any]]:
    """Every gradient each node will show: the running totals of the backward pass, then its
    final gradient (a box must be wide enough for the longest of them)."""
    totals: dict[str, list[Any]] = {}
    for step in graph.backward_steps:
        if step.kind == "accumulate" and step.total is not None:
            totals.setdefault(step.target, []).append(step.total)
    for node in graph.nx:
        grad = graph.node(node).get("grad")
        if grad is not None:
            totals.setdefault(node, []).append(grad)
    return totals


class _NodeWords:
    """Everything a node's box may say, written once (then measured at many sizes): its title
    and name, its value and gradient lines, and for a tensor the words under each heatmap for
    every gradient it will show (``totals``)."""

    def __init__(self, graph: Graph, node: str, totals: Sequence[Any]) -> None:
        attrs = graph.node(node)
        value, grad = attrs.get("value"), attrs.get("grad")
        self.title, self.name = title(graph, node), node
        self.tensor = words.as_grid(value) is not None
        self.lines = (words.value_line(value),
                      grad_text(graph, node, grad) if grad is not None else "")
        self.all_lines = [*self.lines, *(grad_text(graph, node, t) for t in totals)]
        # a tensor that gets no gradient (class labels) may use the gradient's line
        self.split = None
        if not attrs.get("requires_grad", True) and words.size_of(value) > 1:
            self.split = (f"value {words.shape_text(words.shape_of(value))}",
                          words.stats(value))
        self.columns = []
        if not self.tensor:
            return
        for k, (label, array) in enumerate(_columns(graph, node)):
            shown = array if array is not None else value
            grid = words.as_grid(shown)
            numbers = words.shows_numbers(shown)
            cells = [words.cell(x) for x in grid.reshape(-1)] if numbers else []
            values = [shown] if k == 0 else [shown, *totals]
            sets = {stats: [stat_lines(label, t, stats) for t in values]
                    for stats in (True, False)}
            self.columns.append((grid.shape, numbers, cells, sets))


def _map_px(shape: tuple[int, int], numbers: bool, cells: Sequence[str], points: float,
            side: float) -> tuple[float, float]:
    rows, cols = shape
    if numbers:
        cell_w = max(px(text, points) for text in cells) + 6
        return (cols * max(cell_w, 26.0), rows * (line_px(points) + 2))
    ratio = rows / cols
    if ratio <= 1:
        return (side, max(side * ratio, 14.0))
    return (max(side / ratio, 14.0), side)


def _look(said: _NodeWords, detail: int, points: float, maps: bool, side: float = MAP_SIDE,
          full: bool = True) -> NodeLook:
    """A node's box contents at ``detail`` and ``points``, and the pixels they need (for the
    longest of the gradients it will show); ``full=False`` titles it with its name only."""
    pad = 12.0
    if detail == 1:
        return NodeLook(said.name, width=px(said.name, points, True) + pad,
                        height=line_px(points) + 8)
    heading = said.title if full else said.name
    if not (maps and said.tensor):
        lines = said.split if maps and said.split else said.lines
        shown = lines if maps and said.split else said.all_lines
        widths = [px(heading, points, True)] + [px(t, points * 0.92) for t in shown]
        return NodeLook(heading, lines, False, max(widths) + pad, 3.3 * line_px(points))
    small = max(points * 0.92, MIN_PT)
    columns = []
    for shape, numbers, cells, sets in said.columns:
        map_w, map_h = _map_px(shape, numbers, cells, small, side)
        texts = sets[detail == 3]
        widths = [px(t, small) for lines in texts for t in lines]
        columns.append((max([map_w, *widths]), map_h, max(len(lines) for lines in texts)))
    width = max(px(heading, points, True), sum(c[0] for c in columns) + 10) + pad
    height = (line_px(points) + 4 + max(c[1] for c in columns) + 3
              + max(c[2] for c in columns) * line_px(small) + 8)
    return NodeLook(heading, (), True, width, height)


def _columns(graph: Graph, node: str) -> list[tuple[str, Any]]:
    """The heatmap columns of a tensor node: its value, and its gradient if it gets one."""
    attrs = graph.node(node)
    columns = [("value", attrs["value"])]
    if attrs.get("requires_grad", True):  # "grad", in red: the legend says ∂L/∂·
        columns.append(("grad", attrs.get("grad")))
    return columns


def _footer_height(legend: Sequence[str], width: float) -> float:
    """Pixels under the graph for the legend: one line per row of entries that fit."""
    rows, used = 1, 0.0
    for text in legend:
        need = px(text, LEGEND_PT) + 34
        if used and used + need > width - 2 * MARGIN:
            rows, used = rows + 1, 0.0
        used += need
    return 12.0 + rows * 18.0


def fit_px(text: str, room: float, points: float) -> str:
    """``text`` cut (with an ellipsis) to ``room`` pixels at ``points``: for one-line headers
    only; the caption under the frame always has the whole sentence."""
    whole = text
    while text and px(text + "…", points) > room:
        text = text[:-1]
    if text == whole:
        return text
    space = text.rfind(" ")  # cut between words, never inside a number
    return (text[:space] + " …") if space > 0 else text + "…"


def _colour_scales(graph: Graph) -> dict[str, float]:
    """One colour scale for all values and one for all gradients (every total and contribution
    the animation will show), so colours compare across nodes and frames."""
    values = [graph.node(n)["value"] for n in graph.nx]
    grads = [graph.node(n)["grad"] for n in graph.nx]
    grads += [s.total for s in graph.backward_steps if s.total is not None]
    return {"value": words.colour_limit([v for v in values if words.as_grid(v) is not None]),
            "grad": words.colour_limit([g for g in grads if words.as_grid(g) is not None])}


def fit(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters, with an ellipsis when cut. The cut falls between
    two items or words, never inside a number: "value 40×2, …", not "value 40×2, min -1.…"
    (a number cut short would read as another number)."""
    if len(text) <= chars:
        return text
    head = text[: max(chars - 1, 0)]
    between_items = head.rfind(", ")
    if 0 < between_items <= chars - 3:
        return text[:between_items] + ", …"
    between_words = head.rfind(" ")
    if between_words > 0:
        return text[:between_words] + " …"
    return head + "…"


def arrowhead(tip: Point, towards: Point, size: float = 8.0) -> list[Point]:
    """A triangle with its point at ``tip``, pointing away from ``towards``."""
    direction = np.subtract(tip, towards).astype(float)
    length = float(np.hypot(*direction)) or 1.0
    d = direction / length
    n = np.array([-d[1], d[0]])
    base = np.asarray(tip) - d * size
    return [tuple(tip), tuple(base + n * size * 0.4), tuple(base - n * size * 0.4)]


def label_point(points: Sequence[Point]) -> Point:
    """The middle of the longest segment of a route: room for a label."""
    segments = list(zip(points, points[1:]))
    (x0, y0), (x1, y1) = max(segments, key=lambda s: np.hypot(s[1][0] - s[0][0], s[1][1] - s[0][1]))
    return ((x0 + x1) / 2, (y0 + y1) / 2)


def encode_png(rgba: bytes, size: tuple[int, int], colors: int = 128) -> bytes:
    """PNG bytes for an RGBA pixel buffer: 128 colours, fast (level 1) compression.

    A diagram has few colours, so a palette of 128 (picked per frame, no dithering) looks the
    same to the eye and makes the file about 3 times smaller than full colour; with one byte per
    pixel instead of three, compressing is quicker too.
    """
    image = Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1).convert("RGB")
    palette = image.quantize(colors, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


class _Heatmap:
    """One tensor's heatmap in a box (an image and, up to 4×4, a text per cell), updated in place
    when the tensor changes (a gradient's running total)."""

    def __init__(self, ax: Any, value: Any, extent: tuple[float, float, float, float],
                 limit: float, points: float) -> None:
        self.limit = limit
        self.artists = heatmap(ax, value, extent, limit, points, animated=True)

    def update(self, value: Any) -> None:
        grid = words.as_grid(value)
        if grid is None or not self.artists:
            return
        image, *cells = self.artists
        image.set_data(np.nan_to_num(grid, nan=0.0, posinf=self.limit, neginf=-self.limit))
        for text, x in zip(cells, grid.reshape(-1)):
            text.set_text(words.cell(x))
            strong = np.isfinite(x) and abs(x) > 0.6 * self.limit
            text.set_color("white" if strong else COLORS["text"])

    def draw(self, renderer: Any) -> None:
        for artist in self.artists:
            artist.draw(renderer)


class _NodeArtists:
    """The box of one node and what it holds, made once, drawn when it changes.

    ``texts`` is ``[title, value line, gradient line]`` for a box with lines (detail 3, no
    heatmap), ``[name]`` for names only; a box with heatmaps has ``maps`` and ``captions``.
    """

    def __init__(self, renderer: FrameRenderer, node: str) -> None:
        g, geo = renderer.graph, renderer.geometry
        (x, y), (w, h) = geo.centres[node], (geo.box[0], geo.height(node))
        kind = g.node(node)["kind"]
        fill, border = NODE_COLORS.get(kind, NODE_COLORS["op"])
        ax = renderer.ax
        self.box = FancyBboxPatch(
            (x - w / 2, y - h / 2), w, h, boxstyle=f"round,pad=0,rounding_size={min(6, h / 4)}",
            facecolor=fill, edgecolor=border, linewidth=1.3, animated=True,
        )
        ax.add_artist(self.box)  # add_patch would also recompute the data limits: slow
        self.texts: list[Text] = []
        self.grad: Text | None = None
        self.maps: dict[str, _Heatmap] = {}
        self.captions: dict[str, list[Text]] = {}
        self._eraser: Rectangle | None = None
        look = geo.looks.get(node) or _look(_NodeWords(g, node, ()), geo.detail, geo.fontsize,
                                            False)
        fs = geo.fontsize
        if look.maps:
            self._maps(renderer, node, look)
        elif geo.detail >= 2:
            small, step = max(fs * 0.92, MIN_PT), h / 3.3
            top = self._text(ax, x, y + step, look.title, fs, "bold")
            value = self._text(ax, x, y, look.lines[0], small, "normal")
            fixed = look.lines[1] if not look.lines[1].startswith("∂") else ""
            self.grad = self._text(ax, x, y - step, fixed, small, "normal",
                                   COLORS["text"] if fixed else COLORS["backward"])
            self.texts = [top, value, self.grad]
        else:
            self.texts = [self._text(ax, x, y, look.title, fs, "bold")]
        self._chars = geo.chars(max(fs * 0.92, MIN_PT))

    def _maps(self, renderer: FrameRenderer, node: str, look: NodeLook) -> None:
        """A title, then the value's and the gradient's heatmaps side by side, with words."""
        g, geo, ax = renderer.graph, renderer.geometry, renderer.ax
        (x, y), h = geo.centres[node], geo.height(node)
        fs = geo.fontsize
        small = max(fs * 0.92, MIN_PT)
        top = y + h / 2 - 4
        self.texts = [self._text(ax, x, top - line_px(fs) / 2, look.title, fs, "bold")]
        value = g.node(node)["value"]
        columns = [("value" if k == 0 else "grad", label, value)
                   for k, (label, _) in enumerate(_columns(g, node))]
        sizes = [map_px(v, small, geo.map_side) for _, _, v in columns]
        stats = geo.detail == 3
        self.stats = stats
        widths = [max([w, *(px(t, small) for t in stat_lines(lab, v, stats))])
                  for (_, lab, v), (w, _) in zip(columns, sizes)]
        left = x - (sum(widths) + 10) / 2
        maps_top = top - line_px(fs) - 4
        text_top = maps_top - max(hh for _, hh in sizes) - 3
        for (key, lab, v), (map_w, map_h), width in zip(columns, sizes, widths):
            centre = left + width / 2
            extent = (centre - map_w / 2, centre + map_w / 2, maps_top - map_h, maps_top)
            self.maps[key] = _Heatmap(ax, v, extent, renderer.scales[key], small)
            lines = stat_lines(lab, v, stats) if key == "value" else [lab]
            color = COLORS["text"] if key == "value" else COLORS["backward"]
            # one text of several lines: laid out once (drawing text is the slow part)
            self.captions[key] = [
                ax.text(centre, text_top, "\n".join(lines), ha="center", va="top",
                        fontsize=small, color=color, family=FONT, animated=True,
                        linespacing=LINESPACING)
            ]
            left += width + 10
        self.grad_known = False

    @staticmethod
    def _text(ax: Any, x: float, y: float, text: str, fs: float, weight: str,
              color: str = COLORS["text"]) -> Text:
        return ax.text(x, y, text, ha="center", va="center", fontsize=fs, fontweight=weight,
                       color=color, family=FONT, animated=True)

    def set_grad(self, label: str, value: Any = None) -> None:
        """Show the node's gradient: its heatmap and words, a third line of text, or (names
        only) a red border."""
        if "grad" in self.maps and value is not None and words.as_grid(value) is not None:
            self.maps["grad"].update(value)
            text = self.captions["grad"][0]
            label = text.get_text().split("\n")[0]
            text.set_text("\n".join(stat_lines(label, value, self.stats)))
            self.grad_known = True
        elif self.grad is not None:
            self.grad.set_text(label)  # the box was measured for the longest gradient
        else:
            self.box.set_edgecolor(COLORS["backward"])
            self.box.set_linewidth(2.2)

    def draw_grad(self, renderer: Any) -> None:
        """Redraw only what a new gradient changes: over a patch of the box's own colour, the
        gradient's heatmap and words, or its line of text (drawing text is the slow part, and
        the title and the value have not changed). Small boxes without lines: the whole box."""
        if "grad" in self.maps:
            parts = [a for a in self.maps["grad"].artists] + self.captions["grad"]
        elif self.grad is not None:
            parts = [self.grad]
        else:
            self.draw(renderer)
            return
        if self._eraser is None:
            self._eraser = self._cover(renderer, parts)
        self._eraser.draw(renderer)
        if "grad" in self.maps:
            self.maps["grad"].draw(renderer)
            for text in self.captions["grad"]:
                text.draw(renderer)
        else:
            self.grad.draw(renderer)

    def _cover(self, renderer: Any, parts: list[Any]) -> Rectangle:
        """A rectangle of the box's fill over the gradient's part of the box (inside its
        border), to draw the new gradient on."""
        (x0, y0), (x1, y1) = self.box.get_bbox().get_points()
        texts = [p for p in parts if isinstance(p, Text)]
        if self.maps:
            left = min(p.get_extent()[0] for p in self.maps["grad"].artists[:1])
            left = min([left, *(t.get_window_extent(renderer).x0 for t in texts)])
            bottom, top, right = y0 + 2, self.texts[0].get_window_extent(renderer).y0, x1 - 2
        else:  # the third line: centred one line step (h / 3.3) below the box's centre
            step = (y1 - y0) / 3.3
            centre = (y0 + y1) / 2 - step
            left, right = x0 + 2, x1 - 2
            bottom, top = max(centre - step / 2, y0 + 2), centre + step / 2
        cover = Rectangle((left - 1, bottom), right - left + 1, top - bottom,
                          facecolor=self.box.get_facecolor(), edgecolor="none", animated=True)
        cover.set_transform(self.box.get_transform())
        cover.set_figure(self.box.figure)
        return cover

    def draw(self, renderer: Any) -> None:
        self.box.draw(renderer)
        for text in self.texts:
            text.draw(renderer)
        for key, heat in self.maps.items():
            if key == "value" or self.grad_known:
                heat.draw(renderer)
            for text in self.captions.get(key, ()):
                text.draw(renderer)


class FrameRenderer:
    """Draws the frames of one graph's animation (see the module docstring for how).

    >>> pngs = FrameRenderer(graph).render(build_steps(graph))   # one PNG (bytes) per step

    ``heatmaps=True`` draws tensors as heatmaps (the player does); the frame is ``width`` ×
    ``height`` pixels or, for a graph that needs more room, larger (see :class:`Geometry`).
    """

    def __init__(self, graph: Graph, width: int = WIDTH, height: int = HEIGHT,
                 heatmaps: bool = False) -> None:
        self.graph = graph
        self.heatmaps = heatmaps
        self.scales = _colour_scales(graph) if heatmaps else {"value": 1.0, "grad": 1.0}
        self.geometry = Geometry.of(graph, width, height, heatmaps, self._legend_texts())
        width, height = self.size = self.geometry.size
        self.fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, height)
        self.ax.axis("off")
        self._nodes: dict[str, _NodeArtists] = {}
        self._draw_static()
        self._make_reusable_artists()
        self.canvas.draw()
        self._renderer = self.canvas.get_renderer()
        self._static = self._kept = self.canvas.copy_from_bbox(self.fig.bbox)

    # -- the picture that never changes ------------------------------------------------------

    def _legend_entries(self) -> list[tuple[str, str, str, str]]:
        """(words, fill, border, style) of each legend entry; fill "" marks words in colour."""
        kinds = {self.graph.node(n)["kind"] for n in self.graph.nx}
        entries = [(words.KIND_NAMES[k], *NODE_COLORS[k], "solid")
                   for k in ("leaf", "op", "module", "output") if k in kinds]
        entries.append(("still to run", "white", COLORS["ghost"], "dashed"))
        entries.append(("blue: the forward step now", "", COLORS["forward"], ""))
        entries.append((f"red: gradients {words.grad_name(self.graph.output, '·')}", "",
                        COLORS["backward"], ""))
        if self.heatmaps and any(look.maps for look in self.geometry_looks()):
            entries.append((
                f"squares: red +, blue −, white 0 (values ±{words.number(self.scales['value'])},"
                f" gradients ±{words.number(self.scales['grad'])})", "map", "", ""))
        return entries

    def geometry_looks(self) -> list[NodeLook]:
        geometry = getattr(self, "geometry", None)
        if geometry is None:  # before the geometry exists: would any node be a heatmap?
            return [NodeLook("", maps=words.as_grid(self.graph.node(n)["value"]) is not None)
                    for n in self.graph.nx] if len(self.graph) <= HEATMAP_NODES else []
        return list(geometry.looks.values())

    def _legend_texts(self) -> list[str]:
        return [entry[0] for entry in self._legend_entries()]

    def _draw_static(self) -> None:
        geo, ax = self.geometry, self.ax
        routes = list(geo.routes.values())
        ax.add_collection(LineCollection(routes, colors=COLORS["edge_unused"], linewidths=1.2))
        ax.add_collection(PolyCollection(
            [arrowhead(r[-1], r[-2]) for r in routes], facecolors=COLORS["edge_unused"],
            edgecolors="none",
        ))
        w = geo.box[0]
        ops = [n for n in self.graph.forward_order]
        outlines = [_rectangle(geo.centres[n], w - 4, geo.height(n) - 4)  # hidden once drawn
                    for n in ops]
        ax.add_collection(LineCollection(
            outlines, colors=COLORS["ghost"], linewidths=0.9, linestyles=(0, (3, 3))
        ))
        for n in ops:
            x, y = geo.centres[n]
            ax.text(x, y, n, ha="center", va="center", color=COLORS["ghost"],
                    fontsize=geo.fontsize, family=FONT)
        self._draw_legend()

    def _draw_legend(self) -> None:
        """The legend under the graph, measured, in as many rows as it needs."""
        width = self.size[0]
        rows = round((self.geometry.footer - 12) / 18)
        x, y = MARGIN, 6 + (rows - 0.5) * 18
        for text, fill, border, style in self._legend_entries():
            swatch = 0.0 if fill == "" else 24.0
            need = px(text, LEGEND_PT) + swatch + 10
            if x > MARGIN and x + need > width - MARGIN:
                x, y = MARGIN, y - 18
            if fill == "map":
                self.ax.imshow(np.linspace(-1, 1, 9)[None, :], cmap=words.HEATMAP_CMAP,
                               vmin=-1, vmax=1, extent=(x, x + 18, y - 6, y + 6),
                               aspect="auto", interpolation="nearest")
            elif fill:
                self.ax.add_patch(FancyBboxPatch(
                    (x, y - 6), 18, 12, boxstyle="round,pad=0,rounding_size=3", facecolor=fill,
                    edgecolor=border, linestyle=style, linewidth=1,
                ))
            color = border if fill == "" else COLORS["muted"]
            self.ax.text(x + swatch, y, text, va="center", fontsize=LEGEND_PT, color=color,
                         family=FONT)
            x += need

    def _make_reusable_artists(self) -> None:
        """Artists drawn again and again with new contents: lines, arrowheads, rings, labels."""
        ax = self.ax
        self._lines = ax.add_collection(LineCollection([], animated=True))
        self._heads = ax.add_collection(PolyCollection([], animated=True, edgecolors="none"))
        self._rings = ax.add_collection(
            LineCollection([], animated=True, linewidths=2.6, joinstyle="round", capstyle="round")
        )
        self._badges: dict[tuple[str, str], Any] = {}
        label_box = {"boxstyle": "round,pad=0.3", "facecolor": "white", "alpha": 0.95}
        self._label = ax.text(0, 0, "", ha="center", va="center", fontsize=9.5,
                              fontweight="bold", animated=True, bbox=dict(label_box))
        self._note = ax.text(0, 0, "", ha="center", fontsize=9, animated=True,
                             color=COLORS["backward"], bbox=dict(label_box))
        self._badge = ax.text(MARGIN, self.size[1] - 23, "", va="center", fontsize=10,
                              fontweight="bold", color="white", animated=True,
                              bbox={"boxstyle": "round,pad=0.35", "linewidth": 0})
        self._title = ax.text(MARGIN + 112, self.size[1] - 23, "", va="center", fontsize=11,
                              color=COLORS["text"], animated=True)

    # -- drawing pieces into the pixels ------------------------------------------------------

    def _node(self, node: str) -> _NodeArtists:
        if node not in self._nodes:
            self._nodes[node] = _NodeArtists(self, node)
        return self._nodes[node]

    def _draw_edges(self, edges: Iterable[Edge], color: str, width: float,
                    heads: str | None = "end") -> None:
        routes = [self.geometry.routes[e] for e in edges if e in self.geometry.routes]
        if not routes:
            return
        self._lines.set_segments(routes)
        self._lines.set_color(color)
        self._lines.set_linewidth(width)
        self._lines.draw(self._renderer)
        if heads is not None:
            size = 8 + width
            tips = [arrowhead(r[-1], r[-2], size) if heads == "end" else arrowhead(r[0], r[1], size)
                    for r in routes]
            self._heads.set_verts(tips)
            self._heads.set_facecolor(color)
            self._heads.draw(self._renderer)

    def _draw_rings(self, nodes: Iterable[str], color: str) -> None:
        geo = self.geometry
        rings = [_rectangle(geo.centres[n], geo.box[0] + 7, geo.height(n) + 7) for n in nodes
                 if n in geo.centres]
        if rings:
            self._rings.set_segments(rings)
            self._rings.set_color(color)
            self._rings.draw(self._renderer)

    def _draw_text(self, artist: Text, text: str, xy: Point, edge_color: str) -> None:
        artist.set_text(text)
        artist.set_position(xy)
        artist.get_bbox_patch().set_edgecolor(edge_color)
        artist.draw(self._renderer)

    def _draw_header(self, badge: str, color: str, text: str) -> None:
        """The badge (FORWARD, BACKWARD: drawn once each, then pasted) and the frame's title."""
        key = (badge, color)
        if key in self._badges:
            self.canvas.restore_region(self._badges[key])
        else:
            self._badge.set_text(badge)
            self._badge.get_bbox_patch().set_facecolor(color)
            self._badge.draw(self._renderer)
            area = self._badge.get_bbox_patch().get_window_extent(self._renderer).padded(2)
            self._badges[key] = self.canvas.copy_from_bbox(area)
        room = self.size[0] - MARGIN - (MARGIN + 112)
        size = 11.0
        while size > MIN_PT and px(text, size) > room:  # shrink to fit, down to 9 pixels
            size -= 0.5
        self._title.set_fontsize(max(size, MIN_PT))
        self._title.set_text(text if px(text, size) <= room else fit_px(text, room, size))
        self._title.draw(self._renderer)

    # -- steps ---------------------------------------------------------------------------------

    def apply(self, step: Step) -> None:
        """Draw what ``step`` changes for good: new values, new gradients, used edges."""
        if step.done_edges:
            used = COLORS["edge"] if step.phase == "forward" else COLORS["edge_grad"]
            heads = "end" if step.phase == "forward" else None
            self._draw_edges(step.done_edges, used, 1.6, heads)
        for node, label in step.grads.items():
            self._node(node).set_grad(label, step.grad_values.get(node))
        revealed = [n for n in dict.fromkeys(step.reveal) if n in self.geometry.centres]
        self._draw_nodes(revealed)
        for node in step.grads:  # only the gradient's part of a box already drawn
            if node in self.geometry.centres and node not in revealed:
                self._node(node).draw_grad(self._renderer)

    def _draw_nodes(self, nodes: Sequence[str]) -> None:
        """Draw nodes; many at once have their boxes drawn as one collection (much faster)."""
        if len(nodes) < 8:
            for node in nodes:
                self._node(node).draw(self._renderer)
            return
        boxes = PatchCollection([self._node(n).box for n in nodes], match_original=True)
        boxes.set_transform(self.ax.transData)
        boxes.set_figure(self.fig)
        boxes.draw(self._renderer)
        for node in nodes:
            for text in self._node(node).texts:
                text.draw(self._renderer)

    def highlight(self, step: Step) -> None:
        """Draw this frame's highlights (not kept for the next frame)."""
        color = COLORS[step.phase]
        if step.focus_edges:
            self._draw_edges(step.focus_edges, color, 3.2,
                             "end" if step.phase == "forward" else "start")
        self._draw_rings(step.focus, color)
        if step.edge_label and len(step.focus_edges) == 1:
            self._label.set_color(color)
            self._draw_edge_label(step, color)
        if step.note and step.focus:
            node = step.focus[0]
            (x, y), h = self.geometry.centres[node], self.geometry.height(node)
            below = y - h / 2 - 8 > self.geometry.footer + 14
            self._note.set_verticalalignment("top" if below else "bottom")
            half = px(step.note, 9) / 2 + 4
            x = min(max(x, half + 4), self.size[0] - half - 4)
            self._draw_text(self._note, step.note, (x, y - h / 2 - 8 if below else y + h / 2 + 8),
                            color)
        self._draw_header(step.phase.upper(), color, step.title)

    def _draw_edge_label(self, step: Step, color: str) -> None:
        """``upstream x local = contribution`` just above the node receiving it (the gap between
        columns is narrower than the label, so on the edge itself it would cover the boxes);
        on the edge when the node's running-sum note already takes the space above."""
        node = step.focus[0]
        (x, y), h = self.geometry.centres[node], self.geometry.height(node)
        note_above = bool(step.note) and not y - h / 2 - 8 > self.geometry.footer + 14
        if step.focus and not note_above and y + h / 2 + 30 < self.size[1] - 40:
            half = px(step.edge_label, 9.5, bold=True) / 2 + 4
            x = min(max(x, half + 4), self.size[0] - half - 4)
            self._label.set_verticalalignment("bottom")
            self._draw_text(self._label, step.edge_label, (x, y + h / 2 + 6), color)
            return
        route = self.geometry.routes.get(step.focus_edges[0])
        if route:
            self._label.set_verticalalignment("center")
            x, y = label_point(route)
            self._draw_text(self._label, step.edge_label, (x, y + 14), color)

    def render(self, steps: Sequence[Step]) -> list[bytes]:
        """One PNG per step, in order. Each step builds on the pixels of the step before."""
        pngs = []
        for step in steps:
            self.canvas.restore_region(self._kept)
            self.apply(step)
            self._kept = self.canvas.copy_from_bbox(self.fig.bbox)
            self.highlight(step)
            pngs.append(encode_png(bytes(self.canvas.buffer_rgba()), self.size))
        return pngs

    def picture(
        self,
        edges: Iterable[Edge] = (),
        nodes: Iterable[str] = (),
        labels: Mapping[Edge, str] | None = None,
        heading: str = "",
        color: str = COLORS["path"],
    ) -> bytes:
        """The finished graph (every value and gradient) with ``edges`` and ``nodes`` highlighted
        and ``labels`` written on edges: the path explorer's picture."""
        if not hasattr(self, "_finished"):
            self.canvas.restore_region(self._static)
            g = self.graph
            self._draw_edges(list(self.geometry.routes), COLORS["edge"], 1.4)
            for node in self.geometry.centres:
                grad = g.node(node)["grad"]
                if grad is not None:
                    self._node(node).set_grad(grad_text(g, node, grad), grad)
            self._draw_nodes(list(self.geometry.centres))
            self._finished = self.canvas.copy_from_bbox(self.fig.bbox)
        self.canvas.restore_region(self._finished)
        edges = list(edges)
        self._draw_edges(edges, color, 3.2)
        self._draw_rings(nodes, color)
        self._label.set_color(color)
        self._label.set_fontsize(8)
        for edge, text in (labels or {}).items():
            route = self.geometry.routes.get(edge)
            if route:
                self._draw_text(self._label, text, label_point(route), color)
        self._label.set_fontsize(9.5)
        self._draw_header("PATHS", color, heading)
        return encode_png(bytes(self.canvas.buffer_rgba()), self.size)


def _rectangle(centre: Point, w: float, h: float) -> list[Point]:
    x, y = centre
    return [(x - w / 2, y - h / 2), (x + w / 2, y - h / 2), (x + w / 2, y + h / 2),
            (x - w / 2, y + h / 2), (x - w / 2, y - h / 2)]
