"""``ag.nn.functional`` (imported as ``F``): the operations behind the modules, as functions.

``nn.ReLU()(x)`` and ``F.relu(x)`` compute the same thing; a module is handy inside
``Sequential`` and shows up as a named group in graph pictures, a function is handy inside a
hand-written ``forward``. The loss functions check their arguments first, because a target of the
wrong shape or dtype is the most common way to train a model silently wrong.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from .. import functions as _ops
from ..autograd import describe
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def relu(x: Tensor) -> Tensor:
    """``max(0, x)`` elementwise."""
    return _ops.ReLU.apply(x)


def tanh(x: Tensor) -> Tensor:
    return _ops.Tanh.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    return _ops.Sigmoid.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere: a ReLU that never goes flat."""
    return _ops.LeakyRelu.apply(x, negative_slope=negative_slope)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (Phi: the normal distribution's CDF, via erf); ``approximate='tanh'`` uses
    PyTorch's tanh formula instead."""
    return _ops.Gelu.apply(x, approximate=approximate)


def softmax(x: Tensor, dim: int) -> Tensor:
    """Numbers along ``dim`` turned into probabilities (positive, summing to 1), stably."""
    return _ops.Softmax.apply(x, dim=dim)


def log_softmax(x: Tensor, dim: int) -> Tensor:
    """``log(softmax(x, dim))`` computed without ever taking the log of 0."""
    return _ops.LogSoftmax.apply(x, dim=dim)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` as one graph node (``AddmmBackward0`` for a batch, as in PyTorch)."""
    if bias is None:
        return _ops.Linear.apply(x, weight)
    return _ops.Linear.apply(x, weight, bias)


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction={reduction!r} is not one of {REDUCTIONS}: 'mean' averages the losses of "
            f"the batch, 'sum' adds them, 'none' returns one loss per example."
        )
    return reduction


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean squared error ``mean((input - target) ** 2)``, for regression.

    Differs from PyTorch: ``input`` and ``target`` must have the same shape. PyTorch only warns
    when they differ, and then broadcasting silently compares every prediction with every target
    (shapes ``(N, 1)`` and ``(N,)`` give an ``(N, N)`` table): the model trains, just wrongly.
    """
    check_reduction(reduction)
    _check_tensors("mse_loss", input, target)
    if not target.dtype.is_floating_point:
        raise DTypeError(
            f"mse_loss needs a floating-point target to measure distances, but the target has "
            f"dtype {target.dtype.name}. Convert it with target.float(). (For class labels, "
            f"use cross_entropy on the logits instead.)"
        )
    if input.shape != target.shape:
        raise ShapeError(
            f"mse_loss got input of shape {input.shape} and target of shape {target.shape}. "
            f"They must match: broadcasting would compare every prediction with every target "
            f"and the model would learn the wrong thing without any error. Reshape one of "
            f"them, e.g. target.reshape({', '.join(map(str, input.shape)) or '()'})"
            + (" or input.squeeze(1)." if input.ndim == 2 and input.shape[1] == 1 else ".")
        )
    return _ops.MseLoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Mean absolute error ``mean(|input - target|)``: built from ``abs`` and ``mean``, as in
    PyTorch (so the last node is ``MeanBackward0``). Shapes must match, as for ``mse_loss``."""
    check_reduction(reduction)
    _check_same_float_shapes("l1_loss", input, target)
    losses = (input - target).abs()
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,  # noqa: A002
                                     reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of raw scores ``input`` against 0/1 (or probability) ``target``.

    ``-[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]``, computed stably from the logits in one
    node (``BinaryCrossEntropyWithLogitsBackward0``): never log(0), even for huge logits. Pass the
    last layer's raw output, not its sigmoid. Shapes must match (PyTorch requires it too).
    """
    check_reduction(reduction)
    _check_same_float_shapes("binary_cross_entropy_with_logits", input, target)
    return _ops.BinaryCrossEntropyWithLogits.apply(input, target, reduction=reduction)


def _check_same_float_shapes(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    _check_tensors(name, input, target)
    if not target.dtype.is_floating_point:
        raise DTypeError(
            f"{name} needs a floating-point target, but the target has dtype "
            f"{target.dtype.name}. Convert it with target.float()."
        )
    if input.shape != target.shape:
        raise ShapeError(
            f"{name} got input of shape {input.shape} and target of shape {target.shape}. They "
            f"must match: broadcasting would compare every prediction with every target. "
            f"Reshape one of them, e.g. target.reshape({', '.join(map(str, input.shape)) or '()'})."
        )


def cross_entropy(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Cross-entropy of raw scores (logits) ``input`` (N, C) against class indices ``target`` (N,).

    loss = -log(softmax(input)[i, target[i]]): small when the model gives the right class a high
    probability. Computed from the logits as PyTorch does, in two nodes: a stable
    ``log_softmax`` (never ``log(0)``), then ``nll_loss``, which picks each row's target. Pass
    the last layer's output directly, not its softmax. Differs from PyTorch: only class-index
    targets (no class probabilities, no ``weight`` or ``ignore_index``).
    """
    check_reduction(reduction)
    _check_class_targets("cross_entropy", "logits", input, target)
    # nll_loss(log_softmax(input, dim=1), target), its checks done just above
    return _ops.NllLoss.apply(log_softmax(input, dim=1), target, reduction=reduction)


def nll_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """Negative log-likelihood of log-probabilities ``input`` (N, C) at class indices ``target``.

    ``cross_entropy(logits, y)`` is ``nll_loss(log_softmax(logits, 1), y)``: two nodes, named
    ``LogSoftmaxBackward0`` and ``NllLossBackward0`` as in PyTorch.
    """
    check_reduction(reduction)
    _check_class_targets("nll_loss", "log-probabilities", input, target)
    return _ops.NllLoss.apply(input, target, reduction=reduction)


def _check_class_targets(name: str, what: str, input: Any, target: Any) -> None:  # noqa: A002
    """``input`` is (batch, classes) and ``target`` holds one class index per row, each in range
    (PyTorch raises on an index out of range too; indexing would pick a wrong number silently)."""
    _check_tensors(name, input, target)
    scores, indices = input._data, target._data  # (the arrays: this runs every training step)
    if scores.ndim != 2:
        hint = " For one example, use logits.unsqueeze(0)." if scores.ndim == 1 else ""
        raise ShapeError(
            f"{name} expects {what} of shape (batch, classes), but got {describe(input)}."
            + hint
        )
    kind = target.dtype
    if kind.is_floating_point or kind is backend.bool_:
        raise DTypeError(
            f"{name} needs class indices as targets (dtype int64, values 0 to "
            f"{scores.shape[1] - 1}), but got {describe(target)}. If they hold whole numbers, "
            f"use target.long(); if they are one-hot rows or probabilities, use "
            f"target.argmax(dim=1)."
        )
    if indices.shape != scores.shape[:1]:
        hint = " Use target.reshape(-1)." if target.numel() == scores.shape[0] else ""
        raise ShapeError(
            f"{name} expects one class index per row of the {what} {input.shape}, i.e. a "
            f"target of shape ({scores.shape[0]},), but got shape {target.shape}.{hint}"
        )
    if not _classes_in_range(indices, scores.shape[1]):
        _explain_classes(name, what, target, scores.shape[1])


def _classes_in_range(indices: Any, classes: int) -> bool:
    """Is every index in ``0 .. classes - 1``? One pass over them where the library lets us see
    the integers as unsigned (NumPy, CuPy): a negative index then reads as a huge number, so the
    largest one alone says it (found with ``argmax``, quicker than ``max`` for a batch of
    indices). Elsewhere, the smallest and the largest."""
    if not indices.size:
        return True
    view = getattr(indices, "view", None)  # (the array API standard has no view)
    if view is not None:
        unsigned = view(_UNSIGNED[indices.dtype.itemsize])
        return int(unsigned[unsigned.argmax()]) < classes
    xp = backend.namespace_of(indices).xp
    return int(xp.min(indices)) >= 0 and int(xp.max(indices)) < classes


_UNSIGNED = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64"}


def _explain_classes(name: str, what: str, target: Tensor, classes: int) -> None:
    xp = backend.namespace_of(target._data).xp
    low, high = int(xp.min(target._data)), int(xp.max(target._data))
    bad = low if low < 0 else high
    raise ValueError(
        f"{name} got the class index {bad}, but the {what} have {classes} classes, so "
        f"indices must be 0 to {classes - 1}. Is the last layer's out_features the number "
        f"of classes?"
    )


def _check_tensors(name: str, input: Any, target: Any) -> None:  # noqa: A002
    for role, value in (("input", input), ("target", target)):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"{name} takes tensors, but the {role} is a {type(value).__name__}. Wrap it "
                f"with ag.tensor(...)."
            )



