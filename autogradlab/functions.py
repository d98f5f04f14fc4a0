"""Every differentiable operation, one small class each: the forward rule and the local derivative.

How to read this file
---------------------
Backpropagation is the chain rule applied one node at a time. A node ``out = f(a, b)`` receives
``grad = dL/d(out)`` from the nodes after it and must send ``dL/da`` and ``dL/db`` to the nodes
before it. The chain rule says::

    dL/da = dL/d(out) * d(out)/da        (upstream gradient x local derivative)

so every class below only needs to know its own *local derivative* ``d(out)/d(input)``.

* Elementwise operations (``+ - * / **``, ``exp``, ``tanh``, ...) list their local derivatives in
  ``local_derivatives()``; the shared ``backward`` multiplies each by ``grad`` and, where the
  forward pass broadcast a smaller input, sums the gradient back to that input's shape.
* The other operations (``matmul``, ``sum``, ``reshape``, indexing, ``softmax``) write
  ``backward`` out directly, because their local derivative is a whole matrix (a Jacobian) that
  it would be wasteful to build: ``matmul`` sends ``grad @ B.T`` instead of multiplying by it.

Arrays are reached only through ``xp``, the array namespace of the input's device (NumPy, CuPy
or the strict array API reference), so this file never imports ``numpy`` or ``cupy``.
"""

from __future__ import annotations

import math
from typing import Any

from .autograd import Function
from .backend import namespace_of
from .errors import ShapeError

Array = Any
Axis = int | tuple[int, ...] | None


def xp_of(*values: Any) -> Any:
    """The array namespace of the first array among ``values`` (numbers are skipped)."""
    for value in values:
        if hasattr(value, "shape"):
            return namespace_of(value).xp
    raise TypeError("an operation needs at least one tensor among its inputs")


def unbroadcast(grad: Array, shape: tuple[int, ...]) -> Array:
    """Sum ``grad`` back down to ``shape``: the backward pass of broadcasting.

    If the forward pass stretched an input of shape ``(3, 1)`` to ``(2, 3, 4)``, each of its
    numbers was used 2 * 4 times, so its gradient is the sum over those copies: sum over the new
    leading axis, and over the axis where the size was 1 (keeping it as size 1).
    """
    if grad.shape == shape:
        return grad
    xp = namespace_of(grad).xp
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    if extra:
        grad = xp.reshape(grad, shape)
    return grad


def shape_of(value: Any) -> tuple[int, ...]:
    return tuple(value.shape)


# ============================================================================================
# Elementwise operations
# ============================================================================================


class Elementwise(Function):
    """An operation applied number by number, so each output depends on one number per input.

    Its local derivative is then also an array of numbers (one per element), and the chain rule
    is a plain product: ``contribution = grad * local``.
    """

    def local_derivatives(self) -> tuple[Any, ...]:
        """d(out)/d(input) for each input, as arrays (or numbers)."""
        raise NotImplementedError

    def local_derivative(self, index: int) -> Any:
        return self.local_derivatives()[index]

    def backward(self, grad: Array) -> list[Array | None]:
        """The chain rule, number by number: each input gets ``grad * local``, summed back to the
        input's own shape where the forward pass broadcast it."""
        grads = []
        for x, local, needed in zip(self.inputs, self.local_derivatives(), self.needs_grad):
            grads.append(unbroadcast(grad * local, x.shape) if needed else None)
        return grads


class Add(Elementwise):
    """``a + b``: both local derivatives are 1, so the gradient passes through unchanged."""

    symbol = "+"
    formulas = ("d(a+b)/da = 1", "d(a+b)/db = 1")

    def forward(self, a: Array, b: Array) -> Array:
        return a + b

    def local_derivatives(self) -> tuple[float, float]:
        return 1.0, 1.0

    def backward(self, grad: Array) -> list[Array | None]:
        # multiplying by 1 would only copy: hand the gradient on (summed back if broadcast)
        return [
            unbroadcast(grad, x.shape) if needed else None
            for x, needed in zip(self.inputs, self.needs_grad)
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
        a, b = self.inputs
        return (
            unbroadcast(grad, a.shape) if self.needs_grad[0] else None,
            unbroadcast(-grad, b.shape) if self.needs_grad[1] else None,
        )


class Mul(Elementwise):
    """``a * b``: the derivative with respect to one factor is the other factor."""

    symbol = "*"
    formulas = ("d(a*b)/da = b", "d(a*b)/db = a")

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        return a * b

    def local_derivatives(self) -> tuple[Any, Any]:
        return self.b, self.a


class Div(Elementwise):
    """``a / b``: d/da = 1/b and d/db = -a/b**2 (which is -out/b)."""

    symbol = "/"
    formulas = ("d(a/b)/da = 1/b", "d(a/b)/db = -a/b**2")

    def forward(self, a: Array, b: Array) -> Array:
        self.b = b
        self.out = a / b
        return self.out

    def local_derivatives(self) -> tuple[Any, Any]:
        return 1.0 / self.b, -self.out / self.b


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
    """``a ** b``: d/da = b * a**(b-1) and, when the exponent is a tensor, d/db = out * log(a)."""

    symbol = "**"
    formulas = ("d(a**b)/da = b * a**(b-1)", "d(a**b)/db = a**b * log(a)")

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        self.out = a**b
        return self.out

    def name(self) -> str:
        # PyTorch's names: tensor ** number, tensor ** tensor, number ** tensor
        a, b = self.inputs
        return "PowBackward2" if not hasattr(a, "shape") else (
            "PowBackward1" if hasattr(b, "shape") else "PowBackward0")

    def local_derivatives(self) -> tuple[Any, Any]:
        a, b = self.a, self.b
        d_base = b * a ** (b - 1) if self.needs_grad[0] else None
        d_exponent = None
        if self.needs_grad[1]:
            if hasattr(a, "shape"):
                xp = xp_of(a)
                # where a == 0 and b >= 0 the limit is 0 (PyTorch's choice), not 0 * -inf = nan
                safe = xp.where(a == 0, xp.ones_like(a), a)
                d_exponent = xp.where((a == 0) & (b >= 0), 0.0, self.out * xp.log(safe))
            else:
                d_exponent = self.out * math.log(a)
        return d_base, d_exponent


class Exp(Elementwise):
    """``exp(a)``: its own derivative, so backward reuses the output."""

    symbol = "exp"
    formulas = ("d exp(a)/da = exp(a)",)

    def forward(self, a: Array) -> Array:
        self.out = xp_of(a).exp(a)
        return self.out

    def local_derivatives(self) -> tuple[Array]:
        return (self.out,)


class Log(Elementwise):
    """``log(a)``: local derivative 1/a."""

    symbol = "log"
    formulas = ("d log(a)/da = 1/a",)

    def forward(self, a: Array) -> Array:
        self.a = a
        return xp_of(a).log(a)

    def local_derivatives(self) -> tuple[Array]:
        return (1.0 / self.a,)


class Tanh(Elementwise):
    """``tanh(a)``: local derivative 1 - tanh(a)**2, computed from the output."""

    symbol = "tanh"
    formulas = ("d tanh(a)/da = 1 - tanh(a)**2",)

    def forward(self, a: Array) -> Array:
        self.out = xp_of(a).tanh(a)
        return self.out

    def local_derivatives(self) -> tuple[Array]:
        return (1.0 - self.out * self.out,)


class Sigmoid(Elementwise):
    """``sigmoid(a) = 1 / (1 + exp(-a))``: local derivative s * (1 - s).

    Computed as ``(tanh(a/2) + 1) / 2``, the same number, which never overflows for large |a|.
    """

    symbol = "sigmoid"
    formulas = ("d sigmoid(a)/da = s * (1 - s)",)

    def forward(self, a: Array) -> Array:
        self.out = 0.5 * (xp_of(a).tanh(0.5 * a) + 1.0)
        return self.out

    def local_derivatives(self) -> tuple[Array]:
        return (self.out * (1.0 - self.out),)


class ReLU(Elementwise):
    """``relu(a) = max(a, 0)``: local derivative 1 where a > 0, else 0."""

    symbol = "relu"
    formulas = ("d relu(a)/da = 1 if a > 0 else 0",)

    def forward(self, a: Array) -> Array:
        self.a = a
        return xp_of(a).maximum(a, 0.0)

    def local_derivatives(self) -> tuple[Array]:
        xp = xp_of(self.a)
        return (xp.astype(self.a > 0, self.a.dtype),)

    @classmethod
    def backward_name(cls) -> str:
        return "ReluBackward0"  # PyTorch's spelling


# ============================================================================================
# Matrix multiplication
# ============================================================================================


class MatMul(Function):
    """``A @ B`` for 1-D, 2-D and batched (broadcast) inputs.

    For 2-D inputs out[i, j] = sum_k A[i, k] * B[k, j], so
    dL/dA = grad @ B.T and dL/dB = A.T @ grad. A 1-D input is treated as a row (on the left) or
    a column (on the right) and the extra axis is removed again at the end.
    """

    symbol = "@"
    formulas = ("dL/dA = grad @ B.T", "dL/dB = A.T @ grad")

    def forward(self, a: Array, b: Array) -> Array:
        self.a, self.b = a, b
        return a @ b

    def name(self) -> str:
        # PyTorch names matmul after the product it really does
        kinds = {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}
        return kinds.get((self.a.ndim, self.b.ndim), "MatMulBackward0")

    def backward(self, grad: Array) -> tuple[Array | None, Array | None]:
        xp = xp_of(grad)
        a, b = self.a, self.b
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


class Linear(Function):
    """``x @ W.T + b`` in one node (what ``nn.Linear`` does): PyTorch's ``AddmmBackward0``.

    dL/dx = grad @ W, dL/dW = grad.T @ x, dL/db = grad summed over the batch.
    """

    symbol = "linear"
    formulas = ("dL/dx = grad @ W", "dL/dW = grad.T @ x", "dL/db = sum of grad over the batch")

    def name(self) -> str:
        # PyTorch: a batch (2-D) with a bias is one fused "add + matrix multiply" (addmm)
        if self.x.ndim == 2:
            return "AddmmBackward0" if len(self.inputs) > 2 else "MmBackward0"
        return "LinearBackward0"

    def forward(self, x: Array, weight: Array, bias: Array | None = None) -> Array:
        self.x, self.weight = x, weight
        out = x @ weight.mT
        if bias is not None:
            out += bias  # out is a fresh array: adding in place saves a temporary
        return out

    def backward(self, grad: Array) -> tuple[Array | None, ...]:
        xp = xp_of(grad)
        x, weight = self.x, self.weight
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
    axes = []
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise ShapeError(
                f"dim={d} is out of range for a tensor with {ndim} dimension(s): use a value "
                f"from {-max(ndim, 1)} to {max(ndim, 1) - 1}."
            )
        axes.append(d % max(ndim, 1))
    return tuple(sorted(set(axes)))


def expand_reduced(grad: Array, axes: tuple[int, ...], keepdim: bool, shape: tuple) -> Array:
    """Put back the axes a reduction removed, then stretch ``grad`` to ``shape`` (a new array)."""
    xp = xp_of(grad)
    if not keepdim and shape:
        grad = xp.reshape(grad, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return xp.asarray(xp.broadcast_to(grad, shape), copy=True)


class Sum(Function):
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


class Mean(Function):
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


class Max(Function):
    """``a.max()`` or ``a.max(dim)``: the gradient goes only to the winning element(s).

    Over the whole tensor, ties share the gradient equally (as in PyTorch); along ``dim`` the
    first maximum gets it (the one whose index ``max(dim)`` returns).
    """

    symbol = "max"
    formulas = ("d max(a)/da = 1 at the maximum, 0 elsewhere",)

    def forward(self, a: Array, dim: int | None = None, keepdim: bool = False) -> Array:
        xp = xp_of(a)
        self.a, self.dim, self.keepdim = a, dim, keepdim
        if dim is None:
            return xp.max(a)
        self.axis = normalize_axes(dim, a.ndim)[0] if a.ndim else None
        return xp.max(a, axis=self.axis, keepdims=keepdim)

    def name(self) -> str:
        return "MaxBackward1" if self.dim is None else "MaxBackward0"  # PyTorch's numbering

    def winners(self) -> Array:
        """1 where an element received the gradient, as a float array of ``a``'s shape."""
        xp, a = xp_of(self.a), self.a
        if self.dim is None or a.ndim == 0:
            hits = xp.astype(a == xp.max(a), a.dtype)
            return hits / xp.sum(hits)
        index = xp.argmax(a, axis=self.axis, keepdims=True)
        positions = xp.arange(a.shape[self.axis])
        positions = xp.reshape(positions, tuple(-1 if i == self.axis else 1 for i in range(a.ndim)))
        return xp.astype(positions == index, a.dtype)

    def local_derivative(self, index: int) -> Array:
        return self.winners()

    def backward(self, grad: Array) -> tuple[Array]:
        xp, shape = xp_of(grad), shape_of(self.a)
        if self.dim is not None and not self.keepdim and shape:
            grad = xp.expand_dims(grad, axis=self.axis)
        return (grad * self.winners(),)


# ============================================================================================
# Shape operations: they move numbers around, so backward moves the gradient back
# ============================================================================================


class Reshape(Function):
    """``a.reshape(shape)``: backward reshapes the gradient back to ``a``'s shape."""

    symbol = "reshape"
    formulas = ("the gradient is reshaped back",)

    def forward(self, a: Array, shape: tuple[int, ...]) -> Array:
        self.shape = shape_of(a)
        try:
            return xp_of(a).reshape(a, shape)
        except (ValueError, TypeError):
            size = math.prod(self.shape)
            raise ShapeError(
                f"cannot reshape a tensor of shape {self.shape} ({size} numbers) into shape "
                f"{tuple(shape)}: the new shape must hold exactly {size} numbers (one size "
                f"may be -1 to mean 'whatever fits')."
            ) from None

    def backward(self, grad: Array) -> tuple[Array]:
        return (xp_of(grad).reshape(grad, self.shape),)


class Permute(Function):
    """``a.transpose(i, j)``, ``a.T``, ``a.permute(...)``: backward applies the inverse order."""

    symbol = "transpose"
    formulas = ("the gradient is transposed back",)

    def forward(self, a: Array, axes: tuple[int, ...], kind: str = "Permute") -> Array:
        self.axes, self.kind = axes, kind  # kind: "T" for t(), "Transpose", or "Permute"
        return xp_of(a).permute_dims(a, axes)

    def name(self) -> str:
        return f"{self.kind}Backward0"

    def backward(self, grad: Array) -> tuple[Array]:
        inverse = tuple(sorted(range(len(self.axes)), key=self.axes.__getitem__))
        return (xp_of(grad).permute_dims(grad, inverse),)


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


class Index(Function):
    """``a[key]`` for ints, slices and integer arrays: the gradient goes back to the picked places.

    Numbers picked twice (``a[[0, 0]]``) receive both gradients, added up.
    """

    symbol = "[]"
    formulas = ("1 at the picked positions, 0 elsewhere",)

    def forward(self, a: Array, key: Any) -> Array:
        self.shape, self.asked = shape_of(a), key
        self.key = _every_axis(key, a.ndim)
        return a[self.key]

    def name(self) -> str:
        # PyTorch's names: one position along the first axis, a slice, or anything else
        if isinstance(self.asked, int):
            return "SelectBackward0"
        return "SliceBackward0" if isinstance(self.asked, slice) else "IndexBackward0"

    def backward(self, grad: Array) -> tuple[Array]:
        xp = xp_of(grad)
        full = xp.zeros(self.shape, dtype=grad.dtype)
        if _is_advanced(self.key):
            namespace_of(full).index_add(full, self.key, grad)
        else:
            full[self.key] = grad
        return (full,)

    def explain_failure(self, inputs: Any, error: Exception) -> Exception:
        return IndexError(
            f"cannot index a tensor of shape {shape_of(inputs[0])} with {self.asked!r}: {error}"
        )


# ============================================================================================
# Softmax and cross-entropy (numerically stable: subtract the maximum before exp)
# ============================================================================================


class Softmax(Function):
    """``softmax(a, dim)``: exp(a) / sum(exp(a)); backward s * (grad - sum(grad * s))."""

    symbol = "softmax"
    formulas = ("ds_i/da_j = s_i (1[i=j] - s_j)",)

    def forward(self, a: Array, dim: int) -> Array:
        xp = xp_of(a)
        self.dim = dim
        shifted = xp.exp(a - xp.max(a, axis=dim, keepdims=True))
        self.out = shifted / xp.sum(shifted, axis=dim, keepdims=True)
        return self.out

    def backward(self, grad: Array) -> tuple[Array]:
        xp, s = xp_of(grad), self.out
        return (s * (grad - xp.sum(grad * s, axis=self.dim, keepdims=True)),)


class LogSoftmax(Function):
    """``log_softmax(a, dim)``: a - logsumexp(a); backward grad - softmax * sum(grad)."""

    symbol = "log_softmax"
    formulas = ("d/da_j = 1[i=j] - softmax_j",)

    def forward(self, a: Array, dim: int) -> Array:
        xp = xp_of(a)
        self.dim = dim
        shifted = a - xp.max(a, axis=dim, keepdims=True)
        self.out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        return self.out

    def backward(self, grad: Array) -> tuple[Array]:
        xp = xp_of(grad)
        return (grad - xp.exp(self.out) * xp.sum(grad, axis=self.dim, keepdims=True),)


class CrossEntropy(Function):
    """Mean cross-entropy of ``logits`` (N, C) against class indices ``target`` (N,).

    loss = mean over rows of -log_softmax(logits)[row, target]. Its gradient is famously simple:
    (softmax(logits) - one_hot(target)) / N.
    """

    symbol = "cross_entropy"
    formulas = ("dL/dlogits = (softmax - one_hot(target)) / N",)

    def forward(self, logits: Array, target: Array) -> Array:
        xp = xp_of(logits)
        shifted = logits - xp.max(logits, axis=1, keepdims=True)
        exps = xp.exp(shifted)
        totals = xp.sum(exps, axis=1, keepdims=True)
        self.one_hot = xp.expand_dims(target, axis=1) == xp.arange(logits.shape[1])
        self.probabilities = exps / totals
        picked = xp.sum(xp.where(self.one_hot, shifted, 0.0), axis=1)
        return xp.mean(xp.log(xp.squeeze(totals, axis=1)) - picked)

    def backward(self, grad: Array) -> tuple[Array, None]:
        xp = xp_of(grad)
        n = self.probabilities.shape[0]
        local = self.probabilities - xp.astype(self.one_hot, self.probabilities.dtype)
        local *= grad / n
        return local, None


# ============================================================================================
# Copies: to another device or dtype, or just a fresh copy
# ============================================================================================


class ToCopy(Function):
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

        here = namespace_of(grad)
        if here.device_of(grad) != self.source_device:
            back = backend.namespace_for(self.source_device)
            grad = back.from_host(here.to_host(grad), self.source_device)
            here = back
        return (here.xp.astype(grad, here.dtype_to_native[self.source_dtype]),)


class Clone(Function):
    """``t.clone()``: the same numbers in new memory; the gradient passes straight through."""

    symbol = "clone"
    formulas = ("d clone(a)/da = 1",)

    def forward(self, a: Array) -> Array:
        return xp_of(a).asarray(a, copy=True)

    def backward(self, grad: Array) -> tuple[Array]:
        return (grad,)
