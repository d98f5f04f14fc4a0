"""Pictures of training: the loss curve and the regions a classifier assigns to each class.

Both functions draw into ``ax`` when given one, otherwise into a new figure, and return the
``matplotlib.figure.Figure``. New figures are made without pyplot, so nothing is drawn twice in a
notebook and they work on any backend (Agg included). matplotlib is imported only when a function
runs, so ``import autogradlab`` stays fast.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import no_grad
from .tensor import Tensor
from .training import predict_classes


def _axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    if ax is not None:
        return ax.figure, ax
    from .viz.draw import GraphFigure  # a Figure that a notebook shows by itself, as a PNG

    figure = GraphFigure(figsize=size, layout="constrained")
    return figure, figure.add_subplot()


def plot_loss(history: list[float], ax: Any = None, log: bool | None = None) -> Any:
    """The loss after each step; a log scale (the default when all losses are > 0) shows late,
    small improvements as clearly as the first big drop."""
    figure, ax = _axes(ax, (5, 3.2))
    values = np.asarray(history, dtype=float)
    ax.plot(np.arange(1, len(values) + 1), values, color="tab:blue", linewidth=1.5)
    if log is None:
        log = len(values) > 0 and bool(np.all(values > 0))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("training loss")
    ax.grid(True, alpha=0.3)
    return figure


def plot_decision_boundary(
    model: Any, X: Tensor, y: Tensor, ax: Any = None, resolution: int = 200
) -> Any:
    """Colour the plane by the class ``model`` predicts at each point, with the data on top.

    The model is evaluated on a ``resolution x resolution`` grid covering the data (plus a
    margin), under ``no_grad()`` in eval mode; a model with one output predicts class 1 where it
    is above 0.
    """
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary draws points in the plane, so X must have shape (n, 2), "
            f"but it has shape {X.shape}."
        )
    figure, ax = _axes(ax, (4.5, 4.5))
    points, labels = X.detach().numpy(), y.detach().numpy().reshape(-1)
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.1 * (high - low) + 1e-6
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    grid = Tensor(np.stack([gx.ravel(), gy.ravel()], axis=1).astype(points.dtype)).to(X.device)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            classes = predict_classes(model(grid)).reshape(gx.shape)
    finally:
        if was_training:
            model.train()
    count = int(max(classes.max(), labels.max())) + 1
    levels = np.arange(count + 1) - 0.5
    ax.contourf(gx, gy, classes, levels=levels, cmap="coolwarm" if count == 2 else "tab10",
                alpha=0.3, vmin=-0.5, vmax=count - 0.5 if count == 2 else 9.5)
    ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm" if count == 2 else "tab10",
               vmin=0, vmax=1 if count == 2 else 9, s=12,
               edgecolors="k", linewidths=0.3)
    ax.set_title("decision boundary")
    ax.set_aspect("equal")
    return figure
