"""The whole graph at one moment, redrawn quickly each time its numbers change.

The animation player draws a story, each frame on top of the one before (see :mod:`.frames`).
The explorer and the training player need something else: the same graph, on the same layout,
with *all* its numbers replaced, many times over (after every slider move, after every phase of
a training step). :class:`SnapshotRenderer` is a :class:`~.frames.FrameRenderer` that does this
fast:

1. Once: the edges, every node's box and its first line (the name and expression, which do not
   change while the numbers do), kept as pixels.
2. Each snapshot: paste those pixels back, write each node's value line and gradient line, draw
   the highlights and the header, encode the PNG. A line of text already drawn once (the same
   words in the same box) is pasted back as pixels instead of drawn again.

The layout is computed once, in the constructor, so nothing jumps between snapshots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from ..viz.trace import Graph
from ..viz.words import COLORS, NODE_COLORS
from .frames import FrameRenderer, encode_png, fit


def compact(graph: Graph) -> Graph:
    """A copy of ``graph`` to lay out boxes of three short lines: each node holds one number
    and its title is its name. The frames measure the text they will write to size the
    boxes; a snapshot writes its own short lines, so it sizes them with these."""
    small = graph.nx.copy()
    for name, attrs in small.nodes(data=True):
        attrs["value"] = np.float64(0.0)
        attrs["grad"] = None
        attrs["expression"] = name
    return replace(graph, nx=small, backward_steps=[])


def same_shape(a: Graph, b: Graph) -> bool:
    """True when two traced graphs have the same nodes, edges and operations (so one layout,
    and the titles already drawn, fit both)."""
    if set(a.nx.nodes) != set(b.nx.nodes) or set(a.nx.edges) != set(b.nx.edges):
        return False
    return all(a.node(n)["expression"] == b.node(n)["expression"] for n in a.nx.nodes)


class SnapshotRenderer(FrameRenderer):
    """Draws ``graph``'s layout again and again with new numbers in the boxes.

    >>> renderer = SnapshotRenderer(graph)
    >>> png = renderer.snapshot({"a": "value 2.0"}, {"a": "∂L/∂a = -2.0"}, badge="EXPLORE",
    ...                         heading="L = 6.0")
    """

    def __init__(self, graph: Graph) -> None:
        super().__init__(graph)
        self._background = None
        self._with_lines = False  # boxes with three lines (name, value, gradient), or names only
        self._lines_seen: dict[tuple[str, int, str], Any] = {}  # (node, line, text) -> pixels
        self._line_chars = self.geometry.chars(self.geometry.fontsize * 0.92)

    def _legend_entries(self) -> list[tuple[str, str, str, str]]:
        """The animation's legend without what belongs to a story told step by step (an
        operation "still to run", "the forward step now"): a snapshot shows every node done."""
        return [entry for entry in super()._legend_entries()
                if entry[0] != "still to run" and not entry[0].startswith("blue:")]

    def _draw_background(self) -> None:
        """Edges, boxes and titles: what stays the same while the numbers change."""
        self.canvas.restore_region(self._static)
        self._draw_edges(list(self.geometry.routes), COLORS["edge"], 1.4)
        nodes = list(self.geometry.centres)
        self._with_lines = all(len(self._node(n).texts) == 3 for n in nodes)
        if self._with_lines:  # boxes and titles now; value and gradient lines later
            for node in nodes:
                artists = self._node(node)
                artists.box.draw(self._renderer)
                artists.texts[0].draw(self._renderer)
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def snapshot(
        self,
        values: Mapping[str, str],
        grads: Mapping[str, str],
        *,
        badge: str,
        heading: str,
        color: str = COLORS["forward"],
        rings: Iterable[str] = (),
    ) -> bytes:
        """A PNG of the graph with ``values`` and ``grads`` (node -> line of text) in the boxes,
        ``rings`` around some nodes, and a header: a coloured ``badge`` and a ``heading``."""
        if self._background is None:
            self._draw_background()
        self.canvas.restore_region(self._background)
        nodes = list(self.geometry.centres)
        if self._with_lines:
            for node in nodes:
                value, grad = self._node(node).texts[1:3]
                self._draw_line(node, value, fit(values.get(node, ""), self._line_chars))
                self._draw_line(node, grad, fit(grads.get(node, ""), self._line_chars))
        else:  # small boxes: no lines of numbers; a red border marks a node with a gradient
            for node in nodes:
                border = NODE_COLORS.get(self.graph.node(node)["kind"], NODE_COLORS["op"])[1]
                self._node(node).box.set_edgecolor(COLORS["grad"] if grads.get(node) else border)
            self._draw_nodes(nodes)
        self._draw_rings(rings, color)
        self._draw_header(badge, color, heading)
        return encode_png(bytes(self.canvas.buffer_rgba()), self.size)

    def _draw_line(self, node: str, artist: Text, text: str) -> None:
        """Write one line of a box. A line drawn before is pasted back as pixels: drawing text
        is the slow part, and between two snapshots most lines stay the same."""
        key = (node, id(artist), text)
        if key in self._lines_seen:
            self.canvas.restore_region(self._lines_seen[key])
            return
        if len(self._lines_seen) > 1000:  # a long session at the sliders: start again
            self._lines_seen.clear()
        artist.set_text(text)
        artist.draw(self._renderer)
        (x, y), (w, h) = artist.get_position(), self.geometry.box
        half = h / 3.3 / 2  # the lines of a box are h / 3.3 apart
        strip = Bbox.from_extents(x - w / 2 + 2, y - half, x + w / 2 - 2, y + half)
        self._lines_seen[key] = self.canvas.copy_from_bbox(strip)
