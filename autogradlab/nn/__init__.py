"""``ag.nn``: building blocks for models, with PyTorch's names.

* :class:`Module` (the base class), :class:`Parameter` (a tensor to learn);
* layers :class:`Linear`, :class:`Sequential`; activations :class:`ReLU`, :class:`Tanh`,
  :class:`Sigmoid`, :class:`LeakyReLU`, :class:`GELU`;
* losses :class:`MSELoss`, :class:`L1Loss` (regression), :class:`CrossEntropyLoss`,
  :class:`BCEWithLogitsLoss` (classification);
* :mod:`functional`: the same operations as plain functions (``F.relu``, ``F.cross_entropy``).
"""

from __future__ import annotations

from . import functional
from .layers import GELU, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss
from .module import Module
from .parameter import Parameter

__all__ = [
    "BCEWithLogitsLoss", "CrossEntropyLoss", "GELU", "L1Loss", "LeakyReLU", "Linear", "MSELoss",
    "Module", "Parameter", "ReLU", "Sequential", "Sigmoid", "Tanh", "functional",
]
