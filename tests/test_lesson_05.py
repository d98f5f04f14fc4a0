"""Lesson 5 (Autograd mechanics), second edition.

* The lesson keeps the course's shape: ``# Lesson 5: ...`` title, a seeded first code cell, the
  twins' section last, no authoring words a learner should not read.
* Accumulation is taught here, in pictures: the bar chart of ``x.grad`` after each pass, and the
  one pass through ``L1 + L2`` whose player shows ``x`` receiving two contributions; the numbers
  the lesson prints are the engine's (two passes and one pass through the sum agree).
* ``detach`` in pictures: the drawing of ``z = y + x`` has the node ``y`` and two paths from
  ``x``; the drawing of ``z = y.detach() + x`` has a separate leaf and one path.
* The PyTorch twins print only lines that the lesson's autogradlab cells printed, at least one
  number each, and one line without torch.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from lesson_notebooks import markdown, saved_text

import autogradlab as ag

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "05_autograd_mechanics.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(LESSON, as_version=4)


# -- the lesson's shape ---------------------------------------------------------------------------


def test_title_seed_and_sections(nb):
    assert nb.cells[0].source.splitlines()[0] == "# Lesson 5: Autograd mechanics"
    first_code = next(c.source for c in nb.cells if c.cell_type == "code")
    for line in ("import numpy as np", "import autogradlab as ag", "ag.manual_seed(0)"):
        assert line in first_code
    headings = [ln for c in nb.cells if c.cell_type == "markdown" for ln in c.source.splitlines()
                if ln.startswith("## ")]
    assert headings[-1] == "## The same in PyTorch"
    assert "## Summary" in headings and "## Gradients accumulate" in headings


def test_no_authoring_words(nb):
    text = markdown(nb).lower()
    for word in ("source material", "nbval", "nbval_ignore"):
        assert word not in text
    saved = "\n".join(saved_text(c) for c in nb.cells if c.cell_type == "code").lower()
    for word in ("cuda", "cupy", "traceback", " at 0x"):
        assert word not in saved


def _pictures_after(nb, marker: str) -> list:
    """The picture cells (tagged) that come after the code cell containing ``marker``."""
    start = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and marker in c.source)
    return [c for c in nb.cells[start:]
            if "nbval-ignore-output" in c.metadata.get("tags", [])]


def test_accumulation_and_detach_are_shown_in_pictures(nb):
    accumulation = _pictures_after(nb, "(x**2).backward()")
    assert any("plt.show()" in c.source and "x.grad = None" in c.source for c in accumulation)
    assert any(c.source.strip() == "ag.animate(total)" for c in accumulation)
    drawings = [c for c in nb.cells if c.source.strip() == "ag.viz.draw(z)"]
    assert len(drawings) == 2
    for cell in accumulation[:2] + drawings:
        assert any("image/png" in out.get("data", {}) for out in cell.outputs), cell.source


# -- the pictures' graphs ----------------------------------------------------------------------


def test_parts_and_the_whole_give_the_same_gradient():
    x = ag.tensor(3.0, requires_grad=True)
    (x**2).backward()
    (3 * x).backward()
    parts = x.grad.item()
    x = ag.tensor(3.0, requires_grad=True)
    L1, L2 = x**2, 3 * x  # noqa: N806
    total = L1 + L2
    total.backward()
    assert parts == x.grad.item() == 9.0
    graph = ag.viz.trace(total, names={"x": x, "L1": L1, "L2": L2, "total": total})
    arrivals = [s for s in graph.backward_steps if s.kind == "accumulate" and s.target == "x"]
    assert [float(s.total) for s in arrivals] in ([6.0, 9.0], [3.0, 9.0])


def test_the_detached_graph_has_one_path_and_a_separate_leaf():
    x = ag.tensor(3.0, requires_grad=True)
    y = x**2
    z = y + x
    z.backward()
    full = ag.viz.trace(z, names={"x": x, "y": y, "z": z})
    assert x.grad.item() == 7.0 and set(full.nx.predecessors("y")) == {"x"}
    x = ag.tensor(3.0, requires_grad=True)
    y_const = (x**2).detach()
    z = y_const + x
    z.backward()
    cut = ag.viz.trace(z, names={"x": x, "y_const": y_const, "z": z})
    assert x.grad.item() == 1.0
    assert set(cut.nx.nodes) == {"x", "y_const", "z"}
    assert list(cut.nx.predecessors("y_const")) == []


# -- the PyTorch twins ----------------------------------------------------------------------------


