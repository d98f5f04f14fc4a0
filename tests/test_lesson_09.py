"""Lesson 9 (Training on a GPU): its checks, and a notebook that says the same on every machine.

* ``check_pick_device`` treats the placeholder as "not answered yet", reports an error inside the
  learner's function as theirs, and leaves ``ag.cuda.is_available`` as it was;
* ``check_where_it_lives`` lists every wrong letter;
* the lesson's compared cells (those nbval checks) never print machine-specific text: which
  device was chosen, timings and CUDA's reasons appear only in cells tagged
  ``nbval-ignore-output``, and no saved output shows a GPU error or a skipped-device reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

import autogradlab as ag
from autogradlab.exercises import lesson09

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "09_gpus.ipynb"
IGNORED = "nbval-ignore-output"


def _judge(name, answer):
    return lesson09.EXERCISES[name].judge(answer)


def test_pick_device_placeholder_is_not_answered_yet():
    def pick_device():
        raise NotImplementedError  # what the notebook ships

    passed, out = _judge("pick_device", pick_device)
    assert passed is False and "Not answered yet" in out and "✗" not in out


def test_an_error_in_pick_device_is_reported_as_theirs():
    passed, out = _judge("pick_device", lambda: 1 / 0)
    assert passed is False and "pick_device(...) raised ZeroDivisionError" in out


def test_pick_device_check_restores_cuda_is_available(capsys):
    real = ag.cuda.is_available

    def broken():
        raise RuntimeError("boom")

    lesson09.check_pick_device(broken)
    lesson09.check_pick_device(lesson09.SOLUTIONS["pick_device"]())
    assert ag.cuda.is_available is real
    capsys.readouterr()


def test_where_it_lives_lists_every_wrong_letter():
    answer = {**lesson09.SOLUTIONS["where_it_lives"](), "a": "cpu", "e": "cuda"}
    passed, out = _judge("where_it_lives", answer)
    assert passed is False
    assert "4 of 6 right" in out and "  a:" in out and "  e:" in out


def test_the_placeholder_dict_is_not_answered_yet():
    placeholder = {key: None for key in "abcdef"}
    passed, out = _judge("where_it_lives", placeholder)
    assert passed is False and "Not answered yet" in out


def _cells():
    return nbformat.read(LESSON, as_version=4).cells


def _text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") or out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


MACHINE_SPECIFIC = re.compile(r"cuda:\d|why_unavailable\(\)|\bms\b|time_on_devices|"
                              r"is_available\(\)|device_count\(\)")


def test_compared_cells_print_the_same_on_every_machine():
    """A cell nbval compares may not print the device's name, a timing or CUDA's reason."""
    for index, cell in enumerate(_cells()):
        if cell.cell_type != "code" or "pytorch" in cell.metadata.get("tags", []):
            continue
        if IGNORED in cell.metadata.get("tags", []):
            continue
        code = "\n".join(ln for ln in cell.source.splitlines() if "check_" not in ln)
        assert not re.search(r"print\((?:[^)]*,\s*)?device\)", code), (
            f"cell {index} prints the chosen device, which differs between machines"
        )
        assert not MACHINE_SPECIFIC.search(_text(cell)), f"cell {index}: {_text(cell)!r}"
        assert "skipped" not in _text(cell)


def test_no_saved_output_shows_why_cuda_is_missing():
    for index, cell in enumerate(_cells()):
        text = _text(cell)
        assert "CUDA says" not in text and "skipped:" not in text, (
            f"cell {index} saved the machine's CUDA reason: {text!r}"
        )


def test_the_lesson_shows_a_picture_of_a_training_step():
    sources = [c.source for c in _cells() if c.cell_type == "code"
               and IGNORED in c.metadata.get("tags", [])]
    assert any("ag.animate(" in s for s in sources)
