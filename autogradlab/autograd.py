"""The autograd engine: how an operation joins the graph, and how ``backward()`` walks it.

Forward: every operation is a :class:`Function` node. ``Function.apply`` computes the result and,
when some input requires a gradient, remembers its inputs so that the result's ``grad_fn`` points
back along the graph. Nodes point only *backwards* (to their inputs), never to their own output, so
the graph has no reference cycles and Python frees it as soon as the learner drops the result.

Backward: :func:`run_backward` visits the nodes in reverse creation order (a topological order,
found without recursion), asks each node for the gradients of its inputs (the chain rule, one node
at a time) and adds them up where a tensor was used more than once. Leaves collect their total in
``.grad``.

Events: anyone may :func:`listen` to the engine. It then reports, in order, every node created
(forward), every gradient sent along an edge (with the upstream gradient and the local derivative)
and every gradient accumulated into a node. The animations replay exactly these events. With no
listener the only cost is one falsy check per step. Each node also keeps what its last backward
pass received and sent (``grad_output``, ``grad_inputs``, ``backward_order``), so a graph can be
explained after the fact; :func:`recorded_events` rebuilds the same event list from that record.
"""

from __future__ import annotations

import itertools
import operator
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from . import backend
from .errors import (
    AutogradError,
    BackwardError,
    DeviceError,
    GraphFreedError,
    InPlaceError,
    ShapeError,
)

if TYPE_CHECKING:
    from .tensor import Tensor

Array = Any

# --------------------------------------------------------------------------------------------
# Grad mode
# --------------------------------------------------------------------------------------------

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``: operations then record the graph."""
    return _grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it afterwards."""

    enabled = True

    def __enter__(self) -> None:
        global _grad_enabled
        self._previous = _grad_enabled
        _grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._previous

    def __call__(self, function: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return function(*args, **kwargs)

        wrapper.__name__ = getattr(function, "__name__", "wrapper")
        wrapper.__doc__ = function.__doc__
        return wrapper


class no_grad(_GradMode):  # noqa: N801  (PyTorch's name)
    """Inside ``with ag.no_grad():`` operations build no graph: for updates and evaluation."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801
    """Turn graph building back on inside a ``no_grad`` block."""

    enabled = True


# --------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------


class Created(NamedTuple):
    """Forward: ``node`` (an operation) produced the tensor ``output``."""

    step: int
    node: Function
    output: Tensor


class GradientSent(NamedTuple):
    """Backward: ``source`` sent ``contribution = upstream x local`` to its input ``index``.

    ``target`` is the node that receives it: the input's ``grad_fn``, or the input tensor itself
    when it is a leaf. ``local`` is the local derivative d(source output)/d(input): an array for
    elementwise operations, otherwise a short description such as ``"grad @ W.T"``.
    """

    step: int
    source: Function
    index: int
    target: Function | Tensor
    upstream: Array
    local: Any
    contribution: Array


class GradientAccumulated(NamedTuple):
    """Backward: ``target`` has now received ``total`` (the sum of the contributions so far)."""

    step: int
    target: Function | Tensor
    contribution: Array
    total: Array
    count: int


class ParametersUpdated(NamedTuple):
    """Training: ``optimizer.step()`` changed the numbers of ``parameters`` (in place)."""

    step: int
    optimizer: Any
    parameters: tuple[Tensor, ...]


class GradientsCleared(NamedTuple):
    """Training: ``optimizer.zero_grad()`` forgot the gradients of ``parameters``."""

    step: int
    optimizer: Any
    parameters: tuple[Tensor, ...]


Event = Created | GradientSent | GradientAccumulated | ParametersUpdated | GradientsCleared
_listeners: list[Callable[[Event], None]] = []
_event_steps = itertools.count()
_source_recorders = 0  # how many open ``record(source=True)`` blocks want source lines


def has_listeners() -> bool:
    """True while someone listens to the engine (then events are worth building)."""
    return bool(_listeners)


def announce(kind: type, **fields: Any) -> None:
    """Report an event from outside the engine (optimizers do); free when nobody listens."""
    if _listeners:
        _emit(kind(next(_event_steps), **fields))


@contextmanager
def listen(callback: Callable[[Event], None]) -> Iterator[list[Event]]:
    """Call ``callback(event)`` for every engine event inside the ``with`` block.

    Yields a list that also collects the events, so ``with listen(print) as events:`` works.
    """
    collected: list[Event] = []

    def both(event: Event) -> None:
        collected.append(event)
        callback(event)

    _listeners.append(both)
    try:
        yield collected
    finally:
        _listeners.remove(both)


@contextmanager
def record(source: bool = False) -> Iterator[list[Event]]:
    """``with ag.autograd.record() as events:`` collects every engine event in a list.

    With ``source=True`` every node made inside the block also remembers the line of code that
    made it (``node.source``: file or notebook cell, line number and text), for ``ag.viz.why``.
    Outside such a block no source line is looked up, so it costs nothing.
    """
    global _source_recorders
    if source:
        _source_recorders += 1
    try:
        with listen(lambda event: None) as events:
            yield events
    finally:
        if source:
            _source_recorders -= 1


class SourceLine(NamedTuple):
    """Where a node was made: ``filename`` (a file or a notebook cell), ``lineno``, ``text``."""

    filename: str
    lineno: int
    text: str


_ENGINE_FILES = ("autogradlab/autograd.py", "autogradlab/tensor.py", "autogradlab/functions.py",
                 "autogradlab/nn/", "autogradlab/creation.py", "autogradlab/optim.py")


def _caller_line() -> SourceLine | None:
    """The first frame outside the engine: the learner's line that asked for this operation."""
    import linecache
    import sys

    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename.replace("\\", "/")
        if not any(part in name for part in _ENGINE_FILES):
            text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
            return SourceLine(frame.f_code.co_filename, frame.f_lineno, text)
        frame = frame.f_back
    return None


def _emit(event: Event) -> None:
    for listener in tuple(_listeners):
        listener(event)


# --------------------------------------------------------------------------------------------
# Function: one node of the graph
# --------------------------------------------------------------------------------------------

_sequence = itertools.count()


class Function:
    """One differentiable operation, and a node in the graph.

    A subclass writes two methods:

    * ``forward(self, *arrays)`` computes the result from plain arrays (and Python numbers) and
      keeps on ``self`` whatever ``backward`` will need;
    * ``backward(self, grad)`` receives d(loss)/d(output) and returns one gradient per input
      (``None`` for inputs that are plain numbers): the chain rule, for this one node.

    ``Op.apply(*inputs)`` runs ``forward`` and links the result into the graph. A node's name in
    reprs is PyTorch's: ``MulBackward0`` for the class ``Mul``.
    """

    #: a short symbol for pictures ("*", "+", "exp", ...); defaults to the class name
    symbol: str = ""
    #: one formula per input for the local derivative, shown by the node inspector
    formulas: tuple[str, ...] = ()
    #: False for operations whose result dtype is asked for explicitly (``.double()``)
    promotes_types: bool = True

    inputs: tuple[Any, ...]
    needs_grad: tuple[bool, ...]
    seq: int
    value: Array
    released: bool = False
    hooks: list | None = None
    retained: weakref.ref | None = None
    grad_output: Array | None = None
    grad_inputs: tuple[Array | None, ...] | None = None
    backward_order: int | None = None
    source: SourceLine | None = None

    # -- to be written by each operation -----------------------------------------------------

    def forward(self, *args: Any) -> Array:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def backward(self, grad: Array) -> tuple[Array | None, ...]:
        raise NotImplementedError(f"{type(self).__name__} must define backward()")

    def local_derivative(self, index: int) -> Any:
        """d(output)/d(input ``index``) for display: an array, a number or a description."""
        if self.formulas and index < len(self.formulas):
            return self.formulas[index]
        return f"see {type(self).__name__}.backward"

    # -- linking into the graph ---------------------------------------------------------------

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        """Run this operation on tensors (and numbers), recording it in the graph if needed."""
        fn = cls()
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        try:
            out = fn.forward(*arrays, **options)
        except AutogradError:
            raise
        except Exception as error:
            raise fn.explain_failure(inputs, error) from None
        if out.dtype is backend.NUMPY_FLOAT64 and cls.promotes_types:
            out = backend.keep_default_float(out, arrays)
        if not _grad_enabled:
            return Tensor._from_op(out, None)
        needs = tuple([isinstance(x, Tensor) and x._requires_grad for x in inputs])
        if True not in needs:
            return Tensor._from_op(out, None)
        fn.inputs = inputs
        fn.needs_grad = needs
        fn.seq = next(_sequence)  # creation order; also the stamp in-place changes compare with
        fn.value = out
        result = Tensor._from_op(out, fn)
        if _listeners:
            if _source_recorders:
                fn.source = _caller_line()
            _emit(Created(next(_event_steps), fn, result))
        return result

    # -- names and messages --------------------------------------------------------------------

    @classmethod
    def backward_name(cls) -> str:
        return f"{cls.__name__}Backward0"

    def name(self) -> str:
        """PyTorch's name for this node, e.g. ``MulBackward0`` (some ops name their variants)."""
        return self.backward_name()

    def __repr__(self) -> str:
        return f"<{self.name()}>"

    def explain_failure(self, inputs: Sequence[Any], error: Exception) -> Exception:
        """Turn a library error from ``forward`` into one that names the tensors involved."""
        tensors = [x for x in inputs if isinstance(x, Tensor)]
        devices = {str(t.device) for t in tensors}
        described = ", ".join(describe(x) for x in inputs)
        op = type(self).__name__.lower()
        if len(devices) > 1:
            return DeviceError(
                f"{op} got tensors on different devices: {described}. Move them to one device "
                f"first, e.g. b = b.to(a.device)."
            )
        text = str(error)
        if isinstance(error, ValueError) and ("broadcast" in text or "shape" in text):
            return ShapeError(
                f"{op} cannot combine {described}: the shapes do not broadcast. Two sizes fit "
                f"when they are equal or one of them is 1 (compared from the right). "
                f"Reshape or transpose one of them."
            )
        return AutogradError(f"{op} failed on {described}: {text}")


def describe(x: Any) -> str:
    """``tensor of shape (5, 5), float32, on cpu`` or ``the number 10``: for messages."""
    if isinstance(x, Tensor):
        return f"a tensor of shape {tuple(x.shape)} ({x.dtype.name}, on {x.device})"
    return f"the number {x!r}"


# --------------------------------------------------------------------------------------------
# The backward pass
# --------------------------------------------------------------------------------------------


def topological_order(roots: Sequence[Function]) -> list[Function]:
    """Every node that ``roots`` depend on, latest created first.

    Creation order is already a topological order (an operation's inputs exist before it runs),
    so reversing it means each node comes after every node that uses its output. The walk uses an
    explicit stack, not recursion, so a chain of 100,000 operations is fine.
    """
    seen: set[Function] = set()
    nodes: list[Function] = []
    stack = list(roots)
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        nodes.append(fn)
        for x in fn.inputs:
            if isinstance(x, Tensor) and x.grad_fn is not None and x.grad_fn not in seen:
                stack.append(x.grad_fn)
    nodes.sort(key=_by_seq, reverse=True)
    return nodes


_by_seq = operator.attrgetter("seq")


class _Pending:
    """A gradient being summed for one node during one backward pass."""

    __slots__ = ("total", "owned", "count")

    def __init__(self, first: Array) -> None:
        self.total = first
        self.owned = False  # the first contribution may be shared: never add into it in place
        self.count = 1

    def add(self, contribution: Array) -> None:
        if self.owned:
            self.total += contribution
        else:
            self.total = self.total + contribution
            self.owned = True
        self.count += 1


def run_backward(
    outputs: Sequence[Tensor],
    seeds: Sequence[Array],
    retain_graph: bool = False,
    capture: dict[Any, Array | None] | None = None,
) -> None:
    """Propagate ``seeds`` (d loss / d output) from ``outputs`` back to every leaf.

    With ``capture`` (a dict keyed by nodes), gradients arriving at those nodes are stored there
    and no leaf's ``.grad`` changes: that is :func:`grad`. Otherwise leaves accumulate ``.grad``.
    """
    pending: dict[Any, _Pending] = {}  # node -> the gradient summed for it so far
    leaves: list[Tensor] = []  # in order of first arrival
    for out, seed in zip(outputs, seeds):
        node = out.grad_fn if out.grad_fn is not None else out
        _arrive(pending, leaves, node, seed, None)
    order = topological_order([o.grad_fn for o in outputs if o.grad_fn is not None])
    for position, fn in enumerate(order):
        entry = pending.pop(fn, None)
        if entry is None:  # no gradient reached this node (its output was not used)
            continue
        if fn.released:
            raise GraphFreedError(
                f"backward() is going through {fn.name()} a second time, but the first backward "
                f"pass already used up this graph. Pass retain_graph=True to the first "
                f"backward() if you need two, or recompute the forward pass."
            )
        grad = entry.total
        if fn.hooks or fn.retained is not None or capture is not None:
            grad = _prepare(fn, grad, capture)
        if _last_change > fn.seq:  # something was changed in place after fn ran
            _check_versions(fn)
        # the chain rule for this one node: d loss/d input = d loss/d output x local derivative
        grads = fn.backward(grad)
        fn.grad_output, fn.grad_inputs, fn.backward_order = grad, grads, position
        needs = fn.needs_grad
        for index, x in enumerate(fn.inputs):
            g = grads[index]
            if g is None or not needs[index]:
                continue
            target = x.grad_fn or x  # a node: the operation that made x, or the leaf x itself
            if _listeners:
                local = fn.local_derivative(index)
                _emit(GradientSent(next(_event_steps), fn, index, target, grad, local, g))
            _arrive(pending, leaves, target, g, fn)
        if not retain_graph:
            fn.released = True
    for leaf in leaves:
        total = pending[leaf].total
        if capture is not None:
            if leaf in capture:
                capture[leaf] = total
            continue
        total = _run_hooks(leaf._hooks, total, leaf)
        leaf._accumulate_grad(total, owned=pending[leaf].owned)


def _arrive(
    pending: dict[Any, _Pending],
    leaves: list[Tensor],
    node: Any,
    contribution: Array,
    source: Function | None,
) -> None:
    entry = pending.get(node)
    if entry is None:
        entry = pending[node] = _Pending(contribution)
        if not isinstance(node, Function):
            leaves.append(node)
    else:
        entry.add(contribution)
    if _listeners and source is not None:
        total = backend.namespace_of(entry.total).xp.asarray(entry.total, copy=True)
        _emit(GradientAccumulated(next(_event_steps), node, contribution, total, entry.count))


def _prepare(fn: Function, grad: Array, capture: dict[Any, Array | None] | None) -> Array:
    """Apply hooks and ``retain_grad`` for the tensor that ``fn`` produced."""
    if fn.hooks:
        grad = _run_hooks(fn.hooks, grad, None)
    if capture is not None:
        if fn in capture:
            capture[fn] = grad
        return grad
    if fn.retained is not None:
        tensor = fn.retained()
        if tensor is not None:
            tensor._accumulate_grad(grad, owned=False)
    return grad


def _run_hooks(hooks: list | None, grad: Array, leaf: Tensor | None) -> Array:
    if not hooks:
        return grad
    for hook in list(hooks):
        result = hook(Tensor._from_op(grad, None))
        if result is not None:
            if not isinstance(result, Tensor) or tuple(result.shape) != tuple(grad.shape):
                raise BackwardError(
                    f"a hook must return None or a tensor of the gradient's shape "
                    f"{tuple(grad.shape)}, but {getattr(hook, '__name__', hook)} returned "
                    f"{describe(result)}."
                )
            grad = result.data
    return grad


_last_change = -1  # the stamp of the latest in-place change anywhere


def next_stamp() -> int:
    """A stamp for an in-place change, from the same counter that numbers the nodes.

    A tensor remembers the stamp of its last in-place change (``_changed_at``). If that is later
    than a node's ``seq``, the tensor changed after the node used it: PyTorch's version counter
    check, done with one comparison per node.
    """
    global _last_change
    _last_change = next(_sequence)
    return _last_change


def _check_versions(fn: Function) -> None:
    for position, x in enumerate(fn.inputs):
        if isinstance(x, Tensor) and x._changed_at > fn.seq:
            raise InPlaceError(
                f"{describe(x)}, input {position} of {fn.name()}, was changed in place after "
                f"{fn.name()} used it (it is now at version {x._version}). Its backward needs "
                f"the old values, so the gradient would be wrong. Use an out-of-place "
                f"operation (x = x * 2 instead of x.mul_(2)), or change it only after backward()."
            )


# --------------------------------------------------------------------------------------------
# The functional interface
# --------------------------------------------------------------------------------------------


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool = False,
) -> None:
    """``ag.autograd.backward(L)``: the same as ``L.backward()``, for one or several outputs."""
    outputs = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(outputs)
    seeds = [_seed(out, g) for out, g in zip(outputs, grad_tensors)]
    run_backward(outputs, seeds, retain_graph=retain_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) returned as new tensors; no ``.grad`` anywhere is changed."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outs)
    for x in ins:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise BackwardError(
                f"ag.grad() can only differentiate with respect to tensors that require grad; "
                f"got {describe(x)} with requires_grad=False."
            )
    capture: dict[Any, Array | None] = {}
    for x in ins:
        capture[x.grad_fn if x.grad_fn is not None else x] = None
    seeds = [_seed(out, g) for out, g in zip(outs, grad_outputs)]
    run_backward(outs, seeds, retain_graph=retain_graph, capture=capture)
    results: list[Tensor | None] = []
    for position, x in enumerate(ins):
        found = capture[x.grad_fn if x.grad_fn is not None else x]
        if found is None:
            if not allow_unused:
                raise BackwardError(
                    f"input {position} ({describe(x)}) was not used to compute the outputs, so "
                    f"it has no gradient. Pass allow_unused=True to get None for it."
                )
            results.append(None)
        else:
            results.append(Tensor._from_op(backend.namespace_of(found).ensure_array(found), None))
    return tuple(results)


def _seed(output: Tensor, gradient: Any) -> Array:
    """The gradient that starts the backward pass: d(output)/d(output) = 1 for a scalar."""
    if not isinstance(output, Tensor):
        raise TypeError(f"backward() needs a Tensor, not {type(output).__name__}")
    if not output.requires_grad:
        raise BackwardError(
            f"{describe(output)} does not require grad, so there is nothing to differentiate: "
            f"none of the tensors it was computed from had requires_grad=True (or it was "
            f"computed inside no_grad()). Create the inputs with requires_grad=True."
        )
    xp = backend.namespace_of(output.data).xp
    if gradient is None:
        if output.data.ndim != 0 and output.numel() != 1:
            raise BackwardError(
                f"backward() on {describe(output)} needs to know how much each of its "
                f"{output.numel()} numbers matters. Reduce it to one number first "
                f"(out.sum().backward()) or pass gradient=ag.ones_like(out)."
            )
        return xp.ones(output.data.shape, dtype=output.data.dtype)
    if not isinstance(gradient, Tensor):
        gradient = Tensor._from_op(backend.host_array(gradient, output.dtype), None).to(
            output.device
        )
    if tuple(gradient.shape) != tuple(output.shape):
        raise ShapeError(
            f"gradient= must have the output's shape {tuple(output.shape)}, but it has shape "
            f"{tuple(gradient.shape)}."
        )
    return gradient.data


def recorded_events(output: Tensor) -> list[Event]:
    """The events of the graph behind ``output``, rebuilt from what its nodes recorded.

    Forward events come in creation order; backward events (when a backward pass has run) in the
    order the engine ran them, with the same contributions and running totals as live events.
    """
    if output.grad_fn is None:
        return []
    order = topological_order([output.grad_fn])
    events: list[Event] = []
    step = itertools.count()
    for fn in reversed(order):
        events.append(Created(next(step), fn, output if fn is output.grad_fn else None))
    ran = sorted((fn for fn in order if fn.backward_order is not None), key=_by_backward_order)
    totals: dict[Any, list] = {}
    for fn in ran:
        for index, (x, g) in enumerate(zip(fn.inputs, fn.grad_inputs or ())):
            if g is None or not fn.needs_grad[index]:
                continue
            target = x.grad_fn if x.grad_fn is not None else x
            local = fn.local_derivative(index)
            events.append(GradientSent(next(step), fn, index, target, fn.grad_output, local, g))
            running = totals.get(target)
            totals[target] = [g, 1] if running is None else [running[0] + g, running[1] + 1]
            total, count = totals[target]
            events.append(GradientAccumulated(next(step), target, g, total, count))
    return events


def _by_backward_order(fn: Function) -> int:
    return fn.backward_order  # type: ignore[return-value]


from .tensor import Tensor  # noqa: E402  (Tensor needs this module; import it last)
