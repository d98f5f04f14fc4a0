"""Lesson 0 (Start here): a first gradient, and the command that resets a lesson."""

from __future__ import annotations

import shlex
from typing import Any

from ._check import Wrong, as_number, close, exercise


@exercise("set `answer` to the gradient of f = x**2 + 3 at x = 4 (x.grad after f.backward()).")
def check_first_gradient(answer: Any) -> str:
    value = as_number(answer, "your gradient")
    if close(value, 8.0):
        return "df/dx = 2·x, so at x = 4 the gradient is 8."
    if close(value, 14.0):
        raise Wrong("14 is the gradient at x = 7 (the example above). Here x = 4: df/dx = 2·x.")
    if close(value, 19.0):
        raise Wrong(
            "19 is f(4) itself, the value of the function. The gradient is the slope df/dx = 2·x."
        )
    if close(value, 16.0):
        raise Wrong("16 is x**2. The derivative of x**2 is 2·x (and the + 3 adds nothing to it).")
    raise Wrong(f"you got {value:g}. Differentiate x**2 + 3 to 2·x, then put in x = 4.")


@exercise('set `answer` to the command (a string) that resets lesson 3, e.g. "autogradlab ...".')
def check_reset_command(answer: Any) -> str:
    if not isinstance(answer, str):
        raise Wrong(f"your answer is a {type(answer).__name__}; write the command as a string.")
    words = shlex.split(answer)
    if words[:1] == ["!"] or (words and words[0].startswith("!")):
        words[0] = words[0].lstrip("!")
        words = [w for w in words if w]
    if words[:2] != ["autogradlab", "lessons"]:
        raise Wrong(
            f"the command starts with {' '.join(words[:2])!r}; every lesson command starts with "
            "'autogradlab lessons'."
        )
    if "--reset" not in words:
        raise Wrong(
            "without --reset, `autogradlab lessons` only adds missing lessons and never touches "
            "your copy. Add --reset and the lesson's number."
        )
    at = words.index("--reset")
    if at + 1 >= len(words):
        raise Wrong("--reset needs to know which lesson: add its number, e.g. --reset 03.")
    target = words[at + 1]
    if target.lstrip("0").split("_")[0].split(".")[0] != "3":
        raise Wrong(f"--reset {target} names another lesson; lesson 3 is '03'.")
    return (
        f"`{answer.strip()}` backs up your copy of lesson 3 (with a timestamp) and restores the "
        "original."
    )


SOLUTIONS = {
    "first_gradient": lambda: _first_gradient(),
    "reset_command": lambda: "autogradlab lessons --reset 03",
}


def _first_gradient():
    import autogradlab as ag

    x = ag.tensor(4.0, requires_grad=True)
    f = x**2 + 3
    f.backward()
    return x.grad


WRONG_ANSWERS = {
    "first_gradient": [
        (lambda: 14.0, "x = 7"),
        (lambda: 19.0, "value of the function"),
        (lambda: [8.0], "a list"),
    ],
    "reset_command": [
        (lambda: "autogradlab lessons 03", "--reset"),
        (lambda: "autogradlab lessons --reset 05", "another lesson"),
        (lambda: "jupyter lab --reset 03", "autogradlab lessons"),
    ],
}
