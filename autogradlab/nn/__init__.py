"""``ag.nn``: building blocks for models, with PyTorch's names.

* :class:`Module` (the base class), :class:`Parameter` (a tensor to learn);
* layers :class:`Linear`, :class:`Sequential`; activations :class:`ReLU`, :class:`Tanh`,
  :class:`Sigmoid`;
* losses :class:`MSELoss` (regression), :class:`CrossEntropyLoss` (classification);
* :mod:`functional`: the same operations as plain functions (``F.relu``, ``F.cross_entropy``).
"""

from __future__ import annotations

from . import functional
from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh
from .loss import CrossEntropyLoss, MSELoss
from .module import Module
from .parameter import Parameter

__all__ = [
    "CrossEntropyLoss", "Linear", "MSELoss", "Module", "Parameter", "ReLU", "Sequential",
    "Sigmoid", "Tanh", "functional",
]
