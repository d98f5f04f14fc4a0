"""Lesson 2 (Computation graphs): what its second edition promises.

* The conventions: title ``# Lesson 2: ...``, the first code cell imports NumPy and autogradlab and
  fixes the seed, no authoring words reach the learner, the lesson ends with ``## The same in
  PyTorch``.
* Finite differences are taught here: the formula in LaTeX, ``ag.explore``'s nudge used by the
  learner (``explorer.set``), and the ``slope`` exercise, whose check refuses backward().
* The ``if`` demo lives here, with the words "no separate tape" (lesson 8 refers back to it).
* Exercise 2's check blames accumulated gradients, not calculus, when backward ran twice.
* The PyTorch twins print only lines the autogradlab cells printed, and one line without torch.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from lesson_notebooks import markdown, saved_text

from autogradlab.exercises import lesson02

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "02_computation_graphs.ipynb"
LEAKS = re.compile(r"source material|nbval|NBVAL|\bCI\b|CUDA|cupy|/tmp/|/work/|0x[0-9a-f]{6,}",
                   re.I)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


def test_title_seed_and_last_section(nb):
    assert nb.cells[0].source.splitlines()[0] == "# Lesson 2: Computation graphs"
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    for line in ("import numpy as np", "import autogradlab as ag", "ag.manual_seed(0)"):
        assert line in first_code
    headings = [ln for c in nb.cells if c.cell_type == "markdown"
                for ln in c.source.splitlines() if ln.startswith("## ")]
    assert headings[-1] == "## The same in PyTorch"
    assert "## Summary" in headings


def test_no_authoring_words_or_machine_output_reach_the_learner(nb):
    for i, cell in enumerate(nb.cells):
        text = cell.source if cell.cell_type == "markdown" else saved_text(cell)
        assert not LEAKS.search(text), f"cell {i}: {LEAKS.search(text).group(0)!r}"
    assert "·" not in nb.cells[0].source.splitlines()[0]


def test_finite_differences_are_taught_with_a_formula_and_the_explorer(nb):
    text = markdown(nb)
    assert "finite difference" in text.lower()
    assert r"\frac{f(x + h) - f(x)}{h}" in text  # the formula, as display maths
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "ag.explore(" in code and "explorer.set(" in code and "explorer.nudges" in code
    printed = "\n".join(saved_text(c) for c in nb.cells if c.cell_type == "code")
    assert "change / h = 14.0100" in printed
    assert "the engine's df/dx = +14.00" in printed


def test_the_if_demo_and_no_separate_tape(nb):
    text = markdown(nb)
    assert "no separate list of" in text and "tape" in text
    printed = "\n".join(saved_text(c) for c in nb.cells if c.cell_type == "code")
    assert "x = +2: out.grad_fn = MulBackward0, d out/dx = +3" in printed
    assert "x = -2: the graph is out = x ** 2; d out/dx = -4" in printed


def test_explorer_cells_keep_their_picture(nb):
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(r"^\w+$", cell.source.splitlines()[-1]) \
                and "ag.explore(" in cell.source:
            assert "nbval-ignore-output" in cell.metadata.get("tags", [])
            assert any("image/png" in out.get("data", {}) for out in cell.outputs)


# -- the checks ---------------------------------------------------------------------------------


def _judge(name, answer):
    return lesson02.EXERCISES[name].judge(answer)


def test_two_paths_blames_accumulated_gradients_not_calculus():
    import autogradlab as ag

    x = ag.tensor(2.0, requires_grad=True)
    y = ag.tensor(5.0, requires_grad=True)
    for _ in range(3):  # a learner who ran the cell three times on the same leaves
        g = x * y + y
        g.backward()
    passed, message = _judge("two_paths", (x.grad, y.grad))
    assert not passed
    assert "3 times" in message and "accumulate" in message and "lesson 5" in message
    assert "SUMS over all paths" not in message


def test_slope_refuses_backward_at_run_time_too():
    def sneaky(f, x, h):  # no ".backward(" in a source inspect can find: made at run time
        import autogradlab as ag

        t = ag.tensor(x, requires_grad=True)
        return getattr(f(t), "back" + "ward")

    passed, message = _judge("slope", sneaky)
    assert not passed and "without backward()" in message


def test_slope_accepts_the_central_difference_and_explains_why_it_is_right():
    passed, message = _judge("slope", lambda f, x, h: (f(x + h) - f(x - h)) / (2 * h))
    assert passed, message
    assert "slope·h" in message


# -- the PyTorch twins --------------------------------------------------------------------------


