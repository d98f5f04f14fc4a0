"""Looking closer: one node at a time (:class:`NodeInspector`), or every path from a leaf to the
output (:class:`PathExplorer`).

.. code-block:: python

    ag.widgets.NodeInspector(L)     # pick a node: op, shape, value, gradient, local derivatives
    ag.widgets.PathExplorer(L)      # pick a leaf: its paths to L, and dL/dleaf as a sum over them

Both read the traced graph (``ag.viz.trace``); the path explorer's numbers come from
``ag.viz.chain_rule_paths``, which multiplies the local derivatives along each path and compares
the sum with the gradient the engine computed. Choosing in a dropdown runs Python, so these two
need a running kernel (the player's playback does not).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import networkx as nx
import numpy as np

from ..tensor import Tensor
from ..viz import words
from ..viz.trace import Graph, trace
from ..viz.why import to_html, why
from .frames import FrameRenderer, _colour_scales
from .static import ShowsAPicture
from .steps import Edge, short, title

MAX_PATHS = 40  # paths listed (and drawn) at most; the sum still covers all of them


def _pre(array: Any) -> str:
    """An array as text, short enough for a panel: one line of words (shape, min, max, norm:
    the same as in every view), then its numbers (edges only, when it is big)."""
    if array is None:
        return "<i>none</i>"
    said = html.escape(words.summary(array))
    if words.is_summary(array):
        return (f" {said} <i>(backward let go of the full array; the engine kept this "
                f"summary and a picture)</i>")
    if words.is_number(array):
        return f" {said}"
    text = np.array2string(np.asarray(array), precision=4, threshold=60, edgeitems=3,
                           max_line_width=90, suppress_small=True)
    return f" {said}<pre style='margin:2px 0'>{html.escape(text)}</pre>"


def heatmap_img(value: Any, limit: float) -> str:
    """An ``<img>`` of ``value`` as a heatmap (the frames' colours and scale), or ''."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..viz.draw import heatmap

    grid = words.as_grid(value)
    if grid is None:
        return ""
    numbers = words.shows_numbers(value)
    rows, cols = grid.shape
    width = cols * 0.5 if numbers else min(2.4, max(0.6, 2.4 * cols / max(rows, cols)))
    height = rows * 0.22 if numbers else min(2.4, max(0.3, 2.4 * rows / max(rows, cols)))
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    heatmap(ax, value, (0, 1, 0, 1), limit, 8.0)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f"<img src='data:image/png;base64,{data}' style='border:1px solid #cbd5e1; "
            f"margin:2px 0' alt='heatmap'>")


def local_text(graph: Graph, edge: Edge) -> str:
    """The local derivative on an edge, in a few characters ('' when it is only a formula)."""
    data = graph.edge(*edge)
    if data["local_value"] is not None:
        return words.local_text(data["local_value"])
    return ""


class NodeInspector(widgets.VBox):
    """A dropdown of the graph's nodes and a panel that describes the chosen one.

    The panel shows what the node is (leaf or operation, ``grad_fn``), its shape, dtype and
    device, its value and its gradient, and for an operation the formula of each local
    derivative with the number the engine used.
    """

    def __init__(
        self,
        output: Tensor | None = None,
        *,
        names: Mapping[str, Any] | None = None,
        graph: Graph | None = None,
    ) -> None:
        self.graph = graph if graph is not None else trace(output, names)  # type: ignore[arg-type]
        self.scales = _colour_scales(self.graph)  # the frames' colour scales: the same colours
        order = [*self.graph.leaves, *self.graph.forward_order]
        self.dropdown = widgets.Dropdown(
            options=[(title(self.graph, n), n) for n in order], value=self.graph.output,
            description="node",
        )
        self.details = widgets.HTML(self.describe(self.graph.output))
        self.details.add_class("autogradlab-node-details")
        self.dropdown.observe(self._show, names="value")
        super().__init__([self.dropdown, self.details])
        self.add_class("autogradlab-inspector")

    def _show(self, change: dict[str, Any]) -> None:
        self.details.value = self.describe(change["new"])

    def describe(self, node: str) -> str:
        """HTML describing ``node``."""
        g = self.graph
        data = g.node(node)
        out = g.output
        if data["op"] is None:
            what = f"a leaf tensor (requires_grad={data['requires_grad']}): you made it"
        else:
            what = f"the operation {data['op']} (its grad_fn is {data['grad_fn']})"
        rows = [
            f"<b>{html.escape(title(g, node))}</b> is {html.escape(what)}.",
            f"shape {tuple(data['shape'])}, {data['dtype']}, on {data['device']}",
            f"<b>value</b>{_pre(data['value'])}{heatmap_img(data['value'], self.scales['value'])}",
        ]
        if data["grad"] is None:
            rows.append(f"<b>∂{out}/∂{node}</b>: none yet (run {out}.backward())")
        else:
            rows.append(f"<b>∂{out}/∂{node}</b>{_pre(data['grad'])}"
                        f"{heatmap_img(data['grad'], self.scales['grad'])}")
        if g.note:
            rows.append(f"<i>{html.escape(g.note)}</i>")
        inputs = [s for s in g.nx.predecessors(node)]
        if data["formulas"]:
            lines = []
            by_slot = {k: s for s in inputs for k in g.edge(s, node)["indices"]}
            for slot, formula in enumerate(data["formulas"]):
                source = by_slot.get(slot, data["constants"].get(slot, "—"))
                here = ""
                if source in inputs:
                    local = local_text(g, (source, node))
                    here = f" → here ∂{node}/∂{source} = {local}" if local else ""
                lines.append(f"input {slot} ({html.escape(str(source))}): "
                             f"{html.escape(formula)}{html.escape(here)}")
            rows.append(
                "<b>local derivatives</b> (in a formula, a and b stand for the first and "
                "second input):<br>" + "<br>".join(lines)
            )
        if data["op"] is not None:  # why: the rule, the rule with its numbers, the source line
            rows.append(to_html(why(g, node)))
        users = list(g.nx.successors(node))
        if users:
            rows.append(f"used by: {html.escape(words.listed(users))}")
        return "<div style='font-size:13px;line-height:1.5'>" + "<br>".join(rows) + "</div>"


class PathExplorer(ShowsAPicture, widgets.VBox):
    """Pick a leaf: every path from it to the output is drawn, and ∂output/∂leaf is written as
    the sum, over those paths, of the product of the local derivatives along each one."""

    def __init__(
        self,
        output: Tensor,
        *,
        names: Mapping[str, Any] | None = None,
        graph: Graph | None = None,
        renderer: FrameRenderer | None = None,
    ) -> None:
        self.output = output
        self.graph = graph if graph is not None else trace(output, names)
        self.renderer = renderer or FrameRenderer(self.graph, heatmaps=True)
        self.tensors = self.graph.tensors
        leaves = [n for n in self.graph.leaves
                  if n in self.tensors and self.tensors[n].requires_grad
                  and nx.has_path(self.graph.nx, n, self.graph.output)]
        self.dropdown = widgets.Dropdown(
            options=leaves, value=leaves[0] if leaves else None, description="leaf"
        )
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%",
                                                                        max_width="1000px"))
        self.formula = widgets.HTML().add_class("autogradlab-paths-formula")
        self._cache: dict[str, tuple[bytes, str]] = {}
        self.dropdown.observe(lambda change: self.show(change["new"]), names="value")
        super().__init__([self.dropdown, self.formula, self.image])
        self.add_class("autogradlab-paths")
        if leaves:
            self.show(leaves[0])
        else:
            self.formula.value = "No leaf that requires grad leads to the output."

    def _static_png(self) -> bytes:
        """The paths of the leaf shown now: what static pages show."""
        return self.image.value

    def __repr__(self) -> str:
        return f"PathExplorer({self.graph.output}: paths from {self.dropdown.value})"

    def show(self, leaf: str) -> None:
        """Draw and explain the paths from ``leaf`` to the output."""
        if leaf not in self._cache:
            self._cache[leaf] = self._explain(leaf)
        self.image.value, self.formula.value = self._cache[leaf]

    def _explain(self, leaf: str) -> tuple[bytes, str]:
        g, out = self.graph, self.graph.output
        routes = list(itertools.islice(nx.all_simple_paths(g.nx, leaf, out), MAX_PATHS))
        edges: list[Edge] = list(dict.fromkeys(e for r in routes for e in zip(r, r[1:])))
        labels = {e: text for e in edges if (text := local_text(g, e))}
        picture = self.renderer.picture(
            edges, [leaf, out], labels,
            f"{len(routes)} path{'s' if len(routes) != 1 else ''} from {leaf} to {out}: "
            f"multiply along each, add them up",
        )
        return picture, self._formula(leaf)

    def _formula(self, leaf: str) -> str:
        out = self.graph.output
        try:
            from ..viz.paths import chain_rule_paths

            result = chain_rule_paths(self.graph, leaf)  # the picture's graph: the same names
        except Exception as error:  # the explanation must not take the explorer down
            return f"Could not compute the chain-rule paths: {html.escape(str(error))}"
        lines = [
            f"<b>∂{out}/∂{leaf}</b> = the sum over the {len(result.paths)} path"
            f"{'s' if len(result.paths) != 1 else ''} from {leaf} to {out} of the product of "
            f"the local derivatives along each path:"
        ]
        for k, path in enumerate(result.paths[:MAX_PATHS], 1):
            nodes = path.route().replace(" -> ", " → ")
            factors = " × ".join(words.local_text(d) for d in path.derivatives)
            lines.append(
                f"path {k}: {html.escape(nodes)}: {html.escape(factors)} = "
                f"{html.escape(short(path.product))}"
            )
        if len(result.paths) > MAX_PATHS:
            lines.append(f"… and {len(result.paths) - MAX_PATHS} more paths")
        verdict = "✓ the same" if result.matches else "✗ different!"
        lines.append(
            f"<b>sum = {html.escape(short(result.total))}</b>; the engine's "
            f"{leaf}.grad = {html.escape(short(result.engine_grad))} ({verdict})"
        )
        return "<div style='font-size:13px;line-height:1.6'>" + "<br>".join(lines) + "</div>"
