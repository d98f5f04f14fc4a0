"""Drawing an animation's frames with matplotlib, quickly enough to build them in a notebook.

A frame is a 1000×600 PNG. Redrawing a 100-node picture from scratch costs about 0.4 s, and an
animation has dozens of frames, so :class:`FrameRenderer` works like a flip-book artist:

1. Draw what never changes **once**: every edge (one ``LineCollection``), a dashed outline for
   each operation still to run, the legend. Keep those pixels.
2. For each step, paste back the pixels kept from the previous step and draw **only what this
   step changes** on top: a node whose value is now known, a node whose gradient label changed,
   an edge just used. Keep the result for the next step.
3. Draw this frame's **highlights** (the current node and edge, the arithmetic on the edge),
   which the next step does not keep, and encode the PNG.

Artists are made once and reused (``set_text``, ``set_segments``), and each is drawn on its own
with ``artist.draw(renderer)`` into the canvas' pixels. What is left per frame is a handful of
artists plus PNG encoding, which is the floor (see ``benchmarks/animation.py``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PatchCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch
from matplotlib.text import Text
from PIL import Image

from ..viz import words
from ..viz.layout import compute
from ..viz.trace import Graph
from ..viz.words import COLORS, FONT, NODE_COLORS
from .steps import Edge, Step, grad_text, title

Point = tuple[float, float]

WIDTH, HEIGHT, DPI = 1000, 600, 100
HEADER, FOOTER, MARGIN = 46, 30, 14  # pixels kept free for the title, legend and border


@dataclass(frozen=True)
class Geometry:
    """Where things go, in pixels (origin bottom left): node centres, box size, edge routes."""

    centres: dict[str, Point]
    box: tuple[float, float]
    routes: dict[Edge, list[Point]]
    detail: int  # 3: name, value and gradient lines; 1: names only; 0: boxes only
    fontsize: float  # points

    @classmethod
    def of(cls, graph: Graph, width: int = WIDTH, height: int = HEIGHT) -> Geometry:
        """Fit ``ag.viz.layout``'s layers into the frame, boxes as large as the space allows."""
        lay = compute(graph)
        if not lay.positions:
            return cls({}, (0, 0), {}, 0, 8)
        xs = [p[0] for p in lay.positions.values()]
        ys = [p[1] for p in lay.positions.values()]
        columns = max(xs) - min(xs) + 1
        rows = max(ys) - min(ys) + 1
        area_w = width - 2 * MARGIN
        area_h = height - HEADER - FOOTER - 8
        col_w, row_h = area_w / columns, area_h / rows
        box_w = min(180.0, 0.84 * col_w)
        box_h = min(58.0, 0.8 * row_h)

        def place(p: Point) -> Point:
            return (
                MARGIN + (p[0] - min(xs) + 0.5) * col_w,
                FOOTER + 4 + (p[1] - min(ys) + 0.5) * row_h,
            )

        centres = {n: place(p) for n, p in lay.positions.items()}
        routes = {}
        for edge, points in lay.routes.items():
            pts = [place(p) for p in points]
            (x0, y0), (x1, y1) = pts[0], pts[-1]
            pts[0], pts[-1] = (x0 + box_w / 2, y0), (x1 - box_w / 2 - 1, y1)
            routes[edge] = pts
        if box_h >= 40 and box_w >= 60:
            detail, fontsize = 3, min(9.0, box_h / 3.3 * 0.72 * 0.82)
        elif box_h >= 13 and box_w >= 24:
            detail, fontsize = 1, min(8.5, box_h * 0.72 * 0.62)
        else:
            detail, fontsize = 0, 6.0
        return cls(centres, (box_w, box_h), routes, detail, fontsize)

    def chars(self, fontsize: float | None = None, bold: bool = False) -> int:
        """How many characters fit across a box at ``fontsize`` (DejaVu Sans, on average)."""
        px = (fontsize or self.fontsize) / 0.72
        return max(int((self.box[0] - 8) / ((0.62 if bold else 0.55) * px)), 1)


def fit(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters, with an ellipsis when cut."""
    return text if len(text) <= chars else text[: max(chars - 1, 0)] + "…"


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


class _NodeArtists:
    """The box and the three lines of text of one node, made once, drawn when it changes."""

    def __init__(self, renderer: FrameRenderer, node: str) -> None:
        g, geo = renderer.graph, renderer.geometry
        (x, y), (w, h) = geo.centres[node], geo.box
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
        if geo.detail == 3:
            fs, small, step = geo.fontsize, geo.fontsize * 0.92, h / 3.3
            top = self._text(ax, x, y + step, fit(title(g, node), geo.chars(fs, True)), fs, "bold")
            value_line = fit(words.value_line(g.node(node)["value"]), geo.chars(small))
            value = self._text(ax, x, y, value_line, small, "normal")
            self.grad = self._text(ax, x, y - step, "", small, "normal", COLORS["backward"])
            self.texts = [top, value, self.grad]
        elif geo.detail == 1:
            fs = max(min(geo.fontsize, (w - 6) / (0.62 * len(node)) * 0.72), 5.0)  # fit the name
            name = fit(node, geo.chars(fs, bold=True))
            self.texts = [self._text(ax, x, y, name, fs, "bold")]
        self._chars = geo.chars(geo.fontsize * 0.92)

    @staticmethod
    def _text(ax: Any, x: float, y: float, text: str, fs: float, weight: str,
              color: str = COLORS["text"]) -> Text:
        return ax.text(x, y, text, ha="center", va="center", fontsize=fs, fontweight=weight,
                       color=color, family=FONT, animated=True)

    def set_grad(self, label: str) -> None:
        """Show the node's gradient: a third line of text, or a red border on small boxes."""
        if self.grad is not None:
            self.grad.set_text(fit(label, self._chars))
        else:
            self.box.set_edgecolor(COLORS["backward"])
            self.box.set_linewidth(2.2)

    def draw(self, renderer: Any) -> None:
        self.box.draw(renderer)
        for text in self.texts:
            text.draw(renderer)


class FrameRenderer:
    """Draws the frames of one graph's animation (see the module docstring for how).

    >>> pngs = FrameRenderer(graph).render(build_steps(graph))   # one PNG (bytes) per step
    """

    def __init__(self, graph: Graph, width: int = WIDTH, height: int = HEIGHT) -> None:
        self.graph = graph
        self.size = (width, height)
        self.geometry = Geometry.of(graph, width, height)
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

    def _draw_static(self) -> None:
        geo, ax = self.geometry, self.ax
        routes = list(geo.routes.values())
        ax.add_collection(LineCollection(routes, colors=COLORS["edge_unused"], linewidths=1.2))
        ax.add_collection(PolyCollection(
            [arrowhead(r[-1], r[-2]) for r in routes], facecolors=COLORS["edge_unused"],
            edgecolors="none",
        ))
        w, h = geo.box
        ops = [n for n in self.graph.forward_order]
        outlines = [_rectangle(geo.centres[n], w - 4, h - 4) for n in ops]  # hidden once drawn
        ax.add_collection(LineCollection(
            outlines, colors=COLORS["ghost"], linewidths=0.9, linestyles=(0, (3, 3))
        ))
        if geo.detail:
            for n in ops:
                x, y = geo.centres[n]
                ax.text(x, y, fit(n, geo.chars()), ha="center", va="center", color=COLORS["ghost"],
                        fontsize=geo.fontsize, family=FONT)
        self._draw_legend()

    def _draw_legend(self) -> None:
        x = MARGIN
        entries = [
            ("leaf (input)", *NODE_COLORS["leaf"], "solid"),
            ("operation", *NODE_COLORS["op"], "solid"),
            ("output", *NODE_COLORS["output"], "solid"),
            ("still to run", "white", COLORS["ghost"], "dashed"),
        ]
        for text, fill, border, style in entries:
            self.ax.add_patch(FancyBboxPatch(
                (x, 9), 18, 12, boxstyle="round,pad=0,rounding_size=3", facecolor=fill,
                edgecolor=border, linestyle=style, linewidth=1,
            ))
            label = self.ax.text(x + 24, 15, text, va="center", fontsize=8, color=COLORS["muted"])
            x += 34 + 5.6 * len(text)
        for text, color in (
            ("blue: the forward step now", COLORS["forward"]),
            (f"red: gradients ∂{self.graph.output}/∂·", COLORS["backward"]),
        ):
            label = self.ax.text(x, 15, text, va="center", fontsize=8, color=color)
            x += 24 + 5.9 * len(text)
        del label

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
        w, h = self.geometry.box
        rings = [_rectangle(self.geometry.centres[n], w + 7, h + 7) for n in nodes
                 if n in self.geometry.centres]
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
        self._title.set_text(fit(text, 110))
        self._title.draw(self._renderer)

    # -- steps ---------------------------------------------------------------------------------

    def apply(self, step: Step) -> None:
        """Draw what ``step`` changes for good: new values, new gradients, used edges."""
        if step.done_edges:
            used = COLORS["edge"] if step.phase == "forward" else COLORS["edge_grad"]
            heads = "end" if step.phase == "forward" else None
            self._draw_edges(step.done_edges, used, 1.6, heads)
        for node, label in step.grads.items():
            self._node(node).set_grad(label)
        changed = dict.fromkeys((*step.reveal, *step.grads))
        self._draw_nodes([n for n in changed if n in self.geometry.centres])

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
            (x, y), (_, h) = self.geometry.centres[step.focus[0]], self.geometry.box
            below = y - h / 2 - 8 > FOOTER + 14
            self._note.set_verticalalignment("top" if below else "bottom")
            half = 3.9 * len(step.note)  # about half the label's width, in pixels
            x = min(max(x, half + 4), self.size[0] - half - 4)
            self._draw_text(self._note, step.note, (x, y - h / 2 - 8 if below else y + h / 2 + 8),
                            color)
        self._draw_header(step.phase.upper(), color, step.title)

    def _draw_edge_label(self, step: Step, color: str) -> None:
        """``upstream x local = contribution`` just above the node receiving it (the gap between
        columns is narrower than the label, so on the edge itself it would cover the boxes);
        on the edge when the node's running-sum note already takes the space above."""
        (x, y), (_, h) = self.geometry.centres[step.focus[0]], self.geometry.box
        note_above = bool(step.note) and not y - h / 2 - 8 > FOOTER + 14
        if step.focus and not note_above and y + h / 2 + 30 < self.size[1] - 40:
            half = 3.9 * len(step.edge_label)
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
                if g.node(node)["grad"] is not None:
                    self._node(node).set_grad(grad_text(g, node, g.node(node)["grad"]))
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
