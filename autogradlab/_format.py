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
    """Pick PyTorch's float style and width, judging only the finite nonzero numbers.

    Scientific when their sizes differ by more than 1000x, or any is above 1e8 or below 1e-4;
    otherwise ``7.`` when all are whole numbers, else four decimals. The column width comes from
    the same numbers, so ``nan``, ``inf`` and zeros never widen it (as in PyTorch).
    """
    nonzero = values[np.isfinite(values) & (values != 0)]
    if nonzero.size == 0:
        return _whole, 1
    magnitudes = np.abs(nonzero)
    big, small = magnitudes.max(), magnitudes.min()
    if big / small > 1000.0 or big > 1e8 or small < 1e-4:
        fmt = _scientific
    elif np.all(nonzero == np.ceil(nonzero)):
        fmt = _whole
    else:
        fmt = _fixed
    return fmt, max(len(fmt(v)) for v in nonzero.tolist())


def _whole(v: float) -> str:
    return _special(v) or f"{v:.0f}."


def _fixed(v: float) -> str:
    return _special(v) or f"{v:.4f}"


def _scientific(v: float) -> str:
    return _special(v) or f"{v:.4e}"


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
        fmt, width = _float_formatter(shown.astype(np.float64))
    else:
        fmt = str if array.dtype.kind == "b" else lambda v: str(int(v))
        width = max((len(fmt(v.item())) for v in shown), default=1)

    def cell(v: np.generic) -> str:
        return fmt(v.item()).rjust(width)

    if array.ndim == 0:
        return fmt(array.item())
    return _nest(array, cell, indent + 1, summarize, width)


def _nest(array: np.ndarray, cell, indent: int, summarize: bool, width: int) -> str:
    if array.ndim == 1:
        if summarize and array.shape[0] > 2 * EDGE_ITEMS:
            items = [cell(v) for v in array[:EDGE_ITEMS]] + [" ..."]
            items += [cell(v) for v in array[-EDGE_ITEMS:]]
        else:
            items = [cell(v) for v in array]
        # PyTorch counts the width from the outer indent (one less than this row's)
        per_line = max(1, (LINE_WIDTH - indent + 1) // (width + 2))
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
    extras = []
    if device != "cpu":
        extras.append(f"device='{device}'")
    if values.size == 0:  # no numbers to show the dtype, so name it unless it is the default
        body = "[]"
        if values.ndim != 1:
            extras.append(f"size={tuple(values.shape)}")
        if dtype_name != "float32":
            extras.append(f"dtype=autogradlab.{dtype_name}")
    else:
        body = format_values(values, len(prefix))
        default = {"f": "float32", "i": "int64", "b": "bool"}.get(values.dtype.kind)
        if dtype_name != default:
            extras.append(f"dtype=autogradlab.{dtype_name}")
    if grad_fn_name is not None:
        extras.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + _suffixes(prefix + body, extras, len(prefix)) + ")"


def _suffixes(text: str, extras: list[str], indent: int) -> str:
    """``, dtype=...`` after the numbers, on a new line where the last line would get too long."""
    parts = []
    last_line = len(text) - text.rfind("\n") + 1  # PyTorch's count, copied exactly
    for extra in extras:
        if last_line + len(extra) + 2 > LINE_WIDTH:
            parts.append(",\n" + " " * indent + extra)
            last_line = indent + len(extra)
        else:
            parts.append(", " + extra)
            last_line += len(extra) + 2
    return "".join(parts)
