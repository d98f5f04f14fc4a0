"""Exercise checks of lesson 07 beyond the generic ones in test_exercises.py.

It asks for a function (``accuracy``): the placeholder raises ``NotImplementedError`` and must
count as "not answered yet", and an error inside the learner's function must be reported as
theirs. (Lesson 6's checks are tested in tests/test_lesson_06.py, lesson 9's in
tests/test_lesson_09.py.)
"""

from __future__ import annotations

import pytest

import autogradlab as ag
from autogradlab.exercises import lesson07

FUNCTION_CHECKS = [
    (lesson07.check_accuracy, "accuracy"),
]


@pytest.mark.parametrize(("check", "name"), FUNCTION_CHECKS)
def test_placeholder_function_is_not_answered_yet(check, name, capsys):
    def placeholder(*args):
        raise NotImplementedError  # what the notebook ships

    assert check(placeholder) is False
    out = capsys.readouterr().out
    assert "Not answered yet" in out and "✗" not in out


@pytest.mark.parametrize(("check", "name"), FUNCTION_CHECKS)
def test_an_error_in_the_learners_function_is_reported_as_theirs(check, name, capsys):
    def broken(*args):
        return 1 / 0

    assert check(broken) is False
    out = capsys.readouterr().out
    assert f"{name}(...) raised ZeroDivisionError" in out


def test_parameter_count_matches_the_model():
    model = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 16),
                             ag.nn.ReLU(), ag.nn.Linear(16, 2))
    assert sum(p.numel() for p in model.parameters()) == lesson07.SOLUTIONS["parameter_count"]()
