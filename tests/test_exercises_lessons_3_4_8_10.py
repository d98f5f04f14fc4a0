"""The worked solutions shown in lessons 3, 4, 8 and 10 really pass their self-checks.

``tests/test_exercises.py`` already checks every ``autogradlab.exercises.lessonNN`` module on its
own (solution accepted, placeholder "not answered yet", typical mistakes explained). This file
checks the notebooks' side of the bargain: the code a learner sees under "Show a worked solution"
works when pasted into the lesson at that point. Each notebook runs top to bottom in a fresh
kernel with every hidden solution executed right after its exercise cell, and each of those
cells must print "✓ Correct".
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
NOTEBOOKS = [
    "03_forward_pass.ipynb",
    "04_backpropagation.ipynb",
    "08_dynamic_graphs_rnn.ipynb",
    "10_build_your_own_op.ipynb",
]
SOLUTION_CODE = re.compile(r"<details>.*?```python\n(.*?)```.*?</details>", re.S)


def _with_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, list[int]]:
    """The notebook's code cells, each hidden solution inserted as a code cell where it appears."""
    cells, solution_indices = [], []
    for cell in nb.cells:
        if cell.cell_type == "code":
            cells.append(nbformat.v4.new_code_cell(cell.source))
        elif "<details>" in cell.source:
            for code in SOLUTION_CODE.findall(cell.source):
                solution_indices.append(len(cells))
                cells.append(nbformat.v4.new_code_cell(code))
    out = nbformat.v4.new_notebook()
    out.cells = cells
    out.metadata = nb.metadata
    return out, solution_indices


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_worked_solutions_pass_their_checks(name):
    nbclient = pytest.importorskip("nbclient")
    path = LESSONS / name
    if not path.exists():
        pytest.skip(f"{name} is not there yet")
    nb, indices = _with_solutions(nbformat.read(path, as_version=4))
    assert len(indices) >= 2, f"{name}: expected at least two hidden worked solutions"
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(LESSONS)}}
    )
    client.execute()
    for index in indices:
        text = "".join(
            out.get("text", "") for out in nb.cells[index].outputs if out.output_type == "stream"
        )
        assert "✓ Correct" in text, (
            f"{name}: the worked solution\n{nb.cells[index].source}\nprinted\n{text}"
        )
        assert "✗" not in text, f"{name}: a worked solution printed a failed check:\n{text}"
