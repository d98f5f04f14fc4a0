"""The chain rule as paths: dL/da is a sum, over every path from ``a`` to ``L``, of products.

For ``b = w1*a; c = w2*a; d = w3*b + w4*c; L = 10 - d`` the value ``a`` reaches ``L`` along two
paths, ``a -> b -> ... -> L`` and ``a -> c -> ... -> L``. Along each path, multiply the local
derivatives written on its edges; add the products of all paths::

    dL/da = (dL/dd)(dd/dmul1)(dmul1/db)(db/da) + (dL/dd)(dd/dmul2)(dmul2/dc)(dc/da)

That sum is what ``L.backward()`` computes, only organised better: backpropagation shares the
common parts of the paths (``dL/dd`` above) instead of multiplying them again for every path,
which matters because the number of paths can grow exponentially with the graph.

:func:`chain_rule_paths` lists the paths with their numbers and checks the sum against the
gradient the engine actually computed; :func:`explain` prints the worked formula.

Tensors: when every edge on a path is elementwise (``+ - * /``, ``exp``, ...; and a final
``sum``/``mean`` to one number, whose local derivative is all ones or ``1/n``), the product is an
elementwise product of arrays, summed back to ``a``'s shape where ``a`` was broadcast. Other
edges (``@``, ``reshape``, ``softmax``) have a whole matrix (a Jacobian) as local derivative: that
path's product is a Jacobian product, shown only as its formulas.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from ..tensor import Tensor
from . import words
from .trace import Graph, trace

#: tolerance of the check "sum over paths == engine gradient" (the engine works in float32)
RTOL, ATOL = 1e-4, 1e-6
MAX_PATHS = 1000


@dataclass(frozen=True)
class Path:
    """One path from ``wrt`` to the output.

    ``nodes`` runs from ``wrt`` to the output; ``derivatives[i]`` is the local derivative on the
    edge ``nodes[i] -> nodes[i+1]``: a number, an array (elementwise) or a formula (a Jacobian).
    ``product`` is their product (in ``wrt``'s shape), or None when it is a Jacobian product.
    """

    nodes: tuple[str, ...]
    derivatives: tuple[Any, ...]
    product: Any

    @property
    def elementwise(self) -> bool:
        return self.product is not None

    def symbols(self, limit: int | None = words.EXPLAIN_FACTORS) -> str:
        """``(dL/dd)(dd/dc)(dc/da)``: the factors, output first, as the chain rule writes them.

        A path with more than ``limit`` factors shows its first and last few and says how many
        it left out, so a 2,000-node chain stays readable.
        """
        pairs = list(zip(self.nodes, self.nodes[1:]))[::-1]
        return "".join(_elide([f"(d{target}/d{source})" for source, target in pairs], limit))

    def numbers(self, limit: int | None = words.EXPLAIN_FACTORS) -> str:
        """``(1.0)(5.0)(3.0)``: the same factors, as numbers (or summaries / formulas)."""
        return "".join(_elide([f"({_local(d)})" for d in self.derivatives[::-1]], limit))

    def route(self, limit: int | None = words.EXPLAIN_FACTORS) -> str:
        """``a -> b -> L``: the nodes along the path (the middle left out when it is long)."""
        return " -> ".join(_elide(list(self.nodes), limit))


@dataclass
class ChainRule:
    """dL/d(wrt) as a sum over paths, and the check against the engine's own gradient."""

    output: str
    wrt: str
    paths: list[Path]
    total: Any
    engine_grad: Any
    matches: bool | None
    leaf: bool = True
    expressions: dict[str, str] = field(default_factory=dict)
    #: the graph's note when its gradients are not this output's own (see ``Graph.note``)
    note: str | None = None

    @property
    def scalar(self) -> bool:
        return all(_is_number(d) for p in self.paths for d in p.derivatives)

    @property
    def grad_name(self) -> str:
        return f"{self.wrt}.grad" if self.leaf else f"the gradient backward() sent to {self.wrt}"

    def verdict(self) -> str:
        """``sum over 2 paths = 12.0, equals a.grad = 12.0 ✓`` or why it does not."""
        n = len(self.paths)
        if n == 0:
            return f"{self.output} does not depend on {self.wrt}: there is no path, so the sum is 0"
        plural = "path" if n == 1 else "paths"
        if self.total is None:
            return (
                f"{n} {plural}; some local derivatives are formulas here, not numbers: a matrix "
                f"(a Jacobian, so the product is a Jacobian product), or numbers that "
                f"backward() let go of (backward(retain_graph=True) keeps them)"
            )
        total = _value(self.total)
        if self.engine_grad is None:
            return (
                f"sum over {n} {plural} = {total}; {self.grad_name} is not known yet: call "
                f"{self.output}.backward() and compare"
            )
        engine = _value(self.engine_grad)
        if self.matches and np.all(np.isnan(np.asarray(self.total, dtype=np.float64))):
            return (
                f"sum over {n} {plural} = {total}, and {self.grad_name} = {engine}: both are nan "
                f"(one nan factor makes a whole product nan: look for log(0), 0/0 or inf - inf "
                f"on the way)"
            )
        if self.matches:
            return f"sum over {n} {plural} = {total}, equals {self.grad_name} = {engine} ✓"
        return (
            f"sum over {n} {plural} = {total}, but {self.grad_name} = {engine}: they do NOT "
            f"match ✗"
        )

    def __str__(self) -> str:
        lines = [f"d{self.output}/d{self.wrt} by the chain rule, one term per path:"]
        for k, path in enumerate(self.paths[:words.EXPLAIN_PATHS], 1):
            result = _value(path.product) if path.product is not None else "(Jacobian product)"
            lines.append(
                f"  path {k}: {path.route()}:  {path.symbols()} = {path.numbers()} = {result}"
            )
        if len(self.paths) > words.EXPLAIN_PATHS:
            lines.append(f"  ... and {len(self.paths) - words.EXPLAIN_PATHS} more paths")
        if not self.scalar and self.paths:
            lines.append(
                "  (tensors: ⊙ marks an elementwise local derivative, so each product is "
                "elementwise, summed back to the input's shape)"
            )
        if self.note:
            lines.append(self.note)
        lines.append(self.verdict())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ChainRule d{self.output}/d{self.wrt}: {self.verdict()}>"

    def _repr_html_(self) -> str:
        colour = {True: "#15803d", False: "#b91c1c", None: "#4b5563"}[self.matches]
        body = html.escape("\n".join(str(self).splitlines()[:-1]))
        return (
            f"<pre style='margin:0'>{body}\n<b style='color:{colour}'>"
            f"{html.escape(self.verdict())}</b></pre>"
        )


def _is_number(x: Any) -> bool:
    return isinstance(x, float | int) or (isinstance(x, np.ndarray) and x.size == 1)


def _local(x: Any) -> str:
    """A local derivative: a number, ``⊙ min ..`` (elementwise) or a formula (see words)."""
    return words.local_text(x)


def _value(x: Any) -> str:
    """A product or a sum: one number, or a tensor's shape and statistics (see words)."""
    return words.summary(x)


def _elide(items: list[str], limit: int | None) -> list[str]:
    """The first and last few of ``items`` with ``…(N more)…`` between, if more than limit."""
    if limit is None or len(items) <= limit:
        return items
    head = limit // 2
    tail = limit - head
    return [*items[:head], f"…({len(items) - limit} more)…", *items[-tail:]]


def _find(graph: Graph, wrt: Tensor | str) -> str:
    """The node name of ``wrt``: a name, or a tensor matched by identity (never by value)."""
    if isinstance(wrt, str):
        if wrt not in graph.nx:
            raise KeyError(f"no node named {wrt!r}; the graph's nodes are {list(graph.nx)}")
        return wrt
    if type(wrt).__module__.split(".")[0] == "torch":  # a PyTorch tensor (see torch_trace.py)
        from .torch_trace import find_node
        return find_node(graph, wrt)
    if not isinstance(wrt, Tensor):
        raise TypeError(f"wrt must be a Tensor or a node name, not {type(wrt).__name__}")
    if wrt.grad_fn is not None:
        for name, fn in graph.functions.items():
            if fn is wrt.grad_fn:
                return name
    else:
        for name, tensor in graph.tensors.items():
            if tensor is wrt:
                return name
    raise KeyError(
        f"that tensor is not part of the graph behind {graph.output!r}; pass one of the "
        f"tensors it was computed from, or a node name such as {graph.leaves[:3]}"
    )


def _edge_derivative(g: nx.DiGraph, source: str, target: str) -> Any:
    """The local derivative on an edge: a number or array if elementwise, else its formula."""
    edge, node = g.edges[source, target], g.nodes[target]
    if edge.get("local_value") is not None:
        value = edge["local_value"]
        return float(np.asarray(value).reshape(())) if np.size(value) == 1 else np.asarray(value)
    value = node.get("value")
    if node.get("op") in ("Sum", "Mean") and value is not None and np.size(value) == 1:
        shape = g.nodes[source]["shape"]
        n = int(np.prod(shape)) if node["op"] == "Mean" else 1
        return np.full(shape, 1.0 / n) if shape else 1.0 / n  # all ones (or 1/n): elementwise
    return str(edge.get("local") or "Jacobian")


def _sum_to(array: Any, shape: Sequence[int]) -> Any:
    """Sum a broadcast product back to ``shape`` (what the engine does for broadcast inputs)."""
    array = np.asarray(array, dtype=np.float64)
    array = np.broadcast_to(array, np.broadcast_shapes(array.shape, tuple(shape)))
    extra = array.ndim - len(shape)
    if extra > 0:
        array = array.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and array.shape[i] != 1)
    if axes:
        array = array.sum(axis=axes, keepdims=True)
    array = np.broadcast_to(array, tuple(shape))
    return float(array.reshape(())) if array.size == 1 and not shape else np.array(array)


def chain_rule_paths(
    output: Tensor | Graph, wrt: Tensor | str, max_paths: int = MAX_PATHS
) -> ChainRule:
    """Every path from ``wrt`` to ``output``, its local derivatives and their product.

    ``output`` is a tensor (traced with your variable names) or a traced :class:`Graph`;
    ``wrt`` a tensor it was computed from, or a node name. ``.total`` (the sum over paths) is
    compared with the gradient the engine recorded in its last backward pass (``.matches``).
    """
    graph = output if isinstance(output, Graph) else trace(output)
    g = graph.nx
    name = _find(graph, wrt)
    found = list(itertools.islice(nx.all_simple_paths(g, name, graph.output), max_paths + 1))
    if name == graph.output:
        found = [[name]]
    if len(found) > max_paths:
        raise ValueError(
            f"more than {max_paths} paths lead from {name!r} to {graph.output!r}. Their number "
            f"grows exponentially with the graph: that is why backward() does not multiply "
            f"along each path but shares the common parts. Pick a smaller graph, or a node "
            f"closer to the output."
        )
    found.sort()  # by names: the same order every time
    seed = g.nodes[graph.output].get("grad")
    shape = g.nodes[name]["shape"]
    paths = []
    for nodes in found:
        derivatives = tuple(_edge_derivative(g, u, v) for u, v in zip(nodes, nodes[1:]))
        product: Any = None
        if not any(isinstance(d, str) for d in derivatives):
            product = 1.0 if seed is None else np.asarray(seed, dtype=np.float64)
            for d in derivatives:
                product = product * np.asarray(d, dtype=np.float64)
            product = _sum_to(product, shape)
        paths.append(Path(tuple(nodes), derivatives, product))
    total: Any = None
    if all(p.product is not None for p in paths):
        total = sum((p.product for p in paths), start=0.0 if not shape else np.zeros(shape))
        total = _sum_to(total, shape)
    engine = g.nodes[name].get("grad")
    if words.is_summary(engine):  # the engine kept only a summary: the leaf's .grad is whole
        leaf = graph.tensors.get(name)
        engine = leaf.grad.numpy() if leaf is not None and leaf.grad is not None else None
    if engine is None and isinstance(wrt, Tensor) and wrt.grad is not None:
        engine = wrt.grad.numpy()
    if engine is not None:
        engine = np.asarray(engine, dtype=np.float64)
        engine = float(engine.reshape(())) if engine.size == 1 and not shape else engine
    matches = None
    if total is not None and engine is not None:
        matches = bool(np.allclose(total, engine, rtol=RTOL, atol=ATOL, equal_nan=True))
    expressions = {
        n: g.nodes[n]["expression"]
        for p in paths for n in p.nodes
        if g.nodes[n].get("expression", n) != n
    }
    return ChainRule(graph.output, name, paths, total, engine, matches,
                     leaf=g.nodes[name]["kind"] == "leaf", expressions=expressions,
                     note=graph.note)


def explain(output: Tensor | Graph, wrt: Tensor | str) -> None:
    """Print the chain rule for d(output)/d(wrt) as a worked formula, checked against backward().

    ``dL/da = (dL/dd)(dd/dc)(dc/da) + (dL/dd)(dd/db)(db/da) = (1.0)(5.0)(3.0) + ... = 23.0``
    """
    if not isinstance(output, Graph):
        output = trace(output)
    print(explanation(chain_rule_paths(output, wrt)))


def explanation(rule: ChainRule) -> str:
    """The text that :func:`explain` prints: at most :data:`~.words.EXPLAIN_PATHS` terms, each
    with at most :data:`~.words.EXPLAIN_FACTORS` factors, whatever the size of the graph."""
    head = f"d{rule.output}/d{rule.wrt}"
    pad = " " * len(head)
    if not rule.paths:
        return f"{head} = 0: {rule.verdict()}"
    shown = rule.paths[:words.EXPLAIN_PATHS]
    more = len(rule.paths) - len(shown)
    rest = f" + ... ({more} more paths)" if more else ""
    lines = [f"{head} = " + " + ".join(p.symbols() for p in shown) + rest]
    lines.append(f"{pad} = " + " + ".join(p.numbers() for p in shown) + rest)
    if rule.total is not None:
        lines.append(f"{pad} = {_value(rule.total)}")
    named = {n for p in shown for n in _elide(list(p.nodes), words.EXPLAIN_FACTORS)}
    used = [f"{n} = {e}" for n, e in rule.expressions.items() if n != rule.output and n in named]
    if used:
        lines.append("where " + words.listed(used, words.LISTED))
    if rule.note:
        lines.append(rule.note)
    lines.append(rule.verdict())
    return "\n".join(lines)
