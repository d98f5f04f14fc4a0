"""``ag.viz``: the graph behind a tensor, laid out, drawn, and read as chain-rule paths.

* :func:`trace` reads the graph the engine built into a :class:`Graph` (a NetworkX model).
* :func:`layout` places it in left-to-right layers.
* :func:`draw` draws it with matplotlib (values, gradients, local derivatives on edges).
* :func:`chain_rule_paths` and :func:`explain` show dL/dx as a sum over paths of products.
* :func:`to_dot` writes Graphviz DOT text for those who have Graphviz.

This package loads NetworkX and matplotlib, so ``import autogradlab`` does not import it.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from .trace import BackwardStep, Graph, summarize, trace

_LAZY = {
    "layout": "layout",
    "draw": "draw",
    "chain_rule_paths": "paths",
    "explain": "paths",
    "to_dot": "dot",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        function = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = function
        return function
    raise AttributeError(f"module 'autogradlab.viz' has no attribute {name!r}")


class _Package(types.ModuleType):
    """Keeps ``viz.draw`` the function when the submodule ``viz.draw`` is imported.

    Importing ``autogradlab.viz.draw`` makes Python set the package attribute ``draw`` to the
    submodule, which would hide the function of the same name; this puts the function back.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name in _LAZY
            and isinstance(value, types.ModuleType)
            and value.__name__ == f"{__name__}.{name}"
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = ["BackwardStep", "Graph", "summarize", "trace", *_LAZY]
