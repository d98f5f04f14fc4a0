"""What each frame of an animation shows: the forward and backward pass as a list of steps.

A :class:`Step` is plain data (no matplotlib, no widgets): which nodes become known, which
gradients arrive, what to highlight and what to say. :func:`build_steps` makes them from a traced
:class:`~autogradlab.viz.Graph`:

* **start**: the leaves hold their values; the operations are still to run.
* **forward**: one step per operation, in the order the engine created them
  (``graph.forward_order``), showing the value each one computed.
* **seed**: the backward pass begins at the output, with d(output)/d(output) = 1.
* **backward**: one step per gradient the engine sent along an edge, in the engine's own order
  (``graph.backward_steps``): the engine's "send" event and the "accumulate" event that follows
  it become one picture, with ``upstream x local = contribution`` on the edge and the running sum
  at the node that receives it.
* **done**: every leaf's gradient.

Nothing here recomputes a gradient: every number comes from the engine's recorded events, and
every number and name is written by :mod:`autogradlab.viz.words`. The player folds big graphs
before it makes steps (:mod:`autogradlab.viz.transforms`); a graph still bigger than
``max_nodes``, or a folded one whose backward pass sends more gradients than a few dozen frames
can show, gets grouped steps (one per group of nodes), and their captions say so.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from ..viz import words
from ..viz.trace import BackwardStep, Graph
from ..viz.words import MAX_GROUPS, MAX_NODES, shape_text

Edge = tuple[str, str]  # (input, operation): the direction the forward pass goes
T = TypeVar("T")


@dataclass(frozen=True)
class Step:
    """One frame of the animation.

    ``reveal``, ``grads`` and ``done_edges`` change the picture from this step on (a node's
    value appears, a node's gradient label changes, an edge is marked as used). ``focus``,
    ``focus_edges``, ``edge_label`` and ``note`` are highlights for this frame only.
    ``events`` are the engine's backward events that this step replays.
    """

    kind: str  # "start", "forward", "seed", "backward" or "done"
    title: str  # a few words drawn on the frame, e.g. "step 5 of 12"
    caption: str  # what happens, in a sentence or two (plain text)
    reveal: tuple[str, ...] = ()
    grads: dict[str, str] = field(default_factory=dict)
    done_edges: tuple[Edge, ...] = ()
    focus: tuple[str, ...] = ()
    focus_edges: tuple[Edge, ...] = ()
    edge_label: str = ""
    note: str = ""
    events: tuple[BackwardStep, ...] = ()
    grouped: bool = False
    #: the arrays behind ``grads`` (node -> the gradient it now holds), for heatmaps
    grad_values: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def phase(self) -> str:
        """``"forward"`` or ``"backward"``: which pass this frame belongs to."""
        return "forward" if self.kind in ("start", "forward") else "backward"


# --------------------------------------------------------------------------------------------
# the words for one node (every number and name is written by ``viz.words``)
# --------------------------------------------------------------------------------------------

num = words.number
short = words.summary
is_number = words.is_number


def operands(graph: Graph, node: str) -> list[str | float]:
    """The inputs of ``node`` by slot: node names, or the plain numbers it was given."""
    slots: dict[int, str | float] = dict(graph.node(node)["constants"])
    for source in graph.nx.predecessors(node):
        for slot in graph.edge(source, node)["indices"]:
            slots[slot] = source
    return [slots[k] for k in sorted(slots)]


def _combine(symbol: str, parts: list[str]) -> str:
    """Write an operation the way trace() does: ``x1 * a``, ``exp(d)``, ``10 - (-0.5)``."""
    if len(parts) == 2 and not symbol.replace("_", "").isalpha() and symbol != "[]":
        left, right = (f"({p})" if p.startswith("-") else p for p in parts)
        return f"{left} {symbol} {right}"
    return f"{symbol}({', '.join(parts)})"


def with_numbers(graph: Graph, node: str) -> str:
    """``x1 * a`` with the numbers put in, ``2 * 3``, when every input is a number; else ''."""
    parts = []
    for item in operands(graph, node):
        if isinstance(item, str):
            value = graph.node(item)["value"]
            if not is_number(value):
                return ""
            parts.append(num(np.asarray(value).reshape(())))
        else:
            parts.append(num(item) if isinstance(item, int | float) else repr(item))
    return _combine(graph.node(node)["symbol"] or "?", parts)


def title(graph: Graph, node: str) -> str:
    """The first line of a node's box: ``b = x1 * a`` for an operation, ``a`` for a leaf."""
    return words.title(node, graph.node(node))


def value_text(graph: Graph, node: str) -> str:
    """A node's value line, as every box writes it: ``value 3.0`` or ``value 5×5, min ...``."""
    return words.value_line(graph.node(node)["value"])


def grad_text(graph: Graph, node: str, total: Any) -> str:
    """The third line of a node's box: ``∂L/∂a = 0.2``, or ``∂L/∂a: 5×5, min ...``."""
    return words.grad_text(graph.output, node, total)


# --------------------------------------------------------------------------------------------
# building the steps
# --------------------------------------------------------------------------------------------


def build_steps(
    graph: Graph, max_nodes: int = MAX_NODES, max_groups: int = MAX_GROUPS
) -> list[Step]:
    """The frames of ``graph``'s animation: node by node, or grouped for large graphs."""
    grouped = len(graph) > max_nodes
    steps = [_start(graph)]
    if grouped:
        steps += _forward_groups(graph, max_nodes, max_groups)
    else:
        total = len(graph.forward_order)
        steps += [_forward(graph, node, k, total) for k, node in enumerate(graph.forward_order, 1)]
    if not graph.has_backward:
        if graph.forward_order:  # no gradients to show: say why (the engine's note, if any)
            why = f" {graph.note}" if graph.note else _NO_BACKWARD.format(graph.output)
            steps[-1] = replace(steps[-1], caption=steps[-1].caption + why)
        return steps
    steps.append(_seed(graph))
    pairs = _pair_events(graph.backward_steps)
    if grouped:
        steps += _backward_groups(graph, pairs, max_nodes, max_groups)
    elif len(pairs) > 4 * max_groups:  # a folded graph can still send hundreds of gradients
        why = (f" (Grouped: the backward pass sends {len(pairs)} gradients here, too many to "
               f"show one by one, so each step shows what one group sends.)")
        steps += _backward_groups(graph, pairs, max_nodes, max_groups, why)
    else:
        steps += _backward(graph, pairs)
    steps.append(_done(graph))
    if graph.note:  # the gradients are not this output's own: say so wherever they show
        steps = [replace(s, caption=f"{s.caption} ({graph.note})") if s.phase == "backward"
                 else s for s in steps]
    return steps


_NO_BACKWARD = (
    " No backward pass has run yet: call {0}.backward() and animate again to watch the "
    "gradients flow back."
)


def _start(graph: Graph) -> Step:
    leaves = graph.leaves
    ops = len(graph.forward_order)
    out = graph.output
    if ops == 0 and not graph.node(out).get("requires_grad", True):
        return Step(
            "start", f"{out} does not require grad: no graph",
            f"{out} has requires_grad=False, so the engine recorded no operation behind it: "
            f"either you made it yourself, or it was computed from tensors none of which "
            f"requires grad (the engine only builds a graph for tensors that need gradients). "
            f"To see the graph, make an input with requires_grad=True, e.g. "
            f"x = ag.tensor(3.0, requires_grad=True), and compute {out} from it again.",
            reveal=tuple(leaves),
        )
    if ops == 0:
        return Step(
            "start", f"{out} is a leaf",
            f"{out} is a leaf tensor that you made yourself (requires_grad=True): no operation "
            f"made it, so there is no graph to animate.", reveal=tuple(leaves),
        )
    caption = (
        f"The forward pass starts from the leaves ({words.listed(leaves)}): tensors you made "
        f"yourself, "
        f"holding the inputs. The dashed boxes are the {ops} operations still to run, in the "
        f"order your code runs them."
    )
    return Step(
        "start", f"{len(leaves)} leaves, {ops} operations to run", caption,
        reveal=tuple(leaves),
    )


def _in_edges(graph: Graph, nodes: Sequence[str]) -> tuple[Edge, ...]:
    return tuple((source, node) for node in nodes for source in graph.nx.predecessors(node))


def _forward(graph: Graph, node: str, k: int, total: int) -> Step:
    data = graph.node(node)
    value = data["value"]
    if data["op"] == "group":  # a folded box: its operations ran together
        caption = (f"Forward step {k} of {total}: {node} ({data['expression']} folded into one "
                   f"box) = {short(value)}.")
    else:
        numbers = with_numbers(graph, node)
        computed = f" = {numbers}" if numbers and numbers != data["expression"] else ""
        caption = (
            f"Forward step {k} of {total}: {node} = {data['expression']}{computed} = "
            f"{short(value)} ({data['op']}; backward will use {data['grad_fn']})."
        )
    if node == graph.output:
        caption += f" This is the output {node}: the forward pass is done."
    return Step(
        "forward", f"step {k} of {total}: {title(graph, node)}", caption,
        reveal=(node,), done_edges=_in_edges(graph, [node]), focus=(node,),
        focus_edges=_in_edges(graph, [node]),
    )


def _seed(graph: Graph) -> Step:
    out = graph.output
    seed = graph.node(out)["grad"]
    if seed is None:
        seed = np.ones(graph.node(out)["shape"])
    caption = (
        f"The backward pass starts at the output: ∂{out}/∂{out} = {short(seed)}. From here "
        f"each operation passes the gradient it received to its inputs, multiplied by its local "
        f"derivative (the chain rule), in reverse order of creation."
    )
    return Step(
        "seed", f"start at {out}: ∂{out}/∂{out} = {short(seed)}", caption,
        grads={out: grad_text(graph, out, seed)}, focus=(out,), grad_values={out: seed},
    )


def _pair_events(events: Sequence[BackwardStep]) -> list[tuple[BackwardStep, ...]]:
    """Each "send" with the "accumulate" right after it (the engine emits them together)."""
    pairs: list[tuple[BackwardStep, ...]] = []
    k = 0
    while k < len(events):
        event = events[k]
        following = events[k + 1] if k + 1 < len(events) else None
        if (
            event.kind == "send" and following is not None
            and following.kind == "accumulate" and following.target == event.target
        ):
            pairs.append((event, following))
            k += 2
        else:
            pairs.append((event,))
            k += 1
    return pairs


def _sent(pair: tuple[BackwardStep, ...]) -> BackwardStep | None:
    return next((e for e in pair if e.kind == "send"), None)


def _arrived(pair: tuple[BackwardStep, ...]) -> BackwardStep | None:
    return next((e for e in pair if e.kind == "accumulate"), None)


def arithmetic(send: BackwardStep) -> tuple[str, str]:
    """``upstream × local = contribution`` for one send: (short label, words for the caption)."""
    up, local, out = send.upstream, send.local, send.contribution
    source, target = send.source, send.target
    if any(words.is_summary(v) for v in (up, local, out)):  # only summaries were kept
        return (
            f"→ {short(out)}",
            f"{source} sends {target} the gradient {short(out)} (upstream {short(up)} times "
            f"the local derivative {words.local_text(local)}, entry by entry)",
        )
    if isinstance(local, str) and up is None:  # sends along one folded edge, added up
        return f"→ {short(out)}", f"{source} sends {short(out)} to {target} ({local})"
    if isinstance(local, str):  # the rule in words, e.g. "d sum(a)/da = 1 for every element"
        return (
            f"→ {short(out)}",
            f"{source} passes its gradient {short(up)} through its backward rule ({local}) and "
            f"sends {short(out)} to {target}",
        )
    if local is None:  # a folded box: its own operations' local derivatives, one after another
        return (
            f"→ {short(out)}",
            f"{source} passes its gradient {short(up)} back through the operations inside it "
            f"and sends {short(out)} to {target}",
        )
    if is_number(up) and is_number(local) and is_number(out):
        u, d, c = (num(np.asarray(v).reshape(())) for v in (up, local, out))
        return (
            f"{u} × {d} = {c}",
            f"{source} sends ∂L/∂{source} × ∂{source}/∂{target} = {u} × {d} = {c} to {target}",
        )
    product_shape = tuple(np.broadcast_shapes(np.shape(up), np.shape(local)))
    if np.size(out) == 0:
        return (
            "empty",
            f"{source} sends an empty gradient ({shape_text(np.shape(out))}: no entries) to "
            f"{target}",
        )
    if product_shape != tuple(np.shape(out)):  # broadcasting in the forward pass: summed back
        return (
            f"⊙, summed → {short(out)}",
            f"{source} sends ∂L/∂{source} ⊙ ∂{source}/∂{target} (elementwise) = {short(up)} ⊙ "
            f"{short(local)}, summed over the broadcast dimensions to {target}'s shape "
            f"{shape_text(np.shape(out))}: {short(out)}, to {target}",
        )
    first = (0,) * len(product_shape)  # one entry shows the arithmetic; all entries do the same
    u, d, c = (num(np.broadcast_to(v, product_shape)[first]) for v in (up, local, out))
    where = ", ".join("0" for _ in first)
    return (
        f"[{where}]: {u} × {d} = {c}",
        f"{source} sends ∂L/∂{source} ⊙ ∂{source}/∂{target} to {target}, one product per "
        f"entry; entry [{where}]: {u} × {d} = {c}; all {np.size(out)} entries: {short(out)}",
    )


def running_sum(parts: Sequence[Any], total: Any) -> str:
    """``0.07 + 0.13 = 0.2``: the contributions a node has received so far, and their sum.

    Tensors are added entry by entry; the text then gives the sum's shape and statistics.
    """
    if not is_number(total):
        return f"{len(parts)} tensors added entry by entry = {short(total)}"
    shown = [short(p) for p in parts]
    if len(shown) > 4:
        shown = shown[:2] + ["…"] + shown[-1:]
    return f"{' + '.join(shown)} = {short(total)}"


def _backward(graph: Graph, pairs: list[tuple[BackwardStep, ...]]) -> list[Step]:
    out = graph.output
    expected: dict[str, int] = {}
    for pair in pairs:
        send = _sent(pair)
        if send is not None:
            expected[send.target] = expected.get(send.target, 0) + 1
    received: dict[str, list[Any]] = {}
    steps = []
    for k, pair in enumerate(pairs, 1):
        send, arrived = _sent(pair), _arrived(pair)
        target = (send or arrived).target  # type: ignore[union-attr]
        head = f"Backward step {k} of {len(pairs)}: "
        label, text = arithmetic(send) if send is not None else ("", "")
        text = text.replace("∂L/", f"∂{out}/")
        note = ""
        grads: dict[str, str] = {}
        edges: tuple[Edge, ...] = ()
        if send is not None:
            edges = ((send.target, send.source),)  # graph edges point input -> operation
            slots = graph.edge(send.target, send.source)["indices"]
            if len(slots) > 1:
                text += f" (as its input {send.index}: {send.source} uses {target} twice)"
        if arrived is not None:
            parts = received.setdefault(target, [])
            parts.append(arrived.contribution)
            grads[target] = grad_text(graph, target, arrived.total)
            if arrived.count > 1:
                note = f"{target}: {running_sum(parts, arrived.total)} ({arrived.count} edges)"
                text += (
                    f". {target} has now received {arrived.count} gradients, and they add up: "
                    f"∂{out}/∂{target} = {running_sum(parts, arrived.total)}"
                )
            else:
                text += f". ∂{out}/∂{target} = {short(arrived.total)}"
            still = expected[target] - arrived.count
            if still > 0:
                text += (
                    f" so far ({still} more to come: {target} is used {expected[target]} times)"
                )
            elif graph.node(target)["op"] is None:
                text += f", complete: this is what {target}.grad receives"
        steps.append(
            Step(
                "backward", f"step {k} of {len(pairs)}: {label}" if label else f"step {k}",
                head + text + ".", grads=grads, done_edges=edges, focus=(target,),
                focus_edges=edges, edge_label=label, note=note, events=pair,
                grad_values={arrived.target: arrived.total} if arrived is not None else {},
            )
        )
    return steps


def _done(graph: Graph) -> Step:
    out = graph.output
    leaves = [n for n in graph.leaves if graph.node(n)["grad"] is not None]
    listed = "; ".join(f"{n}.grad = {short(graph.node(n)['grad'])}" for n in leaves[:8])
    more = f" (and {len(leaves) - 8} more leaves)" if len(leaves) > 8 else ""
    caption = (
        f"Backpropagation is done: every leaf that requires grad now holds ∂{out}/∂leaf: "
        f"{listed}{more}."
    )
    return Step("done", "done: the leaves hold their gradients", caption, focus=tuple(leaves))


# --------------------------------------------------------------------------------------------
# grouped steps, for graphs too large to show one node at a time
# --------------------------------------------------------------------------------------------


def group_key(graph: Graph) -> tuple[str, Callable[[str], Hashable]]:
    """How to group a large graph's nodes: by ``nn.Module`` when modules made them, else by
    the column (layer) they are drawn in. Returns (a word for the caption, node -> group)."""
    if any(graph.node(n)["module_path"] for n in graph.forward_order):
        return "module", lambda n: graph.node(n)["module_path"] or "(outside any module)"
    from ..viz.layout import layer_numbers

    layer = layer_numbers(graph)
    return "layer", lambda n: layer[n]


def chunk(items: Sequence[T], key: Callable[[T], Hashable], limit: int) -> list[list[T]]:
    """Split ``items`` (keeping their order) into runs with the same key, then merge the
    smallest neighbouring runs until there are at most ``limit``."""
    runs: list[list[T]] = []
    for item in items:
        if runs and key(runs[-1][-1]) == key(item):
            runs[-1].append(item)
        else:
            runs.append([item])
    while len(runs) > limit:
        k = min(range(len(runs) - 1), key=lambda i: len(runs[i]) + len(runs[i + 1]))
        runs[k : k + 2] = [runs[k] + runs[k + 1]]
    return runs


def _names(keys: list[Hashable], word: str) -> str:
    unique = list(dict.fromkeys(keys))
    if word == "layer":
        first, last = unique[0], unique[-1]
        return f"column {first}" if first == last else f"columns {first}–{last}"
    shown = ", ".join(str(k) for k in unique[:3]) + (" …" if len(unique) > 3 else "")
    return f"module {shown}" if len(unique) == 1 else f"modules {shown}"


def _why_grouped(graph: Graph, max_nodes: int, word: str) -> str:
    return (
        f" (Grouped: this graph has {len(graph)} nodes, more than {max_nodes}, so each step "
        f"shows a whole {word} at once.)"
    )


def _forward_groups(graph: Graph, max_nodes: int, max_groups: int) -> list[Step]:
    word, key = group_key(graph)
    groups = chunk(graph.forward_order, key, max_groups)
    why = _why_grouped(graph, max_nodes, word)
    steps = []
    for k, nodes in enumerate(groups, 1):
        where = _names([key(n) for n in nodes], word)
        listed = ", ".join(nodes[:4]) + (" …" if len(nodes) > 4 else "")
        caption = (
            f"Forward step {k} of {len(groups)}: {len(nodes)} operation"
            f"{'s run' if len(nodes) > 1 else ' runs'} in {where} ({listed}).{why}"
        )
        steps.append(
            Step(
                "forward", f"step {k} of {len(groups)}: {where}", caption,
                reveal=tuple(nodes), done_edges=_in_edges(graph, nodes), focus=tuple(nodes),
                focus_edges=_in_edges(graph, nodes), grouped=True,
            )
        )
    return steps


def _backward_groups(
    graph: Graph, pairs: list[tuple[BackwardStep, ...]], max_nodes: int, max_groups: int,
    why: str | None = None,
) -> list[Step]:
    word, key = group_key(graph)

    def source_group(pair: tuple[BackwardStep, ...]) -> Hashable:
        send = _sent(pair)
        return key(send.source) if send is not None and send.source else None

    groups = chunk(pairs, source_group, max_groups)
    why = why or _why_grouped(graph, max_nodes, word)
    steps = []
    for k, group in enumerate(groups, 1):
        sends = [s for s in (_sent(p) for p in group) if s is not None]
        arrivals = [a for a in (_arrived(p) for p in group) if a is not None]
        grads = {a.target: grad_text(graph, a.target, a.total) for a in arrivals}
        edges = tuple(dict.fromkeys((s.target, s.source) for s in sends))
        where = _names([key(s.source) for s in sends if s.source], word) if sends else "—"
        examples = "; ".join(grads[t] for t in list(grads)[:3])
        caption = (
            f"Backward step {k} of {len(groups)}: from {where}, {len(sends)} gradient"
            f"{'s go' if len(sends) != 1 else ' goes'} back to {len(grads)} node"
            f"{'s' if len(grads) != 1 else ''} ({examples}{' …' if len(grads) > 3 else ''}).{why}"
        )
        steps.append(
            Step(
                "backward", f"step {k} of {len(groups)}: {where}", caption, grads=grads,
                done_edges=edges, focus=tuple(grads), focus_edges=edges,
                events=tuple(e for p in group for e in p), grouped=True,
                grad_values={a.target: a.total for a in arrivals},
            )
        )
    return steps
