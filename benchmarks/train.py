"""How long does an epoch of the two-moons lesson take? autogradlab vs PyTorch vs NumPy by hand.

Run:  python benchmarks/train.py            (a few seconds; torch is optional)

The task is the one learners run: a 2-16-16-2 ReLU MLP, softmax cross-entropy, Adam (lr=0.01),
full batch on 500 two-moons points (float32), 300 epochs (one step each). Three versions:

* autogradlab: ``ag.train(...)`` exactly as in the lesson (progress bar off);
* torch on the CPU: the same loop written in PyTorch;
* NumPy by hand: forward, a hand-derived backward and Adam, with no graph at all. It is the
  floor for any engine built on NumPy, so the ratios are against it.

Every version reads the loss as a Python float each step (as a progress bar does). Each time is
the median of several runs, all measured in this one run.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autogradlab as ag  # noqa: E402
from autogradlab.training import accuracy  # noqa: E402

try:
    import torch
except ImportError:  # the torch column is then left out
    torch = None

EPOCHS = 300
REPEATS = 5
LR = 0.01
SIZES = (2, 16, 16, 2)


def median_seconds_per_epoch(run: Callable[[], float]) -> tuple[float, float]:
    """Median time of one epoch over REPEATS runs of EPOCHS epochs; and the last accuracy."""
    run()  # warm-up
    times, acc = [], 0.0
    for _ in range(REPEATS):
        start = time.perf_counter()
        acc = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / EPOCHS, acc


def initial_weights() -> list[np.ndarray]:
    """One set of starting weights (autogradlab's Linear init), shared by all three versions."""
    ag.manual_seed(0)
    return [p.numpy().copy() for p in make_ag_model().parameters()]


def make_ag_model() -> ag.nn.Sequential:
    layers: list[ag.nn.Module] = []
    for fan_in, fan_out in zip(SIZES, SIZES[1:]):
        layers += [ag.nn.Linear(fan_in, fan_out), ag.nn.ReLU()]
    return ag.nn.Sequential(*layers[:-1])


def run_autogradlab(X: np.ndarray, y: np.ndarray, weights: list[np.ndarray]) -> float:
    model = make_ag_model()
    for p, w in zip(model.parameters(), weights):
        p.data = w.copy()
    Xt, yt = ag.tensor(X), ag.tensor(y)
    optimizer = ag.optim.Adam(model.parameters(), lr=LR)
    ag.train(model, ag.nn.CrossEntropyLoss(), optimizer, (Xt, yt), epochs=EPOCHS, progress=False)
    return accuracy(model, Xt, yt)


def run_torch(X: np.ndarray, y: np.ndarray, weights: list[np.ndarray]) -> float:
    layers: list[torch.nn.Module] = []
    for fan_in, fan_out in zip(SIZES, SIZES[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(torch.from_numpy(w))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(EPOCHS):
        optimizer.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        optimizer.step()
        loss.item()
    with torch.no_grad():
        return (model(Xt).argmax(1) == yt).float().mean().item()


def run_numpy(X: np.ndarray, y: np.ndarray, weights: list[np.ndarray]) -> float:
    """Forward, backward by hand, Adam by hand: no graph, no objects, just arrays."""
    params = [w.copy() for w in weights]  # W1, b1, W2, b2, W3, b3
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    n = len(X)
    one_hot = np.eye(SIZES[-1], dtype=X.dtype)[y]

    def forward(params: list[np.ndarray]) -> tuple[np.ndarray, ...]:
        W1, b1, W2, b2, W3, b3 = params
        z1 = X @ W1.T + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2.T + b2
        h2 = np.maximum(z2, 0)
        return h1, h2, h2 @ W3.T + b3

    for t in range(1, EPOCHS + 1):
        W1, b1, W2, b2, W3, b3 = params
        h1, h2, logits = forward(params)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        totals = exps.sum(axis=1, keepdims=True)
        float(np.mean(np.log(totals[:, 0]) - (shifted * one_hot).sum(axis=1)))  # the loss
        g3 = (exps / totals - one_hot) / n
        g2 = (g3 @ W3) * (h2 > 0)
        g1 = (g2 @ W2) * (h1 > 0)
        grads = [g1.T @ X, g1.sum(0), g2.T @ h1, g2.sum(0), g3.T @ h2, g3.sum(0)]
        step_size = LR / (1 - beta1**t)
        correction = math.sqrt(1 - beta2**t)
        for p, g, mi, vi in zip(params, grads, m, v):
            mi += (g - mi) * (1 - beta1)
            vi *= beta2
            vi += (1 - beta2) * g * g
            p -= step_size * mi / (np.sqrt(vi) / correction + eps)
    return float((forward(params)[2].argmax(1) == y).mean())


def main() -> None:
    X_t, y_t = ag.data.moons(500, noise=0.1, seed=0)
    X, y = X_t.numpy(), y_t.numpy()
    weights = initial_weights()
    numpy_time, numpy_acc = median_seconds_per_epoch(lambda: run_numpy(X, y, weights))
    ag_time, ag_acc = median_seconds_per_epoch(lambda: run_autogradlab(X, y, weights))
    print(f"two moons, 2-16-16-2 MLP, Adam, full batch of 500, {EPOCHS} epochs, "
          f"median of {REPEATS} runs")
    print(f"{'':14}{'ms/epoch':>10}{'vs NumPy':>10}{'accuracy':>10}")
    print(f"{'NumPy by hand':14}{numpy_time * 1e3:10.3f}{1.0:9.2f}x{numpy_acc:10.3f}")
    print(f"{'autogradlab':14}{ag_time * 1e3:10.3f}{ag_time / numpy_time:9.2f}x{ag_acc:10.3f}")
    if torch is not None:
        torch_time, torch_acc = median_seconds_per_epoch(lambda: run_torch(X, y, weights))
        label = f"torch ({torch.get_num_threads()} th)"
        print(f"{label:14}{torch_time * 1e3:10.3f}{torch_time / numpy_time:9.2f}x"
              f"{torch_acc:10.3f}")
        print(f"ratios: autogradlab/numpy = {ag_time / numpy_time:.2f}, "
              f"torch/numpy = {torch_time / numpy_time:.2f}")
    else:
        print(f"ratios: autogradlab/numpy = {ag_time / numpy_time:.2f} (torch not installed)")


if __name__ == "__main__":
    main()
