"""``ag.explore``: move an input, watch the whole graph (values and gradients) follow.

.. code-block:: python

    def f(w1, w2, w3, w4, a):
        b = w1 * a
        c = w2 * a
        d = w3 * b + w4 * c
        L = 10 - d
        return L

    explorer = ag.explore(f, w1=3.0, w2=-1.0, w3=2.0, w4=4.0, a=2.0)

There is one slider per input (one per element for a small tensor). Each move runs the
learner's function again, forward and then the engine's own ``backward()``, traces the new graph
and redraws its numbers on the layout computed the first time, so the picture does not jump.

The nudge readout makes a derivative concrete. For each input it runs the function once more
with that input a little larger (in float64, without building a graph) and compares the change
of the output with the gradient the engine computed::

    a + 0.01 → L changes by -0.02; ΔL/Δa = -2.0; the engine's dL/da = -2.0

After a move, the nodes whose values changed are ringed in the picture and listed in the
readout (``explorer.changed``): a change flows forward, along the edges, to everything computed
from the input that moved, and nowhere else.

For tests and lessons: ``explorer.values`` and ``explorer.grads`` (dicts of floats),
``explorer.node_values`` (node name -> float, for the graph's one-number nodes),
``explorer.changed``, ``explorer.set(a=3.0)`` (the same path as a slider move) and
``explorer.frame`` (the image).
Sliders run Python, so exploring needs a running kernel.
"""

from __future__ import annotations

import html
import inspect
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np

from .. import creation
from ..autograd import no_grad
from ..backend import float64
from ..tensor import Tensor
from ..viz import words
from ..viz.trace import Graph, trace
from ..viz.words import COLORS, number
from .snapshots import SnapshotRenderer, same_shape
from .static import ShowsAPicture
from .steps import grad_text, value_text

#: a tensor input gets one slider per element, up to this many elements
MAX_ELEMENTS = 16


@dataclass(frozen=True)
class Nudge:
    """What happens to the output when one input grows by ``step``.

    ``change`` is the output's change (ΔL), ``ratio`` is ΔL/Δx, and ``engine`` is the gradient
    the engine's backward pass computed, dL/dx: for a small ``step`` the two agree.
    """

    key: str
    step: float
    change: float
    ratio: float
    engine: float

    def text(self, output: str) -> str:
        """``a + 0.01 → L changes by -0.02; ΔL/Δa = -2.0; the engine's dL/da = -2.0``."""
        return (
            f"{self.key} + {number(self.step)} → {output} changes by {number(self.change)}; "
            f"Δ{output}/Δ{self.key} = {number(self.ratio)}; "
            f"the engine's d{output}/d{self.key} = {number(self.engine)}"
        )


def element_keys(name: str, shape: tuple[int, ...]) -> list[str]:
    """The slider names of an input: ``a`` for a number, ``w[0]``, ``w[1]`` or ``W[0,1]`` for
    the elements of a tensor."""
    if shape == ():
        return [name]
    return [f"{name}[{','.join(map(str, index))}]" for index in np.ndindex(*shape)]


def call_keeping_locals(fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> tuple[Any, dict]:
    """``fn(**kwargs)`` and the local variables ``fn`` had when it returned.

    The locals name the graph's nodes as the learner wrote them (``b``, ``d``, ``L``). They are
    caught with ``sys.setprofile``, which sees every function return in this thread, for the
    length of this one call only.
    """
    code = getattr(fn, "__code__", None)
    if code is None or sys.getprofile() is not None:  # not a plain function, or a profiler runs
        return fn(**kwargs), {}
    found: dict[str, Any] = {}

    def on_event(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            found.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(on_event)
    try:
        result = fn(**kwargs)
    finally:
        sys.setprofile(previous)
    return result, found


class Explorer(ShowsAPicture, widgets.VBox):
    """Sliders for the inputs of ``fn``, the traced graph, and the nudge readout.

    Parts: ``sliders`` (slider name -> ``FloatSlider``), ``frame`` (``widgets.Image``),
    ``readout`` (``widgets.HTML``). State after the latest run: ``values`` and ``grads`` (slider
    name -> float), ``output`` (the output's value), ``nudges`` (slider name -> :class:`Nudge`),
    ``graph`` (the traced graph), ``node_values`` (node name -> float, nodes holding one number)
    and ``changed`` (the computed nodes whose values differ from the run before, in forward
    order; empty after the first run or when the graph changed shape).
    """

    def __init__(
        self,
        fn: Callable[..., Tensor],
        inputs: Mapping[str, Any],
        *,
        nudge: float = 0.01,
        ranges: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        if not inputs:
            raise TypeError("explore(fn, a=2.0, b=-3.0): give a starting value for each input")
        _check_signature(fn, inputs)
        self.fn = fn
        self.nudge_step = float(nudge)
        self.shapes = {name: np.shape(value) for name, value in inputs.items()}
        for name, shape in self.shapes.items():
            if int(np.prod(shape)) > MAX_ELEMENTS:
                raise ValueError(
                    f"explore: {name} has {int(np.prod(shape))} numbers, more than the "
                    f"{MAX_ELEMENTS} sliders it would need; explore a smaller tensor."
                )
        starts = {
            key: float(v) for name, value in inputs.items()
            for key, v in zip(element_keys(name, self.shapes[name]), np.ravel(value))
        }
        self.sliders = {key: _slider(key, v, (ranges or {}).get(key.split("[")[0]))
                        for key, v in starts.items()}
        for key, slider in self.sliders.items():
            slider.observe(lambda change, key=key: self._moved(key), names="value")
        self.frame = widgets.Image(format="png", layout=widgets.Layout(
            width="100%", max_width="1000px", height="auto")).add_class("autogradlab-explore-frame")
        self.readout = widgets.HTML().add_class("autogradlab-explore-readout")
        self._quiet = False
        self._renderer: SnapshotRenderer | None = None
        self.graph: Graph | None = None
        self.node_values: dict[str, float] = {}
        self.changed: list[str] = []
        controls = widgets.VBox(list(self.sliders.values()),
                                layout=widgets.Layout(min_width="330px"))
        super().__init__([widgets.HBox([controls, self.readout]), self.frame])
        self.add_class("autogradlab-explorer")
        self.rerun(moved=None)

    # -- moving inputs ----------------------------------------------------------------------

    def _moved(self, key: str) -> None:
        """A slider moved: run again. An error from ``fn`` is shown in the readout (a slider's
        callback has nowhere else to say it); ``set`` raises it instead."""
        if self._quiet:
            return
        try:
            self.rerun(moved=key)
        except Exception as error:  # noqa: BLE001  (the learner's function may raise anything)
            self.readout.value = (
                f"<div style='color:{COLORS['grad']};padding-left:12px'><b>{html.escape(key)} = "
                f"{number(self.sliders[key].value)}: {type(error).__name__}</b>: "
                f"{html.escape(str(error))}</div>"
            )

    @contextmanager
    def _holding(self) -> Iterator[None]:
        """Change several sliders without a rerun for each."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    def set(self, **values: Any) -> None:
        """Move inputs as if by their sliders, then run once: ``explorer.set(a=3.0)``,
        ``explorer.set(w=[1.0, 2.0])``, or one element, ``explorer.set(**{"w[1]": 2.0})``."""
        moved = []
        with self._holding():
            for name, value in values.items():
                keys = [name] if name in self.sliders else element_keys(
                    name, self.shapes.get(name, ()))
                numbers = np.ravel(np.asarray(value, dtype=np.float64))
                if any(k not in self.sliders for k in keys) or len(numbers) != len(keys):
                    raise KeyError(
                        f"explore has no input {name!r} of that size; its sliders are "
                        f"{', '.join(self.sliders)}"
                    )
                for key, number_ in zip(keys, numbers):
                    _move(self.sliders[key], float(number_))
                    moved.append(key)
        self.rerun(moved=moved[0] if moved else None)

    # -- running the learner's function ----------------------------------------------------

    def _tensors(self, dtype: Any = None, requires_grad: bool = True,
                 bump: tuple[str, float] | None = None) -> dict[str, Tensor]:
        """The inputs as tensors made from the sliders (one element raised by ``bump``)."""
        tensors = {}
        for name, shape in self.shapes.items():
            numbers = [self.sliders[k].value for k in element_keys(name, shape)]
            if bump is not None and bump[0] in element_keys(name, shape):
                numbers[element_keys(name, shape).index(bump[0])] += bump[1]
            data = np.reshape(np.asarray(numbers, dtype=np.float64), shape).tolist()
            kwargs = {"dtype": dtype} if dtype is not None else {}
            tensors[name] = creation.tensor(data, requires_grad=requires_grad, **kwargs)
        return tensors

    def rerun(self, moved: str | None) -> None:
        """Run ``fn`` forward and backward on the sliders' values, then redraw and re-explain."""
        tensors = self._tensors()
        output, local_names = call_keeping_locals(self.fn, tensors)
        _check_output(output)
        output.backward()  # the engine's backward pass: every gradient shown comes from here
        names = {k: v for k, v in local_names.items() if isinstance(v, Tensor)}
        before, old_graph = self.node_values, self.graph
        self.graph = trace(output, names={**names, **tensors})
        self.node_values = _one_number_values(self.graph)
        same = old_graph is not None and same_shape(old_graph, self.graph)
        self.changed = [n for n in self.graph.forward_order if same and n in before
                        and n in self.node_values and self.node_values[n] != before[n]]
        self.output = float(output.item())
        self.values = {k: s.value for k, s in self.sliders.items()}
        self.grads = {}
        for name, tensor in tensors.items():
            grad = np.zeros(self.shapes[name]) if tensor.grad is None else tensor.grad.numpy()
            for key, g in zip(element_keys(name, self.shapes[name]), np.ravel(grad)):
                self.grads[key] = float(g)
        with no_grad():  # the nudge experiment: plain forward runs in float64, no graph
            base = float(self.fn(**self._tensors(float64, False)).item())
            self.nudges = {key: self._nudge(key, base) for key in self.sliders}
        self.frame.value = self._picture(moved)
        self.readout.value = self._explain(moved)

    def _nudge(self, key: str, base: float) -> Nudge:
        """Run ``fn`` with ``key`` raised by the nudge step; compare with ``base``, the output
        at the sliders' values."""
        step = self.nudge_step
        bumped = float(self.fn(**self._tensors(float64, False, (key, step))).item())
        change = _clean(bumped - base)  # 6 digits: -0.02, not -0.019999999999999574
        return Nudge(key, step, change, _clean(change / step), self.grads[key])

    # -- showing it -------------------------------------------------------------------------

    def _picture(self, moved: str | None) -> bytes:
        graph = self.graph
        assert graph is not None
        if self._renderer is None or not same_shape(self._renderer.graph, graph):
            self._renderer = SnapshotRenderer(graph)  # a new shape of graph: a new layout
        values = {n: value_text(graph, n) for n in graph.nx.nodes}
        grads = {n: grad_text(graph, n, graph.node(n)["grad"]) for n in graph.nx.nodes
                 if graph.node(n)["grad"] is not None}
        where = f"{moved} = {number(self.values[moved])}: " if moved else ""
        heading = f"{where}{graph.output} = {number(self.output)}, gradients from backward()"
        if moved and self.changed:
            heading += "; ringed: what changed"
        rings = ([moved.split("[")[0]] if moved else []) + self.changed
        return self._renderer.snapshot(values, grads, badge="EXPLORE", heading=heading,
                                       color=COLORS["forward"], rings=rings)

    def _explain(self, moved: str | None) -> str:
        out = self.graph.output if self.graph is not None else "L"
        lines = [f"<b>{html.escape(out)} = {number(self.output)}</b>"]
        if moved and self.changed:
            lines.append(f"<span style='color:{COLORS['forward']}'>{html.escape(moved)} moved; "
                         f"values that changed: {html.escape(', '.join(self.changed))}</span>")
        for key, nudge in self.nudges.items():
            gradient = html.escape(words.grad_text(out, key, self.grads[key]))
            text = html.escape(nudge.text(out))
            line = f"{gradient}<br><span style='color:{COLORS['muted']}'>{text}</span>"
            lines.append(f"<b>{line}</b>" if key == moved else line)
        return ("<div style='font-size:13px;line-height:1.5;padding-left:12px'>"
                + "<br>".join(lines) + "</div>")

    def _static_png(self) -> bytes:
        """The picture as it stands: what static pages show."""
        return self.frame.value

    def __repr__(self) -> str:
        inputs = ", ".join(f"{k}={number(v)}" for k, v in self.values.items())
        out = self.graph.output if self.graph is not None else "output"
        return f"Explorer({inputs}: {out} = {number(self.output)})"


def _one_number_values(graph: Graph) -> dict[str, float]:
    """Node name -> value for the nodes of ``graph`` that hold one number."""
    found = {}
    for name in graph.nx.nodes:
        value = graph.node(name).get("value")
        if value is not None and np.size(value) == 1:
            found[name] = float(np.ravel(np.asarray(value))[0])
    return found


def _clean(x: float) -> float:
    """``x`` rounded to 6 significant digits: a float64 difference without its rounding noise."""
    return float(f"{x:.6g}")


def _slider(key: str, value: float, span: tuple[float, float] | None) -> widgets.FloatSlider:
    """A slider around ``value``: ``span`` (low, high), or value ± max(2, 2|value|)."""
    if span is None:
        reach = max(2.0, 2 * abs(value))
        span = (value - reach, value + reach)
    slider = widgets.FloatSlider(
        value=value, min=min(span[0], value), max=max(span[1], value), step=0.01,
        description=key, continuous_update=False, readout_format=".2f",
        layout=widgets.Layout(width="320px"),
    )
    return slider.add_class("autogradlab-explore-slider")


def _move(slider: widgets.FloatSlider, value: float) -> None:
    """Set a slider, widening its range first if ``value`` is outside it (never clamp)."""
    if value > slider.max:
        slider.max = value + (slider.max - slider.min) / 2
    if value < slider.min:
        slider.min = value - (slider.max - slider.min) / 2
    slider.value = value


def _check_signature(fn: Callable[..., Any], inputs: Mapping[str, Any]) -> None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(**inputs)
    except TypeError as error:
        raise TypeError(
            f"explore: {getattr(fn, '__name__', 'fn')}{signature} cannot be called with "
            f"{', '.join(inputs)} ({error}). Give one starting value per parameter, e.g. "
            f"explore(f, a=2.0, b=-3.0)."
        ) from None


def _check_output(output: Any) -> None:
    if not isinstance(output, Tensor) or output.numel() != 1:
        what = (f"a tensor of shape {tuple(output.shape)}" if isinstance(output, Tensor)
                else f"a {type(output).__name__}")
        raise TypeError(
            f"explore needs fn to return one number as a tensor (a loss), but it returned "
            f"{what}. End fn with e.g. return L.sum()."
        )


def explore(
    fn: Callable[..., Tensor],
    *,
    nudge: float = 0.01,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    **inputs: Any,
) -> Explorer:
    """An :class:`Explorer` of ``fn``: ``ag.explore(f, a=2.0, b=-3.0)``.

    ``fn`` takes tensors (one per keyword) and returns a tensor holding one number. Each input
    gets a slider (a small tensor, given as a list, one per element); ``ranges={"a": (-5, 5)}``
    sets a slider's range. ``nudge`` is the step of the readout's "a + 0.01" experiment.
    """
    return Explorer(fn, inputs, nudge=nudge, ranges=ranges)
