"""Lesson 7 (a neural network with one hidden layer): its exercises beyond the generic checks of
test_exercises.py, and its PyTorch twins.

* Numbers are accepted in every form a learner computes them: ``np.int64(354)`` (a NumPy sum),
  whole floats, NumPy floats and one-element tensors for the count; a NumPy float returned by
  ``accuracy``.
* ``accuracy`` is a function the learner writes: the placeholder is "not answered yet", an error
  inside it is reported as the learner's.
* Exercise 2's worked answer is what ``ag.optim.Adam`` (and ``torch.optim.Adam``) compute.
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
from autogradlab.exercises import lesson07

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "07_neural_network.ipynb"
EXERCISES = lesson07.EXERCISES


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


def _outputs(nb) -> str:
    return "\n".join(saved_text(c) for c in nb.cells
                     if c.cell_type == "code" and "pytorch" not in c.metadata.get("tags", []))


# -- exercises -------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [354, np.int64(354), np.int32(354), 354.0, np.float64(354.0),
                                    np.float32(354.0), ag.tensor(354), ag.tensor([354.0])])
def test_parameter_count_accepts_any_whole_number(answer):
    passed, message = EXERCISES["parameter_count"].judge(answer)
    assert passed, message


@pytest.mark.parametrize("answer", ["354", True, np.float64(354.5), float("nan"), [354]])
def test_parameter_count_refuses_what_is_no_count(answer):
    passed, message = EXERCISES["parameter_count"].judge(answer)
    assert not passed and "whole number" in message, message


def test_parameter_count_matches_the_model():
    model = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 16),
                             ag.nn.ReLU(), ag.nn.Linear(16, 2))
    assert sum(p.numel() for p in model.parameters()) == EXERCISES["parameter_count"].solve()
    assert EXERCISES["parameter_count"].judge(
        np.sum([p.numel() for p in model.parameters()]))[0]


def test_placeholder_accuracy_is_not_answered_yet():
    def placeholder(model, X, y):
        raise NotImplementedError  # what the notebook ships

    passed, message = EXERCISES["accuracy"].judge(placeholder)
    assert passed is False and "Not answered yet" in message and "✗" not in message


def test_an_error_in_the_learners_accuracy_is_reported_as_theirs():
    passed, message = EXERCISES["accuracy"].judge(lambda model, X, y: 1 / 0)
    assert passed is False and "accuracy(...) raised ZeroDivisionError" in message


def test_accuracy_returning_a_numpy_float_is_accepted():
    def accuracy(model, X, y):
        return np.mean(model(X).argmax(dim=1).numpy() == y.numpy())

    passed, message = EXERCISES["accuracy"].judge(accuracy)
    assert passed, message


def test_adam_first_step_is_the_optimizers():
    want = EXERCISES["adam_first_step"].solve()
    w = ag.tensor(lesson07.ADAM_W, dtype=ag.float64, requires_grad=True)
    optimizer = ag.optim.Adam([w], lr=lesson07.ADAM_LR)
    (lesson07.ADAM_GRAD * w).backward()  # dL/dw = ADAM_GRAD
    optimizer.step()
    assert w.item() == pytest.approx(want, abs=1e-12)
    assert EXERCISES["adam_first_step"].judge(np.float32(want))[0]

    torch = pytest.importorskip("torch")
    t = torch.tensor(lesson07.ADAM_W, dtype=torch.float64, requires_grad=True)
    torch_optimizer = torch.optim.Adam([t], lr=lesson07.ADAM_LR)
    (lesson07.ADAM_GRAD * t).backward()
    torch_optimizer.step()
    assert t.item() == pytest.approx(want, abs=1e-12)


def test_the_player_names_adams_rule():
    pytest.importorskip("ipywidgets")
    X, y = ag.data.moons(8, seed=0)
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(2, 4), ag.nn.ReLU(), ag.nn.Linear(4, 2))
    optimizer = ag.optim.Adam(model.parameters(), lr=0.05)
    player = ag.animate_training(model, ag.nn.CrossEntropyLoss(), X, y, optimizer, steps=1)
    step = next(f for f in player.training_frames if f.phase == "step")
    assert "Adam" in step.caption and "for SGD" not in step.caption


# -- the lesson's conventions ----------------------------------------------------------------------


def test_title_seed_formulas_and_no_leaks(nb):
    assert nb.cells[0].source.startswith("# Lesson 7: ")
    first_code = next(c for c in nb.cells if c.cell_type == "code").source
    assert "import numpy as np" in first_code and "ag.manual_seed(0)" in first_code
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "source material" not in markdown.lower() and "nbval" not in markdown.lower()
    for formula in (r"L = -\log p_y", r"p_k - [k = y]", r"\hat m_t", r"\hat v_t"):
        assert formula in markdown, formula
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "animate_training(" in code and "ag.optim.Adam([w]" in code
    assert ".data -=" not in code


def test_adam_by_hand_matches_adam_in_the_saved_outputs(nb):
    text = _outputs(nb)
    hand = re.findall(r"by hand, step (\d): .* w = (-?\d+\.\d+)", text)
    engine = re.findall(r"Adam, +step (\d): w = (-?\d+\.\d+)", text)
    assert len(hand) == 3 and hand == engine


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
