"""Lesson 10 (Build your own operation): SiLU, and an operation with two inputs.

Both answers are classes written in PyTorch's shape, ``ag.autograd.Function`` with static
``forward(ctx, ...)`` and ``backward(ctx, grad)``. Each exercise is declared once (see
:mod:`autogradlab.exercises._exercise`): hint, check, worked solution and known mistakes.

The checks run the learner's class on float64 inputs, weight the output by numbers other than 1
before ``backward()`` (so a ``backward`` that forgets to multiply by the upstream gradient is
caught), compare with the derivative worked out by hand, and finish with ``ag.gradcheck``. The
exercise is to write the derivative, so a ``backward`` that asks the engine for it
(``ag.grad``, ``.backward(``) is refused.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ._check import NotAnswered, Wrong
from ._exercise import Exercise, Mistake, declare

#: what every exercise's code may use (the lesson's first cell imports these)
SETUP = """
import numpy as np
import autogradlab as ag
"""


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _require_function_class(answer: Any, example: str) -> None:
    from autogradlab.autograd import Function

    if isinstance(answer, Function):
        raise Wrong(f"that is an object of the class; the answer is the class itself "
                    f"(answer = {example}, no brackets).")
    if not (isinstance(answer, type) and issubclass(answer, Function)):
        raise Wrong(f"the answer should be the class itself (answer = {example}, no brackets), "
                    f"a subclass of ag.autograd.Function; got {answer!r}.")


def _asks_the_engine(answer: type) -> str | None:
    """What in ``answer.backward`` asks the engine for the derivative, if anything."""
    try:
        source = inspect.getsource(answer.backward)
    except (OSError, TypeError):
        return None
    for text in ("ag.grad(", "autograd.grad(", ".backward("):
        if text in source:
            return text
    return None


class _BackwardPasses:
    """Counts the engine's backward passes while active (the check's own pass is one)."""

    def __enter__(self) -> _BackwardPasses:
        from .. import autograd

        self.count, self._real = 0, autograd.run_backward

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return self._real(*args, **kwargs)

        autograd.run_backward = counting
        return self

    def __exit__(self, *exc: Any) -> None:
        from .. import autograd

        autograd.run_backward = self._real


def _run(answer: type, weights: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, list[Any]]:
    """Apply the learner's op to float64 leaves made from ``values``, run backward on
    ``(out * weights).sum()``; return the output's numbers and the leaves."""
    import autogradlab as ag

    name = answer.__name__
    used = _asks_the_engine(answer)
    if used:
        raise Wrong(f"{name}.backward uses `{used}`: that asks the engine for the derivative. "
                    "This exercise is to work it out yourself: return the upstream gradient "
                    "times the local derivative, written with tensor operations.")
    leaves = [ag.tensor(v, dtype=ag.float64, requires_grad=True) for v in values]
    try:
        out = answer.apply(*leaves)
    except NotImplementedError:
        raise NotAnswered from None
    except TypeError as error:
        if "returned NoneType" in str(error):
            raise NotAnswered from None  # forward is still the placeholder `...`
        raise Wrong(f"{name}.forward: {error}") from None
    except Exception as error:
        raise Wrong(f"{name}.forward raised {type(error).__name__}: {error}") from None
    if tuple(out.shape) != tuple(leaves[0].shape):
        raise Wrong(f"forward should return one number per input number (shape "
                    f"{tuple(leaves[0].shape)}), but returned shape {tuple(out.shape)}.")
    passes = _BackwardPasses()
    try:
        with passes:
            (out * ag.tensor(weights, dtype=ag.float64)).sum().backward()
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as error:
        raise Wrong(f"backward raised {type(error).__name__}: {error}") from None
    if passes.count > 1:
        raise Wrong(f"{name}.backward ran a backward pass of its own (ag.grad or .backward()): "
                    "that asks the engine for the derivative. This exercise is to work it out "
                    "yourself: return the upstream gradient times the local derivative.")
    if all(leaf.grad is None for leaf in leaves):
        raise Wrong(f"{name}.backward returned None: return the upstream gradient times the "
                    "local derivative, one gradient per input of forward.")
    return np.asarray(out.detach().numpy(), dtype=np.float64), leaves


def _gradcheck_report(answer: type, *values: np.ndarray) -> str:
    """gradcheck's report on the learner's op ("" if it passes)."""
    import autogradlab as ag

    leaves = [ag.tensor(v, dtype=ag.float64, requires_grad=True) for v in values]
    try:
        ag.gradcheck(answer.apply, leaves)
    except ag.GradcheckError as error:
        return f" gradcheck says: {error}"
    except Exception as error:
        return f" (gradcheck could not run: {type(error).__name__}: {error})"
    return ""


def _grad(leaf: Any, name: str) -> np.ndarray:
    if leaf.grad is None:
        raise Wrong(f"no gradient reached {name}: backward returns one gradient per input of "
                    "forward, in the same order.")
    return np.asarray(leaf.grad.numpy(), dtype=np.float64)


# -- Exercise 1: SiLU (x * sigmoid(x)) -----------------------------------------------------------

_POINTS = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])
#: the upstream gradient the check sends (not all ones, so a forgotten `grad *` shows)
_UPSTREAM = np.array([0.5, -2.0, 1.5, 3.0, -1.0])


def _silu_derivative(x: np.ndarray) -> np.ndarray:
    s = _sigmoid(x)
    return s + x * s * (1.0 - s)


def _check_silu(answer: Any) -> str:
    _require_function_class(answer, "SiLU")
    got, (x,) = _run(answer, _UPSTREAM, _POINTS)
    expected = _POINTS * _sigmoid(_POINTS)
    if not np.allclose(got, expected, atol=1e-6):
        worst = int(np.argmax(np.abs(got - expected)))
        raise Wrong(f"forward is off: at x = {_POINTS[worst]:g} it gives {got[worst]:.6g}, "
                    f"but silu(x) = x * sigmoid(x) = {expected[worst]:.6g}.")
    local = _grad(x, "x") / _UPSTREAM
    if np.allclose(local * _UPSTREAM, _silu_derivative(_POINTS), atol=1e-6):
        raise Wrong("backward returns the local derivative alone. It receives the upstream "
                    "gradient `grad` and must return grad * (the local derivative): the chain "
                    "rule is yours to apply in a Function.")
    if not np.allclose(local, _silu_derivative(_POINTS), atol=1e-6):
        s = _sigmoid(_POINTS)
        if np.allclose(local, s, atol=1e-6):
            hint = ("sigmoid(x) is only half of the product rule: x * sigmoid(x) has two factors "
                    "that change with x, so add x * s * (1 - s).")
        elif np.allclose(local, s * (1.0 - s), atol=1e-6):
            hint = ("s * (1 - s) is the derivative of sigmoid alone; use the product rule for "
                    "x * sigmoid(x): s + x * s * (1 - s).")
        elif np.allclose(local, _POINTS * s * (1.0 - s), atol=1e-6):
            hint = ("the product rule has two terms; you have x * s * (1 - s) but not the term "
                    "from differentiating x, which is s.")
        else:
            hint = "with s = sigmoid(x) it should be s + x * s * (1 - s) (the product rule)."
        raise Wrong(f"forward is right, but backward is not: {hint}"
                    + _gradcheck_report(answer, _POINTS))
    report = _gradcheck_report(answer, np.linspace(-4.0, 4.0, 9))
    if report:
        raise Wrong("the numbers look right on a few points, but" + report)
    return ("forward gives x * sigmoid(x), backward multiplies the upstream gradient by "
            "s + x·s·(1 - s) (the product rule), and gradcheck agrees with finite differences.")


SILU_SOLUTION = '''
class SiLU(ag.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x.sigmoid()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = x.sigmoid()
        # product rule: (dx/dx) * s + x * (ds/dx), with ds/dx = s * (1 - s)
        return grad * (s + x * s * (1 - s))

answer = SiLU
'''


def _silu_variant(backward_line: str) -> str:
    """The worked solution with another last line of ``backward`` (a typical mistake)."""
    return SILU_SOLUTION.replace("return grad * (s + x * s * (1 - s))", backward_line)


# -- Exercise 2: an operation with two inputs ----------------------------------------------------

_A = np.array([1.0, -2.0, 0.5, 3.0])
_B = np.array([0.0, 1.0, 2.5, -1.0])
_UPSTREAM_2 = np.array([1.5, -0.5, 2.0, 0.25])


def _check_squared_difference(answer: Any) -> str:
    _require_function_class(answer, "SquaredDifference")
    got, (a, b) = _run(answer, _UPSTREAM_2, _A, _B)
    if not np.allclose(got, (_A - _B) ** 2, atol=1e-6):
        if np.allclose(got, _A - _B, atol=1e-6):
            raise Wrong("forward returns a - b; square it: (a - b) ** 2.")
        raise Wrong("forward should return (a - b) ** 2, element by element.")
    wants = {"a": 2.0 * (_A - _B), "b": -2.0 * (_A - _B)}
    for name, leaf in (("a", a), ("b", b)):
        local, want = _grad(leaf, name) / _UPSTREAM_2, wants[name]
        if np.allclose(local, want, atol=1e-6):
            continue
        if np.allclose(local * _UPSTREAM_2, want, atol=1e-6):
            hint = (f"the gradient for {name} is the local derivative alone: multiply it by the "
                    "upstream gradient `grad` that backward receives.")
        elif name == "b" and np.allclose(local, wants["a"], atol=1e-6):
            hint = ("the local derivative for b equals the one for a, but b is subtracted, so "
                    "it picks up a factor -1: d/db (a - b)**2 = -2·(a - b).")
        elif np.allclose(local, -want, atol=1e-6):
            hint = f"the local derivative for {name} has the wrong sign."
        elif np.allclose(local, want / 2.0, atol=1e-6):
            hint = f"the local derivative for {name} is missing the factor 2 from the square."
        else:
            hint = (f"the gradient for {name} is wrong: d/da (a - b)**2 = 2·(a - b) and "
                    "d/db (a - b)**2 = -2·(a - b), each times the upstream gradient.")
        raise Wrong(hint + _gradcheck_report(answer, _A, _B))
    return ("two inputs, two gradients: grad·2(a - b) for a and grad·(-2)(a - b) for b, returned "
            "in the order of forward's inputs.")


SQDIFF_SOLUTION = '''
class SquaredDifference(ag.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        diff = a - b
        ctx.save_for_backward(diff)
        return diff * diff

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        # the inside a - b has derivative +1 for a and -1 for b
        return grad * 2 * diff, grad * (-2) * diff

answer = SquaredDifference
'''


def _sqdiff_variant(return_line: str) -> str:
    return SQDIFF_SOLUTION.replace("return grad * 2 * diff, grad * (-2) * diff", return_line)


EXERCISES = declare(
    Exercise(
        name="silu",
        hint="write `class SiLU(ag.autograd.Function)` with forward and backward, then set "
             "`answer = SiLU`.",
        check=_check_silu,
        setup=SETUP,
        explanation=(
            "With $s = \\sigma(x)$, the product rule gives "
            "$\\frac{d}{dx}\\,x\\,s = s + x\\,s\\,(1 - s)$; `backward` multiplies it by the "
            "upstream gradient:"
        ),
        solution=SILU_SOLUTION,
        mistakes=[
            Mistake(_silu_variant("return grad * s"), says="product rule"),
            Mistake(_silu_variant("return grad * x * s * (1 - s)"), says="two terms"),
            Mistake(_silu_variant("return s + x * s * (1 - s)"), says="upstream gradient"),
            Mistake(SILU_SOLUTION.replace("answer = SiLU", "answer = SiLU()"),
                    says="the class itself"),
            Mistake(_silu_variant(
                "with ag.enable_grad():\n"
                "            x = x.detach().requires_grad_()\n"
                "            (local,) = ag.grad((x * x.sigmoid()).sum(), x)\n"
                "        return grad * local"), says="asks the engine"),
        ],
    ),
    Exercise(
        name="squared_difference",
        hint="write `class SquaredDifference(ag.autograd.Function)` with forward(ctx, a, b) and "
             "backward(ctx, grad) returning two gradients, then set "
             "`answer = SquaredDifference`.",
        check=_check_squared_difference,
        setup=SETUP,
        explanation=(
            "$\\frac{\\partial}{\\partial a}(a - b)^2 = 2(a - b)$ and "
            "$\\frac{\\partial}{\\partial b}(a - b)^2 = -2(a - b)$; `backward` returns one "
            "gradient per input, in the order of `forward`'s inputs:"
        ),
        solution=SQDIFF_SOLUTION,
        mistakes=[
            Mistake(_sqdiff_variant("return grad * 2 * diff, grad * 2 * diff"),
                    says="factor -1"),
            Mistake(_sqdiff_variant("return 2 * diff, -2 * diff"), says="upstream gradient"),
            Mistake(_sqdiff_variant("return grad * 2 * diff"), says="one per input"),
            Mistake("answer = '(a - b)**2'", says="the class itself"),
        ],
    ),
    into=globals(),
)
