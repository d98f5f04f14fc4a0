"""Lesson 4 (Backpropagation and the chain rule), second edition.

* The lesson keeps the course's shape: ``# Lesson 4: ...`` title, a seeded first code cell, the
  key derivations as display maths, "reverse mode" and "topological order" named, accumulation
  only mentioned (lesson 5 teaches it), no authoring words a learner should not read.
* What the learner acts on works on the lesson's graph: ``ag.explore`` shows dL/da move with w1
  as the path formula says, and the predict player asks for the engine's numbers and diagnoses
  "one path only" where two paths meet at ``a``.
* The PyTorch twins (cells tagged ``pytorch``) print only lines that the lesson's autogradlab
  cells printed, at least one number each, and one line without torch.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from lesson_notebooks import markdown, saved_text

import autogradlab as ag
from autogradlab.exercises import lesson04

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "04_backpropagation.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


# -- the lesson's shape ---------------------------------------------------------------------------


def test_title_seed_and_sections(nb):
    assert nb.cells[0].source.splitlines()[0] == "# Lesson 4: Backpropagation and the chain rule"
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    for line in ("import numpy as np", "import autogradlab as ag", "ag.manual_seed(0)"):
        assert line in first_code
    headings = [ln for c in nb.cells if c.cell_type == "markdown" for ln in c.source.splitlines()
                if ln.startswith("## ")]
    assert headings[-1] == "## The same in PyTorch"
    assert "## Summary" in headings


def test_names_reverse_mode_and_topological_order(nb):
    text = markdown(nb)
    assert "**reverse mode**" in text.lower() or "**Reverse mode**" in text
    assert "one pass per" in text  # why a scalar loss makes reverse mode the right mode
    assert "**topological" in text and "lesson 11" in text


def test_derivations_are_display_maths(nb):
    text = markdown(nb)
    blocks = re.findall(r"\$\$(.*?)\$\$", text, re.S)
    joined = "\n".join(blocks)
    assert r"\underbrace" in joined                       # dL/da as a sum over two paths
    assert r"\sum_{\text{paths" in joined                 # the general rule
    assert r"-(x_3 \odot x_1 + x_4 \odot x_2)" in joined  # the 5x5 formula
    assert r"-2\,(10 - d)" in joined                      # the squared loss's edge
    for line in text.splitlines():                        # no plain-text formula lines
        assert not re.match(r"^\s+dL/d\w+ =", line), line


def test_no_authoring_words_and_accumulation_only_referred_to(nb):
    text = markdown(nb).lower()
    for word in ("source material", "nbval", "nbval_ignore"):
        assert word not in text
    saved = "\n".join(saved_text(c) for c in nb.cells if c.cell_type == "code").lower()
    for word in ("cuda", "cupy", "traceback", "0x"):
        assert word not in saved
    assert "lesson 5" in text
    assert "set `t.grad = none`" not in text  # the how-to of accumulation lives in lesson 5


# -- acting on the lesson's graph -----------------------------------------------------------------


def _graph():
    v = lesson04.VALUES
    a, w1, w2, w3, w4 = (ag.tensor(v[k], requires_grad=True) for k in ("a", "w1", "w2", "w3", "w4"))
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d  # noqa: N806
    L.backward()
    return L, {"a": a, "w1": w1, "w2": w2, "w3": w3, "w4": w4, "b": b, "c": c, "d": d, "L": L}


def test_explore_moves_dL_da_as_the_path_formula_says():  # noqa: N802
    def graph_of(a, w1, w2, w3, w4):
        b = w1 * a
        c = w2 * a
        d = w3 * b + w4 * c
        return 10 - d

    explorer = ag.explore(graph_of, a=2.0, w1=3.0, w2=-1.0, w3=2.0, w4=4.0)
    for w1 in (3.0, 4.0, 5.0):
        explorer.set(w1=w1)
        assert explorer.grads["a"] == pytest.approx(-(2.0 * w1 + 4.0 * -1.0))
        assert explorer.nudges["a"].ratio == pytest.approx(explorer.grads["a"], abs=1e-4)


def test_predict_player_asks_the_engines_numbers():
    L, names = _graph()  # noqa: N806
    player = ag.animate(L, predict=True, names=names)
    asked = {q.asks: q.expected for q in player.questions}
    assert asked["∂L/∂w1"] == pytest.approx(-4.0)
    last_a = [q for q in player.questions if q.target == "a"][-1]
    assert last_a.expected == pytest.approx(-2.0)
    one_path = last_a.diagnose(last_a.contribution)
    assert one_path.startswith("That is the gradient along this one path")
    for question in player.questions:  # answering with the engine's numbers reveals every step
        assert player.answer(question.expected).startswith("Right")
    assert player.score == len(player.questions)


def test_the_exercise_graph_is_the_lessons_5x5_graph(nb):
    namespace: dict = {}
    exec(compile("import numpy as np\nimport autogradlab as ag\n" + lesson04.FORMULA_GRAPH,
                 "<setup>", "exec"), namespace)
    cell = next(c.source for c in nb.cells if c.cell_type == "code"
                and "default_rng(0)" in c.source and "pytorch" not in c.metadata.get("tags", []))
    assert lesson04.FORMULA_GRAPH.strip() in cell
    assert namespace["a"].shape == (5, 5)


# -- the PyTorch twins ----------------------------------------------------------------------------


