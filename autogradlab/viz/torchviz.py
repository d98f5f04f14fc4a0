"""``ag.viz.make_dot``: torchviz's call, autogradlab's picture.

Code written for torchviz keeps working, with no Graphviz program installed::

    from autogradlab.viz import make_dot        # instead of: from torchviz import make_dot
    make_dot(loss, params=dict(model.named_parameters()))

The result shows itself in a notebook as autogradlab's drawing (values, gradients, local
derivatives), and keeps torchviz's ways of getting at the graph: ``.source`` is the DOT text
(as on graphviz's ``Digraph``), ``.render(path)`` writes a PNG (or the ``.dot`` text), ``.save``
writes the DOT text, ``.pipe()`` gives the PNG bytes, and ``.figure`` is the matplotlib figure.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .dot import to_dot
from .trace import Graph, trace


class Dot:
    """What :func:`make_dot` returns: the traced :class:`Graph`, its drawing and its DOT text."""

    def __init__(self, graph: Graph, show: Sequence[str]) -> None:
        self.graph = graph
        self._show = tuple(show)
        self._figure: Any = None

    @property
    def source(self) -> str:
        """The graph as DOT text (graphviz's ``Digraph.source``)."""
        return to_dot(self.graph, show=self._show)

    @property
    def figure(self) -> Any:
        """The drawing (a matplotlib Figure), made once, on first use."""
        if self._figure is None:
            from .draw import draw

            self._figure = draw(self.graph, show=self._show)
        return self._figure

    def _repr_png_(self) -> bytes:
        return self.figure._repr_png_()

    def render(self, filename: str | os.PathLike[str] = "graph", format: str = "png",  # noqa: A002
               **_: Any) -> str:
        """Write the picture to ``filename.png`` (or the DOT text to ``filename.dot`` with
        ``format="dot"``) and return the path, as graphviz's ``render`` does; no Graphviz
        program is needed."""
        path = Path(filename)
        if path.suffix.lstrip(".") != format:
            path = path.with_name(f"{path.name}.{format}")
        if format in ("dot", "gv"):
            path.write_text(self.source, encoding="utf-8")
        else:
            self.figure.savefig(path, format=format, dpi=self.figure.dpi)
        return str(path)

    def save(self, filename: str | os.PathLike[str] = "graph.gv") -> str:
        """Write the DOT text to ``filename`` (graphviz's ``Digraph.save``); returns the path."""
        Path(filename).write_text(self.source, encoding="utf-8")
        return str(filename)

    def pipe(self, format: str = "png") -> bytes:  # noqa: A002
        """The picture as bytes (graphviz's ``Digraph.pipe``): PNG or SVG, or the DOT text."""
        if format in ("dot", "gv"):
            return self.source.encode("utf-8")
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format=format, dpi=self.figure.dpi)
        return buffer.getvalue()

    def __repr__(self) -> str:
        return f"<make_dot: {len(self.graph)} nodes, output {self.graph.output!r}>"


def make_dot(var: Any, params: Mapping[str, Any] | None = None, show_attrs: bool = False,
             show_saved: bool = False, max_attr_chars: int = 50) -> Dot:
    """torchviz's ``make_dot(var, params=None, show_attrs=False, show_saved=False)``.

    ``var`` is a PyTorch tensor (or an autogradlab one); ``params`` maps names to tensors, to
    label the leaves (``dict(model.named_parameters())``); other leaves are named from your
    variables. ``show_attrs`` and ``show_saved`` are accepted for torchviz's sake: every node
    already lists what its ``grad_fn`` saved (its ``saved`` attribute). ``max_attr_chars`` is
    ignored.
    """
    if type(var).__module__.split(".")[0] == "torch":
        from .torch_trace import trace as trace_torch

        graph = trace_torch(var, params=params)
    else:
        graph = trace(var, dict(params) if params else None)
    return Dot(graph, ("value", "grad", "local"))


__all__ = ["Dot", "make_dot"]
