"""Lesson 2 (Computation graphs): a derivative estimated by nudging, and gradients summed over
paths.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ._check import Wrong, as_number, close, is_tensor
from ._exercise import Exercise, Mistake, declare
from ._learner_code import call

# -- Exercise 1: a derivative estimated by nudging (finite differences) --------------------------

#: (what the learner reads, the function on plain numbers, its derivative, x, h)
SLOPE_CASES: list[tuple[str, Callable[[float], float], Callable[[float], float], float, float]] = [
    ("f(x) = x**2 + 3", lambda x: x**2 + 3, lambda x: 2 * x, 7.0, 0.01),
    ("f(x) = x**3", lambda x: x**3, lambda x: 3 * x**2, 2.0, 0.001),
    ("f(x) = 1 / x", lambda x: 1 / x, lambda x: -1 / x**2, 0.5, 0.0001),
]


def _asks_the_engine(function: Any) -> str | None:
    """What in ``function``'s source asks the engine for a gradient, if anything."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    for text in (".backward(", "ag.grad(", "autograd.grad(", ".grad"):
        if text in source:
            return text
    return None


def _without_the_engine(f: Callable[[float], float]) -> Callable[[Any], float]:
    """``f`` as the check hands it to the learner's ``slope``: it refuses a tensor that records
    a graph (that is the road to backward(), which this exercise leaves aside)."""

    def probe(x: Any) -> float:
        if is_tensor(x):
            if x.requires_grad:
                raise Wrong("slope made a tensor with requires_grad=True to call backward(). "
                            "This exercise asks for the derivative without backward(): run f at "
                            "x and at x + h, plain numbers in, plain numbers out.")
            x = x.item()
        return f(float(x))

    return probe


def _check_slope(answer: Any) -> str:
    used = _asks_the_engine(answer) if callable(answer) else None
    if used:
        raise Wrong(f"slope uses `{used}`: that asks the engine for the gradient. This exercise "
                    "asks for the derivative without backward(): nudge x by h, see how much f "
                    "changes, and divide by h.")
    first = None
    for text, f, df, x, h in SLOPE_CASES:
        got = as_number(call(answer, "slope", _without_the_engine(f), x, h),
                        f"slope(f, {x:g}, {h:g})")
        forward = (f(x + h) - f(x)) / h
        central = (f(x + h) - f(x - h)) / (2 * h)
        backward = (f(x) - f(x - h)) / h
        fine = [forward, central, backward]
        if any(close(got, e, 1e-8) for e in fine):  # the same formula, in another order
            first = first if first is not None else (text, x, h, got, df(x))
            continue
        where = f"on {text} at x = {x:g} with h = {h:g}"
        if any(close(got, -e, 1e-6) for e in fine):
            raise Wrong(f"{where} slope gives {got:.6g}, the right size with the wrong sign: the "
                        "nudge goes up, so take f(x + h) - f(x) (the new value minus the old).")
        if any(close(got, change, 1e-6) for change in (forward * h, central * 2 * h)):
            raise Wrong(f"{where} slope gives {got:.6g}: that is how much f changed, not the "
                        "slope. Divide the change by the size of the nudge, h.")
        if close(got, f(x), 1e-6):
            raise Wrong(f"{where} slope gives {got:.6g}, which is f(x) itself. The slope compares "
                        "two runs: (f(x + h) - f(x)) / h.")
        if close(got, df(x), 1e-2):
            raise Wrong(f"{where} slope gives {got:.6g}: close to the derivative, but not the "
                        f"nudge of size h = {h:g} that slope is given. Use h, not a step of your "
                        "own.")
        if any(close(got, e, 1e-6) for e in ((f(x + 1) - f(x)), (f(x + 1) - f(x - 1)) / 2)):
            raise Wrong(f"{where} slope gives {got:.6g}, a nudge of 1 instead of h. Use the h "
                        "that slope is given: a small nudge is what makes the estimate good.")
        raise Wrong(f"{where} slope gives {got:.6g}, but nudging gives (f(x + h) - f(x)) / h = "
                    f"{forward:.6g}. Run f at x and at x + h, subtract, divide by h.")
    assert first is not None
    text, x, h, got, exact = first
    return (f"on {text} at x = {x:g} with h = {h:g} your slope says {got:.6g}; the derivative "
            f"is {exact:g}. A nudge of h changes f by about slope·h, and the smaller h, the "
            "closer the estimate (until the computer's rounding takes over).")


def _slope_by_backward() -> Callable[..., float]:
    """A typical mistake: asking the engine instead of nudging."""

    def slope(f: Any, x: float, h: float) -> float:
        import autogradlab as ag

        t = ag.tensor(x, requires_grad=True)
        f(t).backward()
        return t.grad.item()

    return slope


# -- Exercise 2: two paths to one output --------------------------------------------------------


def _check_two_paths(answer: Any) -> str:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Wrong(f"your answer is {answer!r}; give a pair: answer = (x.grad, y.grad).")
    gx = as_number(answer[0], "your x.grad")
    gy = as_number(answer[1], "your y.grad")
    if close(gx, 5) and close(gy, 3):
        return ("dg/dx = y = 5. y reaches g along two paths, through x * y (local derivative "
                "x = 2) and directly (derivative 1); backward adds the paths: 2 + 1 = 3.")
    if close(gx, 3) and close(gy, 5):
        raise Wrong("the two gradients are swapped: answer = (x.grad, y.grad), in that order.")
    for times in range(2, 21):
        if close(gx, 5 * times) and close(gy, 3 * times):
            raise Wrong(f"these are exactly {times} times the right gradients (5 and 3), so the "
                        f"calculus is right: backward ran {times} times on the same x and y, and "
                        ".grad adds each new gradient to what it already holds (gradients "
                        "accumulate; lesson 5 shows why). Create x and y again, build g, and "
                        "call g.backward() once.")
    if close(gx, 5) and close(gy, 2):
        raise Wrong("x.grad = 5 is right. y.grad = 2 counts only the path through x * y; y also "
                    "reaches g directly (+ y, derivative 1), and backward SUMS over all paths.")
    if close(gx, 5) and close(gy, 1):
        raise Wrong("x.grad = 5 is right. y.grad = 1 counts only the direct path; y also reaches "
                    "g through x * y (derivative x = 2), and backward sums over all paths.")
    if close(gx, 5):
        raise Wrong(f"x.grad = 5 is right, but y.grad is not {gy:g}: add the derivative along "
                    "each path from y to g.")
    raise Wrong(f"x.grad is not {gx:g}: d(x*y)/dx is y, and the + y term does not depend on x.")


EXERCISES = declare(
    Exercise(
        name="slope",
        hint="define `def slope(f, x, h): ...` returning the finite-difference estimate of "
             "f's derivative at x, then set `answer = slope`.",
        check=_check_slope,
        explanation=(
            "Run `f` twice, at $x$ and at $x + h$, and divide the change by the nudge:\n\n"
            "$$\\frac{df}{dx} \\approx \\frac{f(x + h) - f(x)}{h}$$\n\n"
            "(Nudging both ways, $\\frac{f(x + h) - f(x - h)}{2h}$, is a little more accurate, "
            "and the check accepts it too.)"
        ),
        solution="""
def slope(f, x, h):
    change = f(x + h) - f(x)   # how much the output moved
    return change / h          # per unit of nudge

answer = slope
""",
        mistakes=[
            Mistake("answer = lambda f, x, h: f(x + h) - f(x)", says="Divide the change"),
            Mistake("answer = lambda f, x, h: (f(x) - f(x + h)) / h", says="wrong sign"),
            Mistake("answer = lambda f, x, h: f(x + 1) - f(x)", says="a nudge of 1"),
            Mistake("answer = lambda f, x, h: (f(x + 1e-6) - f(x)) / 1e-6", says="Use h"),
            Mistake(_slope_by_backward, says="without backward()"),
            Mistake("answer = 14.01", says="should be a function"),
        ],
    ),
    Exercise(
        name="two_paths",
        hint="set `answer = (x.grad, y.grad)` for g = x * y + y at x = 2, y = 5 (after "
             "g.backward()).",
        check=_check_two_paths,
        explanation=(
            "$\\partial g / \\partial x = y = 5$. The variable `y` feeds the multiplication "
            "(local derivative $x = 2$) *and* the addition (local derivative $1$). When a tensor "
            "is used more than once, the backward pass adds up what comes back along each use:\n"
            "\n$$\\frac{\\partial g}{\\partial y} = x + 1 = 2 + 1 = 3$$"
        ),
        solution="""
x = ag.tensor(2.0, requires_grad=True)
y = ag.tensor(5.0, requires_grad=True)
g = x * y + y
g.backward()
answer = (x.grad, y.grad)    # (tensor(5.), tensor(3.))
""",
        mistakes=[
            Mistake("answer = (3.0, 5.0)", says="swapped"),
            Mistake("answer = (5.0, 2.0)", says="SUMS over all paths"),
            Mistake("answer = (5.0, 1.0)", says="only the direct path"),
            Mistake("answer = 5.0", says="give a pair"),
            Mistake("""
x = ag.tensor(2.0, requires_grad=True)
y = ag.tensor(5.0, requires_grad=True)
g = x * y + y
g.backward()
g = x * y + y      # the cell run a second time, on the same x and y
g.backward()
answer = (x.grad, y.grad)
""", says="gradients accumulate"),
        ],
    ),
    into=globals(),
)
