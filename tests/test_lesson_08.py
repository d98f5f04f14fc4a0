"""Lesson 8 (dynamic graphs, loops and a recurrent cell): what the lesson shows is what the engine
does.

* ``viz.transforms.by_steps`` folds an unrolled cell into one box per time step
  (``h0 -> h1 -> h2 ...``), each holding its hidden state's value and gradient, with the shared
  weights still feeding every step, and the backward events between steps kept: a shared weight
  receives one contribution per step, and they add up to its ``.grad``.
* The scalar cell's derivation (a product of one factor per step for ``h0``, a sum of one
  contribution per step for ``w``) gives the engine's numbers, and PyTorch's.
* The graph's size follows the data: the ``while`` loop and the sequence length.
"""

from __future__ import annotations

import numpy as np
import pytest

import autogradlab as ag
from autogradlab.exercises import lesson08
from autogradlab.viz import transforms


def _vector_cell(steps: int = 4):
    ag.manual_seed(0)
    W_x = ag.randn(20, 10, requires_grad=True)  # noqa: N806
    W_h = ag.randn(20, 20, requires_grad=True)  # noqa: N806
    h = ag.zeros(1, 20)
    names = {"W_x": W_x, "W_h": W_h, "h0": h}
    for t in range(1, steps + 1):
        names[f"x{t}"] = x = ag.randn(1, 10)
        names[f"h{t}"] = h = lesson08.rnn_step(x, h, W_x, W_h)
    names["loss"] = loss = h.sum()
    loss.backward()
    return names


def test_by_steps_folds_an_unrolled_cell_into_one_box_per_step():
    names = _vector_cell()
    graph = ag.viz.trace(names["loss"], names=names)
    steps = transforms.by_steps(graph, ["h1", "h2", "h3", "h4"])
    assert set(steps.values()) == {"h1", "h2", "h3", "h4"}
    assert not {"W_x", "W_h", "h0", "x1", "loss"} & set(steps)  # leaves and the loss stay
    folded = transforms.fold(graph, steps)
    assert set(folded.nx) == {"W_x", "W_h", "h0", "x1", "x2", "x3", "x4",
                              "h1", "h2", "h3", "h4", "loss"}
    for a, b in [("h0", "h1"), ("h1", "h2"), ("h2", "h3"), ("h3", "h4"), ("h4", "loss")]:
        assert folded.nx.has_edge(a, b)
    for t in range(1, 5):
        assert folded.nx.has_edge("W_h", f"h{t}") and folded.nx.has_edge("W_x", f"h{t}")
        box = folded.node(f"h{t}")
        np.testing.assert_allclose(box["value"], names[f"h{t}"].detach().numpy())
        assert box["grad"] is not None and np.shape(box["grad"]) == (1, 20)
    # one contribution per step reaches W_h, and their running total ends at W_h.grad
    totals = [s for s in folded.backward_steps if s.kind == "accumulate" and s.target == "W_h"]
    assert [s.count for s in totals] == [1, 2, 3, 4]
    np.testing.assert_allclose(totals[-1].total, names["W_h"].grad.numpy(), rtol=1e-5,
                               atol=1e-6)
    # the tensors themselves name the steps too
    assert transforms.by_steps(graph, [names[f"h{t}"] for t in range(1, 5)]) == steps


def test_by_steps_names_an_unknown_node():
    names = _vector_cell(2)
    graph = ag.viz.trace(names["loss"], names=names)
    with pytest.raises(KeyError, match="no node named 'h9'"):
        transforms.by_steps(graph, ["h1", "h9"])


def _scalar_cell():
    namespace = {"ag": ag, "np": np}
    exec(lesson08.SCALAR_CELL, namespace)
    return namespace


def test_the_scalar_cell_is_a_product_for_h0_and_a_sum_for_w():
    ns = _scalar_cell()
    h = [state.item() for state in ns["hs"]]
    w = ns["w"].item()
    slopes = [1 - h[t] ** 2 for t in range(1, 5)]
    assert ns["h0"].grad.item() == pytest.approx(np.prod(slopes) * w ** 4, rel=1e-5)
    upstream, total = 1.0, 0.0
    for t in (4, 3, 2, 1):
        total += upstream * slopes[t - 1] * h[t - 1]
        upstream *= slopes[t - 1] * w
    assert ns["w"].grad.item() == pytest.approx(total, rel=1e-5)
    # the player shows w receiving one gradient per step, adding up to w.grad
    graph = ag.viz.trace(ns["L"], names={"w": ns["w"], "h0": ns["h0"]})
    arrivals = [s for s in graph.backward_steps if s.kind == "accumulate" and s.target == "w"]
    assert [s.count for s in arrivals] == [1, 2, 3, 4]
    assert float(arrivals[-1].total) == pytest.approx(ns["w"].grad.item(), rel=1e-6)


def test_the_scalar_cell_matches_torch():
    torch = pytest.importorskip("torch")
    ns = _scalar_cell()
    w = torch.tensor(0.8, requires_grad=True)
    h0 = torch.tensor(0.5, requires_grad=True)
    h = h0
    for x in [1.0, -0.5, 2.0, 0.3]:
        h = (w * h + x).tanh()
    h.backward()
    assert w.grad.item() == pytest.approx(ns["w"].grad.item(), rel=1e-5)
    assert h0.grad.item() == pytest.approx(ns["h0"].grad.item(), rel=1e-5)


def test_the_explorer_of_four_steps_agrees_with_the_cell():
    pytest.importorskip("ipywidgets")

    def four_steps(w, h0):
        h1 = (w * h0 + 1.0).tanh()
        h2 = (w * h1 - 0.5).tanh()
        h3 = (w * h2 + 2.0).tanh()
        h4 = (w * h3 + 0.3).tanh()
        return h4

    ns = _scalar_cell()
    explorer = ag.explore(four_steps, w=0.8, h0=0.5)
    assert explorer.grads["w"] == pytest.approx(ns["w"].grad.item(), rel=1e-5)
    assert explorer.grads["h0"] == pytest.approx(ns["h0"].grad.item(), rel=1e-5)
    explorer.set(w=3.0)  # saturated tanh: almost nothing reaches h0
    assert abs(explorer.grads["h0"]) < 1e-5
    explorer.set(w=-2.9)  # alternating signs keep the states where tanh is steep: it explodes
    assert explorer.grads["h0"] == pytest.approx(31.74, rel=1e-3)


def test_the_graph_grows_with_the_data():
    sizes = [lesson08.graph_size(t) for t in (2, 3, 5, 10)]
    assert sizes == [4 + 7 * t for t in (2, 3, 5, 10)]

    def halve_until_small(x):
        while x.item() > 1.0:
            x = x * 0.5
        return x

    for start, turns in [(3.0, 2), (20.0, 5)]:
        x = ag.tensor(start, requires_grad=True)
        y = halve_until_small(x)
        y.backward()
        assert len(ag.viz.trace(y)) - 1 == turns
        assert x.grad.item() == pytest.approx(0.5 ** turns)


def test_vanishing_and_exploding_as_the_lesson_prints():
    small, large = lesson08.input_gradient_norms(0.2), lesson08.input_gradient_norms(1.0)
    assert small[0] < 1e-3 < 1 < small[-1]
    assert large[0] > 1000 * large[-1]
