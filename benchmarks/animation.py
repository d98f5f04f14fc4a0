"""How long an animation takes to build, and how big its frames are.

    .venv/bin/python benchmarks/animation.py

Budgets (the issue "Animation: step through the forward pass and backpropagation"):

* the 12-node graph of the source material (``b = x1*a; c = x2*a; d = x3*b + x4*c;
  L = (10 - d).sum()`` on 5x5 tensors): player ready in under 1 s;
* the first frame of any player: under 0.3 s;
* 100 nodes: player ready in under 5 s, frames under 5 MB in all.

Budgets of issue 13 (views a learner can read), printed by :func:`views`:

* a 1,000-node scalar graph's folded (grouped) player, traced and built, in under 3 s: micrograd's
  2-16-16-1 network (folded by layer) and a random scalar graph (folded by columns);
* a 784-256-10 MLP step's player, tensors drawn as heatmaps: per-frame cost under 2x the
  12-node player's per-frame cost;
* the 12-node player still ready in under 1 s (above).

Per-frame cost is also given as a ratio to the floor: encoding the same frame as a PNG, which
every frame must pay. Timings are "warm" (matplotlib's fonts already loaded by an earlier
player in the same process); the cold first player is reported separately.
"""

from __future__ import annotations

import io
import os
import sys
import time

import numpy as np
from PIL import Image

import autogradlab as ag
from autogradlab.viz import trace
from autogradlab.viz.transforms import reduce
from autogradlab.widgets import GraphPlayer
from autogradlab.widgets.frames import FrameRenderer, encode_png
from autogradlab.widgets.steps import build_steps

BUDGETS = {"ready_12": 1.0, "first_frame": 0.3, "ready_100": 5.0, "bytes_100": 5e6,
           "folded_1000": 3.0, "mlp_frame_ratio": 2.0}


def source_graph() -> tuple[ag.Tensor, dict]:
    """The 5x5 graph of the source material, after L.backward()."""
    ag.manual_seed(0)
    a, x1, x2, x3, x4 = (ag.randn(5, 5, requires_grad=True) for _ in range(5))
    b = x1 * a
    c = x2 * a
    d = x3 * b + x4 * c
    L = (10 - d).sum()
    L.backward()
    return L, {"a": a, "x1": x1, "x2": x2, "x3": x3, "x4": x4, "b": b, "c": c, "d": d, "L": L}


def random_graph(size: int, seed: int = 0) -> tuple[ag.Tensor, dict]:
    """A scalar graph of about ``size`` nodes, every node on some path to the output."""
    rng = np.random.default_rng(seed)
    leaves = [ag.tensor(float(v), requires_grad=True) for v in rng.normal(size=max(size // 4, 2))]
    nodes = list(leaves)
    unused = list(leaves)
    while len(nodes) < size - len(unused):
        first = unused.pop(0) if unused else nodes[-1]
        second = nodes[int(rng.integers(max(len(nodes) - 8, 0), len(nodes)))]
        kind = int(rng.integers(3))
        if kind == 0:
            result = first * second
        elif kind == 1:
            result = first + second
        else:
            result = (first - second).tanh()
        nodes.append(result)
        unused.append(result)
    while len(unused) > 1:
        unused.append(unused.pop(0) + unused.pop(0))
    out = unused[0]
    out.backward()
    return out, {}


def measure(label: str, output: ag.Tensor, names: dict) -> dict:
    start = time.perf_counter()
    player = GraphPlayer(output, names=names)
    ready = time.perf_counter() - start

    start = time.perf_counter()  # the first frame alone: trace, layout, static picture, frame 0
    graph = trace(output, names)
    view, _ = reduce(graph, fallback="columns")
    steps = build_steps(view)
    FrameRenderer(view, heatmaps=True).render(steps[:1])
    first = time.perf_counter() - start

    renderer = FrameRenderer(player.graph, heatmaps=True)  # what the player drew, again
    start = time.perf_counter()
    renderer.render(player.steps)
    per_frame = (time.perf_counter() - start) / len(player.steps)
    pixels = [Image.open(io.BytesIO(p)).convert("RGBA").tobytes() for p in player.pngs]
    start = time.perf_counter()
    for rgba in pixels:
        encode_png(rgba, renderer.size)
    floor = (time.perf_counter() - start) / len(pixels)
    return {
        "label": label, "nodes": len(player.full_graph), "frames": len(player.steps),
        "grouped": bool(player.folding), "ready": ready, "first": first,
        "per_frame": per_frame, "floor": floor,
        "bytes": sum(len(p) for p in player.pngs),
    }


def main() -> None:
    start = time.perf_counter()
    cold_output, cold_names = source_graph()
    GraphPlayer(cold_output, names=cold_names)
    cold = time.perf_counter() - start
    rows = [measure("source 5x5 graph", *source_graph())]
    for size in (30, 100, 300):
        rows.append(measure(f"random scalar graph ~{size}", *random_graph(size)))

    print(f"cold first player (loads matplotlib's fonts): {cold:.2f} s\n")
    header = (f"{'graph':<36}{'nodes':>6}{'frames':>7}{'ready s':>9}{'1st frame s':>12}"
              f"{'ms/frame':>9}{'PNG ms':>8}{'ratio':>7}{'MB':>7}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['label'] + (' (folded)' if r['grouped'] else ''):<36}{r['nodes']:>6}"
              f"{r['frames']:>7}{r['ready']:>9.2f}{r['first']:>12.3f}{r['per_frame'] * 1e3:>9.1f}"
              f"{r['floor'] * 1e3:>8.1f}{r['per_frame'] / r['floor']:>7.2f}"
              f"{r['bytes'] / 1e6:>7.2f}")
    print("\nms/frame: drawing and encoding one frame; PNG ms: encoding the same frame alone "
          "(the floor); ratio = ms/frame / PNG ms.\n")
    small, hundred = rows[0], next(r for r in rows if r["nodes"] >= 90)
    checks = [
        ("12-node player ready", small["ready"], BUDGETS["ready_12"], "s"),
        ("slowest first frame", max(r["first"] for r in rows), BUDGETS["first_frame"], "s"),
        ("100-node player ready", hundred["ready"], BUDGETS["ready_100"], "s"),
        ("100-node frames", hundred["bytes"] / 1e6, BUDGETS["bytes_100"] / 1e6, "MB"),
    ]
    for name, value, budget, unit in checks:
        verdict = "ok" if value <= budget else "OVER BUDGET"
        print(f"{name:<24}{value:8.2f} {unit:<3} budget {budget:g} {unit}: {verdict}")


def mlp_step() -> tuple[ag.Tensor, dict]:
    """One training step's graph of a 784-256-10 MLP on a batch of 32 (MNIST's shapes)."""
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(784, 256), ag.nn.ReLU(), ag.nn.Linear(256, 10))
    x = ag.randn(32, 784)
    y = ag.tensor([k % 10 for k in range(32)])
    loss = ag.nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    return loss, {"x": x, "y": y, "loss": loss, "model": model}


def views() -> None:
    """Issue 13's budgets: folded 1,000-node players, heatmap frames, the 12-node player."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from viz_graphs import micrograd_demo

    # CPU seconds of this process (time.process_time) as well as wall seconds: on a machine
    # shared with other work the wall clock also counts the waiting; budgets use CPU time.
    def build(output: ag.Tensor, names: dict) -> tuple[float, GraphPlayer, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        player = GraphPlayer(output, names=names)  # traces, folds, draws every frame
        return time.process_time() - cpu, player, time.perf_counter() - wall

    def per_frame(player: GraphPlayer) -> float:
        renderer = FrameRenderer(player.graph, heatmaps=True)
        start = time.process_time()
        renderer.render(player.steps)
        return (time.process_time() - start) / len(player.steps)

    build(*source_graph())  # warm: fonts loaded
    demo = micrograd_demo()
    rows = [("micrograd 2-16-16-1 (folded by layer)", *build(demo["loss"], demo)),
            ("random scalar graph ~1000 (folded by columns)", *build(*random_graph(1000)))]
    ready_12, small, wall_12 = build(*source_graph())
    _, mlp, _ = build(*mlp_step())
    small_frame, mlp_frame = per_frame(small), per_frame(mlp)
    print("\nIssue 13: views a learner can read")
    for label, seconds, player, wall in rows:
        print(f"  {label:<48}{len(player.full_graph):>5} nodes -> {len(player.graph):>3} boxes, "
              f"{len(player.steps):>3} frames, built in {seconds:.2f} s CPU ({wall:.2f} s wall)")
    print(f"  {'784-256-10 MLP step, heatmaps':<48}{len(mlp.graph):>5} nodes, "
          f"{len(mlp.steps):>3} frames of {mlp.renderer.size[0]}x{mlp.renderer.size[1]}, "
          f"{mlp_frame * 1e3:.1f} ms/frame (CPU)")
    print(f"  {'12-node source graph':<48}{len(small.graph):>5} nodes, "
          f"{len(small.steps):>3} frames of {small.renderer.size[0]}x{small.renderer.size[1]}, "
          f"{small_frame * 1e3:.1f} ms/frame, ready in {ready_12:.2f} s CPU "
          f"({wall_12:.2f} s wall)")
    for name, value, budget, unit in (
        ("1,000-node folded player built, CPU (slowest)", max(r[1] for r in rows),
         BUDGETS["folded_1000"], "s"),
        ("MLP heatmap frame / 12-node frame", mlp_frame / small_frame,
         BUDGETS["mlp_frame_ratio"], "x"),
        ("12-node player ready, CPU", ready_12, BUDGETS["ready_12"], "s"),
    ):
        verdict = "ok" if value <= budget else "OVER BUDGET"
        print(f"  {name:<46}{value:8.2f} {unit:<3} budget {budget:g} {unit}: {verdict}")


def acting() -> None:
    """The learner acts (issue 14): an explore slider move on the README's 12-node graph
    (budget 150 ms, median of 10 moves) and building the training player for two moons with a
    2-16-16-2 network over 3 steps (budget 3 s)."""
    from autogradlab.widgets import animate_training, explore

    def readme(w1, w2, w3, w4, a):
        b = w1 * a
        c = w2 * a
        d = w3 * b + w4 * c
        L = (10 - d).sum()
        return L

    explorer = explore(readme, w1=3.0, w2=-1.0, w3=2.0, w4=4.0, a=2.0)
    moves, cpu = [], []
    for k in range(10):  # new values each time: every move draws new numbers
        start, start_cpu = time.perf_counter(), time.process_time()
        explorer.set(a=2.0 + 0.37 * (k + 1))
        moves.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    move, move_cpu = sorted(moves)[len(moves) // 2], sorted(cpu)[len(cpu) // 2]

    X, y = ag.data.moons(200)
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 16),
                             ag.nn.ReLU(), ag.nn.Linear(16, 2))
    start = time.perf_counter()
    animate_training(model, ag.nn.CrossEntropyLoss(), X, y,
                     ag.optim.SGD(model.parameters(), lr=0.5), steps=3)
    build = time.perf_counter() - start
    print()
    for name, value, budget, unit in (
        (f"explore update ({len(explorer.graph)} nodes)", move * 1e3, 150, "ms"),
        ("training player build (moons, 2-16-16-2, 3 steps)", build, 3, "s"),
    ):
        verdict = "ok" if value <= budget else "OVER BUDGET"
        print(f"{name:<52}{value:8.2f} {unit:<3} budget {budget:g} {unit}: {verdict}")
    print(f"(explore update CPU time: {move_cpu * 1e3:.1f} ms; wall time above includes waiting "
          f"for a busy machine)")


if __name__ == "__main__":
    main()
    views()
    acting()
