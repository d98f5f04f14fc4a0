"""Lesson 1 (Tensors): broadcasting shapes, dtypes, and memory shared with NumPy."""

from __future__ import annotations

from typing import Any

from ._check import Wrong, as_number, as_shape, close, compare_tensor, exercise


@exercise("set `answer` to the shape of a + b, where a has shape (4, 1) and b has shape (3,).")
def check_broadcast_shape(answer: Any) -> str:
    shape = as_shape(answer, "your shape")
    if shape == (4, 3):
        return (
            "compared from the right, 1 stretches to 3 and the missing dimension of b counts as "
            "1 and stretches to 4: (4, 1) + (3,) -> (4, 3)."
        )
    if shape == (3, 4):
        raise Wrong(
            "(3, 4) has the sizes swapped. Line the shapes up from the RIGHT: (4, 1) over "
            "(_, 3); the last sizes 1 and 3 give 3, then 4 and the missing size give 4."
        )
    if shape in ((4, 1), (3,)):
        raise Wrong(
            f"{shape} is one of the inputs. Broadcasting stretches every size-1 (or missing) "
            "dimension to match the other tensor, so the result is bigger than both."
        )
    if shape == (4, 1, 3) or len(shape) == 3:
        raise Wrong(
            f"{shape} has 3 dimensions; the result has as many dimensions as the longer input (2)."
        )
    raise Wrong(f"{shape} is not it. Align the shapes from the right and stretch the 1s.")


@exercise("set `answer` to a float64 tensor holding 0.1, 0.2 and 0.3.")
def check_float64_tensor(answer: Any) -> str:
    import autogradlab as ag

    if isinstance(answer, (list, tuple)):
        raise Wrong(f"your answer is a Python {type(answer).__name__}; wrap it: ag.tensor(...).")
    compare_tensor(answer, [0.1, 0.2, 0.3], name="your tensor", dtype=ag.float64, tol=1e-12)
    return (
        "dtype=ag.float64 keeps about 16 significant digits; the float32 default keeps about 7."
    )


@exercise(
    "set `answer` to the number t[0] holds after `t = ag.from_numpy(a)` and then `a[0] = 100`."
)
def check_shared_memory(answer: Any) -> str:
    value = as_number(answer, "your answer")
    if close(value, 100.0):
        return (
            "ag.from_numpy(a) wraps the same memory as a, so a change to a shows up in t. "
            "ag.tensor(a) would have made a copy."
        )
    if close(value, 1.0):
        raise Wrong(
            "1 is what a COPY would still hold. ag.from_numpy does not copy: t and a share "
            "their memory, so the change to a shows up in t (ag.tensor(a) would copy)."
        )
    raise Wrong(f"{value:g} is neither the old value 1 nor the new one. What did a[0] = ... write?")


def _float64_tensor():
    import autogradlab as ag

    return ag.tensor([0.1, 0.2, 0.3], dtype=ag.float64)


def _float32_tensor():
    import autogradlab as ag

    return ag.tensor([0.1, 0.2, 0.3])


SOLUTIONS = {
    "broadcast_shape": lambda: (4, 3),
    "float64_tensor": _float64_tensor,
    "shared_memory": lambda: 100.0,
}

WRONG_ANSWERS = {
    "broadcast_shape": [
        (lambda: (3, 4), "from the RIGHT"),
        (lambda: (4, 1), "one of the inputs"),
        (lambda: "4x3", "tuple of whole numbers"),
    ],
    "float64_tensor": [
        (_float32_tensor, "dtype float32"),
        (lambda: [0.1, 0.2, 0.3], "Python list"),
    ],
    "shared_memory": [
        (lambda: 1.0, "share"),
    ],
}
