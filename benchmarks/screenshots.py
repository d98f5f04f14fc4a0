"""Screenshots of the views, for a reviewer: ``python benchmarks/screenshots.py OUTDIR``.

Writes PNGs (the player's own frames, byte for byte, and two static drawings):

* ``lesson7_backward.png``: lesson 7's player (a 2-16-2 model's cross-entropy on four points,
  the same graph the lesson builds) at a backward step, tensors drawn as heatmaps;
* ``lesson7_done.png``: the same player's last frame, every gradient in place;
* ``micrograd_folded.png``: micrograd's demo network (2-16-16-1 on scalar tensors, about a
  thousand nodes) folded layer by layer, at a backward step;
* ``micrograd_unfolded.png``: the same player after opening layer 1 (neuron by neuron);
* ``micrograd_draw.png`` and ``mlp_draw.png``: ``ag.viz.draw`` of the demo (folded) and of a
  784-256-10 MLP step (heatmaps of big tensors, downsampled).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from viz_graphs import micrograd_demo  # noqa: E402

import autogradlab as ag  # noqa: E402
from autogradlab.widgets import GraphPlayer  # noqa: E402


def lesson7() -> tuple[ag.Tensor, dict]:
    """Lesson 7's graph, built as the lesson builds it."""
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 2))
    X, y = ag.data.moons(500, seed=0)
    X4, y4 = X[:4], y[:4]
    loss = ag.nn.CrossEntropyLoss()(model(X4), y4)
    loss.backward()
    names = {"X4": X4, "y4": y4, "loss": loss, "W1": model[0].weight, "b1": model[0].bias,
             "W2": model[2].weight, "b2": model[2].bias}
    return loss, names


def mlp_step() -> ag.Tensor:
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(784, 256), ag.nn.ReLU(), ag.nn.Linear(256, 10))
    loss = ag.nn.CrossEntropyLoss()(model(ag.randn(32, 784)),
                                     ag.tensor([k % 10 for k in range(32)]))
    loss.backward()
    return loss


def backward_frame(player: GraphPlayer, which: int) -> bytes:
    """The PNG of the ``which``-th backward step (negative: from the end)."""
    indices = [k for k, step in enumerate(player.steps) if step.kind == "backward"]
    return player.pngs[indices[which]]


def main(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []

    def write(name: str, png: bytes) -> None:
        path = out / name
        path.write_bytes(png)
        written.append(path)

    loss, names = lesson7()
    player = GraphPlayer(loss, names=names)
    write("lesson7_backward.png", backward_frame(player, len(player.backward_steps) // 2))
    write("lesson7_done.png", player.pngs[-1])

    demo = micrograd_demo()
    player = GraphPlayer(demo["loss"], names=demo)
    write("micrograd_folded.png", backward_frame(player, 2))
    player.open_group("1")
    write("micrograd_unfolded.png", backward_frame(player, 6))
    write("micrograd_draw.png", ag.viz.draw(demo["loss"])._repr_png_())
    write("mlp_draw.png", ag.viz.draw(mlp_step())._repr_png_())
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/screenshots.py OUTDIR")
    for path in main(Path(sys.argv[1])):
        print(path)
