"""How fast is the engine? Ratios against hand-written NumPy, PyTorch and a micrograd-style engine.

Run:  python benchmarks/engine.py            (about a minute; needs torch==2.13.0 for its columns)

1. One training step (forward, backward, SGD update) of a 784-256-10 ReLU MLP with softmax
   cross-entropy, float32, at batch 64 and 1024, for autogradlab, hand-written NumPy (forward plus
   a manual backward: the floor for any NumPy-based engine) and torch on the CPU.
   Budgets: autogradlab within 1.3x of NumPy at batch 64 and 1.1x at batch 1024.
2. Forward + backward cost per node of a scalar expression graph (0-d tensors), against a
   micrograd-style pure-Python engine (closures, garbage collector on) and torch 0-d tensors.
   Budgets: no slower per node than torch; within 3x of the micrograd-style engine.

Every number is the median of several repeats, measured in this one run.
"""

from __future__ import annotations

import gc
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autogradlab as ag  # noqa: E402
from autogradlab import functions as F  # noqa: E402

try:
    import torch
except ImportError:  # the torch columns are then left out
    torch = None


def median_time(step: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ------------------------------------------------------------------------------------------------
# 1. MLP training step
# ------------------------------------------------------------------------------------------------

SIZES = (784, 256, 10)
LR = 0.01


def mlp_data(batch: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[2], batch)
    w1 = (rng.standard_normal((SIZES[1], SIZES[0])) * 0.05).astype(np.float32)
    b1 = np.zeros(SIZES[1], np.float32)
    w2 = (rng.standard_normal((SIZES[2], SIZES[1])) * 0.05).astype(np.float32)
    b2 = np.zeros(SIZES[2], np.float32)
    return x, y, w1, b1, w2, b2


def numpy_step(batch: int) -> Callable[[], float]:
    x, y, w1, b1, w2, b2 = mlp_data(batch)
    one_hot = np.zeros((batch, SIZES[2]), np.float32)
    one_hot[np.arange(batch), y] = 1

    def step() -> float:
        h_pre = x @ w1.T + b1
        h = np.maximum(h_pre, 0)
        logits = h @ w2.T + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        sums = exps.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(sums[:, 0]) - shifted[np.arange(batch), y]))
        d_logits = (exps / sums - one_hot) / batch
        d_w2 = d_logits.T @ h
        d_b2 = d_logits.sum(axis=0)
        d_h = d_logits @ w2
        d_h_pre = d_h * (h_pre > 0)
        d_w1 = d_h_pre.T @ x
        d_b1 = d_h_pre.sum(axis=0)
        for p, g in ((w1, d_w1), (b1, d_b1), (w2, d_w2), (b2, d_b2)):
            p -= LR * g
        return loss

    return step


def autogradlab_step(batch: int) -> Callable[[], float]:
    x, y, *params = mlp_data(batch)
    x_t, y_t = ag.from_numpy(x), ag.from_numpy(y)
    w1, b1, w2, b2 = (ag.from_numpy(p).requires_grad_() for p in params)

    def step() -> float:
        h = F.Linear.apply(x_t, w1, b1).relu()
        loss = F.CrossEntropy.apply(F.Linear.apply(h, w2, b2), y_t)
        for p in (w1, b1, w2, b2):
            p.grad = None
        loss.backward()
        with ag.no_grad():
            for p in (w1, b1, w2, b2):
                p.data -= LR * p.grad.data
        return loss.item()

    return step


def torch_step(batch: int) -> Callable[[], float]:
    x, y, *params = mlp_data(batch)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)
    w1, b1, w2, b2 = (torch.from_numpy(p.copy()).requires_grad_() for p in params)
    nnf = torch.nn.functional

    def step() -> float:
        h = nnf.linear(x_t, w1, b1).relu()
        loss = nnf.cross_entropy(nnf.linear(h, w2, b2), y_t)
        for p in (w1, b1, w2, b2):
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in (w1, b1, w2, b2):
                p -= LR * p.grad
        return loss.item()

    return step


def bench_mlp() -> dict[str, float]:
    results = {}
    print("MLP training step, 784-256-10 ReLU + softmax cross-entropy, float32, SGD")
    print(f"{'batch':>6} {'numpy ms':>9} {'autogradlab':>12} {'torch':>8}   (ratios to NumPy)")
    for batch, repeats in ((64, 300), (1024, 40)):
        # interleave the engines so that machine noise hits them alike
        steps = {"numpy": numpy_step(batch), "autogradlab": autogradlab_step(batch)}
        if torch is not None:
            steps["torch"] = torch_step(batch)
        samples: dict[str, list[float]] = {name: [] for name in steps}
        for _ in range(5):
            for name, step in steps.items():
                samples[name].append(median_time(step, repeats // 5))
        times = {name: min(values) for name, values in samples.items()}
        base = times["numpy"]
        line = f"{batch:>6} {base * 1e3:>9.3f} {times['autogradlab'] / base:>11.2f}x"
        line += f" {times['torch'] / base:>7.2f}x" if "torch" in times else "      n/a"
        print(line)
        for name, value in times.items():
            results[f"mlp{batch}_{name}"] = value
    return results


# ------------------------------------------------------------------------------------------------
# 2. Scalar expression graphs
# ------------------------------------------------------------------------------------------------


class ClosureValue:
    """A micrograd-style scalar: each result keeps a closure that refers back to itself.

    That closure makes a reference cycle per node, so Python's cyclic garbage collector has to
    find and free every graph: the cost this benchmark keeps (the collector stays on).
    """

    def __init__(self, data: float, parents: tuple = ()) -> None:
        self.data, self.grad, self.parents = data, 0.0, parents
        self.backward_step: Callable[[], None] = lambda: None

    def __add__(self, other: ClosureValue) -> ClosureValue:
        out = ClosureValue(self.data + other.data, (self, other))

        def step() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out.backward_step = step
        return out

    def __mul__(self, other: ClosureValue) -> ClosureValue:
        out = ClosureValue(self.data * other.data, (self, other))

        def step() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out.backward_step = step
        return out

    def tanh(self) -> ClosureValue:
        t = math.tanh(self.data)
        out = ClosureValue(t, (self,))

        def step() -> None:
            self.grad += (1 - t * t) * out.grad

        out.backward_step = step
        return out

    def backward(self) -> None:
        order, seen = [], set()

        def visit(v: ClosureValue) -> None:
            if id(v) not in seen:
                seen.add(id(v))
                for parent in v.parents:
                    visit(parent)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v.backward_step()


def expression_program(nodes: int, leaves: int, seed: int = 0) -> list[tuple[str, int, int]]:
    """A random expression graph: each step combines two earlier values (or applies tanh)."""
    rng = random.Random(seed)
    program = []
    for i in range(nodes):
        available = leaves + i
        op = rng.choice(("add", "mul", "mul", "tanh"))
        # prefer recent values so the graph is deep, as real expressions are
        a = max(0, available - 1 - int(rng.expovariate(0.3)))
        b = rng.randrange(available)
        program.append((op, a, b))
    return program


def run_program(program: list, values: list) -> object:
    values = list(values)
    for op, a, b in program:
        if op == "add":
            values.append(values[a] + values[b])
        elif op == "mul":
            values.append(values[a] * values[b])
        else:
            values.append(values[a].tanh())
    total = values[-1]
    for v in values[-8:-1]:
        total = total + v
    return total


def bench_scalar(nodes: int = 2000, leaves: int = 10) -> dict[str, float]:
    program = expression_program(nodes, leaves)
    starts = [random.Random(i).uniform(-1, 1) * 0.5 for i in range(leaves)]
    size = nodes + 7

    def closure_engine() -> None:
        run_program(program, [ClosureValue(v) for v in starts]).backward()

    def autogradlab_engine() -> None:
        run_program(program, [ag.tensor(v, requires_grad=True) for v in starts]).backward()

    def torch_engine() -> None:
        run_program(program, [torch.tensor(v, requires_grad=True) for v in starts]).backward()

    engines = {"micrograd-style": closure_engine, "autogradlab": autogradlab_engine}
    if torch is not None:
        engines["torch 0-d"] = torch_engine
    gc.enable()
    samples: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(5):
        for name, engine in engines.items():
            samples[name].append(median_time(engine, 5, warmup=1) / size)
    per_node = {name: min(values) for name, values in samples.items()}
    print(f"\nScalar expression graph, {size} nodes: forward + backward per node (GC on)")
    for name, value in per_node.items():
        print(f"  {name:<16} {value * 1e6:7.2f} us/node")
    ours = per_node["autogradlab"]
    print(f"  autogradlab / micrograd-style: {ours / per_node['micrograd-style']:.2f}x (budget 3x)")
    if "torch 0-d" in per_node:
        print(f"  autogradlab / torch 0-d:       {ours / per_node['torch 0-d']:.2f}x (budget 1.0x)")
    return {f"scalar_{k}": v for k, v in per_node.items()}


def main() -> None:
    if torch is not None:
        threads = torch.get_num_threads()
        print(f"torch {torch.__version__}, {threads} threads; numpy {np.__version__}")
    bench_mlp()
    bench_scalar()


if __name__ == "__main__":
    main()
