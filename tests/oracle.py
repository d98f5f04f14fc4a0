"""Run one program on autogradlab and on PyTorch, and compare values and gradients.

A test writes its program once, as ``fn(m, *tensors)`` where ``m`` is either the ``autogradlab``
module or ``torch``: the two share names (``m.exp``, ``m.softmax``, ``m.matmul``, ``m.tensor``),
so the same lambda runs on both. Inputs are NumPy arrays, copied into float64 leaves of each
library; the upstream gradient is a fixed random array, so every element of every gradient matters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import autogradlab as ag

RTOL = 1e-10
ATOL = 1e-12


def as_numpy(t: Any) -> np.ndarray:
    if isinstance(t, ag.Tensor):
        return np.asarray(t.detach().numpy())
    return t.detach().cpu().numpy()


def assert_same(ours: Any, theirs: Any, what: str, rtol: float = RTOL, atol: float = ATOL) -> None:
    a, b = as_numpy(ours), as_numpy(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} (autogradlab) != {b.shape} (torch)"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def leaves(m: Any, arrays: Sequence[Any], grads: Sequence[bool]) -> list[Any]:
    """float64 leaves of library ``m``; numbers and integer arrays pass through as they are."""
    out = []
    for array, needs in zip(arrays, grads):
        if isinstance(array, np.ndarray) and array.dtype.kind == "f":
            if m is ag:
                out.append(ag.tensor(array.astype(np.float64), requires_grad=needs))
            else:
                out.append(m.tensor(array.astype(np.float64), requires_grad=needs))
        elif isinstance(array, np.ndarray):
            out.append(m.tensor(array))
        else:
            out.append(array)
    return out


def compare(
    torch: Any,
    fn: Callable[..., Any],
    *arrays: Any,
    grads: Sequence[bool] | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
    seed: int = 0,
) -> tuple[Any, Any]:
    """Check ``fn`` forward and backward against PyTorch; returns (ours, theirs) outputs."""
    if grads is None:
        grads = [isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in arrays]
    ours_in, theirs_in = leaves(ag, arrays, grads), leaves(torch, arrays, grads)
    ours, theirs = fn(ag, *ours_in), fn(torch, *theirs_in)
    assert isinstance(ours, ag.Tensor), f"expected a Tensor, got {type(ours).__name__}"
    assert_same(ours, theirs, "forward values", rtol, atol)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    if not any(grads):
        return ours, theirs
    upstream = np.random.default_rng(seed).standard_normal(tuple(ours.shape))
    ours.backward(gradient=ag.tensor(upstream, dtype=ours.dtype))
    theirs.backward(gradient=torch.tensor(upstream, dtype=theirs.dtype))
    for position, (x, y, needs) in enumerate(zip(ours_in, theirs_in, grads)):
        if not needs:
            continue
        assert y.grad is not None, f"torch gave no gradient for input {position}"
        assert x.grad is not None, f"autogradlab gave no gradient for input {position}"
        assert x.grad.shape == tuple(x.shape), f"grad of input {position} has the wrong shape"
        assert_same(x.grad, y.grad, f"gradient of input {position}", rtol, atol)
    return ours, theirs
