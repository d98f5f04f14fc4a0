"""Loss modules: one number that says how wrong the model is (training makes it smaller)."""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class MSELoss(Module):
    """Mean squared error, for regression: ``mean((prediction - target) ** 2)``.

    ``prediction`` and ``target`` must have the same shape (see :func:`functional.mse_loss`).
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F.check_reduction(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(Module):
    """Classification loss from logits (N, C) and class indices (N,), computed stably.

    It includes the softmax: give it the last layer's raw output, not probabilities.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F.check_reduction(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.cross_entropy(input, target, reduction=self.reduction)


class L1Loss(Module):
    """Mean absolute error: ``mean(|prediction - target|)`` (shapes must match)."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F.check_reduction(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.l1_loss(input, target, reduction=self.reduction)


class BCEWithLogitsLoss(Module):
    """Binary classification loss from raw scores (logits) and 0/1 targets, computed stably.

    It includes the sigmoid: give it the last layer's raw output, not probabilities.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = F.check_reduction(reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
