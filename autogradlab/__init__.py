"""autogradlab: see automatic differentiation.

A small autograd engine with PyTorch's names and behaviour, whose every step can be drawn and
animated in Jupyter::

    import autogradlab as ag
    x = ag.tensor(7.0, requires_grad=True)
    f = x**2 + 3
    f.backward()
    x.grad            # tensor(14.)

Drawing (``ag.viz``), widgets (``ag.animate``, ``ag.widgets``) and training helpers load only when
first used, so ``import autogradlab`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import autograd, backend, cuda, functions
from .autograd import Function, enable_grad, grad, is_grad_enabled, no_grad
from .backend import Device as device
from .backend import DType, bool_, float32, float64, int32, int64, manual_seed
from .creation import (
    arange,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .errors import (
    AutogradError,
    BackwardError,
    CudaUnavailableError,
    DeviceError,
    DTypeError,
    GraphFreedError,
    InPlaceError,
    ShapeError,
)
from .gradcheck import GradcheckError, gradcheck
from .tensor import Tensor

__version__ = "0.1.0"


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product ``a @ b`` (1-D, 2-D or batched)."""
    return a @ b


def exp(t: Tensor) -> Tensor:
    return t.exp()


def log(t: Tensor) -> Tensor:
    return t.log()


def tanh(t: Tensor) -> Tensor:
    return t.tanh()


def sigmoid(t: Tensor) -> Tensor:
    return t.sigmoid()


def relu(t: Tensor) -> Tensor:
    return t.relu()


def softmax(t: Tensor, dim: int) -> Tensor:
    """exp(t) / sum(exp(t)) along ``dim``, computed stably (large logits do not overflow)."""
    return t.softmax(dim)


def log_softmax(t: Tensor, dim: int) -> Tensor:
    """log(softmax(t)) along ``dim``, computed without ever taking log of 0."""
    return t.log_softmax(dim)


def sum(t: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return t.sum(dim=dim, keepdim=keepdim)


def mean(t: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return t.mean(dim=dim, keepdim=keepdim)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


_LAZY_MODULES = {
    "nn", "optim", "data", "viz", "widgets", "magics", "training", "lessons", "plots",
}
_LAZY_ATTRIBUTES = {
    "animate": ("widgets", "animate"),
    "train": ("training", "train"),
    "accuracy": ("training", "accuracy"),
}


def __getattr__(name: str) -> Any:
    """Load the heavier parts (drawing, widgets, nn) on first use."""
    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_ATTRIBUTES:
        module, attribute = _LAZY_ATTRIBUTES[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    raise AttributeError(f"module 'autogradlab' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autogradlab`` registers the ``%%autograd`` cell magic."""
    from .magics import load_ipython_extension as load

    load(ipython)


__all__ = [
    "AutogradError", "BackwardError", "CudaUnavailableError", "DType", "DTypeError",
    "DeviceError", "Function", "GradcheckError", "GraphFreedError", "InPlaceError",
    "ShapeError", "Tensor", "arange", "autograd", "backend", "bool_", "cuda", "device",
    "enable_grad", "exp", "float32", "float64", "from_numpy", "full", "full_like", "functions",
    "grad", "gradcheck", "int32", "int64", "is_grad_enabled", "is_tensor", "linspace", "log",
    "log_softmax", "manual_seed", "matmul", "mean", "no_grad", "ones", "ones_like", "rand",
    "randn", "randn_like", "relu", "sigmoid", "softmax", "sum", "tanh", "tensor", "zeros",
    "zeros_like",
]
