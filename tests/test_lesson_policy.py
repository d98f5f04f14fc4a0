"""Every lesson notebook follows the lessons' conventions (see tests/refresh_lessons.py).

What is checked, per ``lessons/*.ipynb``:

* the file is valid nbformat 4 JSON with kernelspec ``python3``;
* it was executed (``tests/refresh_lessons.py``): every code cell has an execution count, counts
  run 1, 2, 3, ..., no cell holds an error output;
* the output policy held: pictures (``image/png``, each at most ``PICTURE_LIMIT``) only in cells
  that nbval ignores, where static views need them (``tests/test_static_views.py``); no other
  image types, no widget views, no widget state in the metadata;
* a cell that shows a widget or a figure is tagged ``nbval-ignore-output`` (a cell tag, so the
  learner never reads a testing marker), so nbval does not compare it;
* the teaching skeleton is there: ``## Learning goals`` near the top, at least two
  ``### Exercise`` sections each with a self-check call (``check_...``) and a hidden worked
  solution (``<details>``), and a ``## Summary`` section that names the PyTorch equivalent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from refresh_lessons import IGNORE_TAG, PICTURE_LIMIT, PICTURE_MIME, keeps_pictures

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".upstream-" not in p.name and ".backup-" not in p.name]

IGNORE_MARKER = "# NBVAL_IGNORE_OUTPUT"
# Calls whose output is a widget or a figure (or, for ag.train, a progress bar): never compared.
WIDGET_OR_FIGURE_CALLS = re.compile(
    r"\banimate\w*\(|\bdraw\(|\bbroadcast\(|\bplot_\w*\(|\bPathExplorer\("
    r"|\bNodeInspector\(|\bDeviceToggle\("
    r"|^%%autograd|\bag\.train\(|(?<![.\w])train\(",
    re.M,
)

pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no lessons/*.ipynb yet")


def _ids(paths):
    return [p.name for p in paths]


def _code_lines(source: str) -> list[str]:
    """Source lines that are code, not comments (a comment may mention draw( harmlessly)."""
    return [ln for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def _heading_level(line: str) -> int:
    match = re.match(r"^(#{1,6})\s", line)
    return len(match.group(1)) if match else 0


def _prose_lines(markdown: str) -> list[str]:
    """Markdown lines outside fenced code blocks (a ``# comment`` in a code block is no heading)."""
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


@pytest.fixture(params=NOTEBOOKS, ids=_ids(NOTEBOOKS))
def notebook(request):
    path = request.param
    with open(path, encoding="utf-8") as fh:
        json.load(fh)  # plain JSON first: a merge conflict marker fails here, readably
    nb = nbformat.read(path, as_version=4)
    return path, nb


def test_valid_json_and_python3_kernel(notebook):
    path, nb = notebook
    nbformat.validate(nb)
    assert nb.nbformat == 4
    spec = nb.metadata.get("kernelspec", {})
    assert spec.get("name") == "python3", f"{path.name}: kernelspec is {spec!r}, expected python3"


def test_was_executed_in_order_without_errors(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    counts = [c.execution_count for c in code]
    assert None not in counts, (
        f"{path.name} has code cells that were never executed (cells "
        f"{[i for i, c in enumerate(counts, 1) if c is None]}): run "
        f"`.venv/bin/python tests/refresh_lessons.py lessons/{path.name}`"
    )
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(code)}; refresh it top to bottom"
    )
    assert any(c.outputs for c in code), f"{path.name} has no outputs at all: was it executed?"
    for i, cell in enumerate(code, 1):
        for out in cell.outputs:
            assert out.output_type != "error", (
                f"{path.name} code cell {i} holds an error output ({out.get('ename')}): lessons "
                "catch the errors they show and print the message"
            )


def test_pictures_only_in_ignored_cells_and_no_widget_state(notebook):
    path, nb = notebook
    assert "widgets" not in nb.metadata, f"{path.name} stores widget state in metadata.widgets"
    for i, cell in enumerate(nb.cells, 1):
        assert "widgets" not in cell.metadata, f"{path.name} cell {i} stores widget metadata"
        for out in cell.get("outputs", []):
            for mime, value in out.get("data", {}).items():
                assert mime != "application/vnd.jupyter.widget-view+json", (
                    f"{path.name} cell {i} keeps a widget view output"
                )
                if not mime.startswith("image/"):
                    continue
                assert mime == PICTURE_MIME, f"{path.name} cell {i} keeps an {mime} output"
                assert keeps_pictures(cell), (
                    f"{path.name} cell {i} keeps a picture but nbval compares it: tag the "
                    f"cell '{IGNORE_TAG}'"
                )
                size = len("".join(value))
                assert size <= PICTURE_LIMIT, (
                    f"{path.name} cell {i} keeps a {size}-byte picture (limit {PICTURE_LIMIT})"
                )
        if cell.cell_type == "markdown":
            assert "data:image/" not in cell.source, f"{path.name} cell {i} embeds an image"
            assert not cell.get("attachments"), f"{path.name} cell {i} has attachments"


def test_widget_and_figure_cells_are_not_compared(notebook):
    path, nb = notebook
    for i, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        code = "\n".join(_code_lines(cell.source))
        if cell.source.startswith("%%"):
            code = cell.source.splitlines()[0] + "\n" + code
        calls = WIDGET_OR_FIGURE_CALLS.findall(code)
        if not calls:
            continue
        assert IGNORE_TAG in cell.metadata.get("tags", []), (
            f"{path.name} cell {i} calls {calls[0]!r} (a widget or figure) but is not tagged "
            f"'{IGNORE_TAG}'"
        )
        assert IGNORE_MARKER not in cell.source, (
            f"{path.name} cell {i}: tag the cell '{IGNORE_TAG}', not a comment a learner reads"
        )


def _markdown(nb) -> list[tuple[int, str]]:
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def test_learning_goals_at_the_top(notebook):
    path, nb = notebook
    head = [c.source for c in nb.cells[:3] if c.cell_type == "markdown"]
    assert any(re.search(r"^## Learning goals", "\n".join(_prose_lines(s)), re.M) for s in head), (
        f"{path.name}: a '## Learning goals' heading belongs in the first three cells"
    )


def _sections(nb, pattern: str) -> list[list]:
    """Cells from each heading matching ``pattern`` up to the next heading of the same or a
    higher level."""
    sections, current, level = [], None, 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in _prose_lines(cell.source):
                lvl = _heading_level(line)
                if current is not None and lvl and lvl <= level and not re.match(pattern, line):
                    current = None
                if re.match(pattern, line):
                    current, level = [], lvl
                    sections.append(current)
        if current is not None:
            current.append(cell)
    return sections


def test_exercises_have_a_check_and_a_hidden_solution(notebook):
    path, nb = notebook
    exercises = _sections(nb, r"^### Exercise")
    assert len(exercises) >= 2, f"{path.name} has {len(exercises)} '### Exercise' sections, needs 2"
    for n, cells in enumerate(exercises, 1):
        title = next((ln for ln in _prose_lines(cells[0].source) if re.match(r"^### Exercise", ln)),
                     "?")
        checks = [c for c in cells if c.cell_type == "code" and "check_" in c.source]
        assert checks, f"{path.name} exercise {n} ({title!r}) has no code cell calling a check_..."
        solutions = [c for c in cells if c.cell_type == "markdown" and "<details>" in c.source]
        assert solutions, (
            f"{path.name} exercise {n} ({title!r}) has no hidden worked solution "
            "(<details><summary>Show a worked solution</summary> ...)"
        )


def test_summary_names_the_pytorch_equivalent(notebook):
    path, nb = notebook
    summaries = _sections(nb, r"^## Summary")
    assert summaries, f"{path.name} has no '## Summary' section"
    text = "\n".join(c.source for c in summaries[-1])
    assert "PyTorch" in text, f"{path.name}: the summary should give the PyTorch equivalent"
