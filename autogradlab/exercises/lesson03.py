"""Lesson 3 (The forward pass): values by hand, the order nodes are created, a forward function."""

from __future__ import annotations

from typing import Any

from ._check import Wrong, as_number, close, exercise, grad_fn_name, is_tensor
from ._learner_code import call

# -- Exercise 1: the forward pass by hand ------------------------------------------------------

#: the numbers of exercise 1 (the graph b = w1*a, c = w2*a, d = w3*b + w4*c, L = 10 - d)
EXERCISE1_INPUTS = {"a": 1.0, "w1": 2.0, "w2": 3.0, "w3": -1.0, "w4": 0.5}

_HOW = {
    "b": "b = w1 * a",
    "c": "c = w2 * a",
    "d": "d = w3 * b + w4 * c (with your b and c)",
    "L": "L = 10 - d",
}


def _forward_by_hand(a: float, w1: float, w2: float, w3: float, w4: float) -> dict[str, float]:
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    return {"b": b, "c": c, "d": d, "L": 10 - d}


@exercise("set `answer = {'b': ..., 'c': ..., 'd': ..., 'L': ...}` with the values you worked out.")
def check_forward_values(answer: Any) -> str:
    if not isinstance(answer, dict):
        raise Wrong(f"your answer is a {type(answer).__name__}; write a dict such as "
                    "{'b': 2.0, 'c': ..., 'd': ..., 'L': ...}.")
    expected = _forward_by_hand(**EXERCISE1_INPUTS)
    missing = [name for name in expected if name not in answer]
    if missing:
        raise Wrong(f"the dict has no value for {', '.join(missing)}; it needs b, c, d and L.")
    wrong = [name for name, value in expected.items()
             if not close(as_number(answer[name], f"your {name}"), value, 1e-6)]
    if wrong:
        first = wrong[0]
        later = (f" ({', '.join(wrong[1:])} also differ, maybe only because they are computed "
                 f"from {first}.)") if len(wrong) > 1 else ""
        raise Wrong(f"{first} = {answer[first]} is not right. Work left to right: "
                    f"{_HOW[first]}.{later}")
    return ("b = 2, c = 3, d = -1·2 + 0.5·3 = -0.5 and L = 10 - (-0.5) = 10.5: each node only "
            "needed the values of the nodes to its left.")


# -- Exercise 2: the order in which the engine creates nodes -----------------------------------

_EXPECTED_ORDER = ["MulBackward0", "AddBackward0", "TanhBackward0", "SumBackward0"]


def _short(name: Any) -> str:
    text = grad_fn_name(name).lower().strip("<> ")
    for ending in ("backward0", "backward"):
        if text.endswith(ending):
            text = text[: -len(ending)]
    return {"*": "mul", "+": "add"}.get(text, text)


@exercise("set `answer` to a list of grad_fn names such as ['MulBackward0', ...], first created "
          "first.")
def check_creation_order(answer: Any) -> str:
    if isinstance(answer, str) or not isinstance(answer, list | tuple):
        raise Wrong(f"your answer is a {type(answer).__name__}; write a list of names such as "
                    "['MulBackward0', ...].")
    given = [_short(name) for name in answer]
    expected = [_short(name) for name in _EXPECTED_ORDER]
    if sorted(given) == sorted(expected) and given != expected:
        raise Wrong("you have the right operations in the wrong order. Python works from the "
                    "innermost bracket outwards: which operation can run before all the others?")
    if len(given) != len(expected):
        raise Wrong(f"you listed {len(given)} operation(s); y = (x * w + 1).tanh().sum() has "
                    f"{len(expected)}, one node per operation (the number 1 makes no node).")
    for position, (g, e) in enumerate(zip(given, expected)):
        if g != e:
            raise Wrong(f"entry {position} ({answer[position]!r}) is not the operation created "
                        "at that point. Read the expression from the inside out.")
    return ("the graph grows in the order the code runs: " + " -> ".join(_EXPECTED_ORDER) + ".")


# -- Exercise 3: the 5x5 forward pass as a function ---------------------------------------------


def _reference_forward(a: Any, x1: Any, x2: Any, x3: Any, x4: Any) -> Any:
    b = x1 * a
    c = x2 * a
    d = x3 * b + x4 * c
    return (10 - d).sum()


@exercise("define `def forward(a, x1, x2, x3, x4): ...` returning L, then set "
                   "`answer = forward`.")
def check_forward_function(answer: Any) -> str:
    import autogradlab as ag

    ag.manual_seed(123)
    inputs = [ag.randn(4, 3, requires_grad=True) for _ in range(5)]
    result = call(answer, "forward", *inputs)
    if result is None:
        raise Wrong("forward(...) returned None. Did you forget `return L`?")
    if not is_tensor(result):
        raise Wrong(f"forward(...) returned a {type(result).__name__}; it should return the "
                    "tensor L.")
    if result.numel() != 1:
        raise Wrong(f"forward(...) returned a tensor of shape {tuple(result.shape)}; L is one "
                    "number: add up d's values with (10 - d).sum().")
    expected = _reference_forward(*inputs)
    if not close(result.item(), expected.item()):
        raise Wrong(f"on test inputs your L is {result.item():.4f} but it should be "
                    f"{expected.item():.4f}. Check d = x3 * b + x4 * c and L = (10 - d).sum().")
    if result.grad_fn is None:
        raise Wrong("the value is right, but the result has no grad_fn, so no graph was "
                    "recorded. Compute it from the tensors themselves (not from .numpy() copies "
                    "and not inside no_grad()).")
    return "the same lines build the same graph whatever the shapes: here (4, 3) instead of (5, 5)."


def _solution_forward_function() -> Any:
    def forward(a: Any, x1: Any, x2: Any, x3: Any, x4: Any) -> Any:
        b = x1 * a
        c = x2 * a
        d = x3 * b + x4 * c
        return (10 - d).sum()

    return forward


def _forward_without_sum() -> Any:
    def forward(a: Any, x1: Any, x2: Any, x3: Any, x4: Any) -> Any:
        return 10 - (x3 * (x1 * a) + x4 * (x2 * a))

    return forward


def _forward_on_numpy() -> Any:
    def forward(a: Any, x1: Any, x2: Any, x3: Any, x4: Any) -> Any:
        import autogradlab as ag

        b, c = x1.detach().numpy() * a.detach().numpy(), x2.detach().numpy() * a.detach().numpy()
        return ag.tensor((10 - (x3.detach().numpy() * b + x4.detach().numpy() * c)).sum())

    return forward


def _forward_placeholder() -> Any:
    def forward(a: Any, x1: Any, x2: Any, x3: Any, x4: Any) -> Any:
        raise NotImplementedError  # your code here

    return forward


SOLUTIONS = {
    "forward_values": lambda: _forward_by_hand(**EXERCISE1_INPUTS),
    "creation_order": lambda: list(_EXPECTED_ORDER),
    "forward_function": _solution_forward_function,
}

WRONG_ANSWERS = {
    "forward_values": [
        (lambda: {"b": 2.0, "c": 3.0, "d": 3.5, "L": 6.5}, "d = w3 * b + w4 * c"),
        (lambda: {"b": 2.0, "c": 3.0, "d": -0.5}, "no value for L"),
        (lambda: [2.0, 3.0, -0.5, 10.5], "write a dict"),
    ],
    "creation_order": [
        (lambda: ["SumBackward0", "TanhBackward0", "AddBackward0", "MulBackward0"],
         "wrong order"),
        (lambda: ["MulBackward0", "AddBackward0", "TanhBackward0"], "one node per operation"),
    ],
    "forward_function": [
        (_forward_without_sum, "(10 - d).sum()"),
        (_forward_on_numpy, "no grad_fn"),
        (lambda: 10.5, "should be a function"),
    ],
}
