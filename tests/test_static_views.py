"""Lessons seen without a kernel (GitHub, nbconvert, any static copy) still show their pictures.

A player is a widget, and a static view cannot run widgets: it shows the output's ``image/png``
instead (the player's first frame, see ``GraphPlayer._repr_mimebundle_``; an ``ag.viz.draw``
figure is a PNG anyway). The lessons are saved with those PNGs (``tests/refresh_lessons.py``
keeps the pictures of cells that nbval ignores), so:

* every lesson, rendered to static HTML by nbconvert (no widget JavaScript: the notebooks carry
  no widget state), shows an image for every cell that shows a player or a drawing;
* the pictures are deterministic: running a lesson twice gives the very same bytes, so
  refreshing the lessons does not churn them in git;
* the saved pictures are current: a fresh run draws them again (byte for byte where they were
  refreshed; within a small tolerance under other matplotlib/Pillow versions), so a change to the
  drawings that the lessons were not refreshed for fails here, as a changed number fails nbval;
* the lessons folder stays small (under 5 MB).
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image
from refresh_lessons import apply_output_policy, execute, keeps_pictures

REPO = Path(__file__).resolve().parent.parent
LESSONS = REPO / "lessons"
NOTEBOOKS = sorted(p for p in LESSONS.glob("*.ipynb") if "." not in p.stem)
FOLDER_BUDGET = 5_000_000  # bytes
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PICTURE_TOLERANCE = 2.0  # RMS grey levels, as tests/test_viz_draw.py allows other library versions

#: a call whose result a cell shows as a picture: a player (its first frame) or a drawing
SHOWS_A_PICTURE = re.compile(r"\b(?:animate\w*|draw|broadcast|explore|GraphPlayer|PathExplorer)\(")

pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no lessons/*.ipynb")


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def _code(source: str) -> str:
    return "\n".join(ln for ln in source.splitlines() if not ln.strip().startswith("#"))


def picture_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indexes of the code cells whose last statement shows a player or a drawing.

    The last line decides (``player = ag.animate(L)`` on an earlier line shows nothing), and it
    must be an expression, not an assignment.
    """
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        lines = [ln for ln in _code(cell.source).splitlines() if ln.strip()]
        if not lines or lines[0].startswith("%%"):
            continue
        statement = _last_statement(lines)
        assigns = re.match(r"^[\w.,\s\[\]]+=(?!=)", statement)
        if SHOWS_A_PICTURE.search(statement) and not assigns and not statement.endswith(";"):
            found.append(i)
    return found


def _last_statement(lines: list[str]) -> str:
    """The cell's last top-level statement, continuation lines joined."""
    start = max(i for i, ln in enumerate(lines) if not ln[0].isspace() and ln[0] not in ")]}")
    return " ".join(ln.strip() for ln in lines[start:])


def pngs(cell: nbformat.NotebookNode) -> list[str]:
    return [
        "".join(out.data["image/png"]) if isinstance(out.data["image/png"], list)
        else out.data["image/png"]
        for out in cell.get("outputs", [])
        if "image/png" in out.get("data", {})
    ]


def _cell_html(body: str, cell_id: str) -> str:
    """The part of an nbconvert page that renders the cell with ``cell_id``."""
    start = body.index(f'id="cell-id={cell_id}"')
    end = body.find('id="cell-id=', start + 1)
    return body[start: end if end > 0 else len(body)]


# --------------------------------------------------------------------------------------------


def test_the_finder_recognises_picture_cells():
    """The cell finder itself, on cells whose answer is known (so the tests below can fail)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in (
        "# NBVAL_IGNORE_OUTPUT\nag.animate(L)",
        "# NBVAL_IGNORE_OUTPUT\nag.viz.draw(\n    f,\n    show=('value',),\n)",
        "player = ag.animate(L)",
        "print(a.grad)",
        "ag.animate(L);",
        "# ag.viz.draw(f) in a comment",
        "# NBVAL_IGNORE_OUTPUT\nag.animate_training(model, data)",
    )]
    assert picture_cells(nb) == [0, 1, 6]


def test_lessons_show_pictures_somewhere():
    """A sanity check on the finder: the lessons animate and draw in many places."""
    count = sum(len(picture_cells(nbformat.read(p, as_version=4))) for p in NOTEBOOKS)
    assert count >= 10, f"only {count} cells show a player or a drawing: is the finder broken?"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_static_html_shows_a_picture_for_every_player_and_drawing(path):
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert "@jupyter-widgets/html-manager" not in body, "the static page would load widget JS"
    assert WIDGET_VIEW not in body
    for i in picture_cells(nb):
        cell = nb.cells[i]
        assert keeps_pictures(cell), (
            f"{path.name} cell {i} shows a picture but is not tagged nbval-ignore-output"
        )
        saved = pngs(cell)
        assert len(saved) == 1, (
            f"{path.name} cell {i} ({cell.source.splitlines()[-1]!r}) has {len(saved)} saved "
            "pictures, expected 1: refresh it with tests/refresh_lessons.py"
        )
        html = _cell_html(body, cell.id)
        assert f'src="data:image/png;base64,{saved[0][:200]}' in html, (
            f"{path.name} cell {i}: the static HTML shows no picture there"
        )
        assert "GraphPlayer(" not in re.sub(r"<[^>]+>", "", html.split("jp-OutputArea", 1)[-1]), (
            f"{path.name} cell {i}: the static HTML shows the player's text instead of its picture"
        )


_fresh: dict[tuple[str, int], dict[str, list[str]]] = {}


def fresh_pictures(path: Path, run: int, tmp_root: Path) -> dict[str, list[str]]:
    """The pictures (by cell id) of lesson ``path`` executed afresh, the ``run``-th time, in a
    copy of the lessons folder (the lesson's working directory); cached per run."""
    key = (path.name, run)
    if key not in _fresh:
        copy = tmp_root / f"run{run}-{path.stem}"
        shutil.copytree(LESSONS, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        nb, _ = execute(copy / path.name, timeout=300)
        apply_output_policy(nb)
        _fresh[key] = {c.id: pngs(c) for c in nb.cells if pngs(c)}
    return _fresh[key]


def rms(a: str, b: str) -> float:
    """Root-mean-square difference of two base64 PNGs, in grey levels (inf: other sizes)."""
    images = [Image.open(io.BytesIO(base64.b64decode(x))).convert("RGB") for x in (a, b)]
    if images[0].size != images[1].size:
        return float("inf")
    diff = np.asarray(images[0], dtype=float) - np.asarray(images[1], dtype=float)
    return float(np.sqrt((diff**2).mean()))


PICTURE_LESSONS = [p for p in NOTEBOOKS
                   if any(pngs(c) for c in nbformat.read(p, as_version=4).cells)]
#: lessons run a second time for the determinism check: quick ones that show players and
#: drawings (the drawing code is the same in every lesson; each run of a lesson costs seconds)
TWICE = [p for p in PICTURE_LESSONS if p.name[:2] in {"00", "02", "03"}] or PICTURE_LESSONS[:3]


@pytest.mark.slow
@pytest.mark.parametrize("path", TWICE, ids=_ids(TWICE))
def test_running_a_lesson_twice_gives_the_same_picture_bytes(path, tmp_path_factory):
    """Determinism: two fresh runs draw byte-identical pictures, so a refresh does not churn
    the notebooks in git. (Every lesson's fresh run is also compared with its saved pictures,
    below.)"""
    root = tmp_path_factory.getbasetemp()
    first, second = fresh_pictures(path, 1, root), fresh_pictures(path, 2, root)
    assert first, f"{path.name}: a fresh run kept no pictures"
    assert first == second, (
        f"{path.name}: two runs drew different bytes in cells "
        f"{[k for k in first if first[k] != second.get(k)]}: something in the drawing is not "
        "deterministic (time, random state, dict order, PNG metadata)"
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", PICTURE_LESSONS, ids=_ids(PICTURE_LESSONS))
def test_saved_pictures_are_what_the_lesson_draws_now(path, tmp_path_factory):
    """The saved pictures are current: a fresh run draws the same bytes here (where the lessons
    are refreshed), or, with other versions of matplotlib, Pillow or FreeType, the same picture
    within the drawing baselines' tolerance (``tests/test_viz_draw.py``)."""
    saved = {c.id: pngs(c) for c in nbformat.read(path, as_version=4).cells if pngs(c)}
    fresh = fresh_pictures(path, 1, tmp_path_factory.getbasetemp())
    assert saved.keys() == fresh.keys(), (
        f"{path.name}: pictures saved in cells {sorted(saved)}, drawn now in {sorted(fresh)}; "
        "refresh the lesson (tests/refresh_lessons.py)"
    )
    stale = {
        cell_id: round(rms(saved[cell_id][k], fresh[cell_id][k]), 2)
        for cell_id in saved
        for k in range(len(saved[cell_id]))
        if saved[cell_id][k] != fresh[cell_id][k]
        and rms(saved[cell_id][k], fresh[cell_id][k]) > PICTURE_TOLERANCE
    }
    assert not stale, (
        f"{path.name}: the saved pictures differ from what the lesson draws now (cell: RMS "
        f"difference) {stale}; refresh it: .venv/bin/python tests/refresh_lessons.py "
        f"lessons/{path.name}"
    )


def test_the_lessons_folder_stays_small():
    files = [p for p in LESSONS.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts]
    size = sum(p.stat().st_size for p in files)
    assert size < FOLDER_BUDGET, f"lessons/ holds {size} bytes (budget {FOLDER_BUDGET})"


def test_a_player_offers_the_same_picture_in_every_process():
    """The static picture does not depend on the process (hash seeds, dict order, time)."""
    code = (
        "import autogradlab as ag, hashlib\n"
        "a = ag.tensor(2.0, requires_grad=True)\n"
        "b = ag.tensor(-3.0, requires_grad=True)\n"
        "L = (a * b + a).tanh()\nL.backward()\n"
        "bundle = ag.animate(L)._repr_mimebundle_()\n"
        "figure = ag.viz.draw(L)._repr_png_()\n"
        "print(hashlib.sha256(bundle['image/png'].encode() + figure).hexdigest())\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        for seed in ("1", "2")
    ]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    assert runs[0].stdout == runs[1].stdout
