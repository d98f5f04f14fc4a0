"""Trace a real PyTorch tensor into the same :class:`~.trace.Graph` model as autogradlab's own.

``ag.viz.trace(loss)`` hands a ``torch.Tensor`` here (PyTorch is imported only then). The graph
is PyTorch's own: the ``grad_fn`` objects behind ``loss``, linked by ``next_functions``; a leaf is
an ``AccumulateGrad`` node's ``.variable``. Nodes carry PyTorch's names (``MulBackward0``,
``NativeLayerNormBackward0``); parameters are named from ``model.named_parameters()`` when
``model=`` is given, other tensors from the caller's variables, as :func:`~.trace.trace` does.

What each node shows:

* **values**: what ``ag.torch.record()`` saw the operation compute (see
  :mod:`autogradlab.torch_record`); without a recording, the result a ``grad_fn`` saved for
  backward (``tanh``, ``exp``, ``sigmoid`` save theirs), else only the shape. What a node saved
  is listed in its ``saved`` attribute.
* **gradients**: the view runs a backward pass of its own,
  ``torch.autograd.grad(loss, leaves, retain_graph=True)``, with a hook on every node
  (``Node.register_hook``) that reads the gradient each node received and what it sent to each
  input, in PyTorch's order. No ``.grad`` changes. Those become the same "send" and "accumulate"
  :class:`~.trace.BackwardStep` list as autogradlab's engine emits.
* **local derivatives**: where the upstream gradient and the contribution are single numbers,
  ``upstream × local = contribution`` with the local derivative PyTorch's backward gives for an
  upstream of 1; for an elementwise operation, that number per entry; otherwise the
  vector-Jacobian product in words (the shapes, and the gradient it gives).
* operations autogradlab does not have (convolution, attention, layer norm) are nodes like any
  other, named as PyTorch names them, with "PyTorch's derivative" in place of a formula.

If ``backward()`` already freed the graph's saved tensors, no backward pass can be run again:
leaves show the ``.grad`` PyTorch left them, and the graph's ``note`` says how to see more.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .trace import _SKIP_NAMES, BackwardStep, Graph, caller_namespace
from .words import summary

TORCH_DERIVATIVE = "PyTorch's derivative"

#: PyTorch's operation names that autogradlab also has, by autogradlab's name (for ``why``)
_SAME_AS = {
    "Add": "Add", "Sub": "Sub", "Mul": "Mul", "Div": "Div", "Neg": "Neg", "Pow": "Pow",
    "Exp": "Exp", "Log": "Log", "Tanh": "Tanh", "Sigmoid": "Sigmoid", "Relu": "ReLU",
    "Sin": "Sin", "Cos": "Cos", "Abs": "Abs", "Sqrt": "Sqrt", "Sum": "Sum", "Mean": "Mean",
    "Clone": "Clone", "Mm": "MatMul", "Bmm": "MatMul", "Mv": "MatMul", "Dot": "MatMul",
}
#: the local derivative of each input, in words (as autogradlab's own operations write them)
_FORMULAS = {
    "Add": ("d(a+b)/da = 1", "d(a+b)/db = 1"),
    "Sub": ("d(a-b)/da = 1", "d(a-b)/db = -1"),
    "Rsub": ("d(c-a)/da = -1",),
    "Mul": ("d(a*b)/da = b", "d(a*b)/db = a"),
    "Div": ("d(a/b)/da = 1/b", "d(a/b)/db = -a/b**2"),
    "Neg": ("d(-a)/da = -1",),
    "Pow": ("d(a**b)/da = b * a**(b-1)", "d(a**b)/db = a**b * log(a)"),
    "Exp": ("d exp(a)/da = exp(a)",),
    "Log": ("d log(a)/da = 1/a",),
    "Tanh": ("d tanh(a)/da = 1 - tanh(a)**2",),
    "Sigmoid": ("d sigmoid(a)/da = s * (1 - s)",),
    "Relu": ("d relu(a)/da = 1 if a > 0 else 0",),
    "Sin": ("d sin(a)/da = cos(a)",),
    "Cos": ("d cos(a)/da = -sin(a)",),
    "Sqrt": ("d sqrt(a)/da = 1 / (2 sqrt(a))",),
    "Sum": ("d sum(a)/da = 1 for every element",),
    "Mean": ("d mean(a)/da = 1/n for every element",),
    "Mm": ("dL/dA = grad @ B.T", "dL/dB = A.T @ grad"),
    "Addmm": ("dL/dbias = grad summed to its shape", "dL/dA = grad @ B.T", "dL/dB = A.T @ grad"),
}
#: operations whose local derivative is one number per entry (when shapes do not change)
_ELEMENTWISE = {"Add", "Sub", "Rsub", "Mul", "Div", "Neg", "Pow", "Exp", "Log", "Tanh", "Sigmoid",
                "Relu", "Sin", "Cos", "Abs", "Sqrt", "Clone", "Gelu", "LeakyRelu", "Silu"}
_SYMBOLS = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Pow": "**", "Mm": "@", "Bmm": "@"}


def is_torch_tensor(value: Any) -> bool:
    """True for a ``torch.Tensor`` (or ``nn.Parameter``), checked without importing torch."""
    module = type(value).__module__ or ""
    return (module == "torch" or module.startswith("torch.")) and hasattr(value, "grad_fn")


@dataclass(frozen=True)
class TorchNode:
    """What a view may ask of a node's function (``graph.functions``), without holding PyTorch's
    graph alive: its name, its input slots, and the module that made it."""

    grad_fn: str
    needs_grad: tuple[bool, ...]
    sequence_nr: int
    module_path: str | None = None
    module_type: str | None = None
    #: the line of your code that ran it (an ``autograd.SourceLine``), when recorded
    source: Any = None

    def name(self) -> str:
        return self.grad_fn


def _op_name(fn: Any) -> str:
    """``MulBackward0`` -> ``Mul``; ``NativeLayerNormBackward0`` -> ``NativeLayerNorm``."""
    return re.sub(r"Backward\d*$", "", type(fn).__name__) or type(fn).__name__


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _host(tensor: Any) -> np.ndarray | None:
    if tensor is None:
        return None
    array = tensor.detach().to("cpu")
    if array.is_floating_point() and array.dtype not in (_torch().float32, _torch().float64):
        array = array.float()
    return array.numpy().copy()


def _torch() -> Any:
    import torch

    return torch


def _number_or_array(array: np.ndarray | None) -> Any:
    if array is None:
        return None
    return float(array.reshape(())) if array.size == 1 and array.ndim == 0 else array


def _user_names(
    names: Mapping[str, Any] | None,
) -> tuple[dict[int, str], list[Any], list[Any], list[Any]]:
    """``id(tensor or grad_fn)`` -> the caller's variable name; the grad_fn objects read (kept
    alive so their ids stay theirs); the modules found, as (name, module); the tensors found."""
    if names is None:
        names = caller_namespace()
    found: dict[int, str] = {}
    keep: list[Any] = []
    modules: list[Any] = []
    tensors: list[Any] = []
    for name, value in names.items():
        if name in _SKIP_NAMES or name.startswith("_"):
            continue
        if is_torch_tensor(value):
            tensors.append(value)
            fn = value.grad_fn
            if fn is not None:
                keep.append(fn)
                found.setdefault(id(fn), name)
            else:
                found.setdefault(id(value), name)
        elif callable(getattr(value, "named_parameters", None)) and not isinstance(value, type):
            modules.append((name, value))
    return found, keep, modules, tensors


def _walk(root: Any) -> list[Any]:
    """Every node behind ``root`` (each once), by following ``next_functions``."""
    seen: dict[int, Any] = {}
    stack = [root]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen[id(fn)] = fn
        stack.extend(nxt for nxt, _ in fn.next_functions)
    return list(seen.values())


def _is_leaf_node(fn: Any) -> bool:
    return hasattr(fn, "variable")


def _saved(fn: Any) -> dict[str, Any]:
    """What a ``grad_fn`` saved for backward: ``{"self": array, "exponent": 2.0, ...}``."""
    out: dict[str, Any] = {}
    torch = _torch()
    for attr in dir(fn):
        if not attr.startswith("_saved_") or attr.endswith(("_sym_sizes", "_sym_strides")):
            continue
        try:
            value = getattr(fn, attr)
        except RuntimeError:  # freed by a backward pass without retain_graph
            continue
        key = attr[len("_saved_"):]
        if isinstance(value, torch.Tensor):
            out[key] = _number_or_array(_host(value))
        elif isinstance(value, bool | int | float):
            out[key] = value
        elif isinstance(value, tuple | list) and all(isinstance(v, int) for v in value):
            out[key] = tuple(value)
    return out


def _module_names(model: Any, user_modules: list[Any]) -> dict[int, str]:
    """``id(module)`` -> its dotted name in ``model`` (or in a model among the caller's
    variables)."""
    names: dict[int, str] = {}
    candidates = [("", model)] if model is not None else []
    candidates += [("", m) for _, m in user_modules]
    for _, module in candidates:
        named = getattr(module, "named_modules", None)
        if not callable(named):
            continue
        for path, sub in named():
            names.setdefault(id(sub), path)
    return names


def _module_path(modules: tuple[Any, ...], names: dict[int, str]) -> tuple[str | None, str | None]:
    """The innermost module's dotted name (relative to the outermost module that ran), and its
    class name; (None, None) outside any module or directly in the outermost one."""
    if len(modules) < 2:
        return None, None
    root = modules[0]
    inner = modules[-1]
    path = None
    for sub_path, sub in getattr(root, "named_modules", lambda: [])():
        if sub is inner:
            path = sub_path
            break
    if path is None:
        path = names.get(id(inner)) or type(inner).__name__
    return (path or None), type(inner).__name__


def trace(
    output: Any,
    names: Mapping[str, Any] | None = None,
    *,
    model: Any = None,
    params: Mapping[str, Any] | None = None,
    backward: bool = True,
) -> Graph:
    """Read the graph behind the ``torch.Tensor`` ``output`` into a :class:`~.trace.Graph`.

    ``names`` maps variable names to tensors (default: the caller's variables); ``model``
    names parameters by ``model.named_parameters()``; ``params`` (torchviz's argument) maps
    names to tensors. ``backward=False`` skips the view's own backward pass.
    Same attributes as :func:`autogradlab.viz.trace.trace`, plus ``saved`` (what the node's
    ``grad_fn`` saved for backward) and ``sequence_nr`` (PyTorch's creation number).
    """
    torch = _torch()
    from .. import torch_record

    user, keep, user_modules, user_tensors = _user_names(names)
    if model is not None:
        user_modules = [("model", model), *user_modules]
    named_params: dict[int, str] = {}
    if params:
        for name, tensor in params.items():
            named_params.setdefault(id(tensor), name)
    if model is not None:
        for name, tensor in model.named_parameters():
            named_params.setdefault(id(tensor), name)
    for prefix, module in user_modules:
        if module is model:
            continue
        for name, tensor in module.named_parameters():
            named_params.setdefault(id(tensor), f"{prefix}.{name}")
    module_names = _module_names(model, user_modules)

    graph = nx.DiGraph()
    ids: dict[int, str] = {}
    used: set[str] = set()
    next_k: dict[str, int] = {}  # base name -> the last number used (MulBackward0_7)
    tensors: dict[str, Any] = {}
    functions: dict[str, TorchNode] = {}
    taken = set(user.values()) | set(named_params.values())

    def unique(base: str, generated: bool) -> str:
        """``base``, or ``base_2``, ``base_3``...; a generated name never takes a known one."""
        name, k = base, next_k.get(base, 1)
        if k > 1:
            name = f"{base}_{k}"
        while name in used or (generated and name in taken):
            k += 1
            name = f"{base}_{k}"
        next_k[base] = k
        used.add(name)
        return name

    def base_attrs(shape: tuple[int, ...], dtype: Any, device: Any) -> dict[str, Any]:
        return dict(shape=tuple(shape), dtype=str(dtype).replace("torch.", ""),
                    device=str(device), grad=None, constants={}, module_path=None)

    if output.grad_fn is None:
        name = user.get(id(output)) or named_params.get(id(output)) or "output"
        used.add(name)
        graph.add_node(name, kind="output", op=None, symbol=None, grad_fn=None,
                       requires_grad=bool(output.requires_grad),
                       parameter=isinstance(output, torch.nn.Parameter), value=_host(output),
                       formulas=(), order=-1, expression=name, saved={}, sequence_nr=-1,
                       **base_attrs(output.shape, output.dtype, output.device))
        return Graph(graph, name, [], [name], [], tensors={name: output})

    nodes = _walk(output.grad_fn)
    keep.extend(nodes)
    leaves_fn = [fn for fn in nodes if _is_leaf_node(fn)]
    ops = sorted((fn for fn in nodes if not _is_leaf_node(fn)), key=lambda f: f._sequence_nr())
    leaves: list[str] = []
    leaf_count = 0

    def add_leaf(key: int, variable: Any) -> str:
        """A leaf: a tensor you made (``AccumulateGrad.variable``), or one that needs no
        gradient (data, targets) that a recording saw go into an operation."""
        nonlocal leaf_count
        known = named_params.get(id(variable)) or user.get(id(variable))
        if known:
            name = unique(known, False)
        else:
            leaf_count += 1
            name = unique(f"leaf{leaf_count}", True)
        ids[key] = name
        leaves.append(name)
        tensors[name] = variable
        graph.add_node(
            name, kind="leaf", op=None, symbol=None, grad_fn=None,
            requires_grad=bool(variable.requires_grad),
            parameter=isinstance(variable, torch.nn.Parameter), value=_number_or_array(
                _host(variable)),
            formulas=(), order=-1, expression=name, saved={}, sequence_nr=-1,
            **base_attrs(variable.shape, variable.dtype, variable.device),
        )
        return name

    for position, fn in enumerate(ops):
        op = _op_name(fn)
        recorded = torch_record.lookup(fn)
        saved = _saved(fn)
        meta = fn._input_metadata[0] if fn._input_metadata else None
        known = user.get(id(fn))
        name = unique(known, False) if known else unique(type(fn).__name__, True)
        ids[id(fn)] = name
        slots = len(fn.next_functions)
        if recorded is not None:
            value, modules, numbers, constants, source = recorded
            value = _number_or_array(value)
        else:
            value, modules, numbers, constants, source = saved.get("result"), (), {}, {}, None
        inputs: dict[int, str] = {}  # input slot -> leaf, for leaves and constant tensors
        for slot, (nxt, _) in enumerate(fn.next_functions):
            if nxt is not None and _is_leaf_node(nxt):
                inputs[slot] = ids.get(id(nxt)) or add_leaf(id(nxt), nxt.variable)
            elif nxt is None and slot in constants:
                tensor = constants[slot]
                inputs[slot] = ids.get(id(tensor)) or add_leaf(id(tensor), tensor)
        path, module_type = _module_path(modules, module_names)
        formulas = _FORMULAS.get(op, (TORCH_DERIVATIVE,) * slots)
        formulas = tuple(formulas[k] if k < len(formulas) else TORCH_DERIVATIVE
                         for k in range(slots))
        shape = tuple(meta.shape) if meta is not None else tuple(np.shape(value))
        graph.add_node(
            name, kind="op", op=_SAME_AS.get(op, op), symbol=None, grad_fn=type(fn).__name__,
            requires_grad=True, parameter=False, value=value, formulas=formulas, order=position,
            expression=name, saved=saved, sequence_nr=int(fn._sequence_nr()),
            **base_attrs(shape, meta.dtype if meta is not None else "float32",
                         meta.device if meta is not None else "cpu"),
        )
        graph.nodes[name]["module_path"] = path
        functions[name] = TorchNode(
            type(fn).__name__, tuple(nxt is not None for nxt, _ in fn.next_functions),
            int(fn._sequence_nr()), path, module_type, source,
        )
        _link(graph, ids, fn, name, op, saved, numbers, inputs)

    output_name = ids[id(output.grad_fn)]
    graph.nodes[output_name]["kind"] = "output"
    steps: list[BackwardStep] = []
    note = None
    if backward:
        with _quiet([*user_tensors, *tensors.values(), output]):
            steps, note = _backward(torch, output, graph, ids, ops, leaves_fn)
    if not steps and note is not None:
        for name in leaves:  # what backward() left in .grad is all that is known now
            grad = tensors[name].grad
            graph.nodes[name]["grad"] = _number_or_array(_host(grad)) if grad is not None else None
    del keep
    return Graph(graph, output_name, [ids[id(fn)] for fn in ops], leaves, steps, functions,
                 tensors, note=note)


def _link(graph: nx.DiGraph, ids: dict[int, str], fn: Any, name: str, op: str,
          saved: dict[str, Any], numbers: dict[int, Any], inputs: dict[int, str]) -> None:
    """The edges input -> ``name``, the numbers it was given, and its expression."""
    operands: list[str] = []
    complete = True
    for slot, (nxt, output_nr) in enumerate(fn.next_functions):
        if nxt is None and slot not in inputs:
            constant = numbers.get(slot)
            for key in ("other", "exponent") if constant is None and slot == 1 else ():
                saved_value = saved.get(key)
                if saved_value is not None and not isinstance(saved_value, tuple) \
                        and np.size(saved_value) == 1:
                    constant = float(np.asarray(saved_value).reshape(()))
                    break
            if constant is None:
                complete = False
                operands.append("…")
            else:
                graph.nodes[name]["constants"][slot] = constant
                operands.append(repr(constant))
            continue
        source = inputs[slot] if slot in inputs else ids[id(nxt)]
        operands.append(source)
        if graph.has_edge(source, name):
            graph.edges[source, name]["indices"] += (slot,)
        else:
            graph.add_edge(source, name, indices=(slot,), local=None, local_value=None,
                           grad=None, output_nr=int(output_nr))
    if op == "Pow" and len(operands) == 1 and isinstance(saved.get("exponent"), int | float):
        graph.nodes[name]["constants"][1] = saved["exponent"]  # x ** 2: saved, not an input
        operands.append(repr(saved["exponent"]))
    symbol = _SYMBOLS.get(op) if complete and len(operands) == 2 else None
    symbol = symbol or _snake(op)
    graph.nodes[name]["symbol"] = symbol
    if op == "Rsub" and len(operands) == 1:
        constant = numbers.get(1)
        left = repr(constant) if constant is not None else "…"
        graph.nodes[name]["expression"] = f"{left} - {operands[0]}"
    elif len(operands) == 2 and symbol in _SYMBOLS.values():
        graph.nodes[name]["expression"] = f"{operands[0]} {symbol} {operands[1]}"
    else:
        graph.nodes[name]["expression"] = f"{symbol}({', '.join(operands)})"


@contextmanager
def _quiet(tensors: list[Any]) -> Iterator[None]:
    """The view's backward pass leaves your tensors as they were: the hooks you registered on
    them (``t.register_hook``) do not run, and a ``retain_grad()`` tensor keeps its ``.grad``."""
    saved = []
    for tensor in {id(t): t for t in tensors}.values():
        hooks = getattr(tensor, "_backward_hooks", None)
        kept = dict(hooks) if hooks else None
        if kept:
            hooks.clear()
        grad = tensor.grad if not tensor.is_leaf and tensor.retains_grad else None
        saved.append((tensor, kept, grad))
    try:
        yield
    finally:
        for tensor, kept, grad in saved:
            if kept:
                tensor._backward_hooks.update(kept)
            if not tensor.is_leaf and tensor.retains_grad:
                tensor.grad = grad


def _shape_words(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) if shape else "scalar"


def _backward(torch: Any, output: Any, graph: nx.DiGraph, ids: dict[int, str], ops: list[Any],
              leaves_fn: list[Any]) -> tuple[list[BackwardStep], str | None]:
    """The view's own backward pass: hooks on every node, ``torch.autograd.grad`` with
    ``retain_graph=True`` (no ``.grad`` changes), read into backward steps."""
    calls: list[tuple[Any, tuple[Any, ...], tuple[Any, ...]]] = []

    def hook_for(fn: Any) -> Any:
        def hook(grad_inputs: tuple[Any, ...], grad_outputs: tuple[Any, ...]) -> None:
            calls.append((fn, tuple(grad_inputs), tuple(grad_outputs)))
        return hook

    handles = [fn.register_hook(hook_for(fn)) for fn in ops]
    leaves = [fn.variable for fn in leaves_fn]
    seed = torch.ones_like(output)
    try:
        if leaves:
            # a scalar's seed is implicit (passing one makes PyTorch import sympy: seconds)
            torch.autograd.grad([output], leaves, retain_graph=True, allow_unused=True,
                                grad_outputs=None if output.numel() == 1 else [seed])
    except RuntimeError as error:
        if "second time" not in str(error) and "freed" not in str(error):
            raise
        return [], (
            "PyTorch freed this graph's saved values in backward(), so the gradients along its "
            "edges cannot be read again; the leaves show their .grad. To see every gradient, "
            "trace before calling backward(), or call backward(retain_graph=True)."
        )
    finally:
        for handle in handles:
            handle.remove()

    steps: list[BackwardStep] = []
    totals: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    edge_grads: dict[tuple[str, str], Any] = {}
    for fn, grad_inputs, grad_outputs in calls:
        source = ids[id(fn)]
        upstream_t = next((g for g in grad_outputs if g is not None), None)
        upstream = _number_or_array(_host(upstream_t))
        if graph.nodes[source]["grad"] is None:
            graph.nodes[source]["grad"] = upstream
        locals_ = _locals(torch, fn, graph.nodes[source]["op"], grad_inputs, upstream_t)
        for slot, ((nxt, _), contribution_t) in enumerate(zip(fn.next_functions, grad_inputs)):
            if nxt is None or contribution_t is None:
                continue
            target = ids[id(nxt)]
            contribution = _number_or_array(_host(contribution_t))
            local = locals_[slot]
            said = local  # the caption's words; the edge keeps the short "VJP 4×8 → 4×8"
            if isinstance(local, str):
                said = f"{TORCH_DERIVATIVE}: vector-Jacobian product, {local[len('VJP '):]}"
            steps.append(BackwardStep("send", source, target, slot, upstream, said,
                                      contribution, None, 0))
            total = contribution if target not in totals else totals[target] + contribution
            totals[target] = total
            counts[target] = counts.get(target, 0) + 1
            steps.append(BackwardStep("accumulate", None, target, None, None, None, contribution,
                                      total, counts[target]))
            graph.nodes[target]["grad"] = total
            key = (target, source)
            edge_grads[key] = contribution if key not in edge_grads else edge_grads[key] + \
                contribution
            edge = graph.edges[key]
            if isinstance(local, str):
                edge["local"] = local
            elif local is not None:
                previous = edge["local_value"]
                value = local if previous is None else previous + local
                edge["local_value"] = value
                edge["local"] = float(np.asarray(value).reshape(())) if np.size(value) == 1 \
                    else summary(np.asarray(value))
    for key, grad in edge_grads.items():
        graph.edges[key]["grad"] = grad
    graph.nodes[ids[id(output.grad_fn)]]["grad"] = _number_or_array(_host(seed))
    return steps, None


def _locals(torch: Any, fn: Any, op: str, grad_inputs: tuple[Any, ...],
            upstream: Any) -> list[Any]:
    """The local derivative of each input slot: a number (single numbers in and out), an array
    (elementwise operations), or the vector-Jacobian product in words."""
    out: list[Any] = [None] * len(grad_inputs)
    single = upstream is not None and upstream.numel() == 1
    same = upstream is not None and all(
        g is None or tuple(g.shape) == tuple(upstream.shape) for g in grad_inputs)
    elementwise = _op_base(op) in _ELEMENTWISE and same
    ones = None
    if (single and all(g is None or g.numel() == 1 for g in grad_inputs)) or elementwise:
        try:
            with torch.no_grad():
                ones = fn(*[torch.ones(tuple(m.shape), dtype=m.dtype, device=m.device)
                            for m in fn._input_metadata])
            if not isinstance(ones, tuple | list):
                ones = (ones,)
        except Exception:  # a node that cannot be called again: the words below
            ones = None
    for slot, g in enumerate(grad_inputs):
        if g is None:
            continue
        if ones is not None and slot < len(ones) and ones[slot] is not None:
            out[slot] = _number_or_array(_host(ones[slot]))
            if isinstance(out[slot], np.ndarray) and out[slot].size == 1 and single:
                out[slot] = float(out[slot].reshape(()))
        else:
            up = _shape_words(tuple(upstream.shape)) if upstream is not None else "?"
            out[slot] = f"VJP {up} → {_shape_words(tuple(g.shape))}"
    return out


def _op_base(op: str) -> str:
    """autogradlab's name back to PyTorch's (``ReLU`` -> ``Relu``) for the elementwise check."""
    return {"ReLU": "Relu", "MatMul": "Mm"}.get(op, op)


def find_node(graph: Graph, tensor: Any) -> str | None:
    """The node of ``graph`` that the torch tensor ``tensor`` is (None if not a torch tensor)."""
    if not is_torch_tensor(tensor):
        return None
    if tensor.grad_fn is not None:
        number = tensor.grad_fn._sequence_nr()
        for name, fn in graph.functions.items():
            if getattr(fn, "sequence_nr", None) == number:
                return name
    for name, t in graph.tensors.items():
        if t is tensor:
            return name
    raise KeyError(
        f"that tensor is not part of the graph behind {graph.output!r}; pass one of the "
        f"tensors it was computed from, or a node name such as {graph.leaves[:3]}"
    )
