"""Lesson 7 (A neural network with one hidden layer): counting a network's parameters, Adam's
first step on one parameter by hand, and the accuracy of a classifier.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes. Numbers are accepted in every form a learner may compute them:
Python ints and floats, NumPy scalars (``np.int64(354)`` from a NumPy sum) and, where the answer
is a count, one-element tensors.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ._check import Wrong, as_number, close, is_tensor
from ._exercise import Exercise, Mistake, declare
from ._learner_code import call

#: exercise 1's network, as (inputs, outputs) of each Linear layer: 2 -> 16 -> 16 -> 2
LAYERS = ((2, 16), (16, 16), (16, 2))

#: exercise 2: one parameter, its gradient at the first step, and Adam's settings
ADAM_W, ADAM_GRAD, ADAM_LR, ADAM_BETAS, ADAM_EPS = 2.0, -0.5, 0.1, (0.9, 0.999), 1e-8


# -- Exercise 1: how many numbers does a 2-16-16-2 network learn? --------------------------------


def _parameter_count() -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in LAYERS)  # 48 + 272 + 34 = 354


def _whole_number(answer: Any) -> int:
    """A count from an int, a NumPy integer, a whole float or a one-element tensor."""
    if isinstance(answer, bool):
        raise Wrong(f"the answer is a whole number of parameters, got the bool {answer!r}.")
    if is_tensor(answer) or isinstance(answer, numbers.Real) or hasattr(answer, "dtype"):
        value = as_number(answer, "your answer")
        if math.isfinite(value) and value == int(value):
            return int(value)
        raise Wrong(f"the answer is a whole number of parameters, got {value:g}.")
    raise Wrong(f"the answer is a whole number of parameters, got {answer!r}.")


def _check_parameter_count(answer: Any) -> str:
    given = _whole_number(answer)
    want = _parameter_count()
    weights = sum(n_in * n_out for n_in, n_out in LAYERS)
    biases = sum(n_out for _, n_out in LAYERS)
    if given == want:
        return (f"{want} = (2*16 + 16) + (16*16 + 16) + (16*2 + 2). Each Linear(n_in, n_out) "
                f"learns an n_out x n_in weight matrix and n_out biases; ReLU learns nothing.")
    if given == weights:
        raise Wrong(f"{given} counts the weights only: each Linear layer also learns one bias "
                    f"per output ({biases} biases in all).")
    if given == biases:
        raise Wrong(f"{given} counts the biases only: add the weight matrices, n_in * n_out "
                    f"numbers each.")
    if given == want - (16 * 16 + 16):
        raise Wrong("it looks like the middle Linear(16, 16) layer is missing.")
    raise Wrong(f"not {given}. Add up, layer by layer, n_in * n_out weights plus n_out biases "
                f"(the layers are {', '.join(f'Linear({a}, {b})' for a, b in LAYERS)}). You can "
                f"check with sum(p.numel() for p in model.parameters()).")


# -- Exercise 2: Adam's first step, by hand -------------------------------------------------------


def adam_parts(bias_correction: bool = True) -> dict[str, float]:
    """m, v, their corrected values and the new w after Adam's first step on exercise 2's w."""
    beta1, beta2 = ADAM_BETAS
    g = ADAM_GRAD
    m = (1 - beta1) * g
    v = (1 - beta2) * g * g
    m_hat = m / (1 - beta1) if bias_correction else m
    v_hat = v / (1 - beta2) if bias_correction else v
    w = ADAM_W - ADAM_LR * m_hat / (math.sqrt(v_hat) + ADAM_EPS)
    return {"m": m, "v": v, "m_hat": m_hat, "v_hat": v_hat, "w": w}


def _check_adam_first_step(answer: Any) -> str:
    if is_tensor(answer):
        raise Wrong("your answer is a tensor, so it was read from the engine (ran "
                    "ag.optim.Adam, perhaps). This exercise asks you to follow the formulas by "
                    "hand first: type the number, e.g. `answer = 1.234`.")
    given = as_number(answer, "your answer")
    p = adam_parts()
    if close(given, p["w"], 1e-6):
        return (f"m = {p['m']:g} and v = {p['v']:g}; the bias correction divides them by "
                f"1 - 0.9 = 0.1 and 1 - 0.999 = 0.001, giving back g = {p['m_hat']:g} and "
                f"g² = {p['v_hat']:g}. So the step is lr · g / |g| = {ADAM_LR:g} against the "
                f"gradient's sign: w = {p['w']:.4f}. Adam's first step has size lr, whatever "
                f"the size of the gradient.")
    if close(given, ADAM_W - ADAM_LR * ADAM_GRAD, 1e-6):
        raise Wrong("that is plain SGD's step, w - lr · g. Adam divides the (corrected) running "
                    "mean of the gradient by the square root of the (corrected) running mean "
                    "of its square.")
    if close(given, adam_parts(bias_correction=False)["w"], 1e-4):
        raise Wrong("the bias correction is missing: after one step m = 0.1 · g and "
                    "v = 0.001 · g², far too small because both started at 0. Divide by "
                    "1 - beta1**t and 1 - beta2**t (t = 1) before the step.")
    if close(given, 2 * ADAM_W - p["w"], 1e-6):
        raise Wrong("the size of the step is right but w moved the wrong way: the gradient is "
                    "negative, so stepping against it makes w larger.")
    if close(given, abs(p["w"] - ADAM_W), 1e-6) or close(given, p["w"] - ADAM_W, 1e-6):
        raise Wrong(f"that is how far w moves; the question asks for w after the step (it "
                    f"started at {ADAM_W:g}).")
    raise Wrong(f"{given:g} is not it. Follow the formulas with t = 1: m = 0.1 · g, "
                f"v = 0.001 · g², m̂ = m / (1 - 0.9), v̂ = v / (1 - 0.999), then "
                f"w - lr · m̂ / (√v̂ + eps).")


# -- Exercise 3: accuracy(model, X, y) ------------------------------------------------------------


def _check_accuracy(accuracy: Any) -> str:
    """``accuracy(model, X, y)`` must return the fraction of correctly classified points."""
    import autogradlab as ag

    # A stand-in model with fixed scores for 5 points and 3 classes (a row per point).
    scores = ag.tensor([[2.0, 0.1, 0.3],
                        [0.2, 1.5, 0.1],
                        [0.1, 0.2, 0.9],
                        [3.0, 0.5, 0.2],
                        [0.4, 0.3, 0.2]])
    X = ag.zeros(5, 2)
    y = ag.tensor([0, 1, 2, 1, 2])  # points 3 and 4 are classified wrongly: 3 of 5 right
    result = call(accuracy, "accuracy", lambda inputs: scores, X, y)
    if is_tensor(result):
        raise Wrong(f"accuracy returned a tensor ({result!r}); return a Python number "
                    f"(t.item()), which prints and compares like one.")
    if isinstance(result, bool) or not isinstance(result, numbers.Real):
        raise Wrong(f"accuracy should return a number, got a {type(result).__name__}.")
    result = float(result)  # a NumPy float (np.mean of a boolean array) is a number too
    if close(result, 0.6, 1e-6):
        return "3 of the 5 test points have their highest score in their own class: 0.6."
    if close(result, 3):
        raise Wrong("3 is the number of correct points; divide by the number of points (5).")
    if close(result, 60):
        raise Wrong("60 is a percentage; return the fraction (0.6).")
    if close(result, 0.4, 1e-6):
        raise Wrong("0.4 is the fraction of WRONG points.")
    raise Wrong(f"got {result!r} where 0.6 was expected on a 5-point test case. Take the class "
                f"with the highest score in each ROW (argmax over dim=1), compare it with y, "
                f"and average.")


EXERCISES = declare(
    Exercise(
        name="parameter_count",
        hint="set `answer` to a whole number, the count worked out from the layers' shapes.",
        check=_check_parameter_count,
        explanation="Each `Linear(n_in, n_out)` learns $n_\\text{out} \\times n_\\text{in}$ "
                    "weights and $n_\\text{out}$ biases; `ReLU` learns nothing:",
        solution="""
answer = (2 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2)   # 354

# the model can count them too
bigger = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 16), ag.nn.ReLU(),
                          ag.nn.Linear(16, 2))
print(sum(p.numel() for p in bigger.parameters()))    # 354
""",
        mistakes=[
            Mistake("answer = 2 * 16 + 16 * 16 + 16 * 2", says="weights only"),
            Mistake("answer = 16 + 16 + 2", says="biases only"),
            Mistake("answer = (2 * 16 + 16) + (16 * 2 + 2)", says="middle Linear(16, 16)"),
            Mistake("answer = 3.5", says="whole number"),
        ],
    ),
    Exercise(
        name="adam_first_step",
        hint="set `answer` to w after Adam's first step, a number worked out with the formulas.",
        check=_check_adam_first_step,
        explanation="The formulas with $t = 1$, $g = -0.5$:",
        solution="""
g, lr, beta1, beta2, eps = -0.5, 0.1, 0.9, 0.999, 1e-8
m = (1 - beta1) * g              # -0.05: the running mean starts at 0
v = (1 - beta2) * g**2           # 0.00025
m_hat = m / (1 - beta1**1)       # -0.5: the bias correction gives back g
v_hat = v / (1 - beta2**1)       # 0.25: and g squared
answer = 2.0 - lr * m_hat / (v_hat**0.5 + eps)   # 2.1: a step of size lr
""",
        mistakes=[
            Mistake("answer = 2.0 - 0.1 * -0.5", says="plain SGD"),
            Mistake("answer = 2.0 - 0.1 * (0.1 * -0.5) / ((0.001 * 0.25) ** 0.5 + 1e-8)",
                    says="bias correction"),
            Mistake("answer = 1.9", says="wrong way"),
            Mistake("answer = 0.1", says="how far w moves"),
            Mistake("""
w = ag.tensor(2.0, requires_grad=True)
optimizer = ag.optim.Adam([w], lr=0.1)
(-0.5 * w).backward()
optimizer.step()
answer = w
""", says="by hand"),
        ],
    ),
    Exercise(
        name="accuracy",
        hint="define `def accuracy(model, X, y): ...` returning a number between 0 and 1, then "
             "set `answer = accuracy`.",
        check=_check_accuracy,
        solution="""
def accuracy(model, X, y):
    predicted = model(X).argmax(dim=1)         # the class with the highest score, per point
    return (predicted == y).float().mean().item()

answer = accuracy   # (autogradlab has it built in too: ag.training.accuracy(model, X, y))
""",
        mistakes=[
            Mistake("answer = lambda model, X, y: (model(X).argmax(dim=1) == y).float().mean()",
                    says="returned a tensor"),
            Mistake("answer = lambda model, X, y: "
                    "(model(X).argmax(dim=1) == y).float().sum().item()",
                    says="divide by the number of points"),
            Mistake("answer = lambda model, X, y: "
                    "(model(X).argmax(dim=0)[:len(y)] == y[:3]).float().mean().item()",
                    says="ROW"),
        ],
    ),
    into=globals(),
)
