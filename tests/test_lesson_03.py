"""Lesson 3 (The forward pass): what its second edition promises.

* The conventions: title ``# Lesson 3: The forward pass``, the first code cell imports NumPy and
  autogradlab and fixes the seed, NumPy randomness through ``np.random.default_rng``, no authoring
  words reach the learner, the lesson ends with ``## The same in PyTorch``.
* The learner explores the forward pass with ``ag.explore``: moves an input and sees which values
  follow (``explorer.changed``, rings in the picture), and predicts it in an exercise first.
* ``ag.explore`` itself: the nodes whose values changed are listed and ringed, and only those.
* The PyTorch twins print only lines the autogradlab cells printed, and one line without torch.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from lesson_notebooks import saved_text

import autogradlab as ag
from autogradlab.exercises import lesson03

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "03_forward_pass.ipynb"
LEAKS = re.compile(r"source material|nbval|NBVAL|\bCI\b|CUDA|cupy|/tmp/|/work/|0x[0-9a-f]{6,}",
                   re.I)


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


def _printed(nb) -> str:
    return "\n".join(saved_text(c) for c in nb.cells if c.cell_type == "code")


def test_title_seed_and_last_section(nb):
    assert nb.cells[0].source.splitlines()[0] == "# Lesson 3: The forward pass"
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    for line in ("import numpy as np", "import autogradlab as ag", "ag.manual_seed(0)"):
        assert line in first_code
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "np.random.default_rng(0)" in code
    headings = [ln for c in nb.cells if c.cell_type == "markdown"
                for ln in c.source.splitlines() if ln.startswith("## ")]
    assert headings[-1] == "## The same in PyTorch"
    assert "## Summary" in headings


def test_no_authoring_words_or_machine_output_reach_the_learner(nb):
    for i, cell in enumerate(nb.cells):
        text = cell.source if cell.cell_type == "markdown" else saved_text(cell)
        assert not LEAKS.search(text), f"cell {i}: {LEAKS.search(text).group(0)!r}"


def test_the_learner_moves_inputs_and_sees_the_values_follow(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "ag.explore(small_graph" in code and "explorer.set(" in code
    printed = _printed(nb)
    assert "a = 3:  b = 9  c = -3  d = 6  L = 4" in printed
    assert "w2 = 0: values that changed: ['c', 'mul2', 'd', 'L']" in printed
    # the prediction comes first: the exercise's check cell is before the explorer shows it
    sources = [c.source for c in nb.cells]
    check = next(i for i, s in enumerate(sources) if "check_what_changes(answer)" in s)
    shown = next(i for i, s in enumerate(sources) if "explorer.set(w2=0.0)" in s)
    assert check < shown


def test_the_explorer_lists_and_rings_only_what_changed():
    def small_graph(a, w1, w2, w3, w4):
        b = w1 * a
        c = w2 * a
        d = w3 * b + w4 * c
        L = 10 - d  # noqa: N806
        return L

    explorer = ag.explore(small_graph, a=2.0, w1=3.0, w2=-1.0, w3=2.0, w4=4.0)
    assert explorer.changed == []  # the first run has nothing to compare with
    assert explorer.node_values["L"] == 6.0 and explorer.node_values["mul2"] == -8.0
    unmoved = explorer.frame.value
    explorer.set(w2=0.0)
    assert explorer.changed == ["c", "mul2", "d", "L"]
    assert "values that changed: c, mul2, d, L" in explorer.readout.value
    explorer.set(w2=-1.0)
    assert explorer.frame.value != unmoved  # w2 is ringed, and so are the four that followed
    explorer.set(w3=2.0)  # no move at all: nothing changed
    assert explorer.changed == []
    assert "values that changed" not in explorer.readout.value


def test_the_explorer_compares_nothing_when_the_graph_changes_shape():
    def branchy(x):
        out = x * 3 if x.item() > 0 else x**2  # a multiplication or a power
        return out

    explorer = ag.explore(branchy, x=2.0)
    explorer.set(x=-2.0)
    assert explorer.changed == []
    explorer.set(x=-1.0)
    assert explorer.changed == ["out"]


def test_forward_values_refuses_numbers_the_engine_computed():
    t = ag.tensor
    passed, message = lesson03.EXERCISES["forward_values"].judge(
        {"b": t(2.0), "c": t(3.0), "d": t(-0.5), "L": t(10.5)})
    assert not passed and "by hand" in message


# -- the PyTorch twins --------------------------------------------------------------------------


