"""Lesson 14 (Moving on to PyTorch): the same views on PyTorch's own graphs.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`). Both need PyTorch;
without it the checks say so instead of failing, and :func:`skip_cells_that_need_torch` turns
each lesson cell that needs PyTorch into one line that says so.
"""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from ._check import Wrong
from ._exercise import Exercise, Mistake, declare


def shared_input_arrays(seed: int = 14) -> list[np.ndarray]:
    """The five 5×5 float32 arrays ``a, x1, x2, x3, x4`` of exercise 1 (seeded)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((5, 5)).astype(np.float32) for _ in range(5)]


def _no_torch() -> str | None:
    try:
        import torch  # noqa: F401
    except ImportError:
        return "this exercise needs PyTorch (pip install \"autogradlab[torch]\")."
    return None


def _torch_memory(answer: Any) -> bool:
    """Whether ``answer`` is a NumPy view of a PyTorch tensor (``t.grad.numpy()``)."""
    base = getattr(answer, "base", None)
    while base is not None:
        if type(base).__module__.split(".")[0] == "torch":
            return True
        base = getattr(base, "base", None)
    return False


def _backward_ran() -> bool:
    """Whether the learner's ``a`` (the PyTorch leaf of exercise 1) holds a ``.grad``."""
    from ..viz.trace import caller_namespace

    a = caller_namespace().get("a")
    return type(a).__module__.split(".")[0] == "torch" and getattr(a, "grad", None) is not None


def _check_shared_input_grad(answer: Any) -> str:
    missing = _no_torch()
    if missing:
        raise Wrong(missing)
    if type(answer).__module__.split(".")[0] == "torch":
        raise Wrong("that is a PyTorch tensor (a.grad?). The point is to read the gradient from "
                    "the traced graph, without calling backward(): graph.node('a')['grad'].")
    if _torch_memory(answer):
        raise Wrong("that array is a PyTorch tensor's memory (a.grad.numpy(), after "
                    "L.backward()?). Read the gradient from the traced graph, without calling "
                    "backward(): graph.node('a')['grad'].")
    if _backward_ran():
        raise Wrong("a.grad is no longer None, so L.backward() ran. This exercise reads the "
                    "gradient from the traced graph, without calling backward(): run the "
                    "exercise cell again (it makes a new a) with graph.node('a')['grad'].")
    if type(answer).__name__ == "Graph":
        raise Wrong("that is the whole graph; the answer is the gradient in its node 'a': "
                    "graph.node('a')['grad'].")
    array = np.asarray(answer, dtype=np.float64)
    a, x1, x2, x3, x4 = (x.astype(np.float64) for x in shared_input_arrays())
    expected = -(x3 * x1 + x4 * x2)
    if array.shape != expected.shape:
        raise Wrong(f"the gradient of a has a's shape (5, 5); yours has shape {array.shape}.")
    if np.allclose(array, -expected, rtol=1e-4, atol=1e-5):
        raise Wrong("the sign is flipped: L = (10 - d).sum() subtracts d, so dL/dd = -1.")
    if np.allclose(array, -(x3 * x1), rtol=1e-4, atol=1e-5) or \
            np.allclose(array, -(x4 * x2), rtol=1e-4, atol=1e-5):
        raise Wrong("that is one path only; a reaches L through b and through c, and the two "
                    "contributions add up.")
    if not np.allclose(array, expected, rtol=1e-4, atol=1e-5):
        raise Wrong("those are not dL/da for the arrays of shared_input_arrays(): use them, in "
                    "the order a, x1, x2, x3, x4, and L = (10 - (x3*b + x4*c)).sum().")
    return ("dL/da = -(x3*x1 + x4*x2), the sum over both paths, read from the view's own "
            "backward pass: a.grad was never touched.")


def _check_own_model_graph(answer: Any) -> str:
    missing = _no_torch()
    if missing:
        raise Wrong(missing)
    from ..viz.trace import Graph

    if not isinstance(answer, Graph):
        raise Wrong(f"the answer is the traced graph, ag.viz.trace(loss, model=...), not "
                    f"{type(answer).__name__}.")
    tensors = list(answer.tensors.values())
    if not tensors or type(tensors[0]).__module__.split(".")[0] != "torch":
        raise Wrong("that graph was not made by PyTorch: build the model with torch.nn.")
    g = answer.nx
    ops = [g.nodes[n]["grad_fn"] for n in answer.forward_order]
    if not any(op and op.startswith(("Tanh", "Relu", "Sigmoid", "Gelu")) for op in ops):
        raise Wrong("the model needs a hidden layer with an activation (nn.Tanh() or "
                    "nn.ReLU() between two nn.Linear layers).")
    if any(g.nodes[n]["value"] is None for n in g):
        raise Wrong("some nodes have no value: compute the loss inside `with "
                    "ag.torch.record():` so the view sees every operation's result.")
    params = [n for n in answer.leaves if g.nodes[n]["parameter"]]
    if len(params) < 4:
        raise Wrong(f"the graph has {len(params)} parameters; two nn.Linear layers have four "
                    f"(a weight and a bias each).")
    if not any(n.endswith("weight") for n in params):
        raise Wrong(f"the parameters are called {params[:4]}: pass model=your_model to "
                    f"ag.viz.trace so they get their names from named_parameters().")
    if not answer.backward_steps:
        raise Wrong("the graph has no gradients: trace the loss before calling "
                    "loss.backward() (which frees PyTorch's saved values).")
    for name in params:
        total = sum(np.asarray(g.edges[name, t]["grad"], dtype=np.float64)
                    for t in g.successors(name))
        if not np.allclose(total, np.asarray(g.nodes[name]["grad"], dtype=np.float64),
                           rtol=1e-4, atol=1e-6):
            raise Wrong(f"the gradients of {name} do not add up; trace the loss once, "
                        f"after recording it.")
    return (f"your model's graph: {len(g)} nodes, parameters {', '.join(params[:4])}, "
            f"{sum(1 for s in answer.backward_steps if s.kind == 'send')} gradients sent "
            f"along its edges.")


# -- lessons without PyTorch -----------------------------------------------------------------

SKIPPED = 'skipped: this cell needs PyTorch (pip install "autogradlab[torch]").'


class _Skipper:
    """An IPython input transformer: a cell that uses ``torch``, or a name that only a skipped
    cell defines, becomes ``print(SKIPPED)``; a cell that imports torch itself (a PyTorch twin,
    which says in one line that PyTorch is missing) and a cell of plain autogradlab code run."""

    def __init__(self) -> None:
        self.missing: set[str] = set()  # names that skipped cells would have defined

    def needs_torch(self, source: str) -> bool:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            return False
        imports_torch = any(alias.name.split(".")[0] == "torch"
                            for node in ast.walk(tree) if isinstance(node, ast.Import)
                            for alias in node.names)
        stored = {node.id for node in ast.walk(tree)
                  if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)}
        stored |= {node.name for node in ast.walk(tree)
                   if isinstance(node, ast.FunctionDef | ast.ClassDef)}
        stored |= {(alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                   if isinstance(node, ast.Import | ast.ImportFrom) for alias in node.names}
        loaded = {node.id for node in ast.walk(tree)
                  if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        if imports_torch:
            return False
        skip = "torch" in loaded or bool((loaded - stored) & self.missing)
        if skip:
            self.missing |= stored
        else:
            self.missing -= stored
        return skip

    def __call__(self, lines: list[str]) -> list[str]:
        if self.needs_torch("".join(lines)):
            return [f"print({SKIPPED!r})\n"]
        return lines


def skip_cells_that_need_torch() -> None:
    """Where PyTorch is missing: from now on, each cell of this notebook that needs it prints
    one line saying so instead of failing (nothing happens outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    transformers = shell.input_transformers_cleanup
    if not any(isinstance(t, _Skipper) for t in transformers):
        transformers.append(_Skipper())


# -- the exercises -------------------------------------------------------------------------------

SHARED_INPUTS = """
import torch
from autogradlab.exercises.lesson14 import shared_input_arrays

a, x1, x2, x3, x4 = (torch.tensor(v, requires_grad=True) for v in shared_input_arrays())
"""

_RECORD_L = """
with ag.torch.record():
    b = x1 * a
    c = x2 * a
    d = x3 * b + x4 * c
    L = (10 - d).sum()
"""


def _own_model_graph(recorded: bool = True, model: bool = True) -> Any:
    import contextlib

    import torch

    import autogradlab as ag
    from autogradlab import torch_record

    torch.manual_seed(1)
    mine = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1))
    data, target = torch.randn(8, 3), torch.randn(8, 1)
    with torch_record.record() if recorded else contextlib.nullcontext():
        loss = ((mine(data) - target) ** 2).mean()
    return ag.viz.trace(loss, {"loss": loss}, model=mine if model else None)


EXERCISES = declare(
    Exercise(
        name="shared_input_grad",
        hint="build L in PyTorch inside `with ag.torch.record():`, trace it with "
             "ag.viz.trace(L) and set answer to the gradient stored in the node 'a' "
             "(graph.node('a')['grad']).",
        check=_check_shared_input_grad,
        setup=SHARED_INPUTS,
        explanation="Record the forward pass, trace it, and read the gradient the view's own "
                    "backward pass found; `a.grad` stays `None`:",
        solution=_RECORD_L + """
shared = ag.viz.trace(L)
answer = shared.node("a")["grad"]
print("a.grad is", a.grad)
""",
        mistakes=[
            Mistake(_RECORD_L + 'answer = -ag.viz.trace(L).node("a")["grad"]', says="sign"),
            Mistake(_RECORD_L + "answer = ag.viz.trace(L)", says="whole graph"),
            Mistake("answer = np.zeros((5, 5))", says="shared_input_arrays"),
            Mistake(_RECORD_L + "L.backward()\nanswer = a.grad", says="without calling backward()"),
            Mistake(_RECORD_L + "L.backward()\nanswer = a.grad.numpy()",
                    says="without calling backward()"),
        ],
    ),
    Exercise(
        name="own_model_graph",
        hint="make a small torch.nn model, compute its loss inside `with ag.torch.record():`, "
             "and set answer = ag.viz.trace(loss, model=your_model).",
        check=_check_own_model_graph,
        setup="import torch",
        explanation="Two `nn.Linear` layers with a ReLU between them, a squared error on random "
                    "data, recorded and traced with `model=` so the parameters keep their names:",
        solution="""
torch.manual_seed(1)
mine = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1))
data, target = torch.randn(8, 3), torch.randn(8, 1)
with ag.torch.record():
    my_loss = ((mine(data) - target) ** 2).mean()

answer = ag.viz.trace(my_loss, model=mine)
""",
        mistakes=[
            Mistake(lambda: _own_model_graph(recorded=False), says="ag.torch.record()"),
            Mistake(lambda: _own_model_graph(model=False), says="model=your_model"),
            Mistake("answer = 0.25", says="traced graph"),
        ],
    ),
    into=globals(),
)
