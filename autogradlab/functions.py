"""Every differentiable operation, one small class each: the forward rule and the local derivative.

How to read this file
---------------------
Backpropagation is the chain rule applied one node at a time. A node ``out = f(a, b)`` receives
``grad = dL/d(out)`` from the nodes after it and must send ``dL/da`` and ``dL/db`` to the nodes
before it. The chain rule says::

    dL/da = dL/d(out) * d(out)/da        (upstream gradient x local derivative)

so every class below only needs to know its own *local derivative* ``d(out)/d(input)``.

* ``forward`` computes the result from plain arrays and keeps what ``backward`` will need with
  ``self.save_for_backward(...)`` (read back as ``self.saved_tensors``), exactly as a PyTorch
  ``autograd.Function`` does. Nothing else is kept, so the engine knows what a node holds on to.
* Elementwise operations (``+ - * / **``, ``exp``, ``tanh``, ...) list their local derivatives in
  ``local_derivatives()``; the shared ``backward`` multiplies each by ``grad`` and, where the
  forward pass broadcast a smaller input, sums the gradient back to that input's shape.
* The other operations (``matmul``, ``sum``, ``reshape``, indexing, ``softmax``) write
  ``backward`` out directly, because their local derivative is a whole matrix (a Jacobian) that
  it would be wasteful to build: ``matmul`` sends ``grad @ B.T`` instead of multiplying by it.

Arrays are reached only through ``xp``, the array namespace of the values at hand (NumPy, CuPy
or the strict array API reference), so this file never imports ``numpy`` or ``cupy``. The same
``backward`` code also runs on Tensors (``xp`` is then :mod:`autogradlab.tensor_xp`): that is how
``backward(create_graph=True)`` records the backward pass as a graph of its own, so that
gradients of gradients work for every operation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .autograd import Node
from .backend import NUMPY, namespace_of
from .errors import ShapeError

Array = Any
Axis = int | tuple[int, ...] | None
_NDARRAY, _NUMPY_XP = NUMPY.array_type, NUMPY.xp


def xp_of(*values: Any) -> Any:
    """The array namespace of the first array (or Tensor) among ``values``; numbers are skipped."""
    for value in values:
        if type(value) is _NDARRAY:  # the usual case, answered first
            return _NUMPY_XP
        if isinstance(value, Tensor):
            return tensor_xp
        if hasattr(value, "shape"):
            return namespace_of(value).xp
    raise TypeError("an operation needs at least one tensor among its inputs")


def raw(value: Any) -> Any:
    """The plain array behind a value: for masks and indices, which carry no gradient."""
    return value._data if isinstance(value, Tensor) else value


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` back down to ``shape``: the backward pass of broadcasting.

    If the forward pass stretched an input of shape ``(3, 1)`` to ``(2, 3, 4)``, each of its
    numbers was used 2 * 4 times, so its gradient is the sum over those copies: sum over the new
    leading axis, and over the axis where the size was 1 (keeping it as size 1).
    """
    if grad.shape == shape:
        return grad
    xp = xp_of(grad)
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    if extra:
        grad = xp.reshape(grad, tuple(shape))
    return grad


def constant_for(value: Any, grad: Any) -> Any:
    """A plain array (a mask, a one-hot) as a constant Tensor when ``grad`` is a Tensor
    (create_graph), so that ``grad * value`` works for every array library, not only NumPy."""
    if isinstance(grad, Tensor) and hasattr(value, "shape") and not isinstance(value, Tensor):
        return Tensor._from_op(value, None)
    return value


def shape_of(value: Any) -> tuple[int, ...]:
    return tuple(getattr(value, "shape", ()))


def normalize_dim(dim: int, ndim: int, op: str = "this operation", extra: int = 0) -> int:
    """``dim`` as a positive axis, or a clear error when it is out of range (as PyTorch does).

    ``extra`` is 1 for operations that add an axis (``unsqueeze``, ``stack``): they accept one
    more position than the tensor has dimensions.
    """
    size = max(ndim + extra, 1)
    if isinstance(dim, bool) or not isinstance(dim, int) and not hasattr(dim, "__index__"):
        raise TypeError(f"{op} takes a whole number as dim, not {dim!r}.")
    dim = int(dim)
    if not -size <= dim < size:
        raise ShapeError(
            f"dim={dim} is out of range for {op} on a tensor with {ndim} dimension(s): use a "
            f"value from {-size} to {size - 1} (negative values count from the end)."
        )
    return dim % size


# ============================================================================================
# Elementwise operations
# ============================================================================================


class Elementwise(Node):
    """An operation applied number by number, so each output depends on one number per input.

    Its local derivative is then also an array of numbers (one per element), and the chain rule
    is a plain product: ``contribution = grad * local``.
    """

    saves_at_most_output_size = True  # what it saves is an input, the output, or a mask
    #: True when ``local_derivatives`` computes new arrays each time (``cos(a)``, a mask), never
    #: handing back a saved one: ``backward`` may then multiply the gradient into that array in
    #: place, saving one more array of the output's size (memory, and time at scale)
    fresh_locals: bool = False

    def local_derivatives(self) -> tuple[Any, ...]:
        """d(out)/d(input) for each input, as arrays (or numbers)."""
        raise NotImplementedError

    def local_derivative(self, index: int) -> Any:
        return self.local_derivatives()[index]

    def backward(self, grad: Array) -> Sequence[Array | None]:
        """The chain rule, number by number: each input gets ``grad * local``, summed back to the
        input's own shape where the forward pass broadcast it."""
        if grad.ndim == 0 and not isinstance(grad, Tensor):  # one number out, so one number in
            # each input: nothing was broadcast, and grad * local is a product of two numbers
            # (two inputs written out: this runs once per node of a graph of numbers)
            locals_, needs = self.local_derivatives(), self.needs_grad
            if len(needs) == 2:
                return (grad * locals_[0] if needs[0] else None,
                        grad * locals_[1] if needs[1] else None)
            return [grad * local if needed else None for local, needed in zip(locals_, needs)]
        if self.fresh_locals:  # one input (nothing broadcast) and a local derivative of our own
            (local,) = self.local_derivatives()
            if type(local) is type(grad) is not Tensor and local.dtype == grad.dtype and (
                    local.shape == grad.shape):
                local *= grad  # grad * local, written into local
                return (local,)
            return (grad * constant_for(local, grad),)
        grads = []
        for shape, local, needed in zip(self.input_shapes, self.local_derivatives(),
                                        self.needs_grad):
            grads.append(unbroadcast(grad * constant_for(local, grad), shape) if needed else None)
        return grads


class Add(Elementwise):
    """``a + b``: both local derivatives are 1, so the gradient passes through unchanged."""

    symbol = "+"
    formulas = ("d(a+b)/da = 1", "d(a+b)/db = 1")

    def forward(self, a: Array, b: Array) -> Array:
        return a + b

    def local_derivatives(self) -> tuple[float, float]:
        return 1.0, 1.0

    def backward(self, grad: Array) -> Sequence[Array | None]:
        # multiplying by 1 would only copy: hand the gradient on (summed back if broadcast)
        if grad.ndim == 0:  # one number: nothing was broadcast
            first, second = self.needs_grad
            return (grad if first else None, grad if second else None)
        return [
            unbroadcast(grad, shape) if needed else None
            for shape, needed in zip(self.input_shapes, self.needs_grad)
        ]


class Sub(Elementwise):
    """``a - b``: local derivatives 1 and -1."""

    symbol = "-"
    formulas = ("d(a-b)/da = 1", "d(a-b)/db = -1")

    def forward(self, a: Array, b: Array) -> Array:
        return a - b

    def local_derivatives(self) -> tuple[float, float]:
        return 1.0, -1.0

    def name(self) -> str:
        # PyTorch's name for number - tensor is "reverse sub"
        return "SubBackward0" if hasattr(self.inputs[0], "shape") else "RsubBackward1"

    def backward(self, grad: Array) -> tuple[Array | None, ...]:
        a_shape, b_shape = self.input_shapes
        return (
            unbroadcast(grad, a_shape) if self.needs_grad[0] else None,
            unbroadcast(-grad, b_shape) if self.needs_grad[1] else None,
        )


class Mul(Elementwise):
    """``a * b``: the derivative with respect to one factor is the other factor."""

    symbol = "*"
    formulas = ("d(a*b)/da = b", "d(a*b)/db = a")

    def forward(self, a: Array, b: Array) -> Array:
        self.save_for_backward(a, b)
        return a * b

    def local_derivatives(self) -> tuple[Any, Any]:
        a, b = self.saved_tensors
        return b, a


class Div(Elementwise):
    """``a / b``: d/da = 1/b and d/db = -a/b**2 (which is -out/b)."""

    symbol = "/"
    formulas = ("d(a/b)/da = 1/b", "d(a/b)/db = -a/b**2")

    def forward(self, a: Array, b: Array) -> Array:
        out = a / b
        self.save_for_backward(b, out)
        return out

    def local_derivatives(self) -> tuple[Any, Any]:
        b, out = self.saved_tensors
        return 1.0 / b, -out / b


class Neg(Elementwise):
    """``-a``: local derivative -1."""

    symbol = "neg"
    formulas = ("d(-a)/da = -1",)

    def forward(self, a: Array) -> Array:
        return -a

    def local_derivatives(self) -> tuple[float]:
        return (-1.0,)

    def backward(self, grad: Array) -> tuple[Array]:
        return (-grad,)


class Pow(Elementwise):
    """``a ** b``: d/da = b * a**(b-1) and, when the exponent is a tensor, d/db = out * log(a).

    Two limits follow PyTorch: where ``b == 0`` the derivative for ``a`` is 0 (``a**0`` is the
    constant 1, even at ``a = 0`` where ``0 * 0**-1`` would be nan), and where ``a == 0`` and
    ``b >= 0`` the derivative for ``b`` is 0 (not ``0 * log(0) = nan``). For ``a < 0`` the
    logarithm does not exist and that derivative is nan, as in PyTorch.
    """

    symbol = "**"
    formulas = ("d(a**b)/da = b * a**(b-1)", "d(a**b)/db = a**b * log(a)")

    def forward(self, a: Array, b: Array) -> Array:
        out = a**b
        self.save_for_backward(a, b, out)
        return out

    def name(self) -> str:
        # PyTorch's names: tensor ** number, tensor ** tensor, number ** tensor
        a, b = self.inputs
        return "PowBackward2" if not hasattr(a, "shape") else (
            "PowBackward1" if hasattr(b, "shape") else "PowBackward0")

    def local_derivatives(self) -> tuple[Any, Any]:
        a, b, out = self.saved_tensors
        d_base = d_exponent = None
        if self.needs_grad[0]:
            if hasattr(b, "shape"):
                d_base = where(raw(b) == 0, 0.0, b * a ** (b - 1))
            else:
                d_base = b * a ** (b - 1) if b != 0 else zeros_like(a)
        if self.needs_grad[1]:
            log_a = xp_of(a).log(a) if hasattr(a, "shape") else _log_of_number(a)
            base_is_zero = (raw(a) == 0) if hasattr(a, "shape") else a == 0
            d_exponent = where(base_is_zero & (raw(b) >= 0), 0.0, out * log_a)
        return d_base, d_exponent


def _log_of_number(a: float) -> float:
    """log(a) for a Python number base: -inf at 0 (its term is zeroed later), nan below 0."""
    if a > 0:
        return math.log(a)
    return -math.inf if a == 0 else math.nan


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` holds, else ``b``. The condition is a plain boolean array (it
    carries no gradient); ``a`` and ``b`` may be arrays, numbers or, under create_graph, Tensors."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return tensor_xp.where(condition, a, b)
    return xp_of(condition, a, b).where(condition, a, b)


class Where(Node):
    """``ag.where(condition, a, b)``: ``a`` where the condition holds, else ``b``.

    The gradient follows the numbers: ``a`` gets ``grad`` where the condition held (0 elsewhere),
    ``b`` the rest. The condition itself is true/false and has no gradient.
    """

    symbol = "where"
    formulas = ("", "d/da = 1 where condition, else 0", "d/db = 0 where condition, else 1")

    def forward(self, condition: Array, a: Array, b: Array) -> Array:
        self.condition = condition
        return xp_of(a, b, condition).where(condition, a, b)

    def local_derivative(self, index: int) -> Any:
        xp = xp_of(self.condition)
        mask = xp.astype(self.condition, xp.float32)
        return mask if index == 1 else 1.0 - mask

    def backward(self, grad: Array) -> tuple[None, Array | None, Array | None]:
        _, a_shape, b_shape = self.input_shapes
        zero = zeros_like(grad)
        return (
            None,
            unbroadcast(where(self.condition, grad, zero), a_shape)
            if self.needs_grad[1] else None,
            unbroadcast(where(self.condition, zero, grad), b_shape)
            if self.needs_grad[2] else None,
        )


def zeros_like(x: Any) -> Any:
    """Zeros of ``x``'s shape and dtype (a constant: no gradient flows through it)."""
    if isinstance(x, Tensor):
        return Tensor._from_op(xp_of(x._data).zeros_like(x._data), None)
    return xp_of(x).zeros_like(x)


class Exp(Elementwise):
    """``exp(a)``: its own derivative, so backward reuses the output."""

    symbol = "exp"
    formulas = ("d exp(a)/da = exp(a)",)

    def forward(self, a: Array) -> Array:
        out = xp_of(a).exp(a)
        self.save_for_backward(out)
        return out

    def local_derivatives(self) -> tuple[Array]:
        return self.saved_tensors


class Log(Elementwise):
    """``log(a)``: local derivative 1/a."""

    fresh_locals = True

    symbol = "log"
    formulas = ("d log(a)/da = 1/a",)

    def forward(self, a: Array) -> Array:
        self.save_for_backward(a)
        return xp_of(a).log(a)

    def local_derivatives(self) -> tuple[Array]:
        (a,) = self.saved_tensors
        return (1.0 / a,)


class Tanh(Elementwise):
    """``tanh(a)``: local derivative 1 - tanh(a)**2, computed from the output."""

    fresh_locals = True

    symbol = "tanh"
    formulas = ("d tanh(a)/da = 1 - tanh(a)**2",)

    def forward(self, a: Array) -> Array:
        out = xp_of(a).tanh(a)
        self.save_for_backward(out)
        return out

    def local_derivatives(self) -> tuple[Array]:
        (out,) = self.saved_tensors
        return (1.0 - out * out,)


class Sigmoid(Elementwise):
    """``sigmoid(a) = 1 / (1 + exp(-a))``: local derivative s * (1 - s).

    Computed from ``e = exp(-|a|)``, which never overflows: ``1 / (1 + e)`` for ``a >= 0`` and
    ``e / (1 + e)`` for ``a < 0``. Both are exact to the last digit even far out in the tails,
    where ``1 / (1 + exp(-a))`` would overflow and ``(tanh(a/2) + 1) / 2`` would round to 0
    (float32 ``sigmoid(-20)`` is 2.06e-09, not 0, so ``log(sigmoid(-40))`` is -40, not -inf).
    """

    fresh_locals = True

    symbol = "sigmoid"
    formulas = ("d sigmoid(a)/da = s * (1 - s)",)

    def forward(self, a: Array) -> Array:
        xp = xp_of(a)
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        self.save_for_backward(out)
        return out

    def local_derivatives(self) -> tuple[Array]:
        (out,) = self.saved_tensors
        return (out * (1.0 - out),)


class ReLU(Elementwise):
    """``relu(a) = max(a, 0)``: local derivative 1 where a > 0, else 0."""

    fresh_locals = True

    symbol = "relu"
    formulas = ("d relu(a)/da = 1 if a > 0 else 0",)

    def forward(self, a: Array) -> Array:
        out = xp_of(a).maximum(a, 0.0)
        self.save_for_backward(out)  # PyTorch saves the result: out > 0 exactly where a > 0
        return out

    def local_derivatives(self) -> tuple[Array]:
        out = raw(self.saved_tensors[0])
        return (xp_of(out).astype(out > 0, out.dtype),)

    @classmethod
    def backward_name(cls) -> str:
        return "ReluBackward0"  # PyTorch's spelling


class Sin(Elementwise):
    """``sin(a)``: local derivative cos(a)."""

    fresh_locals = True

    symbol = "sin"
    formulas = ("d sin(a)/da = cos(a)",)

    def forward(self, a: Array) -> Array:
        self.save_for_backward(a)
        return xp_of(a).sin(a)

    def local_derivatives(self) -> tuple[Array]:
        (a,) = self.saved_tensors
        return (xp_of(a).cos(a),)


class Cos(Elementwise):
    """``cos(a)``: local derivative -sin(a)."""

    fresh_locals = True

    symbol = "cos"
    formulas = ("d cos(a)/da = -sin(a)",)

    def forward(self, a: Array) -> Array:
        self.save_for_backward(a)
        return xp_of(a).cos(a)

    def local_derivatives(self) -> tuple[Array]:
        (a,) = self.saved_tensors
        return (-xp_of(a).sin(a),)


class Abs(Elementwise):
    """``|a|``: local derivative sign(a): 1, -1, and 0 at a = 0 (as in PyTorch)."""

    fresh_locals = True

    symbol = "abs"
    formulas = ("d|a|/da = sign(a)",)

    def forward(self, a: Array) -> Array:
        self.save_for_backward(a)
        return xp_of(a).abs(a)

    def local_derivatives(self) -> tuple[Array]:
        a = raw(self.saved_tensors[0])
        return (xp_of(a).sign(a),)


class Sqrt(Elementwise):
    """``sqrt(a)``: local derivative 1 / (2 sqrt(a)), computed from the output."""

    fresh_locals = True

    symbol = "sqrt"
    formulas = ("d sqrt(a)/da = 1 / (2 sqrt(a))",)

    def forward(self, a: Array) -> Array:
        out = xp_of(a).sqrt(a)
        self.save_for_backward(out)
        return out

    def local_derivatives(self) -> tuple[Array]:
        (out,) = self.saved_tensors
        return (0.5 / out,)


def _mask(condition: Array, like: Array) -> Array:
    """A true/false array as 1.0/0.0 in ``like``'s dtype (a constant: it has no gradient)."""
    like = raw(like)
    return xp_of(like).astype(condition, like.dtype)


class Clamp(Elementwise):
    """``a.clamp(min, max)``: ``a`` cut to [min, max]. Local derivative 1 inside (the ends
    included, as in PyTorch), 0 where a bound took over; a tensor bound gets the gradient
    where it took over."""

    symbol = "clamp"
    formulas = ("d clamp(a)/da = 1 if min <= a <= max else 0", "1 where a < min", "1 where a > max")

    def forward(self, a: Array, low: Any = None, high: Any = None) -> Array:
        if low is None and high is None:
            raise ValueError("clamp needs at least one of min= and max=.")
        self.save_for_backward(a, low, high)
        xp, out = xp_of(a), a
        if low is not None:
            out = xp.maximum(out, low)
        if high is not None:
            out = xp.minimum(out, high)
        return out

    def name(self) -> str:
        bounds = self.inputs[1:]
        return "ClampBackward0" if any(hasattr(b, "shape") for b in bounds) else "ClampBackward1"

    def local_derivatives(self) -> tuple[Any, Any, Any]:
        a, low, high = (raw(v) for v in self.saved_tensors)
        above = (a >= low) if low is not None else a == a
        below = (a <= high) if high is not None else a == a
        d_low = _mask(~above, a) if low is not None else None
        d_high = _mask(above & ~below, a) if high is not None else None
        return _mask(above & below, a), d_low, d_high


class Maximum(Elementwise):
    """``maximum(a, b)``: the gradient goes to the larger one; on a tie each gets half (PyTorch)."""

    symbol = "maximum"
    formulas = ("1 where a > b, 1/2 where a == b", "1 where b > a, 1/2 where a == b")
    bigger = True

    def forward(self, a: Array, b: Array) -> Array:
        self.save_for_backward(a, b)
        xp = xp_of(a, b)
        return xp.maximum(a, b) if self.bigger else xp.minimum(a, b)

    def local_derivatives(self) -> tuple[Array, Array]:
        a, b = (raw(v) for v in self.saved_tensors)
        like = a if hasattr(a, "shape") else b
        wins = _mask(a > b if self.bigger else a < b, like)
        tie = _mask(a == b, like) * 0.5
        return wins + tie, (1.0 - wins - tie)


class Minimum(Maximum):
    """``minimum(a, b)``: the gradient goes to the smaller one; on a tie each gets half."""

    symbol = "minimum"
    formulas = ("1 where a < b, 1/2 where a == b", "1 where b < a, 1/2 where a == b")
    bigger = False


class LeakyRelu(Elementwise):
    """``leaky_relu(a) = a if a > 0 else slope * a``: local derivative 1 or ``slope``."""

    fresh_locals = True

    symbol = "leaky_relu"
    formulas = ("d/da = 1 if a > 0 else negative_slope",)

    def forward(self, a: Array, negative_slope: float = 0.01) -> Array:
        self.save_for_backward(a)
        self.slope = negative_slope
        return xp_of(a).where(a > 0, a, a * negative_slope)

    def local_derivatives(self) -> tuple[Array]:
        a = raw(self.saved_tensors[0])
        positive = _mask(a > 0, a)
        return (positive + self.slope * (1.0 - positive),)


def _erf_array(x: Array) -> Array:
    """The error function on plain arrays (NumPy has none), accurate to about 1e-14.

    Near 0 its Taylor series, 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)); beyond |x| = 3 the
    continued fraction erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
    Computed in float64 (the series cancels digits near |x| = 3) and returned in x's dtype.
    """
    xp, dtype = xp_of(x), x.dtype
    x = xp.astype(x, xp.float64)
    small = xp.where(xp.abs(x) < 3.0, x, 0.0)
    term, total = small, small
    for n in range(1, 60):
        term = -term * small * small / n
        total = total + term / (2 * n + 1)
    series = total * (2.0 / math.sqrt(math.pi))
    big = xp.where(xp.abs(x) < 3.0, 3.0, xp.abs(x))
    fraction = big
    for k in range(80, 0, -1):
        fraction = big + (k / 2.0) / fraction
    tail = 1.0 - xp.exp(-big * big) / (math.sqrt(math.pi) * fraction)
    return xp.astype(xp.where(xp.abs(x) < 3.0, series, xp.where(x < 0, -tail, tail)), dtype)


def erf(x: Any) -> Any:
    """erf on arrays, or (under create_graph) a differentiable ``Erf`` node on Tensors."""
    return Erf.apply(x) if isinstance(x, Tensor) else _erf_array(x)


class Erf(Elementwise):
    """``erf(a)``: local derivative 2/sqrt(pi) * exp(-a**2)."""

    fresh_locals = True

    symbol = "erf"
    formulas = ("d erf(a)/da = 2/sqrt(pi) exp(-a^2)",)

    def forward(self, a: Array) -> Array:
        self.save_for_backward(a)
        return _erf_array(a)

    def local_derivatives(self) -> tuple[Array]:
        (a,) = self.saved_tensors
        return (xp_of(a).exp(-a * a) * (2.0 / math.sqrt(math.pi)),)


def sigmoid(x: Any) -> Any:
    """The logistic function on arrays (stably), or a ``Sigmoid`` node on Tensors."""
    return Sigmoid.apply(x) if isinstance(x, Tensor) else Sigmoid().forward(x)


GELU_K = math.sqrt(2.0 / math.pi)


class Gelu(Elementwise):
    """``gelu(a) = a * Phi(a)``, Phi the normal distribution's CDF: local derivative
    Phi(a) + a * phi(a). ``approximate='tanh'`` uses Phi(a) ~ (1 + tanh(k (a + 0.044715 a^3)))/2."""

    fresh_locals = True

    symbol = "gelu"
    formulas = ("d gelu(a)/da = Phi(a) + a * phi(a)",)

    def forward(self, a: Array, approximate: str = "none") -> Array:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', not {approximate!r}.")
        self.save_for_backward(a)
        self.approximate = approximate
        return a * self.cdf(a)

    def cdf(self, a: Any) -> Any:
        if self.approximate == "tanh":
            return 0.5 * (1.0 + xp_of(a).tanh(GELU_K * (a + 0.044715 * a * a * a)))
        return 0.5 * (1.0 + erf(a * (1.0 / math.sqrt(2.0))))

    def local_derivatives(self) -> tuple[Array]:
        (a,) = self.saved_tensors
        xp = xp_of(a)
        if self.approximate == "tanh":
            t = xp.tanh(GELU_K * (a + 0.044715 * a * a * a))
            slope = GELU_K * (1.0 + 3 * 0.044715 * a * a)
            return (0.5 * (1.0 + t) + 0.5 * a * (1.0 - t * t) * slope,)
        density = xp.exp(-0.5 * a * a) * (1.0 / math.sqrt(2.0 * math.pi))
        return (self.cdf(a) + a * density,)


# ============================================================================================
# Matrix multiplication
# ============================================================================================


class MatMul(Node):
    """``A @ B`` for 1-D, 2-D and batched (broadcast) inputs.

    For 2-D inputs out[i, j] = sum_k A[i, k] * B[k, j], so
    dL/dA = grad @ B.T and dL/dB = A.T @ grad. A 1-D input is treated as a row (on the left) or
    a column (on the right) and the extra axis is removed again at the end.
    """

    symbol = "@"
    formulas = ("dL/dA = grad @ B.T", "dL/dB = A.T @ grad")

    def forward(self, a: Array, b: Array) -> Array:
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                f"matmul needs at least one dimension on both sides, but got shapes "
                f"{shape_of(a)} and {shape_of(b)}: a 0-d tensor is a single number. Multiply "
                f"by it with * instead of @."
            )
        self.save_for_backward(a, b)
        return a @ b

    def name(self) -> str:
        # PyTorch names matmul after the product it really does
        a, b = self.inputs
        kinds = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}
        return kinds.get((a.ndim, b.ndim), "MatMulBackward0")

    def backward(self, grad: Array) -> tuple[Array | None, Array | None]:
        xp = xp_of(grad)
        a, b = self.saved_tensors
        a2 = xp.expand_dims(a, axis=0) if a.ndim == 1 else a
        b2 = xp.expand_dims(b, axis=-1) if b.ndim == 1 else b
        g = grad
        # put back the axes the 1-D inputs lost: the column axis first, so that for 1-D @ 1-D
        # the 0-d gradient becomes (1,) and then the (1, 1) matrix of a row times a column
        if b.ndim == 1:
            g = xp.expand_dims(g, axis=-1)
        if a.ndim == 1:
            g = xp.expand_dims(g, axis=-2)
        grad_a = grad_b = None
        if self.needs_grad[0]:
            grad_a = g @ b2.mT
            if a.ndim == 1:
                grad_a = xp.squeeze(grad_a, axis=-2)
            grad_a = unbroadcast(grad_a, shape_of(a))
        if self.needs_grad[1]:
            grad_b = a2.mT @ g
            if b.ndim == 1:
                grad_b = xp.squeeze(grad_b, axis=-1)
            grad_b = unbroadcast(grad_b, shape_of(b))
        return grad_a, grad_b

    def explain_failure(self, inputs: Any, error: Exception) -> Exception:
        a, b = (shape_of(x) for x in inputs)
        if a and b and a[-1] != b[-2 if len(b) > 1 else 0]:
            inner = b[-2] if len(b) > 1 else b[0]
            return ShapeError(
                f"matmul cannot multiply shapes {a} and {b}: the last size of the left one "
                f"({a[-1]}) must equal the {'second-to-last' if len(b) > 1 else 'only'} size "
                f"of the right one ({inner}). Did you mean to transpose one of them (b.T)?"
            )
        return super().explain_failure(inputs, error)


class Linear(Node):
    """``x @ W.T + b`` in one node (what ``nn.Linear`` does): PyTorch's ``AddmmBackward0``.

    dL/dx = grad @ W, dL/dW = grad.T @ x, dL/db = grad summed over the batch.
    """

    symbol = "linear"
    formulas = ("dL/dx = grad @ W", "dL/dW = grad.T @ x", "dL/db = sum of grad over the batch")

    def name(self) -> str:
        # PyTorch: a batch (2-D) with a bias is one fused "add + matrix multiply" (addmm)
        if self.inputs[0].ndim == 2:
            return "AddmmBackward0" if len(self.inputs) > 2 else "MmBackward0"
        return "LinearBackward0"

    def forward(self, x: Array, weight: Array, bias: Array | None = None) -> Array:
        self.save_for_backward(x, weight)
        out = x @ weight.mT
        if bias is not None:
            out += bias  # out is a fresh array: adding in place saves a temporary
        return out

    def backward(self, grad: Array) -> tuple[Array | None, ...]:
        xp = xp_of(grad)
        x, weight = self.saved_tensors
        grad_x = grad @ weight if self.needs_grad[0] else None
        flat_grad = xp.reshape(grad, (-1, grad.shape[-1])) if grad.ndim != 2 else grad
        grad_w = grad_b = None
        if self.needs_grad[1]:
            flat_x = xp.reshape(x, (-1, x.shape[-1])) if x.ndim != 2 else x
            grad_w = flat_grad.mT @ flat_x
        if len(self.needs_grad) > 2 and self.needs_grad[2]:
            grad_b = xp.sum(flat_grad, axis=0)
        return grad_x, grad_w, grad_b

    def explain_failure(self, inputs: Any, error: Exception) -> Exception:
        x, weight = inputs[0], inputs[1]
        if shape_of(x)[-1:] != shape_of(weight)[-1:]:
            return ShapeError(
                f"linear layer expects inputs with {shape_of(weight)[-1]} features in the last "
                f"axis, but got a tensor of shape {shape_of(x)}."
            )
        return super().explain_failure(inputs, error)


# ============================================================================================
# Reductions
# ============================================================================================


def normalize_axes(dim: Axis, ndim: int) -> tuple[int, ...]:
    """Turn ``dim`` (None, an int or a tuple, possibly negative) into sorted positive axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted({normalize_dim(d, ndim, "a reduction") for d in dims}))


def expand_reduced(grad: Array, axes: tuple[int, ...], keepdim: bool, shape: tuple) -> Array:
    """Put back the axes a reduction removed, then stretch ``grad`` to ``shape``.

    The result is a broadcast *view* of ``grad`` (no copy): the engine never adds into a
    gradient it did not make itself, and copies before a ``.grad`` keeps one.
    """
    xp = xp_of(grad)
    if not keepdim and shape:
        grad = xp.reshape(grad, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return xp.broadcast_to(grad, tuple(shape))


class Sum(Node):
    """``a.sum(dim)``: every summed number has local derivative 1, so each gets ``grad``."""

    symbol = "sum"
    formulas = ("d sum(a)/da = 1 for every element",)

    def forward(self, a: Array, dim: Axis = None, keepdim: bool = False) -> Array:
        self.axes, self.whole = normalize_axes(dim, a.ndim), dim is None
        self.keepdim, self.shape = keepdim, shape_of(a)
        return xp_of(a).sum(a, axis=self.axes, keepdims=keepdim)

    def name(self) -> str:
        return "SumBackward0" if self.whole else "SumBackward1"  # PyTorch's two overloads

    def backward(self, grad: Array) -> tuple[Array]:
        return (expand_reduced(grad, self.axes, self.keepdim, self.shape),)


class Mean(Node):
    """``a.mean(dim)``: like ``sum``, divided by how many numbers were averaged."""

    symbol = "mean"
    formulas = ("d mean(a)/da = 1/n for every element",)

    def name(self) -> str:
        return "MeanBackward0" if self.whole else "MeanBackward1"

    def forward(self, a: Array, dim: Axis = None, keepdim: bool = False) -> Array:
        self.axes, self.whole = normalize_axes(dim, a.ndim), dim is None
        self.keepdim, self.shape = keepdim, shape_of(a)
        self.count = math.prod(self.shape[i] for i in self.axes) if self.shape else 1
        return xp_of(a).mean(a, axis=self.axes, keepdims=keepdim)

    def backward(self, grad: Array) -> tuple[Array]:
        return (expand_reduced(grad / self.count, self.axes, self.keepdim, self.shape),)


class Max(Node):
    """``a.max()`` or ``a.max(dim)``: the gradient goes only to the winning element(s).

    Over the whole tensor, ties share the gradient equally (as in PyTorch); along ``dim`` the
    first maximum gets it (the one whose index ``max(dim)`` returns).
    """

    symbol = "max"
    formulas = ("d max(a)/da = 1 at the maximum, 0 elsewhere",)
    pick = "max"

    def forward(self, a: Array, dim: int | None = None, keepdim: bool = False) -> Array:
        xp = xp_of(a)
        self.dim, self.keepdim, self.shape = dim, keepdim, shape_of(a)
        self.save_for_backward(a)
        reduce = xp.max if self.pick == "max" else xp.min
        if dim is None:
            return reduce(a)
        self.axis = normalize_dim(dim, a.ndim, f"{self.pick}()") if a.ndim else None
        return reduce(a, axis=self.axis, keepdims=keepdim)

    def name(self) -> str:
        kind = "Max" if self.pick == "max" else "Min"
        return f"{kind}Backward1" if self.dim is None else f"{kind}Backward0"  # PyTorch's numbers

    def winners(self) -> Array:
        """1 where an element received the gradient, as a float array of ``a``'s shape."""
        a = raw(self.saved_tensors[0])
        xp = xp_of(a)
        if self.dim is None or a.ndim == 0:
            best = xp.max(a) if self.pick == "max" else xp.min(a)
            hits = xp.astype(a == best, a.dtype)
            return hits / xp.sum(hits)
        find = xp.argmax if self.pick == "max" else xp.argmin
        index = find(a, axis=self.axis, keepdims=True)
        positions = xp.arange(a.shape[self.axis])
        positions = xp.reshape(positions, tuple(-1 if i == self.axis else 1 for i in range(a.ndim)))
        return xp.astype(positions == index, a.dtype)

    def local_derivative(self, index: int) -> Array:
        return self.winners()

    def backward(self, grad: Array) -> tuple[Array]:
        if self.dim is not None and not self.keepdim and self.shape:
            grad = xp_of(grad).expand_dims(grad, axis=self.axis)
        return (grad * constant_for(self.winners(), grad),)


class Min(Max):
    """``a.min()`` or ``a.min(dim)``: like ``max``, for the smallest element."""

    symbol = "min"
    formulas = ("d min(a)/da = 1 at the minimum, 0 elsewhere",)
    pick = "min"


class Var(Node):
    """``a.var(dim, correction=1)``: sum((a - mean)^2) / (n - correction).
    Local derivative 2 (a - mean) / (n - correction) (the mean's own change sums to 0)."""

    symbol = "var"
    formulas = ("d var(a)/da = 2 (a - mean) / (n - correction)",)

    def forward(self, a: Array, dim: Axis = None, keepdim: bool = False,
                correction: float = 1) -> Array:
        xp = xp_of(a)
        self.axes, self.keepdim, self.shape = normalize_axes(dim, a.ndim), keepdim, shape_of(a)
        count = math.prod(self.shape[i] for i in self.axes) if self.shape else 1
        self.divisor = count - correction
        centred = a - xp.mean(a, axis=self.axes, keepdims=True)
        self.save_for_backward(a)
        return self.finish(xp.sum(centred * centred, axis=self.axes, keepdims=keepdim)
                           / self.divisor)

    def finish(self, var: Array) -> Array:
        """The result from the variance: the variance itself here, its square root in ``Std``."""
        return var

    def centred(self) -> Array:
        a = self.saved_tensors[0]
        return a - xp_of(a).mean(a, axis=self.axes, keepdims=True)

    def backward(self, grad: Array) -> tuple[Array]:
        spread = expand_reduced(grad * (2.0 / self.divisor), self.axes, self.keepdim, self.shape)
        return (spread * self.centred(),)


class Std(Var):
    """``a.std(dim, correction=1)``: sqrt(var). Local derivative (a - mean) / ((n - c) std)."""

    symbol = "std"
    formulas = ("d std(a)/da = (a - mean) / ((n - correction) std)",)

    def finish(self, var: Array) -> Array:
        out = xp_of(var).sqrt(var)
        self.save_for_backward(self.saved[0], out)  # the input, and now the output too
        return out

    def backward(self, grad: Array) -> tuple[Array]:
        out = self.saved_tensors[1]
        spread = expand_reduced(grad / (out * self.divisor), self.axes, self.keepdim, self.shape)
        return (spread * self.centred(),)


# ============================================================================================
# Shape operations: they move numbers around, so backward moves the gradient back
# ============================================================================================


class Reshape(Node):
    """``a.reshape(shape)``, ``a.view(shape)``: backward reshapes the gradient back.

    PyTorch calls the node ``ViewBackward0`` (reshaping a tensor whose numbers are stored in order
    is a view); ``unsqueeze``, ``squeeze`` and ``flatten`` are reshapes too, with their own names.
    """

    symbol = "reshape"
    formulas = ("the gradient is reshaped back",)
    makes_view = True

    def forward(self, a: Array, shape: tuple[int, ...], label: str = "ViewBackward0") -> Array:
        self.shape, self.label = shape_of(a), label
        try:
            return xp_of(a).reshape(a, shape)
        except (ValueError, TypeError):
            size = math.prod(self.shape)
            raise ShapeError(
                f"cannot reshape a tensor of shape {self.shape} ({size} numbers) into shape "
                f"{tuple(shape)}: the new shape must hold exactly {size} numbers (one size "
                f"may be -1 to mean 'whatever fits')."
            ) from None

    def name(self) -> str:
        return self.label

    def backward(self, grad: Array) -> tuple[Array]:
        return (xp_of(grad).reshape(grad, self.shape),)


class Expand(Node):
    """``a.expand(sizes)``: axes of size 1 stretched; backward sums the copies back."""

    symbol = "expand"
    formulas = ("the gradient is summed over the stretched axes",)
    makes_view = True

    def forward(self, a: Array, shape: tuple[int, ...]) -> Array:
        self.shape = shape_of(a)
        extra = len(shape) - a.ndim
        if extra < 0:
            raise ShapeError(
                f"expand needs at least as many sizes as the tensor has dimensions: "
                f"{shape} for shape {self.shape}."
            )
        full = tuple(self.shape[i - extra] if s == -1 and i >= extra else s
                     for i, s in enumerate(shape))
        try:
            return xp_of(a).broadcast_to(a, full)
        except ValueError:
            raise ShapeError(
                f"cannot expand shape {self.shape} to {shape}: only axes of size 1 can be "
                f"stretched (sizes are compared from the right)."
            ) from None

    def backward(self, grad: Array) -> tuple[Array]:
        return (unbroadcast(grad, self.shape),)


class Permute(Node):
    """``a.transpose(i, j)``, ``a.T``, ``a.permute(...)``: backward applies the inverse order."""

    symbol = "transpose"
    formulas = ("the gradient is transposed back",)
    makes_view = True

    def forward(self, a: Array, axes: tuple[int, ...], kind: str = "Permute") -> Array:
        self.axes, self.kind = axes, kind  # kind: "T" for t(), "Transpose", or "Permute"
        return xp_of(a).permute_dims(a, axes)

    def name(self) -> str:
        return f"{self.kind}Backward0"

    def backward(self, grad: Array) -> tuple[Array]:
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return (xp_of(grad).permute_dims(grad, inverse),)


class Cat(Node):
    """``ag.cat(tensors, dim)``: tensors joined along ``dim``; each gets its slice of the
    gradient back."""

    symbol = "cat"
    formulas = ("each input gets its own slice of the gradient",)

    def forward(self, *arrays: Array, dim: int = 0) -> Array:
        self.dim = normalize_dim(dim, arrays[0].ndim, "cat")
        self.sizes = [a.shape[self.dim] for a in arrays]
        return xp_of(*arrays).concat(arrays, axis=self.dim)

    def backward(self, grad: Array) -> list[Array | None]:
        grads, start = [], 0
        for size, needed in zip(self.sizes, self.needs_grad):
            key = (slice(None),) * self.dim + (slice(start, start + size),)
            grads.append(grad[key] if needed else None)
            start += size
        return grads


class Stack(Node):
    """``ag.stack(tensors, dim)``: tensors put side by side along a new axis ``dim``; each gets
    its own slice of the gradient back."""

    symbol = "stack"
    formulas = ("each input gets its own slice of the gradient",)

    def forward(self, *arrays: Array, dim: int = 0) -> Array:
        self.dim = normalize_dim(dim, arrays[0].ndim, "stack", extra=1)
        return xp_of(*arrays).stack(arrays, axis=self.dim)

    def backward(self, grad: Array) -> list[Array | None]:
        return [grad[(slice(None),) * self.dim + (i,)] if needed else None
                for i, needed in enumerate(self.needs_grad)]


def _is_advanced(key: Any) -> bool:
    parts = key if isinstance(key, tuple) else (key,)
    return any(hasattr(part, "shape") and part.ndim > 0 for part in parts)


def _every_axis(key: Any, ndim: int) -> Any:
    """``a[1]`` as ``a[1, ...]``: the array API standard wants an index for every axis (NumPy
    fills in the missing ones silently; the strict reference library does not)."""
    parts = key if isinstance(key, tuple) else (key,)
    if any(part is Ellipsis for part in parts) or sum(part is not None for part in parts) >= ndim:
        return key
    return (*parts, Ellipsis)


class Index(Node):
    """``a[key]`` for ints, slices and integer arrays: the gradient goes back to the picked places.

    Numbers picked twice (``a[[0, 0]]``) receive both gradients, added up.
    """

    symbol = "[]"
    formulas = ("1 at the picked positions, 0 elsewhere",)

    def forward(self, a: Array, key: Any) -> Array:
        self.shape, self.asked = shape_of(a), key
        self.key = _every_axis(key, a.ndim)
        self.makes_view = not _is_advanced(self.key)  # basic indexing shares memory
        return a[self.key]

    def name(self) -> str:
        # PyTorch's names: one position along the first axis, a slice, or anything else
        if isinstance(self.asked, int):
            return "SelectBackward0"
        return "SliceBackward0" if isinstance(self.asked, slice) else "IndexBackward0"

    def backward(self, grad: Array) -> tuple[Array]:
        return (Unindex.apply(grad, shape=self.shape, key=self.key) if isinstance(grad, Tensor)
                else scatter(grad, self.shape, self.key),)

    def explain_failure(self, inputs: Any, error: Exception) -> Exception:
        return IndexError(
            f"cannot index a tensor of shape {shape_of(inputs[0])} with {self.asked!r}: {error}"
        )


def scatter(values: Array, shape: tuple[int, ...], key: Any) -> Array:
    """Zeros of ``shape`` with ``values`` added at ``key`` (repeated positions add up)."""
    full = xp_of(values).zeros(shape, dtype=values.dtype)
    if _is_advanced(key):
        namespace_of(full).index_add(full, key, values)
    else:
        full[key] = values
    return full


class Unindex(Node):
    """The backward of indexing as an operation of its own, so that it can be differentiated
    again (``create_graph=True``): its own backward picks the same places out again."""

    symbol = "scatter"
    formulas = ("the gradient is picked out at the same places",)

    def forward(self, values: Array, shape: tuple[int, ...], key: Any) -> Array:
        self.key = key
        return scatter(values, shape, key)

    def name(self) -> str:
        return "IndexBackwardBackward0"

    def backward(self, grad: Array) -> tuple[Array]:
        return (grad[self.key],)


# ============================================================================================
# Softmax and the losses (numerically stable: subtract the maximum before exp)
# ============================================================================================


class Softmax(Node):
    """``softmax(a, dim)``: exp(a) / sum(exp(a)); backward s * (grad - sum(grad * s))."""

    symbol = "softmax"
    formulas = ("ds_i/da_j = s_i (1[i=j] - s_j)",)
    saves_at_most_output_size = True  # it saves its output

    def forward(self, a: Array, dim: int) -> Array:
        xp = xp_of(a)
        self.dim = dim = normalize_dim(dim, a.ndim, "softmax")
        shifted = xp.exp(a - xp.max(a, axis=dim, keepdims=True))
        out = shifted / xp.sum(shifted, axis=dim, keepdims=True)
        self.save_for_backward(out)
        return out

    def backward(self, grad: Array) -> tuple[Array]:
        (s,) = self.saved_tensors
        return (s * (grad - xp_of(grad).sum(grad * s, axis=self.dim, keepdims=True)),)


class LogSoftmax(Node):
    """``log_softmax(a, dim)``: a - logsumexp(a); backward grad - softmax * sum(grad)."""

    symbol = "log_softmax"
    formulas = ("d/da_j = 1[i=j] - softmax_j",)
    saves_at_most_output_size = True  # it saves its output

    def forward(self, a: Array, dim: int) -> Array:
        xp = xp_of(a)
        self.dim = dim = normalize_dim(dim, a.ndim, "log_softmax")
        shifted = a - xp.max(a, axis=dim, keepdims=True)
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        self.save_for_backward(out)
        return out

    def backward(self, grad: Array) -> tuple[Array]:
        (out,) = self.saved_tensors
        xp = xp_of(grad)
        return (grad - xp.exp(out) * xp.sum(grad, axis=self.dim, keepdims=True),)


class NllLoss(Node):
    """Negative log-likelihood: ``-log_probs[i, target[i]]``, averaged (or summed) over rows.

    With ``log_probs = log_softmax(logits, 1)`` this is cross-entropy, which PyTorch (and
    ``F.cross_entropy`` here) builds as exactly these two nodes: ``LogSoftmaxBackward0`` then
    ``NllLossBackward0``. Its local derivative is -1 at each row's target (divided by N for the
    mean) and 0 elsewhere; through log_softmax that becomes the famous ``softmax - one_hot``.
    """

    symbol = "nll_loss"
    formulas = ("dL/dlog_probs = -one_hot(target) / N",)
    saves_at_most_output_size = True  # it saves nothing (the target is not the graph's to free)

    def forward(self, log_probs: Array, target: Array, reduction: str = "mean") -> Array:
        xp = xp_of(log_probs)
        self.reduction, self.target = reduction, target
        self.classes, self.dtype = log_probs.shape[1], log_probs.dtype  # for the one-hot rows
        self.rows = xp.arange(target.shape[0])  # (kept: backward writes at the same places)
        picked = log_probs[self.rows, target]  # row i's number at column target[i]
        if reduction == "none":
            return -picked
        total = xp.sum(picked)  # (negated after the sum: one operation on a number, not N)
        return total / -target.shape[0] if reduction == "mean" else -total

    @property
    def one_hot(self) -> Array:
        """1 at each row's target class, 0 elsewhere (rows x classes), in the output's dtype."""
        xp = xp_of(self.target)
        return xp.astype(self.target[:, None] == xp.arange(self.classes), self.dtype)

    def local_derivative(self, index: int) -> Any:
        n = self.target.shape[0] if self.reduction == "mean" else 1
        return -self.one_hot / n

    def backward(self, grad: Array) -> tuple[Array, None]:
        if self.reduction == "none":  # row i's gradient, at its target column
            per_row = -grad
        else:  # the loss's gradient over N (or 1), at every row's target column
            per_row = grad / -(self.target.shape[0] if self.reduction == "mean" else 1)
        if isinstance(per_row, Tensor):  # create_graph: tensor operations, to differentiate
            one_hot = constant_for(self.one_hot, per_row)
            if self.reduction == "none":
                per_row = xp_of(per_row).expand_dims(per_row, axis=1)
            return per_row * one_hot, None
        return namespace_of(grad).one_per_row(per_row, self.rows, self.target, self.classes,
                                              self.dtype), None


def _reduce(values: Array, reduction: str) -> Array:
    xp = xp_of(values)
    if reduction == "none":
        return values
    return xp.mean(values) if reduction == "mean" else xp.sum(values)


class MseLoss(Node):
    """``mse_loss(a, b)``: mean((a - b)^2). Local derivatives 2 (a - b) / N and -2 (a - b) / N."""

    symbol = "mse_loss"
    formulas = ("dL/da = 2 (a - b) / N", "dL/db = -2 (a - b) / N")

    def forward(self, a: Array, b: Array, reduction: str = "mean") -> Array:
        self.save_for_backward(a, b)
        self.reduction, self.shape = reduction, shape_of(a)
        diff = a - b
        return _reduce(diff * diff, reduction)

    def backward(self, grad: Array) -> tuple[Array | None, Array | None]:
        a, b = self.saved_tensors
        n = math.prod(self.shape) if self.reduction == "mean" else 1
        if self.reduction != "none":
            grad = expand_reduced(grad, tuple(range(len(self.shape))), False, self.shape)
        d = (a - b) * grad * (2.0 / n)
        return (d if self.needs_grad[0] else None), (-d if self.needs_grad[1] else None)


class BinaryCrossEntropyWithLogits(Node):
    """``binary_cross_entropy_with_logits(x, y)``: -[y log s + (1-y) log(1-s)], s = sigmoid(x),
    computed stably as max(x, 0) - x*y + log(1 + exp(-|x|)). Local derivatives s - y and -x."""

    symbol = "bce_with_logits"
    formulas = ("dL/dx = (sigmoid(x) - y) / N", "dL/dy = -x / N")

    def forward(self, x: Array, y: Array, reduction: str = "mean") -> Array:
        xp = xp_of(x, y)
        self.save_for_backward(x, y)
        self.reduction, self.shape = reduction, shape_of(x)
        losses = xp.maximum(x, 0.0) - x * y + xp.log1p(xp.exp(-xp.abs(x)))
        return _reduce(losses, reduction)

    def backward(self, grad: Array) -> tuple[Array | None, Array | None]:
        x, y = self.saved_tensors
        n = math.prod(self.shape) if self.reduction == "mean" else 1
        if self.reduction != "none":
            grad = expand_reduced(grad, tuple(range(len(self.shape))), False, self.shape)
        grad = grad * (1.0 / n)
        return ((sigmoid(x) - y) * grad if self.needs_grad[0] else None,
                -x * grad if self.needs_grad[1] else None)


# ============================================================================================
# Copies: to another device or dtype, or just a fresh copy
# ============================================================================================


class ToCopy(Node):
    """``t.to("cuda")`` / ``t.double()``: the numbers, moved or converted; backward moves back."""

    symbol = "to"
    formulas = ("the gradient is moved/converted back",)
    promotes_types = False  # the dtype is the one asked for

    def forward(self, a: Array, device: Any, dtype: Any) -> Array:
        from . import backend

        source = namespace_of(a)
        self.source_device, self.source_dtype = source.device_of(a), source.dtype_of(a)
        target = backend.namespace_for(device) if device != self.source_device else source
        moved = a if target is source else target.from_host(source.to_host(a), device)
        return target.xp.astype(moved, target.dtype_to_native[dtype])

    def backward(self, grad: Array) -> tuple[Array]:
        from . import backend

        if isinstance(grad, Tensor):
            return (grad.to(self.source_device, dtype=self.source_dtype),)
        here = namespace_of(grad)
        if here.device_of(grad) != self.source_device:
            back = backend.namespace_for(self.source_device)
            grad = back.from_host(here.to_host(grad), self.source_device)
            here = back
        return (here.xp.astype(grad, here.dtype_to_native[self.source_dtype]),)


class Clone(Node):
    """``t.clone()``: the same numbers in new memory; the gradient passes straight through."""

    symbol = "clone"
    formulas = ("d clone(a)/da = 1",)

    def forward(self, a: Array) -> Array:
        return xp_of(a).asarray(a, copy=True)

    def backward(self, grad: Array) -> tuple[Array]:
        return (grad,)


from . import tensor_xp  # noqa: E402  (both need this module's classes)
from .tensor import Tensor  # noqa: E402
