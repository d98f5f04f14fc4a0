"""Lesson 4 (Backpropagation): gradients as products along paths, added over paths.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ._check import Wrong, as_number, close, is_tensor
from ._exercise import Exercise, Mistake, declare
from ._learner_code import call

#: the scalar graph of the lesson: b = w1*a, c = w2*a, d = w3*b + w4*c, L = 10 - d
VALUES = {"a": 2.0, "w1": 3.0, "w2": -1.0, "w3": 2.0, "w4": 4.0}

#: what the lesson has defined when exercise 1 starts (its first graph, after L.backward())
SCALAR_GRAPH = """
a  = ag.tensor(2.0, requires_grad=True)
w1 = ag.tensor(3.0, requires_grad=True)
w2 = ag.tensor(-1.0, requires_grad=True)
w3 = ag.tensor(2.0, requires_grad=True)
w4 = ag.tensor(4.0, requires_grad=True)
b = w1 * a
c = w2 * a
d = w3 * b + w4 * c
L = 10 - d
L.backward()
"""


def _is(value: float, target: float) -> bool:
    return close(value, target, 1e-6)


def _by_hand(answer: Any, what: str) -> float:
    """The learner's number, refusing a tensor: these exercises ask for a prediction by hand,
    so an answer read from the engine (``w1.grad``) does not count."""
    if is_tensor(answer):
        raise Wrong(f"{what} is a tensor, so it was read from the engine (a .grad, perhaps). "
                    "This exercise asks you to predict the number by hand first: multiply the "
                    "edge weights along each path and type the result, e.g. `answer = 3.5`.")
    return as_number(answer, what)


# -- Exercise 1: dL/dw1 by hand (one path) -------------------------------------------------------


def _grad_w1() -> float:
    v = VALUES
    dL_dd, dd_db, db_dw1 = -1.0, v["w3"], v["a"]  # noqa: N806
    return dL_dd * dd_db * db_dw1


def _check_grad_w1(answer: Any) -> str:
    given = _by_hand(answer, "your dL/dw1")
    expected = _grad_w1()
    if _is(given, expected):
        return (f"one path, L -> d -> b -> w1, so dL/dw1 = (dL/dd)(dd/db)(db/dw1) = "
                f"(-1)·(w3 = 2)·(a = 2) = {expected:g}.")
    if _is(given, -expected):
        raise Wrong("the size is right but the sign is not: L = 10 - d, so dL/dd = -1.")
    if _is(given, -VALUES["w3"]) or _is(given, -VALUES["a"]):
        raise Wrong("one edge of the path L -> d -> b -> w1 is missing: multiply three edge "
                    "weights, dL/dd, dd/db and db/dw1.")
    if _is(given, -VALUES["w3"] * VALUES["w1"]):
        raise Wrong("db/dw1 is the *other* factor of b = w1 * a, so it is a = 2, not w1.")
    raise Wrong(f"{given:g} is not it. Follow the only path from L to w1 (L -> d -> b -> w1) and "
                "multiply the local derivative on each of its edges.")


# -- Exercise 2: dL/da for a squared loss (two paths) --------------------------------------------


def _squared_parts() -> dict[str, float]:
    v = VALUES
    b, c = v["w1"] * v["a"], v["w2"] * v["a"]
    d = v["w3"] * b + v["w4"] * c
    dL_dd = -2.0 * (10.0 - d)  # noqa: N806
    via_b = dL_dd * v["w3"] * v["w1"]
    via_c = dL_dd * v["w4"] * v["w2"]
    return {"d": d, "dL_dd": dL_dd, "via_b": via_b, "via_c": via_c, "total": via_b + via_c}


def _check_grad_a_squared(answer: Any) -> str:
    given = _by_hand(answer, "your dL/da")
    p = _squared_parts()
    if _is(given, p["total"]):
        return (f"d = {p['d']:g}, so dL/dd = -2·(10 - d) = {p['dL_dd']:g}; the path through b "
                f"gives {p['dL_dd']:g}·2·3 = {p['via_b']:g}, the path through c gives "
                f"{p['dL_dd']:g}·4·(-1) = {p['via_c']:g}; together {p['total']:g}.")
    if _is(given, p["via_b"]) or _is(given, p["via_c"]):
        raise Wrong("that is the product along one path only. a reaches d along two paths "
                    "(through b and through c): add both products.")
    if _is(given, -p["total"]):
        raise Wrong("the size is right but the sign is not: the derivative of (10 - d)**2 with "
                    "respect to d is -2·(10 - d).")
    if _is(given, p["total"] / p["dL_dd"]):
        raise Wrong("that is dd/da (both paths), but the first edge is missing: multiply by "
                    "dL/dd = -2·(10 - d).")
    if _is(given, -p["total"] / p["dL_dd"]):
        raise Wrong("that is dL/da for the old loss L = 10 - d. With L = (10 - d)**2 the first "
                    "edge weight changes to dL/dd = -2·(10 - d).")
    raise Wrong(f"{given:g} is not it. First find d and dL/dd = -2·(10 - d); then add the "
                "products along L -> d -> b -> a and L -> d -> c -> a.")


# -- Exercise 3: the gradient of a for the 5x5 graph as a formula -------------------------------


def _uses_the_engine(function: Any) -> str | None:
    """What in ``function``'s source asks the engine for gradients, if anything."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    for call_text in (".backward(", "ag.grad(", "autograd.grad(", ".grad"):
        if call_text in source:
            return call_text
    return None


def _check_grad_a_formula(answer: Any) -> str:
    import autogradlab as ag

    used = _uses_the_engine(answer) if callable(answer) else None
    if used:
        raise Wrong(f"grad_a uses `{used}`: that asks the engine for the gradient. This exercise "
                    "asks for the path rule by hand: multiply the edge weights along each path "
                    "(elementwise) and add, with no backward().")
    ag.manual_seed(7)
    x1, x2, x3, x4 = (ag.randn(3, 4, requires_grad=True) for _ in range(4))
    with ag.no_grad():
        result = call(answer, "grad_a", x1, x2, x3, x4)
    if any(x.grad is not None for x in (x1, x2, x3, x4)):
        raise Wrong("grad_a ran a backward pass (the inputs received .grad). This exercise asks "
                    "for the path rule by hand, with no backward().")
    if result is None:
        raise Wrong("grad_a(...) returned None. Did you forget `return`?")
    try:
        host = result.detach().numpy() if hasattr(result, "detach") else result
        got = np.asarray(host, dtype=float)
    except Exception:
        raise Wrong(f"grad_a(...) returned {result!r}; it should return a tensor.") from None
    if got.shape != (3, 4):
        raise Wrong(f"grad_a should return one number per element of a (shape (3, 4) on the "
                    f"test inputs), but it returned shape {got.shape}.")
    h = [np.asarray(x.detach().numpy(), dtype=float) for x in (x1, x2, x3, x4)]
    via_b, via_c = -h[2] * h[0], -h[3] * h[1]
    expected = via_b + via_c
    if np.allclose(got, expected, atol=1e-5):
        return ("dL/da = -(x3·x1 + x4·x2), element by element: two paths, each a product of edge "
                "weights, added.")
    if np.allclose(got, -expected, atol=1e-5):
        raise Wrong("the sign is off: L = (10 - d).sum(), so every element of d has dL/dd = -1.")
    if np.allclose(got, via_b, atol=1e-5) or np.allclose(got, via_c, atol=1e-5):
        raise Wrong("that is one path only. Add the path through b (x3·x1) and the path "
                    "through c (x4·x2).")
    raise Wrong("these are not the engine's numbers. Each element of a reaches d along two "
                "paths; multiply the edge weights on each path (elementwise) and add.")


FORMULA_GRAPH = """
rng = np.random.default_rng(0)
a, x1, x2, x3, x4 = (ag.tensor(rng.standard_normal((5, 5)).astype(np.float32), requires_grad=True)
                     for _ in range(5))
"""

EXERCISES = declare(
    Exercise(
        name="grad_w1",
        hint="set `answer` to your prediction of dL/dw1, a number worked out by hand.",
        check=_check_grad_w1,
        setup=SCALAR_GRAPH,
        explanation="There is only one path, `L -> d -> b -> w1`:",
        solution="""
dL_dd = -1.0          # L = 10 - d
dd_db = w3.item()     # 2
db_dw1 = a.item()     # 2: the other factor of b = w1 * a
answer = dL_dd * dd_db * db_dw1   # -4.0
""",
        mistakes=[
            Mistake("answer = 4.0", says="sign"),
            Mistake("answer = -2.0", says="edge"),
            Mistake("answer = -6.0", says="other* factor"),
            Mistake("answer = w1.grad", says="predict the number by hand"),
        ],
    ),
    Exercise(
        name="grad_a_squared",
        hint="set `answer` to your prediction of dL/da for L = (10 - d)**2, a number.",
        check=_check_grad_a_squared,
        solution="""
d = 2 * (3 * 2) + 4 * (-1 * 2)     # 4
dL_dd = -2 * (10 - d)              # -12
through_b = dL_dd * 2 * 3          # (dL/dd)(dd/db)(db/da) = -72
through_c = dL_dd * 4 * (-1)       # (dL/dd)(dd/dc)(dc/da) = 48
answer = through_b + through_c     # -24
""",
        mistakes=[
            Mistake("answer = -72.0", says="one path only"),
            Mistake("answer = 48.0", says="one path only"),
            Mistake("answer = -2.0", says="old loss"),
            Mistake("answer = 24.0", says="sign"),
        ],
    ),
    Exercise(
        name="grad_a_formula",
        hint="define `def grad_a(x1, x2, x3, x4): ...` returning dL/da, then set "
             "`answer = grad_a`.",
        check=_check_grad_a_formula,
        setup=FORMULA_GRAPH,
        solution="""
def grad_a(x1, x2, x3, x4):
    dL_dd = -1.0                    # the sum gives each element weight 1, and L = 10 - d gives -1
    through_b = dL_dd * x3 * x1     # L -> d -> b -> a, elementwise
    through_c = dL_dd * x4 * x2     # L -> d -> c -> a
    return through_b + through_c

answer = grad_a
""",
        mistakes=[
            Mistake("answer = lambda x1, x2, x3, x4: x3 * x1 + x4 * x2", says="sign"),
            Mistake("answer = lambda x1, x2, x3, x4: -(x3 * x1)", says="one path only"),
            Mistake("answer = lambda x1, x2, x3, x4: (x1 * x2).sum()", says="shape"),
            Mistake(lambda: _calls_backward, says="no backward()"),
        ],
    ),
    into=globals(),
)


def _calls_backward(x1: Any, x2: Any, x3: Any, x4: Any) -> Any:
    """A typical mistake for exercise 3: asking the engine instead of using the path rule."""
    import autogradlab as ag

    a = ag.ones(x1.shape, requires_grad=True)
    with ag.enable_grad():
        L = (10 - (x3 * (x1 * a) + x4 * (x2 * a))).sum()  # noqa: N806
        L.backward()
    return a.grad
