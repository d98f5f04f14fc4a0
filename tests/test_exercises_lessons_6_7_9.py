"""Exercise checks of lessons 06 and 07 beyond the generic ones in test_exercises.py.

Those lessons ask for functions (``sgd_step``, ``accuracy``): the placeholder raises
``NotImplementedError`` and must count as "not answered yet", and an error inside the learner's
function must be reported as theirs. (Lesson 9's checks are tested in tests/test_lesson_09.py.)
"""

from __future__ import annotations

import pytest

import autogradlab as ag
from autogradlab.exercises import lesson06, lesson07

FUNCTION_CHECKS = [
    (lesson06.check_sgd_step, "sgd_step"),
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


@pytest.mark.parametrize("lr", [0.15, 0.3, 0.5, 0.9])
def test_learning_rates_that_work_are_accepted(lr, capsys):
    assert lesson06.check_learning_rate(lr) is True
    capsys.readouterr()


def test_sgd_step_under_no_grad_is_accepted(capsys):
    def sgd_step(params, lr):
        with ag.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()

    assert lesson06.check_sgd_step(sgd_step) is True
    capsys.readouterr()


def test_hand_gradient_matches_autograd():
    w = ag.tensor(lesson06.HAND_W, requires_grad=True)
    b = ag.tensor(lesson06.HAND_B, requires_grad=True)
    ((w * lesson06.HAND_X + b - lesson06.HAND_TARGET) ** 2).backward()
    assert (w.grad.item(), b.grad.item()) == lesson06.SOLUTIONS["hand_gradient"]()


def test_parameter_count_matches_the_model():
    model = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 16),
                             ag.nn.ReLU(), ag.nn.Linear(16, 2))
    assert sum(p.numel() for p in model.parameters()) == lesson07.SOLUTIONS["parameter_count"]()
