"""``ag.animate(L, predict=True)``: the learner predicts each backward step before it is shown.

The player plays the forward pass as usual. At each step of the backward pass it stops, hides
the result, and asks for one number:

* the **local derivative** ∂source/∂input, on a step whose upstream gradient is 1 (there the
  step is about the local derivative: the chain rule multiplies it by 1);
* otherwise the **gradient** ∂L/∂input as it stands after the step (upstream × local, plus
  whatever the input had already received along other paths).

A right answer reveals the step and moves on. A wrong one does not: it gets a diagnosis where one
can be made (the sign, one path only, the local derivative without the upstream factor, a forward
value instead of a gradient) and a hint built from the operation's rule (``ag.viz.why``). The
score (right at the first try) shows at the end. ``player.answer(x)`` returns the verdict text.

Every expected number is the engine's own, read from its recorded backward events. Checking runs
in Python; without a kernel the player still plays in the browser (with the results hidden).
For a tensor the question is about one entry, ``[0, 0]``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..tensor import Tensor
from ..viz.trace import BackwardStep
from ..viz.why import why
from ..viz.words import COLORS, number
from .frames import FrameRenderer
from .player import GraphPlayer, _caption
from .steps import MAX_NODES, Step

#: an answer counts as right within 1% (or 0.005): learners type rounded numbers
RELATIVE, ABSOLUTE = 0.01, 0.005


def close(x: float, y: float) -> bool:
    """True when ``x`` is ``y`` as a learner would round it."""
    return abs(x - y) <= max(RELATIVE * abs(y), ABSOLUTE)


def first(value: Any) -> float:
    """A number, or the first entry ``[0, 0, ...]`` of a tensor."""
    return float(np.asarray(value, dtype=np.float64).reshape(-1)[0])


@dataclass(frozen=True)
class Question:
    """What the learner is asked at one backward step, and the numbers to judge the answer.

    ``kind`` is ``"local"`` (∂source/∂target) or ``"gradient"`` (∂L/∂target after the step).
    ``asks`` names the number (``∂L/∂b``), ``expected`` is the engine's value. The rest are the
    likely wrong answers' ingredients: the ``upstream`` gradient ∂L/∂source, the ``local``
    derivative (None when the engine only describes it), this edge's ``contribution``, what the
    target had ``before`` (None on its first arrival) and the forward ``values`` of the target, the
    source and the source's inputs.
    """

    index: int
    kind: str
    asks: str
    expected: float
    entry: str
    source: str
    target: str
    upstream: float
    local: float | None
    contribution: float
    before: float | None
    values: Mapping[str, float]
    rule: str

    @property
    def prompt(self) -> str:
        where = f" (entry {self.entry})" if self.entry else ""
        if self.kind == "local":
            return (f"Your turn: {self.source} sends a gradient back to {self.target}. The "
                    f"upstream gradient is {number(self.upstream)}, so this step is about the "
                    f"local derivative. What is {self.asks}{where}? Type it below.")
        more = (f" {self.target} already holds {number(self.before)} from another path."
                if self.before is not None else "")
        return (f"Your turn: {self.source} sends a gradient back to {self.target}.{more} What is "
                f"{self.asks}{where} after this step? Type it below.")

    def hint(self) -> str:
        """The rule, and how the numbers combine (without the final number)."""
        rule = f"{self.rule}. " if self.rule else ""
        if self.kind == "local":
            inputs = [name for name in self.values if name != self.source]
            return f"{rule}Put in the forward values: " + ", ".join(
                f"{name} = {number(self.values[name])}" for name in inputs) + "."
        out = self.asks.split("/")[0][1:]
        chain = (f"∂{out}/∂{self.target} = ∂{out}/∂{self.source} × ∂{self.source}/∂{self.target}"
                 f" = {number(self.upstream)} × (the local derivative)")
        if self.before is not None:
            chain += f", plus the {number(self.before)} that {self.target} already had"
        return f"{rule}The chain rule: {chain}."

    def diagnose(self, x: float) -> str:
        """Why ``x`` might be wrong, when a likely mistake explains it; else ''."""
        out = self.asks.split("/")[0][1:]
        e = self.expected
        if e != 0 and close(x, -e):
            return "The size is right but the sign is flipped: check the sign of each factor."
        if self.kind == "gradient":
            if self.before is not None and close(x, self.contribution) and not close(x, e):
                return (f"That is the gradient along this one path only. {self.target} is used "
                        f"more than once, and the gradients from all its paths add up: add the "
                        f"{number(self.before)} it already had.")
            if self.local is not None and close(x, self.local) and not close(self.local, e):
                return (f"That is the local derivative ∂{self.source}/∂{self.target} on its own, "
                        f"without the upstream factor: the chain rule multiplies it by "
                        f"∂{out}/∂{self.source} = {number(self.upstream)}.")
            if close(x, self.upstream) and not close(self.upstream, e):
                return (f"That is the upstream gradient ∂{out}/∂{self.source} on its own: "
                        f"multiply it by the local derivative ∂{self.source}/∂{self.target}.")
        for name, value in self.values.items():
            if close(x, value) and not close(value, e):
                return (f"That is {name}'s forward value (what it computed), not a derivative: "
                        f"a derivative says how much one number changes when another one does.")
        return ""


def questions_of(player: GraphPlayer) -> list[Question]:
    """One question per backward step that sends a gradient along one edge (not grouped)."""
    graph = player.graph
    out = graph.output
    found = []
    totals: dict[str, float] = {}
    for index, step in enumerate(player.steps):
        send = next((e for e in step.events if e.kind == "send"), None)
        arrived = next((e for e in step.events if e.kind == "accumulate"), None)
        if step.kind != "backward" or step.grouped or send is None or arrived is None:
            continue
        before = totals.get(send.target)
        totals[send.target] = first(arrived.total)
        found.append(_question(player, index, send, arrived, before, out))
    return found


def _question(player: GraphPlayer, index: int, send: BackwardStep, arrived: BackwardStep,
              before: float | None, out: str) -> Question:
    graph = player.graph
    numeric = send.local is not None and not isinstance(send.local, str)
    local = first(send.local) if numeric else None
    upstream = first(send.upstream)
    kind = "local" if numeric and np.all(np.asarray(send.upstream) == 1) else "gradient"
    entry = "" if np.size(arrived.total) == 1 else f"[{', '.join('0' * np.ndim(arrived.total))}]"
    names = [send.target, send.source, *graph.nx.predecessors(send.source)]
    values = {name: first(graph.node(name)["value"]) for name in dict.fromkeys(names)}
    rules = [r for r in why(graph, send.source).rules if r.slot == send.index]
    return Question(
        index=index, kind=kind,
        asks=(f"∂{send.source}/∂{send.target}" if kind == "local" else f"∂{out}/∂{send.target}"),
        expected=local if kind == "local" and local is not None else first(arrived.total),
        entry=entry, source=send.source, target=send.target, upstream=upstream, local=local,
        contribution=first(send.contribution), before=before, values=values,
        rule=rules[0].formula if rules else "",
    )


def _hidden(step: Step, question: Question) -> Step:
    """The step with its result covered: the edge is shown, the numbers are not."""
    label = f"{number(question.upstream)} × ? = ?" if not question.entry else "?"
    return replace(step, grads={}, note="", edge_label=label, caption=question.prompt,
                   title=f"your turn: {question.asks} = ?")


class PredictPlayer(GraphPlayer):
    """A :class:`GraphPlayer` that asks the learner to predict each backward step.

    Parts on top of the player's: ``questions``, ``question`` (the text asked now),
    ``answer_box`` (``widgets.Text``), ``check_button``, ``verdict`` and ``score_text``
    (``widgets.HTML``); ``score`` (right at the first try) and ``answered`` (questions done).
    """

    def __init__(
        self,
        output: Tensor,
        *,
        names: Mapping[str, Any] | None = None,
        max_nodes: int = MAX_NODES,
        interval: int = 900,
        inspector: bool = False,
        paths: bool = False,
        **view: Any,
    ) -> None:
        super().__init__(output, names=names, max_nodes=max_nodes, interval=interval,
                         inspector=inspector, paths=paths, **view)
        self.question = widgets.HTML().add_class("autogradlab-predict-question")
        # Enter (or leaving the box) sends the number, as the Check button does; a number is
        # checked once, then the box is cleared (the verdict repeats it)
        self.answer_box = widgets.Text(placeholder="a number, e.g. -2 or 0.5",
                                       continuous_update=False,
                                       layout=widgets.Layout(width="200px"))
        self.answer_box.add_class("autogradlab-predict-answer")
        self.answer_box.observe(lambda _: self._submit(), names="value")
        self.check_button = widgets.Button(description="Check", button_style="primary")
        self.check_button.add_class("autogradlab-predict-check")
        self.check_button.on_click(lambda _: self._submit())
        self.verdict = widgets.HTML().add_class("autogradlab-predict-verdict")
        self.score_text = widgets.HTML().add_class("autogradlab-predict-score")
        quiz = widgets.VBox([self.question, widgets.HBox([self.answer_box, self.check_button]),
                             self.verdict, self.score_text])
        quiz.add_class("autogradlab-predict")
        children = list(self.children)
        children.insert(children.index(self.captions) + 1, quiz)
        self.children = tuple(children)
        self.play.observe(self._hold_at_question, names="value")
        self._start_questions()

    def _build(self) -> None:
        """The player's frames are made again when a folded group is opened: ask again."""
        super()._build()
        if hasattr(self, "verdict"):  # not the first build, from GraphPlayer.__init__
            self._start_questions()

    def _start_questions(self) -> None:
        """Questions for the steps shown now, their results covered; the score from zero."""
        self.questions = questions_of(self)
        self.answered = 0
        self.score = 0
        self._tries = 0
        self.revealed_pngs = list(self.pngs)
        self.revealed_captions = [c.value for c in self.captions.children]
        self._hide_questions()
        self.verdict.value = self.score_text.value = ""
        self._ask()

    # -- the question now -------------------------------------------------------------------

    @property
    def pending(self) -> Question | None:
        """The first question not answered yet (None when all are)."""
        return self.questions[self.answered] if self.answered < len(self.questions) else None

    def _hide_questions(self) -> None:
        """Cover each question's step: its frame drawn without the result, its caption asking."""
        if not self.questions:
            return
        asked = {q.index: q for q in self.questions}
        sequence: list[Step] = []
        for index, step in enumerate(self.steps):
            if index in asked:
                sequence.append(_hidden(step, asked[index]))
            sequence.append(step)
        pngs = FrameRenderer(self.graph, heatmaps=self.renderer.heatmaps).render(sequence)
        hidden = iter(pngs)
        for index in range(len(self.steps)):
            if index in asked:
                self.frames.children[index].value = next(hidden)
                self.captions.children[index].value = _caption(
                    _hidden(self.steps[index], asked[index])).value
            next(hidden)

    def _ask(self) -> None:
        question = self.pending
        if question is None:
            self.question.value = "<b>Every backward step is revealed.</b>" if self.questions \
                else "Nothing to predict here: no backward step sends a gradient along one edge."
            self.score_text.value = (f"<b>Score: {self.score} of {len(self.questions)} right at "
                                     f"the first try.</b>" if self.questions else "")
            return
        self.question.value = (f"<b>Step {question.index}:</b> "
                               f"{html.escape(question.prompt)}")

    def _hold_at_question(self, change: dict[str, Any]) -> None:
        """Play, the slider and the buttons stop at the question not answered yet."""
        question = self.pending
        if question is not None and change["new"] > question.index:
            self.play.playing = False
            self.play.value = question.index

    # -- answers ------------------------------------------------------------------------------

    def _submit(self) -> None:
        """Check what the box holds, if anything, and empty it for the next try."""
        typed = self.answer_box.value
        if typed.strip():
            self.answer_box.value = ""
            self.answer(typed)

    def answer(self, x: float | str) -> str:
        """Check ``x`` against the question asked now; return the verdict (also shown)."""
        question = self.pending
        if question is None:
            text = "Nothing left to predict: every backward step is revealed."
            self.verdict.value = html.escape(text)
            return text
        try:
            value = float(str(x).replace("−", "-").strip())
        except ValueError:
            text = f"Type a number, such as -2 or 0.5 (got {str(x)!r})."
            self.verdict.value = html.escape(text)
            return text
        self._tries += 1
        if close(value, question.expected):
            text = self._right(question)
        else:
            diagnosis = question.diagnose(value)
            text = (f"Not yet: {number(value)} is not {question.asks}. "
                    f"{diagnosis + ' ' if diagnosis else ''}Hint: {question.hint()}")
        color = COLORS["forward"] if text.startswith("Right") else COLORS["grad"]
        self.verdict.value = f"<span style='color:{color}'>{html.escape(text)}</span>"
        return text

    def _right(self, question: Question) -> str:
        """Reveal the step, count the score, move on to the next step."""
        self.score += self._tries == 1
        self._tries = 0
        self.answered += 1
        index = question.index
        self.frames.children[index].value = self.revealed_pngs[index]
        self.captions.children[index].value = self.revealed_captions[index]
        text = (f"Right: {question.asks} = {number(question.expected)}. "
                f"{self.steps[index].caption}")
        self._ask()
        self._go(index + 1)
        return text
