"""From a tensor to a graph model: the nodes and edges behind ``output``, as plain data.

``trace(L)`` runs nothing new. It walks the ``grad_fn`` links behind ``L`` (the graph the engine
built while the learner's code ran) and reads what the engine recorded: each node's value, and,
after ``L.backward()``, the gradients the engine sent along each edge and in what order
(:func:`autogradlab.autograd.recorded_events`). Everything is copied to NumPy on the host, so a
graph computed on a GPU can be drawn, and nothing here keeps engine objects alive except the
``functions`` and ``tensors`` side tables used by inspectors and chain-rule paths.

Node ids are names: the learner's own variable names where they can be found (``a``, ``w1``),
otherwise stable generated ones (``mul1``, ``leaf2``), numbered in creation order, so the same code
gives the same graph every time.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from .. import autograd, backend
from ..autograd import Created, GradientSent, Node
from ..tensor import Tensor
from .words import is_summary, local_text, summary

# names that IPython and Python put in a namespace and that are never the learner's variables
_SKIP_NAMES = {"_", "__", "___", "Out", "In", "_ih", "_oh", "_dh"}


@dataclass(frozen=True)
class BackwardStep:
    """One step of the backward pass, as the engine did it, with host copies of the numbers.

    ``kind`` is ``"send"`` (``source`` sent ``contribution = upstream x local`` to ``target``
    along input slot ``index``) or ``"accumulate"`` (``target`` now holds ``total``, the sum of
    the ``count`` contributions it has received so far).
    """

    kind: str
    source: str | None
    target: str
    index: int | None
    upstream: np.ndarray | None
    local: Any
    contribution: np.ndarray
    total: np.ndarray | None
    count: int


@dataclass
class Graph:
    """The computation graph behind one output, ready to lay out, draw and animate.

    ``nx`` is a ``networkx.DiGraph`` whose edges point forward (input -> operation) and whose
    node and edge attributes are plain Python and NumPy values (see :func:`trace`).
    """

    nx: nx.DiGraph
    output: str
    forward_order: list[str]
    leaves: list[str]
    backward_steps: list[BackwardStep]
    functions: dict[str, Node] = field(default_factory=dict, repr=False)
    #: leaf name -> the leaf Tensor itself, so ``chain_rule_paths(L, a)`` can find ``a``'s node
    tensors: dict[str, Tensor] = field(default_factory=dict, repr=False)
    #: a sentence every view shows next to the gradients when they are not ``output``'s own
    #: (they come from another output's backward pass, and the graph is freed), else None
    note: str | None = None

    def __len__(self) -> int:
        return self.nx.number_of_nodes()

    def node(self, name: str) -> dict[str, Any]:
        return self.nx.nodes[name]

    def edge(self, source: str, target: str) -> dict[str, Any]:
        return self.nx.edges[source, target]

    @property
    def has_backward(self) -> bool:
        return bool(self.backward_steps)

    @property
    def ops(self) -> list[str]:
        return list(self.forward_order)


def summarize(array: np.ndarray) -> str:
    """``5×5, min -1.3, max 2.1, norm 4.2``: a tensor in a few words (see :mod:`.words`)."""
    return summary(array)


def host(value: Any) -> Any:
    """A host (NumPy) copy of an engine array; a Summary (already on the host) as it is."""
    if value is None or is_summary(value):
        return value
    return backend.host_copy(value)


def host_local(local: Any) -> Any:
    """A local derivative as the viewer shows it: a number, a host array, or a description."""
    if isinstance(local, str) or local is None or is_summary(local):
        return local
    if isinstance(local, int | float):
        return float(local)
    array = backend.host_copy(local)
    return float(array.reshape(())) if array.size == 1 else array


def _dtype_device(data: Any, fn: Node | None) -> tuple[str, str]:
    """The dtype and device of a node's value (of its inputs when only a Summary is left)."""
    if is_summary(data):
        inputs = [x for x in getattr(fn, "inputs", ()) if isinstance(x, Tensor)]
        return data.dtype, str(inputs[0].device) if inputs else "cpu"
    namespace = backend.namespace_of(data)
    return namespace.dtype_of(data).name, str(namespace.device_of(data))


def caller_namespace() -> dict[str, Any]:
    """The variables of the first code outside autogradlab on the call stack: the learner's
    notebook cell or script, whose names label the graph (``a``, ``w1``, ``loss``)."""
    frame = inspect.currentframe()
    while frame is not None and frame.f_globals.get("__name__", "").startswith("autogradlab"):
        frame = frame.f_back
    names = {} if frame is None else {**frame.f_globals, **frame.f_locals}
    del frame
    return names


def _user_names(names: Mapping[str, Any] | None) -> dict[int, str]:
    """Map ``id(tensor or node)`` to the learner's variable name, from the calling code."""
    if names is None:
        names = caller_namespace()
    found: dict[int, str] = {}
    modules = []
    for name, value in names.items():
        if name in _SKIP_NAMES or name.startswith("_"):
            continue
        if isinstance(value, Tensor):
            key = id(value.grad_fn) if value.grad_fn is not None else id(value)
            found.setdefault(key, name)
        elif callable(getattr(value, "named_parameters", None)) and not isinstance(value, type):
            modules.append((name, value))
    # parameters inside a model are named by their place in it: ``model.0.weight``
    for name, module in modules:
        for path, parameter in module.named_parameters():
            found.setdefault(id(parameter), f"{name}.{path}")
    return found


def trace(output: Tensor, names: Mapping[str, Any] | None = None, **torch_options: Any) -> Graph:
    """Read the graph behind ``output`` into a :class:`Graph`.

    ``names`` maps variable names to tensors; by default the caller's variables are used, so
    ``trace(L)`` in a notebook labels nodes ``a``, ``b``, ``L`` as the learner wrote them.

    Node attributes: ``kind`` (leaf / op / output), ``op`` (class name), ``symbol``,
    ``grad_fn`` (``MulBackward0``), ``expression`` (``x1 * a``), ``shape``, ``dtype``,
    ``device``, ``requires_grad``, ``value`` and ``grad`` (host arrays; ``grad`` is what the node
    received in the last backward pass, or None), ``formulas`` (local derivative formulas),
    ``parameter`` (an ``nn.Parameter``: a model's weight), ``order`` (creation index among
    operations, -1 for leaves), ``module_path`` (the
    ``nn.Module`` that made it, or None) and ``constants`` ({input slot: number}).
    Edge attributes (input -> operation): ``indices`` (input slots; two for ``a * a``),
    ``local`` (the local derivative: a number for scalars, a summary string for tensors,
    summed over slots), ``local_value`` (host array or number, None when not elementwise),
    ``grad`` (the gradient sent back along the edge in the last backward pass, or None).

    ``output`` may also be an object of another engine (a learner's micrograd-style ``Value``)
    that follows this protocol: ``data`` (its value), ``grad`` (its gradient), ``_prev`` or
    ``_children`` (its inputs, objects of the same kind), ``_op`` (its operation's name, ``""``
    for a leaf), and optionally ``_backward()`` (adds its contributions to its inputs' ``grad``),
    which is replayed to show the backward steps (see :mod:`autogradlab.viz.protocol`).
    """
    if type(output).__module__.split(".")[0] == "torch":  # PyTorch's own graph (torch_trace.py)
        from .torch_trace import trace as trace_torch
        return trace_torch(output, names, **torch_options)
    if torch_options:
        raise TypeError(f"trace() got unexpected options {sorted(torch_options)}")
    if not isinstance(output, Tensor):
        from .protocol import follows_protocol, trace_protocol
        if follows_protocol(output):
            return trace_protocol(output, names)
        raise TypeError(f"trace() needs a Tensor, not {type(output).__name__}")
    user = _user_names(names)
    graph = nx.DiGraph()
    functions: dict[str, Node] = {}
    tensors: dict[str, Tensor] = {}
    ids: dict[int, str] = {}
    used: set[str] = set()
    counters: dict[str, int] = {}

    def unique(base: str) -> str:
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name)
        return name

    def generated(prefix: str) -> str:
        while True:
            counters[prefix] = counters.get(prefix, 0) + 1
            candidate = f"{prefix}{counters[prefix]}"
            if candidate not in used and candidate not in user.values():
                used.add(candidate)
                return candidate

    def add_tensor_node(key: int, tensor_like: Any, fn: Node | None) -> str:
        data = fn.value if fn is not None else tensor_like.data
        dtype, device = _dtype_device(data, fn)
        name = unique(user[key]) if key in user else generated(
            "leaf" if fn is None else type(fn).__name__.lower()
        )
        ids[key] = name
        graph.add_node(
            name,
            kind="leaf" if fn is None else "op",
            op=None if fn is None else type(fn).__name__,
            symbol=None if fn is None else (fn.symbol or type(fn).__name__.lower()),
            grad_fn=None if fn is None else fn.name(),
            shape=tuple(data.shape),
            dtype=dtype,
            device=device,
            requires_grad=True if fn is not None else bool(tensor_like.requires_grad),
            parameter=fn is None and type(tensor_like).__name__ == "Parameter",
            value=host(data),
            grad=None,
            formulas=tuple(fn.formulas) if fn is not None else (),
            order=-1 if fn is None else 0,
            module_path=getattr(fn, "module_path", None),
            constants={},
            expression=name,
        )
        if fn is not None:
            functions[name] = fn
        else:
            tensors[name] = tensor_like
        return name

    if output.grad_fn is None:
        root = add_tensor_node(id(output), output, None)
        graph.nodes[root]["kind"] = "output"
        return Graph(graph, root, [], [root], [], tensors=tensors)

    order = list(reversed(autograd.topological_order([output.grad_fn])))  # creation order
    leaves: list[str] = []
    for position, fn in enumerate(order):
        for x in fn.inputs:
            if isinstance(x, Tensor) and x.grad_fn is None and id(x) not in ids:
                leaves.append(add_tensor_node(id(x), x, None))
        name = add_tensor_node(id(fn), None, fn)
        graph.nodes[name]["order"] = position
        _link_inputs(graph, ids, fn, name)
    output_name = ids[id(output.grad_fn)]
    graph.nodes[output_name]["kind"] = "output"
    steps = _backward_steps(output, ids, graph)
    return Graph(
        graph, output_name, [ids[id(fn)] for fn in order], leaves, steps, functions, tensors,
        note=_note(output),
    )


def _note(output: Tensor) -> str | None:
    """The engine's sentence saying whose backward pass the recorded gradients come from, when
    they are not ``output``'s own and cannot be recomputed (None otherwise)."""
    record_note = getattr(autograd, "record_note", None)
    return record_note(output) if record_note is not None else None


def _link_inputs(graph: nx.DiGraph, ids: dict[int, str], fn: Node, name: str) -> None:
    """Add the edges input -> ``fn`` and the node's expression, e.g. ``x3 * b``."""
    operands = []
    for slot, x in enumerate(fn.inputs):
        if not isinstance(x, Tensor):
            graph.nodes[name]["constants"][slot] = x
            operands.append(repr(x))
            continue
        source = ids[id(x.grad_fn) if x.grad_fn is not None else id(x)]
        operands.append(source)
        if graph.has_edge(source, name):
            graph.edges[source, name]["indices"] += (slot,)
        else:
            graph.add_edge(source, name, indices=(slot,), local=None, local_value=None, grad=None)
    symbol = graph.nodes[name]["symbol"]
    if len(operands) == 2 and not symbol.replace("_", "").isalpha() and symbol != "[]":
        expression = f"{operands[0]} {symbol} {operands[1]}"
    else:
        expression = f"{symbol}({', '.join(operands)})"
    graph.nodes[name]["expression"] = expression
    for source in {ids[id(x.grad_fn) if x.grad_fn is not None else id(x)]
                   for x in fn.inputs if isinstance(x, Tensor)}:
        _set_local(graph, fn, source, name)


def _set_local(graph: nx.DiGraph, fn: Node, source: str, target: str) -> None:
    edge = graph.edges[source, target]
    parts = []
    for slot in edge["indices"]:
        if not fn.needs_grad[slot]:
            continue
        try:
            parts.append(host_local(fn.local_derivative(slot)))
        except Exception:  # a derivative that cannot be evaluated (e.g. freed) is only described
            parts.append(fn.formulas[slot] if slot < len(fn.formulas) else None)
    if not parts:
        return
    if any(is_summary(p) for p in parts):  # only a summary was kept: words, no numbers
        edge["local"] = " + ".join(local_text(p) for p in parts)
        return
    if all(isinstance(p, float | np.ndarray) for p in parts):
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        edge["local_value"] = total
        edge["local"] = (
            float(np.asarray(total).reshape(())) if np.size(total) == 1
            else summary(np.asarray(total))
        )
    else:
        edge["local"] = " + ".join(str(p) for p in parts)


def _node_id(ids: dict[int, str], node: Any) -> str:
    return ids[id(node)]


def _backward_steps(output: Tensor, ids: dict[int, str], graph: nx.DiGraph) -> list[BackwardStep]:
    steps: list[BackwardStep] = []
    edge_grads: dict[tuple[str, str], np.ndarray] = {}
    for event in autograd.recorded_events(output):
        if isinstance(event, Created):
            continue
        if isinstance(event, GradientSent):
            source, target = _node_id(ids, event.source), _node_id(ids, event.target)
            contribution = host(event.contribution)
            steps.append(
                BackwardStep(
                    "send", source, target, event.index, host(event.upstream),
                    host_local(event.local), contribution, None, 0,
                )
            )
            key = (target, source)
            summed = key in edge_grads and not (
                is_summary(contribution) or is_summary(edge_grads[key]))
            edge_grads[key] = edge_grads[key] + contribution if summed else contribution
            total = host(event.total)
            steps.append(
                BackwardStep(
                    "accumulate", None, target, None, None, None,
                    host(event.contribution), total, event.count,
                )
            )
            graph.nodes[target]["grad"] = total
    for (source, target), grad in edge_grads.items():
        graph.edges[source, target]["grad"] = grad
    if steps:
        output_fn = output.grad_fn
        if output_fn is not None and output_fn.grad_output is not None:
            graph.nodes[ids[id(output_fn)]]["grad"] = host(output_fn.grad_output)
    return steps
