"""Lesson 10 (Build your own op): SiLU, and an operation with two inputs.

The answers are classes (subclasses of ``autogradlab.functions.Elementwise``). A placeholder class
whose ``forward`` or ``local_derivatives`` is still ``...`` (it returns None) counts as "not
answered yet".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._check import NotAnswered, Wrong, exercise


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _require_function_class(answer: Any, example: str) -> None:
    from autogradlab.autograd import Function, Node

    if not (isinstance(answer, type) and issubclass(answer, Node | Function)):
        raise Wrong(f"the answer should be the class itself (answer = {example}, no brackets), a "
                    f"subclass of Elementwise (or ag.autograd.Function); got {answer!r}.")


def _run(answer: type, *values: np.ndarray) -> tuple[Any, list[Any]]:
    """Apply the learner's op to float64 leaves made from ``values`` and run backward."""
    import autogradlab as ag

    try:
        probe = answer().forward(*(np.array(v, dtype=np.float64) for v in values))
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as error:
        raise Wrong(f"forward() raised {type(error).__name__}: {error}") from None
    if probe is None:
        raise NotAnswered
    if not hasattr(probe, "shape"):
        raise Wrong(f"forward() should return an array (compute with xp = xp_of(x)), not "
                    f"{probe!r}.")
    leaves = [ag.tensor(v, dtype=ag.float64, requires_grad=True) for v in values]
    out = answer.apply(*leaves)
    if tuple(out.shape) != tuple(leaves[0].shape):
        raise Wrong(f"forward() should return one number per input number (shape "
                    f"{tuple(leaves[0].shape)}), but returned shape {tuple(out.shape)}.")
    probe_fn = out.grad_fn
    try:
        local = probe_fn.local_derivatives() if hasattr(probe_fn, "local_derivatives") else ()
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as error:
        raise Wrong(f"local_derivatives() raised {type(error).__name__}: {error}") from None
    if local is None:
        raise NotAnswered
    if isinstance(local, tuple | list) and len(local) != len(values):
        raise Wrong(f"local_derivatives() returned {len(local)} value(s); it needs one per "
                    f"input ({len(values)}), as a tuple such as (s,) for one input.")
    try:
        out.sum().backward()
    except Exception as error:
        raise Wrong(f"backward() raised {type(error).__name__}: {error}. local_derivatives() "
                    "should return a tuple with one array per input, e.g. (s,).") from None
    return out, leaves


def _gradcheck_report(answer: type, *values: np.ndarray) -> str:
    """gradcheck's report on the learner's op ("" if it passes)."""
    import autogradlab as ag

    leaves = [ag.tensor(v, dtype=ag.float64, requires_grad=True) for v in values]
    try:
        ag.gradcheck(lambda *xs: answer.apply(*xs), leaves)
    except ag.GradcheckError as error:
        return f" gradcheck says: {error}"
    except Exception as error:
        return f" (gradcheck could not run: {type(error).__name__}: {error})"
    return ""


def _grad(leaf: Any, name: str) -> np.ndarray:
    if leaf.grad is None:
        raise Wrong(f"no gradient reached {name}: local_derivatives() needs one entry per input.")
    return np.asarray(leaf.grad.numpy(), dtype=np.float64)


# -- Exercise 1: SiLU (x * sigmoid(x)) -----------------------------------------------------------

_POINTS = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])


def _silu_derivative(x: np.ndarray) -> np.ndarray:
    s = _sigmoid(x)
    return s + x * s * (1.0 - s)


@exercise("write `class SiLU(Elementwise)` with forward and local_derivatives, then set "
                   "`answer = SiLU`.")
def check_silu(answer: Any) -> str:
    _require_function_class(answer, "SiLU")
    out, (x,) = _run(answer, _POINTS)
    got = np.asarray(out.detach().numpy(), dtype=np.float64)
    expected = _POINTS * _sigmoid(_POINTS)
    if not np.allclose(got, expected, atol=1e-6):
        worst = int(np.argmax(np.abs(got - expected)))
        raise Wrong(f"forward() is off: at x = {_POINTS[worst]:g} it gives {got[worst]:.6g}, "
                    f"but silu(x) = x * sigmoid(x) = {expected[worst]:.6g}.")
    grad = _grad(x, "x")
    if not np.allclose(grad, _silu_derivative(_POINTS), atol=1e-6):
        s = _sigmoid(_POINTS)
        if np.allclose(grad, s, atol=1e-6):
            hint = ("sigmoid(x) is only half of the product rule: x * sigmoid(x) has two factors "
                    "that change with x, so add x * s * (1 - s).")
        elif np.allclose(grad, s * (1.0 - s), atol=1e-6):
            hint = ("s * (1 - s) is the derivative of sigmoid alone; use the product rule for "
                    "x * sigmoid(x): s + x * s * (1 - s).")
        elif np.allclose(grad, _POINTS * s * (1.0 - s), atol=1e-6):
            hint = ("the product rule has two terms; you have x * s * (1 - s) but not the term "
                    "from differentiating x, which is s.")
        else:
            hint = "with s = sigmoid(x) it should be s + x * s * (1 - s) (the product rule)."
        raise Wrong(f"forward() is right, but the local derivative is not: {hint}"
                    + _gradcheck_report(answer, _POINTS))
    report = _gradcheck_report(answer, np.linspace(-4.0, 4.0, 9))
    if report:
        raise Wrong("the values look right on a few points, but" + report)
    return ("forward() gives x * sigmoid(x), the local derivative s + x·s·(1 - s) follows from the "
            "product rule, and gradcheck agrees with finite differences.")


# -- Exercise 2: an operation with two inputs ----------------------------------------------------

_A = np.array([1.0, -2.0, 0.5, 3.0])
_B = np.array([0.0, 1.0, 2.5, -1.0])


@exercise("write `class SquaredDifference(Elementwise)` with forward(self, a, b) and "
                   "local_derivatives, then set `answer = SquaredDifference`.")
def check_squared_difference(answer: Any) -> str:
    _require_function_class(answer, "SquaredDifference")
    out, (a, b) = _run(answer, _A, _B)
    got = np.asarray(out.detach().numpy(), dtype=np.float64)
    if not np.allclose(got, (_A - _B) ** 2, atol=1e-6):
        if np.allclose(got, _A - _B, atol=1e-6):
            raise Wrong("forward() returns a - b; square it: (a - b) ** 2.")
        raise Wrong("forward() should return (a - b) ** 2, element by element.")
    wants = {"a": 2.0 * (_A - _B), "b": -2.0 * (_A - _B)}
    for name, leaf in (("a", a), ("b", b)):
        grad, want = _grad(leaf, name), wants[name]
        if np.allclose(grad, want, atol=1e-6):
            continue
        if name == "b" and np.allclose(grad, wants["a"], atol=1e-6):
            hint = ("the local derivative for b equals the one for a, but b is subtracted, so "
                    "it picks up a factor -1: d/db (a - b)**2 = -2·(a - b).")
        elif np.allclose(grad, -want, atol=1e-6):
            hint = f"the local derivative for {name} has the wrong sign."
        elif np.allclose(grad, want / 2.0, atol=1e-6):
            hint = f"the local derivative for {name} is missing the factor 2 from the square."
        else:
            hint = (f"the local derivative for {name} is wrong: d/da (a - b)**2 = 2·(a - b) and "
                    "d/db (a - b)**2 = -2·(a - b).")
        raise Wrong(hint + _gradcheck_report(answer, _A, _B))
    return ("two inputs, two local derivatives, 2·(a - b) and -2·(a - b); the engine multiplies "
            "each by the upstream gradient and sends it to its input.")


def _silu_class(derivative: str) -> type:
    from autogradlab.functions import Elementwise, xp_of

    class SiLU(Elementwise):
        symbol = "silu"
        formulas = ("d silu(x)/dx = s + x * s * (1 - s), s = sigmoid(x)",)

        def forward(self, x: Any) -> Any:
            xp = xp_of(x)
            self.x = x
            self.s = 1.0 / (1.0 + xp.exp(-x))
            return x * self.s

        def local_derivatives(self) -> Any:
            x, s = self.x, self.s
            if derivative == "right":
                return (s + x * s * (1.0 - s),)
            if derivative == "sigmoid only":
                return (s,)
            if derivative == "second term only":
                return (x * s * (1.0 - s),)
            return None

    return SiLU


def _silu_placeholder() -> type:
    from autogradlab.functions import Elementwise

    class SiLU(Elementwise):
        def forward(self, x: Any) -> Any:
            ...  # your code here

        def local_derivatives(self) -> Any:
            ...  # your code here

    return SiLU


def _solution_squared_difference() -> type:
    from autogradlab.functions import Elementwise

    class SquaredDifference(Elementwise):
        symbol = "sqdiff"
        formulas = ("d/da = 2 (a - b)", "d/db = -2 (a - b)")

        def forward(self, a: Any, b: Any) -> Any:
            self.diff = a - b
            return self.diff * self.diff

        def local_derivatives(self) -> tuple[Any, Any]:
            return 2.0 * self.diff, -2.0 * self.diff

    return SquaredDifference


def _squared_difference_same_sign() -> type:
    from autogradlab.functions import Elementwise

    class SquaredDifference(Elementwise):
        def forward(self, a: Any, b: Any) -> Any:
            self.diff = a - b
            return self.diff * self.diff

        def local_derivatives(self) -> tuple[Any, Any]:
            return 2.0 * self.diff, 2.0 * self.diff

    return SquaredDifference


SOLUTIONS = {
    "silu": lambda: _silu_class("right"),
    "squared_difference": _solution_squared_difference,
}

WRONG_ANSWERS = {
    "silu": [
        (lambda: _silu_class("sigmoid only"), "product rule"),
        (lambda: _silu_class("second term only"), "two terms"),
        (lambda: _silu_class("right")(), "the class itself"),
    ],
    "squared_difference": [
        (_squared_difference_same_sign, "factor -1"),
        (lambda: "(a - b)**2", "the class itself"),
    ],
}
