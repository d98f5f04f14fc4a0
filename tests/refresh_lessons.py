"""Execute lesson notebooks in place and apply the lessons' output policy.

Usage (from the repository root)::

    .venv/bin/python tests/refresh_lessons.py lessons/02_computation_graphs.ipynb [...]
    .venv/bin/python tests/refresh_lessons.py            # every lessons/*.ipynb

Each notebook runs top to bottom in a fresh ``python3`` kernel whose working directory is the
notebook's folder, ``lessons/`` (as in ``pytest --nbval``), each cell at most ``--timeout``
seconds. A cell that raises stops the run and leaves the file untouched (tag a cell
``raises-exception`` if the error is the point of the cell; lessons prefer catching the error and
printing its message).

The output policy, applied before the notebook is written back:

* text stays: ``text/plain`` results and ``stdout``/``stderr`` streams (what nbval compares);
* pictures stay where a static view needs them: the ``image/png`` of a cell tagged
  ``nbval-ignore-output`` (a player's first frame, an ``ag.viz.draw`` drawing, a plot), so
  GitHub and nbconvert show the picture instead of ``GraphPlayer(...)``. nbval never compares
  them, and they are deterministic (same bytes on every run, see
  ``tests/test_static_views.py``), so the notebooks do not churn in git. A picture over
  ``PICTURE_LIMIT`` bytes is dropped with a warning;
* other images go (``image/svg+xml``, ``image/jpeg``, pictures of compared cells): they bloat the
  repository and diff badly;
* widgets go: ``application/vnd.jupyter.widget-view+json`` outputs and the notebook's
  ``metadata.widgets`` state (a widget is rebuilt when the learner runs the cell);
* rich text such as ``text/html`` is kept only when an output has no ``text/plain`` and it is small;
* ``execution_count`` runs 1, 2, 3, ... over the code cells, and results carry their cell's count;
* per-cell timing metadata is not stored, it is printed: each cell's runtime and the total.

Before it runs, the script rewrites each worked-solution cell (a markdown cell that starts with
``<details><summary>Show a worked solution</summary>``) from the exercise's one declaration in
``autogradlab/exercises/lessonNN.py`` (:meth:`Exercise.solution_cell`), so the notebook shows
exactly the solution the tests check. ``tests/test_exercises.py`` fails when they drift apart.

The script is importable: :func:`apply_output_policy` is what ``tests/test_lesson_policy.py``
expects a refreshed notebook to satisfy.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
LESSONS = REPO / "lessons"

KEEP_MIME = ("text/plain",)
PICTURE_MIME = "image/png"  # kept in cells that nbval ignores (see the module docstring)
PICTURE_LIMIT = 600_000  # bytes of base64 per picture (the folder must stay under 5 MB)
IGNORE_MARKER = "# NBVAL_IGNORE_OUTPUT"
IGNORE_TAG = "nbval-ignore-output"  # the cell tag nbval reads; learners do not see it
SMALL_RICH_MIME = ("text/html", "text/markdown", "text/latex")
SMALL_RICH_LIMIT = 4096  # characters
DROPPED_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def keeps_pictures(cell: nbformat.NotebookNode) -> bool:
    """Whether ``cell`` is one nbval ignores: tagged ``nbval-ignore-output`` (what the lessons
    use, so learners never see a testing marker), or starting with ``# NBVAL_IGNORE_OUTPUT``
    (on the line after a ``%%magic`` line for a cell magic)."""
    if IGNORE_TAG in cell.get("metadata", {}).get("tags", []):
        return True
    lines = cell.source.splitlines()
    first = 1 if lines and lines[0].startswith("%%") else 0
    return len(lines) > first and lines[first].strip() == IGNORE_MARKER


def _filter_data(data: dict, pictures: bool = False, where: str = "") -> dict:
    """The mime bundle of one result, reduced to what the policy keeps (``pictures``: keep its
    PNG too)."""
    kept = {mime: value for mime, value in data.items() if mime in KEEP_MIME}
    picture = data.get(PICTURE_MIME) if pictures else None
    if picture is not None:
        size = len("".join(picture) if isinstance(picture, list) else picture)
        if size <= PICTURE_LIMIT:
            kept[PICTURE_MIME] = picture
        else:
            print(f"WARNING {where}: a {size}-byte picture is over PICTURE_LIMIT "
                  f"({PICTURE_LIMIT}); it was dropped", file=sys.stderr)
    if not kept:
        for mime in SMALL_RICH_MIME:
            value = data.get(mime)
            text = "".join(value) if isinstance(value, list) else value
            if text is not None and len(text) <= SMALL_RICH_LIMIT:
                kept[mime] = value
                break
    return kept


def apply_output_policy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep text, and the PNGs of ignored cells; strip other images, widget views and widget
    state; renumber execution counts (in place)."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    count = 0
    for cell in nb.cells:
        for key in DROPPED_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        count += 1
        executed = cell.get("execution_count") is not None
        cell.execution_count = count if executed else None
        outputs = []
        for out in cell.get("outputs", []):
            if out.output_type in ("display_data", "execute_result"):
                data = _filter_data(out.get("data", {}), keeps_pictures(cell),
                                    f"code cell {count}")
                if not data:
                    continue  # only an image or a widget view: dropped whole
                out.data = data
                out.metadata = {}
                out.pop("transient", None)
                if out.output_type == "execute_result":
                    out.execution_count = cell.execution_count
            elif out.output_type == "update_display_data":
                continue
            outputs.append(out)
        cell.outputs = outputs
    return nb


def lesson_module(path: Path):
    """``autogradlab.exercises.lessonNN`` for ``lessons/NN_title.ipynb`` (None if there is none)."""
    import importlib

    number = Path(path).name.split("_", 1)[0]
    try:
        return importlib.import_module(f"autogradlab.exercises.lesson{number}")
    except ImportError:
        return None


def solution_cells(nb: nbformat.NotebookNode, path: Path) -> list[tuple[int, str, str]]:
    """``(cell index, exercise name, the cell as declared)`` for each worked-solution cell of a
    lesson whose module declares its exercises (``EXERCISES``)."""
    import re

    from autogradlab.exercises._exercise import SOLUTION_SUMMARY

    module = lesson_module(path)
    declared = getattr(module, "EXERCISES", None)
    if not declared:
        return []
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or not cell.source.startswith(SOLUTION_SUMMARY):
            continue
        calls = re.findall(r"^check_(\w+)\(", cell.source, re.M)
        if not calls or calls[-1] not in declared:
            raise ValueError(f"{Path(path).name} cell {index}: a worked solution that calls no "
                             f"declared check (found {calls})")
        found.append((index, calls[-1], declared[calls[-1]].solution_cell()))
    return found


def write_solutions(path: Path) -> int:
    """Rewrite the worked-solution cells of ``path`` from their declarations; how many changed."""
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    changed = 0
    for index, _name, text in solution_cells(nb, path):
        if nb.cells[index].source != text:
            nb.cells[index].source = text
            changed += 1
    if changed:
        nbformat.write(nb, path)
    return changed


def _cell_seconds(cell: nbformat.NotebookNode) -> float | None:
    timing = cell.metadata.get("execution", {})
    start = timing.get("iopub.execute_input") or timing.get("shell.execute_reply.started")
    end = timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def _first_line(cell: nbformat.NotebookNode) -> str:
    for line in cell.source.splitlines():
        if line.strip():
            return line.strip()[:60]
    return ""


def execute(path: Path, timeout: int = 120) -> tuple[nbformat.NotebookNode, float]:
    """Run the notebook at ``path`` top to bottom in a fresh ``python3`` kernel whose working
    directory is the notebook's folder; return it executed (outputs as the kernel gave them, the
    file untouched) and the seconds it took. A cell that raises raises ``CellExecutionError``."""
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # cwd = the notebook's folder, as nbval
        record_timing=True,
    )
    started = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - started


def refresh(path: Path, timeout: int = 120, quiet: bool = False) -> float:
    """Execute ``path`` in a fresh kernel, apply the policy, write it back; return total seconds."""
    from nbclient.exceptions import CellExecutionError

    path = Path(path).resolve()
    if write_solutions(path):
        print(f"{path.name}: worked solutions rewritten from their declarations")
    try:
        nb, total = execute(path, timeout)
    except CellExecutionError as err:
        print(f"FAILED {path.name}: a cell raised; the notebook was not written.\n{err}",
              file=sys.stderr)
        raise SystemExit(1) from None

    print(f"{path.name}")
    code_index = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        code_index += 1
        seconds = _cell_seconds(cell)
        shown = "   ?  " if seconds is None else f"{seconds:6.2f}"
        if not quiet:
            print(f"  [{code_index:3d}] {shown} s  {_first_line(cell)}")
    print(f"  total {total:.1f} s (kernel start included)")

    apply_output_policy(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to refresh (default: every lessons/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default 120)")
    parser.add_argument("--quiet", action="store_true", help="print only each notebook's total")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(LESSONS.glob("*.ipynb"))
    if not paths:
        print("no notebooks given and none found in lessons/", file=sys.stderr)
        return 2
    grand, failed = 0.0, []
    for path in paths:
        try:
            grand += refresh(path, timeout=args.timeout, quiet=args.quiet)
        except SystemExit:  # a cell raised: that notebook was left as it was; go on
            failed.append(path.name)
    if len(paths) > 1:
        print(f"all {len(paths)} notebooks: {grand:.1f} s")
    if failed:
        print(f"FAILED, not written: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
