"""Making big graphs small, on the graph model itself: fold groups of nodes into one, or keep
only the neighbourhood of a node. ``ag.viz.draw`` and the player (``ag.animate``) share these.

Every transform takes a traced :class:`~.trace.Graph` and returns a new, smaller ``Graph`` with
the same fields, so the drawing, the steps and the frames work on it unchanged:

* :func:`fold`: each group (an ``nn.Module`` call, a layer, a neuron; or a band of columns when
  no module made the graph) becomes one node. A folded node keeps its **output's value and
  gradient** (several scalar outputs, such as a layer of scalar neurons, become one vector), so it
  is never an empty box. The engine's backward events are kept between groups (those inside a
  group are folded away), in the engine's order.
* :func:`by_steps`: one group per time step of an unrolled loop (`h1`, `h2`, ...), for
  :func:`fold`.
* :func:`neighbourhood`: the nodes at most ``depth`` edges away from one node.
* :func:`reduce`: what a view does by itself: fold or cut a graph above ``max_nodes`` nodes, and
  a sentence saying what it did and what to call to see more.

Groups come from ``module_path`` (``"0.3"`` is neuron 3 of layer 0): by default each top-level
module is one group; a group named in ``open`` is opened one level (its children become groups),
so ``open={"0"}`` shows the neurons of layer 0 and keeps the other layers folded.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace

import networkx as nx
import numpy as np

from .trace import BackwardStep, Graph
from .words import MAX_LAYERS, MAX_NODES, listed

Grouping = Callable[[str], str | None]


def as_graph(graph: Graph | nx.DiGraph) -> Graph:
    """A :class:`Graph` around a plain NetworkX DAG (no backward events), or ``graph`` itself."""
    if isinstance(graph, Graph):
        return graph
    sinks = [n for n in graph if graph.out_degree(n) == 0]
    output = sinks[-1] if sinks else next(iter(graph), "")
    leaves = [n for n in graph if graph.in_degree(n) == 0]
    order = [n for n in nx.topological_sort(graph) if graph.in_degree(n) > 0]
    return Graph(graph, output, order, leaves, [])


# --------------------------------------------------------------------------------------------
# Which group each node belongs to
# --------------------------------------------------------------------------------------------


def module_group(path: str | None, open_groups: Collection[str] = ()) -> str | None:
    """The group of a node made by the module at ``path``: its shortest prefix not opened.

    >>> module_group("0.3", ()), module_group("0.3", {"0"}), module_group("0.3", {"0", "0.3"})
    ('0', '0.3', None)
    """
    if path is None:
        return None
    parts = (path or "model").split(".")
    for k in range(1, len(parts) + 1):
        prefix = ".".join(parts[:k])
        if prefix not in open_groups:
            return prefix
    return None


def by_module(graph: Graph, open_groups: Collection[str] = ()) -> dict[str, str]:
    """``{node: group}`` for the nodes made inside modules, and for the parameters
    (``nn.Parameter`` leaves that feed only one group). Other nodes (the data ``x``) stay on
    their own."""
    g = graph.nx
    group: dict[str, str] = {}
    for node, attrs in g.nodes(data=True):
        key = module_group(attrs.get("module_path"), open_groups)
        if key is not None:
            group[node] = key
    _adopt_parameters(g, group)
    return group


def by_columns(graph: Graph, bands: int, open_groups: Collection[str] = ()) -> dict[str, str]:
    """``{node: group}`` for a graph no module made: at most ``bands`` bands of neighbouring
    columns of the drawing, named ``columns 3–5``. The output stays on its own, and so does a
    leaf used in several bands (an input such as ``x``); other leaves join their users' band."""
    from .layout import layer_numbers

    layer = layer_numbers(graph)
    g = graph.nx
    ops = [n for n in g if g.in_degree(n) > 0]
    if not ops:
        return {}
    first, last = min(layer[n] for n in ops), max(layer[n] for n in ops)
    width = math.ceil((last - first + 1) / bands)

    def band(node: str) -> str:
        k = (layer[node] - first) // width
        low, high = first + k * width, min(first + (k + 1) * width - 1, last)
        return f"column {low}" if low == high else f"columns {low}–{high}"

    group = {n: band(n) for n in ops if n != graph.output and band(n) not in open_groups}
    for node in g:
        if node not in group and node != graph.output and g.out_degree(node) > 0:
            bands_used = {group.get(s) for s in g.successors(node)}
            if len(bands_used) == 1 and None not in bands_used:
                group[node] = bands_used.pop()
    return group


def by_steps(graph: Graph | nx.DiGraph, ends: Iterable[object]) -> dict[str, str]:
    """``{node: group}`` for a loop unrolled in time (a recurrent cell): one group per step.

    ``ends`` are the last node of each step in order (names such as ``"h1", "h2"``, or the
    tensors themselves). Step ``k`` holds the operations that ``ends[k]`` needs and that no
    earlier step made; the group is named after its end, so ``fold`` shows ``h0 -> h1 -> h2``
    with each box holding that hidden state's value and gradient. Leaves (the shared weights,
    the inputs, the first state) and what comes after the last step (the loss) stay on their
    own, so the weights' edges to every step stay visible.
    """
    graph = as_graph(graph)
    g = graph.nx
    names = [node_of(graph, end) if not isinstance(end, str) else end for end in ends]
    for name in names:
        if name not in g:
            raise KeyError(f"no node named {name!r} in the graph; its nodes are "
                           f"{listed(list(g), 12)}")
    group: dict[str, str] = {}
    for name in names:
        for node in [*nx.ancestors(g, name), name]:
            if node not in group and g.in_degree(node) > 0:
                group[node] = name
    return group


def _adopt_parameters(g: nx.DiGraph, group: dict[str, str]) -> None:
    for node, attrs in g.nodes(data=True):
        parameter = attrs.get("parameter")
        if parameter is None:  # a graph not traced here: any leaf that requires grad
            parameter = attrs.get("requires_grad")
        if attrs.get("kind") == "leaf" and parameter and node not in group:
            owners = {group.get(s) for s in g.successors(node)}
            if len(owners) == 1 and None not in owners:
                group[node] = owners.pop()


# --------------------------------------------------------------------------------------------
# Folding
# --------------------------------------------------------------------------------------------


def fold(graph: Graph | nx.DiGraph, group: dict[str, str]) -> Graph:
    """One node per group of ``group`` (``{node: group name}``); other nodes stay as they are.

    A group's node has ``kind="module"`` (``"output"`` when it holds the output),
    ``members`` (its nodes), ``exits`` (the members used outside it), ``expression`` (what made
    it: ``Linear``, ``16× Neuron``), and the ``value``/``grad`` of its exits.
    """
    graph = as_graph(graph)
    g = graph.nx
    members: dict[str, list[str]] = {}
    for node in g:
        if node in group:
            members.setdefault(group[node], []).append(node)
    where = {n: group.get(n, n) for n in g}
    folded = nx.DiGraph()
    exits: dict[str, list[str]] = {}
    for node in g:
        key = where[node]
        if key == node and node not in members:
            folded.add_node(node, **g.nodes[node])
        elif key not in folded:
            inside = members[key]
            exits[key] = _exits(g, inside, graph.output)
            folded.add_node(key, **_group_attrs(graph, key, inside, exits[key]))
    for u, v, attrs in g.edges(data=True):
        a, b = where[u], where[v]
        if a == b:
            continue
        if not folded.has_edge(a, b):
            same = a == u and b == v
            folded.add_edge(a, b, **(dict(attrs) if same else {
                "indices": attrs.get("indices", (0,)), "local": None, "local_value": None,
                "grad": None,
            }))
    output = where[graph.output]
    position = {n: k for k, n in enumerate(graph.forward_order)}
    last_op: dict[str, int] = {}
    for node in graph.forward_order:
        last_op[where[node]] = position[node]
    order = sorted(last_op, key=last_op.__getitem__)
    leaves = [n for n in folded if n not in last_op]
    steps = _fold_steps(graph, where, exits)
    kept = set(folded)
    return Graph(
        folded, output, order, leaves, steps,
        functions={n: f for n, f in graph.functions.items() if n in kept},
        tensors={n: t for n, t in graph.tensors.items() if n in kept},
        note=graph.note,
    )


def _exits(g: nx.DiGraph, inside: list[str], output: str) -> list[str]:
    """The members whose values leave the group (the output counts as leaving)."""
    members = set(inside)
    found = [n for n in inside if n == output or any(s not in members for s in g.successors(n))]
    return found or inside[-1:]


def _stack(values: list[object]) -> object:
    """One exit's value, or several scalar exits' values as one vector (None if any unknown)."""
    if any(v is None for v in values):
        return None
    if len(values) == 1:
        return values[0]
    if all(np.size(v) == 1 for v in values):
        return np.array([float(np.asarray(v).reshape(())) for v in values])
    return values[-1]


def _group_attrs(graph: Graph, key: str, inside: list[str], exits: list[str]) -> dict:
    g = graph.nx
    types = Counter(
        getattr(graph.functions.get(n), "module_type", None) for n in inside
        if g.nodes[n].get("module_path") == key
    )
    types.pop(None, None)
    if types:
        expression = ", ".join(t for t in types)
    else:  # a group of groups (a layer of neurons): name what is inside
        children = Counter(
            (g.nodes[n].get("module_path"),
             getattr(graph.functions.get(n), "module_type", None))
            for n in inside if g.nodes[n].get("module_path")
        )
        kinds = Counter(kind for _, kind in children if kind)
        expression = ", ".join(f"{count}× {kind}" for kind, count in kinds.items())
    ops = sum(1 for n in inside if g.nodes[n].get("kind") != "leaf")
    expression = expression or f"{ops} operations"
    first = g.nodes[exits[-1]]
    value = _stack([g.nodes[n]["value"] for n in exits])
    grads = [g.nodes[n].get("grad") for n in exits]
    if any(x is not None for x in grads) and len(exits) > 1:
        grads = [np.zeros_like(np.asarray(g.nodes[n]["value"], dtype=np.float64))
                 if x is None else x for n, x in zip(exits, grads)]
    return {
        "kind": "output" if graph.output in inside else "module",
        "op": "group", "symbol": None, "grad_fn": None, "expression": expression,
        "shape": tuple(np.shape(value)) if value is not None else first.get("shape"),
        "dtype": first.get("dtype"), "device": first.get("device"), "requires_grad": True,
        "value": value, "grad": _stack(grads), "formulas": (), "order": 0,
        "module_path": key, "constants": {}, "members": tuple(inside), "exits": tuple(exits),
        "ops": ops,
    }


def _fold_steps(graph: Graph, where: dict[str, str], exits: dict[str, list[str]]
                ) -> list[BackwardStep]:
    """The engine's backward events between groups, in its order.

    Events inside a group are folded away. A group's totals are its exits' totals (a vector for
    several scalar exits). A run of sends from one group (say, layer 1 sending to each neuron
    of layer 0) becomes one send per receiving node, their sum, each followed by the new total
    it made: one frame per folded edge, not one per scalar edge.
    """
    seen: dict[str, dict[str, object]] = {}
    out: list[BackwardStep] = []
    run: dict[str, list[BackwardStep]] = {}  # target -> [merged send, last total]
    run_source: str | None = None

    def flush() -> None:
        for pair in run.values():
            out.extend(p for p in pair if p is not None)
        run.clear()

    for step in graph.backward_steps:
        target = where[step.target]
        if step.kind == "send":
            source = where[step.source] if step.source is not None else None
            if source == target:
                continue  # inside one group
            if source == step.source:  # an unfolded node sends: the engine's own step
                flush()
                run_source = None
                out.append(replace(step, target=target) if target != step.target else step)
                continue
            if source != run_source:
                flush()
                run_source = source
            mapped = replace(step, source=source, target=target, local=None)
            if target in run:
                mapped = _merge(run[target][0], mapped)
            run[target] = [mapped, run.get(target, [None, None])[1]]
            continue
        total = _group_total(graph, step, target, exits, seen)
        if total is None:
            continue  # a total inside a group: not what the group shows
        arrived = replace(step, target=target, total=total)
        if run_source is not None and target in run:
            run[target][1] = arrived
        else:
            out.append(arrived)
    flush()
    return _retotal(out)


def _group_total(graph: Graph, step: BackwardStep, target: str, exits: dict[str, list[str]],
                 seen: dict[str, dict[str, object]]) -> object | None:
    """What the node or group ``target`` holds after ``step`` (an accumulate), or None when the
    step is a total inside a group."""
    if target == step.target:
        return step.total
    if step.target not in exits.get(target, ()):
        return None
    held = seen.setdefault(target, {})
    held[step.target] = step.total
    members = exits[target]
    filled = [np.zeros_like(np.asarray(graph.node(n)["value"], dtype=np.float64))
              if held.get(n) is None else held[n] for n in members]
    return np.asarray(_stack(filled))


def _merge(first: BackwardStep, second: BackwardStep) -> BackwardStep:
    """Two sends along one folded edge as one: their contributions added up."""
    count = int(str(first.local or "1").split()[0]) + 1 if first.local else 2
    return replace(first, local=f"{count} gradients added up", upstream=None,
                   contribution=_add(first.contribution, second.contribution))


def _add(a: object, b: object) -> object:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape == b.shape:
        return a + b
    return np.concatenate([a.reshape(-1), b.reshape(-1)])


def _retotal(steps: list[BackwardStep]) -> list[BackwardStep]:
    """Number each group's totals again (1, 2, ...) after sends were merged."""
    counts: Counter[str] = Counter()
    out = []
    for step in steps:
        if step.kind == "accumulate":
            counts[step.target] += 1
            step = replace(step, count=counts[step.target])
        out.append(step)
    return out


# --------------------------------------------------------------------------------------------
# Neighbourhoods
# --------------------------------------------------------------------------------------------


def neighbourhood(graph: Graph | nx.DiGraph, focus: str, depth: int) -> Graph:
    """The nodes at most ``depth`` edges away from ``focus`` (either direction), with their
    edges and the backward events between them. Nodes that have neighbours outside the picture
    get ``clipped=True`` (drawn dashed)."""
    graph = as_graph(graph)
    g = graph.nx
    if focus not in g:
        raise KeyError(f"no node named {focus!r} in the graph; its nodes are "
                       f"{listed(list(g), 12)}")
    near = nx.single_source_shortest_path_length(g.to_undirected(as_view=True), focus, depth)
    keep = [n for n in g if n in near]  # graph order, not distance order: stable layouts
    sub = g.subgraph(keep).copy()
    for node in sub:
        if sub.degree(node) < g.degree(node):
            sub.nodes[node]["clipped"] = True
    kept = set(keep)
    output = graph.output if graph.output in kept else _sink(sub)
    steps, sent = [], False
    for s in graph.backward_steps:  # a send between kept nodes, and the total it makes
        if s.kind == "send":
            sent = s.target in kept and s.source in kept
            if sent:
                steps.append(s)
        elif s.target in kept and sent:
            steps.append(s)
    return Graph(
        sub, output, [n for n in graph.forward_order if n in kept],
        [n for n in keep if n not in set(graph.forward_order)], steps,
        functions={n: f for n, f in graph.functions.items() if n in kept},
        tensors={n: t for n, t in graph.tensors.items() if n in kept},
        note=graph.note,
    )


def _sink(g: nx.DiGraph) -> str:
    sinks = [n for n in g if g.out_degree(n) == 0]
    return sinks[-1] if sinks else next(iter(g))


def node_of(graph: Graph, focus: object) -> str:
    """The node name of ``focus``: a name, or a tensor of the graph (matched by identity)."""
    if isinstance(focus, str):
        return focus
    grad_fn = getattr(focus, "grad_fn", None)
    for name, fn in graph.functions.items():
        if grad_fn is not None and fn is grad_fn:
            return name
    for name, tensor in graph.tensors.items():
        if tensor is focus:
            return name
    raise KeyError(f"that tensor is not in the graph behind {graph.output!r}; pass one of its "
                   f"tensors or a node name such as {listed(graph.leaves, 3)}")


def has_modules(graph: Graph) -> bool:
    return any(a.get("module_path") is not None for _, a in graph.nx.nodes(data=True))


def groups(graph: Graph) -> list[str]:
    """The folded groups of a graph that :func:`fold` made (what a learner can open)."""
    return [n for n, a in graph.nx.nodes(data=True) if a.get("members")]


# --------------------------------------------------------------------------------------------
# What a view does by itself
# --------------------------------------------------------------------------------------------


def reduce(
    graph: Graph | nx.DiGraph,
    group: str | None = None,
    focus: object = None,
    depth: int = 2,
    max_nodes: int | None = MAX_NODES,
    open_groups: Iterable[str] = (),
    fallback: str = "neighbourhood",
    call: str = "ag.viz.draw",
) -> tuple[Graph, str]:
    """The graph a view shows, and a sentence saying what was left out ('' if nothing was).

    ``group="module"`` folds each top-level ``nn.Module`` call (``open_groups`` opens some);
    ``focus`` (a node name or a tensor) and ``depth`` keep a neighbourhood. Above
    ``max_nodes`` nodes the graph is folded by module when modules made it; otherwise
    ``fallback`` decides: ``"neighbourhood"`` (the nodes near the output; what ``draw`` does)
    or ``"columns"`` (bands of columns; what the player does, so that every step of the passes
    is still shown). ``call`` names the function in the advice.
    """
    graph = as_graph(graph)
    total = len(graph)
    opened = set(open_groups)
    notes = []
    if group not in (None, "module"):
        raise ValueError(f"group must be None or 'module', not {group!r}")
    if group == "module" or (
        max_nodes is not None and total > max_nodes and has_modules(graph) and focus is None
    ):
        graph = fold(graph, by_module(graph, opened))
        notes.append(f"{total} nodes: each nn.Module call is one box"
                     + (f" (opened: {', '.join(sorted(opened))})" if opened else "")
                     + f"; open one with {call}(..., open_groups={{'name'}})")
    if focus is not None:
        focus = node_of(graph, focus)
        graph = neighbourhood(graph, focus, depth)
        notes.append(f"{focus!r} and its neighbours up to {depth} steps away "
                     f"({len(graph)} of {total} nodes)")
    if max_nodes is not None and len(graph) > max_nodes:
        if fallback == "columns" and focus is None:
            graph = fold(graph, by_columns(graph, min(12, max(max_nodes // 5, 2)), opened))
            notes.append(
                f"{total} nodes is too many to read one by one: neighbouring columns are folded "
                f"into {len(groups(graph))} boxes (see every node near one with "
                f"{call}(..., focus='name', depth=2), or all with max_nodes=None)"
            )
        else:
            output = graph.output
            k = 1
            while (k < MAX_LAYERS
                   and len(neighbourhood(graph, output, k + 1)) <= max_nodes):
                k += 1
            graph = neighbourhood(graph, output, k)
            notes.append(
                f"{total} nodes is too many to read: showing the {len(graph)} nodes "
                f"within {k} steps of {output!r} (use focus=..., depth=... or group='module')"
            )
    return graph, "; ".join(notes)
