"""Making tensors: from data (``ag.tensor``), filled (``zeros``, ``ones``, ``full``, ``arange``)
or random (``randn``, ``rand``, seeded with ``manual_seed``).

Every constructor takes ``dtype=``, ``device=`` and ``requires_grad=`` like PyTorch's. Random
numbers are drawn on the host with NumPy and then moved, so ``manual_seed(0)`` gives the same
numbers on the CPU and on a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import backend
from .backend import Device, DType
from .tensor import Tensor


def _place(host: np.ndarray, device: Any, requires_grad: bool) -> Tensor:
    target = Device(device) if device is not None else backend.CPU
    namespace = backend.namespace_for(target)
    data = host if namespace is backend.NUMPY else namespace.from_host(host, target)
    return Tensor(data, requires_grad=requires_grad)


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, int | np.integer) or s < 0:
            raise ValueError(f"sizes must be non-negative whole numbers, got {size!r}")
    return tuple(int(s) for s in size)


def _float_dtype(dtype: Any) -> DType:
    return backend.as_dtype(dtype) if dtype is not None else backend.default_float


def tensor(
    data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A new leaf tensor holding a copy of ``data`` (a number, nested lists, or an array).

    Floats default to ``float32`` and whole numbers to ``int64``, as in PyTorch. An array of
    another library (CuPy, or the strict array API reference) stays in that library.
    """
    if isinstance(data, Tensor):
        data = backend.host_copy(data.data)
    if hasattr(data, "__dlpack__") and not isinstance(data, np.ndarray | np.generic):
        namespace = backend.namespace_of(data)
        copied = namespace.xp.asarray(data, copy=True)
        if dtype is not None:
            copied = namespace.xp.astype(copied, namespace.dtype_to_native[backend.as_dtype(dtype)])
        return Tensor(copied, requires_grad=requires_grad)
    host = np.array(backend.host_array(data, dtype), copy=True)
    return _place(host, device, requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with a NumPy array (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy() needs a numpy.ndarray, not {type(array).__name__}")
    backend.as_dtype(array.dtype)  # raises a clear error for unsupported dtypes
    return Tensor(array)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    dtype = _float_dtype(dtype)
    return full(_shape(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    dtype = _float_dtype(dtype)
    return full(_shape(size), 1, dtype=dtype, device=device, requires_grad=requires_grad)


def full(
    size: Any, fill_value: float, dtype: Any = None, device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    shape = _shape(size if isinstance(size, tuple | list) else (size,))
    if dtype is None:  # PyTorch's rule: the fill value's kind picks the dtype
        dtype = (
            backend.bool_ if isinstance(fill_value, bool)
            else backend.int64 if isinstance(fill_value, int)
            else backend.default_float
        )
    host = np.full(shape, fill_value, dtype=backend.as_dtype(dtype).name)
    return _place(host, device, requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, device=t.device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: float, dtype: Any = None) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=t.device)


def arange(
    start: float, end: float | None = None, step: float = 1, dtype: Any = None,
    device: Any = None, requires_grad: bool = False,
) -> Tensor:
    """``arange(5)`` is [0, 1, 2, 3, 4]; whole-number arguments give int64, like PyTorch."""
    if end is None:
        start, end = 0, start
    whole = all(isinstance(v, int) for v in (start, end, step))
    chosen = backend.as_dtype(dtype) if dtype is not None else (
        backend.int64 if whole else backend.default_float)
    host = np.arange(start, end, step).astype(chosen.name)
    return _place(host, device, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None) -> Tensor:
    host = np.linspace(start, end, steps).astype(_float_dtype(dtype).name)
    return _place(host, device, False)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Numbers drawn from the standard normal distribution (mean 0, standard deviation 1)."""
    host = backend.random_normal(_shape(size)).astype(_float_dtype(dtype).name)
    return _place(host, device, requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Numbers drawn uniformly from [0, 1)."""
    host = backend.random_uniform(_shape(size)).astype(_float_dtype(dtype).name)
    return _place(host, device, requires_grad)


def randn_like(t: Tensor) -> Tensor:
    return randn(t.shape, dtype=t.dtype, device=t.device)
