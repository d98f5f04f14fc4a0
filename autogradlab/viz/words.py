"""One voice for every view: how numbers, shapes, titles and edge labels are written, in which
colours, and the size limits that decide when a picture is folded or summarised.

``draw``, ``to_dot``, the player's frames and captions, the node inspector, the path explorer and
``explain`` all call this module, so one number reads the same everywhere:

>>> number(3.0), number(0.071384), number(float("inf")), number(float("nan"))
('3.0', '0.07138', 'inf', 'nan')
>>> summary(np.array([[1.0, -2.0], [0.5, 4.0]]))
'2×2, min -2.0, max 4.0, norm 4.61'

Rules, chosen for learners:

* A number has at most four significant digits; a whole number keeps its ``.0`` (it is a float,
  as in PyTorch's ``tensor(3.)``); ``nan`` and ``inf`` are written as such, never crash.
* A tensor is its shape, smallest and largest entry and norm (never its mean alone: the mean of a
  gradient hides its sign and scale). A tensor whose entries are all equal says ``all 1.0``.
* A gradient is written ``∂L/∂a = 0.2`` (one number) or ``∂L/∂a: 2×2, min ...`` (a tensor).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------
# Size limits (one place, so "60" is not repeated in five modules)
# --------------------------------------------------------------------------------------------

#: graphs with more nodes than this are folded (player) or reduced (draw)
MAX_NODES = 60
#: automatic reduction keeps at most this many layers around the output (wider is unreadable)
MAX_LAYERS = 8
#: a folded player shows at most this many groups per pass when it must chunk further
MAX_GROUPS = 16
#: tensors up to this many rows and columns print their numbers inside the heatmap cells
CELL_NUMBERS = 4
#: a heatmap shows at most this many cells per side (bigger tensors are downsampled)
HEATMAP_CELLS = 32
#: ``explain`` lists at most this many paths, and this many factors of a long path
EXPLAIN_PATHS = 12
EXPLAIN_FACTORS = 8
#: the path explorer lists (and draws) at most this many paths
MAX_PATHS = 40
#: a caption or list names at most this many nodes, then says "and N more"
LISTED = 8
#: the smallest text any view draws, in pixels at 100% zoom (9 px = 6.48 pt at 100 dpi)
MIN_FONT_PX = 9.0

# --------------------------------------------------------------------------------------------
# Colours and fonts
# --------------------------------------------------------------------------------------------

FONT = "DejaVu Sans"
#: fill and border colour of each kind of node
NODE_COLORS: dict[str, tuple[str, str]] = {
    "leaf": ("#dbeafe", "#1d4ed8"),  # blue: inputs and parameters
    "op": ("#fef3c7", "#b45309"),  # amber: operations
    "output": ("#dcfce7", "#15803d"),  # green: the output
    "module": ("#ede9fe", "#6d28d9"),  # violet: a folded group (module, layer, neuron)
}
#: what each kind of node is called in legends
KIND_NAMES: dict[str, str] = {
    "leaf": "leaf (input)", "op": "operation", "output": "output", "module": "folded group",
}
#: every other colour of the views
COLORS: dict[str, str] = {
    "text": "#111827",
    "muted": "#4b5563",
    "edge": "#64748b",  # an edge in a static drawing, an edge the forward pass has used
    "edge_unused": "#cbd5e1",  # an edge not used yet (animation)
    "edge_grad": "#fca5a5",  # an edge a gradient has gone back along
    "grad": "#b91c1c",  # gradients: red, as in the lessons
    "local": "#9a3412",  # local derivatives on edges
    "forward": "#2563eb",  # the current step of the forward pass
    "backward": "#b91c1c",  # the current step of the backward pass
    "path": "#7c3aed",  # chain-rule paths
    "ghost": "#94a3b8",  # an operation still to run
}
#: heatmaps: red positive, blue negative, white zero
HEATMAP_CMAP = "RdBu_r"

# --------------------------------------------------------------------------------------------
# Numbers and tensors
# --------------------------------------------------------------------------------------------


def number(x: Any) -> str:
    """One number: ``3.0``, ``0.07138``, ``-1235.4``, ``1e-09``, ``nan``, ``inf``, ``-inf``.

    Four significant digits, except that a number that is not whole never looks whole
    (``1.0001``, not ``1``).
    """
    x = float(np.asarray(x, dtype=np.float64).reshape(()))
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0.0"  # never "-0.0"
    if x == round(x) and abs(x) < 1e6:
        return f"{x:.1f}"
    text = f"{x:.4g}"
    if "." not in text and "e" not in text:  # 1.0001 must not read as the whole number 1
        text = f"{x:.7g}"
        if "." not in text and "e" not in text:
            text = f"{x:.1f}"
    return text


def cell(x: Any) -> str:
    """A number inside a heatmap cell: at most three significant digits (``0.12``, ``-3.0``)."""
    x = float(x)
    if not math.isfinite(x) or x == round(x) and abs(x) < 1e3:
        return number(x)
    return f"{x:.2g}" if abs(x) < 0.01 or abs(x) >= 1e3 else f"{x:.3g}".rstrip("0").rstrip(".")


def is_summary(value: Any) -> bool:
    """True for the engine's :class:`~autogradlab.autograd.Summary` of a big array (what a node
    keeps after a backward pass let go of it: a small picture, min, max and norm)."""
    return type(value).__name__ == "Summary" and hasattr(value, "picture")


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of an array, a number or a Summary."""
    return tuple(value.shape) if is_summary(value) else tuple(np.shape(value))


def size_of(value: Any) -> int:
    """How many entries an array, a number or a Summary has."""
    return int(value.size) if is_summary(value) else int(np.size(value))


def shape_text(shape: tuple[int, ...]) -> str:
    """``5×5`` for shape (5, 5); ``scalar`` for ()."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


def is_number(value: Any) -> bool:
    """True for a Python number or an array holding exactly one number."""
    if isinstance(value, str) or value is None:
        return False
    return size_of(value) == 1


def stats(array: Any) -> str:
    """``min -2.0, max 4.0, norm 4.61`` (``all 1.0`` when every entry is equal; nan counted)."""
    if is_summary(array):
        if array.minimum is None:  # freed before the views were loaded: only its picture is kept
            return "freed by backward (picture kept, no statistics)"
        if array.minimum == array.maximum:
            return f"all {number(array.minimum)}"
        return (f"min {number(array.minimum)}, max {number(array.maximum)}, "
                f"norm {number(array.norm)}")
    values = np.asarray(array, dtype=np.float64).reshape(-1)
    nans = int(np.isnan(values).sum())
    rest = values[~np.isnan(values)]
    if rest.size == 0:
        return "all nan"
    more = f", {nans} nan" if nans else ""
    if np.all(rest == rest[0]):
        return f"all {number(rest[0])}{more}"
    with np.errstate(over="ignore", invalid="ignore"):
        norm = float(np.sqrt(np.sum(rest * rest)))
    return f"min {number(rest.min())}, max {number(rest.max())}, norm {number(norm)}{more}"


def summary(value: Any) -> str:
    """A value in one short line: ``3.0`` for one number, ``2×2, min -2.0, max 4.0, norm 4.61``
    for a tensor, ``0×3, empty`` for a tensor without entries."""
    if value is None:
        return "?"
    if isinstance(value, str):
        return value
    if is_summary(value):
        return f"{shape_text(value.shape)}, {stats(value)}"
    array = np.asarray(value)
    if array.size == 1:
        return number(array)
    if array.size == 0:
        return f"{shape_text(array.shape)}, empty"
    return f"{shape_text(array.shape)}, {stats(array)}"


def local_text(local: Any) -> str:
    """A local derivative: ``3.0``, ``⊙ all 1.0`` or ``⊙ min -1.0, max 2.0`` (elementwise: one
    number per entry), or its formula (``grad @ W.T``)."""
    if local is None:
        return "?"
    if isinstance(local, str):
        return local
    if is_summary(local):
        return "⊙ " + stats(local).split(", norm")[0]
    array = np.asarray(local)
    if array.size == 1:
        return number(array)
    if array.size == 0:
        return "⊙ empty"
    return "⊙ " + stats(array).split(", norm")[0]  # short enough for an edge


# --------------------------------------------------------------------------------------------
# Names, titles, gradients
# --------------------------------------------------------------------------------------------


def grad_name(output: str, node: str) -> str:
    """``∂L/∂a``: the gradient of the output with respect to a node."""
    return f"∂{output}/∂{node}"


def grad_text(output: str, node: str, grad: Any) -> str:
    """``∂L/∂a = 0.2`` for one number; ``∂L/∂a: 2×2, min ...`` for a tensor."""
    if is_number(grad):
        return f"{grad_name(output, node)} = {number(grad)}"
    return f"{grad_name(output, node)}: {summary(grad)}"


def value_line(value: Any) -> str:
    """``value 3.0`` or ``value 2×2, min ...``: the value line of a node's box."""
    return f"value {summary(value)}"


def title(name: str, attrs: Mapping[str, Any]) -> str:
    """``b = w1 * a`` for an operation, ``a`` for a leaf, ``fc1: Linear`` for a folded group."""
    expression = attrs.get("expression", name)
    if attrs.get("members"):
        return name if expression in (name, "module") else f"{name}: {expression}"
    return name if expression == name else f"{name} = {expression}"


def node_lines(output: str, name: str, attrs: Mapping[str, Any],
               show: tuple[str, ...] | frozenset[str] | set[str] = ("value", "grad")) -> list[str]:
    """The lines under a node's title: ``value 3.0`` and ``∂L/∂a = 0.07`` (when known)."""
    lines = []
    if "value" in show and attrs.get("value") is not None:
        lines.append(value_line(attrs["value"]))
    if "grad" in show and attrs.get("grad") is not None:
        lines.append(grad_text(output, name, attrs["grad"]))
    return lines


def edge_label(attrs: Mapping[str, Any]) -> str | None:
    """The local derivative written on an edge (None when the edge has none).

    A formula such as ``d sum(a)/da = 1 for every element`` keeps only its right-hand side.
    """
    local = attrs.get("local")
    if local is None:
        return None
    value = attrs.get("local_value")
    if value is not None:
        return local_text(value)
    if isinstance(local, float | int):
        return number(local)
    return str(local).split("=", 1)[-1].strip()


def listed(names: list[str], limit: int = LISTED, sep: str = ", ") -> str:
    """``a, b, c and 5 more``: a list of names that stays short."""
    shown = sep.join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (for one-line widgets only)."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


# --------------------------------------------------------------------------------------------
# Heatmaps
# --------------------------------------------------------------------------------------------


def as_grid(value: Any) -> np.ndarray | None:
    """A tensor as a 2-D grid of at most :data:`HEATMAP_CELLS` cells per side, or None for a
    single number (or an empty tensor).

    Integer and boolean tensors (class labels, masks) get no heatmap: their numbers are not
    on the scale of the others. A vector becomes one row; more than two dimensions are
    flattened to (first, rest). A bigger
    grid is downsampled by blocks, keeping in each block the entry of largest magnitude (with its
    sign), so a big gradient is never averaged away.
    """
    if value is None or isinstance(value, str):
        return None
    if is_summary(value):  # the engine kept a picture of it: downsampled already
        value = value.picture
    if np.asarray(value).dtype.kind in "iub":  # class labels and masks: words, not colours
        return None
    array = np.asarray(value, dtype=np.float64)
    if array.size <= 1:
        return None
    if array.ndim == 1:
        array = array.reshape(1, -1)
    elif array.ndim > 2:
        array = array.reshape(array.shape[0], -1)
    for axis in (0, 1):
        n = array.shape[axis]
        if n > HEATMAP_CELLS:
            block = math.ceil(n / HEATMAP_CELLS)
            pad = block * math.ceil(n / block) - n
            widths = [(0, 0), (0, 0)]
            widths[axis] = (0, pad)
            padded = np.pad(array, widths, constant_values=0.0)
            moved = np.moveaxis(padded, axis, 0)
            blocks = moved.reshape(-1, block, moved.shape[1])
            pick = np.nanargmax(np.nan_to_num(np.abs(blocks), nan=-1.0), axis=1)
            reduced = np.take_along_axis(blocks, pick[:, None, :], axis=1)[:, 0, :]
            array = np.moveaxis(reduced, 0, axis)
    return array


def shows_numbers(value: Any) -> bool:
    """True when a tensor is small enough (up to 4×4) to print its numbers in the cells."""
    grid = as_grid(value)
    return grid is not None and grid.size == size_of(value) and max(grid.shape) <= CELL_NUMBERS


def colour_limit(arrays: list[Any]) -> float:
    """The symmetric colour scale ``[-m, m]`` shared by ``arrays``: their largest finite
    magnitude (1.0 when there is none), so zero is white and signs read at a glance."""
    biggest = 0.0
    for array in arrays:
        if array is None:
            continue
        if is_summary(array):
            array = array.picture if array.minimum is None else [array.minimum, array.maximum]
        values = np.abs(np.asarray(array, dtype=np.float64))
        values = values[np.isfinite(values)]
        if values.size:
            biggest = max(biggest, float(values.max()))
    return biggest or 1.0
