"""Geometry that never cuts text: every frame of the player, for the lesson graphs, a 100-node
graph and micrograd's network, is checked as it is drawn.

In each frame: every word of a node lies inside that node's box, no two nodes' words overlap,
the legend and header stay inside the frame, and no text is smaller than 9 pixels (at 100%
zoom: the PNG is shown at its own size).
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.transforms import Bbox
from viz_graphs import micrograd_demo, source_scalar, source_tensor

import autogradlab as ag
from autogradlab import viz
from autogradlab.viz.words import MIN_FONT_PX
from autogradlab.widgets.frames import DPI, FrameRenderer
from autogradlab.widgets.steps import build_steps


def lesson7():
    """Lesson 7's graph: a 2-16-2 model and its cross-entropy on four points."""
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 2))
    X, y = ag.data.moons(500, seed=0)
    X4, y4 = X[:4], y[:4]
    loss = ag.nn.CrossEntropyLoss()(model(X4), y4)
    loss.backward()
    names = {"X4": X4, "y4": y4, "loss": loss, "W1": model[0].weight, "b1": model[0].bias,
             "W2": model[2].weight, "b2": model[2].bias}
    return viz.trace(loss, names=names)


def random_graph(size: int = 100, seed: int = 0):
    """A scalar graph of ``size`` nodes (the benchmark's kind), after backward."""
    rng = np.random.default_rng(seed)
    nodes = [ag.tensor(float(v), requires_grad=True) for v in rng.normal(size=size // 4)]
    unused = list(nodes)
    while len(nodes) < size - len(unused):
        first = unused.pop(0) if unused else nodes[-1]
        second = nodes[int(rng.integers(max(len(nodes) - 8, 0), len(nodes)))]
        result = [first * second, first + second, (first - second).tanh()][int(rng.integers(3))]
        nodes.append(result)
        unused.append(result)
    while len(unused) > 1:
        unused.append(unused.pop(0) + unused.pop(0))
    unused[0].backward()
    return viz.trace(unused[0], names={})


def _scalar():
    ns = source_scalar()
    return viz.trace(ns["L"], names=ns)


def _tensor():
    ns = source_tensor()
    return viz.trace(ns["L"], names=ns)


def _micrograd(open_groups=()):
    ns = micrograd_demo()
    graph = viz.trace(ns["loss"], names=ns)
    view, _ = viz.transforms.reduce(graph, open_groups=open_groups, fallback="columns")
    return view


def _hundred(folded: bool):
    graph = random_graph(100)
    return viz.transforms.reduce(graph, fallback="columns")[0] if folded else graph


CASES = {
    "lesson 3/4 scalar graph": _scalar,
    "source 5x5 tensors": _tensor,
    "lesson 7": lesson7,
    "micrograd folded": _micrograd,
    "micrograd layer 1 opened": lambda: _micrograd({"1"}),
    "100 nodes folded": lambda: _hundred(True),
}
SLOW = {"100 nodes, every node": lambda: _hundred(False)}  # some 400 frames: about 30 s


def _extent(artist, renderer) -> Bbox:
    return artist.get_window_extent(renderer)


def _node_texts(artists) -> list:
    cells = [a for m in artists.maps.values() for a in m.artists[1:]]
    words = [*artists.texts, *(c for cs in artists.captions.values() for c in cs)]
    return [t for t in (*words, *cells) if t.get_text()], cells


def _check_nodes(r: FrameRenderer, nodes, where: str) -> None:
    """The words of ``nodes`` (those this frame changed) are inside their boxes, readable, and
    the lines of one box do not overlap."""
    renderer = r._renderer
    for node in nodes:
        artists = r._nodes[node]
        box = artists.box.get_window_extent(renderer).padded(1.0)
        texts, cells = _node_texts(artists)
        extents = [_extent(t, renderer) for t in texts]
        for text, extent in zip(texts, extents):
            assert box.contains(extent.x0, extent.y0) and box.contains(extent.x1, extent.y1), (
                f"{where}: {text.get_text()!r} leaves the box of {node}")
            assert text.get_fontsize() * DPI / 72 >= MIN_FONT_PX - 1e-6, (where, text.get_text())
        lines = [e for t, e in zip(texts, extents) if t not in cells]
        for i, a in enumerate(lines):
            for b in lines[i + 1:]:
                assert not a.shrunk(0.98, 0.8).overlaps(b.shrunk(0.98, 0.8)), (where, node)


def _check_overlay(r: FrameRenderer, where: str) -> None:
    """The header, the edge label, the note and the legend: readable and inside the frame."""
    renderer = r._renderer
    frame = Bbox.from_extents(0, 0, *r.size)
    others = [t for t in r.ax.texts if t.get_text() and not t.get_animated()]
    for text in [*others, r._title, r._label, r._note]:
        if not text.get_text():
            continue
        assert text.get_fontsize() * DPI / 72 >= MIN_FONT_PX - 1e-6, (where, text.get_text())
        extent = _extent(text, renderer)
        assert frame.contains(extent.x0, extent.y0) and frame.contains(extent.x1, extent.y1), (
            f"{where}: {text.get_text()!r} leaves the frame")


def _check_boxes(r: FrameRenderer, where: str) -> None:
    """No two boxes overlap (so neither do the words of two nodes)."""
    boxes = {n: a.box.get_window_extent(r._renderer) for n, a in r._nodes.items()}
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not boxes[a].shrunk(0.98, 0.98).overlaps(boxes[b].shrunk(0.98, 0.98)), (
                f"{where}: boxes {a} and {b} overlap")


def _check_frame(r: FrameRenderer, where: str) -> None:
    _check_nodes(r, list(r._nodes), where)
    _check_overlay(r, where)
    _check_boxes(r, where)


@pytest.mark.parametrize("name", [
    *sorted(CASES), *(pytest.param(name, marks=pytest.mark.slow) for name in SLOW)])
def test_every_frame_keeps_its_words_inside_and_readable(name):
    graph = {**CASES, **SLOW}[name]()
    r = FrameRenderer(graph, heatmaps=True)
    steps = build_steps(graph, max_nodes=10**6)
    for k, step in enumerate(steps):
        r.canvas.restore_region(r._kept)
        r.apply(step)
        r._kept = r.canvas.copy_from_bbox(r.fig.bbox)
        r.highlight(step)
        where = f"{name}, frame {k}"
        _check_nodes(r, dict.fromkeys((*step.reveal, *step.grads)), where)
        _check_overlay(r, where)
    assert len(r._nodes) == len(graph)  # every node was drawn, and checked
    _check_frame(r, f"{name}, last frame")


def test_the_check_finds_a_cut_title():
    """Negative test: a title longer than its box is caught."""
    graph = _scalar()
    r = FrameRenderer(graph, heatmaps=True)
    r.render(build_steps(graph))
    artists = r._nodes["b"]
    artists.texts[0].set_text("b = a very long title that does not fit in any box at all")
    with pytest.raises(AssertionError, match="leaves the box"):
        _check_frame(r, "negative")
