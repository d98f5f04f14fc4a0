"""An array namespace whose arrays are Tensors: how the backward pass records a graph of its own.

Every ``backward`` in :mod:`autogradlab.functions` is written with ``xp = xp_of(grad)`` and plain
arithmetic, so it does not care what kind of arrays it is given. Normally they are NumPy (or CuPy)
arrays and the backward pass leaves no trace. With ``backward(create_graph=True)`` the engine
hands each ``backward`` Tensors instead (the gradient, and the values the node saved); ``xp`` is
then this module, whose functions are differentiable operations, so computing the gradient
builds a graph too, and ``ag.grad(ag.grad(y, x, create_graph=True)[0], x)`` is a second
derivative. Only the functions that ``functions.py`` uses in its backward passes are here.
"""

from __future__ import annotations

from typing import Any

from . import functions as F
from .backend import namespace_of
from .tensor import Tensor


def _constant(value: Any, like: Tensor) -> Any:
    if isinstance(value, Tensor) or not hasattr(value, "shape"):
        return value
    return Tensor._from_op(value, None)


def sum(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    return F.Sum.apply(x, dim=axis, keepdim=keepdims)


def mean(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    return F.Mean.apply(x, dim=axis, keepdim=keepdims)


def reshape(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return F.Reshape.apply(x, shape=tuple(shape))


def expand_dims(x: Tensor, axis: int) -> Tensor:
    return x.unsqueeze(axis)


def squeeze(x: Tensor, axis: int) -> Tensor:
    return x.squeeze(axis)


def broadcast_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
    return x.expand(*shape)


def permute_dims(x: Tensor, axes: tuple[int, ...]) -> Tensor:
    return F.Permute.apply(x, axes=tuple(axes))


def asarray(x: Tensor, copy: bool | None = None) -> Tensor:
    return x.clone() if copy else x


def astype(x: Any, dtype: Any) -> Any:
    if isinstance(x, Tensor):
        return x.to(dtype=dtype)
    return namespace_of(x).xp.astype(x, dtype)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    like = a if isinstance(a, Tensor) else b
    condition = condition._data if isinstance(condition, Tensor) else condition
    return F.Where.apply(condition, _constant(a, like), _constant(b, like))


def exp(x: Tensor) -> Tensor:
    return x.exp()


def log(x: Tensor) -> Tensor:
    return x.log()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def sqrt(x: Tensor) -> Tensor:
    return x.sqrt()


def sin(x: Tensor) -> Tensor:
    return x.sin()


def cos(x: Tensor) -> Tensor:
    return x.cos()


def abs(x: Tensor) -> Tensor:  # noqa: A001
    return x.abs()


def erf(x: Tensor) -> Tensor:
    return F.Erf.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def maximum(a: Any, b: Any) -> Tensor:
    like = a if isinstance(a, Tensor) else b
    return F.Maximum.apply(_constant(a, like), _constant(b, like))


def minimum(a: Any, b: Any) -> Tensor:
    like = a if isinstance(a, Tensor) else b
    return F.Minimum.apply(_constant(a, like), _constant(b, like))


def zeros_like(x: Tensor) -> Tensor:
    return Tensor._from_op(namespace_of(x._data).xp.zeros_like(x._data), None)


def ones_like(x: Tensor) -> Tensor:
    return Tensor._from_op(namespace_of(x._data).xp.ones_like(x._data), None)
