"""Lesson 14 (Moving on to PyTorch) where PyTorch is missing, as on Binder.

The lesson's second code cell imports torch; without it, it prints one line and installs
:func:`autogradlab.exercises.lesson14.skip_cells_that_need_torch`'s input transformer, which turns
each later cell that needs PyTorch (it uses ``torch``, or a name only such a cell defines) into
one line saying so. The PyTorch twins keep their own guard, and plain autogradlab cells run. The
whole notebook then runs top to bottom without an error, each cell printing at most one line
about PyTorch.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import nbformat
import pytest

from autogradlab.exercises.lesson14 import SKIPPED, _Skipper, skip_cells_that_need_torch

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "14_moving_on_to_pytorch.ipynb"
TWIN_LINE = "PyTorch is not installed here; this cell is the same computation in PyTorch."


def _code_cells():
    nb = nbformat.read(LESSON, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code"]


def _lines(source: str) -> list[str]:
    return source.splitlines(keepends=True)


def test_the_lesson_runs_top_to_bottom_without_torch(monkeypatch):
    pytest.importorskip("matplotlib").use("agg")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    monkeypatch.chdir(LESSON.parent)
    skipper = _Skipper()  # what the kernel would run each cell through
    namespace: dict = {"__name__": "__main__"}
    printed = []
    for index, cell in enumerate(_code_cells()):
        source = "".join(skipper(_lines(cell.source))) if index > 1 else cell.source
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"lesson14 code cell {index}", "exec"), namespace)
        printed.append((cell, out.getvalue().strip().splitlines()))

    first, torch_cell = printed[0], printed[1]
    assert first[1] == []
    assert len(torch_cell[1]) == 1 and "PyTorch is not installed here" in torch_cell[1][0]
    skipped = [cell for cell, lines in printed if lines == [SKIPPED]]
    assert len(skipped) >= 10, "the cells on PyTorch's graphs say they need PyTorch"
    for cell, lines in printed[2:]:
        if "pytorch" in cell.metadata.get("tags", []):
            assert lines == [TWIN_LINE]
        elif "torch" in cell.source.replace("ag.torch", ""):
            assert lines == [SKIPPED], cell.source
    # the exercise checks still answer, and the last section's autogradlab cell runs
    assert any(lines and lines[0].startswith("… Not answered yet") for _, lines in printed)
    assert any(lines and lines[-1].startswith("step 200: loss = 0.0000") for _, lines in printed)


def test_the_skipper_follows_names_not_just_the_word_torch():
    skipper = _Skipper()
    assert skipper.needs_torch("x = torch.tensor(1.0)\nwith ag.torch.record():\n    f = x**2")
    assert skipper.needs_torch("ag.viz.draw(f)")          # f comes from a skipped cell
    assert not skipper.needs_torch("f = ag.tensor(2.0)\nprint(f)")  # defines f itself
    assert not skipper.needs_torch("ag.viz.draw(f)")      # f is autogradlab's now
    assert not skipper.needs_torch("try:\n    import torch\nexcept ImportError:\n    torch = None")
    assert not skipper.needs_torch("%matplotlib inline")  # not Python: left alone
    assert skipper(["print(torch)\n"]) == [f"print({SKIPPED!r})\n"]


def test_outside_ipython_installing_the_skipper_does_nothing():
    skip_cells_that_need_torch()  # no IPython shell: nothing to install, no error
