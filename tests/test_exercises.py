"""Every exercise of every lesson module accepts its worked solution and explains mistakes.

A module that declares its exercises (``EXERCISES``, see ``autogradlab/exercises/_exercise.py``)
is judged through :meth:`Exercise.judge`; its ``check_<name>`` prints the message and returns
None (a check cell shows the message only), and the notebook's worked-solution cells must be the
ones its declarations write.

Goes through every ``autogradlab.exercises.lessonNN`` module (the other lessons' modules are picked
up as they are added) and, for each name in its ``SOLUTIONS``:

* ``check_<name>(SOLUTIONS[name]())`` prints "✓ Correct" and returns True;
* ``check_<name>(None)`` prints "Not answered yet" and returns False without raising;
* every mistake in ``WRONG_ANSWERS[name]`` (the module's typical mistakes) is rejected, without
  raising, with a message that contains the listed words (and is more than "incorrect");
  a module without ``WRONG_ANSWERS`` gets generic wrong answers (wrong types, an absurd number)
  and at least one of them must be rejected with a message that says something.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import pkgutil
import sys
from pathlib import Path

import nbformat
import pytest

import autogradlab.exercises as exercises_pkg

MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(exercises_pkg.__path__)
    if info.name.startswith("lesson")
)


def _cases():
    for module_name in MODULES:
        module = importlib.import_module(f"autogradlab.exercises.{module_name}")
        for name in getattr(module, "SOLUTIONS", {}):
            yield pytest.param(module, name, id=f"{module_name}.{name}")


CASES = list(_cases())
LESSONS = Path(__file__).resolve().parent.parent / "lessons"


def _judged(module, name, answer):
    """``(passed, printed message)`` for an answer, for both kinds of lesson module."""
    declared = getattr(module, "EXERCISES", None)
    if declared:
        return declared[name].judge(answer)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = getattr(module, f"check_{name}")(answer)
    return result, out.getvalue()


def test_modules_follow_the_pattern():
    assert {"lesson00", "lesson01", "lesson02", "lesson05"} <= set(MODULES)
    for module_name in MODULES:
        module = importlib.import_module(f"autogradlab.exercises.{module_name}")
        assert getattr(module, "SOLUTIONS", None), f"{module_name} has no SOLUTIONS"
        assert len(module.SOLUTIONS) >= 2, f"{module_name} has fewer than two exercises"
        checks = {n[len("check_"):] for n in dir(module) if n.startswith("check_")}
        assert checks == set(module.SOLUTIONS), (
            f"{module_name}: check_ functions {sorted(checks)} and SOLUTIONS "
            f"{sorted(module.SOLUTIONS)} should name the same exercises"
        )


@pytest.mark.parametrize(("module", "name"), CASES)
def test_solution_is_accepted(module, name):
    passed, out = _judged(module, name, module.SOLUTIONS[name]())
    assert passed is True, out
    assert "Correct" in out, f"check_{name} accepted the solution but printed {out!r}"
    assert len(out.strip()) > 25, f"check_{name}: say WHY it is correct, not only {out!r}"


@pytest.mark.parametrize(("module", "name"), CASES)
def test_placeholder_is_not_answered_yet(module, name):
    passed, out = _judged(module, name, None)
    assert passed is False
    assert "Not answered yet" in out, out


@pytest.mark.parametrize(("module", "name"), CASES)
def test_mistakes_are_explained(module, name, capsys):
    check = getattr(module, f"check_{name}")
    if hasattr(module, "EXERCISES"):
        exercise = module.EXERCISES[name]
        assert exercise.mistakes, f"{module.__name__}: {name} declares no typical mistake"
        for mistake in exercise.mistakes:
            passed, out = exercise.judge(exercise.mistake_answer(mistake))
            assert passed is False, f"{name} accepted the mistake {mistake.code!r}"
            assert "✓" not in out
            assert mistake.says in out, (
                f"{name}: {mistake.code!r} gave {out!r}, not {mistake.says!r}"
            )
            assert len(out.strip()) > 40, f"{name}: {mistake.code!r} says too little: {out!r}"
        return
    if not hasattr(module, "WRONG_ANSWERS"):
        _generic_mistakes_are_explained(check, name, capsys)
        return
    mistakes = module.WRONG_ANSWERS.get(name, [])
    assert mistakes, f"{module.__name__}.WRONG_ANSWERS[{name!r}] lists no typical mistake"
    for make, words in mistakes:
        answer = make()
        assert check(answer) is False, f"check_{name} accepted the wrong answer {answer!r}"
        out = capsys.readouterr().out
        assert "✓" not in out
        assert words in out, (
            f"check_{name}({answer!r}) printed {out!r}; expected it to say {words!r}"
        )
        assert len(out.strip()) > 40, f"check_{name}({answer!r}) says too little: {out!r}"


GENERIC_WRONG = (-12345.678, "nonsense", object(), [], {"a": 1})
BARE = {"incorrect", "wrong", "incorrect.", "wrong.", "no", "false"}


def _generic_mistakes_are_explained(check, name, capsys):
    rejected = []
    for answer in GENERIC_WRONG:
        result = check(answer)
        out = capsys.readouterr().out
        if result is False:
            rejected.append((answer, out))
            assert "✓" not in out
            assert out.strip().lower() not in BARE, f"check_{name}({answer!r}) only says {out!r}"
            assert len(out.strip()) > 25, f"check_{name}({answer!r}) says too little: {out!r}"
    assert rejected, f"check_{name} accepted every generic wrong answer"


@pytest.mark.parametrize(("module", "name"), CASES)
def test_a_check_never_raises(module, name, capsys):
    check = getattr(module, f"check_{name}")
    for odd in (object(), "nonsense", 3.5, [[1, 2], [3]], {"a": 1}):
        result = check(odd)
        if hasattr(module, "EXERCISES"):
            assert result is None, "a declared check prints its message and returns None"
        else:
            assert result in (True, False)
    capsys.readouterr()


# -- declared once: the notebook shows the declared solution, and calls the declared check ------

DECLARED = [m for m in MODULES
            if getattr(importlib.import_module(f"autogradlab.exercises.{m}"), "EXERCISES", None)]


@pytest.mark.parametrize("module_name", DECLARED)
def test_notebook_solutions_are_written_from_the_declarations(module_name):
    sys.path.insert(0, str(Path(__file__).parent))
    from refresh_lessons import solution_cells

    number = module_name.removeprefix("lesson")
    paths = sorted(LESSONS.glob(f"{number}_*.ipynb"))
    assert len(paths) == 1, f"no single lessons/{number}_*.ipynb for {module_name}"
    nb = nbformat.read(paths[0], as_version=4)
    module = importlib.import_module(f"autogradlab.exercises.{module_name}")
    cells = solution_cells(nb, paths[0])
    assert sorted(name for _, name, _ in cells) == sorted(module.EXERCISES), (
        f"{paths[0].name}: each declared exercise needs exactly one worked-solution cell"
    )
    for index, name, declared in cells:
        assert nb.cells[index].source == declared, (
            f"{paths[0].name} cell {index} ({name}) differs from its declaration: run "
            f".venv/bin/python tests/refresh_lessons.py {paths[0].relative_to(LESSONS.parent)}"
        )
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for name, exercise in module.EXERCISES.items():
        call = f"check_{name}({exercise.argument})"
        assert call in code, f"{paths[0].name}: no code cell calls {call}"
        assert f"_ = check_{name}" not in code, "a declared check returns None: call it plainly"


def test_every_lesson_module_declares_its_exercises_once():
    undeclared = sorted(set(MODULES) - set(DECLARED))
    assert not undeclared, (
        f"{undeclared} still define check_ functions, SOLUTIONS and WRONG_ANSWERS by hand: "
        "declare each exercise once with Exercise(...) and declare(..., into=globals())"
    )
