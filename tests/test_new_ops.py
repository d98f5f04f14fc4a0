"""The ops a learner reaches for (sin ... binary_cross_entropy_with_logits) against PyTorch.

Values, first derivatives, node names and broadcasting are compared with torch; a Hypothesis
property test checks backward() against finite differences on random shapes. Second derivatives
are in test_second_order.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autogradlab as ag
from autogradlab.functions import _erf_array

RNG = np.random.default_rng(7)


def _arr(*shape: int, positive: bool = False) -> np.ndarray:
    a = RNG.standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


def _np(t) -> np.ndarray:
    return t.detach().numpy()


def compare(f, arrays, name=None, rtol=1e-10, atol=1e-12):
    """Same value, node name and gradients (for a random upstream gradient) as torch."""
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = f(ag, *xs), f(torch, *txs)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(_np(out), _np(tout), rtol=rtol, atol=atol)
    assert out.grad_fn.name() == tout.grad_fn.name()
    if name is not None:
        assert out.grad_fn.name() == name
    upstream = RNG.standard_normal(tuple(tout.shape))
    out.backward(ag.tensor(upstream))
    tout.backward(torch.tensor(upstream))
    for x, tx in zip(xs, txs):
        expected = np.zeros(tx.shape) if tx.grad is None else tx.grad.numpy()
        got = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


F = "nn.functional"

CASES = {
    "sin": (lambda m, x: x.sin(), [_arr(3, 4)], "SinBackward0"),
    "ag.sin": (lambda m, x: m.sin(x), [_arr(5)], "SinBackward0"),
    "cos": (lambda m, x: m.cos(x), [_arr(3, 4)], "CosBackward0"),
    "abs": (lambda m, x: m.abs(x), [_arr(3, 4)], "AbsBackward0"),
    "abs_builtin": (lambda m, x: abs(x), [np.array([-2.0, 0.0, 3.0])], "AbsBackward0"),
    "sqrt": (lambda m, x: m.sqrt(x), [_arr(3, 4, positive=True)], "SqrtBackward0"),
    "clamp_both": (lambda m, x: m.clamp(x, min=-0.5, max=0.5), [_arr(4, 5)], "ClampBackward1"),
    "clamp_min": (lambda m, x: x.clamp(min=0.1), [_arr(4, 5)], "ClampBackward1"),
    "clamp_max": (lambda m, x: x.clamp(max=0.1), [_arr(4, 5)], "ClampBackward1"),
    "clamp_at_bounds": (lambda m, x: x.clamp(-1.0, 1.0),
                        [np.array([-1.0, -0.5, 1.0, 2.0])], "ClampBackward1"),
    "clamp_tensor_min": (lambda m, x, lo: x.clamp(min=lo), [_arr(3, 4), _arr(4)],
                         "ClampBackward0"),
    "clamp_tensor_both": (lambda m, x, lo: x.clamp(min=lo, max=lo + 1.0), [_arr(3, 4), _arr(4)],
                          "ClampBackward0"),
    "maximum": (lambda m, x, y: m.maximum(x, y), [_arr(3, 4), _arr(4)], "MaximumBackward0"),
    "maximum_ties": (lambda m, x, y: m.maximum(x, y),
                     [np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 3.0])], "MaximumBackward0"),
    "minimum": (lambda m, x, y: m.minimum(x, y), [_arr(2, 1, 3), _arr(4, 1)], "MinimumBackward0"),
    "minimum_ties": (lambda m, x, y: x.minimum(y),
                     [np.array([1.0, 2.0]), np.array([1.0, 0.0])], "MinimumBackward0"),
    "max_tensor": (lambda m, x, y: m.max(x, y), [_arr(3), _arr(3)], "MaximumBackward0"),
    "min_all": (lambda m, x: m.min(x), [_arr(3, 4)], "MinBackward1"),
    "min_all_ties": (lambda m, x: x.min(), [np.array([1.0, -2.0, -2.0])], "MinBackward1"),
    "min_dim": (lambda m, x: x.min(dim=1).values, [_arr(3, 4)], "MinBackward0"),
    "min_dim_keepdim": (lambda m, x: m.min(x, 0, keepdim=True).values, [_arr(3, 4)],
                        "MinBackward0"),
    "max_dim": (lambda m, x: m.max(x, dim=-1).values, [_arr(3, 4)], "MaxBackward0"),
    "var": (lambda m, x: x.var(), [_arr(3, 4)], "VarBackward0"),
    "var_dim": (lambda m, x: m.var(x, dim=1), [_arr(3, 4)], "VarBackward0"),
    "var_keepdim_correction0": (lambda m, x: x.var(dim=0, keepdim=True, correction=0),
                                [_arr(3, 4)], "VarBackward0"),
    "var_dims": (lambda m, x: x.var(dim=(0, 2)), [_arr(2, 3, 4)], "VarBackward0"),
    "std": (lambda m, x: m.std(x), [_arr(3, 4)], "StdBackward0"),
    "std_dim": (lambda m, x: x.std(dim=-1, keepdim=True), [_arr(3, 4)], "StdBackward0"),
    "std_correction2": (lambda m, x: x.std(dim=1, correction=2), [_arr(3, 5)], "StdBackward0"),
    "cat": (lambda m, x, y: m.cat([x, y], dim=0), [_arr(2, 3), _arr(4, 3)], "CatBackward0"),
    "cat_dim1": (lambda m, x, y, z: m.cat((x, y, z), dim=-1),
                 [_arr(2, 3), _arr(2, 1), _arr(2, 2)], "CatBackward0"),
    "stack": (lambda m, x, y: m.stack([x, y]), [_arr(2, 3), _arr(2, 3)], "StackBackward0"),
    "stack_last": (lambda m, x, y, z: m.stack([x, y, z], dim=-1),
                   [_arr(2, 3), _arr(2, 3), _arr(2, 3)], "StackBackward0"),
    "squeeze": (lambda m, x: m.squeeze(x), [_arr(3, 1, 2)], "SqueezeBackward0"),
    "squeeze_dim": (lambda m, x: x.squeeze(1), [_arr(3, 1, 2)], "SqueezeBackward1"),
    "unsqueeze": (lambda m, x: m.unsqueeze(x, -1), [_arr(3, 2)], "UnsqueezeBackward0"),
    "flatten": (lambda m, x: m.flatten(x), [_arr(2, 3, 4)], "ViewBackward0"),
    "flatten_range": (lambda m, x: x.flatten(1, 2), [_arr(2, 3, 4)], "ViewBackward0"),
    "view": (lambda m, x: x.view(4, 3), [_arr(3, 4)], "ViewBackward0"),
    "view_minus_one": (lambda m, x: x.view(-1), [_arr(3, 4)], "ViewBackward0"),
    "expand": (lambda m, x: x.expand(2, 3, 4), [_arr(3, 1)], "ExpandBackward0"),
    "expand_keep": (lambda m, x: x.expand(-1, 4), [_arr(3, 1)], "ExpandBackward0"),
    "leaky_relu": (lambda m, x: m.nn.functional.leaky_relu(x), [_arr(3, 4)],
                   "LeakyReluBackward0"),
    "leaky_relu_slope": (lambda m, x: m.nn.functional.leaky_relu(x, negative_slope=0.3),
                         [np.array([-1.0, 0.0, 2.0])], "LeakyReluBackward0"),
    "gelu": (lambda m, x: m.nn.functional.gelu(x), [_arr(3, 4) * 3], "GeluBackward0"),
    "gelu_tails": (lambda m, x: m.nn.functional.gelu(x),
                   [np.array([-9.0, -5.0, -3.0, 0.0, 3.0, 5.0, 9.0])], "GeluBackward0"),
    "gelu_tanh": (lambda m, x: m.nn.functional.gelu(x, approximate="tanh"), [_arr(3, 4) * 3],
                  "GeluBackward0"),
    "mse_loss": (lambda m, x, y: m.nn.functional.mse_loss(x, y), [_arr(3, 4), _arr(3, 4)],
                 "MseLossBackward0"),
    "mse_loss_sum": (lambda m, x, y: m.nn.functional.mse_loss(x, y, reduction="sum"),
                     [_arr(3, 4), _arr(3, 4)], "MseLossBackward0"),
    "mse_loss_none": (lambda m, x, y: m.nn.functional.mse_loss(x, y, reduction="none"),
                      [_arr(3, 4), _arr(3, 4)], "MseLossBackward0"),
    "l1_loss": (lambda m, x, y: m.nn.functional.l1_loss(x, y), [_arr(3, 4), _arr(3, 4)],
                "MeanBackward0"),
    "l1_loss_sum": (lambda m, x, y: m.nn.functional.l1_loss(x, y, reduction="sum"),
                    [_arr(5), _arr(5)], "SumBackward0"),
    "l1_loss_none": (lambda m, x, y: m.nn.functional.l1_loss(x, y, reduction="none"),
                     [_arr(5), _arr(5)], "AbsBackward0"),
    "bce_with_logits": (lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(
        x, y.sigmoid()), [_arr(3, 4), _arr(3, 4)], "BinaryCrossEntropyWithLogitsBackward0"),
    "bce_with_logits_sum": (lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(
        x, y.sigmoid(), reduction="sum"), [_arr(6), _arr(6)],
        "BinaryCrossEntropyWithLogitsBackward0"),
    "bce_with_logits_none": (lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(
        x, y.sigmoid(), reduction="none"), [_arr(6), _arr(6)],
        "BinaryCrossEntropyWithLogitsBackward0"),
    "bce_with_logits_huge": (lambda m, x, y: m.nn.functional.binary_cross_entropy_with_logits(
        x, y, reduction="none"), [np.array([-800.0, -40.0, 0.0, 40.0, 800.0]),
                                  np.array([1.0, 0.0, 0.5, 1.0, 0.0])],
        "BinaryCrossEntropyWithLogitsBackward0"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(case):
    f, arrays, name = CASES[case]
    compare(f, arrays, name)


MODULES = {
    "LeakyReLU": (lambda nn: nn.LeakyReLU(0.05), 1),
    "GELU": (lambda nn: nn.GELU(), 1),
    "GELU_tanh": (lambda nn: nn.GELU(approximate="tanh"), 1),
    "MSELoss": (lambda nn: nn.MSELoss(), 2),
    "L1Loss": (lambda nn: nn.L1Loss(reduction="sum"), 2),
    "BCEWithLogitsLoss": (lambda nn: nn.BCEWithLogitsLoss(), 2),
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_match_torch(module):
    make, arity = MODULES[module]
    arrays = [_arr(4, 3) for _ in range(arity)]
    if module == "BCEWithLogitsLoss":
        arrays[1] = (arrays[1] > 0).astype(np.float64)
    compare(lambda m, *xs: make(m.nn)(*xs), arrays)


def test_min_and_max_with_dim_return_values_and_indices_like_torch():
    a = np.array([[3.0, 1.0, 1.0], [0.0, 5.0, -2.0]])
    for method in ("min", "max"):
        for dim, keepdim in ((0, False), (1, True), (-1, False)):
            got = getattr(ag.tensor(a), method)(dim=dim, keepdim=keepdim)
            want = getattr(torch.tensor(a), method)(dim=dim, keepdim=keepdim)
            np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
            np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
            values, indices = got  # unpacks like torch's named tuple
            assert indices.dtype == ag.int64


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
def test_argmax_argmin_match_torch(fn):
    a = np.array([[3.0, 7.0, 1.0], [0.0, 5.0, -2.0]])
    for kwargs in ({}, {"dim": 0}, {"dim": 1}, {"dim": -1, "keepdim": True}):
        got = getattr(ag, fn)(ag.tensor(a), **kwargs)
        want = getattr(torch, fn)(torch.tensor(a), **kwargs)
        assert got.shape == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        np.testing.assert_array_equal(getattr(ag.tensor(a), fn)(**kwargs).numpy(), want.numpy())


def test_float32_stays_float32():
    x = ag.tensor([[-1.5, 0.5, 2.0]], requires_grad=True)
    outs = [x.sin(), x.cos(), abs(x), (x * x).sqrt(), x.clamp(-1, 1), ag.maximum(x, x * 2),
            x.var(), x.std(dim=1), ag.cat([x, x]), ag.stack([x, x]),
            ag.nn.functional.leaky_relu(x), ag.nn.functional.gelu(x),
            ag.nn.functional.gelu(x, approximate="tanh"),
            ag.nn.functional.mse_loss(x, x.detach() + 1),
            ag.nn.functional.binary_cross_entropy_with_logits(x, x.detach().sigmoid())]
    for out in outs:
        assert out.dtype == ag.float32, out.grad_fn
        out.sum().backward()
        assert x.grad.dtype == ag.float32
        x.grad = None


def test_erf_is_accurate_everywhere():
    xs = np.concatenate([np.linspace(-10, 10, 4001), [-3.0, 3.0, 2.9999999, 3.0000001, 0.0]])
    exact = np.array([math.erf(v) for v in xs])
    assert np.max(np.abs(_erf_array(xs) - exact)) < 1e-12
    np.testing.assert_allclose(_erf_array(xs.astype(np.float32)), exact, atol=1e-6)


@pytest.mark.parametrize("fn", ["sin", "cos", "abs", "sqrt", "flatten", "squeeze", "var", "std",
                                "min", "max", "argmax", "argmin"])
def test_functions_want_tensors(fn):
    with pytest.raises(TypeError, match=rf"ag\.{fn}\(\): argument 'input' .* must be a Tensor"):
        getattr(ag, fn)([1.0, 2.0])


def test_two_argument_functions_want_tensors():
    x = ag.tensor([1.0])
    for fn in ("maximum", "minimum"):
        with pytest.raises(TypeError, match="argument 'other' \\(position 2\\)"):
            getattr(ag, fn)(x, 0.5)
    with pytest.raises(TypeError, match="argument 'input'"):
        ag.clamp(1.0, min=0.0)
    with pytest.raises(TypeError, match="element 1"):
        ag.cat([x, [1.0]])
    with pytest.raises(TypeError, match="list or tuple of Tensors"):
        ag.stack(x)
    with pytest.raises(ValueError, match="min"):
        x.clamp()


def test_out_of_range_dims_are_clear_errors():
    x = ag.tensor(np.zeros((2, 3)))
    calls = [lambda: x.var(dim=2), lambda: x.std(dim=-3), lambda: x.min(dim=2),
             lambda: x.argmin(dim=2), lambda: x.argmax(dim=-3), lambda: ag.cat([x, x], dim=2),
             lambda: ag.stack([x, x], dim=3), lambda: x.unsqueeze(3), lambda: x.squeeze(2),
             lambda: ag.flatten(x, 0, 2)]
    for call in calls:
        with pytest.raises(ag.ShapeError, match="out of range"):
            call()
    ag.stack([x, x], dim=2)  # one more position than dimensions is allowed for a new axis
    ag.stack([x, x], dim=-3)


def test_cat_and_stack_shape_errors():
    with pytest.raises(ag.ShapeError, match="except in dimension 0"):
        ag.cat([ag.zeros(2, 3), ag.zeros(2, 4)])
    with pytest.raises(ag.ShapeError, match="equal size"):
        ag.stack([ag.zeros(2, 3), ag.zeros(3, 2)])


def test_losses_check_their_arguments():
    F_ = ag.nn.functional
    x = ag.tensor(np.zeros((4, 1)), requires_grad=True)
    for loss in (F_.mse_loss, F_.l1_loss, F_.binary_cross_entropy_with_logits):
        with pytest.raises(ag.ShapeError, match="must match"):
            loss(x, ag.tensor(np.zeros(4)))
        with pytest.raises(ag.DTypeError, match="floating-point"):
            loss(x, ag.tensor([[1], [0], [1], [0]]))
        with pytest.raises(TypeError, match="tensor"):
            loss(x, [[1.0]] * 4)
        with pytest.raises(ValueError, match="reduction"):
            loss(x, x.detach(), reduction="average")


def test_new_names_are_exported():
    for name in ("sin", "cos", "abs", "sqrt", "clamp", "maximum", "minimum", "cat", "stack",
                 "var", "std", "min", "max", "argmax", "argmin", "flatten", "squeeze",
                 "unsqueeze"):
        assert name in ag.__all__ and callable(getattr(ag, name))
        assert hasattr(torch, name)
    for name in ("LeakyReLU", "GELU", "L1Loss", "BCEWithLogitsLoss", "MSELoss"):
        assert name in ag.nn.__all__
    for name in ("leaky_relu", "gelu", "mse_loss", "l1_loss", "binary_cross_entropy_with_logits"):
        assert callable(getattr(ag.nn.functional, name))


# -- finite differences on random shapes ----------------------------------------------------------

FLOATS = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, width=64)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)


def _leaf(array: np.ndarray) -> ag.Tensor:
    return ag.tensor(array, requires_grad=True)


def _spread(a: ag.Tensor) -> ag.Tensor:
    """a plus distinct offsets: never constant, so std stays away from its kink at 0."""
    offsets = np.arange(a.numel(), dtype=np.float64).reshape(a.shape) * 5.0
    return a + ag.tensor(offsets)


# smooth functions only (finite differences must not straddle a kink)
UNARY = {
    "sin": lambda a: a.sin(),
    "cos": lambda a: ag.cos(a * 2),
    "abs": lambda a: abs(a + 3.0) * abs(a - 3.0),
    "sqrt": lambda a: (a * a + 0.5).sqrt(),
    "clamp": lambda a: (a + 5.0).clamp(min=1.0, max=10.0) * a,
    "leaky_relu": lambda a: ag.nn.functional.leaky_relu(a + 3.0) + ag.nn.functional.leaky_relu(
        a - 3.0, 0.2),
    "gelu": lambda a: ag.nn.functional.gelu(a * 2),
    "gelu_tanh": lambda a: ag.nn.functional.gelu(a * 2, approximate="tanh"),
    "var": lambda a: a.var(correction=0),
    "var_dim": lambda a: a.var(dim=-1, keepdim=True, correction=0) * a,
    "std": lambda a: ag.cat([_spread(a).flatten(), ag.tensor([-7.0], dtype=ag.float64)]).std(),
    "std_dim": lambda a: ag.stack([_spread(a), a * 0.0 - 7.0]).std(dim=0, correction=0),
    "squeeze_unsqueeze": lambda a: a.unsqueeze(0).squeeze(0).flatten() ** 2,
    "cat": lambda a: ag.cat([a, a * a], dim=0),
    "stack": lambda a: ag.stack([a, a.sin()], dim=-1),
    "expand": lambda a: a.unsqueeze(0).expand(2, *a.shape) ** 2,
}
BINARY = {
    "maximum": lambda a, b: ag.maximum(a, b + 10.0) + ag.maximum(a + 10.0, b),
    "minimum": lambda a, b: ag.minimum(a * b, b + 10.0),
    "mse_loss": lambda a, b: ag.nn.functional.mse_loss(a, b),
    "l1_loss": lambda a, b: ag.nn.functional.l1_loss(a + 5.0, b),
    "bce_with_logits": lambda a, b: ag.nn.functional.binary_cross_entropy_with_logits(
        a * 3, b.sigmoid()),
}


@given(data=st.data(), shape=SHAPES)
def test_new_unary_ops_on_random_shapes(data, shape):
    x = data.draw(hnp.arrays(np.float64, shape, elements=FLOATS))
    name = data.draw(st.sampled_from(sorted(UNARY)))
    assert ag.gradcheck(UNARY[name], (_leaf(x),))


@given(data=st.data(), shape=SHAPES)
def test_new_binary_ops_on_random_shapes(data, shape):
    a = data.draw(hnp.arrays(np.float64, shape, elements=FLOATS))
    b = data.draw(hnp.arrays(np.float64, shape, elements=FLOATS))
    name = data.draw(st.sampled_from(sorted(BINARY)))
    assert ag.gradcheck(BINARY[name], (_leaf(a), _leaf(b)))


@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                                 max_side=3))
def test_maximum_minimum_broadcast(data, shapes):
    a = data.draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=FLOATS))
    b = data.draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=FLOATS))
    for fn in ("maximum", "minimum"):
        out = getattr(ag, fn)(_leaf(a), _leaf(b))
        tout = getattr(torch, fn)(torch.tensor(a), torch.tensor(b))
        assert out.shape == tuple(tout.shape)
        np.testing.assert_array_equal(out.detach().numpy(), tout.numpy())
    compare(lambda m, x, y: m.maximum(x, y) * m.minimum(x, y), [a, b])
