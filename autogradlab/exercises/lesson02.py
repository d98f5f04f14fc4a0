"""Lesson 2 (Computation graphs): gradients summed over paths, and the order backward visits."""

from __future__ import annotations

from typing import Any

from ._check import Wrong, as_number, close, exercise, grad_fn_name


@exercise(
    "set `answer = (x.grad, y.grad)` for g = x * y + y at x = 2, y = 5 (after g.backward())."
)
def check_two_paths(answer: Any) -> str:
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        raise Wrong(
            f"your answer is {answer!r}; give a pair: answer = (x.grad, y.grad)."
        )
    gx = as_number(answer[0], "your x.grad")
    gy = as_number(answer[1], "your y.grad")
    if close(gx, 5) and close(gy, 3):
        return (
            "dg/dx = y = 5. y reaches g along two paths, through x * y (local derivative x = 2) "
            "and directly (derivative 1); backward adds the paths: 2 + 1 = 3."
        )
    if close(gx, 3) and close(gy, 5):
        raise Wrong("the two gradients are swapped: answer = (x.grad, y.grad), in that order.")
    if close(gx, 5) and close(gy, 2):
        raise Wrong(
            "x.grad = 5 is right. y.grad = 2 counts only the path through x * y; y also reaches g "
            "directly (+ y, derivative 1), and backward SUMS over all paths."
        )
    if close(gx, 5) and close(gy, 1):
        raise Wrong(
            "x.grad = 5 is right. y.grad = 1 counts only the direct path; y also reaches g through "
            "x * y (derivative x = 2), and backward sums over all paths."
        )
    if close(gx, 5):
        raise Wrong(f"x.grad = 5 is right, but y.grad is not {gy:g}: add the derivative along "
                    "each path from y to g.")
    raise Wrong(f"x.grad is not {gx:g}: d(x*y)/dx is y, and the + y term does not depend on x.")


EXPECTED_ORDER = ["TanhBackward0", "AddBackward0", "MulBackward0"]


@exercise(
    "set `answer` to the list of grad_fn names backward visits for f = (x * 2 + 1).tanh(), "
    'first to last, e.g. ["...Backward0", ...].'
)
def check_backward_order(answer: Any) -> str:
    if isinstance(answer, str) or not isinstance(answer, (list, tuple)):
        raise Wrong(f"your answer is a {type(answer).__name__}; give a list of names, "
                    'e.g. ["TanhBackward0", ...].')
    names = [grad_fn_name(a) for a in answer]
    if names == EXPECTED_ORDER:
        return (
            "backward starts at the output's grad_fn (tanh, the last operation) and walks back "
            "to the first operation, x * 2. The leaf x has no grad_fn."
        )
    if names == EXPECTED_ORDER[::-1]:
        raise Wrong(
            "that is the order the FORWARD pass ran. Backward starts at the output, f.grad_fn, and "
            "walks towards the inputs."
        )
    if len(names) != 3:
        raise Wrong(
            f"you listed {len(names)} names; f = (x * 2 + 1).tanh() has three operations "
            "(the leaf x has no grad_fn, and constants like 2 are not nodes)."
        )
    unknown = [n for n in names if n not in EXPECTED_ORDER]
    if unknown:
        raise Wrong(
            f"{unknown[0]!r} is not a node of this graph; print f.grad_fn to see the first one "
            "(names end in Backward0)."
        )
    raise Wrong("right names, wrong order: backward goes from the last operation to the first.")


def _two_paths():
    import autogradlab as ag

    x = ag.tensor(2.0, requires_grad=True)
    y = ag.tensor(5.0, requires_grad=True)
    g = x * y + y
    g.backward()
    return (x.grad, y.grad)


SOLUTIONS = {
    "two_paths": _two_paths,
    "backward_order": lambda: ["TanhBackward0", "AddBackward0", "MulBackward0"],
}

WRONG_ANSWERS = {
    "two_paths": [
        (lambda: (3.0, 5.0), "swapped"),
        (lambda: (5.0, 2.0), "SUMS over all paths"),
        (lambda: 5.0, "give a pair"),
    ],
    "backward_order": [
        (lambda: ["MulBackward0", "AddBackward0", "TanhBackward0"], "FORWARD"),
        (lambda: ["TanhBackward0", "AddBackward0", "MulBackward0", "x"], "three operations"),
        (lambda: "TanhBackward0", "list of names"),
    ],
}
