"""Lesson 13 (Gradients of gradients): second derivatives and Hessian-vector products.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.

* ``check_second_derivative(second_derivative)``: ``second_derivative(f, x)`` returns f''(x) for a
  scalar tensor ``x``, by differentiating twice with the engine (``create_graph=True``). Checked on
  functions and points the learner has not seen, exactly (float64), so finite differences, which
  are off in the sixth digit or so, are told apart and named.
* ``check_hvp(hvp)``: ``hvp(f, w, v)`` returns the Hessian of ``f`` at ``w`` times ``v``, in two
  backward passes: the check counts the engine's backward passes and rejects a Hessian built row
  by row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._check import Wrong, is_tensor
from ._exercise import Exercise, Mistake, declare
from ._learner_code import call


def _number(value: Any, what: str) -> float:
    if is_tensor(value):
        if value.numel() != 1:
            raise Wrong(f"{what} is a tensor of shape {tuple(value.shape)}; f''(x) at one point "
                        "is one number.")
        return float(value.detach().item())
    if isinstance(value, int | float | np.floating | np.integer) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, tuple | list) and len(value) == 1:
        raise Wrong(f"{what} is a {type(value).__name__} with one element: ag.grad returns a "
                    "tuple, so unpack it, (g,) = ag.grad(...), and return the tensor.")
    raise Wrong(f"{what} is a {type(value).__name__}; return the second derivative as a tensor "
                "(or a number).")


_CREATE_GRAPH_HINT = (" The first ag.grad needs create_graph=True: without it the gradient is a "
                      "plain number with no history, and there is nothing to differentiate again.")


def _with_hint(error: Wrong) -> Wrong:
    text = str(error)
    if "require grad" in text or "requires_grad" in text or "no grad_fn" in text:
        return Wrong(text + _CREATE_GRAPH_HINT)
    return error


# -- Exercise 1: second derivatives --------------------------------------------------------------

_FUNCTIONS: list[tuple[str, Callable[[Any], Any], Callable[[float], float],
                       Callable[[float], float]]] = [
    ("x**3 - 2*x**2", lambda x: x ** 3 - 2 * x ** 2,
     lambda x: 3 * x * x - 4 * x, lambda x: 6 * x - 4),
    ("tanh(x)", lambda x: x.tanh(),
     lambda x: 1 - math.tanh(x) ** 2, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    ("x * sin(x)", lambda x: x * x.sin(),
     lambda x: math.sin(x) + x * math.cos(x), lambda x: 2 * math.cos(x) - x * math.sin(x)),
    ("exp(x) / x", lambda x: x.exp() / x,
     lambda x: math.exp(x) * (x - 1) / x ** 2,
     lambda x: math.exp(x) * (x * x - 2 * x + 2) / x ** 3),
]
_POINTS = (0.7, -1.3, 2.1)


def _check_second_derivative(answer: Any) -> str:
    import autogradlab as ag

    for text, f, first, second in _FUNCTIONS:
        for point in _POINTS:
            x = ag.tensor(point, dtype=ag.float64, requires_grad=True)
            try:
                result = call(answer, "second_derivative", f, x)
            except Wrong as error:
                raise _with_hint(error) from None
            got = _number(result, f"second_derivative(f, x) for f(x) = {text}")
            want = second(point)
            if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9):
                continue
            where = f"for f(x) = {text} at x = {point}"
            if math.isclose(got, first(point), rel_tol=1e-9, abs_tol=1e-9):
                raise Wrong(f"{where} you return {got:.6g}, which is f'(x), the first "
                            "derivative: differentiate the gradient once more.")
            if math.isclose(got, want, rel_tol=1e-3, abs_tol=1e-4):
                raise Wrong(f"{where} you return {got:.10g}, close to f''(x) = {want:.10g} but "
                            "not exact: finite differences? This exercise asks for the "
                            "engine's second derivative, ag.grad twice with create_graph=True.")
            raise Wrong(f"{where} you return {got:.6g}, but f''(x) = {want:.6g}.")
    return ("f''(x) by differentiating the gradient, exact to float64 precision, for 4 functions "
            "at 3 points each.")


# -- Exercise 2: Hessian-vector products ---------------------------------------------------------


def _problem(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) / math.sqrt(n), rng.normal(size=n), rng.normal(size=n)


def _loss(a: np.ndarray) -> Callable[[Any], Any]:
    def f(w: Any) -> Any:
        import autogradlab as ag

        return (ag.tensor(a, dtype=ag.float64) @ w).tanh().sum() + (w * w * w).sum() / 3.0

    return f


def _hessian(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The exact Hessian of _loss(a) at w: A.T diag(tanh'') A + diag(2 w)."""
    t = np.tanh(a @ w)
    return a.T @ np.diag(-2.0 * t * (1.0 - t * t)) @ a + np.diag(2.0 * w)


def _gradient(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    t = np.tanh(a @ w)
    return a.T @ (1.0 - t * t) + w * w


class _CountBackward:
    """Counts the engine's backward passes while the learner's function runs."""

    def __enter__(self) -> _CountBackward:
        from autogradlab import autograd

        self.module, self.original, self.count = autograd, autograd.run_backward, 0

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return self.original(*args, **kwargs)

        autograd.run_backward = counted
        return self

    def __exit__(self, *exc: Any) -> None:
        self.module.run_backward = self.original


def _vector(value: Any, n: int) -> np.ndarray:
    if isinstance(value, tuple | list) and len(value) == 1 and is_tensor(value[0]):
        raise Wrong("hvp returned a tuple: ag.grad returns one, so unpack it, "
                    "(hv,) = ag.grad(...).")
    if is_tensor(value):
        value = value.detach().numpy()
    if not isinstance(value, np.ndarray):
        raise Wrong(f"hvp returned a {type(value).__name__}; return a tensor of w's shape ({n},).")
    if value.shape != (n,):
        raise Wrong(f"hvp returned shape {value.shape}; H v has w's shape ({n},).")
    return np.asarray(value, dtype=float)


def _check_hvp(answer: Any) -> str:
    import autogradlab as ag

    for n, seed in ((3, 0), (40, 1)):
        a, w0, v0 = _problem(n, seed)
        w = ag.tensor(w0, dtype=ag.float64, requires_grad=True)
        v = ag.tensor(v0, dtype=ag.float64)
        with _CountBackward() as passes:
            try:
                result = call(answer, "hvp", _loss(a), w, v)
            except Wrong as error:
                raise _with_hint(error) from None
        got = _vector(result, n)
        want = _hessian(a, w0) @ v0
        if passes.count > 3:
            raise Wrong(f"for {n} parameters hvp ran {passes.count} backward passes: that builds "
                        "the Hessian row by row. H v needs two: one for the gradient "
                        "(create_graph=True), one for the gradient of (g * v).sum().")
        if np.allclose(got, want, rtol=1e-7, atol=1e-9):
            continue
        if np.allclose(got, _gradient(a, w0), rtol=1e-7, atol=1e-9):
            raise Wrong("that is the gradient of f, not H v: differentiate (g * v).sum() with "
                        "respect to w once more.")
        if np.allclose(got, _hessian(a, w0) @ np.ones(n), rtol=1e-7, atol=1e-9):
            raise Wrong("that is H times a vector of ones: differentiate (g * v).sum(), the "
                        "gradient weighted by v, not g.sum().")
        raise Wrong(f"for {n} parameters H v differs from the exact one (largest difference "
                    f"{np.max(np.abs(got - want)):.3g}).")
    return ("H v from two backward passes, for 3 and for 40 parameters, equal to the exact "
            "Hessian times v, without ever forming the Hessian.")


# -- worked solutions and typical mistakes -------------------------------------------------------


def _second_derivative(f: Any, x: Any) -> Any:
    import autogradlab as ag

    (g,) = ag.grad(f(x), x, create_graph=True)
    (h,) = ag.grad(g, x)
    return h


def _second_without_create_graph(f: Any, x: Any) -> Any:
    import autogradlab as ag

    (g,) = ag.grad(f(x), x)
    (h,) = ag.grad(g, x)
    return h


def _first_derivative(f: Any, x: Any) -> Any:
    import autogradlab as ag

    (g,) = ag.grad(f(x), x)
    return g


def _finite_differences(f: Any, x: Any) -> Any:
    import autogradlab as ag

    eps, x0 = 1e-4, float(x.item())
    value = lambda t: float(f(ag.tensor(t, dtype=ag.float64)).item())  # noqa: E731
    return (value(x0 + eps) - 2 * value(x0) + value(x0 - eps)) / eps ** 2


def _hvp(f: Any, w: Any, v: Any) -> Any:
    import autogradlab as ag

    (g,) = ag.grad(f(w), w, create_graph=True)
    (hv,) = ag.grad((g * v).sum(), w)
    return hv


def _hvp_by_rows(f: Any, w: Any, v: Any) -> Any:
    import autogradlab as ag

    (g,) = ag.grad(f(w), w, create_graph=True)
    n = w.shape[0]
    rows = []
    for i in range(n):
        unit = np.zeros(n)
        unit[i] = 1.0
        (row,) = ag.grad((g * ag.tensor(unit, dtype=ag.float64)).sum(), w, retain_graph=True)
        rows.append(row.numpy())
    return ag.tensor(np.array(rows) @ v.numpy(), dtype=ag.float64)


def _hvp_ones(f: Any, w: Any, v: Any) -> Any:
    import autogradlab as ag

    (g,) = ag.grad(f(w), w, create_graph=True)
    (hv,) = ag.grad(g.sum(), w)
    return hv


def _hvp_gradient(f: Any, w: Any, v: Any) -> Any:
    import autogradlab as ag

    (g,) = ag.grad(f(w), w)
    return g


EXERCISES = declare(
    Exercise(
        name="second_derivative",
        hint="write second_derivative(f, x): ag.grad(f(x), x, create_graph=True), then ag.grad "
             "of that gradient; then check_second_derivative(second_derivative).",
        check=_check_second_derivative,
        argument="second_derivative",
        explanation="Differentiate once with the backward pass recorded, then differentiate "
                    "the result:",
        solution="""
def second_derivative(f, x):
    (g,) = ag.grad(f(x), x, create_graph=True)   # f'(x), recorded
    (h,) = ag.grad(g, x)                         # its derivative
    return h
""",
        mistakes=[
            Mistake(lambda: _second_without_create_graph, says="create_graph=True"),
            Mistake(lambda: _first_derivative, says="first derivative"),
            Mistake(lambda: _finite_differences, says="finite differences"),
        ],
    ),
    Exercise(
        name="hvp",
        hint="write hvp(f, w, v): g = ag.grad(f(w), w, create_graph=True), then the gradient of "
             "(g * v).sum() with respect to w; then check_hvp(hvp).",
        check=_check_hvp,
        argument="hvp",
        explanation="Two backward passes: the gradient with its history, then the gradient of "
                    "its dot product with $v$, $\\nabla_w(g^\\top v) = Hv$:",
        solution="""
def hvp(f, w, v):
    (g,) = ag.grad(f(w), w, create_graph=True)   # backward pass 1: the gradient, with history
    (hv,) = ag.grad((g * v).sum(), w)            # backward pass 2: d(g . v)/dw = H v
    return hv
""",
        mistakes=[
            Mistake(lambda: _hvp_by_rows, says="row by row"),
            Mistake(lambda: _hvp_ones, says="vector of ones"),
            Mistake(lambda: _hvp_gradient, says="the gradient of f"),
        ],
    ),
    into=globals(),
)
