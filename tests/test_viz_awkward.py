"""Views stay correct on awkward graphs (issue 11): inf and nan, long chains, empty tensors,
nothing that requires grad, and gradients that belong to another output's backward pass."""

from __future__ import annotations

import contextlib
import io
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import autogradlab as ag  # noqa: E402
from autogradlab import autograd, viz  # noqa: E402
from autogradlab.widgets import GraphPlayer  # noqa: E402


def _captions(player: GraphPlayer) -> list[str]:
    return [step.caption for step in player.steps]


def _texts(figure) -> str:
    return "\n".join(t.get_text() for ax in figure.axes for t in ax.texts)


def _explained(output, wrt, **names) -> str:
    """What ``explain`` prints; ``names`` label the nodes (else the names of this function)."""
    if names:
        output = viz.trace(output, names=names)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        viz.explain(output, wrt)
    return buffer.getvalue()


@pytest.fixture
def log_of_zero():
    """``L = log(s)`` at s = 0: value -inf, gradient inf (a classic lesson moment)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = ag.tensor(0.0, requires_grad=True)
        L = s.log()
        L.backward()
    return s, L


def test_draw_and_dot_write_inf(log_of_zero):
    s, L = log_of_zero
    figure = viz.draw(L)
    assert figure._repr_png_()[:4] == b"\x89PNG"
    text = _texts(figure)
    assert "value -inf\n∂L/∂L = 1.0" in text and "value 0.0\n∂L/∂s = inf" in text
    dot = viz.to_dot(L)
    assert '"L" [label="L = log(s)\\nvalue -inf' in dot and "∂L/∂s = inf" in dot


def test_draw_dot_and_animate_with_nan_and_inf_in_tensors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = ag.tensor([0.0, 1.0, 4.0], requires_grad=True)
        y = x.log() * x  # 0 * -inf = nan
        L = y.sum()
        L.backward()
    figure = viz.draw(L)
    figure._repr_png_()
    text = _texts(figure)
    assert "min -inf" in text and "nan" in text
    assert "nan" in viz.to_dot(L)
    player = ag.animate(L)
    assert len(player.pngs) == len(player.steps)
    assert any("nan" in c for c in _captions(player))


def test_animate_scalar_inf(log_of_zero):
    s, L = log_of_zero
    player = ag.animate(L)
    assert "= inf" in _captions(player)[-1]


def test_explain_a_2000_node_chain_is_a_short_summary():
    c = ag.tensor(1.0, requires_grad=True)
    h = c
    for _ in range(2000):
        h = h * 1.0001
    h.backward()
    text = _explained(h, c, c=c, h=h)
    assert len(text) < 1500, len(text)
    assert "(1992 more)" in text
    assert "(1.0001)" in text  # a factor that is not whole never reads as 1
    assert "equals c.grad" in text and "✓" in text
    rule = viz.chain_rule_paths(h, c)
    assert len(str(rule)) < 1500


def test_explain_many_paths_lists_a_few():
    a = ag.tensor(0.5, requires_grad=True)
    h = a
    for _ in range(6):  # each level doubles the number of paths: 64 paths
        h = h * a + h
    h.backward()
    text = _explained(h, a, a=a, h=h)
    assert "more paths" in text
    assert len(text) < 3000


def test_explain_says_both_are_nan():
    n = ag.tensor(float("nan"), requires_grad=True)
    L = n * n
    L.backward()
    text = _explained(L, n, n=n, L=L)
    assert "both are nan" in text
    assert "do NOT match" not in text
    rule = viz.chain_rule_paths(L, n)
    assert rule.matches is True


def test_explain_still_says_a_real_mismatch():
    x = ag.tensor(3.0, requires_grad=True)
    f = x * x
    f.backward()
    graph = viz.trace(f)
    graph.nx.nodes["x"]["grad"] = np.float64(float("nan"))  # one side nan only
    assert "do NOT match" in str(viz.chain_rule_paths(graph, "x"))


def test_animate_a_zero_size_tensor():
    z = ag.zeros(0, requires_grad=True)
    L = (z * 2).sum()
    L.backward()
    player = ag.animate(L)
    assert len(player.pngs) == len(player.steps) > 3
    assert any("empty" in c for c in _captions(player))
    viz.draw(L)._repr_png_()


def test_nothing_requires_grad_is_explained():
    plain = ag.tensor(3.0)
    y = plain * 2
    player = ag.animate(y)
    caption = _captions(player)[0]
    assert "requires_grad" in caption
    assert "no operation made it" not in caption


def test_a_leaf_that_requires_grad_is_still_called_a_leaf():
    x = ag.tensor(3.0, requires_grad=True)
    assert "leaf tensor" in _captions(ag.animate(x))[0]


# --------------------------------------------------------------------------------------------
# A view of w shows w's gradients, not those of another output's backward pass
# --------------------------------------------------------------------------------------------


def _two_outputs():
    x = ag.tensor(2.0, requires_grad=True)
    y = x * x
    z = y * 3
    w = y * 5
    z.backward(retain_graph=True)  # dz/dx = 2 * 2 * 3 = 12; dw/dx would be 20
    return x, y, z, w


# The engine re-runs a display-only backward pass from w (autograd.recorded_events): no
# .grad changes, and every view shows w's own gradients.
def test_trace_of_w_shows_dw_dx():
    x, y, z, w = _two_outputs()
    graph = viz.trace(w, names={"x": x, "y": y, "w": w})
    assert float(graph.node("x")["grad"]) == pytest.approx(20.0)
    assert x.grad.item() == pytest.approx(12.0)  # the view changed no .grad


def test_animate_w_shows_dw_dx():
    x, y, z, w = _two_outputs()
    player = GraphPlayer(w, names={"x": x, "y": y, "w": w})
    last = [c for s, c in zip(player.steps, _captions(player)) if s.kind == "backward"][-1]
    assert re.search(r"∂w/∂x = (.* = )?20\.0\b", last), last
    assert "12.0" not in last and x.grad.item() == pytest.approx(12.0)


def test_explain_w_shows_dw_dx():
    x, y, z, w = _two_outputs()
    text = _explained(w, x, x=x, y=y, w=w)
    assert "= 20.0" in text and "✓" in text
    assert "12.0" not in text


NOTE = "These gradients come from z.backward(), not from w: its graph was freed."


@pytest.fixture
def noted(monkeypatch):
    """The engine says the records shown belong to another pass (what ``record_note`` returns
    when the graph is freed); every view must show that sentence where it shows gradients."""
    monkeypatch.setattr(autograd, "record_note", lambda output: NOTE, raising=False)
    x = ag.tensor(2.0, requires_grad=True)
    y = x * 3
    y.backward()
    return x, y


def test_the_note_is_on_the_graph_and_in_every_view(noted):
    x, y = noted
    graph = viz.trace(y)
    assert graph.note == NOTE
    assert NOTE in _texts(viz.draw(graph)).replace("\n", " ")
    assert NOTE in viz.to_dot(graph)
    assert NOTE in _explained(graph, "x")
    player = GraphPlayer(graph=graph)
    for step, caption in zip(player.steps, _captions(player)):
        assert (NOTE in caption) == (step.phase == "backward")


def test_no_note_when_the_records_are_the_outputs_own():
    x = ag.tensor(2.0, requires_grad=True)
    y = x * 3
    y.backward()
    assert viz.trace(y).note is None


def test_a_freed_graph_of_another_pass_is_said_in_every_view():
    """The engine cannot recompute w's gradients once z.backward() freed the graph: every view
    that shows gradients says so (the engine's sentence, autograd.record_note)."""
    x = ag.tensor(2.0, requires_grad=True)
    y = x * x
    z = y * 3
    w = y * 5
    z.backward()
    note = autograd.record_note(w)
    assert note
    graph = viz.trace(w, names={"x": x, "y": y, "w": w})
    assert graph.note == note
    assert note in _texts(viz.draw(graph)).replace("\n", " ")
    assert note in _explained(graph, "x")
    assert any(note in c for c in _captions(GraphPlayer(graph=graph)))
