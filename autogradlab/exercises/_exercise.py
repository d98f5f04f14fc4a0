"""One declaration per exercise: its hint, its check, its worked solution and its known mistakes.

An exercise is declared once, in its lesson's module, and everything else is made from that
declaration::

    grad_w1 = Exercise(
        name="grad_w1",
        hint="set `answer` to dL/dw1, a number you work out by hand.",
        check=_check_grad_w1,             # answer -> success message, or raise Wrong(why)
        setup=LESSON_SO_FAR,              # code that recreates what the lesson defined before
        explanation="There is only one path, `L -> d -> b -> w1`:",
        solution='''
    dL_dd = -1.0          # L = 10 - d
    answer = dL_dd * w3.item() * a.item()
    ''',
        mistakes=[Mistake("answer = 4.0", says="sign"),
                  Mistake("answer = w1.grad", says="by hand")],
    )
    EXERCISES = declare(grad_w1, ..., into=globals())   # defines check_grad_w1, SOLUTIONS, ...

* ``check_grad_w1(answer)``, what the notebook calls, **prints** one message and returns ``None``,
  so a check cell shows the message and nothing else (no trailing ``True``/``False``). It never
  raises: a wrong answer must not stop "Run All".
* :meth:`Exercise.judge` is the same check for code: ``(passed, message)``.
* :meth:`Exercise.solution_cell` writes the notebook's hidden worked-solution cell
  (``<details>...</details>``) from ``explanation`` and ``solution``; ``tests/refresh_lessons.py``
  rewrites those cells and ``tests/test_exercises.py`` checks that they match.
* :meth:`Exercise.solve` runs ``setup`` then ``solution`` and returns the ``answer`` it sets, and
  each :class:`Mistake` runs the same way, so the tests check the very code a learner reads.
"""

from __future__ import annotations

import contextlib
import io
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ._check import CORRECT, NOT_ANSWERED, WRONG, NotAnswered, Wrong

SOLUTION_SUMMARY = "<details><summary>Show a worked solution</summary>"


@dataclass(frozen=True)
class Mistake:
    """A typical wrong answer: ``code`` (run like the solution, it sets ``answer``) or a callable
    returning the answer, and words that the check's message about it must contain."""

    code: str | Callable[[], Any]
    says: str


@dataclass
class Exercise:
    """One self-checking exercise (see the module docstring)."""

    name: str
    hint: str
    check: Callable[[Any], str]
    solution: str
    mistakes: list[Mistake] = field(default_factory=list)
    setup: str = ""
    explanation: str = ""
    #: what the notebook passes to the check (``check_x(answer)``, ``check_x(MyLinear)``)
    argument: str = "answer"

    def __post_init__(self) -> None:
        self.solution = textwrap.dedent(self.solution).strip("\n")
        self.setup = textwrap.dedent(self.setup).strip("\n")

    # -- checking ------------------------------------------------------------------------------

    def judge(self, answer: Any) -> tuple[bool, str]:
        """``(passed, message)``; ``None`` (or ``...``) is "not answered yet"."""
        if answer is None or answer is Ellipsis:
            return False, NOT_ANSWERED + self.hint
        try:
            return True, CORRECT + self.check(answer)
        except NotAnswered:  # the learner's function is still the placeholder
            return False, NOT_ANSWERED + self.hint
        except Wrong as err:
            return False, WRONG + str(err)
        except Exception as err:  # a check must never stop "Run All"
            return False, WRONG + f"checking your answer raised {type(err).__name__}: {err}"

    def checker(self) -> Callable[..., None]:
        """The ``check_<name>(answer)`` the notebook calls: prints the message, returns None."""

        def check(answer: Any = None) -> None:
            print(self.judge(answer)[1])

        check.__name__ = check.__qualname__ = f"check_{self.name}"
        check.__doc__ = (f"Check exercise {self.name!r}: prints what is right or wrong.\n\n"
                         f"{self.hint}")
        return check

    # -- the worked solution -------------------------------------------------------------------

    def run(self, code: str) -> Any:
        """Run ``setup`` then ``code`` in a fresh namespace; return the ``answer`` it sets."""
        import numpy as np

        import autogradlab as ag

        namespace: dict[str, Any] = {"__name__": "__main__", "ag": ag, "np": np}
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(self.setup, f"<{self.name} setup>", "exec"), namespace)
            exec(compile(code, f"<{self.name} code>", "exec"), namespace)
        return namespace.get(self.argument)

    def solve(self) -> Any:
        """The worked solution's answer."""
        return self.run(self.solution)

    def mistake_answer(self, mistake: Mistake) -> Any:
        return mistake.code() if callable(mistake.code) else self.run(mistake.code)

    def solution_cell(self) -> str:
        """The notebook's hidden worked-solution cell, written from this declaration."""
        parts = [SOLUTION_SUMMARY, ""]
        if self.explanation:
            parts += [textwrap.dedent(self.explanation).strip(), ""]
        last = self.solution.splitlines()[-1] if self.solution else ""
        gap = [""] if last[:1].isspace() else []  # a blank line after a def or class block
        parts += ["```python", self.solution, *gap, f"check_{self.name}({self.argument})", "```",
                  "", "</details>"]
        return "\n".join(parts)


def declare(*exercises: Exercise, into: dict[str, Any]) -> dict[str, Exercise]:
    """Define ``check_<name>`` for each exercise in the module namespace ``into``, and the
    ``SOLUTIONS`` / ``WRONG_ANSWERS`` tables the tests read; return ``{name: exercise}``."""
    table = {ex.name: ex for ex in exercises}
    for ex in exercises:
        into[f"check_{ex.name}"] = ex.checker()
    into["SOLUTIONS"] = {ex.name: ex.solve for ex in exercises}
    into["WRONG_ANSWERS"] = {
        ex.name: [(_answer_of(ex, m), m.says) for m in ex.mistakes] for ex in exercises
    }
    return table


def _answer_of(ex: Exercise, mistake: Mistake) -> Callable[[], Any]:
    return lambda: ex.mistake_answer(mistake)


def exercises_in(modules: Iterable[Any]) -> list[Exercise]:
    """Every declared exercise of the given lesson modules."""
    return [ex for module in modules for ex in getattr(module, "EXERCISES", {}).values()]
