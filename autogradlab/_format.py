"""Printing tensors the way PyTorch prints them, so lesson outputs read like PyTorch's.

``tensor(14.)``, ``tensor([1.0000, 2.5000])``, ``tensor([[ 22.,  45.], [109., 150.]])``: whole
numbers print with a trailing dot, other floats with four decimals (or in scientific notation when
their sizes differ a lot), every number padded to one width, long tensors summarised with ``...``.
"""

from __future__ import annotations

import math

import numpy as np

LINE_WIDTH = 80
SUMMARIZE_OVER = 1000
EDGE_ITEMS = 3


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    if np.all(finite == np.round(finite)):
        big = np.max(np.abs(finite)) if finite.size else 0
        if big < 1e8:
            return lambda v: _special(v) or f"{v:.0f}."
    nonzero = np.abs(finite[finite != 0])
    if nonzero.size and (
        nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8 or nonzero.min() < 1e-4
    ):
        return lambda v: _special(v) or f"{v:.4e}"
    return lambda v: _special(v) or f"{v:.4f}"


def _special(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return ""


def _visible(array: np.ndarray, summarize: bool) -> np.ndarray:
    """The numbers that will be shown (the edges of each axis when summarising)."""
    if not summarize or array.ndim == 0:
        return array.reshape(-1)
    parts = []
    if array.shape[0] > 2 * EDGE_ITEMS:
        rows = list(array[:EDGE_ITEMS]) + list(array[-EDGE_ITEMS:])
    else:
        rows = list(array)
    for row in rows:
        parts.append(_visible(np.asarray(row), summarize))
    return np.concatenate(parts) if parts else array.reshape(-1)


def format_values(array: np.ndarray, indent: int) -> str:
    """The numbers of ``array`` as PyTorch would lay them out after ``tensor(``."""
    summarize = array.size > SUMMARIZE_OVER
    shown = _visible(array, summarize)
    if array.dtype.kind == "f":
        fmt = _float_formatter(shown.astype(np.float64))
    elif array.dtype.kind == "b":
        fmt = str
    else:
        fmt = lambda v: str(int(v))  # noqa: E731
    width = max((len(fmt(v.item())) for v in shown), default=1)

    def cell(v: np.generic) -> str:
        return fmt(v.item()).rjust(width)

    if array.ndim == 0:
        return fmt(array.item())
    return _nest(array, cell, indent + 1, summarize, width)


def _nest(array: np.ndarray, cell, indent: int, summarize: bool, width: int) -> str:
    if array.ndim == 1:
        if summarize and array.shape[0] > 2 * EDGE_ITEMS:
            items = [cell(v) for v in array[:EDGE_ITEMS]] + ["..."]
            items += [cell(v) for v in array[-EDGE_ITEMS:]]
        else:
            items = [cell(v) for v in array]
        per_line = max(1, (LINE_WIDTH - indent) // (width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * indent).join(lines) + "]"
    separator = "," + "\n" * (array.ndim - 1) + " " * indent
    if summarize and array.shape[0] > 2 * EDGE_ITEMS:
        rows = [_nest(r, cell, indent + 1, summarize, width) for r in array[:EDGE_ITEMS]]
        rows.append("...")
        rows += [_nest(r, cell, indent + 1, summarize, width) for r in array[-EDGE_ITEMS:]]
    else:
        rows = [_nest(r, cell, indent + 1, summarize, width) for r in array]
    return "[" + separator.join(rows) + "]"


def tensor_repr(
    values: np.ndarray,
    dtype_name: str,
    device: str,
    requires_grad: bool,
    grad_fn_name: str | None,
) -> str:
    prefix = "tensor("
    body = format_values(values, len(prefix))
    extras = []
    if device != "cpu":
        extras.append(f"device='{device}'")
    default = {"f": "float32", "i": "int64", "b": "bool"}.get(values.dtype.kind)
    if dtype_name != default or values.size == 0:
        extras.append(f"dtype=autogradlab.{dtype_name}")
    if grad_fn_name is not None:
        extras.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        extras.append("requires_grad=True")
    if values.size == 0 and values.ndim > 1:
        extras.insert(0, f"size={tuple(values.shape)}")
    return prefix + body + "".join(", " + e for e in extras) + ")"
