"""Lesson 1 (Tensors): broadcasting shapes and gradients, dtypes, memory shared with NumPy.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._check import Wrong, as_number, as_shape, close, compare_tensor, is_tensor
from ._exercise import Exercise, Mistake, declare

# -- Exercise 1: the shape of (4, 1) + (3,) -----------------------------------------------------


def _check_broadcast_shape(answer: Any) -> str:
    shape = as_shape(answer, "your shape")
    if shape == (4, 3):
        return ("compared from the right, 1 stretches to 3 and the missing dimension of b counts "
                "as 1 and stretches to 4: (4, 1) + (3,) -> (4, 3).")
    if shape == (3, 4):
        raise Wrong("(3, 4) has the sizes swapped. Line the shapes up from the RIGHT: (4, 1) "
                    "over (_, 3); the last sizes 1 and 3 give 3, then 4 and the missing size "
                    "give 4.")
    if shape in ((4, 1), (3,)):
        raise Wrong(f"{shape} is one of the inputs. Broadcasting stretches every size-1 (or "
                    "missing) dimension to match the other tensor, so the result is bigger than "
                    "both.")
    if len(shape) == 3:
        raise Wrong(f"{shape} has 3 dimensions; the result has as many dimensions as the longer "
                    "input (2).")
    raise Wrong(f"{shape} is not it. Align the shapes from the right and stretch the 1s.")


# -- Exercise 2: a float64 tensor ------------------------------------------------------------------


def _check_float64_tensor(answer: Any) -> str:
    import autogradlab as ag

    if isinstance(answer, (list, tuple)):
        raise Wrong(f"your answer is a Python {type(answer).__name__}; wrap it: ag.tensor(...).")
    compare_tensor(answer, [0.1, 0.2, 0.3], name="your tensor", dtype=ag.float64, tol=1e-12)
    return "dtype=ag.float64 keeps about 16 significant digits; the float32 default keeps about 7."


# -- Exercise 3: shared memory ---------------------------------------------------------------------


def _check_shared_memory(answer: Any) -> str:
    value = as_number(answer, "your answer")
    if close(value, 100.0):
        return ("ag.from_numpy(a) wraps the same memory as a, so a change to a shows up in t. "
                "ag.tensor(a) would have made a copy.")
    if close(value, 1.0):
        raise Wrong("1 is what a COPY would still hold. ag.from_numpy does not copy: t and a "
                    "share their memory, so the change to a shows up in t (ag.tensor(a) would "
                    "copy).")
    raise Wrong(f"{value:g} is neither the old value 1 nor the new one. What did a[0] = ... "
                "write?")


# -- Exercise 4: the gradient of a broadcast input, by hand ---------------------------------------

COLUMN = [[0.0], [10.0], [20.0]]  # shape (3, 1)
ROW = [1.0, 2.0, 3.0, 4.0]  # shape (4,)


def _check_column_grad(answer: Any) -> str:
    if is_tensor(answer):
        raise Wrong("your answer is a tensor, so it was read from the engine (column.grad, "
                    "perhaps). This exercise asks you to predict the numbers by hand first: "
                    "type them as a nested list, e.g. `answer = [[1.0], [2.0], [3.0]]`.")
    try:
        got = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(f"your answer is {answer!r}; write the gradient as a nested list of numbers "
                    "with column's shape (3, 1), e.g. [[1.0], [2.0], [3.0]].") from None
    row_sum, column_sum = float(np.sum(ROW)), float(np.sum(COLUMN))
    if got.shape == (3, 4):
        raise Wrong("that is a 3×4 table: the share of each stretched copy. column has shape "
                    "(3, 1), and its gradient has the same shape: the shares of the 4 copies of "
                    "each number must be added up.")
    if got.shape != (3, 1):
        if got.size == 3 and np.allclose(got.reshape(-1), row_sum):
            raise Wrong(f"the numbers are right but the shape is {got.shape}: a gradient has the "
                        "shape of its tensor, and column has shape (3, 1): "
                        "[[10.0], [10.0], [10.0]].")
        raise Wrong(f"your answer has shape {got.shape}; column.grad has column's shape (3, 1).")
    if np.allclose(got, row_sum):
        return ("each number of column was stretched over the 4 columns and multiplied by "
                "1, 2, 3 and 4: the 4 copies' shares add up to 1 + 2 + 3 + 4 = 10, in column's "
                "shape (3, 1).")
    if np.allclose(got, 4.0):
        raise Wrong("4 counts the copies, which is right for a sum like column + row. Here "
                    "column multiplies row, so each copy's share is the row number it "
                    "multiplies (d(c·r)/dc = r): add those.")
    if np.allclose(got, column_sum):
        raise Wrong(f"{column_sum:g} = 0 + 10 + 20 is the sum of column: that is row's gradient "
                    "(each number of row meets every number of column). For column, add the "
                    "numbers of row that each copy multiplies.")
    raise Wrong("not yet. Each number of column is copied 4 times, once per number of row; in "
                "column * row each copy is multiplied by that row number. Add the 4 shares.")


FRESH_TENSORS = """
column = ag.tensor([[0.0], [10.0], [20.0]], requires_grad=True)
row = ag.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
"""

EXERCISES = declare(
    Exercise(
        name="broadcast_shape",
        hint="set `answer` to the shape of a + b, where a has shape (4, 1) and b has shape (3,).",
        check=_check_broadcast_shape,
        explanation="Aligned on the right, `(4, 1)` sits over `(_, 3)`. Last column: 1 and 3, "
                    "the 1 stretches to 3. First column: 4 and a missing size, which counts as 1 "
                    "and stretches to 4.",
        solution="""
answer = (4, 3)
print("the engine agrees:", (ag.zeros(4, 1) + ag.zeros(3)).shape)
""",
        mistakes=[
            Mistake("answer = (3, 4)", says="from the RIGHT"),
            Mistake("answer = (4, 1)", says="one of the inputs"),
            Mistake('answer = "4x3"', says="tuple of whole numbers"),
            Mistake("answer = ag.zeros(4, 1) + ag.zeros(3)", says="shape"),
        ],
    ),
    Exercise(
        name="float64_tensor",
        hint="set `answer` to a float64 tensor holding 0.1, 0.2 and 0.3.",
        check=_check_float64_tensor,
        explanation="`ag.tensor([0.1, 0.2, 0.3]).double()` works too, as does "
                    "`ag.from_numpy(np.array([0.1, 0.2, 0.3]))` (NumPy's default is float64).",
        solution="""
answer = ag.tensor([0.1, 0.2, 0.3], dtype=ag.float64)
""",
        mistakes=[
            Mistake("answer = ag.tensor([0.1, 0.2, 0.3])", says="dtype float32"),
            Mistake("answer = [0.1, 0.2, 0.3]", says="Python list"),
            Mistake("answer = ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64)",
                    says="different numbers"),
        ],
    ),
    Exercise(
        name="shared_memory",
        hint="set `answer` to the number t[0] holds after `t = ag.from_numpy(a)` and then "
             "`a[0] = 100`.",
        check=_check_shared_memory,
        solution="""
a = np.array([1.0, 2.0, 3.0])
t = ag.from_numpy(a)
a[0] = 100
answer = t[0].item()      # 100.0: t and a share memory
""",
        mistakes=[
            Mistake("answer = 1.0", says="share"),
            Mistake("answer = 2.0", says="neither"),
        ],
    ),
    Exercise(
        name="column_grad",
        hint="set `answer` to your prediction of column.grad for L = (column * row).sum(), a "
             "nested list of numbers with column's shape (3, 1).",
        check=_check_column_grad,
        explanation="Each number of `column` is stretched into 4 copies, one per number of "
                    "`row`, and each copy is multiplied by its row number, so its share of the "
                    "gradient is that row number:\n\n"
                    "$$\\frac{\\partial L}{\\partial \\mathrm{column}_i} = \\sum_{j=1}^{4} "
                    "\\mathrm{row}_j = 1 + 2 + 3 + 4 = 10.$$",
        solution="""
shares = [1.0, 2.0, 3.0, 4.0]           # d(column_i * row_j)/d(column_i) = row_j, one per copy
answer = [[sum(shares)]] * 3           # [[10.0], [10.0], [10.0]]: column's shape (3, 1)
""",
        mistakes=[
            Mistake("answer = [[1.0, 2.0, 3.0, 4.0]] * 3", says="added up"),
            Mistake("answer = [[4.0]] * 3", says="multiplies"),
            Mistake("answer = [[30.0]] * 3", says="row's gradient"),
            Mistake("answer = [10.0, 10.0, 10.0]", says="shape"),
            Mistake(FRESH_TENSORS + "(column * row).sum().backward()\nanswer = column.grad",
                    says="by hand"),
        ],
    ),
    into=globals(),
)
