"""Lesson 14 (Moving on to PyTorch): the same views on PyTorch's own graphs.

Both exercises need PyTorch; without it the checks say so instead of failing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._check import Wrong, exercise


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


@exercise("build L in PyTorch, trace it with ag.viz.trace(L) and set answer to the gradient "
          "stored in the node 'a' (graph.node('a')['grad']).")
def check_shared_input_grad(answer: Any) -> str:
    missing = _no_torch()
    if missing:
        raise Wrong(missing)
    if type(answer).__module__.split(".")[0] == "torch":
        raise Wrong("that is a PyTorch tensor (a.grad?). The point is to read the gradient from "
                    "the traced graph, without calling backward(): graph.node('a')['grad'].")
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


@exercise("make a small torch.nn model, compute its loss inside `with ag.torch.record():`, and "
          "set answer = ag.viz.trace(loss, model=your_model).")
def check_own_model_graph(answer: Any) -> str:
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


# --------------------------------------------------------------------------------------------
# worked solutions and typical mistakes (tests/test_exercises.py)
# --------------------------------------------------------------------------------------------


def _shared_graph() -> Any:
    import torch

    import autogradlab as ag
    from autogradlab import torch_record

    a, x1, x2, x3, x4 = (torch.tensor(v, requires_grad=True) for v in shared_input_arrays())
    with torch_record.record():
        b = x1 * a
        c = x2 * a
        d = x3 * b + x4 * c
        L = (10 - d).sum()
    return ag.viz.trace(L, {"a": a, "L": L})


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


SOLUTIONS = {
    "shared_input_grad": lambda: _shared_graph().node("a")["grad"],
    "own_model_graph": _own_model_graph,
}

WRONG_ANSWERS = {
    "shared_input_grad": [
        (lambda: -_shared_graph().node("a")["grad"], "sign"),
        (lambda: _shared_graph(), "whole graph"),
        (lambda: np.zeros((5, 5)), "shared_input_arrays"),
    ],
    "own_model_graph": [
        (lambda: _own_model_graph(recorded=False), "ag.torch.record()"),
        (lambda: _own_model_graph(model=False), "model=your_model"),
        (lambda: 0.25, "traced graph"),
    ],
}
