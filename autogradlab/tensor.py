"""The Tensor: an array of numbers that remembers how it was made.

A tensor holds its numbers in ``.data`` (a NumPy array on the CPU, a CuPy array on a GPU). When
``requires_grad`` is True, every operation on it goes through
:class:`~autogradlab.autograd.Function`, and the result's ``grad_fn`` points at the operation that
made it: that chain of ``grad_fn`` links *is* the computation graph, built while the code runs.
``backward()`` walks it back and leaves the gradients in the ``.grad`` of the leaves (the tensors
you created yourself).

The names and behaviour follow PyTorch. Deliberate differences are marked "Differs from PyTorch".
"""

from __future__ import annotations

import numbers
import operator
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator
from typing import Any

from . import _format, autograd, backend
from .backend import Device, DType
from .errors import DTypeError, InPlaceError, ShapeError

Array = Any
_NUMBER_TYPES = (int, float)
_NDARRAY, _NUMPY_SCALARS = backend.NUMPY.array_type, backend.NUMPY_SCALARS
MaxResult = namedtuple("MaxResult", ["values", "indices"])


class RemovableHandle:
    """Returned by ``register_hook``: call ``.remove()`` to take the hook away again."""

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Tensor:
    """An n-dimensional array of numbers that can record the operations done with it."""

    __slots__ = (
        "_data",
        "_grad",
        "_requires_grad",
        "grad_fn",
        "_version_counter",
        "_hooks",
        "__weakref__",
    )
    __hash__ = object.__hash__  # tensors are compared elementwise, so hash by identity

    def __init__(self, data: Any, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.data
        elif not hasattr(data, "__dlpack__") or isinstance(data, numbers.Number):
            data = backend.host_array(data, None)
        backend.namespace_of(data)  # a clear error for things that are not arrays
        self._data = data
        self._grad = None
        self._requires_grad = False
        self.grad_fn = None
        self._version_counter = None
        self._hooks = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _from_op(cls, data: Array, grad_fn: autograd.Node | None) -> Tensor:
        """Wrap an array computed by the engine (no checks: the fast path)."""
        t = cls.__new__(cls)
        t._data = data
        t._grad = None
        t._requires_grad = grad_fn is not None
        t.grad_fn = grad_fn
        t._version_counter = None
        t._hooks = None
        return t

    # -- in-place changes are counted (PyTorch's version counter) -----------------------------

    def _counter(self) -> autograd.Version:
        """This tensor's version counter, made on first need and shared with views and aliases.

        The result of an operation shares the counter its ``grad_fn`` keeps for the output
        (``output_version``): the graph keeps that node, not this tensor object.
        """
        counter = self._peek_counter()
        if counter is None:
            counter = autograd.Version()
            if self.grad_fn is not None:
                self.grad_fn.output_version = counter
        self._version_counter = counter
        return counter

    def _peek_counter(self) -> autograd.Version | None:
        if self._version_counter is None and self.grad_fn is not None:
            return self.grad_fn.output_version
        return self._version_counter

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's numbers have had (PyTorch's ``_version``)."""
        counter = self._peek_counter()
        return 0 if counter is None else counter.count

    @property
    def _changed_at(self) -> int:
        counter = self._peek_counter()
        return -1 if counter is None else counter.changed_at

    # -- what a tensor is ------------------------------------------------------------------------

    @property
    def data(self) -> Array:
        """The numbers themselves: a NumPy (or CuPy) array. Changing it in place is allowed.

        Like PyTorch's ``.data``, changes made through it are invisible to autograd: use it for
        updates that must not be recorded (``w.data -= lr * w.grad.data``).
        """
        data = self._data
        if type(data) in _NUMPY_SCALARS:
            # NumPy computes 0-d results as scalars (about 10x faster for scalar graphs); the
            # learner always gets a real array, which is kept so in-place changes stick
            data = self._data = backend.NUMPY.xp.asarray(data)
        return data

    @data.setter
    def data(self, value: Array) -> None:
        if value is self._data:  # ``w.data -= ...`` changed the array in place and sets it back
            return
        try:
            backend.namespace_of(value)
        except TypeError:
            raise TypeError(
                f".data must be an array (NumPy, or CuPy on a GPU), not a "
                f"{type(value).__name__}. To give a tensor new numbers from a list, write "
                f"t.data = ag.tensor(numbers, dtype=t.dtype).data."
            ) from None
        self._data = value

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.shape[dim]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        count = 1
        for size in self._data.shape:
            count *= size
        return count

    @property
    def dtype(self) -> DType:
        return backend.namespace_of(self._data).dtype_of(self._data)

    @property
    def device(self) -> Device:
        return backend.namespace_of(self._data).device_of(self._data)

    @property
    def is_leaf(self) -> bool:
        """True for tensors you created; False for results of operations that track gradients."""
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not self.dtype.is_floating_point:
            raise DTypeError(
                f"only floating-point tensors can require gradients, but this tensor has dtype "
                f"{self.dtype.name} (a derivative needs numbers that can change by tiny amounts). "
                f"Create it with floats, e.g. ag.tensor([1., 2.]), or convert it with .float()."
            )
        if not value and self.grad_fn is not None:
            raise InPlaceError(
                "requires_grad can only be switched off on leaf tensors; this one was computed "
                "by an operation. Use .detach() to get a copy without history."
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking on (or off) for this leaf, in place; returns the tensor."""
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self) -> Tensor | None:
        """The accumulated gradient d(loss)/d(this tensor), filled in by ``backward()``.

        Only leaves (and tensors that called ``retain_grad()``) keep one; gradients add up over
        backward calls until you reset them (``x.grad = None`` or ``optimizer.zero_grad()``).
        """
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, not {type(value).__name__}")
            problem = (
                f"shape {value.shape}" if value.shape != self.shape else
                f"dtype {value.dtype.name}" if value.dtype is not self.dtype else
                f"device {value.device}" if value.device != self.device else None
            )
            if problem is not None:
                raise ShapeError(
                    f"cannot assign a gradient with {problem} to a tensor of shape "
                    f"{self.shape} ({self.dtype.name}, on {self.device}): a gradient has "
                    f"exactly its tensor's shape, dtype and device (one number per number)."
                )
        self._grad = value

    def _accumulate_grad(self, total: Any, owned: bool) -> None:
        """Add this backward pass's gradient into ``.grad`` (the engine calls this).

        Every ``.grad`` owns its numbers: an array the engine did not make itself (one handed on
        unchanged by ``+``, or the caller's ``gradient=``) is copied first, so changing one
        gradient in place never changes another.
        """
        current = self._grad
        if current is None and type(total) is _NDARRAY:  # the usual case, quickly
            self._grad = Tensor._from_op(total if owned else total.copy(), None)
            return
        if isinstance(total, Tensor):  # create_graph: the gradient is part of a graph
            self._grad = total if current is None else current + total
            return
        namespace = backend.namespace_of(total)
        if current is None:
            array = namespace.ensure_array(total) if owned else namespace.xp.asarray(total,
                                                                                     copy=True)
            self._grad = Tensor._from_op(array, None)
        elif current.grad_fn is not None:  # a gradient with history: add out of place
            self._grad = current.detach() + total
        else:
            current.data += total

    # -- conversions ----------------------------------------------------------------------------

    def numpy(self) -> Any:
        """The numbers as a NumPy array, sharing memory with the tensor (as in PyTorch).

        As in PyTorch, a tensor that requires grad must be detached first
        (``t.detach().numpy()``): the array would escape the graph, and changes made through it
        would be invisible to autograd. A GPU tensor must be copied to the host first
        (``t.cpu().numpy()``).
        """
        if self.requires_grad:
            raise autograd.AutogradError(
                "can't call numpy() on a tensor that requires grad: the NumPy array would leave "
                "the graph behind. Use t.detach().numpy() (the same numbers, without history), "
                "as in PyTorch."
            )
        if self.device.type != "cpu":
            raise TypeError(
                f"can't convert a {self.device} tensor to NumPy: its numbers live in GPU memory. "
                f"Use t.cpu() to copy it to host memory first (t.cpu().numpy()), as in PyTorch."
            )
        return backend.to_host(self.data)

    def item(self) -> float | int | bool:
        """The single number in a one-element tensor, as a Python number."""
        if self.numel() != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one number, but this one has shape "
                f"{self.shape} ({self.numel()} numbers). Pick one first (t[0]) or reduce it "
                f"(t.sum())."
            )
        data = self._data
        if type(data) in _NUMPY_SCALARS:  # a NumPy number (see data): no array needed
            return data.item()
        return backend.to_host(self.data).reshape(()).item()

    def tolist(self) -> Any:
        return backend.to_host(self.data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.numel()} numbers is ambiguous: use "
                f"(t > 0).all() style checks on the numbers, e.g. bool((t > 0).sum() == t.numel())."
            )
        return bool(self.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        host = backend.to_host(self.data)
        return host if dtype is None else host.astype(dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """How NumPy treats a tensor that appears in its arithmetic.

        * ``w.data -= lr * w.grad`` (NumPy updates ``w.data`` in place): the tensor's numbers are
          used, untracked, as PyTorch does for ``.data``.
        * ``numpy_array * t`` gives a tracked Tensor, exactly like ``t * numpy_array``.
        """
        if method != "__call__":
            return NotImplemented
        if "out" in kwargs:
            return ufunc(*(x.data if isinstance(x, Tensor) else x for x in inputs), **kwargs)
        operator_for = _UFUNC_OPERATORS.get(ufunc.__name__)
        if operator_for is None or kwargs or len(inputs) != 2:
            return NotImplemented
        a, b = (x.item() if hasattr(x, "dtype") and getattr(x, "ndim", 1) == 0
                and not isinstance(x, Tensor) else x for x in inputs)
        like = a if isinstance(a, Tensor) else b
        a, b = (_operand(x, like, ufunc.__name__) for x in (a, b))
        return operator_for(a, b)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it holds one number and has no length")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def to(self, target: Any = None, dtype: Any = None) -> Tensor:
        """A copy on another device (``"cuda"``, ``"cpu"``) and/or with another dtype.

        Like PyTorch, the result stays in the graph (gradients flow back to the original), and
        when nothing changes the tensor itself is returned.
        """
        device = None
        if isinstance(target, DType) or (
            isinstance(target, str) and target in backend.DTYPES
        ):
            dtype = target
        elif target is not None:
            device = Device(target)
        new_dtype = backend.as_dtype(dtype) if dtype is not None else self.dtype
        new_device = device if device is not None else self.device
        if new_dtype is self.dtype and new_device == self.device:
            return self
        return F.ToCopy.apply(self, device=new_device, dtype=new_dtype)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Tensor:
        return self.to(Device("cuda", index))

    def float(self) -> Tensor:
        return self.to(backend.float32)

    def double(self) -> Tensor:
        return self.to(backend.float64)

    def long(self) -> Tensor:
        return self.to(backend.int64)

    def clone(self) -> Tensor:
        """A copy with its own memory that stays in the graph (``CloneBackward0``)."""
        return F.Clone.apply(self)

    def detach(self) -> Tensor:
        """The same numbers (shared memory) as a new leaf with no history and no gradient.

        As in PyTorch, the two share a version counter: changing the detached copy in place
        (``x.detach().add_(1)``) is seen by the backward pass of a graph that saved ``x``.
        """
        alias = Tensor._from_op(self.data, None)
        alias._version_counter = self._counter()
        return alias

    # -- the backward pass ---------------------------------------------------------------------

    def backward(self, gradient: Any = None, retain_graph: bool | None = None,
                 create_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding it into ``leaf.grad``.

        ``self`` must hold one number, or ``gradient`` must say how much each of its numbers
        matters. The graph is used up afterwards unless ``retain_graph=True``. With
        ``create_graph=True`` the backward pass is recorded too (the ``.grad`` tensors then have
        a history), for gradients of gradients.
        """
        # one output, one gradient (so a list given as ``gradient`` is that gradient's numbers):
        # autograd.backward([self], [gradient], ...), without its handling of several outputs
        seed = autograd._seed(self, gradient, create_graph)
        retain = autograd._retains_graph(retain_graph, create_graph)
        autograd.run_backward((self,), (seed,), retain, create_graph)

    def retain_grad(self) -> None:
        """Ask an intermediate tensor to keep its ``.grad`` after ``backward()``."""
        if self.grad_fn is not None:
            self.grad_fn.retained = weakref.ref(self)
            autograd.touch()  # backward passes look closer at the nodes made before now
        elif not self.requires_grad:
            raise autograd.BackwardError(
                "retain_grad() on a tensor that does not require grad: it will get no gradient."
            )

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained is not None

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a new one."""
        if not self.requires_grad:
            raise autograd.BackwardError(
                "cannot register a hook on a tensor that does not require grad."
            )
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []
            hooks = self.grad_fn.hooks
            autograd.touch()  # backward passes look closer at the nodes made before now
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    # -- arithmetic (each line builds one node of the graph; a tensor operand skips the call to
    #    _operand, which checks and converts anything else: these lines run once per operation)

    def __add__(self, other: Any) -> Tensor:
        return F.Add.apply(self, other if isinstance(other, Tensor) else _operand(other, self, "+"))

    def __radd__(self, other: Any) -> Tensor:
        return F.Add.apply(other if isinstance(other, Tensor) else _operand(other, self, "+"), self)

    def __sub__(self, other: Any) -> Tensor:
        return F.Sub.apply(self, other if isinstance(other, Tensor) else _operand(other, self, "-"))

    def __rsub__(self, other: Any) -> Tensor:
        return F.Sub.apply(other if isinstance(other, Tensor) else _operand(other, self, "-"), self)

    def __mul__(self, other: Any) -> Tensor:
        return F.Mul.apply(self, other if isinstance(other, Tensor) else _operand(other, self, "*"))

    def __rmul__(self, other: Any) -> Tensor:
        return F.Mul.apply(other if isinstance(other, Tensor) else _operand(other, self, "*"), self)

    def __truediv__(self, other: Any) -> Tensor:
        return F.Div.apply(self, other if isinstance(other, Tensor) else _operand(other, self, "/"))

    def __rtruediv__(self, other: Any) -> Tensor:
        return F.Div.apply(other if isinstance(other, Tensor) else _operand(other, self, "/"), self)

    def __pow__(self, other: Any) -> Tensor:
        return F.Pow.apply(self, _operand(other, self, "**"))

    def __rpow__(self, other: Any) -> Tensor:
        return F.Pow.apply(_operand(other, self, "**"), self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.MatMul.apply(self, _operand(other, self, "@", numbers_ok=False))

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.MatMul.apply(_operand(other, self, "@", numbers_ok=False), self)

    def __neg__(self) -> Tensor:
        return F.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def matmul(self, other: Tensor) -> Tensor:
        return self @ other

    def exp(self) -> Tensor:
        return F.Exp.apply(self)

    def log(self) -> Tensor:
        return F.Log.apply(self)

    def tanh(self) -> Tensor:
        return F.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return F.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return F.ReLU.apply(self)

    def softmax(self, dim: int) -> Tensor:
        return F.Softmax.apply(self, dim=dim)

    def log_softmax(self, dim: int) -> Tensor:
        return F.LogSoftmax.apply(self, dim=dim)

    def sin(self) -> Tensor:
        return F.Sin.apply(self)

    def cos(self) -> Tensor:
        return F.Cos.apply(self)

    def abs(self) -> Tensor:
        return F.Abs.apply(self)

    def __abs__(self) -> Tensor:
        return F.Abs.apply(self)

    def sqrt(self) -> Tensor:
        return F.Sqrt.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002  (PyTorch's names)
        """Every number cut to [min, max] (either bound may be left out; tensors are allowed)."""
        if min is None and max is None:
            raise ValueError("clamp(): at least one of 'min' and 'max' must be given.")
        return F.Clamp.apply(self, min, max)

    clip = clamp

    def maximum(self, other: Tensor) -> Tensor:
        """The larger of the two, number by number (broadcasting as for ``+``)."""
        return F.Maximum.apply(self, _operand(other, self, "maximum"))

    def minimum(self, other: Tensor) -> Tensor:
        """The smaller of the two, number by number (broadcasting as for ``+``)."""
        return F.Minimum.apply(self, _operand(other, self, "minimum"))

    # -- reductions ------------------------------------------------------------------------------

    def sum(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        return F.Sum.apply(self, dim=dim, keepdim=keepdim)

    def mean(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        if not self.dtype.is_floating_point:
            raise DTypeError(
                f"mean() needs a floating-point tensor, got {self.dtype.name}: use t.float()."
            )
        return F.Mean.apply(self, dim=dim, keepdim=keepdim)

    def max(self, dim: int | None = None, keepdim: bool = False) -> Tensor | MaxResult:
        """The largest number; with ``dim``, a ``(values, indices)`` pair as in PyTorch."""
        if dim is not None and not isinstance(dim, int):
            raise TypeError(
                f"max(dim=...) takes one dimension (an int), not {dim!r}, as in PyTorch: reduce "
                f"one dimension at a time, e.g. t.max(dim=0).values.max(dim=0).values."
            )
        values = F.Max.apply(self, dim=dim, keepdim=keepdim)
        if dim is None:
            return values
        return MaxResult(values, self.argmax(dim=dim, keepdim=keepdim))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        xp = backend.namespace_of(self.data).xp
        if dim is None:
            found = xp.argmax(xp.reshape(self.data, (-1,)))
        else:
            dim = F.normalize_dim(dim, self.ndim, "argmax")
            found = xp.argmax(self.data, axis=dim, keepdims=keepdim)
        return Tensor._from_op(backend.namespace_of(found).ensure_array(found), None)

    def min(self, dim: int | None = None, keepdim: bool = False) -> Tensor | MaxResult:
        """The smallest number; with ``dim``, a ``(values, indices)`` pair as in PyTorch."""
        if dim is not None and not isinstance(dim, int):
            raise TypeError(
                f"min(dim=...) takes one dimension (an int), not {dim!r}, as in PyTorch."
            )
        values = F.Min.apply(self, dim=dim, keepdim=keepdim)
        if dim is None:
            return values
        return MaxResult(values, self.argmin(dim=dim, keepdim=keepdim))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        xp = backend.namespace_of(self.data).xp
        if dim is None:
            found = xp.argmin(xp.reshape(self.data, (-1,)))
        else:
            dim = F.normalize_dim(dim, self.ndim, "argmin")
            found = xp.argmin(self.data, axis=dim, keepdims=keepdim)
        return Tensor._from_op(backend.namespace_of(found).ensure_array(found), None)

    def var(self, dim: int | tuple[int, ...] | None = None, *, correction: float = 1,
            keepdim: bool = False) -> Tensor:
        """The variance: sum((t - mean)^2) / (n - correction) (``correction=0``: divide by n)."""
        return F.Var.apply(self, dim=dim, keepdim=keepdim, correction=correction)

    def std(self, dim: int | tuple[int, ...] | None = None, *, correction: float = 1,
            keepdim: bool = False) -> Tensor:
        """The standard deviation: ``sqrt(var(...))``."""
        return F.Std.apply(self, dim=dim, keepdim=keepdim, correction=correction)

    # -- shapes ----------------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """The same numbers in another shape (one size may be -1: whatever fits)."""
        return F.Reshape.apply(self, shape=_sizes(shape))

    def view(self, *shape: Any) -> Tensor:
        """Like ``reshape`` (autogradlab has no memory layouts to worry about)."""
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge the dimensions ``start_dim`` to ``end_dim`` into one (all of them by default)."""
        if self.ndim == 0:
            return self.reshape(1)
        start = F.normalize_dim(start_dim, self.ndim, "flatten")
        end = F.normalize_dim(end_dim, self.ndim, "flatten")
        shape = self.shape
        return self.reshape(*shape[:start], -1, *shape[end + 1:])

    def unsqueeze(self, dim: int) -> Tensor:
        """A new axis of size 1 at ``dim`` (from ``-ndim-1`` to ``ndim``)."""
        dim = F.normalize_dim(dim, self.ndim, "unsqueeze", extra=1)
        shape = list(self.shape)
        shape.insert(dim, 1)
        return F.Reshape.apply(self, shape=tuple(shape), label="UnsqueezeBackward0")

    def squeeze(self, dim: int | None = None) -> Tensor:
        """Remove axes of size 1 (only ``dim``, if given; an axis of another size stays)."""
        if dim is None:
            shape = tuple(s for s in self.shape if s != 1)
            return F.Reshape.apply(self, shape=shape, label="SqueezeBackward0")
        dim = F.normalize_dim(dim, self.ndim, "squeeze")
        shape = tuple(s for i, s in enumerate(self.shape) if i != dim or s != 1)
        return F.Reshape.apply(self, shape=shape, label="SqueezeBackward1")

    def expand(self, *sizes: Any) -> Tensor:
        """Stretch axes of size 1 to a bigger size without copying (-1 keeps a size)."""
        return F.Expand.apply(self, shape=_sizes(sizes))

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], tuple | list):
            dims = tuple(dims[0])
        axes = tuple(F.normalize_dim(d, self.ndim, "permute") for d in dims)
        if sorted(axes) != list(range(self.ndim)):
            raise ShapeError(
                f"permute needs each of the {self.ndim} dimensions exactly once, got {dims}."
            )
        return F.Permute.apply(self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        axes = list(range(self.ndim))
        dim0 = F.normalize_dim(dim0, self.ndim, "transpose")
        dim1 = F.normalize_dim(dim1, self.ndim, "transpose")
        if self.ndim:
            axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return F.Permute.apply(self, axes=tuple(axes), kind="Transpose")

    def t(self) -> Tensor:
        """Transpose a matrix (a 0-d or 1-d tensor is returned as it is)."""
        if self.ndim > 2:
            raise ValueError(
                f"t() is for matrices, but this tensor has {self.ndim} dimensions; use "
                f"transpose(dim0, dim1) or permute(...)."
            )
        return self if self.ndim < 2 else F.Permute.apply(self, axes=(1, 0), kind="T")

    @property
    def T(self) -> Tensor:  # noqa: N802  (PyTorch's name)
        """All dimensions reversed (for a matrix: the transpose)."""
        if self.ndim < 2:
            return self
        return F.Permute.apply(self, axes=tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        """The last two dimensions swapped (a batch of matrices, each transposed)."""
        return self.transpose(-2, -1)

    def __getitem__(self, key: Any) -> Tensor:
        return F.Index.apply(self, key=_index_key(key, self))

    # -- comparisons (no gradients: the answers are true/false) ---------------------------------

    def _compare(self, other: Any, how: Callable[[Array, Any], Array]) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        result = how(self.data, other)
        return Tensor._from_op(backend.namespace_of(result).ensure_array(result), None)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, lambda a, b: a >= b)

    # -- in-place changes ----------------------------------------------------------------------

    def _modify_in_place(self, change: Callable[[Array], Array], name: str) -> Tensor:
        """Change ``.data`` in place, after checking that no gradient can go wrong because of it.

        Differs from PyTorch: an in-place method (``add_``) on a tensor computed by a tracked
        operation raises instead of rewriting its history, to keep the graph easy to follow.
        """
        if self.grad_fn is not None and autograd.is_grad_enabled():
            raise InPlaceError(
                f"{name}() would change, in place, a tensor made by {self.grad_fn.name()} that "
                f"is part of a graph. autogradlab keeps graphs simple and does not rewrite "
                f"history: write the out-of-place version instead (y = y * 2, not y.mul_(2))."
            )
        if self.requires_grad and self.grad_fn is None and autograd.is_grad_enabled():
            raise InPlaceError(
                f"{name}() on a leaf tensor that requires grad ({autograd.describe(self)}): "
                f"changing it in place while the graph is recorded would break the gradient. "
                f"Do updates inside `with ag.no_grad():` (or on .data), as optimizers do."
            )
        result = change(self.data)
        if result is not None:
            self.data = result
        self._counter().bump()  # backward compares the stamp of this change with its nodes'
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> Tensor:
        value = _raw(other)
        return self._modify_in_place(lambda d: _iadd(d, value * alpha if alpha != 1 else value),
                                     "add_")

    def sub_(self, other: Any, alpha: float = 1.0) -> Tensor:
        value = _raw(other)
        return self._modify_in_place(lambda d: _isub(d, value * alpha if alpha != 1 else value),
                                     "sub_")

    def mul_(self, other: Any) -> Tensor:
        value = _raw(other)
        return self._modify_in_place(lambda d: _imul(d, value), "mul_")

    def div_(self, other: Any) -> Tensor:
        value = _raw(other)
        return self._modify_in_place(lambda d: _idiv(d, value), "div_")

    def zero_(self) -> Tensor:
        return self._modify_in_place(lambda d: _setall(d, 0), "zero_")

    def fill_(self, value: float) -> Tensor:
        return self._modify_in_place(lambda d: _setall(d, value), "fill_")

    def copy_(self, source: Tensor) -> Tensor:
        value = _raw(source)
        return self._modify_in_place(lambda d: _setall(d, value), "copy_")

    def __setitem__(self, key: Any, value: Any) -> None:
        raw, index = _raw(value), _index_key(key, self)

        def assign(d: Array) -> None:
            d[index] = raw

        self._modify_in_place(assign, "__setitem__")

    def _in_place_or_new(self, other: Any, method: str, operator: Callable) -> Tensor:
        # `y += 1` on a tensor in a graph makes a new node instead (see _modify_in_place)
        if self.grad_fn is not None and autograd.is_grad_enabled():
            return operator(self, other)
        return getattr(self, method)(other)

    def __iadd__(self, other: Any) -> Tensor:
        return self._in_place_or_new(other, "add_", Tensor.__add__)

    def __isub__(self, other: Any) -> Tensor:
        return self._in_place_or_new(other, "sub_", Tensor.__sub__)

    def __imul__(self, other: Any) -> Tensor:
        return self._in_place_or_new(other, "mul_", Tensor.__mul__)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._in_place_or_new(other, "div_", Tensor.__truediv__)

    # -- printing ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        host = backend.to_host(self.data)
        name = self.grad_fn.name() if self.grad_fn is not None else None
        return _format.tensor_repr(
            host, self.dtype.name, str(self.device), self.requires_grad, name
        )

    def __format__(self, spec: str) -> str:
        if spec and self.numel() == 1:
            return format(self.item(), spec)
        return repr(self)


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def _operand(other: Any, like: Tensor, symbol: str, numbers_ok: bool = True) -> Any:
    """What may stand on the other side of an operator: a tensor, or a Python number."""
    if isinstance(other, Tensor):
        return other
    if type(other) in _NUMBER_TYPES and numbers_ok:
        return other
    if isinstance(other, numbers.Number) and not isinstance(other, complex) and numbers_ok:
        return other.item() if hasattr(other, "item") else float(other)
    if isinstance(other, list | tuple) or hasattr(other, "__array_interface__"):
        host = backend.host_array(other, like.dtype if like.dtype.is_floating_point else None)
        return Tensor(host).to(like.device)
    raise TypeError(
        f"unsupported operand for '{symbol}': a Tensor and {type(other).__name__} {other!r}. "
        f"Use a number, a list of numbers or another Tensor"
        + ("" if numbers_ok else " (matrix multiplication needs a Tensor on both sides)")
        + "."
    )


_UFUNC_OPERATORS = {
    "add": operator.add,
    "subtract": operator.sub,
    "multiply": operator.mul,
    "divide": operator.truediv,
    "true_divide": operator.truediv,
    "power": operator.pow,
    "matmul": operator.matmul,
    "equal": operator.eq,
    "not_equal": operator.ne,
    "less": operator.lt,
    "less_equal": operator.le,
    "greater": operator.gt,
    "greater_equal": operator.ge,
}


def _sizes(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _raw(value: Any) -> Any:
    return value.data if isinstance(value, Tensor) else value


def _index_key(key: Any, like: Tensor) -> Any:
    """Turn tensors and lists inside an index into arrays of ``like``'s library."""
    if isinstance(key, tuple):
        return tuple(_index_key(part, like) for part in key)
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, list):
        host = backend.host_array(key, backend.int64 if key and not isinstance(key[0], bool)
                                  else None)
        return backend.namespace_of(like.data).from_host(host, like.device)
    return key


def _iadd(d: Array, v: Any) -> None:
    d += v


def _isub(d: Array, v: Any) -> None:
    d -= v


def _imul(d: Array, v: Any) -> None:
    d *= v


def _idiv(d: Array, v: Any) -> None:
    d /= v


def _setall(d: Array, v: Any) -> None:
    d[...] = v


from . import functions as F  # noqa: E402  (the operations need Tensor defined first)
