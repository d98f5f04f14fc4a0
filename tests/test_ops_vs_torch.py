"""Every operation, and every broadcasting pattern, against PyTorch 2.13 on the CPU in float64.

Each case is a program ``fn(m, *inputs)`` run once with ``m = autogradlab`` and once with
``m = torch`` (see ``oracle.py``): the values must agree, and so must the gradient of every input
for a random upstream gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracle import assert_same, compare

import autogradlab as ag
import autogradlab.functions as AF

_rng = np.random.default_rng(12345)


def r(*shape: int) -> np.ndarray:
    """Random normal numbers (a fresh draw each call; the module's seed makes them repeatable)."""
    return _rng.standard_normal(shape)


def pos(*shape: int) -> np.ndarray:
    """Random numbers in [0.5, 2.5): safe for log, division and fractional powers."""
    return _rng.uniform(0.5, 2.5, shape)


def case(name, fn, *arrays, **options):
    return pytest.param(fn, arrays, options, id=name)


# ------------------------------------------------------------------------------------------------
# elementwise arithmetic, with Python numbers on either side
# ------------------------------------------------------------------------------------------------

ARITHMETIC = [
    case("add", lambda m, a, b: a + b, r(3, 4), r(3, 4)),
    case("sub", lambda m, a, b: a - b, r(3, 4), r(3, 4)),
    case("mul", lambda m, a, b: a * b, r(3, 4), r(3, 4)),
    case("div", lambda m, a, b: a / b, r(3, 4), pos(3, 4)),
    case("neg", lambda m, a: -a, r(3, 4)),
    case("pos", lambda m, a: +a * 1, r(3)),
    case("pow-int-number", lambda m, a: a**2, r(3, 4)),
    case("pow-3", lambda m, a: a**3, r(5)),
    case("pow-float-number", lambda m, a: a**1.5, pos(3, 4)),
    case("pow-negative-number", lambda m, a: a**-2, pos(4)),
    case("pow-zero-exponent", lambda m, a: a**0, r(4)),
    case("pow-tensor-exponent", lambda m, a, b: a**b, pos(3, 4), r(3, 4)),
    case("pow-number-base", lambda m, a: 2**a, r(3, 4)),
    case("pow-method", lambda m, a: a.pow(3), r(2, 3)),
    case("number-minus-tensor", lambda m, d: 10 - d, r(5, 5)),
    case("tensor-minus-number", lambda m, d: d - 10, r(5)),
    case("number-times-tensor", lambda m, x: 2 * x, r(3)),
    case("tensor-times-number", lambda m, x: x * 2.5, r(3)),
    case("number-over-tensor", lambda m, x: 1 / x, pos(4)),
    case("tensor-over-number", lambda m, x: x / 4, r(4)),
    case("number-plus-tensor", lambda m, x: 3 + x, r(2, 2)),
    case("tensor-plus-number", lambda m, x: x + 0.5, r(2, 2)),
    case("numpy-float-operand", lambda m, x: x * np.float64(3.0), r(3)),
    case("x-times-x", lambda m, x: x * x, r(4)),
    case("x-over-x", lambda m, x: x / x, pos(4)),
    case("cubic", lambda m, x: x**3 + 7 * x**2 + 5 * x + 10, r(3, 3)),
]

# ------------------------------------------------------------------------------------------------
# unary functions
# ------------------------------------------------------------------------------------------------

UNARY = [
    case("exp", lambda m, a: a.exp(), r(3, 4)),
    case("exp-function", lambda m, a: m.exp(a), r(3)),
    case("log", lambda m, a: a.log(), pos(3, 4)),
    case("log-function", lambda m, a: m.log(a), pos(3)),
    case("tanh", lambda m, a: a.tanh(), r(3, 4) * 3),
    case("tanh-function", lambda m, a: m.tanh(a), r(5)),
    case("sigmoid", lambda m, a: a.sigmoid(), r(3, 4) * 3),
    case("sigmoid-function", lambda m, a: m.sigmoid(a), r(5)),
    case("sigmoid-large", lambda m, a: a.sigmoid(),
         np.array([-1000.0, -710.0, -50.0, -20.0, 0.0, 20.0, 50.0, 710.0, 1000.0])),
    case("tanh-large", lambda m, a: a.tanh(), np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])),
    case("relu", lambda m, a: a.relu(), r(3, 4)),
    case("relu-function", lambda m, a: m.relu(a), r(6)),
    case("relu-at-zero", lambda m, a: a.relu(), np.array([-1.0, 0.0, 1.0])),
    case("clone", lambda m, a: a.clone() * 2, r(3)),
    case("scalar-0d", lambda m, a: (a * a).exp(), np.array(0.3)),
]

# ------------------------------------------------------------------------------------------------
# reductions
# ------------------------------------------------------------------------------------------------

REDUCTIONS = [
    case("sum", lambda m, a: a.sum(), r(3, 4)),
    case("sum-dim0", lambda m, a: a.sum(dim=0), r(3, 4)),
    case("sum-dim-neg", lambda m, a: a.sum(dim=-1), r(2, 3, 4)),
    case("sum-dim-keepdim", lambda m, a: a.sum(dim=1, keepdim=True), r(2, 3, 4)),
    case("sum-tuple", lambda m, a: a.sum(dim=(0, 2)), r(2, 3, 4)),
    case("sum-tuple-keepdim", lambda m, a: a.sum(dim=(0, -1), keepdim=True), r(2, 3, 4)),
    case("sum-function", lambda m, a: m.sum(a, dim=1), r(2, 3)),
    case("sum-0d", lambda m, a: a.sum(), np.array(1.5)),
    case("mean", lambda m, a: a.mean(), r(3, 4)),
    case("mean-dim", lambda m, a: a.mean(dim=1), r(3, 4)),
    case("mean-keepdim", lambda m, a: a.mean(dim=0, keepdim=True), r(3, 4)),
    case("mean-tuple", lambda m, a: a.mean(dim=(1, 2)), r(2, 3, 4)),
    case("mean-tuple-keepdim", lambda m, a: a.mean(dim=(0, 2), keepdim=True), r(2, 3, 4)),
    case("mean-function", lambda m, a: m.mean(a, dim=0), r(3, 2)),
    case("max", lambda m, a: a.max(), r(3, 4)),
    case("max-ties-share", lambda m, a: a.max(), np.array([[1.0, 3.0], [3.0, -1.0]])),
    case("max-dim-values", lambda m, a: a.max(dim=1).values, r(3, 4)),
    case("max-dim0-values", lambda m, a: a.max(dim=0)[0], r(3, 4)),
    case("max-dim-keepdim", lambda m, a: a.max(dim=-1, keepdim=True).values, r(2, 3, 4)),
    case("max-1d-dim", lambda m, a: a.max(dim=0).values, r(5)),
]

# ------------------------------------------------------------------------------------------------
# shapes and indexing
# ------------------------------------------------------------------------------------------------

SHAPES = [
    case("reshape", lambda m, a: a.reshape(4, 3) * 2, r(3, 4)),
    case("reshape-tuple", lambda m, a: a.reshape((2, -1)), r(3, 4)),
    case("reshape-to-0d", lambda m, a: a.reshape(()), r(1)),
    case("view", lambda m, a: a.view(12), r(3, 4)),
    case("flatten", lambda m, a: a.flatten(), r(2, 3, 2)),
    case("unsqueeze", lambda m, a: a.unsqueeze(1), r(3, 4)),
    case("squeeze", lambda m, a: a.squeeze(), r(3, 1, 4)),
    case("transpose", lambda m, a: a.transpose(0, 1), r(3, 4)),
    case("transpose-3d", lambda m, a: a.transpose(0, 2), r(2, 3, 4)),
    case("transpose-negative", lambda m, a: a.transpose(-1, -2), r(2, 3, 4)),
    case("T", lambda m, a: a.T, r(3, 4)),
    case("t", lambda m, a: a.t(), r(3, 4)),
    case("t-1d", lambda m, a: a.t() * 1, r(3)),
    case("mT", lambda m, a: a.mT, r(2, 3, 4)),
    case("permute", lambda m, a: a.permute(2, 0, 1), r(2, 3, 4)),
    case("permute-tuple", lambda m, a: a.permute((1, 2, 0)), r(2, 3, 4)),
    case("index-int", lambda m, a: a[1], r(3, 4)),
    case("index-negative", lambda m, a: a[-1], r(3, 4)),
    case("index-two-ints", lambda m, a: a[1, -2], r(3, 4)),
    case("index-slice", lambda m, a: a[1:3], r(4, 4)),
    case("index-slice-step", lambda m, a: a[::2, 1:], r(5, 4)),
    case("index-column", lambda m, a: a[:, -2], r(3, 4)),
    case("index-none", lambda m, a: a[None], r(3)),
    case("index-none-middle", lambda m, a: a[:, None, 1:], r(3, 4)),
    case("index-ellipsis", lambda m, a: a[..., 0], r(2, 3, 4)),
    case("index-list", lambda m, a: a[[2, 0]], r(3, 4)),
    case("index-list-repeated", lambda m, a: a[[0, 0, 2, 0]], r(3, 4)),
    case("index-tensor-repeated", lambda m, a: a[m.tensor([1, 1, 0])], r(3, 2)),
    case("index-two-lists", lambda m, a: a[[0, 1, 1], [2, 2, 2]], r(3, 4)),
    case("index-slice-and-list", lambda m, a: a[1:, [0, 0, 3]], r(3, 4)),
    case("index-int-tensor-2d", lambda m, a: a[m.tensor([[0, 1], [1, 1]])], r(3)),
    case("iterate-rows", lambda m, a: sum(row * (i + 1) for i, row in enumerate(a)), r(3, 2)),
]

# ------------------------------------------------------------------------------------------------
# matrix multiplication in every shape combination
# ------------------------------------------------------------------------------------------------

MATMUL = [
    case("1d@1d", lambda m, a, b: a @ b, r(4), r(4)),
    case("1d@2d", lambda m, a, b: a @ b, r(4), r(4, 3)),
    case("2d@1d", lambda m, a, b: a @ b, r(3, 4), r(4)),
    case("2d@2d", lambda m, a, b: a @ b, r(3, 4), r(4, 5)),
    case("batched@batched", lambda m, a, b: a @ b, r(2, 3, 4), r(2, 4, 5)),
    case("batched@2d", lambda m, a, b: a @ b, r(2, 3, 4), r(4, 5)),
    case("2d@batched", lambda m, a, b: a @ b, r(3, 4), r(2, 4, 5)),
    case("broadcast-batch-dims", lambda m, a, b: a @ b, r(2, 1, 3, 4), r(5, 4, 2)),
    case("broadcast-batch-ones", lambda m, a, b: a @ b, r(1, 3, 4), r(6, 4, 2)),
    case("1d@batched", lambda m, a, b: a @ b, r(4), r(2, 4, 5)),
    case("batched@1d", lambda m, a, b: a @ b, r(2, 3, 4), r(4)),
    case("matmul-function", lambda m, a, b: m.matmul(a, b), r(3, 4), r(4, 2)),
    case("matmul-method", lambda m, a, b: a.matmul(b), r(3, 4), r(4, 2)),
    case("x@x.T", lambda m, a: a @ a.T, r(3, 4)),
    case("only-right-requires-grad", lambda m, a, b: a @ b, r(3, 4), r(4, 2),
         grads=[False, True]),
    case("only-left-requires-grad", lambda m, a, b: a @ b, r(3, 4), r(4, 2),
         grads=[True, False]),
]

# ------------------------------------------------------------------------------------------------
# softmax family (including logits around 1000, where a naive exp overflows)
# ------------------------------------------------------------------------------------------------

_big_logits = np.array([[1000.0, 1001.0, 999.5], [-1000.0, -1002.0, -999.0]])

SOFTMAX = [
    case("softmax-dim1", lambda m, a: m.softmax(a, 1), r(3, 5)),
    case("softmax-dim0", lambda m, a: m.softmax(a, dim=0), r(3, 5)),
    case("softmax-negative-dim", lambda m, a: m.softmax(a, -1), r(2, 3, 4)),
    case("softmax-method", lambda m, a: a.softmax(1), r(2, 4)),
    case("softmax-large-logits", lambda m, a: m.softmax(a, 1), _big_logits),
    case("log-softmax-dim1", lambda m, a: m.log_softmax(a, 1), r(3, 5)),
    case("log-softmax-dim0", lambda m, a: m.log_softmax(a, 0), r(3, 5)),
    case("log-softmax-method", lambda m, a: a.log_softmax(-1), r(2, 3, 4)),
    case("log-softmax-large-logits", lambda m, a: m.log_softmax(a, 1), _big_logits),
]

# ------------------------------------------------------------------------------------------------
# broadcasting: the gradient of each input is summed back to that input's own shape
# ------------------------------------------------------------------------------------------------

BROADCASTING = [
    case("(3,1)+(1,4)", lambda m, a, b: a + b, r(3, 1), r(1, 4)),
    case("(2,3,4)*(4,)", lambda m, a, b: a * b, r(2, 3, 4), r(4)),
    case("(4,)*(2,3,4)", lambda m, a, b: a * b, r(4), r(2, 3, 4)),
    case("(5,5)+()", lambda m, a, b: a + b, r(5, 5), np.array(0.7)),
    case("()+(5,5)", lambda m, a, b: a + b, np.array(0.7), r(5, 5)),
    case("(2,1,3)-(4,1)", lambda m, a, b: a - b, r(2, 1, 3), r(4, 1)),
    case("(4,1)-(2,1,3)", lambda m, a, b: a - b, r(4, 1), r(2, 1, 3)),
    case("(3,2)/(2,)", lambda m, a, b: a / b, r(3, 2), pos(2)),
    case("(1,)/(3,2)", lambda m, a, b: a / b, r(1), pos(3, 2)),
    case("(3,1)*(1,)", lambda m, a, b: a * b, r(3, 1), r(1)),
    case("(2,3,1)**(3,)", lambda m, a, b: a**b, pos(2, 3, 1), r(3)),
    case("(1,1)+(2,3,4)", lambda m, a, b: a + b, r(1, 1), r(2, 3, 4)),
    case("(2,1,4)*(1,3,1)", lambda m, a, b: a * b, r(2, 1, 4), r(1, 3, 1)),
    case("(1,4)*(3,1)", lambda m, a, b: a * b, r(1, 4), r(3, 1)),
    case("(1,)+(1,)", lambda m, a, b: a + b, r(1), r(1)),
    case("(1,1)-()", lambda m, a, b: a - b, r(1, 1), np.array(2.0)),
    case("(3,4)+(3,1)-(1,4)", lambda m, a, b, c: a + b - c, r(3, 4), r(3, 1), r(1, 4)),
    case("one-side-only-grad", lambda m, a, b: a * b, r(3, 1), r(1, 4), grads=[False, True]),
]


@pytest.mark.parametrize(
    "fn, arrays, options",
    ARITHMETIC + UNARY + REDUCTIONS + SHAPES + MATMUL + SOFTMAX + BROADCASTING,
)
def test_matches_torch(torch, fn, arrays, options):
    compare(torch, fn, *arrays, **options)


# ------------------------------------------------------------------------------------------------
# things the table cannot express
# ------------------------------------------------------------------------------------------------


def test_max_dim_returns_values_and_indices(torch):
    data = r(3, 5)
    ours = ag.tensor(data, requires_grad=True).max(dim=1)
    theirs = torch.tensor(data, requires_grad=True).max(dim=1)
    values, indices = ours
    assert_same(values, theirs.values, "values")
    np.testing.assert_array_equal(indices.detach().numpy(), theirs.indices.detach().numpy())
    assert indices.dtype == ag.int64
    assert ours.values is values and ours.indices is indices
    kept = ag.tensor(data).max(dim=0, keepdim=True)
    assert kept.values.shape == (1, 5) and kept.indices.shape == (1, 5)


def test_max_dim_ties_send_gradient_to_the_first_maximum(torch):
    data = np.array([[2.0, 5.0, 5.0], [7.0, 7.0, 1.0]])
    compare(torch, lambda m, a: a.max(dim=1).values, data)


def test_softmax_of_huge_logits_is_finite():
    logits = ag.tensor([[1000.0, 1000.0], [-1000.0, 0.0]], dtype=ag.float64, requires_grad=True)
    probabilities = ag.softmax(logits, 1)
    assert np.all(np.isfinite(probabilities.detach().numpy()))
    np.testing.assert_allclose(probabilities.detach().numpy()[0], [0.5, 0.5])
    log_p = ag.log_softmax(logits, 1)
    assert np.all(np.isfinite(log_p.detach().numpy()))
    log_p.sum().backward()
    assert np.all(np.isfinite(logits.grad.numpy()))


def test_sigmoid_of_huge_inputs_does_not_warn():
    x = ag.tensor([-1000.0, 1000.0], requires_grad=True)
    with np.errstate(all="raise", under="ignore"):  # underflow to 0 is what torch does too
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_int_tensor_index_and_bool_results_are_not_differentiable(torch):
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == ag.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(mask.detach().numpy(), [False, True, True])
    assert (x == x).detach().numpy().all()


# ------------------------------------------------------------------------------------------------
# the fused operations in functions.py (nn's building blocks, used without ag.nn)
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, bias",
    [((4, 3), True), ((4, 3), False), ((3,), True), ((2, 5, 3), True)],
    ids=["batch", "no-bias", "single-sample", "3d-input"],
)
def test_linear_matches_torch(torch, x_shape, bias):
    x, w, b = r(*x_shape), r(2, 3), r(2)
    upstream = None
    ours_in = [ag.tensor(v, requires_grad=True) for v in (x, w, b)]
    theirs_in = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    if bias:
        ours = AF.Linear.apply(*ours_in)
        theirs = torch.nn.functional.linear(*theirs_in)
    else:
        ours = AF.Linear.apply(*ours_in[:2])
        theirs = torch.nn.functional.linear(*theirs_in[:2])
    if len(x_shape) == 2:  # PyTorch's names: AddmmBackward0 (with bias) or MmBackward0
        assert ours.grad_fn.name() == theirs.grad_fn.name()
    assert_same(ours, theirs, "linear values")
    upstream = np.random.default_rng(1).standard_normal(tuple(ours.shape))
    ours.backward(ag.tensor(upstream, dtype=ag.float64))
    theirs.backward(torch.tensor(upstream))
    for name, a, t in zip("xWb", ours_in, theirs_in):
        if name == "b" and not bias:
            assert a.grad is None
            continue
        assert_same(a.grad, t.grad, f"grad of {name}")


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["ordinary", "huge-logits"])
def test_cross_entropy_matches_torch(torch, scale):
    logits, target = r(6, 4) * scale, np.array([0, 3, 1, 1, 2, 0])
    ours_logits = ag.tensor(logits, requires_grad=True)
    theirs_logits = torch.tensor(logits, requires_grad=True)
    ours = ag.nn.functional.cross_entropy(ours_logits, ag.tensor(target))
    theirs = torch.nn.functional.cross_entropy(theirs_logits, torch.tensor(target))
    assert ours.shape == () and ours.grad_fn.name() == "NllLossBackward0"
    # PyTorch's graph: NllLossBackward0 <- LogSoftmaxBackward0 (there is no CrossEntropyBackward0)
    assert ours.grad_fn.inputs[0].grad_fn.name() == "LogSoftmaxBackward0"
    assert_same(ours, theirs, "loss", rtol=1e-9)
    ours.backward()
    theirs.backward()
    assert_same(ours_logits.grad, theirs_logits.grad, "grad of logits")


def test_cross_entropy_with_upstream_gradient(torch):
    logits, target = r(3, 5), np.array([4, 0, 2])
    compare(
        torch,
        lambda m, z, t: (
            ag.nn.functional.cross_entropy(z, t) if m is ag else m.nn.functional.cross_entropy(z, t)
        ) * 3.0,
        logits,
        target,
    )


# ------------------------------------------------------------------------------------------------
# dtype conversions and copies
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "convert",
    [
        lambda m, x: x.double(),
        lambda m, x: x.to(m.float64),
        lambda m, x: x.to(dtype=m.float64),
    ],
    ids=["double", "to-dtype", "to-dtype-keyword"],
)
def test_to_float64_keeps_the_graph(torch, convert):
    data = r(3).astype(np.float32)
    x = ag.tensor(data, requires_grad=True)
    y = convert(ag, x)
    assert y.dtype == ag.float64 and y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    (convert(torch, tx) ** 2).sum().backward()
    assert x.grad.dtype == ag.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_to_string_dtype_and_float():
    x = ag.tensor([1.5, 2.5], dtype=ag.float64, requires_grad=True)
    y = x.to("float32")
    assert y.dtype == ag.float32
    assert x.float().dtype == ag.float32
    (y * 2).sum().backward()
    assert x.grad.dtype == ag.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_to_the_same_dtype_and_device_returns_the_tensor_itself():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(ag.float32) is x
    assert x.to("cpu") is x
    assert x.cpu() is x


def test_long_conversion_leaves_the_graph():
    x = ag.tensor([1.7, -2.2])
    assert x.long().dtype == ag.int64
    np.testing.assert_array_equal(x.long().detach().numpy(), [1, -2])


def test_clone_has_its_own_memory(torch):
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.clone()
    assert y.grad_fn.name() == "CloneBackward0"
    assert not np.shares_memory(x.detach().numpy(), y.detach().numpy())
    compare(torch, lambda m, a: a.clone() * a, r(4))


def test_detached_clone_is_a_leaf():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.detach().clone()
    assert y.is_leaf and not y.requires_grad


def test_float32_computations_stay_float32(torch):
    x = ag.tensor([0.5, 1.5, 2.5], requires_grad=True)
    w = ag.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    out = (w @ x.exp() + 2 * x.sum() - 1 / x.mean() + 2**x.max()).sigmoid().sum()
    assert out.dtype == ag.float32
    out.backward()
    assert x.grad.dtype == ag.float32 and w.grad.dtype == ag.float32
    tx = torch.tensor([0.5, 1.5, 2.5], requires_grad=True)
    tw = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    (tw @ tx.exp() + 2 * tx.sum() - 1 / tx.mean() + 2**tx.max()).sigmoid().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-6)
