"""Trace a graph built by *another* engine: a learner's own micrograd-style ``Value`` class.

:func:`autogradlab.viz.trace` hands any object that is not a Tensor but follows this protocol to
:func:`trace_protocol`, which builds the same :class:`~autogradlab.viz.trace.Graph` model (same
node and edge attributes, same backward steps), so ``ag.viz.draw``, ``ag.viz.explain`` and the
player work on the learner's engine too.

The protocol (what an object must have):

* ``data``: its value (a number, or a NumPy array for an elementwise engine);
* ``grad``: its gradient (``0`` before any backward pass);
* ``_prev`` or ``_children``: its inputs, objects following the same protocol (empty for a
  leaf). A tuple or list gives the inputs their order (slot 0, 1, ...); a set has no order, so
  the inputs are then ordered by the order in which their names, values and ids sort;
* ``_op``: the name of the operation that made it, as a string (``"+"``, ``"*"``, ``"tanh"``,
  ``"**2"``; ``""`` for a leaf);
* optional, for the backward steps: ``_backward``, a function of no arguments that adds this
  node's contributions ``upstream gradient x local derivative`` into its inputs' ``grad`` (as
  micrograd's closures do).

What the backward steps show. The learner's engine emits no events, so after its backward pass
(when the output's ``grad`` is not 0) the gradients are *replayed with the learner's own code*:
every ``grad`` is set to 0, the output's to the gradient it holds (1 after ``backward()``), and
each node's ``_backward`` is called once, in reverse topological order. What each call adds to an
input's ``grad`` is that edge's contribution; the local derivative on an edge is what the same
``_backward`` adds when the node's own gradient is 1. Afterwards every ``grad`` is put back as it
was, so tracing changes nothing. When the replayed gradients differ from those the objects held
(backward run twice, say, so gradients accumulated), the graph's ``note`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np

from .trace import BackwardStep, Graph, caller_namespace

#: attribute names that hold a node's inputs, tried in this order
INPUT_ATTRIBUTES = ("_prev", "_children")

# generated node names for common operation names (others: "op1", "op2", ...)
_OP_WORDS = {"+": "add", "*": "mul", "-": "sub", "/": "div", "**": "pow", "@": "matmul"}
# "**2", "*-1", "+3": an operator followed by the number it was given
_OP_WITH_NUMBER = re.compile(r"^(\*\*|[-+*/^])\s*(-?[0-9.eE+-]+)$")


def _inputs_attribute(obj: Any) -> str | None:
    return next((a for a in INPUT_ATTRIBUTES if hasattr(obj, a)), None)


def follows_protocol(obj: Any) -> bool:
    """True when ``obj`` has ``data``, ``grad``, ``_op`` and ``_prev`` (or ``_children``)."""
    return (
        not isinstance(obj, type)
        and all(hasattr(obj, a) for a in ("data", "grad", "_op"))
        and _inputs_attribute(obj) is not None
    )


def _inputs(obj: Any) -> list[Any]:
    raw = getattr(obj, _inputs_attribute(obj) or "_prev", ()) or ()
    items = list(raw) if isinstance(raw, Iterable) else []
    for x in items:
        if not follows_protocol(x):
            raise TypeError(
                f"an input of {type(obj).__name__}(data={obj.data!r}, _op={obj._op!r}) is a "
                f"{type(x).__name__}, which does not follow the protocol (data, grad, _op, "
                f"_prev): wrap numbers in your class before combining them"
            )
    if isinstance(raw, set | frozenset):  # no order of its own: make one that does not vary
        items.sort(key=lambda x: (str(getattr(x, "_op", "")), _as_float(x.data), id(x)))
    return items


def _as_float(value: Any) -> float:
    array = np.asarray(value, dtype=float)
    return float(array.reshape(-1)[0]) if array.size else 0.0


def _array(value: Any) -> np.ndarray:
    """A float64 host copy of a number or an array."""
    return np.array(value, dtype=np.float64)


def _zero_like(value: Any) -> Any:
    return np.zeros_like(value) if isinstance(value, np.ndarray) else 0.0


def _one_like(value: Any) -> Any:
    return np.ones_like(value) if isinstance(value, np.ndarray) else 1.0


def topological_order(root: Any) -> list[Any]:
    """Every node behind ``root``, each after all its inputs (iterative depth-first search)."""
    order: list[Any] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, k = stack.pop()
        inputs = _inputs(node)
        if k < len(inputs):
            stack.append((node, k + 1))
            child = inputs[k]
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, 0))
        else:
            order.append(node)
    return order


def _caller_names(names: Mapping[str, Any] | None) -> dict[int, str]:
    """Map ``id(object)`` to the learner's variable name (the first code outside autogradlab)."""
    if names is None:
        names = caller_namespace()
    found: dict[int, str] = {}
    for name, value in names.items():
        if name.startswith("_") or name in ("In", "Out"):
            continue
        if follows_protocol(value):
            found.setdefault(id(value), name)
    return found


def _symbol_and_constant(op: str) -> tuple[str, float | None]:
    match = _OP_WITH_NUMBER.match(op.strip())
    if match:
        try:
            return match.group(1), float(match.group(2))
        except ValueError:
            pass
    return op.strip(), None


def trace_protocol(output: Any, names: Mapping[str, Any] | None = None) -> Graph:
    """The :class:`Graph` behind ``output``, an object of a learner's engine (see the module
    docstring for the protocol and for what the backward steps show)."""
    if not follows_protocol(output):
        raise TypeError(
            f"trace() needs a Tensor or an object with data, grad, _op and _prev (or _children); "
            f"{type(output).__name__} has none of _prev/_children or _op"
        )
    user = _caller_names(names)
    order = topological_order(output)
    g = nx.DiGraph()
    ids: dict[int, str] = {}
    used: set[str] = set()
    counters: dict[str, int] = {}

    def fresh(prefix: str) -> str:
        while True:
            counters[prefix] = counters.get(prefix, 0) + 1
            name = f"{prefix}{counters[prefix]}"
            if name not in used and name not in user.values():
                return name

    leaves: list[str] = []
    forward: list[str] = []
    position = 0
    for obj in order:
        inputs = _inputs(obj)
        op = str(obj._op or "")
        symbol, constant = _symbol_and_constant(op)
        is_leaf = not inputs
        if id(obj) in user:
            name = user[id(obj)]
            k = 1
            while name in used:
                k += 1
                name = f"{user[id(obj)]}_{k}"
        else:
            word = "leaf" if is_leaf else _OP_WORDS.get(
                symbol, symbol if symbol.isalpha() else "op")
            name = fresh(word.lower())
        used.add(name)
        ids[id(obj)] = name
        value = _array(obj.data)
        g.add_node(
            name, kind="leaf" if is_leaf else "op", op=None if is_leaf else (op or "?"),
            symbol=None if is_leaf else (symbol or "?"),
            grad_fn=None if is_leaf else f"{type(obj).__name__}._backward",
            shape=tuple(value.shape), dtype=str(value.dtype), device="cpu", requires_grad=True,
            parameter=False, value=value, grad=None, formulas=(),
            order=-1 if is_leaf else position, module_path=None, constants={}, expression=name,
        )
        if is_leaf:
            leaves.append(name)
            continue
        forward.append(name)
        position += 1
        operands = []
        for slot, x in enumerate(inputs):
            source = ids[id(x)]
            operands.append(source)
            if g.has_edge(source, name):
                g.edges[source, name]["indices"] += (slot,)
            else:
                g.add_edge(source, name, indices=(slot,), local=None, local_value=None, grad=None)
        if constant is not None and len(operands) == 1:
            number = int(constant) if constant.is_integer() else constant
            g.nodes[name]["constants"] = {1: number}
            operands.append(repr(number))
        sym = g.nodes[name]["symbol"]
        if len(operands) == 2 and not sym.replace("_", "").isalpha():
            g.nodes[name]["expression"] = f"{operands[0]} {sym} {operands[1]}"
        else:
            g.nodes[name]["expression"] = f"{sym}({', '.join(operands)})"
    if not forward:
        root = ids[id(output)]
        g.nodes[root]["kind"] = "output"
        return Graph(g, root, [], [root], [])
    output_name = ids[id(output)]
    g.nodes[output_name]["kind"] = "output"
    steps, note = _replay(output, order, ids, g)
    return Graph(g, output_name, forward, leaves, steps, note=note)


def _replay(output: Any, order: list[Any], ids: dict[int, str],
            g: nx.DiGraph) -> tuple[list[BackwardStep], str | None]:
    """Run the learner's ``_backward`` once per node, reverse topological order, and record."""
    held = {id(obj): obj.grad for obj in order}
    if not np.any(_array(output.grad)) or not all(callable(getattr(o, "_backward", None))
                                                  for o in order if _inputs(o)):
        return [], None  # no backward pass yet (or no _backward to replay): the forward only
    steps: list[BackwardStep] = []
    counts: dict[str, int] = {}
    try:
        # the local derivatives: what each _backward adds when its node's gradient is 1
        for obj in order:
            inputs = _inputs(obj)
            if not inputs:
                continue
            for x in inputs:
                x.grad = _zero_like(held[id(x)])
            obj.grad = _one_like(held[id(obj)])
            obj._backward()
            for x in inputs:
                edge = g.edges[ids[id(x)], ids[id(obj)]]
                local = _array(x.grad)
                edge["local_value"] = float(local) if local.size == 1 else local
                edge["local"] = float(local) if local.size == 1 else None
        # the replay: the whole backward pass, node by node
        for obj in order:
            obj.grad = _zero_like(held[id(obj)])
        output.grad = held[id(output)]
        for obj in reversed(order):
            inputs = _inputs(obj)
            name = ids[id(obj)]
            if not inputs:
                continue
            upstream = _array(obj.grad)
            before = {id(x): _array(x.grad) for x in inputs}
            obj._backward()
            for x in dict.fromkeys(inputs):  # each input once, in slot order
                source = ids[id(x)]
                contribution = np.asarray(_array(x.grad) - before[id(x)])
                edge = g.edges[source, name]
                local = edge["local_value"]
                steps.append(BackwardStep("send", name, source, edge["indices"][0], upstream,
                                          local, contribution, None, 0))
                counts[source] = counts.get(source, 0) + 1
                total = _array(x.grad)
                steps.append(BackwardStep("accumulate", None, source, None, None, None,
                                          contribution, total, counts[source]))
                edge["grad"] = contribution
        replayed = {id(obj): _array(obj.grad) for obj in order}
    finally:
        for obj in order:
            obj.grad = held[id(obj)]
    for obj in order:
        g.nodes[ids[id(obj)]]["grad"] = replayed[id(obj)]
    differs = [ids[id(o)] for o in order
               if not np.allclose(replayed[id(o)], _array(held[id(o)]), rtol=1e-6, atol=1e-9)]
    note = None
    if differs:
        note = (f"replayed once with your _backward; your objects hold other gradients "
                f"({', '.join(differs[:4])}{', ...' if len(differs) > 4 else ''}), e.g. "
                f"after two backward passes without zeroing")
    return steps, note
