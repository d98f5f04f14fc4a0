"""Property tests: backward() against finite differences (an independent referee), on random
shapes, random broadcastable pairs and random small programs whose nodes may be used twice.

Kept fast (small shapes, ~40 examples); under CI=true the ``ci`` Hypothesis profile in
conftest.py derandomizes them, so CI failures are reproducible.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autogradlab as ag
from autogradlab.gradcheck import numerical_gradients

FLOATS = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, width=64)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def arrays(shape):
    return hnp.arrays(np.float64, shape, elements=FLOATS)


def leaf(array: np.ndarray) -> ag.Tensor:
    return ag.tensor(array, requires_grad=True)


# smooth functions only (no kinks where finite differences would straddle a corner)
UNARY = {
    "exp": lambda a: (a * 0.5).exp(),
    "log": lambda a: (a * a + 0.5).log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "neg": lambda a: -a,
    "reciprocal": lambda a: 1 / (a * a + 1),
    "rpow": lambda a: 2**a,
    "affine": lambda a: 3 * a - 1,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "pow": lambda a, b: (a * a + 0.5) ** b,
}


@given(data=st.data(), shape=SHAPES)
def test_unary_ops_on_random_shapes(data, shape):
    x = data.draw(arrays(shape))
    name = data.draw(st.sampled_from(sorted(UNARY)))
    assert ag.gradcheck(UNARY[name], (leaf(x),))


@given(data=st.data(), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                                 max_side=3))
def test_binary_ops_on_random_broadcastable_pairs(data, shapes):
    a = data.draw(arrays(shapes.input_shapes[0]))
    b = data.draw(arrays(shapes.input_shapes[1]))
    name = data.draw(st.sampled_from(sorted(BINARY)))
    x, y = leaf(a), leaf(b)
    out = BINARY[name](x, y)
    assert out.shape == shapes.result_shape
    out.sum().backward()
    assert x.grad.shape == a.shape and y.grad.shape == b.shape
    expected = numerical_gradients(lambda p, q: BINARY[name](p, q), (x, y))
    np.testing.assert_allclose(x.grad.numpy(), expected[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), expected[1], rtol=1e-4, atol=1e-6)


@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
def test_reductions_and_shape_ops_on_random_shapes(data, shape):
    x = data.draw(arrays(shape))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    weights = np.arange(1.0, 1.0 + x.size).reshape(shape)
    ops = [
        lambda t: t.sum(dim=dim, keepdim=keepdim) ** 2,
        lambda t: t.mean(dim=dim, keepdim=keepdim).exp(),
        lambda t: ag.softmax(t, dim) * ag.tensor(weights),
        lambda t: ag.log_softmax(t, dim) * ag.tensor(weights),
        lambda t: (t.reshape(-1) * ag.tensor(weights.reshape(-1))).tanh(),
        lambda t: t.transpose(0, -1).exp() * ag.tensor(weights.T if x.ndim == 2 else 1.0),
        lambda t: t[..., :1] * t[..., -1:],
    ]
    op = data.draw(st.sampled_from(ops))
    assert ag.gradcheck(op, (leaf(x),))


@given(data=st.data())
def test_matmul_on_random_shapes(data):
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch = data.draw(st.sampled_from([(), (2,), (1, 2)]))
    left_1d, right_1d = data.draw(st.booleans()), data.draw(st.booleans())
    a_shape = (k,) if left_1d else batch + (n, k)
    b_shape = (k,) if right_1d else (k, m)
    a, b = data.draw(arrays(a_shape)), data.draw(arrays(b_shape))
    assert ag.gradcheck(lambda p, q: (p @ q) ** 2, (leaf(a), leaf(b)))


@st.composite
def programs(draw):
    """A small random program over a few leaves: each step reads any earlier value (so nodes
    get used twice, or more), and the result is a weighted sum of several of them."""
    n_leaves = draw(st.integers(1, 3))
    steps = []
    for i in range(draw(st.integers(1, 8))):
        available = n_leaves + i
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))),
                          draw(st.integers(0, available - 1))))
        else:
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))),
                          draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1))))
    outputs = draw(st.lists(st.integers(0, n_leaves + len(steps) - 1), min_size=1, max_size=3))
    return n_leaves, steps, outputs


def run_program(program, *leaves):
    n_leaves, steps, outputs = program
    values = list(leaves)
    for step in steps:
        if step[0] == "unary":
            values.append(UNARY[step[1]](values[step[2]]))
        else:
            values.append(BINARY[step[1]](values[step[2]], values[step[3]]))
    total = 0
    for k, index in enumerate(outputs):
        total = total + (k + 1) * values[index].tanh().sum()
    return total


@given(data=st.data(), program=programs(), shape=SHAPES)
def test_random_programs_match_finite_differences(data, program, shape):
    leaves = [leaf(data.draw(arrays(shape))) for _ in range(program[0])]
    assert ag.gradcheck(lambda *xs: run_program(program, *xs), leaves)


@given(data=st.data(), program=programs(), shape=SHAPES)
def test_random_programs_match_torch(torch, data, program, shape):
    arrays_ = [data.draw(arrays(shape)) for _ in range(program[0])]
    ours = [leaf(a) for a in arrays_]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays_]
    out, expected = run_program(program, *ours), run_program(program, *theirs)
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-10, atol=1e-12)
    out.backward()
    expected.backward()
    for x, y in zip(ours, theirs):
        got = np.zeros(shape) if x.grad is None else x.grad.numpy()
        want = np.zeros(shape) if y.grad is None else y.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@given(data=st.data(), program=programs(), shape=SHAPES)
def test_ag_grad_equals_backward(data, program, shape):
    arrays_ = [data.draw(arrays(shape)) for _ in range(program[0])]
    first = [leaf(a) for a in arrays_]
    second = [leaf(a) for a in arrays_]
    grads = ag.grad(run_program(program, *first), first, allow_unused=True)
    run_program(program, *second).backward()
    for g, x, y in zip(grads, first, second):
        assert x.grad is None
        if g is None:
            assert y.grad is None or not np.any(y.grad.numpy())
        else:
            np.testing.assert_allclose(g.detach().numpy(), y.grad.numpy(), rtol=1e-12, atol=1e-14)
