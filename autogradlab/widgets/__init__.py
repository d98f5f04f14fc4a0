"""``ag.widgets``: see the engine work, in a notebook.

* :func:`animate` / :class:`GraphPlayer`: step through the forward pass and backpropagation,
  node by node, with Play, a step slider and a caption for every step.
* :class:`NodeInspector`: one node's value, gradient and local derivatives.
* :class:`PathExplorer`: every path from a leaf to the output, and dL/dleaf as a sum of
  products along them.
* :class:`DeviceToggle` and :func:`time_on_devices`: CPU or GPU.
* :func:`explore`: a slider per input; the graph's values and gradients follow each move.
* ``animate(L, predict=True)``: predict each backward step before it is shown.
* :func:`animate_training`: forward, backward, ``optimizer.step()``, ``zero_grad()`` on one graph.

This package loads ipywidgets and matplotlib, so ``import autogradlab`` does not import it;
``ag.animate`` and ``ag.widgets`` load it on first use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..tensor import Tensor
from ..viz.words import MAX_NODES
from .devices import DeviceTiming, DeviceToggle, time_on_devices
from .explorer import Explorer, explore
from .inspector import NodeInspector, PathExplorer
from .player import GraphPlayer
from .training import TrainingPlayer, animate_training


def animate(
    output: Tensor,
    *,
    inspector: bool = False,
    paths: bool = False,
    names: Mapping[str, Any] | None = None,
    max_nodes: int = MAX_NODES,
    interval: int = 900,
    predict: bool = False,
    group: str | None = None,
    focus: str | None = None,
    depth: int = 2,
    open_groups: tuple[str, ...] | set[str] = (),
) -> GraphPlayer:
    """A :class:`GraphPlayer` for ``output``: press Play to watch the forward and backward pass.

    ``inspector=True`` adds a node inspector and ``paths=True`` a chain-rule path explorer,
    in tabs under the animation. Graphs with more than ``max_nodes`` nodes are folded (per
    ``nn.Module``, or per band of columns), and the player says so and lets you open a group;
    ``group="module"`` folds a model's graph by module, ``focus="h", depth=2`` animates only
    the nodes near ``h``, ``open_groups={"0"}`` opens a group. ``interval`` is the time per step
    in milliseconds (the player's speed slider changes it). ``predict=True`` asks you to
    predict each backward step before it is shown (:class:`~.predict.PredictPlayer`).
    """
    graph = None
    if not isinstance(output, Tensor):  # PyTorch's graph, or a learner's own engine (lesson 11)
        from ..viz.protocol import follows_protocol
        from ..viz.trace import trace

        if type(output).__module__.split(".")[0] == "torch" or follows_protocol(output):
            graph = trace(output, names)
    if predict:
        from .predict import PredictPlayer

        return PredictPlayer(output, names=names, inspector=inspector, paths=paths,
                             max_nodes=max_nodes, interval=interval, group=group, focus=focus,
                             depth=depth, open_groups=open_groups, graph=graph)
    return GraphPlayer(
        output, graph=graph, names=names, inspector=inspector, paths=paths, max_nodes=max_nodes,
        interval=interval, group=group, focus=focus, depth=depth, open_groups=open_groups,
    )


__all__ = [
    "DeviceTiming", "DeviceToggle", "Explorer", "GraphPlayer", "NodeInspector", "PathExplorer",
    "TrainingPlayer", "animate", "animate_training", "explore", "time_on_devices",
]
