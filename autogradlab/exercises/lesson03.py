"""Lesson 3 (The forward pass): values by hand, where a change flows, the order nodes are
created, and the forward pass as a function.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.
"""

from __future__ import annotations

from typing import Any

from ._check import Wrong, as_number, close, grad_fn_name, is_tensor
from ._exercise import Exercise, Mistake, declare
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


def _check_forward_values(answer: Any) -> str:
    if not isinstance(answer, dict):
        raise Wrong(f"your answer is a {type(answer).__name__}; write a dict such as "
                    "{'b': 2.0, 'c': ..., 'd': ..., 'L': ...}.")
    expected = _forward_by_hand(**EXERCISE1_INPUTS)
    missing = [name for name in expected if name not in answer]
    if missing:
        raise Wrong(f"the dict has no value for {', '.join(missing)}; it needs b, c, d and L.")
    tensors = [name for name in expected if is_tensor(answer[name])]
    if tensors:
        raise Wrong(f"your {tensors[0]} is a tensor, so the engine computed it. This exercise "
                    "asks for the forward pass by hand: work each value out from the ones "
                    "before it and type the numbers, e.g. {'b': 2.0, ...}.")
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


# -- Exercise 2: where does a change flow? -------------------------------------------------------

#: w2 feeds c = w2 * a; c feeds w4 * c (named mul2 in the explorer), which feeds d, then L
DOWNSTREAM_OF_W2 = {"c", "d", "L"}
ALSO_DOWNSTREAM = {"mul2"}  # the hidden product w4 * c: fine to list, not required
NAMED_NODES = {"b", "c", "d", "L"}


def _check_what_changes(answer: Any) -> str:
    if isinstance(answer, str) or not isinstance(answer, (set, frozenset, list, tuple)):
        raise Wrong(f"your answer is a {type(answer).__name__}; give a set of node names, "
                    'e.g. {"b", "d"}.')
    names = {str(name).strip() for name in answer}
    if "w2" in names:
        raise Wrong("w2 is the input you moved, not a node computed from it: list only the "
                    "nodes (among b, c, d and L) whose values the move changes.")
    unknown = names - NAMED_NODES - ALSO_DOWNSTREAM
    if unknown:
        raise Wrong(f"{sorted(unknown)[0]!r} is not one of the nodes b, c, d, L of this graph.")
    if "b" in names:
        raise Wrong("b = w1 * a does not use w2, so it keeps its value: a change only flows "
                    "along edges that start at w2.")
    missing = DOWNSTREAM_OF_W2 - names
    if missing == {"c", "d", "L"}:
        raise Wrong("w2 is used by c = w2 * a, so c changes first, and everything computed from "
                    "c after it.")
    if "c" in missing:
        raise Wrong("c = w2 * a is the node that uses w2 directly: it changes first.")
    if "d" in missing:
        raise Wrong("d = w3 * b + w4 * c uses c, so when c changes, d changes too.")
    if "L" in missing:
        raise Wrong("L = 10 - d uses d: a change flows all the way to the output.")
    return ("w2 moves c (c = w2 * a), c moves w4 * c and so d, and d moves L. b does not use "
            "w2, so it stays: a change flows forward along the edges, to everything computed "
            "from it and nothing else.")


# -- Exercise 3: the order in which the engine creates nodes -----------------------------------

_EXPECTED_ORDER = ["MulBackward0", "AddBackward0", "TanhBackward0", "SumBackward0"]


def _short(name: Any) -> str:
    text = grad_fn_name(name).lower().strip("<> ")
    for ending in ("backward0", "backward"):
        if text.endswith(ending):
            text = text[: -len(ending)]
    return {"*": "mul", "+": "add"}.get(text, text)


def _check_creation_order(answer: Any) -> str:
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
    return "the graph grows in the order the code runs: " + " -> ".join(_EXPECTED_ORDER) + "."


# -- Exercise 4: the 5x5 forward pass as a function ---------------------------------------------


def _reference_forward(a: Any, x1: Any, x2: Any, x3: Any, x4: Any) -> Any:
    b = x1 * a
    c = x2 * a
    d = x3 * b + x4 * c
    return (10 - d).sum()


def _check_forward_function(answer: Any) -> str:
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


EXERCISES = declare(
    Exercise(
        name="forward_values",
        hint="set `answer = {'b': ..., 'c': ..., 'd': ..., 'L': ...}` with the values you "
             "worked out.",
        check=_check_forward_values,
        explanation="Each value only needs the ones before it "
                    "($a = 1$, $w_1 = 2$, $w_2 = 3$, $w_3 = -1$, $w_4 = 0.5$):\n\n"
                    "$$d = w_3 b + w_4 c = (-1)(2) + (0.5)(3) = -0.5, \\qquad "
                    "L = 10 - d = 10.5$$",
        solution="""
b_value = 2.0 * 1.0                        # w1 * a = 2
c_value = 3.0 * 1.0                        # w2 * a = 3
d_value = -1.0 * b_value + 0.5 * c_value   # w3 * b + w4 * c = -0.5
L_value = 10 - d_value                     # 10.5
answer = {"b": b_value, "c": c_value, "d": d_value, "L": L_value}
""",
        mistakes=[
            Mistake('answer = {"b": 2.0, "c": 3.0, "d": 3.5, "L": 6.5}',
                    says="d = w3 * b + w4 * c"),
            Mistake('answer = {"b": 2.0, "c": 3.0, "d": -0.5}', says="no value for L"),
            Mistake("answer = [2.0, 3.0, -0.5, 10.5]", says="write a dict"),
            Mistake("""
a, w1, w2, w3, w4 = (ag.tensor(v) for v in (1.0, 2.0, 3.0, -1.0, 0.5))
b = w1 * a
c = w2 * a
d = w3 * b + w4 * c
answer = {"b": b, "c": c, "d": d, "L": 10 - d}
""", says="by hand"),
        ],
    ),
    Exercise(
        name="what_changes",
        hint='set `answer` to the set of nodes among b, c, d and L whose values change when w2 '
             'moves, e.g. {"b", "d"}.',
        check=_check_what_changes,
        explanation="Follow the edges that leave `w2`: $c = w_2 a$ uses it, "
                    "$d = w_3 b + w_4 c$ uses $c$, and $L = 10 - d$ uses $d$. Nothing leads "
                    "from `w2` to $b = w_1 a$.",
        solution="""
answer = {"c", "d", "L"}
""",
        mistakes=[
            Mistake('answer = {"b", "c", "d", "L"}', says="does not use w2"),
            Mistake('answer = {"c"}', says="d changes too"),
            Mistake('answer = {"c", "d"}', says="all the way to the output"),
            Mistake('answer = {"w2", "c", "d", "L"}', says="input you moved"),
            Mistake('answer = "c, d, L"', says="set of node names"),
        ],
    ),
    Exercise(
        name="creation_order",
        hint="set `answer` to a list of grad_fn names such as ['MulBackward0', ...], first "
             "created first.",
        check=_check_creation_order,
        explanation="Python works from the inside out: the product first, then `+ 1`, then "
                    "`tanh`, then `sum`. The constant `1` is not a node of its own; it is stored "
                    "inside the `Add` node.",
        solution="""
x = ag.tensor(0.5, requires_grad=True)
w = ag.tensor(2.0, requires_grad=True)
with ag.autograd.record() as events:
    y = (x * w + 1).tanh().sum()
answer = [event.node.name() for event in events]
print(answer)   # ['MulBackward0', 'AddBackward0', 'TanhBackward0', 'SumBackward0']
""",
        mistakes=[
            Mistake('answer = ["SumBackward0", "TanhBackward0", "AddBackward0", "MulBackward0"]',
                    says="wrong order"),
            Mistake('answer = ["MulBackward0", "AddBackward0", "TanhBackward0"]',
                    says="one node per operation"),
            Mistake('answer = "MulBackward0"', says="list of names"),
        ],
    ),
    Exercise(
        name="forward_function",
        hint="define `def forward(a, x1, x2, x3, x4): ...` returning L, then set "
             "`answer = forward`.",
        check=_check_forward_function,
        solution="""
def forward(a, x1, x2, x3, x4):
    b = x1 * a
    c = x2 * a
    d = x3 * b + x4 * c
    return (10 - d).sum()

answer = forward
""",
        mistakes=[
            Mistake("answer = lambda a, x1, x2, x3, x4: 10 - (x3 * (x1 * a) + x4 * (x2 * a))",
                    says="(10 - d).sum()"),
            Mistake("""
def forward(a, x1, x2, x3, x4):
    a, x1, x2, x3, x4 = (t.detach().numpy() for t in (a, x1, x2, x3, x4))
    return ag.tensor((10 - (x3 * (x1 * a) + x4 * (x2 * a))).sum())

answer = forward
""", says="no grad_fn"),
            Mistake("answer = 10.5", says="should be a function"),
        ],
    ),
    into=globals(),
)
