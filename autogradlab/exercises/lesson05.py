"""Lesson 5 (Autograd mechanics): accumulation, gradient= for non-scalars, detach."""

from __future__ import annotations

from typing import Any

from ._check import Wrong, as_number, close, compare_tensor, exercise


@exercise(
    "set `answer` to x.grad after three rounds of `(x ** 2).backward()` at x = 3, "
    "with no zeroing in between."
)
def check_accumulation(answer: Any) -> str:
    value = as_number(answer, "your x.grad")
    if close(value, 18.0):
        return "each backward adds 2·3 = 6 into x.grad, and nothing cleared it: 6 + 6 + 6 = 18."
    if close(value, 6.0):
        raise Wrong(
            "6 is the gradient of ONE backward pass. Gradients accumulate into a leaf's .grad: "
            "three passes without x.grad = None (or zero_grad) add up."
        )
    if close(value, 9.0):
        raise Wrong("9 is x ** 2, a value. The gradient of x ** 2 is 2·x, added once per backward.")
    raise Wrong(f"{value:g} is not it: what does each backward add to x.grad, and how many ran?")


@exercise(
    "set `answer` to the `gradient=` tensor that makes x.grad == [2., 0., 6.] after "
    "(x * x).backward(gradient=answer), with x = [1., 2., 3.]."
)
def check_gradient_argument(answer: Any) -> str:
    import autogradlab as ag

    if isinstance(answer, (list, tuple)):
        raise Wrong(f"your answer is a Python {type(answer).__name__}; gradient= takes a tensor: "
                    "ag.tensor([...]).")
    compare_tensor(answer, [1.0, 0.0, 1.0], name="your gradient", belongs_to="y = x * x")
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(gradient=answer)
    return (
        f"x.grad = {x.grad.tolist()}: gradient= weights each output's local gradient 2·x; a 0 "
        "leaves that element out, a 1 keeps it."
    )


@exercise(
    "set `answer` to x.grad for z = y.detach() * x with y = x ** 2 and x = 3."
)
def check_detach(answer: Any) -> str:
    value = as_number(answer, "your x.grad")
    if close(value, 9.0):
        return (
            "y.detach() is treated as the constant 9, so z = 9·x and dz/dx = 9. Only the direct "
            "path through x counts."
        )
    if close(value, 27.0):
        raise Wrong(
            "27 = d(x**3)/dx is what you would get WITHOUT detach. y.detach() cuts the path "
            "through y: backward treats it as the constant 9."
        )
    if close(value, 6.0):
        raise Wrong(
            "6 is dy/dx = 2·x, the path through y; that is exactly the path detach cuts. "
            "What is left is z = (constant 9)·x."
        )
    raise Wrong(f"{value:g} is not it: treat y.detach() as a number and differentiate z in x.")


def _accumulation():
    import autogradlab as ag

    x = ag.tensor(3.0, requires_grad=True)
    for _ in range(3):
        (x**2).backward()
    return x.grad


def _detach():
    import autogradlab as ag

    x = ag.tensor(3.0, requires_grad=True)
    y = x**2
    z = y.detach() * x
    z.backward()
    return x.grad


def _ag_tensor(values):
    import autogradlab as ag

    return ag.tensor(values)


SOLUTIONS = {
    "accumulation": _accumulation,
    "gradient_argument": lambda: _ag_tensor([1.0, 0.0, 1.0]),
    "detach": _detach,
}

WRONG_ANSWERS = {
    "accumulation": [
        (lambda: 6.0, "accumulate"),
        (lambda: 9.0, "a value"),
    ],
    "gradient_argument": [
        (lambda: _ag_tensor([[1.0], [0.0], [1.0]]),
         "has shape (3, 1) but y = x * x has shape (3,): gradients always have the shape"),
        (lambda: _ag_tensor([2.0, 0.0, 6.0]), "different numbers"),
        (lambda: [1.0, 0.0, 1.0], "takes a tensor"),
    ],
    "detach": [
        (lambda: 27.0, "WITHOUT detach"),
        (lambda: 6.0, "detach cuts"),
    ],
}
