"""The course as a whole: what every lesson promises the learner, checked on every lesson.

* at least 14 lessons, numbered from 0 without gaps, each titled ``# Lesson N: Title``;
* every lesson fixes its seed in its first code cell (lesson 0 promises it);
* nothing meant for the authors reaches the learner: no "source material", no testing markers or
  tool names, no error or machine-specific text (CUDA driver errors, tracebacks, paths, memory
  addresses) in any markdown cell or saved output;
* the seed concepts are named where the course teaches them;
* check cells show only the check's message (no trailing ``True``/``False``);
* every lesson ends with "The same in PyTorch": code cells tagged ``pytorch`` that run under real
  torch and print only lines the lesson's autogradlab cells printed, and that say so in one line
  where torch is not installed (as on Binder).
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

import nbformat
import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
NOTEBOOKS = sorted(p for p in LESSONS.glob("[0-9][0-9]_*.ipynb"))
TWIN_TAG = "pytorch"
NO_TORCH = "PyTorch is not installed here"

#: text that must never reach a learner, with what it means (for the failure message)
LEAKS = {
    r"(?i)source material": "authoring vocabulary: name the example itself",
    r"(?i)\bnbval\b|NBVAL_": "a testing tool the learner does not use",
    r"(?i)cuda (driver|runtime) (error|version)|cudaError|CUDARuntimeError|libcuda|"
    r"CUDA_ERROR|no CUDA-capable device": "a GPU error from the machine that last ran the lesson",
    r"Traceback \(most recent call last\)": "a traceback",
    r"\bat 0x[0-9a-f]{6,}": "a memory address (it changes on every run)",
    r"(?<![\w.])/(work|home|tmp|root|usr)/\w": "a path on the authors' machine",
    r"\bTODO\b|\bFIXME\b|\bXXX\b": "an author's note",
}

#: where each seed concept of the course is named (issue 16)
CONCEPTS = {
    "02": [r"(?i)\btape\b", r"(?i)finite difference"],
    "04": [r"(?i)reverse mode", r"(?i)topological order"],
    "06": [r"(?i)five steps"],
    "08": [r"(?i)define-by-run", r"(?i)define-then-run"],
}


def _ids(paths):
    return [p.name for p in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type == "error":
            parts.append("\n".join(out.get("traceback", [])))
        else:
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                if mime in data:
                    value = data[mime]
                    parts.append("".join(value) if isinstance(value, list) else value)
    return "".join(parts)


def _twins(nb):
    return [c for c in nb.cells
            if c.cell_type == "code" and TWIN_TAG in c.metadata.get("tags", [])]


def _run(source: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<pytorch twin>", "exec"), {"__name__": "__main__"})
    return out.getvalue()


def test_at_least_fourteen_lessons_numbered_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert len(numbers) >= 14, f"the course has {len(numbers)} lessons"
    assert numbers == list(range(len(numbers))), f"lesson numbers {numbers} have gaps"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_one_title_style(path):
    first = _read(path).cells[0]
    assert first.cell_type == "markdown"
    title = first.source.splitlines()[0]
    number = int(path.name[:2])
    assert re.fullmatch(rf"# Lesson {number}: [A-Z`].+", title), (
        f"{path.name}: the title {title!r} should read '# Lesson {number}: Title'"
    )
    assert "·" not in title


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_the_first_code_cell_fixes_the_seed(path):
    code = [c for c in _read(path).cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    assert re.search(r"\bmanual_seed\(\d+\)", code[0].source), (
        f"{path.name}: lesson 0 promises that every lesson fixes its seed; its first code cell "
        f"should call ag.manual_seed(...). It reads:\n{code[0].source}"
    )
    for cell in code:
        assert "np.random.seed(" not in cell.source, (
            f"{path.name}: use np.random.default_rng(seed), NumPy's generator, not the global seed"
        )
        assert not re.search(r"default_rng\(\s*\)", cell.source), (
            f"{path.name}: np.random.default_rng() without a seed gives new numbers on every run"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_nothing_for_the_authors_reaches_the_learner(path):
    for index, cell in enumerate(_read(path).cells):
        texts = {"output": _output_text(cell)} if cell.cell_type == "code" else {}
        if cell.cell_type == "markdown":
            texts["markdown"] = cell.source
        if cell.cell_type == "code":
            comments = "\n".join(ln for ln in cell.source.splitlines() if "#" in ln)
            texts["code comment"] = comments
        for where, text in texts.items():
            for pattern, meaning in LEAKS.items():
                if where == "code comment" and "path" in meaning:
                    continue
                match = re.search(pattern, text)
                assert not match, (
                    f"{path.name} cell {index} ({where}) shows {match.group(0)!r}: {meaning}"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_check_cells_show_only_their_message(path):
    for index, cell in enumerate(_read(path).cells):
        if cell.cell_type != "code" or not re.search(r"^check_\w+\(", cell.source, re.M):
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "execute_result":
                shown = out.data.get("text/plain", "")
                pytest.fail(f"{path.name} cell {index}: the check cell also shows {shown!r}")


@pytest.mark.parametrize("number", sorted(CONCEPTS))
def test_the_seed_concepts_are_named_where_they_are_taught(number):
    (path,) = [p for p in NOTEBOOKS if p.name.startswith(number + "_")]
    prose = "\n".join(c.source for c in _read(path).cells if c.cell_type == "markdown")
    for pattern in CONCEPTS[number]:
        assert re.search(pattern, prose), f"{path.name} should name {pattern!r} in its text"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_every_lesson_ends_with_the_same_in_pytorch(path):
    nb = _read(path)
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert headings and headings[-1] == "## The same in PyTorch", (
        f"{path.name}: the last section should be '## The same in PyTorch', not {headings[-1:]}"
    )
    assert _twins(nb), f"{path.name} has no code cell tagged {TWIN_TAG!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_pytorch_twins_print_the_numbers_autogradlab_printed(path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib").use("agg")
    monkeypatch.chdir(LESSONS)
    nb = _read(path)
    twins = _twins(nb)
    ours = "\n".join(_output_text(c) for c in nb.cells if c.cell_type == "code" and c not in twins)
    our_lines = {line.strip() for line in ours.splitlines()}
    for twin in twins:
        printed = [line.strip() for line in _run(twin.source).splitlines() if line.strip()]
        assert any(re.search(r"\d", line) for line in printed), (
            f"{path.name}: a PyTorch twin printed no numbers: {printed}"
        )
        for line in printed:
            assert line in our_lines, (
                f"{path.name}: the PyTorch twin printed {line!r}, which no autogradlab cell of "
                "the lesson printed"
            )
        saved = [line.strip() for line in _output_text(twin).splitlines() if line.strip()]
        assert printed == saved, f"{path.name}: the twin's saved output differs from torch's"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_pytorch_twins_say_one_line_without_torch(path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    for twin in _twins(_read(path)):
        lines = _run(twin.source).strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(NO_TORCH), (
            f"{path.name}: without torch a twin should print one line, not {lines}"
        )


#: a derivative written as plain text (dL/da, ∂L/∂a) outside `code` and $maths$
PLAIN_DERIVATIVE = re.compile(r"(?<![\w\\])(∂|d)[A-Za-z][\w']*\s*/\s*(∂|d)[A-Za-z]")


def _prose_outside_code_and_maths(markdown: str) -> list[str]:
    lines, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if fenced or line.startswith("<summary>"):
            continue
        line = re.sub(r"`[^`]*`", "", line)
        line = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", line)
        lines.append(line)
    return lines


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_maths_is_written_in_latex(path):
    for index, cell in enumerate(_read(path).cells):
        if cell.cell_type != "markdown":
            continue
        in_display = False
        for line in _prose_outside_code_and_maths(cell.source):
            if line.strip() == "$$":
                in_display = not in_display
                continue
            match = None if in_display else PLAIN_DERIVATIVE.search(line)
            assert not match, (
                f"{path.name} cell {index}: {match.group(0)!r} is maths in plain text; write it "
                f"in LaTeX ($\\partial L / \\partial a$) or as `code`. The line: {line.strip()!r}"
            )
