"""Time ``viz.trace``, ``viz.layout`` and ``viz.draw`` on graphs of about 20, 100 and 500 nodes.

Run: ``python benchmarks/viz.py``. The graphs are chains of 4x4 tensor operations (``@``,
``tanh``, ``+``) with a fresh weight leaf every few steps, after one backward pass. "draw" builds
the Figure and renders it to PNG bytes (``savefig`` into memory, Agg at 100 dpi), which includes
the text layout and rasterisation a notebook would pay for. It is timed twice: with the default
``max_nodes=60`` (big graphs are reduced, as a learner would see them) and with
``max_nodes=None`` (every node drawn). Budget: a 100-node graph traced, laid out and drawn to PNG
in under 0.5 s.

Then the views of issue 13, drawn statically: micrograd's 2-16-16-1 network on scalar tensors
(about a thousand nodes) traced, folded by layer and drawn to PNG, and a 784-256-10 MLP step
drawn with heatmaps (big tensors downsampled). The player's budgets for the same graphs are in
``benchmarks/animation.py``.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from viz_graphs import micrograd_demo, tensor_chain  # noqa: E402

import autogradlab as ag  # noqa: E402
from autogradlab import viz  # noqa: E402
from autogradlab.viz.layout import compute  # noqa: E402

SIZES = {20: 12, 100: 60, 500: 300}  # target nodes -> chain length giving about that many


def best_of(repeat: int, function) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times) if repeat > 2 else statistics.mean(times)


def png(figure) -> int:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.tell()


def main() -> None:
    viz.draw(viz.trace(tensor_chain(3)))  # warm up imports and font caches
    print(f"{'nodes':>6} {'trace':>9} {'layout':>9} {'draw+png':>10} {'draw+png':>10}  total")
    print(f"{'':>6} {'':>9} {'':>9} {'(max 60)':>10} {'(all)':>10}  (trace+layout+draw all)")
    for n_ops in SIZES.values():
        loss = tensor_chain(n_ops)
        loss.backward()
        graph = viz.trace(loss)
        t_trace = best_of(5, lambda loss=loss: viz.trace(loss))
        t_layout = best_of(5, lambda graph=graph: compute(graph))
        t_default = best_of(3, lambda graph=graph: png(viz.draw(graph)))
        t_all = best_of(3, lambda graph=graph: png(viz.draw(graph, max_nodes=None)))
        total = t_trace + t_layout + t_all
        print(f"{len(graph):>6} {t_trace * 1e3:>7.1f}ms {t_layout * 1e3:>7.1f}ms "
              f"{t_default * 1e3:>8.0f}ms {t_all * 1e3:>8.0f}ms  {total * 1e3:.0f}ms")


def views() -> None:
    """Issue 13's graphs drawn: folded micrograd and a heatmap MLP step."""
    demo = micrograd_demo()
    start = time.perf_counter()
    graph = viz.trace(demo["loss"], names=demo)
    size = png(viz.draw(graph))
    folded = time.perf_counter() - start
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(784, 256), ag.nn.ReLU(), ag.nn.Linear(256, 10))
    loss = ag.nn.CrossEntropyLoss()(model(ag.randn(32, 784)),
                                     ag.tensor([k % 10 for k in range(32)]))
    loss.backward()
    start = time.perf_counter()
    mlp = viz.trace(loss)
    mlp_size = png(viz.draw(mlp))
    heat = time.perf_counter() - start
    print("\nIssue 13 (draw): trace + fold + draw + PNG")
    print(f"  micrograd 2-16-16-1, {len(graph)} nodes folded by layer: {folded * 1e3:.0f} ms "
          f"({size / 1e3:.0f} kB)")
    print(f"  784-256-10 MLP step, {len(mlp)} nodes with heatmaps: {heat * 1e3:.0f} ms "
          f"({mlp_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
    views()
