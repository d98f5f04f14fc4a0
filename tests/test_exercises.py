"""Every exercise of every lesson module accepts its worked solution and explains mistakes.

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

import importlib
import pkgutil

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
def test_solution_is_accepted(module, name, capsys):
    check = getattr(module, f"check_{name}")
    assert check(module.SOLUTIONS[name]()) is True
    out = capsys.readouterr().out
    assert "Correct" in out, f"check_{name} accepted the solution but printed {out!r}"
    assert len(out.strip()) > 25, f"check_{name}: say WHY it is correct, not only {out!r}"


@pytest.mark.parametrize(("module", "name"), CASES)
def test_placeholder_is_not_answered_yet(module, name, capsys):
    check = getattr(module, f"check_{name}")
    assert check(None) is False
    out = capsys.readouterr().out
    assert "Not answered yet" in out, out


@pytest.mark.parametrize(("module", "name"), CASES)
def test_mistakes_are_explained(module, name, capsys):
    check = getattr(module, f"check_{name}")
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
        assert check(odd) in (True, False)
    capsys.readouterr()
