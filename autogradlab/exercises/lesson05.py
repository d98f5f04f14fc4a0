"""Lesson 5 (Autograd mechanics): accumulation, ``gradient=`` for non-scalars, ``detach``.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.
"""

from __future__ import annotations

from typing import Any

from ._check import Wrong, as_number, close, compare_tensor
from ._exercise import Exercise, Mistake, declare

# -- Exercise 1: three backward passes, no clearing ----------------------------------------------


def _check_accumulation(answer: Any) -> str:
    value = as_number(answer, "your x.grad")
    if close(value, 18.0):
        return "each backward adds 2·3 = 6 into x.grad, and nothing cleared it: 6 + 6 + 6 = 18."
    if close(value, 6.0):
        raise Wrong("6 is the gradient of ONE backward pass. Gradients accumulate into a leaf's "
                    ".grad: three passes without x.grad = None (or zero_grad) add up.")
    if close(value, 12.0):
        raise Wrong("12 is what two passes leave behind. Count again: three backward() calls, "
                    "each adding 6.")
    if close(value, 9.0):
        raise Wrong("9 is x ** 2, a value. The gradient of x ** 2 is 2·x, added once per backward.")
    if close(value, 27.0):
        raise Wrong("27 = 3·9 adds up the values x ** 2. Each backward adds the gradient 2·x = 6, "
                    "not the value.")
    raise Wrong(f"{value:g} is not it: what does each backward add to x.grad, and how many ran?")


# -- Exercise 2: the gradient= weights ------------------------------------------------------------


def _check_gradient_argument(answer: Any) -> str:
    import autogradlab as ag

    if isinstance(answer, (list, tuple)):
        raise Wrong(f"your answer is a Python {type(answer).__name__}; gradient= takes a tensor: "
                    "ag.tensor([...]).")
    compare_tensor(answer, [1.0, 0.0, 1.0], name="your gradient", belongs_to="y = x * x")
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(gradient=answer)
    return (f"x.grad = {x.grad.tolist()}: gradient= weights each output's local gradient 2·x; "
            "a 0 leaves that element out, a 1 keeps it.")


# -- Exercise 3: what detach cuts ---------------------------------------------------------------


def _check_detach(answer: Any) -> str:
    value = as_number(answer, "your x.grad")
    if close(value, 9.0):
        return ("y.detach() is treated as the constant 9, so z = 9·x and dz/dx = 9. Only the "
                "direct path through x counts.")
    if close(value, 27.0):
        raise Wrong("27 = d(x**3)/dx is what you would get WITHOUT detach. y.detach() cuts the "
                    "path through y: backward treats it as the constant 9.")
    if close(value, 6.0):
        raise Wrong("6 is dy/dx = 2·x, the path through y; that is exactly the path detach cuts. "
                    "What is left is z = (constant 9)·x.")
    if close(value, 0.0):
        raise Wrong("detach cuts only the path through y. x itself is still the other factor of "
                    "z = y.detach() * x, so the direct path remains.")
    raise Wrong(f"{value:g} is not it: treat y.detach() as a number and differentiate z in x.")


EXERCISES = declare(
    Exercise(
        name="accumulation",
        hint="set `answer` to x.grad after three rounds of `(x ** 2).backward()` at x = 3, "
             "with no zeroing in between.",
        check=_check_accumulation,
        explanation="Each pass adds $2x = 6$ to what `x.grad` already holds; nothing clears it "
                    "in between. You can confirm it by running the three passes.",
        solution="""
one_pass = 2 * 3.0          # d(x**2)/dx = 2x at x = 3
answer = 3 * one_pass       # three passes, nothing cleared: 18
""",
        mistakes=[
            Mistake("answer = 6.0", says="accumulate"),
            Mistake("answer = 12.0", says="two passes"),
            Mistake("answer = 9.0", says="a value"),
            Mistake("answer = 27.0", says="not the value"),
        ],
    ),
    Exercise(
        name="gradient_argument",
        hint="set `answer` to the `gradient=` tensor that makes x.grad == [2., 0., 6.] after "
             "(x * x).backward(gradient=answer), with x = [1., 2., 3.].",
        check=_check_gradient_argument,
        explanation="Each `y[i] = x[i]**2` has the local gradient $2x_i$, that is `[2, 4, 6]`. "
                    "The `gradient=` tensor multiplies them element by element: a weight of 1 "
                    "keeps `2` and `6`, a weight of 0 removes the `4`. It has `y`'s shape, `(3,)`.",
        solution="""
answer = ag.tensor([1.0, 0.0, 1.0])
""",
        mistakes=[
            Mistake("answer = ag.tensor([[1.0], [0.0], [1.0]])",
                    says="has shape (3, 1) but y = x * x has shape (3,): gradients always have "
                         "the shape"),
            Mistake("answer = ag.tensor([2.0, 0.0, 6.0])", says="different numbers"),
            Mistake("answer = [1.0, 0.0, 1.0]", says="takes a tensor"),
        ],
    ),
    Exercise(
        name="detach",
        hint="set `answer` to x.grad for z = y.detach() * x with y = x ** 2 and x = 3.",
        check=_check_detach,
        explanation="`y.detach()` is the constant 9 as far as the backward pass knows, so "
                    "$z = 9x$ and $dz/dx = 9$. Without the detach, $z = x^3$ and the gradient "
                    "would be $3x^2 = 27$.",
        solution="""
y_value = 3.0 ** 2          # y.detach() holds 9 and has no history
answer = y_value            # z = 9 * x, so dz/dx = 9
""",
        mistakes=[
            Mistake("answer = 27.0", says="WITHOUT detach"),
            Mistake("answer = 6.0", says="detach cuts"),
            Mistake("answer = 0.0", says="direct path remains"),
        ],
    ),
    into=globals(),
)
