"""``GraphPlayer``: watch the forward pass and backpropagation, one step at a time.

.. code-block:: python

    import autogradlab as ag
    a = ag.tensor(2.0, requires_grad=True)
    b = a * 3
    L = b**2
    L.backward()
    ag.animate(L)                    # the same as ag.widgets.GraphPlayer(L)

Every frame is drawn once, when the player is made, and sent to the browser as a PNG inside a
``widgets.Stack``. The Play button, the step slider, the frames, the phase label and the captions
are tied together with ``jslink``, which runs in the browser: playback needs no round trip to
Python, so it keeps working after the kernel stops, in a notebook saved with its widget state,
and in Voilà. The step buttons (first, previous, next, last) go through the kernel: they set
``play.value``.

Where widgets cannot be shown (a static HTML export, GitHub), the player shows its first frame
as a plain image instead (see :mod:`autogradlab.widgets.static`).

Big graphs are folded (:func:`autogradlab.viz.transforms.reduce`, as ``ag.viz.draw`` does): each
module call, layer or neuron becomes one box holding its output's value and gradient, and the
player says so. The "open" menu opens a group (a round trip to the kernel redraws the frames);
``ag.animate(L, focus="h", depth=2)`` animates only the nodes near ``h``.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ..tensor import Tensor
from ..viz import transforms, words
from ..viz.trace import Graph, trace
from . import export
from .export import script_hint
from .frames import FrameRenderer
from .static import ShowsAPicture
from .steps import MAX_NODES, Step, build_steps

_PHASE_STYLE = (
    "display:inline-block;padding:2px 10px;border-radius:4px;color:white;font-weight:bold;"
    "letter-spacing:0.05em;background:{color}"
)
FOLD_ALL = "\x00fold all"  # the menu's value for "fold all again" (no node has this name)
_CAPTION_STYLE = "font-size:14px;line-height:1.45;max-width:1000px;padding:2px 4px"


class GraphPlayer(ShowsAPicture, widgets.VBox):
    """An animation of ``output``'s forward pass and backward pass (an ipywidgets ``VBox``).

    ``names`` maps variable names to tensors for the labels (default: the caller's variables).
    Graphs with more than ``max_nodes`` nodes are folded (by module, or by bands of columns),
    and the player says so; ``group="module"`` folds any graph made by modules, ``focus`` and
    ``depth`` keep the neighbourhood of one node, ``open_groups`` opens folded groups (as the
    "open" menu does). ``inspector=True`` and ``paths=True`` add a :class:`NodeInspector` and a
    :class:`PathExplorer` below, in tabs.

    Parts, for reading state or testing: ``play`` (``widgets.Play``), ``slider``, ``speed``,
    ``frames`` (a ``Stack`` of ``Image``), ``captions`` and ``phases`` (``Stack`` of ``HTML``),
    the buttons ``first_button``, ``prev_button``, ``next_button``, ``last_button``, the
    client-side ``links``, the :class:`~autogradlab.widgets.steps.Step` list ``steps`` and the
    PNG bytes ``pngs``; ``full_graph`` (every node), ``graph`` (what the frames show, folded or
    not), ``folding`` (the sentence saying what was folded, '' if nothing), ``notice`` (that
    sentence, shown) and ``opener`` (the menu of groups to open).
    """

    def __init__(
        self,
        output: Tensor | None = None,
        *,
        names: Mapping[str, Any] | None = None,
        graph: Graph | None = None,
        max_nodes: int = MAX_NODES,
        interval: int = 900,
        inspector: bool = False,
        paths: bool = False,
        group: str | None = None,
        focus: str | Tensor | None = None,
        depth: int = 2,
        open_groups: tuple[str, ...] | set[str] = (),
    ) -> None:
        if graph is None:
            if not isinstance(output, Tensor):
                raise TypeError(
                    f"GraphPlayer needs the tensor to animate, e.g. ag.animate(L); got "
                    f"{type(output).__name__}."
                )
            graph = trace(output, names)
        self.full_graph = graph
        self._view_options = {"group": group, "focus": focus, "depth": depth,
                              "max_nodes": max_nodes}
        self.open_groups: set[str] = set(open_groups)
        self._max_nodes = max_nodes
        self.frames = widgets.Stack([], selected_index=None).add_class("autogradlab-frames")
        self.captions = widgets.Stack([], selected_index=None).add_class("autogradlab-captions")
        self.phases = widgets.Stack(
            [], selected_index=None, layout=widgets.Layout(width="110px"),
        ).add_class("autogradlab-phase")
        self.notice = widgets.HTML().add_class("autogradlab-folded")
        self.opener = widgets.Dropdown(description="open", layout=widgets.Layout(width="320px"))
        self.opener.add_class("autogradlab-open-group")
        self._build()
        last = len(self.steps) - 1

        self.play = widgets.Play(
            value=0, min=0, max=last, step=1, interval=interval, show_repeat=False,
            description="Play", tooltip="play the steps",
        )
        self.slider = widgets.IntSlider(
            value=0, min=0, max=last, description="step", continuous_update=True,
            layout=widgets.Layout(width="340px"),
        ).add_class("autogradlab-step")
        self.speed = widgets.IntSlider(
            value=interval, min=150, max=3000, step=50, description="ms/step",
            layout=widgets.Layout(width="260px"),
        ).add_class("autogradlab-speed")
        self.first_button = _button("fast-backward", "first step", "autogradlab-first")
        self.prev_button = _button("step-backward", "previous step", "autogradlab-prev")
        self.next_button = _button("step-forward", "next step", "autogradlab-next")
        self.last_button = _button("fast-forward", "last step", "autogradlab-last")
        self.first_button.on_click(lambda _: self._go(0))
        self.prev_button.on_click(lambda _: self._go(self.play.value - 1))
        self.next_button.on_click(lambda _: self._go(self.play.value + 1))
        self.last_button.on_click(lambda _: self._go(len(self.steps) - 1))
        self.opener.observe(self._open_chosen, names="value")

        controls = self._linked_controls()
        folding = widgets.HBox([self.opener, self.notice],
                               layout=widgets.Layout(align_items="center"))
        children: list[widgets.Widget] = [controls, folding, self.frames, self.captions]
        extras = _extras(output, self.graph, self.renderer, inspector, paths)
        if extras is not None:
            children.append(extras)
        super().__init__(children)
        self.add_class("autogradlab-player")
        script_hint()  # in a plain script nothing shows a widget: say how to save it instead

    # -- folding ---------------------------------------------------------------------------------

    def _build(self) -> None:
        """(Re)make the view, the steps and the frames, and put them in the widgets."""
        self.graph, self.folding = transforms.reduce(
            self.full_graph, open_groups=self.open_groups, fallback="columns",
            call="ag.animate", **self._view_options,
        )
        self.steps: list[Step] = build_steps(self.graph, max_nodes=self._max_nodes or 10**9)
        if self.folding:
            first = self.steps[0]
            self.steps[0] = replace(first, caption=f"{_folded_words(self)} {first.caption}")
        self.renderer = FrameRenderer(self.graph, heatmaps=True)
        self.pngs: list[bytes] = self.renderer.render(self.steps)
        layout = _image_layout(self.renderer.size[0])
        self.frames.children = [widgets.Image(value=png, format="png", layout=layout)
                                for png in self.pngs]
        self.captions.children = [_caption(step) for step in self.steps]
        labels = {phase: _phase_label(phase) for phase in ("forward", "backward")}
        self.phases.children = [labels[step.phase] for step in self.steps]
        for stack in (self.frames, self.captions, self.phases):
            stack.selected_index = 0
        last = len(self.steps) - 1
        for control in ("play", "slider"):
            if hasattr(self, control):
                widget = getattr(self, control)
                widget.value = 0
                widget.max = last
        groups = transforms.groups(self.graph)
        self.notice.value = (f'<span style="color:{words.COLORS["muted"]}">'
                             f"{html.escape(_folded_words(self))}</span>" if self.folding else "")
        options = [("— choose a group —", "")]
        options += [(words.title(n, self.graph.node(n)), n) for n in groups]
        if self.open_groups:
            options.append(("fold all again", FOLD_ALL))
        self._building = True  # the menu changes below are not a learner's choice
        try:
            self.opener.options = options
            self.opener.value = ""
        finally:
            self._building = False
        self.opener.layout.display = None if (groups or self.open_groups) else "none"

    def open_group(self, name: str) -> None:
        """Open the folded group ``name`` (its parts become boxes) and redraw the frames;
        ``open_group("")`` folds everything again."""
        if name and name != FOLD_ALL:
            self.open_groups.add(name)
        else:
            self.open_groups.clear()
        self._build()

    def _open_chosen(self, change: dict[str, Any]) -> None:
        if getattr(self, "_building", False):
            return
        if change["new"]:
            self.open_group(change["new"])

    # -- stepping from Python --------------------------------------------------------------------

    def _linked_controls(self) -> widgets.HBox:
        """The control row, tied together in the browser: Play drives the slider, the frames,
        the phase and the caption (``jslink``, so playback needs no kernel)."""
        self.links = [
            widgets.jslink((self.play, "value"), (self.slider, "value")),
            widgets.jslink((self.play, "value"), (self.frames, "selected_index")),
            widgets.jslink((self.play, "value"), (self.captions, "selected_index")),
            widgets.jslink((self.play, "value"), (self.phases, "selected_index")),
            widgets.jslink((self.speed, "value"), (self.play, "interval")),
        ]
        return widgets.HBox(
            [self.phases, self.first_button, self.prev_button, self.play, self.next_button,
             self.last_button, self.slider, self.speed],
            layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
        )

    def _go(self, index: int) -> None:
        self.play.playing = False
        self.play.value = max(0, min(index, len(self.steps) - 1))

    @property
    def step(self) -> int:
        """The step shown (``play.value``); setting it moves the player there."""
        return self.play.value

    @step.setter
    def step(self, index: int) -> None:
        self._go(index)

    @property
    def forward_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "forward"]

    @property
    def backward_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "backward"]

    # -- outside Jupyter -------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the animation to ``path``: ``"backprop.html"`` (a page that plays in any
        browser, no network needed) or ``"backprop.gif"`` (captions under the frames).

        The format comes from the suffix; see :mod:`autogradlab.widgets.export`.
        """
        return export.save(self, path)

    # -- what a notebook shows -------------------------------------------------------------------

    def __repr__(self) -> str:
        grouped = " (grouped)" if any(s.grouped for s in self.steps) else ""
        grouped += f" (folded from {len(self.full_graph)} nodes)" if self.folding else ""
        return (
            f"GraphPlayer({self.graph.output}: {len(self.graph)} nodes, "
            f"{len(self.forward_steps)} forward steps, {len(self.backward_steps)} backward "
            f"steps{grouped})"
        )

    def _static_png(self) -> bytes:
        """The first frame: what static pages show (see :mod:`autogradlab.widgets.static`)."""
        return self.pngs[0]


def _image_layout(width: int = 1000) -> widgets.Layout:
    """Frames are shown at their own size (100% zoom: 9-pixel text stays 9 pixels), narrower
    only when the notebook is narrower."""
    return widgets.Layout(width="100%", max_width=f"{width}px", height="auto")


def _folded_words(player: GraphPlayer) -> str:
    """What was folded and what to call to see more, in a sentence or two."""
    groups = transforms.groups(player.graph)
    menu = " Choose a group in the 'open' menu above to see inside it." if groups else ""
    return f"{'Folded' if groups else 'Shown'}: {player.folding}.{menu}"


def _button(icon: str, tooltip: str, css_class: str) -> widgets.Button:
    """A small button showing a Font Awesome icon (Jupyter ships the font; not every system font
    has the media-control characters)."""
    button = widgets.Button(icon=icon, tooltip=tooltip, layout=widgets.Layout(width="40px"))
    return button.add_class(css_class)


def _phase_label(phase: str) -> widgets.HTML:
    from .frames import COLORS

    style = _PHASE_STYLE.format(color=COLORS[phase])
    return widgets.HTML(f'<span style="{style}">{phase}</span>').add_class(
        f"autogradlab-phase-{phase}"
    )


def _caption(step: Step) -> widgets.HTML:
    text = html.escape(step.caption)
    return widgets.HTML(
        f'<div style="{_CAPTION_STYLE}">{text}</div>', layout=widgets.Layout(min_height="3.4em")
    ).add_class("autogradlab-caption")


def _extras(
    output: Tensor | None, graph: Graph, renderer: FrameRenderer, inspector: bool, paths: bool
) -> widgets.Tab | None:
    """The node inspector and the path explorer, in tabs under the player."""
    from .inspector import NodeInspector, PathExplorer

    tabs: list[tuple[str, widgets.Widget]] = []
    if inspector:
        tabs.append(("Inspect a node", NodeInspector(graph=graph)))
    if paths:
        tabs.append(("Chain-rule paths", PathExplorer(output, graph=graph, renderer=renderer)))
    if not tabs:
        return None
    return widgets.Tab([w for _, w in tabs], titles=[t for t, _ in tabs])
