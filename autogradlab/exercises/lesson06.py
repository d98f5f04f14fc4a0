"""Lesson 6 (Linear regression, one gradient step at a time): gradients of a squared error by
hand, one update step written the way PyTorch recommends, the forgotten ``zero_grad()`` and a
learning rate that works.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.
"""

from __future__ import annotations

import math
from typing import Any

from ._check import Wrong, as_number, close, is_tensor
from ._exercise import Exercise, Mistake, declare
from ._learner_code import call

# Exercise 1: one point, one squared error, gradients by hand.
HAND_X, HAND_TARGET, HAND_W, HAND_B = 2.0, 7.0, 1.5, 0.5

# Exercise 3: the lesson's run without zero_grad() (Linear(1, 1) on three points, SGD lr=0.1).
PILE_SEED, PILE_POINTS, PILE_LR, PILE_STEPS = 0, 3, 0.1, 3

# Exercise 4: steps and goal of the learning-rate check (it trains on y = 3x - 1, no noise).
LR_STEPS, LR_GOAL = 30, 0.01


def _by_hand(value: Any, what: str) -> float:
    """A number worked out by hand: a tensor (read from the engine's ``.grad``) does not count."""
    if is_tensor(value):
        raise Wrong(f"{what} is a tensor, so it was read from the engine (w.grad, perhaps). This "
                    "exercise asks you to work the number out by hand first, then let autograd "
                    "confirm it: type the number, e.g. `answer = (-1.0, 2.5)`.")
    return as_number(value, what)


# -- Exercise 1: dL/dw and dL/db by hand ----------------------------------------------------------


def _hand_gradient() -> tuple[float, float]:
    prediction = HAND_W * HAND_X + HAND_B  # 3.5
    dloss_dprediction = 2 * (prediction - HAND_TARGET)  # -7
    return dloss_dprediction * HAND_X, dloss_dprediction * 1.0  # (-14, -7)


def _check_hand_gradient(answer: Any) -> str:
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        raise Wrong(f"expected a pair (dL_dw, dL_db), got {answer!r}.")
    dw = _by_hand(answer[0], "dL_dw")
    db = _by_hand(answer[1], "dL_db")
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


# -- Exercise 2: one gradient-descent update, written by the learner ------------------------------


def _check_sgd_step(sgd_step: Any) -> str:
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
                    "the name p at a new tensor; change the tensor itself, in place, with "
                    "recording switched off: `with ag.no_grad(): p -= lr * p.grad`.")
    if close(got_w, HAND_W + lr * -14.0, 1e-5) and close(got_b, HAND_B + lr * -7.0, 1e-5):
        raise Wrong("the parameters moved uphill. The gradient points where the loss grows, so "
                    "SUBTRACT lr * grad.")
    if not (close(got_w, want_w, 1e-5) and close(got_b, want_b, 1e-5)):
        raise Wrong(f"after one step with lr={lr} w should be {want_w:.4f} and b {want_b:.4f}; "
                    f"got w = {got_w:.4f}, b = {got_b:.4f}. Each parameter moves by "
                    f"-lr * its own gradient.")
    if not (w.is_leaf and w.requires_grad and b.is_leaf and b.requires_grad):
        raise Wrong("the numbers are right, but w or b is no longer a leaf that requires grad "
                    "(the update was recorded in the graph). Update inside "
                    "`with ag.no_grad():`.")
    for name, p in (("w", w), ("b", b)):
        if p.grad is not None and bool((p.grad != 0).sum() > 0):
            raise Wrong(f"the numbers are right, but {name}.grad still holds "
                        f"{p.grad.numpy().ravel().tolist()}: the next backward() would ADD to "
                        f"it. Zero the grads (p.grad = None, as optimizer.zero_grad() does).")
    return ("both parameters moved against their gradients (w: 1.5 -> 1.64, b: 0.5 -> 0.57) and "
            "their gradients were zeroed, ready for the next backward().")


# -- Exercise 3: what one backward pass adds when zero_grad() is forgotten ------------------------


def piled_gradients(zero_grad: bool = False) -> list[float]:
    """``w.grad`` after each backward pass of the lesson's short run (a Linear(1, 1) model on the
    first three points of the line, SGD with lr=0.1), with or without ``zero_grad()``."""
    import autogradlab as ag

    X, y = ag.data.line(n=100, slope=2.0, intercept=1.0, noise=0.1, seed=0)
    ag.manual_seed(PILE_SEED)
    model = ag.nn.Linear(1, 1)
    optimizer = ag.optim.SGD(model.parameters(), lr=PILE_LR)
    loss_fn = ag.nn.MSELoss()
    seen = []
    for _ in range(PILE_STEPS):
        if zero_grad:
            optimizer.zero_grad()
        loss_fn(model(X[:PILE_POINTS]), y[:PILE_POINTS]).backward()
        seen.append(model.weight.grad.item())
        optimizer.step()
    return seen


def _check_third_pass(answer: Any) -> str:
    given = as_number(answer, "your answer")
    piled = piled_gradients()
    own = piled[2] - piled[1]
    if close(given, own, 1e-3):
        return (f"w.grad went from {piled[1]:.4f} to {piled[2]:.4f}, so the third backward pass "
                f"added {own:.4f}. Without zero_grad() .grad holds the SUM of every backward pass "
                f"so far, and optimizer.step() follows that sum instead of this step's gradient.")
    if close(given, piled[2], 1e-3):
        raise Wrong(f"{given:.4f} is what w.grad shows after the third backward pass: the sum of "
                    f"all three passes, because nothing zeroed it. The third pass's own "
                    f"gradient is what it added to the {piled[1]:.4f} already there.")
    if close(given, -own, 1e-3):
        raise Wrong("the size is right but the sign is not: subtract the value before the third "
                    "pass from the value after it.")
    if close(given, piled[2] - piled[0], 1e-3):
        raise Wrong("that is what the second and third passes added together: after the second "
                    "pass .grad already held the first two gradients.")
    raise Wrong(f"{given:.4f} is not it. backward() adds its gradient to what .grad already "
                f"holds: compare w.grad after the second and after the third pass.")


# -- Exercise 4: a learning rate that works -------------------------------------------------------


def _sgd_step(params: list, lr: float) -> None:
    """The worked answer of exercise 2, used by exercise 4's check."""
    import autogradlab as ag

    with ag.no_grad():
        for p in params:
            p -= lr * p.grad
    for p in params:
        p.grad = None


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


def _check_learning_rate(lr: Any) -> str:
    """``lr`` must bring the loss below LR_GOAL within LR_STEPS steps of plain gradient descent."""
    value = as_number(lr, "your learning rate")
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


EXERCISES = declare(
    Exercise(
        name="hand_gradient",
        hint="set `answer = (dL_dw, dL_db)`, two numbers worked out by hand.",
        check=_check_hand_gradient,
        explanation=r"The chain rule, from the loss back: $\partial L/\partial \hat y = "
                    r"2(\hat y - t)$, then $\partial \hat y/\partial w = x$ and "
                    r"$\partial \hat y/\partial b = 1$.",
        solution="""
prediction = 1.5 * 2 + 0.5             # w*x + b = 3.5
dL_dprediction = 2 * (prediction - 7)  # the square's derivative: 2 * error = -7
answer = (dL_dprediction * 2, dL_dprediction * 1)   # times x = 2, times 1: (-14.0, -7.0)
""",
        mistakes=[
            Mistake("answer = (14.0, 7.0)", says="wrong sign"),
            Mistake("answer = (-7.0, -3.5)", says="factor of 2"),
            Mistake("answer = (-7.0, -7.0)", says="multiply dL/dprediction by x"),
            Mistake("answer = (-7.0, -14.0)", says="swapped"),
            Mistake("""
w = ag.tensor(1.5, requires_grad=True)
b = ag.tensor(0.5, requires_grad=True)
((w * 2 + b - 7) ** 2).backward()
answer = (w.grad, b.grad)
""", says="by hand"),
        ],
    ),
    Exercise(
        name="sgd_step",
        hint="define `def sgd_step(params, lr): ...` (update, then zero the grads), then set "
             "`answer = sgd_step`.",
        check=_check_sgd_step,
        explanation="Step 5 of the procedure, for any list of parameters:",
        solution="""
def sgd_step(params, lr):
    with ag.no_grad():             # the update is not part of any model: do not record it
        for p in params:
            p -= lr * p.grad       # in place: the same tensor, new numbers
    for p in params:
        p.grad = None              # zero the grads, as optimizer.zero_grad() does

answer = sgd_step
""",
        mistakes=[
            Mistake("""
def sgd_step(params, lr):
    for p in params:
        p = p - lr * p.grad        # only the name p changes
answer = sgd_step
""", says="did not change"),
            Mistake("""
def sgd_step(params, lr):
    with ag.no_grad():
        for p in params:
            p += lr * p.grad
            p.grad = None
answer = sgd_step
""", says="uphill"),
            Mistake("""
def sgd_step(params, lr):
    with ag.no_grad():
        for p in params:
            p -= lr * p.grad
answer = sgd_step
""", says="ADD"),
            Mistake("""
def sgd_step(params, lr):
    for p in params:
        p -= lr * p.grad           # recorded: refused on a leaf that requires grad
        p.grad = None
answer = sgd_step
""", says="ag.no_grad()"),
        ],
    ),
    Exercise(
        name="third_pass",
        hint="set `answer` to the gradient the third backward pass computed on its own, a "
             "number read off the printout above.",
        check=_check_third_pass,
        explanation="`.grad` after a pass = `.grad` before it + that pass's own gradient:",
        setup="from autogradlab.exercises.lesson06 import piled_gradients\n"
              "piled = piled_gradients()",
        solution="""
after_second, after_third = piled[1], piled[2]   # w.grad after the 2nd and 3rd backward()
answer = after_third - after_second
""",
        mistakes=[
            Mistake("answer = piled[2]", says="sum of all three passes"),
            Mistake("answer = piled[1] - piled[2]", says="sign"),
            Mistake("answer = piled[2] - piled[0]", says="second and third passes"),
        ],
    ),
    Exercise(
        name="learning_rate",
        hint="set `answer` to a learning rate, a positive number.",
        check=_check_learning_rate,
        explanation="Anything from about 0.15 to 0.95 works here. Below that the steps are too "
                    "short to get there in 30 steps; near 1 the bias overshoots and bounces "
                    "across the valley; above 1 every bounce lands higher than the last and the "
                    "loss explodes.",
        solution="answer = 0.5",
        mistakes=[
            Mistake("answer = 0.01", says="too small"),
            Mistake("answer = 1.0", says="a little too large"),
            Mistake("answer = 1.5", says="too large"),
            Mistake("answer = -0.1", says="positive"),
        ],
    ),
    into=globals(),
)
