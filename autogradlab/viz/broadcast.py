"""Broadcasting in pictures: ``ag.viz.broadcast(out)`` for ``out = a + b`` (or ``-``, ``*``, ``/``).

The picture has two halves, read top to bottom:

* **forward**: each input in its own shape, then stretched to the result's shape (the copies are
  faded; the original numbers keep a dashed outline), then the result itself;
* **backward** (once ``backward()`` went through ``out``): the gradient that reached ``out``,
  what each stretched copy received from it, and each input's gradient: the copies' gradients
  added up, back in the input's own shape.

Every number comes from the engine: the inputs and the result are the graph's values, the
gradient that reached ``out`` and the summed gradients are what the node recorded during the
backward pass (``grad_fn.grad_output`` and ``grad_fn.grad_inputs``). The copies' gradients are
the node's own local derivatives times that incoming gradient (the chain rule the node applies
before it sums); the picture shows them only where they add up to the engine's sums.

Words, numbers, colours and limits come from :mod:`.words`; the result is a
:class:`~.draw.GraphFigure`, which a notebook shows once, as a PNG.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.patches import Rectangle

from ..tensor import Tensor
from . import words
from .draw import GraphFigure
from .trace import caller_namespace
from .words import COLORS

#: inches and points of the picture
CELL = 0.42  # side of one cell, in inches
GAP = 0.75  # inches between columns (room for "+" and "=")
CAPTION = 0.42  # inches above a panel for its two-line caption
FONT_SIZE = 9.0
CELL_FONT = 8.0
DPI = 100


def broadcast(out: Tensor, names: dict[str, str] | None = None) -> GraphFigure:
    """Draw how the two inputs of ``out`` were stretched to its shape, and, after a backward
    pass, how their gradients were summed back to their own shapes.

    ``out`` is the result of ``+``, ``-``, ``*`` or ``/`` between two tensors (or a tensor and a
    number) with at most two dimensions and at most :data:`~.words.HEATMAP_CELLS` entries per
    side. The inputs are named after the caller's variables (``column``, ``row``), or by
    ``names`` (``{"a": "column", "b": "row", "out": "table"}``).
    """
    fn = getattr(out, "grad_fn", None)
    if not isinstance(out, Tensor) or fn is None or len(getattr(fn, "inputs", ())) != 2 \
            or getattr(fn, "symbol", "") not in ("+", "-", "*", "/"):
        raise ValueError(
            "ag.viz.broadcast draws the result of a + b, a - b, a * b or a / b, made from "
            "tensors that require gradients (so the engine recorded the operation); got "
            f"{type(out).__name__} made by {type(fn).__name__ if fn is not None else 'nothing'}."
        )
    value = _host(fn.value if not words.is_summary(fn.value) else out.data)
    if value.ndim > 2 or max(value.shape, default=1) > words.HEATMAP_CELLS:
        raise ValueError(
            f"ag.viz.broadcast draws results of at most 2 dimensions and "
            f"{words.HEATMAP_CELLS} entries per side; this one has shape {tuple(value.shape)}."
        )
    inputs = [_host(x.data if isinstance(x, Tensor) else x) for x in fn.inputs]
    labels = _names(out, fn.inputs, names)
    grad_out = fn.grad_output
    grads = fn.grad_inputs
    if grad_out is not None and (words.is_summary(grad_out) or grads is None
                                 or any(words.is_summary(g) for g in grads)):
        grad_out = None  # a freed big graph: only summaries are left, no picture of sums
    backward = None
    if grad_out is not None:
        backward = _backward_parts(fn, _host(grad_out), inputs, value.shape, grads)
    return _Picture(fn.symbol, inputs, value, labels, backward).figure


# --------------------------------------------------------------------------------------------
# What is drawn
# --------------------------------------------------------------------------------------------


def _host(value: Any) -> np.ndarray:
    from ..backend import to_host

    return np.asarray(to_host(value) if hasattr(value, "shape") else value, dtype=np.float64)


def _grid(array: np.ndarray) -> np.ndarray:
    """An array as rows and columns, the way the broadcasting rule reads it: a missing leading
    size counts as 1 (a vector of 4 is one row of 4, a number is 1×1)."""
    return np.asarray(array, dtype=np.float64).reshape((1,) * (2 - array.ndim) + array.shape)


def _names(out: Tensor, inputs: tuple[Any, ...], given: dict[str, str] | None) -> dict[str, str]:
    labels = {"a": "a", "b": "b", "out": "out"}
    found = {}
    for name, value in caller_namespace().items():
        if isinstance(value, Tensor) and not name.startswith("_"):
            found.setdefault(id(value), name)
    for key, tensor in (("a", inputs[0]), ("b", inputs[1]), ("out", out)):
        if isinstance(tensor, Tensor) and id(tensor) in found:
            labels[key] = found[id(tensor)]
        elif not isinstance(tensor, Tensor):
            labels[key] = words.number(tensor)
    labels.update(given or {})
    return labels


def _backward_parts(fn: Any, grad_out: np.ndarray, inputs: list[np.ndarray],
                    shape: tuple[int, ...], sums: tuple[Any, ...]) -> dict[str, Any]:
    """The engine's incoming gradient and summed gradients, and each copy's share (shown only
    when the copies add up to the engine's sums)."""
    summed = [None if g is None else _host(g) for g in sums]
    copies: list[np.ndarray | None] = [None, None]
    try:
        locals_ = fn.local_derivatives()
    except Exception:  # an operation that kept nothing to say its local derivatives
        locals_ = (None, None)
    for i, (local, total, x) in enumerate(zip(locals_, summed, inputs)):
        if local is None or total is None:
            continue
        share = np.broadcast_to(grad_out * _host(local), shape)
        back = _grid(share).sum(axis=tuple(ax for ax in (0, 1)
                                           if _grid(x).shape[ax] == 1 and
                                           _grid(share).shape[ax] != 1), keepdims=True)
        if np.allclose(back.reshape(_grid(total).shape), _grid(total), rtol=1e-5, atol=1e-6):
            copies[i] = share
    return {"grad_out": grad_out, "copies": copies, "summed": summed}


class _Picture:
    """Lays out and draws the panels on one axes whose units are inches."""

    def __init__(self, symbol: str, inputs: list[np.ndarray], value: np.ndarray,
                 labels: dict[str, str], backward: dict[str, Any] | None) -> None:
        self.out_grid = _grid(value)
        rows, cols = self.out_grid.shape
        self.numbers = words.shows_numbers(value) or value.size <= 1
        self.cell = CELL if self.numbers else min(CELL, 3.0 / max(rows, cols))
        self.panel_w, self.panel_h = cols * self.cell, rows * self.cell
        self.x = [0.4 + i * (self.panel_w + GAP) for i in range(3)]  # a, b, out
        value_limit = words.colour_limit([*inputs, value])
        heights = [CAPTION + self.panel_h] * 2
        if backward is not None:
            heights += [CAPTION + self.panel_h] * 2
        height = 0.45 + sum(h + 0.25 for h in heights) + (0.55 if backward is not None else 0)
        width = self.x[2] + self.panel_w + 0.4
        self.figure = GraphFigure(figsize=(width, height), dpi=DPI)
        ax = self.ax = self.figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_axis_off()

        a, b, out = labels["a"], labels["b"], labels["out"]
        top = height - 0.3
        self.heading(top, f"forward: {out} = {a} {symbol} {b}, shape {self._shape(value)}")
        top -= 0.25
        # row 1: each input in its own shape, sitting on its original place in the stretched copy
        for i, (x, name) in enumerate(zip(inputs, (a, b))):
            self.panel(i, top, _grid(x), value_limit, f"{name}: {self._own_shape(x)}")
        top -= CAPTION + self.panel_h + 0.25
        # row 2: stretched, op, stretched, =, result
        for i, (x, name) in enumerate(zip(inputs, (a, b))):
            stretched = np.broadcast_to(_grid(x), self.out_grid.shape)
            self.panel(i, top, stretched, value_limit, f"{name} stretched to "
                       f"{words.shape_text(self.out_grid.shape)}", original=_grid(x).shape)
        self.panel(2, top, self.out_grid, value_limit, f"{out}: shape {self._shape(value)}")
        middle = top - CAPTION - self.panel_h / 2
        self.between(0, middle, symbol)
        self.between(1, middle, "=")
        top -= CAPTION + self.panel_h + 0.25
        if backward is None:
            return
        grad_limit = words.colour_limit([backward["grad_out"], *backward["copies"],
                                         *backward["summed"]])
        top -= 0.2
        self.heading(top, "backward: each copy gets its share of "
                     f"{words.grad_name('L', out)},\nand the shares of each input's copies are "
                     "added up")
        top -= 0.35
        gout = words.grad_name("L", out)
        for i, (share, name) in enumerate(zip(backward["copies"], (a, b))):
            if share is not None:
                self.panel(i, top, _grid(share), grad_limit, f"share of each copy of {name}",
                           original=_grid(inputs[i]).shape)
        self.panel(2, top, _grid(backward["grad_out"]), grad_limit, f"{gout}, arriving at {out}")
        top -= CAPTION + self.panel_h + 0.25
        for i, (total, x, name) in enumerate(zip(backward["summed"], inputs, (a, b))):
            if total is None:
                continue
            self.panel(i, top, _grid(total), grad_limit,
                       f"{words.grad_name('L', name)}: {self._summed(x)}")

    # -- pieces ----------------------------------------------------------------------------

    def _shape(self, x: np.ndarray) -> str:
        return words.shape_text(tuple(x.shape)) if np.ndim(x) else "scalar"

    def _own_shape(self, x: np.ndarray) -> str:
        """``shape 3×1``; a vector or a number says how the rule reads it (``read as 1×4``)."""
        if np.ndim(x) == 2:
            return f"shape {words.shape_text(x.shape)}"
        what = f"a vector of {x.size}" if np.ndim(x) == 1 else "one number"
        return f"{what},\nread as {words.shape_text(_grid(x).shape)}"

    def _summed(self, x: np.ndarray) -> str:
        grid = _grid(x).shape
        axes = [("rows", ax) for ax in (0,) if grid[0] == 1 and self.out_grid.shape[0] != 1]
        axes += [("columns", ax) for ax in (1,) if grid[1] == 1 and self.out_grid.shape[1] != 1]
        if not axes:
            return "nothing to add"
        what = " and ".join(f"{self.out_grid.shape[ax]} {kind}" for kind, ax in axes)
        return f"\nadded over the {what}"

    def heading(self, y: float, text: str) -> None:
        self.ax.text(0.25, y, text, ha="left", va="center", linespacing=1.3, fontsize=FONT_SIZE + 1,
                     fontweight="bold", family=words.FONT, color=COLORS["text"])

    def between(self, column: int, y: float, symbol: str) -> None:
        x = self.x[column] + self.panel_w + GAP / 2
        self.ax.text(x, y, symbol, ha="center", va="center", fontsize=FONT_SIZE + 7,
                     family=words.FONT, color=COLORS["text"])

    def panel(self, column: int, top: float, grid: np.ndarray, limit: float, caption: str,
              original: tuple[int, ...] | None = None) -> None:
        """One tensor as coloured cells (numbers inside when small) under its caption; with
        ``original``, the cells beyond the original block are copies and are faded."""
        ax, cell = self.ax, self.cell
        left = self.x[column]
        ax.text(left, top, caption, ha="left", va="top", fontsize=FONT_SIZE,
                family=words.FONT, color=COLORS["text"], linespacing=1.3)
        cells_top = top - CAPTION
        rows, cols = grid.shape
        shown = np.nan_to_num(grid, nan=0.0, posinf=limit, neginf=-limit)
        ax.imshow(shown, cmap=words.HEATMAP_CMAP, vmin=-limit, vmax=limit, aspect="auto",
                  interpolation="nearest",
                  extent=(left, left + cols * cell, cells_top - rows * cell, cells_top))
        for (i, j), number in np.ndenumerate(grid):
            copy = original is not None and (i >= original[0] or j >= original[1])
            x0, y0 = left + j * cell, cells_top - (i + 1) * cell
            if copy:
                ax.add_patch(Rectangle((x0, y0), cell, cell, facecolor="white", alpha=0.55,
                                       edgecolor="none"))
            ax.add_patch(Rectangle((x0, y0), cell, cell, fill=False, linewidth=0.6,
                                   edgecolor="white"))
            if self.numbers:
                strong = not copy and np.isfinite(number) and abs(number) > 0.6 * limit
                ax.text(x0 + cell / 2, y0 + cell / 2, words.cell(number), ha="center",
                        va="center", fontsize=CELL_FONT, family=words.FONT,
                        color="white" if strong else
                        (COLORS["muted"] if copy else COLORS["text"]))
        if original is not None and tuple(original) != (rows, cols):
            ax.add_patch(Rectangle((left, cells_top - original[0] * cell), original[1] * cell,
                                   original[0] * cell, fill=False, linewidth=1.4,
                                   linestyle="--", edgecolor=COLORS["text"]))
        ax.add_patch(Rectangle((left, cells_top - rows * cell), cols * cell, rows * cell,
                               fill=False, linewidth=0.8, edgecolor=COLORS["muted"]))
