"""Graph transforms shared by ``draw`` and the player: folding by module, layer and neuron,
neighbourhoods, and what a view says when it reduces a graph."""

from __future__ import annotations

import numpy as np
import pytest
from viz_graphs import micrograd_demo, source_scalar

import autogradlab as ag
from autogradlab import viz
from autogradlab.viz import transforms


@pytest.fixture(scope="module")
def demo():
    ns = micrograd_demo()
    return ns, viz.trace(ns["loss"], names=ns)


def test_module_group_opens_one_level_at_a_time():
    assert transforms.module_group("0.3") == "0"
    assert transforms.module_group("0.3", {"0"}) == "0.3"
    assert transforms.module_group("0.3", {"0", "0.3"}) is None
    assert transforms.module_group(None) is None


def test_micrograd_folds_into_layers_with_their_numbers(demo):
    ns, graph = demo
    assert 900 < len(graph) < 1100  # 2-16-16-1 on scalars
    folded = transforms.fold(graph, transforms.by_module(graph))
    assert set(folded.nx) == {"x0", "x1", "0", "1", "2", "sub1", "loss"}
    layer0 = folded.node("0")
    assert layer0["expression"] == "16× Neuron" and layer0["shape"] == (16,)
    # the folded layer shows its 16 neurons' outputs and their gradients, from the engine
    exits = [graph.node(n) for n in layer0["exits"]]
    np.testing.assert_allclose(layer0["value"], [float(e["value"]) for e in exits])
    np.testing.assert_allclose(layer0["grad"], [float(e["grad"]) for e in exits])
    # the last total each node or group receives is what it holds: nothing lost in folding
    last = {}
    for step in folded.backward_steps:
        if step.kind == "accumulate":
            last[step.target] = step.total
    np.testing.assert_allclose(last["0"], layer0["grad"], rtol=1e-6)
    assert float(last["x0"]) == pytest.approx(ns["x0"].grad.item(), rel=1e-6)
    # one frame per folded edge, not one per scalar edge
    assert len(folded.backward_steps) < 20 < len(graph.backward_steps)


def test_micrograd_opens_into_neurons(demo):
    _, graph = demo
    opened = transforms.fold(graph, transforms.by_module(graph, {"1"}))
    neurons = [n for n in opened.nx if n.startswith("1.")]
    assert len(neurons) == 16 and "0" in opened.nx and "1" not in opened.nx
    assert opened.node("1.3")["expression"] == "Neuron"
    assert np.size(opened.node("1.3")["value"]) == 1


def test_neighbourhood_keeps_the_backward_events_between_kept_nodes():
    ns = source_scalar()
    graph = viz.trace(ns["L"], names=ns)
    near = transforms.neighbourhood(graph, "b", 1)
    assert set(near.nx) == {"a", "w1", "b", "mul1"}
    assert all(s.target in near.nx for s in near.backward_steps)
    assert near.node("mul1")["clipped"]


def test_reduce_says_what_it_did_and_what_to_call():
    x = ag.tensor(0.5, requires_grad=True)
    h = x
    for _ in range(40):
        h = (h * 1.01 + x).tanh()
    h.backward()
    graph = viz.trace(h, names={"x": x, "h": h})
    view, note = transforms.reduce(graph, fallback="columns", call="ag.animate")
    assert len(view) <= 14 and "ag.animate(..., focus=" in note
    view, note = transforms.reduce(graph)  # draw's way: the neighbourhood of the output
    assert "within" in note and "h" in view.nx


def test_draw_folds_micrograd_and_names_the_layers(demo):
    _, graph = demo
    figure = viz.draw(graph)
    texts = {t.get_text() for t in figure.axes[0].texts}
    assert {"0: 16× Neuron", "1: 16× Neuron", "2: 1× Neuron"} <= texts
    opened = viz.draw(graph, open_groups={"0"})
    assert "0.3: Neuron" in {t.get_text() for t in opened.axes[0].texts}
