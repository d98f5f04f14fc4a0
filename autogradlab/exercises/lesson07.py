"""Self-checks for lesson 07, a neural network with a hidden layer.

Each ``check_<name>(answer)`` prints what is right or wrong about ``answer`` and returns True or
False; it never raises. ``SOLUTIONS[name]()`` returns the worked answer; ``WRONG_ANSWERS`` lists
typical mistakes and the words the check says about each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._check import Wrong, close, exercise, is_tensor
from ._learner_code import call

#: exercise 1's network, as (inputs, outputs) of each Linear layer: 2 -> 16 -> 16 -> 2
LAYERS = ((2, 16), (16, 16), (16, 2))


# --------------------------------------------------------------------------------------------
# Exercise 1: how many numbers does a 2-16-16-2 network learn?
# --------------------------------------------------------------------------------------------


def _parameter_count() -> int:
    return sum(n_in * n_out + n_out for n_in, n_out in LAYERS)  # 48 + 272 + 34 = 354


@exercise("set answer to a whole number, then run the cell again.")
def check_parameter_count(answer: Any) -> str:
    """``answer``: how many numbers Linear(2,16), ReLU, Linear(16,16), ReLU, Linear(16,2) learn."""
    if isinstance(answer, bool) or not isinstance(answer, int | float) or answer != int(answer):
        raise Wrong(f"the answer is a whole number of parameters, got {answer!r}.")
    answer = int(answer)
    want = _parameter_count()
    weights = sum(n_in * n_out for n_in, n_out in LAYERS)
    biases = sum(n_out for _, n_out in LAYERS)
    if answer == want:
        return (f"{want} = (2*16 + 16) + (16*16 + 16) + (16*2 + 2). Each Linear(n_in, n_out) "
                f"learns an n_out x n_in weight matrix and n_out biases; ReLU learns nothing.")
    if answer == weights:
        raise Wrong(f"{answer} counts the weights only: each Linear layer also learns one bias "
                    f"per output ({biases} biases in all).")
    if answer == biases:
        raise Wrong(f"{answer} counts the biases only: add the weight matrices, n_in * n_out "
                    f"numbers each.")
    if answer == want - (16 * 16 + 16):
        raise Wrong("it looks like the middle Linear(16, 16) layer is missing.")
    raise Wrong(f"not {answer}. Add up, layer by layer, n_in * n_out weights plus n_out biases "
                f"(the layers are {', '.join(f'Linear({a}, {b})' for a, b in LAYERS)}). You can "
                f"check with sum(p.numel() for p in model.parameters()).")


# --------------------------------------------------------------------------------------------
# Exercise 2: accuracy(model, X, y)
# --------------------------------------------------------------------------------------------


def _accuracy(model: Any, X: Any, y: Any) -> float:
    """The worked answer: the fraction of points whose highest score is their own class."""
    predicted = model(X).argmax(dim=1)
    return (predicted == y).float().mean().item()


@exercise("write the body of accuracy(model, X, y) in place of "
                   "`raise NotImplementedError`, then run the cell again.")
def check_accuracy(accuracy: Any) -> str:
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
    if isinstance(result, bool) or not isinstance(result, int | float):
        raise Wrong(f"accuracy should return a number, got a {type(result).__name__}.")
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


SOLUTIONS: dict[str, Callable[[], Any]] = {
    "parameter_count": _parameter_count,
    "accuracy": lambda: _accuracy,
}


def _as_tensor(model: Any, X: Any, y: Any) -> Any:
    return (model(X).argmax(dim=1) == y).float().mean()


def _count(model: Any, X: Any, y: Any) -> float:
    return (model(X).argmax(dim=1) == y).float().sum().item()


def _wrong_dim(model: Any, X: Any, y: Any) -> float:
    scores = model(X)
    return (scores.argmax(dim=0)[: len(y)] == y[: scores.shape[1]]).float().mean().item()


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "parameter_count": [
        (lambda: 320, "weights only"),
        (lambda: 34, "biases only"),
        (lambda: 82, "middle Linear(16, 16)"),
        (lambda: 3.5, "whole number"),
    ],
    "accuracy": [
        (lambda: _as_tensor, "returned a tensor"),
        (lambda: _count, "divide by the number of points"),
        (lambda: _wrong_dim, "ROW"),
    ],
}
