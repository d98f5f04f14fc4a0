"""The graphs the viz tests draw and check: the source material's examples, built the same way.

Each builder returns ``{name: tensor}``, so a test can call ``viz.trace(ns["L"], names=ns)`` and
get the learner's names (``a``, ``w1``) whatever function it runs in.
"""

from __future__ import annotations

import numpy as np

import autogradlab as ag


def source_scalar(f: str = "sub") -> dict[str, ag.Tensor]:
    """``b = w1*a; c = w2*a; d = w3*b + w4*c; L = f(d)`` with f = ``10 - d`` or ``tanh``."""
    a = ag.tensor(2.0, requires_grad=True)
    w1 = ag.tensor(3.0, requires_grad=True)
    w2 = ag.tensor(4.0, requires_grad=True)
    w3 = ag.tensor(5.0, requires_grad=True)
    w4 = ag.tensor(6.0, requires_grad=True)
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    # tanh is scaled down so that it is not flat there (tanh(78) would have slope 0)
    L = (d * 0.01).tanh() if f == "tanh" else 10 - d
    L.backward()
    return {"a": a, "w1": w1, "w2": w2, "w3": w3, "w4": w4, "b": b, "c": c, "d": d, "L": L}


def source_tensor() -> dict[str, ag.Tensor]:
    """The same graph on 5x5 tensors, reduced with ``.sum()``."""
    rng = np.random.default_rng(0)

    def leaf() -> ag.Tensor:
        return ag.tensor(rng.standard_normal((5, 5)), requires_grad=True)

    a, w1, w2, w3, w4 = leaf(), leaf(), leaf(), leaf(), leaf()
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = d.sum()
    L.backward()
    return {"a": a, "w1": w1, "w2": w2, "w3": w3, "w4": w4, "b": b, "c": c, "d": d, "L": L}


def square_plus_three() -> dict[str, ag.Tensor]:
    """``f = x**2 + 3`` at ``x = 7``: ``x.grad`` is 14."""
    x = ag.tensor(7.0, requires_grad=True)
    f = x**2 + 3
    f.backward()
    return {"x": x, "f": f}


def random_expression(n_ops: int, seed: int, n_leaves: int = 4) -> ag.Tensor:
    """A random scalar expression graph of ``n_ops`` operations over a few leaves (reused)."""
    rng = np.random.default_rng(seed)
    nodes = [ag.tensor(float(v), requires_grad=True) for v in rng.uniform(-1, 1, n_leaves)]
    for _ in range(n_ops):
        x = nodes[int(rng.integers(len(nodes)))]
        y = nodes[int(rng.integers(max(0, len(nodes) - 6), len(nodes)))]
        kind = int(rng.integers(5))
        z = [x + y, x * y, (x - y).tanh(), x.sigmoid() * 2, x * 0.5 + y][kind]
        nodes.append(z)
    return nodes[-1]


def tensor_chain(n_ops: int, seed: int = 0) -> ag.Tensor:
    """A chain of 4x4 tensor operations with a weight leaf every few steps, summed at the end."""
    rng = np.random.default_rng(seed)
    h = ag.tensor(rng.standard_normal((4, 4)), requires_grad=True)
    for i in range(n_ops):
        if i % 3 == 0:
            h = h @ ag.tensor(rng.standard_normal((4, 4)) * 0.5, requires_grad=True)
        elif i % 3 == 1:
            h = h.tanh()
        else:
            h = h + ag.tensor(rng.standard_normal((4, 4)), requires_grad=True)
    return h.sum()


class Neuron(ag.nn.Module):
    """micrograd's neuron on scalar tensors: ``relu(w · x + b)`` (linear when ``nonlin=False``)."""

    def __init__(self, nin: int, rng: np.random.Generator, nonlin: bool = True) -> None:
        super().__init__()
        for i in range(nin):
            setattr(self, f"w{i}", ag.nn.Parameter(ag.tensor(float(rng.uniform(-1, 1)))))
        self.b = ag.nn.Parameter(ag.tensor(0.0))
        self.nin, self.nonlin = nin, nonlin

    def forward(self, x: list[ag.Tensor]) -> ag.Tensor:
        act = self.b
        for i, xi in enumerate(x):
            act = act + getattr(self, f"w{i}") * xi
        return act.relu() if self.nonlin else act


class Layer(ag.nn.Module):
    """A list of neurons, each seeing every input."""

    def __init__(self, nin: int, nout: int, rng: np.random.Generator, nonlin: bool) -> None:
        super().__init__()
        for i in range(nout):
            self.add_module(str(i), Neuron(nin, rng, nonlin))
        self.nout = nout

    def forward(self, x: list[ag.Tensor]) -> list[ag.Tensor]:
        return [getattr(self, str(i))(x) for i in range(self.nout)]


class MLP(ag.nn.Module):
    """micrograd's ``MLP(2, [16, 16, 1])``: layers ``0``, ``1``, ``2``; neuron 3 of layer 0 is
    module ``0.3`` (what the views fold by)."""

    def __init__(self, sizes: list[int], seed: int = 1337) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        for i, (nin, nout) in enumerate(zip(sizes, sizes[1:])):
            self.add_module(str(i), Layer(nin, nout, rng, nonlin=i < len(sizes) - 2))
        self.depth = len(sizes) - 1

    def forward(self, x: list[ag.Tensor]) -> ag.Tensor:
        for i in range(self.depth):
            x = getattr(self, str(i))(x)
        return x[0]


def micrograd_demo() -> dict[str, ag.Tensor]:
    """micrograd's demo network, 2-16-16-1 on scalar tensors, with its max-margin loss on one
    point (label +1), after ``loss.backward()``: about a thousand nodes."""
    model = MLP([2, 16, 16, 1])
    x0 = ag.tensor(0.5, requires_grad=True)
    x1 = ag.tensor(-1.25, requires_grad=True)
    score = model([x0, x1])
    loss = (1 - score).relu()
    loss.backward()
    return {"x0": x0, "x1": x1, "score": score, "loss": loss, "model": model}
