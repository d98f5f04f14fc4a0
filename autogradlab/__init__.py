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
import warnings
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

__version__ = "0.2.0"

# NumPy warns about log(0) or 1/0 inside operations; PyTorch prints nothing (the inf or nan in
# the result says it). Only warnings raised inside autogradlab's own operations are silenced.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"autogradlab\.")


def _tensor_argument(value: Any, function: str, name: str = "input", position: int = 1) -> Tensor:
    """``value`` if it is a Tensor, else the error PyTorch gives, with what to do about it."""
    if isinstance(value, Tensor):
        return value
    raise TypeError(
        f"ag.{function}(): argument '{name}' (position {position}) must be a Tensor, not "
        f"{type(value).__name__}. Wrap numbers or lists first: ag.{function}(ag.tensor(...))."
    )


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002  (PyTorch's names)
    """Matrix product ``input @ other`` (1-D, 2-D or batched)."""
    return _tensor_argument(input, "matmul") @ _tensor_argument(other, "matmul", "other", 2)


def exp(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "exp").exp()


def log(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "log").log()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "tanh").tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "sigmoid").sigmoid()


def relu(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "relu").relu()


def softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """exp(t) / sum(exp(t)) along ``dim``, computed stably (large logits do not overflow)."""
    return _tensor_argument(input, "softmax").softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """log(softmax(t)) along ``dim``, computed without ever taking log of 0."""
    return _tensor_argument(input, "log_softmax").log_softmax(dim)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    return _tensor_argument(input, "sum").sum(dim=dim, keepdim=keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "mean").mean(dim=dim, keepdim=keepdim)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input`` where ``condition`` is true, else ``other`` (numbers are allowed for either)."""
    condition = _tensor_argument(condition, "where", "condition")
    like = input if isinstance(input, Tensor) else other
    if not isinstance(like, Tensor):
        raise TypeError("ag.where(): at least one of 'input' and 'other' must be a Tensor.")
    return functions.Where.apply(condition.data, input, other)


def sin(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "sin").sin()


def cos(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "cos").cos()


def abs(input: Tensor) -> Tensor:  # noqa: A001, A002
    return _tensor_argument(input, "abs").abs()


def sqrt(input: Tensor) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "sqrt").sqrt()


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    """Every number of ``input`` cut to [min, max] (either bound may be left out)."""
    return _tensor_argument(input, "clamp").clamp(min=min, max=max)


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The larger of two tensors, number by number (ties share the gradient)."""
    return _tensor_argument(input, "maximum").maximum(
        _tensor_argument(other, "maximum", "other", 2))


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The smaller of two tensors, number by number (ties share the gradient)."""
    return _tensor_argument(input, "minimum").minimum(
        _tensor_argument(other, "minimum", "other", 2))


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """The largest number; with ``dim`` a (values, indices) pair; with a tensor, ``maximum``."""
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    return _tensor_argument(input, "max").max(dim=dim, keepdim=keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """The smallest number; with ``dim`` a (values, indices) pair; with a tensor, ``minimum``."""
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    return _tensor_argument(input, "min").min(dim=dim, keepdim=keepdim)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "argmax").argmax(dim=dim, keepdim=keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "argmin").argmin(dim=dim, keepdim=keepdim)


def var(input: Tensor, dim: Any = None, *, correction: float = 1,  # noqa: A002
        keepdim: bool = False) -> Tensor:
    return _tensor_argument(input, "var").var(dim, correction=correction, keepdim=keepdim)


def std(input: Tensor, dim: Any = None, *, correction: float = 1,  # noqa: A002
        keepdim: bool = False) -> Tensor:
    return _tensor_argument(input, "std").std(dim, correction=correction, keepdim=keepdim)


def _tensor_list(tensors: Any, function: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, list | tuple):
        raise TypeError(
            f"ag.{function}(): argument 'tensors' (position 1) must be a list or tuple of "
            f"Tensors, not {type(tensors).__name__}."
        )
    if not tensors:
        raise ValueError(f"ag.{function}(): expected a non-empty list of Tensors.")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"ag.{function}(): expected Tensor as element {i} in argument 'tensors', but got "
                f"{type(t).__name__}. Wrap numbers or lists first with ag.tensor(...)."
            )
    return list(tensors)


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """The tensors joined along ``dim`` (their other sizes must match)."""
    tensors = _tensor_list(tensors, "cat")
    ndim = tensors[0].ndim
    for t in tensors:
        if t.ndim != ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape))
                                 if i != functions.normalize_dim(dim, ndim, "cat")):
            raise ShapeError(
                f"ag.cat(): sizes of tensors must match except in dimension {dim}, got shapes "
                f"{[tuple(x.shape) for x in tensors]}."
            )
    return functions.Cat.apply(*tensors, dim=dim)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """The tensors (all of one shape) put side by side along a new dimension ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    if len({tuple(t.shape) for t in tensors}) > 1:
        raise ShapeError(
            f"ag.stack(): expects each tensor to be equal size, got shapes "
            f"{[tuple(x.shape) for x in tensors]}."
        )
    return functions.Stack.apply(*tensors, dim=dim)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "flatten").flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "squeeze").squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return _tensor_argument(input, "unsqueeze").unsqueeze(dim)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


_LAZY_MODULES = {
    "nn", "optim", "data", "viz", "widgets", "magics", "training", "lessons", "plots",
}
_LAZY_ATTRIBUTES = {
    "animate": ("widgets", "animate"),
    "explore": ("widgets", "explore"),
    "animate_training": ("widgets", "animate_training"),
    "train": ("training", "train"),
    "accuracy": ("training", "accuracy"),
    "torch": ("torch_record", "this"),  # ag.torch.record(): values of real PyTorch code
}


def __getattr__(name: str) -> Any:
    """Load the heavier parts (drawing, widgets, nn) on first use."""
    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_ATTRIBUTES:
        module, attribute = _LAZY_ATTRIBUTES[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    raise AttributeError(f"module 'autogradlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    """``dir(ag)``: the public API only (not the modules this file itself imports)."""
    return sorted(set(__all__) | _LAZY_MODULES | set(_LAZY_ATTRIBUTES) | {"__version__"})


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext autogradlab`` registers the ``%%autograd`` cell magic."""
    from .magics import load_ipython_extension as load

    load(ipython)


__all__ = [
    "AutogradError", "BackwardError", "CudaUnavailableError", "DType", "DTypeError",
    "DeviceError", "Function", "GradcheckError", "GraphFreedError", "InPlaceError",
    "ShapeError", "Tensor", "abs", "arange", "argmax", "argmin", "autograd", "backend",
    "bool_", "cat", "clamp", "cos", "cuda", "device", "enable_grad", "exp", "flatten",
    "float32", "float64", "from_numpy", "full", "full_like", "functions", "grad", "gradcheck",
    "int32", "int64", "is_grad_enabled", "is_tensor", "linspace", "log", "log_softmax",
    "manual_seed", "matmul", "max", "maximum", "mean", "min", "minimum", "no_grad", "ones",
    "ones_like", "rand", "randn", "randn_like", "relu", "sigmoid", "sin", "softmax", "sqrt",
    "squeeze", "stack", "std", "sum", "tanh", "tensor", "unsqueeze", "var", "where", "zeros",
    "zeros_like",
]
