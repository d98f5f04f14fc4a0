"""One voice: a value and a gradient read the same in every view (draw, DOT, the player's
frames and captions, the node inspector, explain and the path explorer), because every view
writes them with ``autogradlab.viz.words``."""

from __future__ import annotations

import contextlib
import io
import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import autogradlab as ag  # noqa: E402
from autogradlab import viz  # noqa: E402
from autogradlab.viz import words  # noqa: E402
from autogradlab.widgets import GraphPlayer, NodeInspector, PathExplorer  # noqa: E402


def _views(graph, leaf: str) -> dict[str, str]:
    """Every view's text about ``graph``, one string per view."""
    figure = viz.draw(graph)
    player = GraphPlayer(graph=graph, paths=True)
    frames = "\n".join(t.get_text() for a in player.renderer._nodes.values()
                       for t in (*a.texts, *(c for cs in a.captions.values() for c in cs),
                                 *(c for m in a.maps.values() for c in m.artists[1:])))
    explained = io.StringIO()
    with contextlib.redirect_stdout(explained):
        viz.explain(graph, leaf)
    explorer = PathExplorer(graph.tensors[leaf], graph=graph)
    explorer.show(leaf)
    return {
        "draw": "\n".join(t.get_text() for t in figure.axes[0].texts),
        "dot": viz.to_dot(graph).replace("\\n", "\n"),
        "frames": frames,
        "captions": "\n".join(s.caption for s in player.steps),
        "inspector": NodeInspector(graph=graph).describe(leaf),
        "explain": explained.getvalue(),
        "paths": explorer.formula.value,
    }


def test_one_number_and_one_gradient_read_the_same_everywhere():
    x = ag.tensor(0.123456, requires_grad=True)
    y = x * 3.21
    L = y.tanh()
    L.backward()
    graph = viz.trace(L, names={"x": x, "y": y, "L": L})
    value, grad = words.number(x.item()), words.number(x.grad.item())
    assert (value, grad) == ("0.1235", "2.754")  # four significant digits, written once
    views = _views(graph, "x")
    for view in ("draw", "dot", "frames"):  # boxes: "value 0.1235", "∂L/∂x = 2.823"
        assert f"value {value}" in views[view], view
        assert f"∂L/∂x = {grad}" in views[view], view
    for view in ("captions", "inspector", "explain", "paths"):
        assert value in views[view] or view in ("explain", "paths"), view
        assert grad in views[view], view
        assert "0.12346" not in views[view] and "2.8228" not in views[view], view  # no 2nd voice
    assert f"x.grad = {grad}" in views["captions"] and f"x.grad = {grad}" in views["explain"]


def test_one_tensor_reads_the_same_everywhere():
    w = ag.tensor([[1.0, -2.0], [0.5, 4.0]], requires_grad=True)
    L = (w * w).sum()
    L.backward()
    graph = viz.trace(L, names={"w": w, "L": L})
    value = words.summary(w.detach().numpy())
    assert value == "2×2, min -2.0, max 4.0, norm 4.61"
    grad = words.summary(w.grad.numpy())
    views = _views(graph, "w")
    for view in ("draw", "dot", "inspector"):
        assert value in views[view] and grad in views[view], view
    assert f"w.grad = {grad}" in views["captions"]
    assert f"equals w.grad = {grad}" in views["explain"]
    # the frames print a 2×2 tensor's numbers in its heatmap's cells
    for entry in w.grad.numpy().reshape(-1):
        assert words.cell(entry) in views["frames"].splitlines()


def test_nan_and_inf_have_one_spelling():
    assert [words.number(v) for v in (math.nan, math.inf, -math.inf, -0.0)] == [
        "nan", "inf", "-inf", "0.0"]
    assert words.summary(np.array([np.nan, 1.0, 3.0])) == "3, min 1.0, max 3.0, norm 3.162, 1 nan"
    assert words.summary(np.array([np.inf, 1.0])) == "2, min 1.0, max inf, norm inf"


def test_size_limits_live_in_words():
    """The views read their limits from words (one place), not from copies of the number."""
    import importlib

    draw = importlib.import_module("autogradlab.viz.draw")
    steps = importlib.import_module("autogradlab.widgets.steps")
    transforms = importlib.import_module("autogradlab.viz.transforms")
    assert steps.MAX_NODES is words.MAX_NODES
    assert draw.STYLE["detail_nodes"] == words.MAX_NODES
    assert transforms.reduce.__defaults__[3] == words.MAX_NODES


def test_a_bigger_tensor_shows_its_statistics_in_the_frames():
    from viz_graphs import source_tensor

    ns = source_tensor()
    graph = viz.trace(ns["L"], names=ns)
    player = GraphPlayer(graph=graph)
    lines = [line for a in player.renderer._nodes.values()
             for cs in a.captions.values() for t in cs for line in t.get_text().splitlines()]
    for key in ("value", "grad"):
        array = ns["a"].detach().numpy() if key == "value" else ns["a"].grad.numpy()
        for part in words.stats(array).split(", "):
            assert part in lines, (key, part)
