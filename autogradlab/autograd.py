"""The autograd engine: how an operation joins the graph, and how ``backward()`` walks it.

Forward: every operation is a :class:`Node`. ``Node.apply`` computes the result and, when some
input requires a gradient, remembers where its inputs came from (its ``edges``) so that the
result's ``grad_fn`` points back along the graph. Nodes point only *backwards*, never to their own
output, so the graph has no reference cycles and Python frees it as soon as the learner drops the
result. Like PyTorch's ``next_functions``, an edge leads to the *operation* that made an input, not
to the intermediate tensor object: the graph is then one node per operation, and a learner's
``a * b + c`` leaves no intermediate tensor behind for Python's garbage collector to visit.
A learner's own operation is a :class:`Function`, written exactly as in PyTorch.

Backward: :func:`run_backward` visits the nodes in reverse creation order (a topological order,
found without recursion), asks each node for the gradients of its inputs (the chain rule, one node
at a time) and adds them up where a tensor was used more than once. Leaves collect their total in
``.grad``. With ``create_graph=True`` the backward pass is itself recorded as a graph, so it can be
differentiated again.

Events: anyone may :func:`listen` to the engine. It then reports, in order, every node created
(forward) and every gradient sent along an edge (with the upstream gradient, the local derivative
and the running total at the receiving node). The animations replay exactly these events. With no
listener the only cost is one falsy check per step. Each node also keeps what its last backward
pass received and sent (``grad_output``, ``grad_inputs``, ``recorded_by``), so a graph can be
explained after the fact; :func:`recorded_events` rebuilds the same event list from that record.
"""

from __future__ import annotations

import gc
import itertools
import math
import operator
import sys
import threading
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

__all__ = [
    "Function", "Node", "backward", "enable_grad", "grad", "is_grad_enabled", "listen",
    "no_grad", "record", "recorded_events", "record_note",
]

if TYPE_CHECKING:
    from .tensor import Tensor

Array = Any

# --------------------------------------------------------------------------------------------
# Grad mode (one switch per thread, as in PyTorch)
# --------------------------------------------------------------------------------------------


class _GradState(threading.local):
    enabled = True  # each thread starts with recording on


_grad_state = _GradState()


def is_grad_enabled() -> bool:
    """True unless inside ``no_grad()``: operations then record the graph (in this thread)."""
    return _grad_state.enabled


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it afterwards.

    Grad mode belongs to a thread, as in PyTorch: a ``no_grad()`` block in a background thread
    does not stop the main thread from recording.
    """

    enabled = True

    def __enter__(self) -> None:
        self._previous = _grad_state.enabled
        _grad_state.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _grad_state.enabled = self._previous

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
    node: Node
    output: Tensor


class GradientSent(NamedTuple):
    """Backward: ``source`` sent ``contribution = upstream x local`` to its input ``index``.

    ``target`` is the node that receives it: the input's ``grad_fn``, or the input tensor itself
    when it is a leaf. ``local`` is the local derivative d(source output)/d(input): an array for
    elementwise operations, otherwise a short description such as ``"grad @ W.T"``. ``total`` is
    what ``target`` has received so far in this pass, this contribution included (``count``
    contributions): one event per edge, so nobody has to pair a "sent" with an "added up".
    """

    step: int
    source: Node
    index: int
    target: Node | Tensor
    upstream: Array
    local: Any
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


Event = Created | GradientSent | ParametersUpdated | GradientsCleared
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
# Node: one operation in the graph
# --------------------------------------------------------------------------------------------

#: every attribute a node may get from the engine (the class attributes of Node give defaults)
_NODE_ATTRIBUTES = (
    "_edge0", "_edge1", "_more_edges", "needs_grad", "seq", "value", "saved", "output_version",
    "hooks", "retained", "source", "freed", "grad_output", "_grad_input0", "_grad_input1",
    "_more_grad_inputs", "recorded_by",
)


def _lay_out_attributes(cls: type) -> None:
    """Make room for every engine attribute in the objects of the node class ``cls``.

    CPython keeps an object's attributes in a compact array shared by its class, laid out by the
    names the class's first few dozen objects were given; once that layout closes, an object
    given a name it lacks gets a dict of its own: one more object per node for Python's garbage
    collector to visit, again and again. Giving every name once to a throwaway object, when the
    class is made, keeps the layout open for all of them, so a node needs to set only what it
    uses (the class attributes of :class:`Node` are the defaults).
    """
    sample = object.__new__(cls)
    for name in _NODE_ATTRIBUTES:
        if not hasattr(type(getattr(cls, name, None)), "__set__"):  # a property is left alone
            object.__setattr__(sample, name, None)


_sequence = itertools.count()
_NO_EDGE = object()  # a node's ``_edge1`` when it has a single input
_MORE_EDGES = object()  # a node's ``_edge1`` when its edges are in ``_more_edges`` (3 or more)
#: the few distinct ``needs_grad`` tuples, shared: fewer objects for the garbage collector to visit
_SHARED_NEEDS: dict[tuple[bool, ...], tuple[bool, ...]] = {}
#: the same shared tuples for two inputs, found without building a key tuple first (see link)
_NEEDS_OF_TWO = {(a, b): _SHARED_NEEDS.setdefault((a, b), (a, b))
                 for a in (False, True) for b in (False, True)}
_NEEDS_OF_ONE = _SHARED_NEEDS.setdefault((True,), (True,))


class Node:
    """One differentiable operation, and a node in the graph (PyTorch's ``grad_fn`` objects).

    A subclass writes two methods:

    * ``forward(self, *arrays)`` computes the result from plain arrays (and Python numbers) and
      keeps what ``backward`` will need with ``self.save_for_backward(...)``;
    * ``backward(self, grad)`` receives d(loss)/d(output) and returns one gradient per input
      (``None`` for inputs that are plain numbers): the chain rule, for this one node.

    ``Op.apply(*inputs)`` runs ``forward`` and links the result into the graph. A node's name in
    reprs is PyTorch's: ``MulBackward0`` for the class ``Mul``.

    ``edges`` has one entry per input: the node that made it (the input's ``grad_fn``), or the
    input itself when it is a leaf tensor or a number. A node keeps its own output's numbers in
    ``value``, so that is all the graph needs of an intermediate tensor; ``inputs`` gives the
    inputs back as tensors, for reading.
    """

    #: a short symbol for pictures ("*", "+", "exp", ...); defaults to the class name
    symbol: str = ""
    #: one formula per input for the local derivative, shown by the node inspector
    formulas: tuple[str, ...] = ()
    #: False for operations whose result dtype is asked for explicitly (``.double()``)
    promotes_types: bool = True
    #: True when the output shares memory with input 0 (reshape, transpose, basic indexing): an
    #: in-place change to one is a change to the other, so they share one version counter
    makes_view: bool = False
    #: True when nothing ``forward`` saves is bigger than its output (elementwise operations:
    #: broadcasting only makes arrays bigger), so ``release`` need only look at the output
    saves_at_most_output_size: bool = False

    _edge0: Any  # the edges, one attribute per input (see ``edges``)
    _edge1: Any = _NO_EDGE
    _more_edges: tuple[Any, ...] | None = None
    needs_grad: tuple[bool, ...]
    seq: int
    value: Array
    saved: tuple[Any, ...] = ()
    freed: bool = False
    #: the version counter of the output's numbers, made on first need (an in-place change,
    #: ``detach()``) and shared by every tensor that holds them
    output_version: Version | None = None
    hooks: list | None = None
    retained: weakref.ref | None = None
    grad_output: Array | None = None
    _grad_input0: Any = None  # what the last backward pass sent, one attribute per input
    _grad_input1: Any = None
    _more_grad_inputs: tuple[Array | None, ...] | None = None
    #: the backward pass that last went through this node (None before any)
    recorded_by: PassRecord | None = None
    source: SourceLine | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _lay_out_attributes(cls)

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

    @property
    def grad_inputs(self) -> tuple[Array | None, ...] | None:
        """What the last backward pass sent to each input (None before any backward pass).

        Kept as attributes of the node, not in a list, for one or two inputs (as the ``edges``
        are): a backward pass then leaves no new object per node behind for Python's garbage
        collector to visit.
        """
        if self.recorded_by is None:
            return None
        if self._more_grad_inputs is not None:  # more than two inputs (or gradients)
            return self._more_grad_inputs
        if self._edge1 is _NO_EDGE:
            return (self._grad_input0,)
        return (self._grad_input0, self._grad_input1)

    @grad_inputs.setter
    def grad_inputs(self, grads: Sequence[Array | None]) -> None:
        if len(grads) == 1:
            (self._grad_input0,) = grads
        elif len(grads) == 2:
            self._grad_input0, self._grad_input1 = grads
        else:
            self._more_grad_inputs = tuple(grads)

    @property
    def released(self) -> bool:
        """True once a backward pass without ``retain_graph`` has gone through this node: it may
        have let go of what it saved, and PyTorch refuses a second pass through such a node."""
        record = self.recorded_by
        return record is not None and record.frees_graph

    # -- the inputs, for reading --------------------------------------------------------------

    @property
    def edges(self) -> tuple[Any, ...]:
        """One entry per input: the node that made it, or the input itself (a leaf or a number).

        A node keeps them as attributes of its own, not in a tuple, when it has one or two
        inputs: each operation of a graph is then a single object for Python's garbage collector
        to visit while the learner's forward pass builds the graph (most of its cost).
        """
        second = self._edge1
        if second is _NO_EDGE:
            return (self._edge0,)
        if second is _MORE_EDGES:
            return self._more_edges  # type: ignore[return-value]
        return (self._edge0, second)

    @edges.setter
    def edges(self, edges: Sequence[Any]) -> None:
        if len(edges) > 2:
            self._more_edges, self._edge1 = tuple(edges), _MORE_EDGES
        elif len(edges) == 2:
            self._edge0, self._edge1 = edges
        else:
            self._edge0, self._edge1 = edges[0], _NO_EDGE  # set, so reading it is quick

    @property
    def inputs(self) -> tuple[Any, ...]:
        """The inputs as tensors and numbers: a leaf as itself, an intermediate result as a tensor
        holding its numbers with its ``grad_fn`` (the learner's own tensor object, if
        ``retain_grad()`` asked to keep track of it)."""
        return tuple([x.output_tensor() if isinstance(x, Node) else x for x in self.edges])

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        """The shape of each input (``()`` for a number): what backward sums a gradient back to."""
        shapes = []
        for x in self.edges:
            numbers = x.value if isinstance(x, Node) else x._data if isinstance(x, Tensor) else x
            shapes.append(getattr(numbers, "shape", ()))
        return tuple(shapes)

    def output_tensor(self) -> Tensor:
        """This node's output as a tensor (its numbers, this node as ``grad_fn``)."""
        kept = self.retained() if self.retained is not None else None
        return kept if kept is not None else Tensor._from_op(self.value, self)

    # -- what backward needs ------------------------------------------------------------------

    def save_for_backward(self, *values: Any) -> None:
        """Keep ``values`` (arrays or numbers) for ``backward``: PyTorch's ``ctx`` method."""
        self.saved = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        """What ``forward`` saved. Under ``create_graph=True`` these are Tensors that stay in the
        graph (the inputs themselves, or the output), so the backward pass can be differentiated."""
        saved = self.saved
        if not saved and self.freed:
            raise GraphFreedError(
                f"{self.name()} has already given up the values it saved for backward: a "
                f"backward pass used up this graph. Pass retain_graph=True to the first "
                f"backward() if you need its values again, or recompute the forward pass."
            )
        return saved

    def saved_as_tensors(self) -> tuple[Any, ...]:
        """The saved values as graph Tensors: each input as itself, the output as a tensor made
        by this node, anything else as a constant."""
        by_identity = {id(_edge_data(edge)): x for edge, x in zip(self.edges, self.inputs)
                       if isinstance(x, Tensor)}  # keyed by the numbers forward was given
        out: list[Any] = []
        for value in Node.saved_tensors.fget(self):  # type: ignore[attr-defined]  (the arrays)
            if value is self.value:
                out.append(Tensor._from_op(value, self))
            elif id(value) in by_identity:
                out.append(by_identity[id(value)])
            else:
                out.append(Tensor._from_op(value, None) if hasattr(value, "shape") else value)
        return tuple(out)

    def release(self) -> None:
        """After a backward pass without ``retain_graph``: give up what only backward needed.

        Like PyTorch, a second backward pass through a node that saved values is then refused
        (one that saved nothing, such as ``+`` or ``sum``, may run again). Big arrays (the saved
        values, the output and the recorded gradients) are let go: the views keep a
        :class:`Summary` (a small picture and a few numbers) of each, so a learner who keeps
        every loss of a training run does not keep every activation with it.
        """
        for value in (self.value, *self.saved):  # (a loop, not any(): this runs once per node)
            if getattr(value, "size", 0) > BIG:  # _is_big(value), written out for the same reason
                break
        else:
            return  # nothing big: keep it all, as the record keeps small gradients
        self.freed = True
        self.saved = ()
        self.edges = tuple([_husk(x) for x in self.edges])
        self.value = summarize(self.value)
        self.grad_output = summarize(self.grad_output)
        if self.grad_inputs is not None:
            self.grad_inputs = [summarize(g) for g in self.grad_inputs]

    # -- linking into the graph ---------------------------------------------------------------

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        """Run this operation on tensors (and numbers), recording it in the graph if needed."""
        fn = cls()
        if len(inputs) == 2:  # most operations (written out: this runs once per operation)
            a, b = inputs
            arrays: Any = (a._data if isinstance(a, Tensor) else a,
                           b._data if isinstance(b, Tensor) else b)
        elif len(inputs) == 1:  # relu, sum, reshape, log_softmax, ...: written out too
            (a,) = inputs
            arrays = (a._data if isinstance(a, Tensor) else a,)
        else:
            arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        try:
            out = fn.forward(*arrays, **options) if options else fn.forward(*arrays)
        except AutogradError:
            raise
        except Exception as error:
            raise fn.explain_failure(inputs, error) from None
        dtype = out.dtype
        if (dtype is _FLOAT64 or dtype is _INT64) and cls.promotes_types:
            # NumPy's float64 or int64 is PyTorch's dtype too when every input has it (numbers
            # aside); otherwise keep_default_float applies PyTorch's rule. (A loop written out
            # here, not a helper function: it runs once per operation of every float64 graph.)
            same = dtype.type  # a NumPy number of this type has this dtype: no need to ask
            for x in arrays:
                kind = type(x)
                if (kind is not same and kind not in _PYTHON_NUMBERS
                        and getattr(x, "dtype", dtype) is not dtype):
                    out = backend.keep_default_float(out, arrays)
                    break
        result = _new_tensor(Tensor)  # Tensor._from_op(out, None), written out: once per op
        result._data, result._grad, result._requires_grad = out, None, False
        result.grad_fn = result._version_counter = result._hooks = None
        if cls.makes_view:
            result._version_counter = inputs[0]._counter()
        return fn.link(inputs, result) if _grad_state.enabled else result

    def link(self, inputs: tuple[Any, ...], result: Tensor) -> Tensor:
        """Make this node ``result.grad_fn`` if some input requires a gradient: the graph grows.

        Each input that requires a gradient becomes an edge to the node that made it (see
        :func:`_edge`); the others (numbers, constant tensors) are kept as they are, for reading.
        """
        if len(inputs) == 2:  # most operations: the two edges go straight to their attributes
            a, b = inputs
            a_needs = isinstance(a, Tensor) and a._requires_grad
            b_needs = isinstance(b, Tensor) and b._requires_grad
            if not (a_needs or b_needs):
                return result
            # _edge(a) and _edge(b), written out
            maker = a.grad_fn if a_needs else None
            self._edge0 = maker if maker is not None and a._data is maker.value else a
            maker = b.grad_fn if b_needs else None
            self._edge1 = maker if maker is not None and b._data is maker.value else b
            self.needs_grad = _NEEDS_OF_TWO[a_needs, b_needs]
        elif len(inputs) == 1:  # the same for one input
            (a,) = inputs
            if not (isinstance(a, Tensor) and a._requires_grad):
                return result
            maker = a.grad_fn
            self._edge0 = maker if maker is not None and a._data is maker.value else a
            self._edge1 = _NO_EDGE  # set, so reading it is quick (as in the edges setter)
            self.needs_grad = _NEEDS_OF_ONE
        else:  # three or more (linear's x, W, b): one loop
            edges, needs = [], []
            for x in inputs:
                need = isinstance(x, Tensor) and x._requires_grad
                needs.append(need)
                edges.append(_edge(x) if need else x)
            if True not in needs:
                return result
            self._more_edges, self._edge1 = tuple(edges), _MORE_EDGES  # (the edges setter's)
            needs = tuple(needs)
            self.needs_grad = _SHARED_NEEDS.setdefault(needs, needs)  # one tuple for all such
        self.seq = next(_sequence)  # creation order; also the stamp in-place changes compare with
        self.value = result._data
        if result._version_counter is not None:  # a view shares its input's counter
            self.output_version = result._version_counter
        result.grad_fn = self
        result._requires_grad = True
        if _listeners:
            if _source_recorders:
                self.source = _caller_line()
            _emit(Created(next(_event_steps), self, result))
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


_FLOAT64, _INT64 = backend.NUMPY_FLOAT64, backend.NUMPY_INT64
_NUMPY_SCALARS = backend.NUMPY_SCALARS
_PYTHON_NUMBERS = (int, float, bool)
_new_tensor = object.__new__


def _edge(x: Any) -> Any:
    """What a node keeps of one input: the node that made it, or the input itself (a leaf tensor,
    a number, or a tensor whose numbers were replaced after it was made)."""
    if isinstance(x, Tensor):
        maker = x.grad_fn
        if maker is not None and x._data is maker.value:
            return maker
    return x


def _edge_data(x: Any) -> Any:
    """The numbers an edge stands for (a number stands for itself)."""
    if isinstance(x, Node):
        return x.value
    return x._data if isinstance(x, Tensor) else x


def _target(x: Any) -> Any:
    """Where a gradient sent along an edge arrives: a node, or a leaf tensor."""
    if isinstance(x, Node):
        return x
    return x.grad_fn or x


def describe(x: Any) -> str:
    """``tensor of shape (5, 5), float32, on cpu`` or ``the number 10``: for messages."""
    if isinstance(x, Tensor):
        return f"a tensor of shape {tuple(x.shape)} ({x.dtype.name}, on {x.device})"
    return f"the number {x!r}"


# --------------------------------------------------------------------------------------------
# What a node keeps for the views once a backward pass has used it up
# --------------------------------------------------------------------------------------------

#: arrays with more numbers than this are summarized when their graph is used up
BIG = 16_384
#: the largest side of a summary's picture
PICTURE_SIDE = 16


def _is_big(value: Any) -> bool:
    return getattr(value, "size", 0) > BIG


class Summary(NamedTuple):
    """A big array, as the views remember it after backward let go of it.

    ``picture`` is a small NumPy array (at most 16 x 16, taken at evenly spaced rows and
    columns of the last two axes) for a heatmap; ``minimum``, ``maximum`` and ``norm`` are
    exact, computed from the whole array before it was let go (None when the views were not
    loaded yet at that time, see :func:`summarize`).
    """

    shape: tuple[int, ...]
    dtype: str
    picture: Any
    minimum: float | None
    maximum: float | None
    norm: float | None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def _husk(x: Any) -> Any:
    """An intermediate input kept as a tensor (see :func:`_edge`) as the used-up graph keeps it:
    same ``grad_fn``, numbers summarized.

    The learner's own tensor object (if they kept it) is left as it is; the graph just stops
    pointing at it, so its big array can be freed when the learner lets go of it. (An edge to a
    node needs nothing: the node summarizes its own output when it is used up.)
    """
    if not isinstance(x, Tensor) or x.grad_fn is None or not _is_big(x._data):
        return x
    if not isinstance(x.grad_fn.value, Summary):
        x.grad_fn.value = summarize(x.grad_fn.value)  # the producer's value is the same array
    return Tensor._from_op(x.grad_fn.value, x.grad_fn)


#: set when the views are loaded (``autogradlab.viz``): summaries then compute min, max and norm
summary_statistics = False


_dtype_names: dict[Any, str] = {}


def _dtype_name(dtype: Any) -> str:
    """``str(dtype)``, remembered: NumPy builds the name in Python each time (a few microseconds,
    once per summary, that is per big array of every training step)."""
    name = _dtype_names.get(dtype)
    if name is None:
        name = _dtype_names[dtype] = str(dtype)
    return name


def summarize(value: Any) -> Any:
    """``value`` itself when it is small (or not an array), else its :class:`Summary`.

    The picture costs almost nothing. The statistics (min, max, norm) each read the whole array,
    so they are computed only once the views are in use (``import autogradlab.viz``, which the
    drawings and the player do); before that they are None, and a training loop pays nothing.
    """
    if isinstance(value, Summary) or not _is_big(value):
        return value
    host = backend.to_host(value)
    picture = host.reshape((-1,) + host.shape[-1:]) if host.ndim > 2 else host
    if picture.ndim == 2:
        rows = max(1, -(-picture.shape[0] // PICTURE_SIDE))
        cols = max(1, -(-picture.shape[1] // PICTURE_SIDE))
        picture = picture[::rows, ::cols]
    else:
        picture = picture[:: max(1, -(-picture.size // (PICTURE_SIDE * PICTURE_SIDE)))]
    if not summary_statistics:
        return Summary(tuple(host.shape), _dtype_name(host.dtype), picture.copy(), None, None,
                       None)
    flat = host.reshape(-1)
    return Summary(
        tuple(host.shape), _dtype_name(host.dtype), picture.copy(), float(flat.min()),
        float(flat.max()), float(math.sqrt(float(flat @ flat))),
    )


# --------------------------------------------------------------------------------------------
# Function: a learner's own operation, written as in PyTorch
# --------------------------------------------------------------------------------------------


class Function:
    """Write your own differentiable operation, exactly as with ``torch.autograd.Function``::

        class Cube(ag.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * 3 * x ** 2      # upstream gradient x local derivative

        y = Cube.apply(x)                     # y.grad_fn is <CubeBackward>

    ``forward`` receives tensors and runs without recording (its inside is one step of the
    graph); ``backward`` receives the gradient of the output and returns one gradient per input
    of ``forward`` (``None`` for inputs that need none). ``ctx`` is the graph node itself: it
    keeps what you save, and ``ctx.needs_input_grad`` says which inputs want a gradient.
    Under ``create_graph=True``, ``backward`` runs with recording on, so its tensor operations
    can be differentiated again.
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run ``forward`` and record one node, named ``<ClassName>Backward``, in the graph."""
        ctx = FunctionNode(cls, args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return one Tensor (autogradlab's custom functions "
                f"have one output), but it returned {type(out).__name__}."
            )
        result = Tensor._from_op(out._data, None)
        return ctx.link(args, result) if _grad_state.enabled else result


class FunctionNode(Node):
    """The graph node (and ``ctx``) of a learner's :class:`Function`."""

    def __init__(self, function: type[Function], args: tuple[Any, ...]) -> None:
        self.function = function
        self.needs_input_grad = tuple(
            isinstance(x, Tensor) and x._requires_grad for x in args
        )
        self.symbol = function.__name__.lower()
        self.formulas = tuple(
            f"see {function.__name__}.backward" for x in args if isinstance(x, Tensor)
        )

    def name(self) -> str:
        return f"{self.function.__name__}Backward"  # PyTorch's name for a custom Function's node

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep ``tensors`` for ``backward`` (their numbers; ``saved_tensors`` gives tensors)."""
        self.saved = tuple(t._data if isinstance(t, Tensor) else t for t in tensors)

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        values = Node.saved_tensors.fget(self)  # type: ignore[attr-defined]
        return tuple(v if isinstance(v, Tensor) else  # create_graph: graph tensors already
                     Tensor._from_op(v, None) if hasattr(v, "shape") else v for v in values)

    def backward(self, grad: Array) -> tuple[Array | None, ...]:
        as_tensor = grad if isinstance(grad, Tensor) else Tensor._from_op(grad, None)
        grads = self.function.backward(self, as_tensor)
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(self.inputs):
            raise BackwardError(
                f"{self.function.__name__}.backward returned {len(grads)} gradient(s), but "
                f"forward took {len(self.inputs)} input(s): return one per input (None for "
                f"inputs that need no gradient)."
            )
        for position, (x, g) in enumerate(zip(self.inputs, grads)):
            if g is not None and isinstance(x, Tensor) and tuple(g.shape) != tuple(x.shape):
                raise BackwardError(
                    f"{self.function.__name__}.backward returned a gradient of shape "
                    f"{tuple(g.shape)} for input {position}, which has shape {tuple(x.shape)}: "
                    f"each gradient must have its input's shape."
                )
        if isinstance(grad, Tensor):  # create_graph: keep the tensors, graph and all
            return grads
        return tuple(g._data if isinstance(g, Tensor) else g for g in grads)


# --------------------------------------------------------------------------------------------
# The backward pass
# --------------------------------------------------------------------------------------------


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Every node that ``roots`` depend on, latest created first.

    Creation order is already a topological order (an operation's inputs exist before it runs),
    so reversing it means each node comes after every node that uses its output. The walk uses an
    explicit stack, not recursion, so a chain of 100,000 operations is fine.
    """
    seen: dict[Node, None] = {}  # the nodes found so far, in the order found
    stack = list(roots)
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen[fn] = None
        # fn.edges, written out: one or two edges are attributes (_NO_EDGE is skipped below)
        second = fn._edge1
        for x in (fn._edge0, second) if second is not _MORE_EDGES else fn._more_edges:
            if not isinstance(x, Node):
                if not isinstance(x, Tensor) or x.grad_fn is None:
                    continue  # a leaf or a number: nothing behind it
                x = x.grad_fn
            if x not in seen:
                stack.append(x)
    return sorted(seen, key=_by_seq, reverse=True)


_by_seq = operator.attrgetter("seq")


def run_backward(
    outputs: Sequence[Tensor],
    seeds: Sequence[Any],
    retain_graph: bool = False,
    create_graph: bool = False,
    capture: dict[Any, Any] | None = None,
    display: bool = False,
) -> None:
    """Propagate ``seeds`` (d loss / d output) from ``outputs`` back to every leaf.

    The chain rule, one node at a time, latest node first: each node receives the sum of the
    gradients sent to it, multiplies by its local derivative (its ``backward``) and sends one
    piece to each input. With ``capture`` (a dict keyed by nodes and leaves) the gradients that
    arrive there are stored in it and no ``.grad`` changes: that is :func:`grad`.
    """
    run = BackwardPass(outputs, retain_graph, create_graph, capture, display)
    for out, seed in zip(outputs, seeds):
        run.arrive(out.grad_fn or out, seed)
    with run:  # NumPy quiet, the cycle collector paused, graph recording only for create_graph
        try:
            for fn in topological_order([o.grad_fn for o in outputs if o.grad_fn is not None]):
                grad = run.take(fn)  # the sum of what arrived, after hooks; None if nothing did
                if grad is None:
                    continue
                grads = run.local_chain_rule(fn, grad)  # upstream gradient x local derivative
                run.pass_on(fn, grads)  # one piece along each edge, to the inputs that need one
                run.done(fn, grad, grads)
        finally:
            if not run.retain_graph:
                touch()  # the nodes it went through are used up: a later pass must look closer
        grad = grads = None  # let go of the last node's arrays, so a .grad may keep them
        run.deliver_to_leaves()


class _Sum:
    """Two or more gradients that reached one node in one backward pass, added up.

    A gradient that arrives alone is kept as it is and never changed: other places may hold the
    same array (a node's record for the views, an event, the array ``+`` handed on to both its
    inputs, the caller's ``gradient=``). Adding the second one makes a new array, which the sum
    then ``owned`` and may add the next ones into in place. A ``.grad`` only ever keeps an owned
    array or a copy, so no two gradients share memory. (This is the one place that rule lives.)
    """

    __slots__ = ("total", "owned", "count")

    def __init__(self, first: Any, second: Any) -> None:
        self.total = first + second
        self.owned = not isinstance(self.total, Tensor)  # graph tensors are never changed
        self.count = 2

    def add(self, contribution: Any) -> None:
        if self.owned:
            self.total += contribution
        else:
            self.total = self.total + contribution
            self.owned = not isinstance(self.total, Tensor)
        self.count += 1


def _unpack(entry: Any) -> tuple[Any, bool, int]:
    """A pending gradient as (total, owned by this pass, how many contributions)."""
    if type(entry) is _Sum:
        return entry.total, entry.owned, entry.count
    return entry, False, 1


class PassRecord(NamedTuple):
    """Which backward pass left its gradients on a node: its number and its starting nodes."""

    number: int
    root_ids: tuple[int, ...]
    display: bool
    frees_graph: bool  # no retain_graph: the nodes it went through are used up


_pass_numbers = itertools.count(1)


class BackwardPass:
    """The bookkeeping of one backward pass, in named steps, so ``run_backward`` reads as the
    chain rule: gradients waiting for each node, hooks, ``retain_grad``, the capture for
    :func:`grad`, in-place checks, events, the record the views replay, and the leaves."""

    def __init__(self, outputs: Sequence[Tensor], retain_graph: bool, create_graph: bool,
                 capture: dict[Any, Any] | None, display: bool) -> None:
        #: what has arrived for each node (an operation or a leaf tensor) and not been used yet:
        #: the one gradient that came, or a :class:`_Sum` once a second one does
        self.pending: dict[Any, Any] = {}
        self.retain_graph = retain_graph or create_graph or display
        self.create_graph = create_graph
        self.capture = capture
        self.display = display  # a pass for the views: no .grad, no hooks
        roots = tuple([id(o.grad_fn or o) for o in outputs])
        self.record = PassRecord(next(_pass_numbers), roots, display, not self.retain_graph)

    # -- the settings a pass runs under ---------------------------------------------------------

    def __enter__(self) -> None:
        """NumPy keeps quiet about inf and nan (as PyTorch does), Python's cycle collector pauses
        (a pass makes many small objects and no cycles, so the collector would only walk the
        graph again and again for nothing: half the time of a 65,000-node scalar graph), and
        graph recording is on only under ``create_graph``. One block for the three, since it
        runs for every backward pass; the learner's settings are back as they were after it."""
        self.quiet = backend.quiet()
        self.quiet.__enter__()
        self.collector_was_on = gc.isenabled()
        gc.disable()
        self.grad_mode_was = _grad_state.enabled
        _grad_state.enabled = self.create_graph

    def __exit__(self, *exc: object) -> None:
        _grad_state.enabled = self.grad_mode_was
        if self.collector_was_on:
            gc.enable()
        self.quiet.__exit__(*exc)

    def arrive(self, node: Any, contribution: Any) -> None:
        """``contribution`` reaches ``node`` (an operation, or a leaf tensor): add it up."""
        entry = self.pending.get(node)
        if entry is None:
            self.pending[node] = contribution
        elif type(entry) is _Sum:
            entry.add(contribution)
        else:
            self.pending[node] = _Sum(entry, contribution)

    def take(self, fn: Node) -> Any:
        """The gradient summed for ``fn``'s output, after its hooks and ``retain_grad``."""
        entry = self.pending.pop(fn, None)
        if entry is None:  # no gradient reached this node (its output was not used)
            return None
        grad = entry.total if type(entry) is _Sum else entry
        if fn.seq < _last_touch:  # see touch(): only then can fn be used up, changed or hooked
            grad = self.look_closer(fn, grad)
        if self.capture is not None and fn in self.capture and not self.display:
            self.capture[fn] = (grad, _unpack(entry)[1])
        return grad

    def look_closer(self, fn: Node, grad: Any) -> Any:
        """For a node made before the latest :func:`touch`: refuse it if a backward pass used it
        up or an input it saved was changed in place since, then run its hooks and fill the
        tensor that asked ``retain_grad()``."""
        if fn.released and (fn.saved or fn.freed):
            raise GraphFreedError(
                f"backward() is going through {fn.name()} a second time, but the first backward "
                f"pass already used up the values it saved. Pass retain_graph=True to the first "
                f"backward() if you need two, or recompute the forward pass."
            )
        _check_versions(fn)
        if self.display:
            return grad
        if fn.hooks:
            grad = _run_hooks(fn.hooks, grad)
        if self.capture is None and fn.retained is not None:
            tensor = fn.retained()
            if tensor is not None:
                tensor._accumulate_grad(grad, owned=False)
        return grad

    def local_chain_rule(self, fn: Node, grad: Any) -> tuple[Any, ...]:
        """``fn.backward(grad)``: d loss / d input = d loss / d output x local derivative."""
        self.upstream = grad  # for the events
        if not self.create_graph:
            return fn.backward(grad)
        arrays, fn.saved = fn.saved, fn.saved_as_tensors()  # the saved values, as graph tensors
        try:
            return fn.backward(grad if isinstance(grad, Tensor) else Tensor._from_op(grad, None))
        finally:
            fn.saved = arrays

    def pass_on(self, fn: Node, grads: Sequence[Any]) -> None:
        """Send ``grads[i]`` along edge ``i`` of ``fn``: to the node that made input ``i``, or to
        the input itself when it is a leaf. Inputs that need no gradient get nothing."""
        second = fn._edge1  # fn.edges, written out (zip stops at the one edge of one input)
        edges = (fn._edge0, second) if second is not _MORE_EDGES else fn._more_edges
        pending = self.pending
        for index, (x, g, needed) in enumerate(zip(edges, grads, fn.needs_grad)):
            if not needed or g is None:
                continue
            if isinstance(x, Node):  # x was made by the operation x: the gradient goes there
                numbers, target = x.value, x
            else:  # a tensor: a leaf, or one whose numbers were replaced (see _edge)
                numbers, target = x._data, x.grad_fn or x
            # a float32 input gets a float32 gradient, as in PyTorch (asked quickly of an
            # array; two NumPy numbers of one type have one dtype, and asking a number is slow)
            kind = type(g)
            if (kind is _NDARRAY or kind is not type(numbers) or kind not in _NUMPY_SCALARS) and (
                    g.dtype is not numbers.dtype):
                g = _as_dtype_of(g, numbers)
            if target in pending:  # self.arrive(target, g), written out for the first arrival
                self.arrive(target, g)
            else:
                pending[target] = g
            if _listeners:
                self.announce_sent(fn, index, target, g)

    def announce_sent(self, fn: Node, index: int, target: Any, g: Any) -> None:
        """Tell the listeners (the views) that ``g`` went along edge ``index`` of ``fn``."""
        total, _, count = _unpack(self.pending[target])
        total = _plain(total)
        total = backend.namespace_of(total).xp.asarray(total, copy=True)
        _emit(GradientSent(next(_event_steps), fn, index, target, _plain(self.upstream),
                           fn.local_derivative(index), _plain(g), total, count))

    def done(self, fn: Node, grad: Any, grads: Sequence[Any]) -> None:
        """Remember what went through ``fn`` (for the views), then let go of what it saved.

        (The order the nodes ran in needs no record: latest made first.)
        """
        if self.create_graph:
            grad, grads = _plain(grad), tuple(_plain(g) for g in grads)
        fn.grad_output, fn.recorded_by = grad, self.record
        count = len(grads)  # fn.grad_inputs = grads, written out for one or two inputs
        if count == 2:
            fn._grad_input0, fn._grad_input1 = grads
        elif count == 1:
            fn._grad_input0 = grads[0]
        else:
            fn.grad_inputs = grads
        # let go of big arrays (an elementwise node saves nothing bigger than its output, the
        # size of grad), keeping a summary for the views; small ones stay, as the record does
        if not self.retain_graph and (grad.size > BIG or not type(fn).saves_at_most_output_size):
            fn.release()

    def deliver_to_leaves(self) -> None:
        """Leaves collect their total in ``.grad`` (or in the capture, for ``ag.grad``)."""
        if self.display:
            return
        pending, capture = self.pending, self.capture
        for leaf in list(pending):  # what is left: the leaves, in order of first arrival
            if leaf._hooks or type(pending[leaf]) is _Sum:
                total, owned, _ = _unpack(pending[leaf])
            else:  # one gradient arrived: ask first whether it is ours (no name may hold it yet)
                owned = _only_here(pending, leaf)
                total = pending[leaf]
            if leaf._hooks:
                hooked = _run_hooks(leaf._hooks, total)
                owned, total = owned and hooked is total, hooked
            if capture is not None:
                if leaf in capture:
                    capture[leaf] = (total, owned)
                continue
            leaf._accumulate_grad(total, owned)


def _only_here(pending: dict[Any, Any], key: Any) -> bool:
    """True when nothing but this pass holds ``pending[key]``, so a ``.grad`` may keep it as is.

    A gradient that arrived alone is usually shared (a node's record for the views, the array
    ``+`` handed to both its inputs, the caller's ``gradient=``), and then ``.grad`` gets a copy.
    But when the record was let go with the graph (a big array, see :meth:`Node.release`) the
    array is the engine's alone, and copying it would only cost time: CPython's reference count
    says so exactly (the ``pending`` dict, and the argument of ``getrefcount`` itself).
    """
    return (_getrefcount is not None and not _listeners and type(pending[key]) is _NDARRAY
            and _getrefcount(pending[key]) <= 2)


_getrefcount = getattr(sys, "getrefcount", None)  # CPython's (other Pythons may not have it)
_NDARRAY = backend.NUMPY.array_type


def _plain(value: Any) -> Any:
    """The array behind a gradient (under create_graph gradients are Tensors)."""
    return value._data if isinstance(value, Tensor) else value


def _as_dtype_of(g: Any, like: Any) -> Any:
    """``g`` in the dtype of the array ``like`` (the numbers of the input it is sent to)."""
    wanted = like.dtype
    if isinstance(like, Summary):  # a used-up input: the pass stops there with a clear error
        return g
    if isinstance(g, Tensor):
        return g if g._data.dtype == wanted else g.to(dtype=_dtype(like))
    dtype = g.dtype
    if dtype is wanted or dtype == wanted:
        return g
    namespace = backend.namespace_of(g)
    return namespace.xp.astype(g, namespace.dtype_to_native[_dtype(like)])


def _dtype(array: Any) -> Any:
    return backend.namespace_of(array).dtype_of(array)


def _run_hooks(hooks: list | None, grad: Any) -> Any:
    if not hooks:
        return grad
    for hook in list(hooks):
        result = hook(grad if isinstance(grad, Tensor) else Tensor._from_op(grad, None))
        if result is not None:
            if not isinstance(result, Tensor) or tuple(result.shape) != tuple(grad.shape):
                raise BackwardError(
                    f"a hook must return None or a tensor of the gradient's shape "
                    f"{tuple(grad.shape)}, but {getattr(hook, '__name__', hook)} returned "
                    f"{describe(result)}."
                )
            grad = result if isinstance(grad, Tensor) else result.data
    return grad


# --------------------------------------------------------------------------------------------
# In-place changes: version counters
# --------------------------------------------------------------------------------------------


class Version:
    """How often a tensor's numbers were changed in place, and the stamp of the latest change.

    A tensor shares its counter with its views (``reshape``, ``x[0]``, ``.T``) and with
    ``detach()``: they share memory, so a change through one is a change to all (PyTorch's
    version counter).
    """

    __slots__ = ("count", "changed_at")

    def __init__(self) -> None:
        self.count, self.changed_at = 0, -1

    def bump(self) -> None:
        self.count += 1
        self.changed_at = touch()


_last_touch = -1  # the stamp of the latest touch()


def touch() -> int:
    """A stamp for a change that a backward pass must notice in the nodes made before it.

    Such changes are: numbers changed in place (a tensor's version counter keeps the stamp), a
    hook or ``retain_grad()`` added to an intermediate tensor, and a backward pass that used up
    the nodes it went through. Stamps come from the counter that numbers the nodes, so a node
    made after the latest stamp (``fn.seq > _last_touch``) has seen none of them, and a
    backward pass skips those checks for it: one comparison per node. If a tensor's last
    change is later than a node's ``seq``, the tensor changed after the node used it: PyTorch's
    version counter check.
    """
    global _last_touch
    _last_touch = next(_sequence)
    return _last_touch


def _check_versions(fn: Node) -> None:
    """Refuse to run ``fn.backward`` if a value it saved was changed in place since."""
    saved_ids = {id(v) for v in fn.saved}
    for position, x in enumerate(fn.inputs):
        if isinstance(x, Tensor) and x._changed_at > fn.seq and id(x._data) in saved_ids:
            raise InPlaceError(
                f"{describe(x)}, input {position} of {fn.name()}, was changed in place after "
                f"{fn.name()} used it (it is now at version {x._version}). {fn.name()} saved "
                f"it for backward, so the gradient would be wrong. Use an out-of-place "
                f"operation (x = x * 2 instead of x.mul_(2)), or change it only after backward()."
            )
    version = fn.output_version
    saves_output = any(value is fn.value for value in fn.saved)  # then backward needs it as is
    if saves_output and version is not None and version.changed_at > fn.seq:
        raise InPlaceError(
            f"the output of {fn.name()} was changed in place after it was computed, but "
            f"{fn.name()} saved it for backward, so the gradient would be wrong. Use an "
            f"out-of-place operation (y = y * 2 instead of y.mul_(2))."
        )


# --------------------------------------------------------------------------------------------
# The functional interface
# --------------------------------------------------------------------------------------------


def _retains_graph(retain_graph: bool | None, create_graph: bool) -> bool:
    """PyTorch's default: a pass keeps its graph when it records one (``create_graph``)."""
    return create_graph if retain_graph is None else retain_graph


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """``ag.autograd.backward(L)``: the same as ``L.backward()``, for one or several outputs."""
    outputs = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(outputs)
    seeds = [_seed(out, g, create_graph) for out, g in zip(outputs, grad_tensors)]
    retain = _retains_graph(retain_graph, create_graph)
    run_backward(outputs, seeds, retain_graph=retain, create_graph=create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs) returned as new tensors; no ``.grad`` anywhere is changed.

    With ``create_graph=True`` the results are part of a graph themselves (the backward pass
    was recorded), so they can be differentiated again: second derivatives, Hessian-vector
    products.
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outs)
    for x in ins:
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise BackwardError(
                f"ag.grad() can only differentiate with respect to tensors that require grad; "
                f"got {describe(x) if isinstance(x, Tensor) else type(x).__name__} with "
                f"requires_grad=False."
            )
    capture: dict[Any, Any] = {x.grad_fn or x: None for x in ins}
    seeds = [_seed(out, g, create_graph) for out, g in zip(outs, grad_outputs)]
    retain = _retains_graph(retain_graph, create_graph)
    run_backward(outs, seeds, retain_graph=retain, create_graph=create_graph, capture=capture)
    results: list[Tensor | None] = []
    for position, x in enumerate(ins):
        found = capture[x.grad_fn or x]
        if found is None:
            if not allow_unused:
                raise BackwardError(
                    f"input {position} ({describe(x)}) was not used to compute the outputs, so "
                    f"it has no gradient. Pass allow_unused=True to get None for it."
                )
            results.append(None)
            continue
        total, owned = found
        if isinstance(total, Tensor):
            results.append(total)
            continue
        namespace = backend.namespace_of(total)
        array = namespace.ensure_array(total) if owned else namespace.xp.asarray(total, copy=True)
        results.append(Tensor._from_op(array, None))
    return tuple(results)


def _seed(output: Tensor, gradient: Any, create_graph: bool = False) -> Any:
    """The gradient that starts the backward pass: d(output)/d(output) = 1 for a scalar."""
    if not isinstance(output, Tensor):
        raise TypeError(f"backward() needs a Tensor, not {type(output).__name__}")
    if not output._requires_grad:
        raise BackwardError(
            f"{describe(output)} does not require grad, so there is nothing to differentiate: "
            f"none of the tensors it was computed from had requires_grad=True (or it was "
            f"computed inside no_grad()). Create the inputs with requires_grad=True."
        )
    data = output._data
    xp = backend.namespace_of(data).xp
    if gradient is None:
        if math.prod(data.shape) != 1:
            raise BackwardError(
                f"backward() on {describe(output)} needs to know how much each of its "
                f"{output.numel()} numbers matters. Reduce it to one number first "
                f"(out.sum().backward()) or pass gradient=ag.ones_like(out)."
            )
        seed = xp.asarray(1, dtype=data.dtype)  # d output / d output = 1
        if data.shape:
            seed = xp.reshape(seed, data.shape)
        return Tensor._from_op(seed, None) if create_graph else seed
    if not isinstance(gradient, Tensor):
        gradient = Tensor._from_op(backend.host_array(gradient, output.dtype), None).to(
            output.device
        )
    if tuple(gradient.shape) != tuple(output.shape):
        raise ShapeError(
            f"gradient= must have the output's shape {tuple(output.shape)}, but it has shape "
            f"{tuple(gradient.shape)}."
        )
    return gradient if create_graph else gradient.data


# --------------------------------------------------------------------------------------------
# What the views replay
# --------------------------------------------------------------------------------------------


def _records_belong_to(output: Tensor) -> bool | None:
    """True when every gradient recorded on ``output``'s graph came from one backward pass that
    started at ``output`` alone; None when no backward pass has gone through it at all."""
    root = output.grad_fn
    record = root.recorded_by
    nodes = topological_order([root])
    if record is None:  # the last pass did not start here: did one go through the graph at all?
        return None if all(fn.recorded_by is None for fn in nodes) else False
    if record.root_ids != (id(root),):
        return False
    return all(fn.recorded_by is None or fn.recorded_by is record for fn in nodes)


def _display_pass(output: Tensor) -> bool:
    """Run a backward pass from ``output`` for the views only (no ``.grad`` changes, no hooks).

    Possible while the graph is retained and ``output`` holds one number; returns whether it ran.
    """
    if output.numel() != 1:
        return False
    nodes = topological_order([output.grad_fn])
    if any(fn.released and (fn.saved or fn.freed) for fn in nodes):
        return False
    seed = backend.namespace_of(output._data).xp.ones(output._data.shape, dtype=output._data.dtype)
    run_backward([output], [seed], retain_graph=True, display=True)
    return True


def recorded_events(output: Tensor) -> list[Event]:
    """The events of the graph behind ``output``, rebuilt from what its nodes recorded.

    Forward events come in creation order; backward events in the order the engine ran them,
    with the same contributions and running totals as live events. If the gradients recorded on
    the graph came from another output's backward pass (``z.backward(retain_graph=True)`` and
    now a view of ``w``), a backward pass from ``output`` is run for the views first, so a view
    of ``w`` shows ``w``'s gradients; when that is impossible, :func:`record_note` says so.
    """
    if output.grad_fn is None:
        return []
    if _records_belong_to(output) is False:
        _display_pass(output)
    order = topological_order([output.grad_fn])
    events: list[Event] = []
    step = itertools.count()
    for fn in reversed(order):
        events.append(Created(next(step), fn, output if fn is output.grad_fn else None))
    record = output.grad_fn.recorded_by  # the nodes it ran, in the order it ran them:
    ran = [fn for fn in order if record is not None and fn.recorded_by is record]  # latest first
    totals: dict[Any, list] = {}
    for fn in ran:
        for index, (x, g) in enumerate(zip(fn.edges, fn.grad_inputs or ())):
            if g is None or not fn.needs_grad[index]:
                continue
            target = _target(x)
            local = fn.local_derivative(index) if not fn.freed else _formula(fn, index)
            running = totals.get(target)
            if isinstance(g, Summary) or (running is not None and isinstance(running[0], Summary)):
                totals[target] = [g, 1 if running is None else running[1] + 1]
            else:
                totals[target] = [g, 1] if running is None else [running[0] + g, running[1] + 1]
            total, count = totals[target]
            events.append(GradientSent(next(step), fn, index, target, fn.grad_output, local, g,
                                       total, count))
    return events


def _formula(fn: Node, index: int) -> str:
    return fn.formulas[index] if index < len(fn.formulas) else f"see {fn.name()}.backward"


def record_note(output: Tensor) -> str | None:
    """A plain sentence when the gradients a view would show of ``output`` are not its own.

    None when they are (or when no backward pass has run yet). Otherwise the graph was already
    used up by a backward pass that started elsewhere, and nothing can be recomputed.
    """
    if output.grad_fn is None or _records_belong_to(output) is not False:
        return None
    return (
        f"The gradients shown are not those of this tensor ({output.grad_fn.name()}): the last "
        f"backward pass through these nodes started at another tensor and used up the graph. "
        f"Call .backward() on this tensor (recompute it first) to see its own gradients."
    )


from .tensor import Tensor  # noqa: E402  (Tensor needs this module; import it last)
