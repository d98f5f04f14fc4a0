"""``ag.viz``: the graph behind a tensor, laid out, drawn, and read as chain-rule paths.

* :func:`trace` reads the graph the engine built into a :class:`Graph` (a NetworkX model).
* :func:`layout` places it in left-to-right layers.
* :func:`draw` draws it with matplotlib (values, gradients, local derivatives on edges).
* :func:`chain_rule_paths` and :func:`explain` show dL/dx as a sum over paths of products.
* :func:`to_dot` writes Graphviz DOT text for those who have Graphviz.
* :func:`broadcast` shows how broadcasting stretches two inputs and sums their gradients back.
* :func:`why` explains one node: its derivative rule, the rule with its numbers, its source line.

This package loads NetworkX and matplotlib, so ``import autogradlab`` does not import it.
"""

from __future__ import annotations

from .. import autograd as _autograd
from .broadcast import broadcast
from .dot import to_dot
from .draw import draw
from .layout import layout
from .paths import chain_rule_paths, explain
from .torchviz import make_dot
from .trace import BackwardStep, Graph, summarize, trace
from .why import why

# The functions are bound after their submodules were imported, so ``viz.draw`` is the function
# (importing ``autogradlab.viz.draw`` again later does not rebind the package attribute).

__all__ = [
    "BackwardStep", "Graph", "broadcast", "chain_rule_paths", "draw", "explain", "layout",
    "make_dot", "summarize",
    "to_dot", "trace", "why",
]

# With the views loaded, a graph used up by backward keeps exact min, max and norm of its big
# arrays (see autograd.summarize): worth the extra pass over each array from now on.
_autograd.summary_statistics = True
