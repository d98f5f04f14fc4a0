"""``ag.animate_training``: the training loop, step by step, on one graph.

.. code-block:: python

    X, y = ag.data.moons(200)
    model = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 16),
                             ag.nn.ReLU(), ag.nn.Linear(16, 2))
    optimizer = ag.optim.SGD(model.parameters(), lr=0.5)
    ag.animate_training(model, ag.nn.CrossEntropyLoss(), X, y, optimizer, steps=3)

The loop really runs, ``steps`` times, and each of its four phases becomes one frame of one
graph (laid out once):

1. **forward**: ``loss = loss_fn(model(x), y)``; every node shows the value it computed;
2. **backward**: ``loss.backward()``; every node shows ∂loss/∂node, each parameter its ``.grad``;
3. **optimizer.step()**: the parameters' numbers change (the frame shows old → new);
4. **zero_grad()**: the parameters' gradients are cleared.

With ``zero_grad=False`` the fourth phase is skipped, and the frames show the classic bug: each
backward pass adds to the gradients already there, so ``.grad`` grows from step to step.

The optimizer's phases come from the engine's own event stream: ``optimizer.step()`` reports
``ParametersUpdated`` and ``zero_grad()`` reports ``GradientsCleared`` (see
:mod:`autogradlab.autograd`), and the numbers shown are copied when those events arrive.
Playback is client-side, as in the animation player: Play keeps working without a kernel.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np

from .. import autograd, backend
from ..autograd import Created, GradientsCleared, GradientSent, ParametersUpdated
from ..tensor import Tensor
from ..viz.trace import Graph, trace
from ..viz.words import COLORS, number, value_line
from .export import script_hint
from .player import _PHASE_STYLE, GraphPlayer, _button, _image_layout
from .snapshots import SnapshotRenderer, compact, same_shape
from .steps import grad_text, value_text

#: the phases of one training step: (name shown, short badge on the frame, colour)
PHASES: dict[str, tuple[str, str, str]] = {
    "forward": ("forward", "FORWARD", COLORS["forward"]),
    "backward": ("backward", "BACKWARD", COLORS["backward"]),
    "step": ("optimizer.step()", "STEP", "#15803d"),
    "zero_grad": ("zero_grad()", "CLEAR", "#475569"),
    "no_zero_grad": ("no zero_grad()", "KEPT", "#b45309"),
}


@dataclass(frozen=True)
class Frame:
    """One frame of the training player: which step and phase, its title and caption."""

    step: int
    phase: str
    title: str
    caption: str

    @property
    def kind(self) -> str:
        """The phase, under the name the animation player's steps use."""
        return self.phase


class Recorder:
    """Listens to the engine while the loop runs.

    Counts the operations created and the gradients sent, and copies the parameters' numbers
    when the optimizer reports (``ParametersUpdated``: their new values; ``GradientsCleared``:
    their gradients, now None or zeros).
    """

    def __init__(self) -> None:
        self.created = 0
        self.sent = 0
        self.updated: list[dict[int, np.ndarray]] = []
        self.cleared: list[dict[int, np.ndarray | None]] = []

    def __call__(self, event: Any) -> None:
        if isinstance(event, Created):
            self.created += 1
        elif isinstance(event, GradientSent):
            self.sent += 1
        elif isinstance(event, ParametersUpdated):
            self.updated.append({id(p): backend.host_copy(p.data) for p in event.parameters})
        elif isinstance(event, GradientsCleared):
            self.cleared.append({id(p): None if p.grad is None else
                                 backend.host_copy(p.grad.data) for p in event.parameters})


def _norm(array: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.asarray(array, dtype=np.float64) ** 2)))


def _amount(array: np.ndarray | None) -> str:
    """A parameter's numbers in a few characters: ``3.0`` or ``norm 4.61``; ``None``."""
    if array is None:
        return "None"
    return number(array) if np.size(array) == 1 else f"norm {number(_norm(array))}"


def _moved(before: np.ndarray, after: np.ndarray) -> str:
    """``norm 2.488→2.476`` (or ``0.5→0.49``): a parameter before and after an update."""
    if np.size(before) == 1:
        return f"{number(before)}→{number(after)}"
    return f"norm {number(_norm(before))}→{number(_norm(after))}"


def _update_rule(optimizer: Any) -> str:
    """The optimizer's update in a few words, for the step frame's caption."""
    name = type(optimizer).__name__
    groups = getattr(optimizer, "param_groups", [{}])
    if name == "Adam":
        return ("Adam: p = p - lr × m̂ / (√v̂ + eps), with m̂ and v̂ the bias-corrected running "
                "averages of p.grad and p.grad²")
    if name == "SGD" and not any(g.get("momentum") for g in groups):
        return "SGD: p = p - lr × p.grad"
    if name == "SGD":
        return "SGD with momentum: p = p - lr × (a running sum of the gradients)"
    return f"{name}'s update rule"


class TrainingPlayer(GraphPlayer):
    """Frames of a few training steps on one graph, with Play, a slider and captions.

    Parts as in :class:`GraphPlayer` (``play``, ``slider``, ``frames``, ``captions``,
    ``phases``, ``links``, ``pngs``), plus ``training_frames`` (:class:`Frame` per PNG),
    ``losses`` (the loss at each step), ``graphs`` (the traced graph of each step) and
    ``grad_norms`` (per step and phase, each parameter's ``.grad`` norm as shown).
    """

    def __init__(
        self,
        model: Any,
        loss_fn: Callable[[Any, Any], Tensor],
        x: Any,
        y: Any,
        optimizer: Any,
        *,
        steps: int = 3,
        zero_grad: bool = True,
        names: Mapping[str, Any] | None = None,
        interval: int = 1200,
    ) -> None:
        if steps < 1:
            raise ValueError(f"animate_training needs steps >= 1, got {steps}")
        self.names = dict(names) if names is not None else {"model": model, "x": x, "y": y}
        self.zero_grad = zero_grad
        self.training_frames: list[Frame] = []
        self.pngs: list[bytes] = []
        self.losses: list[float] = []
        self.graphs: list[Graph] = []
        self.grad_norms: list[dict[str, float | None]] = []
        self.recorder = Recorder()
        self._renderer: SnapshotRenderer | None = None
        self._laid_out: Graph | None = None  # the graph the renderer's layout was made for
        with autograd.listen(self.recorder):
            for k in range(1, steps + 1):
                self._train_step(k, model, loss_fn, x, y, optimizer)
        self.graph = self.graphs[0]
        self._build_widgets(interval)
        script_hint()  # in a plain script nothing shows a widget: say how to save it instead

    # -- running the loop, one phase at a time ----------------------------------------------

    def _train_step(self, k: int, model: Any, loss_fn: Callable, x: Any, y: Any,
                    optimizer: Any) -> None:
        """Run one step of the loop and draw a frame after each of its phases."""
        created, sent = self.recorder.created, self.recorder.sent
        loss = loss_fn(model(x), y)
        grads_before = self._grads_of(model)
        loss.backward()
        # traced before step(), while the leaves still hold this step's values
        graph = trace(loss, {"loss": loss, **self.names})
        self.graphs.append(graph)
        self.losses.append(float(loss.item()))
        out, value = graph.output, number(loss.item())
        params = self._parameters(graph)
        self._frame(
            k, "forward", graph, param_grads=grads_before,
            title=f"step {k}: forward, {out} = {value}",
            caption=(f"Training step {k}, forward: {out} = loss_fn(model(x), y) ran "
                     f"{self.recorder.created - created} operations; {out} = {value}. "
                     f"{self._grads_sentence(params, grads_before)}"),
        )
        grads_after = self._grads_of(model)
        piled = "" if k == 1 or self.zero_grad else (
            " zero_grad() was not called, so these add to the gradients already there: "
            ".grad holds the sum of every backward pass so far (the classic bug).")
        self._frame(
            k, "backward", graph, param_grads=grads_after, op_grads=self._op_grads(graph),
            title=f"step {k}: backward, {out}.backward()",
            caption=(f"Training step {k}, backward: {out}.backward() sent "
                     f"{self.recorder.sent - sent} gradients back; each parameter's .grad now "
                     f"holds ∂{out}/∂parameter.{piled} "
                     f"{self._grads_sentence(params, grads_after)}"),
        )
        before = {name: backend.host_copy(t.data) for name, t in params.items()}
        optimizer.step()  # the engine reports ParametersUpdated; the recorder copies the numbers
        after = self.recorder.updated[-1] if self.recorder.updated else {}
        new = {name: after.get(id(t), backend.host_copy(t.data)) for name, t in params.items()}
        changes = "; ".join(f"{name}: {_amount(before[name])} → {_amount(new[name])}"
                            for name in list(params)[:4])
        self._frame(
            k, "step", graph, param_grads=grads_after, op_grads=self._op_grads(graph),
            values_now=new, changed={n: _moved(before[n], new[n]) for n in params},
            title=f"step {k}: optimizer.step() moves every parameter",
            caption=(f"Training step {k}, optimizer.step(): every parameter moves a little "
                     f"against its gradient ({_update_rule(optimizer)}). {changes}."),
        )
        if self.zero_grad:
            optimizer.zero_grad()  # the engine reports GradientsCleared
            cleared = self.recorder.cleared[-1] if self.recorder.cleared else {}
            self._frame(
                k, "zero_grad", graph, param_grads=cleared, values_now=new,
                title=f"step {k}: zero_grad() clears the gradients",
                caption=(f"Training step {k}, optimizer.zero_grad(): every parameter's .grad "
                         f"is cleared (None), so the next backward pass starts from nothing."),
            )
        else:
            self._frame(
                k, "no_zero_grad", graph, param_grads=grads_after, values_now=new,
                title=f"step {k}: no zero_grad(): the gradients stay",
                caption=(f"Training step {k}: zero_grad() is not called, so every .grad keeps "
                         f"its numbers, and the next backward pass will add to them."),
            )

    @staticmethod
    def _parameters(graph: Graph) -> dict[str, Tensor]:
        """The graph's leaves that require grad (the parameters), by node name."""
        return {name: t for name, t in graph.tensors.items() if t.requires_grad}

    def _grads_of(self, model: Any) -> dict[int, np.ndarray | None]:
        return {id(p): None if p.grad is None else backend.host_copy(p.grad.data)
                for p in model.parameters()}

    @staticmethod
    def _op_grads(graph: Graph) -> dict[str, str]:
        """∂loss/∂node for the operations, from the engine's backward pass (a tensor's as its
        norm, which fits in a box)."""
        grads = {n: graph.node(n)["grad"] for n in graph.forward_order}
        return {n: grad_text(graph, n, g) if np.size(g) == 1 else f"grad {_amount(g)}"
                for n, g in grads.items() if g is not None}

    @staticmethod
    def _grads_sentence(params: Mapping[str, Tensor], grads: Mapping[int, Any]) -> str:
        shown = [f"{name}.grad: {_amount(grads.get(id(t)))}" for name, t in params.items()]
        return "; ".join(shown[:4]) + (" …" if len(shown) > 4 else "") + "."

    # -- one frame ------------------------------------------------------------------------------

    def _frame(
        self, k: int, phase: str, graph: Graph, *, title: str, caption: str,
        param_grads: Mapping[int, np.ndarray | None],
        op_grads: Mapping[str, str] | None = None,
        changed: Mapping[str, str] | None = None,
        values_now: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Draw one phase. ``param_grads`` are the parameters' ``.grad`` (by ``id``),
        ``op_grads`` the operations' gradient lines, ``changed`` a parameter's value line when
        it just moved, ``values_now`` the parameters' numbers when they differ from the graph's.
        """
        params = self._parameters(graph)
        if self._laid_out is None or not same_shape(self._laid_out, graph):
            self._renderer = SnapshotRenderer(compact(graph))  # boxes sized for short lines
            self._laid_out = graph
        values = {n: value_text(graph, n) for n in graph.nx.nodes}
        for name in params:
            now = (values_now or {}).get(name)
            values[name] = (changed or {}).get(name) or (
                value_line(now) if now is not None else values[name])
        grads = dict(op_grads or {})
        norms: dict[str, float | None] = {}
        for name, tensor in params.items():
            grad = param_grads.get(id(tensor))
            grads[name] = f"grad {_amount(grad)}"
            norms[name] = None if grad is None else _norm(grad)
        _, badge, color = PHASES[phase]
        rings = list(params) if phase in ("step", "zero_grad", "no_zero_grad") else []
        png = self._renderer.snapshot(values, grads, badge=badge, heading=title,
                                      color=color, rings=rings)
        self.pngs.append(png)
        self.grad_norms.append(norms)
        self.training_frames.append(Frame(k, phase, title, caption))

    # -- the widget -----------------------------------------------------------------------------

    @property
    def steps(self) -> list[Frame]:  # type: ignore[override]
        """The frames, as the player's ``steps`` (what each one shows)."""
        return self.training_frames

    @property
    def frame_captions(self) -> list[str]:
        """One caption per frame (``player.save`` writes them)."""
        return [f.caption for f in self.training_frames]

    @property
    def frame_phases(self) -> list[str]:
        return [PHASES[f.phase][0] for f in self.training_frames]

    def _build_widgets(self, interval: int) -> None:
        """Play, slider, speed, buttons, frames, captions and phase labels, linked in the
        browser as in :class:`GraphPlayer`."""
        last = len(self.pngs) - 1
        self.frames = widgets.Stack(
            [widgets.Image(value=png, format="png", layout=_image_layout()) for png in self.pngs],
            selected_index=0,
        ).add_class("autogradlab-frames")
        self.captions = widgets.Stack(
            [widgets.HTML(f"<div style='font-size:14px;line-height:1.45;max-width:1000px'>"
                          f"{html.escape(f.caption)}</div>",
                          layout=widgets.Layout(min_height="3.4em")).add_class(
                              "autogradlab-caption") for f in self.training_frames],
            selected_index=0,
        ).add_class("autogradlab-captions")
        self.phases = widgets.Stack(
            [_phase_label(f.phase) for f in self.training_frames], selected_index=0,
            layout=widgets.Layout(width="150px"),
        ).add_class("autogradlab-phase")
        self.play = widgets.Play(value=0, min=0, max=last, step=1, interval=interval,
                                 show_repeat=False, description="Play")
        self.slider = widgets.IntSlider(value=0, min=0, max=last, description="frame",
                                        layout=widgets.Layout(width="340px"))
        self.slider.add_class("autogradlab-step")
        self.speed = widgets.IntSlider(value=interval, min=150, max=4000, step=50,
                                       description="ms/frame", layout=widgets.Layout(width="260px"))
        self.first_button = _button("fast-backward", "first frame", "autogradlab-first")
        self.prev_button = _button("step-backward", "previous frame", "autogradlab-prev")
        self.next_button = _button("step-forward", "next frame", "autogradlab-next")
        self.last_button = _button("fast-forward", "last frame", "autogradlab-last")
        self.first_button.on_click(lambda _: self._go(0))
        self.prev_button.on_click(lambda _: self._go(self.play.value - 1))
        self.next_button.on_click(lambda _: self._go(self.play.value + 1))
        self.last_button.on_click(lambda _: self._go(last))
        widgets.VBox.__init__(self, [self._linked_controls(), self.frames, self.captions])
        self.add_class("autogradlab-player")
        self.add_class("autogradlab-training")

    def _go(self, index: int) -> None:
        self.play.playing = False
        self.play.value = max(0, min(index, len(self.pngs) - 1))

    def __repr__(self) -> str:
        losses = ", ".join(number(v) for v in self.losses)
        return (f"TrainingPlayer({len(self.losses)} steps, {len(self.pngs)} frames, "
                f"zero_grad={self.zero_grad}; loss {losses})")


def _phase_label(phase: str) -> widgets.HTML:
    label, _, color = PHASES[phase]
    return widgets.HTML(
        f'<span style="{_PHASE_STYLE.format(color=color)}">{html.escape(label)}</span>'
    ).add_class(f"autogradlab-phase-{phase}")


def animate_training(
    model: Any,
    loss_fn: Callable[[Any, Any], Tensor],
    x: Any,
    y: Any,
    optimizer: Any,
    steps: int = 3,
    zero_grad: bool = True,
    *,
    names: Mapping[str, Any] | None = None,
    interval: int = 1200,
) -> TrainingPlayer:
    """Run ``steps`` steps of the training loop and play them on one graph (a
    :class:`TrainingPlayer`): forward, backward, ``optimizer.step()``, ``zero_grad()``.

    ``zero_grad=False`` leaves the gradients in place between steps, to show what happens then
    (they add up). ``names`` labels the graph (default: ``model``, ``x`` and ``y``).
    The model really trains: its parameters are changed, as by the loop itself.
    """
    return TrainingPlayer(model, loss_fn, x, y, optimizer, steps=steps, zero_grad=zero_grad,
                          names=names, interval=interval)
