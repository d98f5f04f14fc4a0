"""viz.draw: pictures of the source material's graphs, compared with baseline PNGs.

The baselines live in tests/baseline/. After a deliberate change to the drawing, regenerate
them (on the same kind of machine: Linux, Agg, the DejaVu fonts matplotlib ships) with::

    AUTOGRADLAB_UPDATE_BASELINES=1 .venv/bin/python -m pytest tests/test_viz_draw.py -q

and look at every changed PNG before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402
from matplotlib.testing.compare import compare_images  # noqa: E402
from viz_graphs import (  # noqa: E402
    random_expression,
    source_scalar,
    source_tensor,
    square_plus_three,
    tensor_chain,
)

import autogradlab as ag  # noqa: E402
from autogradlab import viz  # noqa: E402
from autogradlab.viz.draw import GraphFigure  # noqa: E402

BASELINE = Path(__file__).parent / "baseline"
UPDATE = os.environ.get("AUTOGRADLAB_UPDATE_BASELINES") == "1"
TOLERANCE = 2.0  # RMS, in 0..255 grey levels (a rerun on the same machine gives 0)
RC = {"font.family": "DejaVu Sans", "text.hinting": "default", "text.antialiased": True,
      "savefig.dpi": 100, "figure.dpi": 100, "path.simplify": True}


def _source_scalar():
    ns = source_scalar("sub")
    return viz.trace(ns["L"], names=ns)


def _source_tensor():
    ns = source_tensor()
    return viz.trace(ns["L"], names=ns)


def _square():
    ns = square_plus_three()
    return viz.trace(ns["f"], names=ns)


CASES = {"source_scalar": _source_scalar, "source_tensor": _source_tensor,
         "square_plus_three": _square}


def render(graph, path: Path) -> None:
    with matplotlib.rc_context(RC):
        viz.draw(graph).savefig(path, dpi=100)


@pytest.mark.parametrize("name", sorted(CASES))
def test_picture_matches_baseline(name, tmp_path):
    expected = BASELINE / f"{name}.png"
    if UPDATE:
        BASELINE.mkdir(exist_ok=True)
        render(CASES[name](), expected)
        pytest.skip(f"baseline written: {expected}")
    if not expected.exists():
        pytest.fail(f"no baseline {expected}; run with AUTOGRADLAB_UPDATE_BASELINES=1")
    actual = tmp_path / f"{name}.png"
    render(CASES[name](), actual)
    failure = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert failure is None, failure


def _compare_or_size(expected: Path, actual: Path) -> str | None:
    from matplotlib.testing.exceptions import ImageComparisonFailure

    try:
        return compare_images(str(expected), str(actual), tol=TOLERANCE)
    except ImageComparisonFailure as error:  # sizes differ: also a failure
        return str(error)


def test_a_different_picture_fails_the_comparison(tmp_path):
    """Negative tests: the same-shaped graph with w1 and w2 swapped, and the tanh version."""
    expected = BASELINE / "source_scalar.png"
    if not expected.exists():
        pytest.skip("no baseline yet")
    a = ag.tensor(2.0, requires_grad=True)
    w1 = ag.tensor(3.0, requires_grad=True)
    w2 = ag.tensor(4.0, requires_grad=True)
    w3 = ag.tensor(5.0, requires_grad=True)
    w4 = ag.tensor(6.0, requires_grad=True)
    b = w2 * a  # swapped: same boxes and layout, other numbers
    c = w1 * a
    d = w3 * b + w4 * c
    L = 10 - d
    L.backward()
    swapped = tmp_path / "swapped.png"
    render(viz.trace(L), swapped)
    assert _compare_or_size(expected, swapped) is not None
    ns = source_scalar("tanh")
    other = tmp_path / "tanh.png"
    render(viz.trace(ns["L"], names=ns), other)
    assert _compare_or_size(expected, other) is not None


def test_returns_a_figure_that_a_notebook_shows_once():
    from IPython.core.formatters import DisplayFormatter

    before = plt.get_fignums()
    figure = viz.draw(_square())
    assert isinstance(figure, GraphFigure)
    assert plt.get_fignums() == before  # not a pyplot figure: no second copy at cell end
    data, _ = DisplayFormatter().format(figure)
    assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert "text/html" not in data


def test_edges_are_one_collection_not_one_patch_each():
    figure = viz.draw(_source_scalar())
    ax = figure.axes[0]
    assert sum(isinstance(c, LineCollection) for c in ax.collections) == 1
    assert not any(isinstance(p, FancyArrowPatch) for p in ax.patches)
    labels = {t.get_text() for t in ax.texts}
    assert {"b = w1 * a", "L = 10 - d", "value 2.0\n∂L/∂a = -39.0", "-1.0", "5.0"} <= labels


def test_tensor_picture_has_shapes_and_heatmaps():
    figure = viz.draw(_source_tensor())
    ax = figure.axes[0]
    assert any("value 5×5, min " in t.get_text() and ", norm " in t.get_text() for t in ax.texts)
    assert len(ax.images) == 2 * 10  # value and grad for every 5x5 node


def test_draws_from_a_tensor_with_the_learners_names():
    x = ag.tensor(7.0, requires_grad=True)
    f = x**2 + 3
    f.backward()
    texts = {t.get_text() for t in viz.draw(f).axes[0].texts}
    assert "x" in texts and "f = pow1 + 3" in texts


def test_draws_into_given_axes():
    fig, ax = plt.subplots()
    try:
        assert viz.draw(_square(), ax=ax) is fig
    finally:
        plt.close(fig)


def test_big_graphs_are_reduced_and_the_title_says_so():
    loss = tensor_chain(60)
    graph = viz.trace(loss)
    assert len(graph) > 60
    ax = viz.draw(graph).axes[0]
    captions = [t.get_text() for t in ax.texts if "too many" in t.get_text()]
    assert captions and "within" in captions[0]
    titles = [t for t in ax.texts if t.get_fontweight() == "bold"]
    assert len(titles) <= 60


def test_focus_shows_a_neighbourhood():
    ax = viz.draw(_source_scalar(), focus="b", depth=1).axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert "b = w1 * a" in texts and "L = 10 - d" not in texts
    assert any("'b' and its neighbours up to 1 steps away" in t for t in texts)


def test_group_by_module():
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(3, 4), ag.nn.ReLU(), ag.nn.Linear(4, 1))
    loss = ag.nn.MSELoss()(model(ag.randn(5, 3)), ag.zeros(5, 1))
    loss.backward()
    graph = viz.trace(loss)
    ax = viz.draw(graph, group="module").axes[0]
    texts = {t.get_text() for t in ax.texts}
    assert {"0: Linear", "1: ReLU", "2: Linear"} <= texts
    assert any("each nn.Module call is one box" in t for t in texts)


def test_random_graph_draws_without_error():
    loss = random_expression(30, seed=5)
    loss.backward()
    figure = viz.draw(loss)
    figure.canvas.draw()


def test_to_dot():
    dot = viz.to_dot(_source_scalar())
    assert dot.startswith("digraph autograd {") and "rankdir=LR" in dot
    assert '"b" [label="b = w1 * a\\nvalue 6.0\\n∂L/∂b = -5.0"' in dot
    assert '"a" -> "b" [label="3.0"];' in dot
