"""Lesson 6 (linear regression): its exercises beyond the generic checks of test_exercises.py,
the numbers the notebook prints against the exercise module, and its PyTorch twins.

* ``sgd_step`` is a function the learner writes: the placeholder (``NotImplementedError``) is
  "not answered yet", an error inside it is reported as the learner's, and both recommended
  updates (under ``no_grad()``, or through ``.data``) are accepted.
* Exercise 3 reads the numbers the lesson printed for the run without ``zero_grad()``: the
  module's :func:`piled_gradients` must be that very run, and the training player's own.
* The twins (cells tagged ``pytorch``) run under real torch and print only lines the lesson's
  autogradlab cells printed; without torch each prints one line.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from lesson_notebooks import saved_text

import autogradlab as ag
from autogradlab.exercises import lesson06

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "06_linear_regression.ipynb"
EXERCISES = lesson06.EXERCISES


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


def _outputs(nb) -> str:
    return "\n".join(saved_text(c) for c in nb.cells
                     if c.cell_type == "code" and "pytorch" not in c.metadata.get("tags", []))


# -- exercises -------------------------------------------------------------------------------------


def test_placeholder_sgd_step_is_not_answered_yet():
    def placeholder(params, lr):
        raise NotImplementedError  # what the notebook ships

    passed, message = EXERCISES["sgd_step"].judge(placeholder)
    assert passed is False and "Not answered yet" in message and "✗" not in message


def test_an_error_in_the_learners_sgd_step_is_reported_as_theirs():
    passed, message = EXERCISES["sgd_step"].judge(lambda params, lr: 1 / 0)
    assert passed is False and "sgd_step(...) raised ZeroDivisionError" in message


def test_sgd_step_through_data_or_with_zeroed_grads_is_accepted():
    def through_data(params, lr):
        for p in params:
            p.data -= lr * p.grad.data
            p.grad = None

    def zeroing(params, lr):
        with ag.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()

    for sgd_step in (through_data, zeroing):
        passed, message = EXERCISES["sgd_step"].judge(sgd_step)
        assert passed, message


@pytest.mark.parametrize("lr", [0.15, 0.3, 0.5, 0.9, np.float64(0.5), np.float32(0.3)])
def test_learning_rates_that_work_are_accepted(lr):
    passed, message = EXERCISES["learning_rate"].judge(lr)
    assert passed, message


def test_hand_gradient_matches_autograd_and_accepts_numpy_numbers():
    w = ag.tensor(lesson06.HAND_W, requires_grad=True)
    b = ag.tensor(lesson06.HAND_B, requires_grad=True)
    ((w * lesson06.HAND_X + b - lesson06.HAND_TARGET) ** 2).backward()
    assert (w.grad.item(), b.grad.item()) == EXERCISES["hand_gradient"].solve()
    assert EXERCISES["hand_gradient"].judge([np.float32(-14.0), np.int64(-7)])[0]


def test_third_pass_accepts_the_difference_however_it_is_typed():
    piled = lesson06.piled_gradients()
    for answer in (piled[2] - piled[1], np.float32(piled[2] - piled[1]),
                   ag.tensor(piled[2] - piled[1])):
        passed, message = EXERCISES["third_pass"].judge(answer)
        assert passed, message


def test_the_piled_gradients_are_the_lessons_and_the_players(nb):
    text = _outputs(nb)
    piled = lesson06.piled_gradients()
    fresh = lesson06.piled_gradients(zero_grad=True)
    assert f"without zero_grad(): {np.round(piled, 4).tolist()}" in text
    assert f"with zero_grad():    {np.round(fresh, 4).tolist()}" in text
    assert piled[0] == fresh[0] and abs(piled[2]) > abs(fresh[2])

    pytest.importorskip("ipywidgets")
    X, y = ag.data.line(n=100, slope=2.0, intercept=1.0, noise=0.1, seed=0)
    ag.manual_seed(0)
    model = ag.nn.Linear(1, 1)
    optimizer = ag.optim.SGD(model.parameters(), lr=0.1)
    player = ag.animate_training(model, ag.nn.MSELoss(), X[:3], y[:3], optimizer, steps=3,
                                 zero_grad=False)
    shown = [n["model.weight"] for f, n in zip(player.training_frames, player.grad_norms)
             if f.phase == "backward"]
    assert shown == pytest.approx(np.abs(piled), rel=1e-5)


# -- the lesson's conventions ----------------------------------------------------------------------


def test_title_seed_five_steps_and_no_leaks(nb):
    assert nb.cells[0].source.startswith("# Lesson 6: ")
    first_code = next(c for c in nb.cells if c.cell_type == "code").source
    assert "import numpy as np" in first_code and "ag.manual_seed(0)" in first_code
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "source material" not in markdown.lower() and "nbval" not in markdown.lower()
    assert markdown.count("> **Autograd's five steps**") == 1  # the procedure, shown once
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "zero_grad=False" in code and "animate_training(" in code
    assert ".data -=" not in code.replace("w.data -= 1.0", "")  # updates use no_grad()
    headings = [ln for c in nb.cells if c.cell_type == "markdown" for ln in c.source.splitlines()
                if ln.startswith("## ")]
    assert headings[-1] == "## The same in PyTorch"


# -- the PyTorch twins -----------------------------------------------------------------------------


# -- the worked solutions, run in place ------------------------------------------------------------

SOLUTION_CODE = re.compile(r"<details>.*?```python\n(.*?)```.*?</details>", re.S)


def test_worked_solutions_pass_when_run_in_the_lesson(nb, monkeypatch):
    """Each worked solution, run where it appears after the lesson's cells so far (skipping the
    twins), prints its check's "✓ Correct", and the rest of the lesson still runs after it."""
    import contextlib
    import io

    pytest.importorskip("matplotlib").use("agg")
    monkeypatch.chdir(LESSON.parent)
    namespace: dict = {"__name__": "__main__"}
    solved = 0
    for index, cell in enumerate(nb.cells):
        sources = []
        if cell.cell_type == "code" and "pytorch" not in cell.metadata.get("tags", []):
            sources = [cell.source]
        elif cell.cell_type == "markdown":
            sources = SOLUTION_CODE.findall(cell.source)
        for source in sources:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(source, f"{LESSON.name}[{index}]", "exec"), namespace)
            if cell.cell_type == "markdown":
                last = (out.getvalue().strip().splitlines() or [""])[-1]
                assert last.startswith("✓ Correct"), f"cell {index}: {last!r}"
                solved += 1
    assert solved == len(EXERCISES)
