"""Lesson 0 (Start here): a first gradient, and the command that resets a lesson.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.
"""

from __future__ import annotations

import shlex
from typing import Any

from ._check import Wrong, as_number, close
from ._exercise import Exercise, Mistake, declare

# -- Exercise 1: the gradient of x**2 + 3 at x = 4, computed with the engine ----------------------


def _check_first_gradient(answer: Any) -> str:
    if isinstance(answer, (list, tuple)):
        raise Wrong(f"your answer is a list ({answer!r}); the gradient of one number is one "
                    "number: set `answer = x.grad` (a tensor holding one number) or a float.")
    value = as_number(answer, "your gradient")
    if close(value, 8.0):
        return "df/dx = 2·x, so at x = 4 the gradient is 8."
    if close(value, 14.0):
        raise Wrong("14 is the gradient at x = 7 (the example above). Here x = 4: df/dx = 2·x.")
    if close(value, 19.0):
        raise Wrong("19 is f(4) itself, the value of the function. The gradient is the slope "
                    "df/dx = 2·x.")
    if close(value, 16.0):
        raise Wrong("16 is x**2. The derivative of x**2 is 2·x (and the + 3 adds nothing to it).")
    raise Wrong(f"you got {value:g}. Differentiate x**2 + 3 to 2·x, then put in x = 4.")


# -- Exercise 2: the command that resets lesson 3 -------------------------------------------------


def _check_reset_command(answer: Any) -> str:
    if not isinstance(answer, str):
        raise Wrong(f"your answer is a {type(answer).__name__}; write the command as a string.")
    words = shlex.split(answer)
    if words and words[0].startswith("!"):  # typed as a notebook shell command
        words[0] = words[0].lstrip("!")
        words = [w for w in words if w]
    if words[:2] != ["autogradlab", "lessons"]:
        raise Wrong(f"the command starts with {' '.join(words[:2])!r}; every lesson command "
                    "starts with 'autogradlab lessons'.")
    if "--reset" not in words:
        raise Wrong("without --reset, `autogradlab lessons` only adds missing lessons and never "
                    "touches your copy. Add --reset and the lesson's number.")
    at = words.index("--reset")
    if at + 1 >= len(words):
        raise Wrong("--reset needs to know which lesson: add its number, e.g. --reset 03.")
    target = words[at + 1]
    if target.lstrip("0").split("_")[0].split(".")[0] != "3":
        raise Wrong(f"--reset {target} names another lesson; lesson 3 is '03'.")
    return (f"`{answer.strip()}` backs up your copy of lesson 3 (with a timestamp) and restores "
            "the original.")


EXERCISES = declare(
    Exercise(
        name="first_gradient",
        hint="set `answer` to the gradient of f = x**2 + 3 at x = 4 (x.grad after f.backward()).",
        check=_check_first_gradient,
        solution="""
x = ag.tensor(4.0, requires_grad=True)
f = x**2 + 3
f.backward()
answer = x.grad          # tensor(8.)
""",
        explanation="The same three lines as for $x = 7$, with 4 in place of 7. The derivative "
                    "is $2x$, and $2 \\cdot 4 = 8$; the `+ 3` lifts the curve without changing "
                    "its slope:",
        mistakes=[
            Mistake("answer = 14.0", says="x = 7"),
            Mistake("answer = 19.0", says="value of the function"),
            Mistake("answer = 16.0", says="2·x"),
            Mistake("answer = [8.0]", says="a list"),
        ],
    ),
    Exercise(
        name="reset_command",
        hint='set `answer` to the command (a string) that resets lesson 3, e.g. "autogradlab ...".',
        check=_check_reset_command,
        solution="""
answer = "autogradlab lessons --reset 03"
""",
        explanation="Type it in a terminal (or in a notebook cell, with a `!` in front). Your "
                    "own copy is kept beside the restored lesson, as "
                    "`03_forward_pass.backup-<date>-<time>.ipynb`:",
        mistakes=[
            Mistake('answer = "autogradlab lessons 03"', says="--reset"),
            Mistake('answer = "autogradlab lessons --reset 05"', says="another lesson"),
            Mistake('answer = "jupyter lab --reset 03"', says="autogradlab lessons"),
            Mistake("answer = 3", says="string"),
        ],
    ),
    into=globals(),
)
