"""Lesson 10 (Build your own operation): custom operations in PyTorch's shape, checked by nudges.

* every operation the learner writes in the lesson is an ``ag.autograd.Function`` (the engine's
  private ``Elementwise`` is only read, never subclassed by the learner);
* the lesson's Softplus passes ``gradcheck`` and agrees with ``ag.explore``'s nudge, and its
  BrokenSoftplus fails both, as the text says;
* finite differences are referred back to lesson 2, not introduced as new;
* the exercise cells as shipped (placeholders) are "not answered yet", and the checks refuse a
  ``backward`` that asks the engine for the derivative.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import nbformat
import pytest

import autogradlab as ag
from autogradlab.exercises import lesson10

LESSON = Path(__file__).resolve().parent.parent / "lessons" / "10_build_your_own_op.ipynb"


def _nb():
    return nbformat.read(LESSON, as_version=4)


def _code_cells():
    return [c for c in _nb().cells if c.cell_type == "code"
            and "pytorch" not in c.metadata.get("tags", [])]


def _cell_defining(text: str) -> str:
    return next(c.source for c in _code_cells() if text in c.source)


def _namespace(*texts: str) -> dict:
    namespace = {"ag": ag, "__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for text in texts:
            exec(compile(_cell_defining(text), f"<lesson 10: {text}>", "exec"), namespace)
    return namespace


def test_the_learners_operations_are_functions():
    for cell in _code_cells():
        for base in re.findall(r"^class \w+\(([\w.]+)\)", cell.source, re.M):
            assert base in ("ag.autograd.Function", "Softplus"), (
                f"a class of the lesson derives from {base}; learners write ag.autograd.Function"
            )


def test_softplus_passes_and_the_broken_one_fails_both_referees():
    pytest.importorskip("ipywidgets")
    ns = _namespace("class Softplus(", "def softplus_at(", "class BrokenSoftplus(")
    good = ns["explorer"]
    assert abs(good.nudges["x"].ratio - good.nudges["x"].engine) < 0.01
    broken = ns["broken"]
    assert abs(broken.nudges["x"].ratio - broken.nudges["x"].engine) > 0.4
    x = ag.randn(5, dtype=ag.float64, requires_grad=True)
    assert ag.gradcheck(ns["Softplus"].apply, [x])
    with pytest.raises(ag.GradcheckError):
        ag.gradcheck(ns["BrokenSoftplus"].apply, [x])


def test_finite_differences_are_referred_back_to_lesson_2():
    prose = "\n".join(c.source for c in _nb().cells if c.cell_type == "markdown")
    assert re.search(r"(?i)lesson 2", prose)
    assert "ag.explore" in prose and "gradcheck" in prose


@pytest.mark.parametrize("name", ["silu", "squared_difference"])
def test_the_shipped_exercise_cells_are_not_answered_yet(name):
    source = next(c.source for c in _code_cells() if f"check_{name}(answer)" in c.source)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, f"<lesson 10: {name}>", "exec"), {"ag": ag, "__name__": "__main__"})
    assert out.getvalue().startswith("… Not answered yet"), out.getvalue()


def test_a_backward_that_asks_the_engine_is_refused():
    class SiLU(ag.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x.sigmoid()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            with ag.enable_grad():
                x = x.detach().requires_grad_()
                (local,) = ag.grad((x * x.sigmoid()).sum(), x)
            return grad * local

    passed, message = lesson10.EXERCISES["silu"].judge(SiLU)
    assert passed is False and "asks the engine" in message


def test_a_backward_that_forgets_the_upstream_gradient_is_named():
    class SquaredDifference(ag.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a - b)
            return (a - b) ** 2

        @staticmethod
        def backward(ctx, grad):
            (diff,) = ctx.saved_tensors
            return 2 * diff, -2 * diff

    passed, message = lesson10.EXERCISES["squared_difference"].judge(SquaredDifference)
    assert passed is False and "upstream gradient" in message
