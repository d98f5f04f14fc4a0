"""Devices and array namespaces: the one place that knows which array library holds the numbers.

A tensor's numbers live in an array of some library: ``numpy`` on the CPU, ``cupy`` on a CUDA GPU,
or ``array_api_strict`` (the Python array API standard's strict reference, used by the tests to
catch NumPy-only habits that would break on CuPy). Every operation in :mod:`autogradlab.functions`
asks this module for the *namespace* of its input (``xp``) and only calls functions that the array
API standard defines, so the same engine code runs on all three.

Nothing here is imported by the learner directly; ``ag.device``, ``ag.cuda`` and ``Tensor.to``
are the public faces of this module.
"""

from __future__ import annotations

import types
from typing import Any

import numpy as np

from .errors import CudaUnavailableError, DeviceError

Array = Any  # an array of one of the supported libraries


# --------------------------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------------------------


class DType:
    """A dtype by name, shared by every array library (``ag.float32`` works on CPU and GPU)."""

    __slots__ = ("name", "is_floating_point", "itemsize")

    def __init__(self, name: str, is_floating_point: bool, itemsize: int) -> None:
        self.name = name
        self.is_floating_point = is_floating_point
        self.itemsize = itemsize

    def __repr__(self) -> str:
        return f"autogradlab.{self.name}"

    def __reduce__(self) -> str:
        return self.name


float32 = DType("float32", True, 4)
float64 = DType("float64", True, 8)
int32 = DType("int32", False, 4)
int64 = DType("int64", False, 8)
bool_ = DType("bool", False, 1)
DTYPES = {d.name: d for d in (float32, float64, int32, int64, bool_)}
default_float = float32


def as_dtype(dtype: DType | str | Any) -> DType:
    """Accept ``ag.float64``, ``"float64"`` or ``numpy.float64`` and return the DType."""
    if isinstance(dtype, DType):
        return dtype
    name = dtype if isinstance(dtype, str) else getattr(np.dtype(dtype), "name", str(dtype))
    if name not in DTYPES:
        known = ", ".join(f"ag.{n}" for n in DTYPES)
        raise TypeError(f"autogradlab does not support dtype {dtype!r}; use one of {known}.")
    return DTYPES[name]


# --------------------------------------------------------------------------------------------
# devices
# --------------------------------------------------------------------------------------------


class Device:
    """Where a tensor's numbers live: ``device(type='cpu')`` or ``device(type='cuda', index=0)``."""

    __slots__ = ("type", "index")

    def __init__(self, spec: str | Device = "cpu", index: int | None = None) -> None:
        if isinstance(spec, Device):
            spec, index = spec.type, spec.index if index is None else index
        if not isinstance(spec, str):
            raise TypeError(f"a device is a string like 'cpu' or 'cuda:0', not {spec!r}")
        kind, _, number = spec.partition(":")
        if kind not in ("cpu", "cuda") or (number and not number.isdigit()):
            raise DeviceError(
                f"unknown device {spec!r}: autogradlab knows 'cpu' (NumPy) and 'cuda' or "
                f"'cuda:N' (CuPy on GPU number N)."
            )
        if number:
            index = int(number)
        if kind == "cuda" and index is None:
            index = 0
        if kind == "cpu":
            index = None
        self.type = kind
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = Device(other)
        return (
            isinstance(other, Device) and self.type == other.type and self.index == other.index
        )

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = Device("cpu")


# --------------------------------------------------------------------------------------------
# namespaces
# --------------------------------------------------------------------------------------------


class Namespace:
    """One array library as the engine sees it: its module ``xp`` and a few adapters."""

    def __init__(self, name: str, xp: types.ModuleType, array_type: type) -> None:
        self.name, self.xp, self.array_type = name, xp, array_type
        self.dtype_to_native: dict[DType, Any] = {}
        self.native_to_dtype: dict[Any, DType] = {}
        for dtype in DTYPES.values():
            native = getattr(self.xp, dtype.name, None)
            if native is None:
                continue
            self.dtype_to_native[dtype] = native
            self.native_to_dtype[self.xp.zeros(1, dtype=native).dtype] = dtype

    def __repr__(self) -> str:
        return f"<array namespace {self.name}>"

    def dtype_of(self, array: Array) -> DType:
        return self.native_to_dtype[array.dtype]

    def ensure_array(self, value: Array) -> Array:
        """NumPy returns scalars (``numpy.float32``) for 0-d results; make them arrays."""
        if type(value) is self.array_type:
            return value
        return self.xp.asarray(value)

    def device_of(self, array: Array) -> Device:
        if self.name == "cupy":
            return Device("cuda", array.device.id)
        return CPU

    def to_host(self, array: Array) -> np.ndarray:
        """A NumPy array with the same numbers (no copy where the array already is NumPy)."""
        if self.name == "numpy":
            return np.asarray(array)
        if self.name == "cupy":
            return array.get()
        return np.from_dlpack(array)

    def from_host(self, host: np.ndarray, device: Device) -> Array:
        if self.name == "cupy":
            with self.xp.cuda.Device(device.index or 0):
                return self.xp.asarray(host)
        return self.xp.asarray(host)

    def index_add(self, target: Array, index: Any, values: Array) -> None:
        """``target[index] += values``, adding repeated indices up (NumPy's ``add.at``)."""
        if self.name == "numpy":
            np.add.at(target, index, values)
        elif self.name == "cupy":
            import cupyx

            cupyx.scatter_add(target, index, values)
        else:  # the array API has no scatter-add: do it one index at a time, on the host
            host = self.to_host(target).copy()
            np.add.at(host, _host_index(index), self.to_host(values))
            target[...] = self.xp.asarray(host)

    def one_per_row(self, values: Array, rows: Array, index: Array, columns: int,
                    dtype: Any) -> Array:
        """Zeros of shape ``(len(rows), columns)`` with ``values`` (one number, or one per row)
        at column ``index[i]`` of each row ``rows[i]`` (``rows`` is ``arange(len(index))``,
        kept from the forward pass): a one-hot matrix, scaled (``nll_loss``'s gradient). NumPy
        and CuPy write the numbers in place; the array API standard has no assignment at
        integer arrays, so there it is ``where(one_hot, values, 0)``."""
        xp, count = self.xp, index.shape[0]
        if self.name in ("numpy", "cupy"):
            out = xp.zeros((count, columns), dtype=dtype)
            out[rows, index] = values
            return out
        one_hot = xp.reshape(index, (count, 1)) == xp.arange(columns)
        values = xp.asarray(values, dtype=dtype)
        if values.ndim:
            values = xp.reshape(values, (count, 1))
        return xp.where(one_hot, values, xp.zeros((), dtype=dtype))


def _host_index(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(_host_index(i) for i in index)
    if hasattr(index, "__dlpack__") and not isinstance(index, np.ndarray):
        return np.from_dlpack(index)
    return index


def _numpy_for_the_engine() -> types.ModuleType:
    """``numpy`` as the engine calls it: the same module, except four functions.

    ``sum``, ``max``, ``min`` and ``astype`` of a NumPy array go straight to the C code that
    ``numpy.sum`` and the others end in (``numpy.add.reduce``, ``ndarray.astype``). NumPy's own
    versions first run a Python wrapper that sorts out their keyword arguments: for a small
    array that wrapper is most of the cost, and a training step calls these about ten times.
    The results are the same, dtype included. Anything else (another keyword, a number instead
    of an array) is handed to NumPy's own function.
    """
    module = types.ModuleType("numpy")
    module.__dict__.update(vars(np))
    module.__getattr__ = lambda name: getattr(np, name)  # type: ignore[method-assign]  (np.random)
    add_reduce, max_reduce, min_reduce = np.add.reduce, np.maximum.reduce, np.minimum.reduce

    def sum(x: Any, /, *, axis: Any = None, dtype: Any = None, keepdims: bool = False,  # noqa: A001
            **options: Any) -> Any:
        if type(x) is np.ndarray and not options:
            return add_reduce(x, axis, dtype, None, keepdims)
        return np.sum(x, axis=axis, dtype=dtype, keepdims=keepdims, **options)

    def max(x: Any, /, *, axis: Any = None, keepdims: bool = False,  # noqa: A001
            **options: Any) -> Any:
        if type(x) is np.ndarray and not options:
            return max_reduce(x, axis, None, None, keepdims)
        return np.max(x, axis=axis, keepdims=keepdims, **options)

    def min(x: Any, /, *, axis: Any = None, keepdims: bool = False,  # noqa: A001
            **options: Any) -> Any:
        if type(x) is np.ndarray and not options:
            return min_reduce(x, axis, None, None, keepdims)
        return np.min(x, axis=axis, keepdims=keepdims, **options)

    def astype(x: Any, dtype: Any, /, *, copy: bool = True, **options: Any) -> Any:
        if type(x) is np.ndarray and not options:
            return x.astype(dtype, copy=copy)
        return np.astype(x, dtype, copy=copy, **options)

    module.sum, module.max, module.min, module.astype = sum, max, min, astype
    return module


NUMPY = Namespace("numpy", _numpy_for_the_engine(), np.ndarray)
#: NumPy returns these for 0-d results; the engine keeps them (fast), ``Tensor.data`` converts
NUMPY_SCALARS = frozenset((np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_))
NUMPY_FLOAT64 = np.dtype("float64")
NUMPY_INT64 = np.dtype("int64")
_BY_TYPE: dict[type, Namespace] = {np.ndarray: NUMPY}


def keep_default_float(result: Array, inputs: list[Any]) -> Array:
    """PyTorch's promotion where NumPy's differs (for float64 and int64 results).

    NumPy turns ``int64 * 0.5``, ``int64 / int64`` and ``float32 + int64`` into float64;
    PyTorch gives the default float (float32) unless an input already was float64, and a 0-d
    float64 tensor counts only when no tensor with dimensions is a float already. Likewise an
    int32 tensor plus a 0-d int64 tensor stays int32 in PyTorch (NumPy: int64).
    """
    if result.dtype is NUMPY_INT64:
        return _keep_int32(result, inputs)
    float_with_dims = scalar_float64 = False
    for x in inputs:
        if type(x) in _PYTHON_NUMBERS:
            continue
        dtype = x.dtype
        if x.ndim:
            if dtype is NUMPY_FLOAT64:
                return result
            float_with_dims = float_with_dims or dtype.kind == "f"
        elif dtype is NUMPY_FLOAT64:
            scalar_float64 = True
    if scalar_float64 and not float_with_dims:
        return result
    return result.astype(np.float32)


_PYTHON_NUMBERS = (int, float, bool)


def _keep_int32(result: Array, inputs: list[Any]) -> Array:
    dims = [x.dtype for x in inputs if getattr(x, "ndim", 0)]
    if dims and all(d == np.int32 for d in dims):
        return result.astype(np.int32)
    return result


class quiet:  # noqa: N801  (used like a function: ``with backend.quiet():``)
    """A block in which NumPy keeps quiet about inf and nan (``log(0)``, ``0 * inf``).

    The backward pass runs in one: PyTorch prints nothing when a gradient becomes inf or nan,
    and neither do we (the numbers themselves say it). The learner's own NumPy settings are
    restored when the block ends.

    This is ``np.errstate(all="ignore")``. On NumPy 2 those settings are one object in a context
    variable, and ``np.errstate`` builds a new one in Python on every entry: a few microseconds
    of every backward pass. Here the quiet version of the learner's current settings is built
    once (again only if they change) and the variable is set directly.
    """

    __slots__ = ("_token", "_errstate")
    #: the learner's NumPy settings seen last, and their quiet version (one tuple, replaced
    #: whole, so two threads never mix one's settings with the other's quiet version)
    _made_for: tuple[Any, Any] = (None, None)

    def __enter__(self) -> None:
        if _NUMPY_ERRORS is None:  # NumPy 1: its own block
            self._errstate = np.errstate(all="ignore")
            self._errstate.__enter__()
            return
        settings = _NUMPY_ERRORS.get()
        seen, made = quiet._made_for
        if settings is not seen:
            made = _make_numpy_errors(all="ignore")  # (the rest inherited from the settings)
            quiet._made_for = (settings, made)
        self._token = _NUMPY_ERRORS.set(made)

    def __exit__(self, *exc: object) -> None:
        if _NUMPY_ERRORS is None:
            self._errstate.__exit__(*exc)
        else:
            _NUMPY_ERRORS.reset(self._token)


def _numpy_error_settings() -> tuple[Any, Any]:
    """NumPy 2's context variable for its error settings, and its function that makes them."""
    try:
        from numpy._core import _ufunc_config

        return _ufunc_config._extobj_contextvar, _ufunc_config._make_extobj
    except (ImportError, AttributeError):
        return None, None


_NUMPY_ERRORS, _make_numpy_errors = _numpy_error_settings()


for _scalar in NUMPY_SCALARS:
    _BY_TYPE[_scalar] = NUMPY


def namespace_of(array: Array) -> Namespace:
    """The namespace that owns ``array`` (fast path: one dictionary look-up)."""
    try:
        return _BY_TYPE[type(array)]
    except KeyError:
        return _register(array)


def _register(array: Array) -> Namespace:
    module = type(array).__module__.split(".")[0]
    if module == "cupy":
        namespace = _cupy_namespace()
    elif module == "array_api_strict":
        import array_api_strict

        namespace = Namespace("array_api_strict", array_api_strict, type(array))
    elif isinstance(array, np.generic):
        namespace = NUMPY
    else:
        raise TypeError(
            f"autogradlab cannot hold a {type(array).__name__}: give it a number, a list, a NumPy "
            f"array (or, on a GPU, a CuPy array)."
        )
    _BY_TYPE[type(array)] = namespace
    return namespace


# --------------------------------------------------------------------------------------------
# CUDA through CuPy
# --------------------------------------------------------------------------------------------

_INSTALL_HINT = (
    "pip install cupy-cuda12x (or, in your clone of autogradlab, "
    '.venv/bin/pip install -e ".[gpu]")'
)
_cuda_status: tuple[bool, str, int] | None = None


def cuda_status() -> tuple[bool, str, int]:
    """``(usable, reason, device_count)``: can CuPy run on a GPU here, and if not, why not."""
    global _cuda_status
    if _cuda_status is None:
        _cuda_status = _probe_cuda()
    return _cuda_status


def _probe_cuda() -> tuple[bool, str, int]:
    try:
        import cupy
    except ImportError:
        return (
            False,
            f"CuPy is not installed, so there is no 'cuda' device. Install it with "
            f"{_INSTALL_HINT} on a machine with an NVIDIA GPU.",
            0,
        )
    except Exception as error:  # a broken CuPy install
        return False, f"CuPy is installed but failed to import ({error}). Reinstall it.", 0
    try:
        count = cupy.cuda.runtime.getDeviceCount()
        if count < 1:
            raise RuntimeError("no CUDA device was found")
        cupy.zeros(1)  # the first real use is where a missing driver shows up
    except Exception as error:
        reason = str(error).strip() or type(error).__name__
        return (
            False,
            f"CuPy is installed but there is no usable GPU here (CUDA says: {reason}). Run on a "
            f"machine with an NVIDIA GPU and driver, or stay on device='cpu'.",
            0,
        )
    return True, "", count


def _cupy_namespace() -> Namespace:
    import cupy

    return Namespace("cupy", cupy, cupy.ndarray)


def namespace_for(device: Device) -> Namespace:
    """The namespace for a device, raising :class:`CudaUnavailableError` when CUDA can't be used."""
    if device.type == "cpu":
        return NUMPY
    usable, reason, count = cuda_status()
    if not usable:
        raise CudaUnavailableError(reason)
    if device.index is not None and device.index >= count:
        raise CudaUnavailableError(
            f"there is no {device}: this machine has {count} GPU(s), numbered 0 to {count - 1}."
        )
    import cupy

    return namespace_of(cupy.empty(0))


def synchronize(device: Device | str) -> None:
    """Wait until a GPU has finished its queued work (for timing); a CPU has nothing to wait for."""
    device = Device(device)
    if device.type == "cuda":
        import cupy

        with cupy.cuda.Device(device.index or 0):
            cupy.cuda.get_current_stream().synchronize()


def to_host(array: Array) -> np.ndarray:
    """A NumPy copy-free view of ``array`` where possible; drawing code uses this."""
    return namespace_of(array).to_host(array)


def host_copy(array: Array) -> np.ndarray:
    """A NumPy array of ``array``'s numbers that nothing else will change."""
    return np.array(to_host(array), copy=True)


# --------------------------------------------------------------------------------------------
# random numbers (made on the host with NumPy, so a seed gives the same numbers on every device)
# --------------------------------------------------------------------------------------------

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed the random number generator behind ``ag.randn`` and ``ag.rand``."""
    global _generator
    _generator = np.random.default_rng(seed)


def random_normal(shape: tuple[int, ...]) -> np.ndarray:
    return _generator.standard_normal(shape)


def random_uniform(shape: tuple[int, ...], low: float = 0.0, high: float = 1.0) -> np.ndarray:
    return _generator.uniform(low, high, shape)


def random_permutation(n: int) -> np.ndarray:
    return _generator.permutation(n)


def _holds_float64(data: Any) -> bool:
    """True when nested lists hold a NumPy float64 (scalar or array): PyTorch then keeps float64,
    while plain Python floats give the default float32."""
    if isinstance(data, np.ndarray | np.generic):
        return data.dtype == np.float64
    if isinstance(data, list | tuple):
        return any(_holds_float64(item) for item in data)
    return False


def host_array(data: Any, dtype: DType | None) -> np.ndarray:
    """Turn numbers or (nested) lists into a NumPy array with PyTorch's dtype rules.

    Python floats become ``float32`` (the default float dtype), ints ``int64``, bools ``bool``;
    a NumPy array keeps its dtype.
    """
    if isinstance(data, np.ndarray | np.generic):
        array = np.asarray(data)
    else:
        try:
            array = np.asarray(data)
        except ValueError as error:
            raise ValueError(
                f"cannot make a tensor from {data!r}: nested lists must be rectangular "
                f"(every row the same length). NumPy said: {error}"
            ) from None
        if array.dtype == np.float64 and dtype is None and not _holds_float64(data):
            array = array.astype(np.float32)  # converting only once keeps float64 exact
    if array.dtype.kind == "c":
        raise TypeError(
            f"cannot make a tensor from complex numbers ({data!r}): autogradlab tensors hold "
            f"real numbers only. Use the real part (z.real) or the magnitude (abs(z)) instead."
        )
    if array.dtype.kind == "O" or array.dtype.kind in "USV":
        raise TypeError(
            f"cannot make a tensor from {type(data).__name__} {data!r}: tensors hold numbers."
        )
    if dtype is not None:
        array = array.astype(as_dtype(dtype).name, copy=False)
    elif array.dtype.name not in DTYPES:
        array = array.astype(np.float32 if array.dtype.kind == "f" else np.int64)
    return array
