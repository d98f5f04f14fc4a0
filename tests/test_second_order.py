"""Gradients of gradients: every operation's double backward against PyTorch's.

For ``out = f(x, ...)`` each test computes ``g = ag.grad(out, inputs, grad_outputs=u,
create_graph=True)`` (a vector-Jacobian product with a random ``u`` that itself requires grad),
then differentiates ``sum(g * v)`` for a fixed random ``v`` with respect to the inputs *and* ``u``,
and compares both levels with ``torch.autograd.grad(..., create_graph=True)`` in float64. This is
PyTorch's own gradgradcheck, with torch as the referee. A gradient one engine leaves out (``None``)
must be zero in the other.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import autogradlab as ag

RNG = np.random.default_rng(12)


def _arr(*shape: int, positive: bool = False) -> np.ndarray:
    a = RNG.standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


def _np(t, shape) -> np.ndarray:
    if t is None:
        return np.zeros(shape)
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)
    return t.detach().numpy()


def _sum(terms, zero):
    total = zero
    for term in terms:
        total = total + term
    return total


def double_backward(f, arrays, rtol=1e-9, atol=1e-10, seed=0):
    """Check first and second derivatives of ``f`` (written for ``ag`` and ``torch`` alike)."""
    rng = np.random.default_rng(seed)
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = f(ag, *xs), f(torch, *txs)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(_np(out, out.shape), _np(tout, out.shape), rtol=rtol, atol=atol)
    u_arr = rng.standard_normal(tuple(tout.shape))
    u = ag.tensor(u_arr, requires_grad=True)
    tu = torch.tensor(u_arr, requires_grad=True)
    gs = ag.grad(out, xs, grad_outputs=u, create_graph=True, allow_unused=True)
    tgs = torch.autograd.grad(tout, txs, grad_outputs=tu, create_graph=True, allow_unused=True)
    for g, tg, a in zip(gs, tgs, arrays):
        np.testing.assert_allclose(_np(g, a.shape), _np(tg, a.shape), rtol=rtol, atol=atol)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    z = _sum(((g * ag.tensor(v)).sum() for g, v in zip(gs, vs) if g is not None),
             ag.tensor(0.0, dtype=ag.float64))
    tz = _sum(((g * torch.tensor(v)).sum() for g, v in zip(tgs, vs) if g is not None),
              torch.tensor(0.0, dtype=torch.float64))
    everything = [*arrays, u_arr]
    hs = ag.grad(z, [*xs, u], allow_unused=True) if z.requires_grad else [None] * len(everything)
    ths = (torch.autograd.grad(tz, [*txs, tu], allow_unused=True) if tz.requires_grad
           else [None] * len(everything))
    assert any(h is not None for h in ths), "the case must have a second derivative"
    for h, th, a in zip(hs, ths, everything):
        np.testing.assert_allclose(_np(h, a.shape), _np(th, a.shape), rtol=rtol, atol=atol)


def _ce(m, x):
    target = m.tensor([0, 2, 1])
    return m.nn.functional.cross_entropy(x, target)


def _linear(m, x, w, b):
    return m.nn.functional.linear(x, w, b)


def _mask_where(m, x, y):
    return m.where(x > 0, x * x, y)


CASES = {
    # elementwise arithmetic (with broadcasting)
    "add": (lambda m, x, y: (x + y) * x, [_arr(3, 4), _arr(4)]),
    "add_number": (lambda m, x: (x + 2.0) * x, [_arr(3)]),
    "sub": (lambda m, x, y: (x - y) * y, [_arr(3, 4), _arr(3, 1)]),
    "rsub": (lambda m, x: (1.0 - x) * x, [_arr(3)]),
    "mul": (lambda m, x, y: x * y, [_arr(3, 4), _arr(4)]),
    "mul_self": (lambda m, x: x * x * x, [_arr(5)]),
    "div": (lambda m, x, y: x / y, [_arr(3, 4), _arr(4, positive=True)]),
    "rdiv": (lambda m, x: 2.0 / x, [_arr(4, positive=True)]),
    "neg": (lambda m, x: -x * x, [_arr(4)]),
    "pow_number": (lambda m, x: x**3, [_arr(2, 3)]),
    "pow_fraction": (lambda m, x: x**2.5, [_arr(4, positive=True)]),
    "pow_tensor": (lambda m, x, y: x**y, [_arr(3, 4, positive=True), _arr(4)]),
    "pow_number_base": (lambda m, x: 2.0**x, [_arr(5)]),
    "exp": (lambda m, x: x.exp(), [_arr(3, 4)]),
    "log": (lambda m, x: x.log(), [_arr(3, 4, positive=True)]),
    "tanh": (lambda m, x: x.tanh(), [_arr(3, 4)]),
    "sigmoid": (lambda m, x: x.sigmoid(), [_arr(3, 4)]),
    "relu": (lambda m, x: x.relu() * x, [_arr(3, 4)]),
    # matrix products
    "matmul_1d_1d": (lambda m, a, b: a @ b, [_arr(4), _arr(4)]),
    "matmul_2d_1d": (lambda m, a, b: a @ b, [_arr(3, 4), _arr(4)]),
    "matmul_1d_2d": (lambda m, a, b: a @ b, [_arr(3), _arr(3, 4)]),
    "matmul_2d_2d": (lambda m, a, b: a @ b, [_arr(3, 4), _arr(4, 2)]),
    "matmul_batched": (lambda m, a, b: a @ b, [_arr(2, 3, 4), _arr(4, 2)]),
    "matmul_square": (lambda m, a: a @ a, [_arr(3, 3)]),
    "linear": (_linear, [_arr(5, 3), _arr(2, 3), _arr(2)]),
    "linear_no_bias": (lambda m, x, w: m.nn.functional.linear(x, w) ** 2, [_arr(5, 3), _arr(2, 3)]),
    # reductions
    "sum": (lambda m, x: x.sum() * x, [_arr(3, 4)]),
    "sum_dim": (lambda m, x: x.sum(dim=1) ** 2, [_arr(3, 4)]),
    "mean": (lambda m, x: x.mean() * x, [_arr(3, 4)]),
    "mean_dim": (lambda m, x: x.mean(dim=0, keepdim=True) ** 2, [_arr(3, 4)]),
    "max": (lambda m, x: x.max() * x, [_arr(3, 4)]),
    "max_dim": (lambda m, x: x.max(dim=1).values ** 2, [_arr(3, 4)]),
    "min": (lambda m, x: x.min() * x, [_arr(3, 4)]),
    "min_dim": (lambda m, x: x.min(dim=0).values ** 2, [_arr(3, 4)]),
    "var": (lambda m, x: x.var(), [_arr(3, 4)]),
    "var_dim": (lambda m, x: x.var(dim=1, keepdim=True, correction=0), [_arr(3, 4)]),
    "std": (lambda m, x: x.std(), [_arr(3, 4)]),
    "std_dim": (lambda m, x: x.std(dim=0), [_arr(3, 4)]),
    # shapes
    "reshape": (lambda m, x: x.reshape(2, 6) ** 2, [_arr(3, 4)]),
    "view": (lambda m, x: x.view(12) ** 2, [_arr(3, 4)]),
    "flatten": (lambda m, x: x.flatten() ** 2, [_arr(2, 3, 2)]),
    "squeeze": (lambda m, x: x.squeeze() ** 2, [_arr(3, 1)]),
    "unsqueeze": (lambda m, x: x.unsqueeze(1) ** 2, [_arr(3)]),
    "permute": (lambda m, x: x.permute(2, 0, 1) ** 2, [_arr(2, 3, 4)]),
    "transpose": (lambda m, x: x.transpose(0, 1) ** 2, [_arr(2, 3)]),
    "T": (lambda m, x: x.T @ x, [_arr(3, 2)]),
    "expand": (lambda m, x: x.expand(3, 4) ** 2, [_arr(1, 4)]),
    "index_basic": (lambda m, x: x[1] * x[0], [_arr(3, 4)]),
    "index_slice": (lambda m, x: x[1:, ::2] ** 2, [_arr(3, 4)]),
    "index_repeated": (lambda m, x: x[[0, 0, 2]] ** 2, [_arr(3, 4)]),
    "cat": (lambda m, x, y: m.cat([x, y * y], dim=1) ** 2, [_arr(3, 2), _arr(3, 4)]),
    "stack": (lambda m, x, y: m.stack([x, y], dim=1) ** 2, [_arr(3), _arr(3)]),
    # softmax and losses
    "softmax": (lambda m, x: x.softmax(dim=1), [_arr(3, 4)]),
    "log_softmax": (lambda m, x: x.log_softmax(dim=0), [_arr(3, 4)]),
    "cross_entropy": (_ce, [_arr(3, 4)]),
    "mse_loss": (lambda m, x, y: m.nn.functional.mse_loss(x, y), [_arr(3, 4), _arr(3, 4)]),
    "mse_loss_none": (lambda m, x, y: m.nn.functional.mse_loss(x, y, reduction="none"),
                      [_arr(3, 4), _arr(3, 4)]),
    "l1_loss": (lambda m, x, y: m.nn.functional.l1_loss(x * x, y), [_arr(3, 4), _arr(3, 4)]),
    "bce_with_logits": (lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(
        x, y.sigmoid()), [_arr(3, 4), _arr(3, 4)]),
    "bce_with_logits_sum": (lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(
        x * 3, y, reduction="sum"), [_arr(6), _arr(6)]),
    # copies and selection
    "double": (lambda m, x: x.double() ** 2, [_arr(3)]),
    "to_float_and_back": (lambda m, x: x.float().double() ** 2, [_arr(3)]),
    "clone": (lambda m, x: x.clone() * x, [_arr(3, 4)]),
    "where": (_mask_where, [_arr(3, 4), _arr(4)]),
    # the new elementwise operations
    "sin": (lambda m, x: x.sin(), [_arr(3, 4)]),
    "cos": (lambda m, x: x.cos(), [_arr(3, 4)]),
    "abs": (lambda m, x: abs(x) * x, [_arr(3, 4)]),
    "sqrt": (lambda m, x: x.sqrt(), [_arr(3, 4, positive=True)]),
    "clamp": (lambda m, x: x.clamp(min=-0.5, max=0.5) * x, [_arr(3, 4)]),
    "clamp_tensor_bound": (lambda m, x, y: x.clamp(min=y) ** 2, [_arr(3, 4), _arr(4)]),
    "maximum": (lambda m, x, y: m.maximum(x, y) ** 2, [_arr(3, 4), _arr(4)]),
    "minimum": (lambda m, x, y: m.minimum(x * y, y) ** 2, [_arr(3, 4), _arr(4)]),
    "leaky_relu": (lambda m, x: m.nn.functional.leaky_relu(x, 0.2) * x, [_arr(3, 4)]),
    "gelu": (lambda m, x: m.nn.functional.gelu(x), [_arr(3, 4) * 2]),
    "gelu_tanh": (lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), [_arr(3, 4) * 2]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_double_backward_matches_torch(name):
    f, arrays = CASES[name]
    tolerance = {"rtol": 1e-6, "atol": 1e-6} if name == "to_float_and_back" else {}
    double_backward(f, arrays, **tolerance)


def test_second_derivative_of_a_scalar_function():
    """d2/dx2 of sin(x) * x**3 at several points, as grad of grad."""
    x = ag.tensor([0.3, -1.2, 2.0], dtype=ag.float64, requires_grad=True)
    (g,) = ag.grad((x.sin() * x**3).sum(), x, create_graph=True)
    (h,) = ag.grad(g.sum(), x)
    tx = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad((tx.sin() * tx**3).sum(), tx, create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12)
    xs = np.array([0.3, -1.2, 2.0])
    exact = -np.sin(xs) * xs**3 + 6 * np.cos(xs) * xs**2 + 6 * np.sin(xs) * xs
    np.testing.assert_allclose(h.numpy(), exact, rtol=1e-12)


def _mlp_loss(m, params, x, y):
    w1, b1, w2, b2 = params
    hidden = m.nn.functional.linear(x, w1, b1).tanh()
    logits = m.nn.functional.linear(hidden, w2, b2)
    return m.nn.functional.cross_entropy(logits, y) + 0.01 * (w1 * w1).sum()


def test_hessian_vector_product_of_an_mlp_loss_matches_torch():
    rng = np.random.default_rng(3)
    shapes = [(5, 3), (5,), (4, 5), (4,)]
    values = [rng.standard_normal(s) for s in shapes]
    vectors = [rng.standard_normal(s) for s in shapes]
    x, labels = rng.standard_normal((8, 3)), rng.integers(0, 4, size=8)

    params = [ag.tensor(v, requires_grad=True) for v in values]
    loss = _mlp_loss(ag, params, ag.tensor(x), ag.tensor(labels))
    grads = ag.grad(loss, params, create_graph=True)
    dot = _sum(((g * ag.tensor(v)).sum() for g, v in zip(grads, vectors)), ag.tensor(0.0))
    hvp = ag.grad(dot, params)

    tparams = [torch.tensor(v, requires_grad=True) for v in values]
    tloss = _mlp_loss(torch, tparams, torch.tensor(x), torch.tensor(labels))
    tgrads = torch.autograd.grad(tloss, tparams, create_graph=True)
    tdot = sum((g * torch.tensor(v)).sum() for g, v in zip(tgrads, vectors))
    thvp = torch.autograd.grad(tdot, tparams)

    for h, th in zip(hvp, thvp):
        np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-9, atol=1e-12)
    assert any(np.abs(h.numpy()).max() > 1e-3 for h in hvp)


def test_hvp_agrees_with_finite_differences_of_the_gradient():
    rng = np.random.default_rng(5)
    a, v = rng.standard_normal(4), rng.standard_normal(4)

    def gradient(values):
        x = ag.tensor(values, requires_grad=True)
        return ag.grad((x.sin() * x.exp() + x**2).sum() * x.tanh().sum(), x)[0].numpy()

    x = ag.tensor(a, requires_grad=True)
    (g,) = ag.grad((x.sin() * x.exp() + x**2).sum() * x.tanh().sum(), x, create_graph=True)
    (hvp,) = ag.grad((g * ag.tensor(v)).sum(), x)
    eps = 1e-6
    numeric = (gradient(a + eps * v) - gradient(a - eps * v)) / (2 * eps)
    np.testing.assert_allclose(hvp.numpy(), numeric, rtol=1e-6, atol=1e-7)


def test_backward_without_create_graph_leaves_a_plain_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x.sin() * x).sum().backward()
    assert x.grad is not None and x.grad.grad_fn is None
    assert not x.grad.requires_grad


def test_backward_with_create_graph_records_the_gradient_graph():
    x = ag.tensor([1.0, 2.0], dtype=ag.float64, requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    assert x.grad.grad_fn is not None and x.grad.requires_grad
    first = x.grad.detach().numpy().copy()
    np.testing.assert_allclose(first, 3 * np.array([1.0, 4.0]))
    (h,) = ag.grad(x.grad.sum(), x)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([1.0, 2.0]))


# (cross_entropy's target and list indices are NumPy arrays in these programs, which the strict
# namespace rightly refuses to mix: test_namespaces covers them with arrays of its own)
STRICT_PROGRAMS = ["relu", "max", "min_dim", "abs", "clamp", "maximum", "leaky_relu", "where",
                   "var", "gelu", "bce_with_logits", "cat", "stack", "pow_tensor", "softmax",
                   "index_slice", "mse_loss"]


@pytest.mark.parametrize("name", STRICT_PROGRAMS)
def test_double_backward_stays_in_the_strict_array_api(array_api_strict, name):
    """Under create_graph, masks and one-hots become constants of the array's own library: the
    strict reference namespace (which refuses NumPy habits that break on CuPy) gives the same
    second derivatives as NumPy."""
    f, arrays = CASES[name]

    def hvp(make):
        xs = [ag.tensor(make(a), requires_grad=True) for a in arrays]
        out = f(ag, *xs)
        gs = ag.grad((out * out).sum(), xs, create_graph=True, allow_unused=True)
        z = _sum(((g * g).sum() for g in gs if g is not None), ag.tensor(make(np.array(0.0))))
        return [np.asarray(h.data) for h in ag.grad(z, xs, allow_unused=True) if h is not None]

    strict, plain = hvp(array_api_strict.asarray), hvp(np.asarray)
    assert len(strict) == len(plain) > 0
    for s, p in zip(strict, plain):
        np.testing.assert_allclose(s, p, rtol=1e-12, atol=1e-12)
