"""Issue 12: a learner's operation written the PyTorch way (``ag.autograd.Function``).

The cell of lesson 10 that defines ``Cube`` is run twice, once with ``ag`` = autogradlab and once
with ``ag`` = torch (the import swapped), and both must print the same numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import autogradlab as ag

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "10_build_your_own_op.ipynb"


def _cube_cell() -> str:
    cells = json.loads(LESSON.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return next(s for s in sources if "class Cube(ag.autograd.Function)" in s)


def _run(library) -> dict:
    namespace = {"ag": library}
    exec(compile(_cube_cell(), "<lesson 10: Cube>", "exec"), namespace)
    return namespace


def test_the_lesson_cell_runs_unchanged_under_torch():
    ours, theirs = _run(ag), _run(torch)
    np.testing.assert_allclose(ours["y"].detach().numpy(), theirs["y"].detach().numpy())
    np.testing.assert_allclose(ours["x"].grad.numpy(), theirs["x"].grad.numpy())
    assert ours["y"].grad_fn.name() == type(theirs["y"].grad_fn).__name__ == "CubeBackward"


def test_a_custom_function_has_second_derivatives():
    namespace = _run(ag)
    cube = namespace["Cube"]
    x = ag.tensor([1.0, -2.0], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad(cube.apply(x).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), [3.0, 12.0])
    np.testing.assert_allclose(h.numpy(), [6.0, -12.0])  # d/dx 3x^2 = 6x


def test_custom_function_errors_say_what_to_return():
    class Wrong(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad  # one too many

    x = ag.ones(2, requires_grad=True)
    with pytest.raises(ag.BackwardError, match="returned 2 gradient"):
        Wrong.apply(x).sum().backward()


def test_hessian_vector_product_matches_torch():
    rng = np.random.default_rng(0)
    w0, v0, X0 = rng.normal(size=3), rng.normal(size=3), rng.normal(size=(5, 3))

    def loss(lib, w, X):
        return (lib.tanh(X @ w) ** 2).sum()

    w = ag.tensor(w0, requires_grad=True)
    (g,) = ag.grad(loss(ag, w, ag.tensor(X0)), w, create_graph=True)
    (hv,) = ag.grad((g * ag.tensor(v0)).sum(), w)
    tw = torch.tensor(w0, requires_grad=True)
    (tg,) = torch.autograd.grad(loss(torch, tw, torch.tensor(X0)), tw, create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v0)).sum(), tw)
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-10)


def test_create_graph_leaves_a_grad_with_history_and_plain_backward_does_not():
    x = ag.tensor(2.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    assert x.grad.grad_fn is not None and x.grad.item() == 12.0
    y = ag.tensor(2.0, requires_grad=True)
    (y**3).backward()
    assert y.grad.grad_fn is None
