"""Where each node goes: inputs on the left, the output on the right, few crossing edges.

This is a small version of the Sugiyama method that Graphviz's ``dot`` uses:

1. **Layers.** A node's layer is the length of the longest path from the inputs to it
   (``networkx.topological_generations``), so every edge points to the right. A leaf is then
   moved right, next to the first operation that uses it: ``w3`` in ``w3 * b`` sits beside ``b``
   rather than far away on the left.
2. **Waypoints.** An edge that jumps over layers gets an invisible waypoint in each layer it
   crosses, so it can bend around the nodes in between instead of cutting through them.
3. **Order inside each layer.** Sweep right then left a few times, sorting each layer by the
   *barycentre* (mean position) of each node's neighbours in the layer just visited; keep the
   order with the fewest crossings.
4. **Heights.** Pull each node towards the mean height of its neighbours, keeping the order and a
   minimum gap, so edges run as straight as they can.

Everything is decided by the graph alone: ties are broken by the order the nodes were added (for
a traced graph, the order the operations ran), never by ``id()``, so the same code gives the same
picture every time. The widgets reuse :func:`compute` for their frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .trace import Graph

Point = tuple[float, float]
Edge = tuple[str, str]

#: horizontal distance between layers and the smallest vertical gap between nodes (data units)
X_GAP = 1.0
Y_GAP = 1.0
#: sweeps of the crossing reduction and of the height smoothing
SWEEPS = 4
#: at most this many waypoints per node; beyond it long edges are drawn straight
WAYPOINT_BUDGET = 4


@dataclass(frozen=True)
class Layout:
    """Positions of the nodes, their layers, and the route of every edge.

    ``layers[k]`` lists the nodes of layer ``k`` from top to bottom; ``routes[(u, v)]`` is the
    polyline from ``u`` to ``v`` (its two ends plus any waypoints).
    """

    positions: dict[str, Point]
    layers: list[list[str]]
    routes: dict[Edge, list[Point]] = field(default_factory=dict)

    def layer_of(self, node: str) -> int:
        for k, members in enumerate(self.layers):
            if node in members:
                return k
        raise KeyError(node)


def as_digraph(graph: Graph | nx.DiGraph) -> nx.DiGraph:
    """The NetworkX graph inside a :class:`Graph`, or the graph itself."""
    return graph.nx if isinstance(graph, Graph) else graph


def layer_numbers(graph: Graph | nx.DiGraph) -> dict[str, int]:
    """Each node's layer: longest path from the inputs, with leaves moved next to their users."""
    g = as_digraph(graph)
    layer: dict[str, int] = {}
    for k, generation in enumerate(nx.topological_generations(g)):
        for node in generation:
            layer[node] = k
    for node in g:
        if g.in_degree(node) == 0 and g.out_degree(node) > 0:
            layer[node] = min(layer[s] for s in g.successors(node)) - 1
    return layer


def layers(graph: Graph | nx.DiGraph) -> list[list[str]]:
    """The nodes of each layer, left to right, each layer in drawing order (top to bottom)."""
    return compute(graph).layers


def layout(graph: Graph | nx.DiGraph) -> dict[str, Point]:
    """``{node: (x, y)}``: layer ``k`` at ``x = k``, nodes at least 1 apart vertically."""
    return compute(graph).positions


def compute(graph: Graph | nx.DiGraph) -> Layout:
    """Lay out ``graph`` (a traced :class:`Graph` or any DAG); see the module docstring."""
    g = as_digraph(graph)
    if g.number_of_nodes() == 0:
        return Layout({}, [], {})
    rank = {node: i for i, node in enumerate(g)}  # insertion order: the tie-breaker
    layer = layer_numbers(g)
    # nodes of the working graph: real names, or ("~", u, v, k) for the k-th waypoint of u -> v
    preds: dict[Any, list[Any]] = {node: [] for node in g}
    succs: dict[Any, list[Any]] = {node: [] for node in g}
    chains: dict[Edge, list[Any]] = {}
    slots: dict[tuple[Any, Any], float] = {}  # input slot of the last link, read top to bottom
    span = sum(max(layer[v] - layer[u] - 1, 0) for u, v in g.edges)
    use_waypoints = span <= WAYPOINT_BUDGET * g.number_of_nodes()
    for u, v in g.edges:
        chain: list[Any] = [u]
        if use_waypoints:
            for k in range(layer[u] + 1, layer[v]):
                point = ("~", u, v, k)
                layer[point] = k
                rank[point] = rank[u] + (rank[v] + 1) / (len(g) + 2)
                preds[point], succs[point] = [], []
                chain.append(point)
        chain.append(v)
        slots[(chain[-2], v)] = min(g.edges[u, v].get("indices", (0,)) or (0,))
        for a, b in zip(chain, chain[1:]):
            succs[a].append(b)
            preds[b].append(a)
        chains[(u, v)] = chain
    count = max(layer.values()) + 1
    rows: list[list[Any]] = [[] for _ in range(count)]
    for node in sorted(layer, key=rank.__getitem__):
        rows[layer[node]].append(node)
    rows = _order(rows, preds, succs, slots)
    y = _heights(rows, preds, succs)
    positions = {node: (layer[node] * X_GAP, y[node]) for node in g}
    routes = {
        edge: [(layer[p] * X_GAP, y[p]) for p in chain] for edge, chain in chains.items()
    }
    real = [[node for node in row if not isinstance(node, tuple)] for row in rows]
    return Layout(positions, real, routes)


def _order(
    rows: list[list[Any]], preds: dict, succs: dict, slots: dict
) -> list[list[Any]]:
    """Barycentre sweeps; returns the rows with the fewest crossings seen.

    Sweeping right to left, the inputs of one operation are ordered by input slot, so
    ``w3 * b`` puts ``w3`` above ``b``: the picture reads like the code.
    """
    best = [list(row) for row in rows]
    best_crossings = _crossings(best, succs)
    for _ in range(SWEEPS):
        for direction in (1, -1):
            if best_crossings == 0:
                return best
            indices = range(1, len(rows)) if direction == 1 else range(len(rows) - 2, -1, -1)
            for k in indices:
                neighbours = preds if direction == 1 else succs
                reference = rows[k - direction]
                where = {node: i for i, node in enumerate(reference)}
                current = {node: i for i, node in enumerate(rows[k])}

                def barycentre(
                    node: Any, where: dict = where, current: dict = current,
                    neighbours: dict = neighbours,
                ) -> tuple:
                    seen = [
                        where[n] + 0.01 * slots.get((node, n), 0)
                        for n in neighbours[node]
                        if n in where
                    ]
                    centre = sum(seen) / len(seen) if seen else current[node]
                    return (centre, current[node])

                rows[k] = sorted(rows[k], key=barycentre)
            crossings = _crossings(rows, succs)
            if crossings < best_crossings:
                best, best_crossings = [list(row) for row in rows], crossings
    return best


def _crossings(rows: list[list[Any]], succs: dict) -> int:
    """Edge crossings between neighbouring layers (inversions counted with a Fenwick tree)."""
    total = 0
    for upper, lower in zip(rows, rows[1:]):
        where = {node: i for i, node in enumerate(lower)}
        ends = sorted(
            (i, where[s]) for i, node in enumerate(upper) for s in succs[node] if s in where
        )
        tree = [0] * (len(lower) + 1)
        for seen, (_, j) in enumerate(ends):
            # how many earlier edges end strictly below j: those cross this one
            k, not_below = j + 1, 0
            while k > 0:
                not_below += tree[k]
                k -= k & -k
            total += seen - not_below
            k = j + 1
            while k <= len(lower):
                tree[k] += 1
                k += k & -k
    return total


def _heights(rows: list[list[Any]], preds: dict, succs: dict) -> dict[Any, float]:
    """Vertical positions: start evenly spaced, then pull towards neighbours, keep the gaps."""
    y: dict[Any, float] = {}
    for row in rows:
        for i, node in enumerate(row):
            y[node] = -(i - (len(row) - 1) / 2) * Y_GAP
    for _ in range(SWEEPS):
        for ordered, neighbours in ((rows, preds), (rows[::-1], succs)):
            for row in ordered:
                wanted = []
                for node in row:
                    near = [y[n] for n in neighbours[node]]
                    wanted.append(sum(near) / len(near) if near else y[node])
                for node, value in zip(row, _spread(wanted)):
                    y[node] = value
    low = min(y.values())
    high = max(y.values())
    middle = (low + high) / 2
    return {node: round(value - middle, 6) for node, value in y.items()}


def _spread(wanted: list[float]) -> list[float]:
    """Closest heights to ``wanted`` that stay in order (top first) at least ``Y_GAP`` apart."""
    down = list(wanted)
    for i in range(1, len(down)):
        down[i] = min(down[i], down[i - 1] - Y_GAP)
    up = list(wanted)
    for i in range(len(up) - 2, -1, -1):
        up[i] = max(up[i], up[i + 1] + Y_GAP)
    return [(a + b) / 2 for a, b in zip(down, up)]
