"""The hidden worked solutions in the lessons pass their own checks.

Each listed notebook's code cells run in order in one namespace (as a learner would run them, with
the placeholder answers), and each ``<details>`` solution block's Python code runs at the point
where it appears; its last printed line must be the check's "✓ Correct" message.
Lessons 6 and 7 run theirs in ``tests/test_lesson_06.py`` and ``tests/test_lesson_07.py``,
lessons 11 to 13 in ``tests/test_new_lessons.py``; lesson 14's need torch
(``tests/test_lesson_14.py``).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import nbformat
import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
RUNNABLE = [
    "00_start_here.ipynb",
    "01_tensors.ipynb",
    "02_computation_graphs.ipynb",
    "03_forward_pass.ipynb",
    "04_backpropagation.ipynb",
    "05_autograd_mechanics.ipynb",
    "08_dynamic_graphs_rnn.ipynb",
    "09_gpus.ipynb",
    "10_build_your_own_op.ipynb",
]
SOLUTION_CODE = re.compile(r"<details>.*?```python\n(.*?)```.*?</details>", re.S)


@pytest.mark.parametrize("name", RUNNABLE)
def test_worked_solutions_pass_their_checks(name, monkeypatch):
    pytest.importorskip("matplotlib").use("agg")
    path = LESSONS / name
    if not path.exists():
        pytest.skip(f"{name} not written yet")
    monkeypatch.chdir(LESSONS)
    monkeypatch.setenv("MPLBACKEND", os.environ.get("MPLBACKEND", "agg"))
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__main__"}
    solved = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, f"{name}[{index}]", "exec"), namespace)
        elif cell.cell_type == "markdown":
            for code in SOLUTION_CODE.findall(cell.source):
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    exec(compile(code, f"{name}[{index}] solution", "exec"), namespace)
                last = (out.getvalue().strip().splitlines() or [""])[-1]
                assert "Correct" in last and "✓" in last, (
                    f"{name} cell {index}: the worked solution does not pass its check: {last!r}"
                )
                solved += 1
    assert solved >= 2, f"{name} has {solved} worked solutions with a check, needs 2"
