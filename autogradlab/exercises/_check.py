"""Small helpers shared by the lesson check functions (see the package docstring)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

CORRECT = "✓ Correct: "
WRONG = "✗ Not yet: "
NOT_ANSWERED = "… Not answered yet: "


class Wrong(Exception):
    """Raised inside a check to report what is wrong; the ``exercise`` wrapper prints it."""


def correct(message: str) -> bool:
    print(CORRECT + message)
    return True


def wrong(message: str) -> bool:
    print(WRONG + message)
    return False


class NotAnswered(Exception):
    """The learner's answer is still the placeholder (a function raising NotImplementedError)."""


def exercise(hint: str) -> Callable[[Callable[[Any], str]], Callable[[Any], bool]]:
    """Turn ``body(answer) -> success message`` into a friendly ``check(answer) -> bool``.

    ``body`` raises :class:`Wrong` with a message that says what is wrong. ``None`` (or ``...``)
    means "not answered yet" and prints ``hint``. Any other exception raised while checking is
    reported, never propagated, so a notebook keeps running.
    """

    def wrap(body: Callable[[Any], str]) -> Callable[[Any], bool]:
        @functools.wraps(body)
        def check(answer: Any = None) -> bool:
            if answer is None or answer is Ellipsis:
                print(NOT_ANSWERED + hint)
                return False
            try:
                return correct(body(answer))
            except NotAnswered:  # the learner's function is still the placeholder
                print(NOT_ANSWERED + hint)
                return False
            except Wrong as err:
                return wrong(str(err))
            except Exception as err:  # a check must never stop "Run All"
                return wrong(f"checking your answer raised {type(err).__name__}: {err}")

        return check

    return wrap


def is_tensor(value: Any) -> bool:
    from ..tensor import Tensor

    return isinstance(value, Tensor)


def type_name(value: Any) -> str:
    return type(value).__name__


def as_number(answer: Any, what: str = "your answer") -> float:
    """A plain number from an int, float, NumPy scalar or one-element tensor; Wrong otherwise."""
    if isinstance(answer, bool):
        raise Wrong(f"{what} is {answer!r}, a bool; the answer is a number.")
    if is_tensor(answer):
        if answer.numel() != 1:
            raise Wrong(
                f"{what} is a tensor of shape {tuple(answer.shape)}; the answer is one number "
                "(a tensor of shape () or a Python number)."
            )
        return float(answer.item())
    if isinstance(answer, (int, float, np.integer, np.floating)):
        return float(answer)
    if isinstance(answer, np.ndarray) and answer.size == 1:
        return float(answer.reshape(()))
    raise Wrong(f"{what} is a {type_name(answer)}; the answer is a number (or a 0-d tensor).")


def close(a: float, b: float, tol: float = 1e-4) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def as_shape(answer: Any, what: str = "your answer") -> tuple[int, ...]:
    """A shape tuple from a tuple, list, or a tensor's ``.shape``; Wrong otherwise."""
    if is_tensor(answer):
        raise Wrong(
            f"{what} is a tensor; the question asks for its shape: use the_tensor.shape "
            "(a tuple such as (4, 3))."
        )
    if isinstance(answer, (tuple, list)) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in answer
    ):
        return tuple(int(n) for n in answer)
    raise Wrong(f"{what} is {answer!r}; a shape is a tuple of whole numbers such as (4, 3).")


def compare_tensor(
    answer: Any,
    expected: Any,
    name: str = "your tensor",
    belongs_to: str | None = None,
    dtype: Any = None,
    tol: float = 1e-4,
) -> None:
    """Raise Wrong, saying what differs (type, shape, dtype, values), unless ``answer`` matches.

    ``belongs_to`` names the tensor a gradient belongs to, for the shape message.
    """
    if not is_tensor(answer):
        raise Wrong(
            f"{name} is a {type_name(answer)}, not an autogradlab tensor; make one with "
            "ag.tensor(...) (or read it from x.grad)."
        )
    want = np.asarray(expected, dtype=float)
    got_shape, want_shape = tuple(answer.shape), tuple(want.shape)
    if got_shape != want_shape:
        if belongs_to:
            raise Wrong(
                f"{name} has shape {got_shape} but {belongs_to} has shape {want_shape}: "
                "gradients always have the shape of the tensor they belong to."
            )
        raise Wrong(f"{name} has shape {got_shape}, but the answer has shape {want_shape}.")
    if dtype is not None and answer.dtype != dtype:
        raise Wrong(
            f"{name} has dtype {answer.dtype.name}, but this exercise asks for {dtype.name}: "
            f"pass dtype=ag.{dtype.name} when you create it (or convert with .to(ag.{dtype.name}))."
        )
    got = np.asarray(answer.detach().cpu().numpy(), dtype=float)
    if not np.allclose(got, want, rtol=tol, atol=tol):
        bad = np.argwhere(~np.isclose(got, want, rtol=tol, atol=tol))
        where = tuple(int(i) for i in bad[0]) if bad.size else ()
        at = f" at index {where}" if where else ""
        mine, theirs = (got[where], want[where]) if where else (got.item(), want.item())
        raise Wrong(
            f"{name} has the right shape {got_shape} but different numbers{at}: "
            f"{mine:g} where {theirs:g} was expected."
        )


def grad_fn_name(value: Any) -> str:
    """``"MulBackward0"`` from a string or a grad_fn object."""
    if isinstance(value, str):
        return value.strip()
    name = getattr(value, "name", None)
    if callable(name):
        return str(name())
    return type(value).__name__ if value is not None else "None"
