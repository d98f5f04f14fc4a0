"""A representative op + broadcasting + gradient suite that runs on any array namespace.

``run_suite(make)`` builds every input with ``make(numpy_array)`` (which puts it on a device or in
a namespace), runs each program, backpropagates, and returns host (NumPy) copies of the values
and gradients, so results from NumPy, array-api-strict and CuPy can be compared number by number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autogradlab as ag
import autogradlab.functions as AF
from autogradlab import backend

_rng = np.random.default_rng(77)


def _r(*shape: int) -> np.ndarray:
    return _rng.standard_normal(shape)


def _pos(*shape: int) -> np.ndarray:
    return _rng.uniform(0.5, 2.0, shape)


# name -> (program, inputs); a program gets the tensors and returns one tensor
PROGRAMS: dict[str, tuple[Callable[..., Any], tuple[np.ndarray, ...]]] = {
    "add-broadcast": (lambda a, b: a + b, (_r(3, 1), _r(1, 4))),
    "sub-broadcast-3d": (lambda a, b: a - b, (_r(2, 1, 3), _r(4, 1))),
    "mul-broadcast": (lambda a, b: a * b, (_r(2, 3, 4), _r(4))),
    "div": (lambda a, b: a / b, (_r(3, 4), _pos(3, 4))),
    "scalar-tensor": (lambda a, b: a + b, (_r(5, 5), np.array(0.5))),
    "numbers-both-sides": (lambda d: (10 - d) * 2 + 1 / (d * d + 1) - d / 4, (_r(5, 5),)),
    "neg-pow": (lambda a: -(a**2) + a**3, (_r(4),)),
    "pow-tensor": (lambda a, b: a**b, (_pos(3), _r(3))),
    "rpow": (lambda a: 2**a, (_r(3),)),
    "exp-log": (lambda a: (a.exp() + 1).log(), (_r(3, 2),)),
    "tanh-sigmoid-relu": (lambda a: a.tanh() + a.sigmoid() * a.relu(), (_r(6),)),
    "sigmoid-large": (lambda a: a.sigmoid(), (np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0]),)),
    "matmul-2d": (lambda a, b: a @ b, (_r(3, 4), _r(4, 2))),
    "matmul-1d-1d": (lambda a, b: a @ b, (_r(4), _r(4))),
    "matmul-1d-2d": (lambda a, b: a @ b, (_r(4), _r(4, 3))),
    "matmul-2d-1d": (lambda a, b: a @ b, (_r(3, 4), _r(4))),
    "matmul-batched": (lambda a, b: a @ b, (_r(2, 1, 3, 4), _r(5, 4, 2))),
    "sum-dims": (lambda a: a.sum() + a.sum(dim=0).sum() + a.sum(dim=(0, 2), keepdim=True).sum(),
                 (_r(2, 3, 4),)),
    "mean-dims": (lambda a: a.mean(dim=1) * a.mean(), (_r(3, 4),)),
    "max": (lambda a: a.max() + a.max(dim=1).values.sum(), (_r(3, 4),)),
    "reshape-transpose": (lambda a: a.reshape(4, 3).T @ a.permute(1, 0) + (a.t().T * a).sum(),
                          (_r(3, 4),)),
    "index-basic": (lambda a: a[1] * a[-1, :] + a[:, 0:1].sum(), (_r(3, 4),)),
    "index-repeated": (lambda a: a[[0, 0, 2], [1, 1, 3]] * 2, (_r(3, 4),)),
    "index-repeated-1d": (lambda a: a[[0, 0, 2]] * a[-1], (_r(3),)),
    "softmax": (lambda a: ag.softmax(a, 1) * ag.log_softmax(a, 0), (_r(3, 5),)),
    "softmax-large": (lambda a: ag.log_softmax(a, 1), (np.array([[1000.0, 1001.0, 999.0]]),)),
    "linear": (lambda x, w, b: AF.Linear.apply(x, w, b).tanh(), (_r(4, 3), _r(2, 3), _r(2))),
    "node-used-twice": (lambda a: (lambda b: (b + b) * b)(a * a), (_r(3),)),
    "clone": (lambda a: a.clone() * a, (_r(3),)),
    # class indices in the logits' own namespace: the classes a predicts (argmax) or not (argmin)
    "cross-entropy": (lambda a: ag.nn.functional.cross_entropy(a, a.detach().argmax(dim=1)),
                      (_r(4, 5),)),
    "nll-loss-none": (lambda a: ag.nn.functional.nll_loss(
        ag.log_softmax(a, 1), a.detach().argmin(dim=1), reduction="none"), (_r(4, 5),)),
    "nll-loss-sum": (lambda a: ag.nn.functional.nll_loss(
        ag.log_softmax(a, 1), a.detach().argmin(dim=1), reduction="sum"), (_r(3, 2),)),
}


def run_program(name: str, make: Callable[[np.ndarray], ag.Tensor]) -> dict[str, Any]:
    """Values and gradients (as NumPy arrays) of one program, with inputs made by ``make``."""
    program, arrays = PROGRAMS[name]
    inputs = [make(a) for a in arrays]
    out = program(*inputs)
    upstream = np.random.default_rng(3).standard_normal(tuple(out.shape))
    seed = ag.tensor(upstream, dtype=out.dtype)
    if out.device != seed.device or backend.namespace_of(out.data) is not backend.namespace_of(
        seed.data
    ):
        seed = make(upstream).detach()
    out.backward(gradient=seed)
    return {
        "value": backend.host_copy(out.data),
        "grads": [backend.host_copy(x.grad.data) for x in inputs],
        "namespaces": {backend.namespace_of(x.grad.data).name for x in inputs}
        | {backend.namespace_of(out.data).name},
        "devices": {str(x.grad.device) for x in inputs} | {str(out.device)},
    }


def assert_same_results(got: dict[str, Any], want: dict[str, Any], rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(got["value"], want["value"], rtol=rtol, atol=1e-12)
    assert len(got["grads"]) == len(want["grads"])
    for position, (g, w) in enumerate(zip(got["grads"], want["grads"])):
        assert g.shape == w.shape, f"gradient {position}: {g.shape} != {w.shape}"
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-12, err_msg=f"gradient {position}")
