"""Self-checks for lesson 06, linear regression.

Each ``check_<name>(answer)`` prints what is right or wrong about ``answer`` and returns True or
False; it never raises, so a learner's mistake shows up as a message, not a traceback.
``SOLUTIONS[name]()`` returns the worked answer; ``WRONG_ANSWERS`` lists typical mistakes and the
words the check says about each (``tests/test_exercises.py`` holds the checks to them).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._check import Wrong, as_number, close, exercise
from ._learner_code import call

# Exercise 1: one point, one squared error, gradients by hand.
HAND_X, HAND_TARGET, HAND_W, HAND_B = 2.0, 7.0, 1.5, 0.5

# Exercise 3: steps and goal of the learning-rate check (it trains on y = 3x - 1, no noise).
LR_STEPS, LR_GOAL = 30, 0.01


# --------------------------------------------------------------------------------------------
# Exercise 1: dL/dw and dL/db by hand
# --------------------------------------------------------------------------------------------


def _hand_gradient() -> tuple[float, float]:
    prediction = HAND_W * HAND_X + HAND_B  # 3.5
    dloss_dprediction = 2 * (prediction - HAND_TARGET)  # -7
    return dloss_dprediction * HAND_X, dloss_dprediction * 1.0  # (-14, -7)


@exercise("set answer = (dL_dw, dL_db), two numbers, then run the cell again.")
def check_hand_gradient(answer: Any) -> str:
    """``answer`` is ``(dL/dw, dL/db)`` for L = (w*x + b - t)**2 at x=2, t=7, w=1.5, b=0.5."""
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise Wrong(f"expected a pair (dL_dw, dL_db), got {answer!r}.")
    dw = as_number(answer[0], "dL_dw")
    db = as_number(answer[1], "dL_db")
    want_dw, want_db = _hand_gradient()
    if close(dw, want_dw) and close(db, want_db):
        return (f"dL/dw = {want_dw:g} and dL/db = {want_db:g}. The error w*x + b - t is -3.5; "
                f"the square turns it into dL/dprediction = 2 * (-3.5) = -7, and the chain rule "
                f"multiplies that by dprediction/dw = x = 2 and by dprediction/db = 1.")
    if close(dw, want_db) and close(db, want_dw):
        raise Wrong("the two numbers look swapped: the first is dL/dw, the second dL/db.")
    if close(dw, -want_dw) and close(db, -want_db):
        raise Wrong("right size, wrong sign. The prediction 3.5 is below the target 7, so "
                    "making w or b larger lowers the loss: both gradients must be negative.")
    if close(dw, want_dw / 2) and close(db, want_db / 2):
        raise Wrong("off by a factor of 2: the derivative of error**2 is 2 * error, not error.")
    if close(db, want_db):
        raise Wrong(f"dL/db = {db:g} is right but dL/dw = {dw:g} is not: dprediction/dw is x, "
                    f"so multiply dL/dprediction by x = {HAND_X:g}.")
    if close(dw, want_dw):
        raise Wrong(f"dL/dw = {dw:g} is right but dL/db = {db:g} is not: dprediction/db is 1, "
                    f"so dL/db equals dL/dprediction.")
    raise Wrong(f"got ({dw:g}, {db:g}). Work back from the loss: prediction = w*x + b, error = "
                f"prediction - t, L = error**2, so dL/dprediction = 2 * error; then multiply by "
                f"dprediction/dw = x and dprediction/db = 1.")


# --------------------------------------------------------------------------------------------
# Exercise 2: one gradient-descent update, written by the learner
# --------------------------------------------------------------------------------------------


def _sgd_step(params: list, lr: float) -> None:
    """The worked answer: move each parameter against its gradient, then reset the gradient."""
    for p in params:
        p.data -= lr * p.grad.data
        p.grad = None


@exercise("write the body of sgd_step(params, lr) in place of "
                   "`raise NotImplementedError`, then run the cell again.")
def check_sgd_step(sgd_step: Any) -> str:
    """``sgd_step(params, lr)`` must update each parameter in place and reset its gradient."""
    import autogradlab as ag

    w = ag.tensor([HAND_W], requires_grad=True)
    b = ag.tensor([HAND_B], requires_grad=True)
    loss = ((w * HAND_X + b - HAND_TARGET) ** 2).sum()
    loss.backward()  # w.grad = -14, b.grad = -7
    lr = 0.01
    call(sgd_step, "sgd_step", [w, b], lr)
    want_w, want_b = HAND_W - lr * -14.0, HAND_B - lr * -7.0  # 1.64, 0.57
    got_w, got_b = as_number(w, "w after the step"), as_number(b, "b after the step")
    if close(got_w, HAND_W, 1e-7) and close(got_b, HAND_B, 1e-7):
        raise Wrong("w and b did not change. `p = p - lr * p.grad` inside the loop only points "
                    "the name p at a new tensor; change the tensor itself: "
                    "p.data -= lr * p.grad.data (or p -= lr * p.grad inside `with ag.no_grad():`).")
    if close(got_w, HAND_W + lr * -14.0, 1e-5) and close(got_b, HAND_B + lr * -7.0, 1e-5):
        raise Wrong("the parameters moved uphill. The gradient points where the loss grows, so "
                    "SUBTRACT lr * grad.")
    if not (close(got_w, want_w, 1e-5) and close(got_b, want_b, 1e-5)):
        raise Wrong(f"after one step with lr={lr} w should be {want_w:.4f} and b {want_b:.4f}; "
                    f"got w = {got_w:.4f}, b = {got_b:.4f}. Each parameter moves by "
                    f"-lr * its own gradient.")
    if not (w.is_leaf and w.requires_grad and b.is_leaf and b.requires_grad):
        raise Wrong("the numbers are right, but w or b is no longer a leaf that requires grad "
                    "(the update was recorded in the graph). Update .data, or update inside "
                    "`with ag.no_grad():`.")
    for name, p in (("w", w), ("b", b)):
        if p.grad is not None and bool((p.grad != 0).sum() > 0):
            raise Wrong(f"the numbers are right, but {name}.grad still holds "
                        f"{p.grad.numpy().ravel().tolist()}: the next backward() would ADD to "
                        f"it. Reset it (p.grad = None, or p.grad.zero_()).")
    return ("both parameters moved against their gradients (w: 1.5 -> 1.64, b: 0.5 -> 0.57) and "
            "their gradients were reset, ready for the next backward().")


# --------------------------------------------------------------------------------------------
# Exercise 3: a learning rate that works
# --------------------------------------------------------------------------------------------


def _train_line(lr: float, steps: int = LR_STEPS) -> tuple[list[float], bool]:
    """Gradient descent on MSE for y = 3x - 1 (20 points in [-1, 1]) from w = b = 0.

    Returns the losses (before each step, and after the last) and whether the last steps
    overshot: b jumping from one side of its best value (-1) to the other.
    """
    import autogradlab as ag

    x = ag.linspace(-1.0, 1.0, 20)
    y = 3 * x - 1
    w = ag.zeros(1, requires_grad=True)
    b = ag.zeros(1, requires_grad=True)
    losses, b_errors = [], []
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        losses.append(loss.item())
        if not math.isfinite(losses[-1]) or losses[-1] > 1e6:
            break
        loss.backward()
        _sgd_step([w, b], lr)
        b_errors.append(b.item() + 1.0)
    losses.append(((w * x + b - y) ** 2).mean().item())
    overshot = len(b_errors) >= 2 and b_errors[-1] * b_errors[-2] < 0
    return losses, overshot


@exercise("set lr to a number, then run the cell again.")
def check_learning_rate(lr: Any) -> str:
    """``lr`` must bring the loss below LR_GOAL within LR_STEPS steps of plain gradient descent."""
    value = as_number(lr, "lr")
    if value <= 0:
        raise Wrong(f"lr = {value:g} would step uphill (or not at all): it must be positive.")
    losses, overshot = _train_line(value)
    first, last = losses[0], losses[-1]
    if not math.isfinite(last) or last > first:
        raise Wrong(f"lr = {value:g} is too large: the loss grew from {first:.3f} to {last:.3g}. "
                    f"Each step jumps past the bottom of the valley and lands higher up the "
                    f"other side.")
    if last >= LR_GOAL and overshot:
        raise Wrong(f"lr = {value:g} is a little too large: b bounces from one side of the "
                    f"valley to the other, so after {LR_STEPS} steps the loss is still "
                    f"{last:.4f} (goal: below {LR_GOAL}). Try a smaller lr.")
    if last >= LR_GOAL:
        raise Wrong(f"lr = {value:g} is too small: after {LR_STEPS} steps the loss is "
                    f"{last:.4f} (it started at {first:.3f}), not below {LR_GOAL}. Take bigger "
                    f"steps.")
    return (f"with lr = {value:g} the loss fell from {first:.3f} to {last:.2g} in {LR_STEPS} "
            f"steps.")


SOLUTIONS: dict[str, Callable[[], Any]] = {
    "hand_gradient": _hand_gradient,
    "sgd_step": lambda: _sgd_step,
    "learning_rate": lambda: 0.5,
}


def _rebinds(params: list, lr: float) -> None:
    for p in params:
        p = p - lr * p.grad  # noqa: F841  (the mistake: only the local name changes)


def _uphill(params: list, lr: float) -> None:
    for p in params:
        p.data += lr * p.grad.data
        p.grad = None


def _keeps_grad(params: list, lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad.data


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "hand_gradient": [
        (lambda: (14.0, 7.0), "wrong sign"),
        (lambda: (-7.0, -3.5), "factor of 2"),
        (lambda: (-7.0, -7.0), "multiply dL/dprediction by x"),
        (lambda: (-7.0, -14.0), "swapped"),
    ],
    "sgd_step": [
        (lambda: _rebinds, "did not change"),
        (lambda: _uphill, "uphill"),
        (lambda: _keeps_grad, "ADD"),
    ],
    "learning_rate": [
        (lambda: 0.01, "too small"),
        (lambda: 1.0, "a little too large"),
        (lambda: 1.5, "too large"),
        (lambda: -0.1, "positive"),
    ],
}
