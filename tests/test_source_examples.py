"""The numbers from the source tutorials (shared/source-material/README.md), which the lessons
reproduce: they must come out of autogradlab exactly as they come out of PyTorch."""

from __future__ import annotations

import numpy as np

import autogradlab as ag


def test_x_squared_plus_three_at_seven():
    x = ag.tensor(7.0, requires_grad=True)
    f = x**2 + 3
    f.backward()
    assert x.grad.item() == 14.0
    assert repr(x.grad) == "tensor(14.)"
    assert repr(f) == "tensor(52., grad_fn=<AddBackward0>)"


def test_cubic_on_a_3x3_matrix():
    x = ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]], requires_grad=True)
    z = (x**3 + 7 * x**2 + 5 * x + 10).sum()
    z.backward()
    expected = [[22.0, 45.0, 74.0], [109.0, 150.0, 197.0], [250.0, 309.0, 374.0]]
    assert x.grad.tolist() == expected
    assert repr(x.grad) == (
        "tensor([[ 22.,  45.,  74.],\n"
        "        [109., 150., 197.],\n"
        "        [250., 309., 374.]])"
    )


def _both(torch, arrays, requires_grad=True):
    ours = [ag.tensor(a, requires_grad=requires_grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return ours, theirs


def test_five_by_five_graph_matches_torch(torch):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((5, 5)).astype(np.float32) for _ in range(5)]
    results = []
    for inputs in _both(torch, arrays):
        a, x1, x2, x3, x4 = inputs
        b = x1 * a
        c = x2 * a
        d = x3 * b + x4 * c
        L = (10 - d).sum()
        L.backward()
        results.append((L.item(), [np.array(t.grad.tolist()) for t in inputs]))
    (ours_l, ours_g), (theirs_l, theirs_g) = results
    assert ours_l == np.float32(theirs_l) or abs(ours_l - theirs_l) < 1e-4
    for name, got, want in zip(["a", "x1", "x2", "x3", "x4"], ours_g, theirs_g):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=name)
    a, x1, x2, x3, x4 = arrays
    # dL/da = (dL/dd)(dd/db)(db/da) + (dL/dd)(dd/dc)(dc/da): the sum over both paths
    np.testing.assert_allclose(ours_g[0], -(x3 * x1 + x4 * x2), rtol=1e-6)


def test_rnn_style_tanh_cell_matches_torch(torch):
    rng = np.random.default_rng(1)
    arrays = [
        rng.standard_normal((1, 10)),  # x
        rng.standard_normal((1, 20)),  # prev_h
        rng.standard_normal((20, 20)),  # W_h
        rng.standard_normal((20, 10)),  # W_x
    ]
    for dtype in (np.float32, np.float64):
        grads = []
        for x, prev_h, W_h, W_x in _both(torch, [a.astype(dtype) for a in arrays]):
            i2h = W_x @ x.T
            h2h = W_h @ prev_h.T
            out = (i2h + h2h).tanh().sum()
            out.backward()
            grads.append([np.array(t.grad.tolist()) for t in (x, prev_h, W_h, W_x)] +
                         [np.array(out.item())])
        tolerance = 1e-5 if dtype == np.float32 else 1e-12
        for got, want in zip(*grads):
            np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)


def test_linear_model_with_a_manual_sgd_step_matches_torch(torch):
    xs = np.array([[1.0], [2.0], [3.0], [4.0]], dtype=np.float32)
    ys = 2 * xs + 1
    params = []
    for m in (ag, torch):
        w = m.tensor([[0.5]], requires_grad=True)
        b = m.tensor([0.0], requires_grad=True)
        x, y = m.tensor(xs), m.tensor(ys)
        for _ in range(5):
            loss = ((w * x + b - y) ** 2).mean()
            loss.backward()
            w.data -= 0.01 * w.grad.data
            b.data -= 0.01 * b.grad.data
            w.grad = None
            b.grad = None
        params.append((w.item(), b.item(), loss.item()))
    np.testing.assert_allclose(params[0], params[1], rtol=1e-5)


def test_one_hidden_layer_relu_net_matches_torch(torch):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in [(8, 3), (3, 16), (16,), (16, 1), (1,)]]
    target = rng.standard_normal((8, 1))
    results = []
    for inputs in _both(torch, arrays):
        x, w1, b1, w2, b2 = inputs
        out = (x @ w1 + b1).relu() @ w2 + b2
        loss = ((out - (ag.tensor(target) if inputs[0].__class__ is ag.Tensor
                        else torch.tensor(target))) ** 2).mean()
        loss.backward()
        results.append([np.array(t.grad.tolist()) for t in inputs[1:]])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
