"""Checking gradients against finite differences: the engine's independent referee.

For each input number x_i, the slope of f along x_i is approximately

    (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps)        (a central difference)

which needs no chain rule at all. ``gradcheck`` computes that for every number of every input (in
float64, where it is accurate to about eps**2) and compares it with what ``backward()`` gives. A
mismatch points at a wrong ``backward`` in an operation, and the report names the worst element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import autograd, backend
from .errors import AutogradError
from .tensor import Tensor


class GradcheckError(AutogradError):
    """The engine's gradient and the finite-difference estimate disagree."""


def _as_float64_leaves(inputs: Sequence[Any]) -> list[Any]:
    leaves = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.is_floating_point:
            host = np.array(backend.to_host(x.data), dtype=np.float64, copy=True)
            copy = Tensor(backend.namespace_of(x.data).from_host(host, x.device))
            copy.requires_grad = x.requires_grad
            leaves.append(copy)
        else:
            leaves.append(x)
    return leaves


def _scalar(output: Any) -> Tensor:
    if not isinstance(output, Tensor):
        raise TypeError(f"the function must return a Tensor, not {type(output).__name__}")
    return output


def numerical_gradients(
    fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-6
) -> list[np.ndarray | None]:
    """Central-difference estimates of d(sum of fn(*inputs) * weights)/d(input), per input."""
    leaves = _as_float64_leaves(inputs)
    estimates: list[np.ndarray | None] = []
    with autograd.no_grad():
        for x in leaves:
            if not (isinstance(x, Tensor) and x.requires_grad):
                estimates.append(None)
                continue
            namespace = backend.namespace_of(x.data)
            host = np.array(backend.to_host(x.data), copy=True)
            slopes = np.zeros_like(host)
            flat, flat_slopes = host.reshape(-1), slopes.reshape(-1)
            for i in range(flat.size):
                original = flat[i]
                flat[i] = original + eps
                x.data = namespace.from_host(host, x.device)
                up = backend.to_host(_scalar(fn(*leaves)).data).astype(np.float64).sum()
                flat[i] = original - eps
                x.data = namespace.from_host(host, x.device)
                down = backend.to_host(_scalar(fn(*leaves)).data).astype(np.float64).sum()
                flat[i] = original
                flat_slopes[i] = (up - down) / (2 * eps)
            x.data = namespace.from_host(host, x.device)
            estimates.append(slopes)
    return estimates


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Sequence[Any] | Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """True when ``backward()`` agrees with finite differences for every input that requires grad.

    The output is summed first, so a function with a non-scalar result is checked too. On a
    mismatch it raises :class:`GradcheckError` (or returns False with ``raise_exception=False``)
    with a report naming the input, the worst element, and both numbers.
    """
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck needs at least one input tensor with requires_grad=True")
    for position, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.dtype.is_floating_point:
            host = backend.to_host(x.data)
            if not np.all(np.isfinite(host)):
                what = "NaN" if np.any(np.isnan(host)) else "inf"
                raise ValueError(
                    f"gradcheck: input {position} contains {what} (shape {x.shape}), so neither "
                    f"backward() nor the finite differences can give a number to compare. Check "
                    f"with the finite values the function is meant for."
                )
    leaves = _as_float64_leaves(inputs)
    output = _scalar(fn(*leaves))
    output.sum().backward()
    estimates = numerical_gradients(fn, inputs, eps)
    for position, (leaf, estimate) in enumerate(zip(leaves, estimates)):
        if estimate is None:
            continue
        analytic = (
            np.zeros_like(estimate) if leaf.grad is None else backend.to_host(leaf.grad.data)
        )
        error = np.abs(analytic - estimate)
        allowed = atol + rtol * np.abs(estimate)
        if np.all(error <= allowed):
            continue
        worst = np.unravel_index(int(np.argmax(error - allowed)), estimate.shape)
        report = (
            f"gradcheck failed for input {position} (shape {tuple(estimate.shape)}): at index "
            f"{tuple(int(i) for i in worst)} backward() gives {analytic[worst]:.6g} but the "
            f"finite difference gives {estimate[worst]:.6g} (difference "
            f"{error[worst]:.3g}, allowed {allowed[worst]:.3g}). "
            f"{int(np.sum(error > allowed))} of {error.size} elements disagree: check the "
            f"backward() of the operations this input flows through."
        )
        if raise_exception:
            raise GradcheckError(report)
        return False
    return True
