"""The animation player, read from the widgets' own state: steps, order, arithmetic, links.

Every check compares what the player shows with what the engine did: the backward steps with
the engine's events (live, through ``autograd.listen``, and rebuilt by ``recorded_events``), the
numbers in the captions with the engine's gradients.
"""

from __future__ import annotations

import base64
import io
import re
import subprocess
import sys

import ipywidgets as widgets
import numpy as np
import pytest
from ipywidgets.widgets.widget import _instances
from ipywidgets.widgets.widget_link import Link
from PIL import Image

import autogradlab as ag
from autogradlab import autograd
from autogradlab.widgets import DeviceToggle, GraphPlayer, NodeInspector, PathExplorer
from autogradlab.widgets.steps import build_steps

NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
PRODUCT = re.compile(rf"({NUMBER}) × ({NUMBER}) = ({NUMBER})")


def source_graph(shape: tuple[int, ...] = (5, 5)):
    """The source material's graph; returns (L, leaves by name) after a live-recorded backward."""
    ag.manual_seed(0)
    a, x1, x2, x3, x4 = (
        ag.randn(*shape, requires_grad=True) if shape
        else ag.tensor(float(ag.randn(1).item()), requires_grad=True)
        for _ in range(5)
    )
    b = x1 * a
    c = x2 * a
    d = x3 * b + x4 * c
    L = (10 - d).sum()
    with autograd.record() as live:
        L.backward()
    names = {"a": a, "x1": x1, "x2": x2, "x3": x3, "x4": x4, "b": b, "c": c, "d": d, "L": L}
    return L, names, live


def captions(player: GraphPlayer) -> list[str]:
    return [html.value for html in player.captions.children]


def close(shown: str, exact: float, digits: int = 4) -> bool:
    """``shown`` is ``exact`` written with ``digits`` significant digits."""
    return float(shown) == pytest.approx(exact, rel=10 ** (1 - digits), abs=1e-12)


@pytest.fixture(scope="module")
def tensor_player():
    L, names, live = source_graph()
    return GraphPlayer(L, names=names), L, names, live


@pytest.fixture(scope="module")
def scalar_player():
    L, names, live = source_graph(())
    return GraphPlayer(L, names=names), L, names, live


def test_one_frame_caption_and_phase_per_step(tensor_player):
    player, L, names, _ = tensor_player
    n = len(player.steps)
    assert len(player.frames.children) == len(player.captions.children) == n
    assert len(player.phases.children) == n
    assert all(isinstance(image, widgets.Image) for image in player.frames.children)
    assert player.play.max == player.slider.max == n - 1
    assert [s.kind for s in player.steps].count("forward") == 7  # b, c, x3*b, x4*c, +, 10-, sum
    events = autograd.recorded_events(L)
    sends = [e for e in events if isinstance(e, autograd.GradientSent)]
    assert len(player.backward_steps) == len(sends) == 12
    assert [s.kind for s in player.steps] == (
        ["start"] + ["forward"] * 7 + ["seed"] + ["backward"] * 12 + ["done"]
    )
    phases = [child.value for child in player.phases.children]
    assert all("forward" in p for p in phases[:8]) and all("backward" in p for p in phases[8:])


def test_contract_css_classes(tensor_player):
    player = tensor_player[0]
    assert "autogradlab-player" in player._dom_classes
    assert "autogradlab-frames" in player.frames._dom_classes
    assert all("autogradlab-caption" in c._dom_classes for c in player.captions.children)
    for name in ("first", "prev", "next", "last"):
        assert f"autogradlab-{name}" in getattr(player, f"{name}_button")._dom_classes
    assert isinstance(player.play, widgets.Play)


def _named(graph, obj) -> str:
    names = {id(fn): name for name, fn in graph.functions.items()}
    names.update({id(t): name for name, t in graph.tensors.items()})
    return names[id(obj)]


def test_backward_steps_replay_the_engine_events_in_order(tensor_player):
    player, L, _, live = tensor_player
    graph = player.graph
    shown = [(e.kind, e.source, e.target, e.index) for s in player.steps for e in s.events]
    for events in (live, autograd.recorded_events(L)):
        engine = []  # each engine event (one per edge) is shown as a send and its running total
        for e in events:
            if isinstance(e, autograd.GradientSent):
                engine.append(("send", _named(graph, e.source), _named(graph, e.target), e.index))
                engine.append(("accumulate", None, _named(graph, e.target), None))
        assert shown == engine
    # one picture per edge: each backward step is one send and the accumulate that follows it
    for step in player.backward_steps:
        assert [e.kind for e in step.events] == ["send", "accumulate"]
        assert step.focus_edges == ((step.events[0].target, step.events[0].source),)


def test_forward_steps_follow_creation_order(tensor_player):
    player = tensor_player[0]
    assert [s.reveal[0] for s in player.forward_steps] == player.graph.forward_order
    assert player.graph.forward_order[:2] == ["b", "c"]
    assert "b = x1 * a" in captions(player)[1]


def test_scalar_caption_arithmetic_matches_the_engine(scalar_player):
    player, L, names, _ = scalar_player
    texts = captions(player)
    backward = [(s, t) for s, t in zip(player.steps, texts) if s.kind == "backward"]
    for step, text in backward:
        send = step.events[0]
        match = PRODUCT.search(text)
        if isinstance(send.local, str):  # sum's rule is a description, not a number
            assert "backward rule" in text
            continue
        assert match, text
        upstream, local, contribution = match.groups()
        assert close(upstream, float(send.upstream))
        assert close(local, float(send.local))
        assert close(contribution, float(send.contribution))
        assert float(upstream) * float(local) == pytest.approx(float(contribution), rel=2e-3)
    # a is used twice: its caption shows the running sum, and the sum is a.grad
    a_text = [t for s, t in backward if s.events[0].target == "a"][-1]
    first, second, total = re.search(
        rf"∂L/∂a = ({NUMBER}) \+ ({NUMBER}) = ({NUMBER})", a_text
    ).groups()
    assert close(total, names["a"].grad.item())
    assert float(first) + float(second) == pytest.approx(float(total), rel=2e-3)
    assert "2 gradients" in a_text
    done = texts[-1]
    for leaf in ("x1", "a", "x2", "x3", "x4"):
        shown = re.search(rf"\b{leaf}\.grad = ({NUMBER})", done).group(1)
        assert close(shown, names[leaf].grad.item())


def test_tensor_captions_show_one_entry_and_the_range_and_norm(tensor_player):
    player, L, names, _ = tensor_player
    for step, text in zip(player.steps, captions(player)):
        if step.kind != "backward" or isinstance(step.events[0].local, str):
            continue
        send = step.events[0]
        upstream, local, contribution = PRODUCT.search(text).groups()
        first = (0,) * np.ndim(send.contribution)
        assert close(upstream, np.broadcast_to(send.upstream, send.contribution.shape)[first])
        assert close(contribution, send.contribution[first])
    done = captions(player)[-1]
    for leaf in ("x1", "a", "x2", "x3", "x4"):
        low, high, norm = re.search(
            rf"\b{leaf}\.grad = 5×5, min ({NUMBER}), max ({NUMBER}), norm ({NUMBER})", done
        ).groups()
        grad = names[leaf].grad.numpy()
        assert close(low, grad.min()) and close(high, grad.max())
        assert close(norm, np.linalg.norm(grad))


def test_playback_is_linked_in_the_browser(tensor_player):
    player = tensor_player[0]
    # every widget model the kernel knows, including the Link models that the browser runs
    links = [w for w in _instances.values() if isinstance(w, Link)]
    ours = [link for link in links if link in player.links]
    assert len(ours) == len(player.links) == 5
    assert all(link._model_name == "LinkModel" for link in ours)  # jslink, not a Python link
    targets = {(link.target[0].model_id, link.target[1]) for link in ours
               if link.source == (player.play, "value")}
    for widget, trait in ((player.frames, "selected_index"), (player.captions, "selected_index"),
                          (player.phases, "selected_index"), (player.slider, "value")):
        assert (widget.model_id, trait) in targets
    assert any(link.source == (player.speed, "value") and link.target == (player.play, "interval")
               for link in ours)


def test_buttons_step_through_the_kernel(tensor_player):
    player = tensor_player[0]
    player.next_button.click()
    player.next_button.click()
    assert player.play.value == 2
    player.prev_button.click()
    assert player.step == 1
    player.last_button.click()
    assert player.step == len(player.steps) - 1
    player.next_button.click()
    assert player.step == len(player.steps) - 1
    player.first_button.click()
    assert player.step == 0


def test_first_frame_is_a_static_fallback(tensor_player):
    player = tensor_player[0]
    bundle = player._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == player.model_id
    assert bundle["text/plain"] == "GraphPlayer(L: 12 nodes, 7 forward steps, 12 backward steps)"
    png = base64.b64decode(bundle["image/png"])
    assert png == player.pngs[0]
    image = Image.open(io.BytesIO(png))
    assert image.size == player.renderer.size == (1000, 600)  # the 12-node graph fits
    assert len(set(player.pngs)) == len(player.pngs)  # every step looks different


def test_forward_only_when_backward_has_not_run():
    a = ag.tensor(2.0, requires_grad=True)
    b = a * 3
    L = b**2
    player = GraphPlayer(L, names={"a": a, "b": b, "L": L})
    assert [s.kind for s in player.steps] == ["start", "forward", "forward"]
    assert "call L.backward()" in captions(player)[-1]


def test_large_graphs_are_folded_and_say_so():
    x = ag.tensor(0.5, requires_grad=True)
    h = x
    for _ in range(40):
        h = (h * 1.01 + x).tanh()
    h.backward()
    player = GraphPlayer(h, names={"x": x, "h": h})
    assert len(player.full_graph) > 60 and len(player.graph) <= 14
    assert {"x", "h"} <= set(player.graph.nx)  # the input used everywhere, and the output
    first = player.steps[0].caption
    assert first.startswith("Folded: ") and "focus=" in first and "'open' menu" in first
    assert "folded" in player.notice.value.lower()
    assert "(folded from" in repr(player)
    # the engine's own numbers still arrive: x's last total is x.grad
    last_x = [s for s in player.backward_steps if "x" in s.grad_values][-1]
    assert float(last_x.grad_values["x"]) == pytest.approx(x.grad.item(), rel=1e-6)
    assert re.search(rf"x\.grad = ({NUMBER})", captions(player)[-1]).group(1) == (
        ag.viz.words.number(x.grad.item()))


def test_a_folded_group_opens_from_the_menu():
    x = ag.tensor(0.5, requires_grad=True)
    h = x
    for _ in range(40):
        h = (h * 1.01 + x).tanh()
    h.backward()
    player = GraphPlayer(h, names={"x": x, "h": h})
    groups = [value for _, value in player.opener.options if value]
    before = len(player.graph)
    player.opener.value = groups[0]  # a kernel round trip redraws the frames
    assert groups[0] in player.open_groups and groups[0] not in player.graph.nx
    assert len(player.graph) > before
    assert len(player.frames.children) == len(player.steps) == player.play.max + 1
    player.opener.value = player.opener.options[-1][1]  # "fold all again"
    assert not player.open_groups and len(player.graph) == before


def test_animate_focus_and_depth_like_draw():
    L, names, _ = source_graph(())
    player = ag.animate(L, names=names, focus="b", depth=1)
    assert set(player.graph.nx) == {"b", "x1", "a", "mul1"}
    assert "'b' and its neighbours up to 1 steps away" in player.steps[0].caption
    by_tensor = ag.animate(L, names=names, focus=names["b"], depth=1)  # a tensor, as in draw
    assert set(by_tensor.graph.nx) == set(player.graph.nx)


def test_node_inspector_draws_tensors_as_heatmaps_with_the_same_words(tensor_player):
    _, L, names, _ = tensor_player
    inspector = NodeInspector(L, names=names)
    text = inspector.describe("a")
    assert text.count("<img src='data:image/png;base64,") == 2  # value and gradient
    assert ag.viz.words.summary(names["a"].grad.numpy()) in text


def test_node_inspector_shows_value_gradient_and_formulas(tensor_player):
    _, L, names, _ = tensor_player
    inspector = NodeInspector(L, names=names)
    assert inspector.dropdown.value == "L"
    inspector.dropdown.value = "b"
    text = inspector.details.value
    assert "b = x1 * a" in text and "MulBackward0" in text
    assert "d(a*b)/da = b" in text and "∂L/∂b" in text


def test_path_explorer_draws_and_explains_the_paths(tensor_player):
    _, L, names, _ = tensor_player
    explorer = PathExplorer(L, names=names)
    assert "autogradlab-paths" in explorer._dom_classes
    assert "autogradlab-paths-formula" in explorer.formula._dom_classes
    assert list(explorer.dropdown.options) == ["x1", "a", "x2", "x3", "x4"]
    explorer.dropdown.value = "a"
    assert Image.open(io.BytesIO(explorer.image.value)).size == (1000, 600)
    pytest.importorskip("autogradlab.viz.paths", reason="viz/paths.py not written yet")
    assert "2 paths" in explorer.formula.value
    assert "✓" in explorer.formula.value


def test_animate_adds_inspector_and_paths_in_tabs():
    a = ag.tensor(2.0, requires_grad=True)
    L = (a * a).exp()
    L.backward()
    player = ag.animate(L, inspector=True, paths=True)
    tabs = player.children[-1]
    assert isinstance(tabs, widgets.Tab)
    assert isinstance(tabs.children[0], NodeInspector)
    assert isinstance(tabs.children[1], PathExplorer)
    # a * a: one edge, two input slots, two sends in the engine's order
    sends = [s.events[0] for s in player.backward_steps]
    assert [(e.source, e.target, e.index) for e in sends] == [
        ("L", "mul1", 0), ("mul1", "a", 0), ("mul1", "a", 1)
    ]
    assert "mul1 uses a twice" in captions(player)[-2]
    total = re.search(rf"∂L/∂a = {NUMBER} \+ {NUMBER} = ({NUMBER})", captions(player)[-2])
    assert close(total.group(1), a.grad.item())


def test_device_toggle_explains_a_missing_gpu_in_the_same_words_everywhere():
    """No machine's own error text (a driver message, say) reaches a saved notebook: the views
    say "no usable GPU" and point to ag.cuda.why_unavailable() for the reason."""
    toggle = DeviceToggle()
    if ag.cuda.is_available():
        assert not toggle.buttons.disabled
    else:
        assert toggle.buttons.disabled and toggle.value == "cpu"
        assert "no usable GPU here" in toggle.note.value
        assert "why_unavailable()" in toggle.note.value
        assert ag.cuda.why_unavailable()[:30] not in toggle.note.value
    timing = ag.widgets.time_on_devices(lambda u, v: u @ v, ag.randn(50, 50), ag.randn(50, 50))
    assert timing.seconds["cpu"] > 0
    if not ag.cuda.is_available():
        assert "cuda: not timed: no usable GPU here" in repr(timing)
        assert ag.cuda.why_unavailable()[:30] not in repr(timing)


def test_steps_are_plain_data_without_widgets(tensor_player):
    graph = tensor_player[0].graph
    assert build_steps(graph) == tensor_player[0].steps


def test_import_autogradlab_stays_light():
    code = (
        "import sys, autogradlab; "
        "heavy = [m for m in ('ipywidgets', 'matplotlib', 'networkx') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_micrograd_animates_layer_by_layer_then_neuron_by_neuron():
    from viz_graphs import micrograd_demo

    ns = micrograd_demo()
    player = ag.animate(ns["loss"], names=ns)
    assert len(player.full_graph) > 900
    assert [s.reveal[0] for s in player.forward_steps][:3] == ["0", "1", "2"]  # layer by layer
    assert "Folded: " in player.steps[0].caption
    player.opener.value = "1"  # neuron by neuron, on request
    neurons = [s.reveal[0] for s in player.forward_steps if s.reveal[0].startswith("1.")]
    assert neurons == [f"1.{k}" for k in range(16)]
    assert len(player.pngs) == len(player.steps)


def test_path_explorer_formula_uses_the_pictures_names():
    """The explorer's formula names the nodes of the graph it draws, even when the caller's
    variables have other names (it used to trace the output again, by itself)."""
    L, names, _ = source_graph(())
    explorer = PathExplorer(L, names=names)  # this function has no variable named a, b, x1
    explorer.dropdown.value = "a"
    text = re.sub("<[^>]+>", "", explorer.formula.value)
    routes = re.findall(r"path \d+: (.+?): ", text)
    shown = {name.strip() for route in routes for name in route.split("→")}
    assert len(routes) == 2 and shown <= set(explorer.graph.nx)
    assert {"a", "b", "c", "L"} <= shown
