"""``ag.explore``: sliders re-run the learner's function forward and backward; the numbers shown
are the engine's gradients, and the nudge readout agrees with them."""

from __future__ import annotations

import base64
import math

import numpy as np
import pytest

import autogradlab as ag
from autogradlab import autograd
from autogradlab.viz import words
from autogradlab.widgets.explorer import Explorer, explore

START = {"w1": 3.0, "w2": -1.0, "w3": 2.0, "w4": 4.0, "a": 2.0}


def readme(w1, w2, w3, w4, a):
    """The README's example as a function (12 nodes with the final sum)."""
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = (10 - d).sum()
    return L


def engine_grads(fn, **values):
    """What the engine computes for ``fn`` at ``values``, without the explorer."""
    tensors = {k: ag.tensor(v, requires_grad=True) for k, v in values.items()}
    out = fn(**tensors)
    out.backward()
    return out.item(), {k: t.grad.numpy() for k, t in tensors.items()}


@pytest.fixture
def explorer() -> Explorer:
    return explore(readme, **START)


def test_the_graph_is_traced_with_the_functions_own_names(explorer):
    assert len(explorer.graph) == 12
    assert explorer.graph.forward_order == ["b", "c", "mul1", "mul2", "d", "sub1", "L"]
    assert explorer.graph.output == "L"
    assert set(explorer.sliders) == set(START)


def test_values_and_grads_are_the_engines(explorer):
    value, grads = engine_grads(readme, **START)
    assert explorer.values == START
    assert explorer.output == value == 6.0
    assert explorer.grads == {k: float(g) for k, g in grads.items()}
    assert explorer.grads["a"] == -2.0


def test_set_reruns_forward_and_backward_and_redraws(explorer):
    before_png, before_text = explorer.frame.value, explorer.readout.value
    renderer = explorer._renderer
    with autograd.record() as events:
        explorer.set(a=3.0, w1=-1.5)
    sent = [e for e in events if isinstance(e, autograd.GradientSent)]
    assert sent, "the engine's own backward pass ran"
    value, grads = engine_grads(readme, **{**START, "a": 3.0, "w1": -1.5})
    assert explorer.values["a"] == 3.0 and explorer.values["w1"] == -1.5
    assert explorer.output == value
    assert explorer.grads == {k: float(g) for k, g in grads.items()}
    assert explorer.frame.value != before_png
    assert explorer.readout.value != before_text
    assert f"∂L/∂w1 = {words.number(grads['w1'])}" in explorer.readout.value
    assert explorer._renderer is renderer  # the same layout: nothing jumps


def test_a_slider_move_takes_the_same_path_as_set(explorer):
    explorer.sliders["a"].value = 3.0
    by_slider = dict(explorer.grads), explorer.frame.value
    other = explore(readme, **START)
    other.set(a=3.0)
    assert (dict(other.grads), other.frame.value) == by_slider


def test_the_nudge_readout_agrees_with_the_engine():
    def curved(a, b):
        L = (a * b).tanh() * a
        return L

    explorer = explore(curved, a=0.5, b=-1.5, nudge=0.01)
    nudge = explorer.nudges["a"]

    def f(a, b):
        return math.tanh(a * b) * a

    assert nudge.change == pytest.approx(f(0.51, -1.5) - f(0.5, -1.5), rel=1e-4)
    assert nudge.ratio == pytest.approx(nudge.change / 0.01, rel=1e-4)
    _, grads = engine_grads(curved, a=0.5, b=-1.5)
    assert nudge.engine == pytest.approx(float(grads["a"]))
    assert nudge.ratio == pytest.approx(nudge.engine, rel=0.02)  # a small step: nearly equal
    line = (f"a + 0.01 → L changes by {words.number(nudge.change)}; ΔL/Δa = "
            f"{words.number(nudge.ratio)}; the engine's dL/da = {words.number(nudge.engine)}")
    assert nudge.text("L") == line
    assert line.replace("'", "&#x27;") in explorer.readout.value


def test_a_small_tensor_gets_one_slider_per_element():
    explorer = explore(lambda x, w: (x * w).tanh().sum(), x=[1.0, -2.0], w=[0.5, 0.25])
    assert list(explorer.sliders) == ["x[0]", "x[1]", "w[0]", "w[1]"]
    explorer.set(**{"x[1]": 0.5})
    explorer.set(w=[1.0, -1.0])
    _, grads = engine_grads(lambda x, w: (x * w).tanh().sum(), x=[1.0, 0.5], w=[1.0, -1.0])
    assert [explorer.grads["x[0]"], explorer.grads["x[1]"]] == pytest.approx(grads["x"].tolist())
    assert [explorer.grads["w[0]"], explorer.grads["w[1]"]] == pytest.approx(grads["w"].tolist())
    assert explorer.values == {"x[0]": 1.0, "x[1]": 0.5, "w[0]": 1.0, "w[1]": -1.0}


def test_set_beyond_a_sliders_range_widens_it(explorer):
    explorer.set(a=100.0)
    assert explorer.values["a"] == 100.0
    assert explorer.sliders["a"].max >= 100.0


def test_mistakes_are_explained():
    with pytest.raises(TypeError, match="one number as a tensor"):
        explore(lambda a: a * ag.ones(3), a=1.0)
    with pytest.raises(TypeError, match="cannot be called with"):
        explore(readme, a=1.0)
    with pytest.raises(ValueError, match="more than the 16 sliders"):
        explore(lambda a: a.sum(), a=np.zeros(20).tolist())
    with pytest.raises(KeyError, match="no input 'z'"):
        explore(readme, **START).set(z=1.0)


def test_ag_explore_is_the_public_name():
    assert ag.explore is explore


def test_a_static_export_gets_the_picture_and_a_line_of_text(explorer):
    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == repr(explorer)
    assert repr(explorer).endswith("L = 6.0)")
    assert base64.b64decode(bundle["image/png"]) == explorer.frame.value


def test_a_function_whose_graph_changes_shape_is_laid_out_again():
    def branchy(a):
        L = a * a if a.item() > 0 else a.exp()
        return L

    explorer = explore(branchy, a=1.0)
    first = explorer._renderer
    assert explorer.graph.forward_order == ["L"] and explorer.grads["a"] == 2.0
    explorer.set(a=-1.0)
    assert explorer._renderer is not first  # another graph: another layout
    assert explorer.grads["a"] == pytest.approx(math.exp(-1.0))


def test_an_error_from_the_function_after_a_slider_move_is_shown_not_lost():
    def picky(a):
        if a.item() < 0:
            raise ValueError("a must not be negative here")
        L = a.log()
        return L

    explorer = explore(picky, a=1.0)
    explorer.sliders["a"].value = -1.0
    shown = explorer.readout.value
    assert "ValueError" in shown and "must not be negative" in shown
    explorer.sliders["a"].value = 2.0  # and it recovers
    assert explorer.grads["a"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="must not be negative"):
        explorer.set(a=-2.0)
