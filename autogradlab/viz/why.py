"""Why does this node have the gradient it has? Its rule, the rule with numbers, and its line.

.. code-block:: python

    with ag.autograd.record(source=True):     # or a %%autograd cell
        b = w1 * a
        L = (10 - b).sum()
    L.backward()
    ag.viz.why(b)

    b = w1 * a   (MulBackward0)
      ∂(w1·a)/∂w1 = a  = 2
      ∂(w1·a)/∂a = w1  = 3
      made by: cell In[4], line 2: b = w1 * a

Three things, for one node of the graph:

* the **rule**: the operation's local derivative with respect to each input, written with the
  learner's own names (``∂(w1·a)/∂a = w1``);
* the rule **with this node's numbers** in it (``= 3``): the inputs' values put into the formula,
  then the local derivative the engine itself computed for the backward pass;
* the **line of code** that made the node, when it was recorded with
  ``ag.autograd.record(source=True)`` or in a ``%%autograd`` cell (the engine looks source lines up
  only then, so it costs nothing otherwise).

Everything is read from the traced graph (:func:`~autogradlab.viz.trace`), so the numbers are the
engine's: nothing here differentiates anything a second way.
"""

from __future__ import annotations

import html
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd import SourceLine
from ..tensor import Tensor
from .trace import Graph, trace
from .words import number, summary

# --------------------------------------------------------------------------------------------
# The rules: the local derivative of each operation, per input, in symbols
# --------------------------------------------------------------------------------------------

#: op class -> (how the op is written, the local derivative for input 0, for input 1).
#: ``{a}`` and ``{b}`` stand for the first and second input; ``{n}`` for the element count.
RULES: dict[str, tuple[str, ...]] = {
    "Add": ("{a} + {b}", "1", "1"),
    "Sub": ("{a} − {b}", "1", "−1"),
    "Mul": ("{a}·{b}", "{b}", "{a}"),
    "Div": ("{a}/{b}", "1/{b}", "−{a}/{b}²"),
    "Neg": ("−{a}", "−1"),
    "Pow": ("{a}^{b}", "{b}·{a}^({b}−1)", "{a}^{b}·ln {a}"),
    "Exp": ("exp({a})", "exp({a})"),
    "Log": ("ln {a}", "1/{a}"),
    "Tanh": ("tanh({a})", "1 − tanh({a})²"),
    "Sigmoid": ("σ({a})", "σ({a})·(1 − σ({a}))"),
    "ReLU": ("relu({a})", "1 if {a} > 0, else 0"),
    "Sin": ("sin({a})", "cos({a})"),
    "Cos": ("cos({a})", "−sin({a})"),
    "Abs": ("|{a}|", "sign({a})"),
    "Sqrt": ("√{a}", "1/(2·√{a})"),
    "Sum": ("sum({a})", "1 for every element"),
    "Mean": ("mean({a})", "1/{n} for every element"),
    "Clone": ("clone({a})", "1"),
}


@dataclass(frozen=True)
class Rule:
    """The local derivative of a node with respect to one input.

    ``formula`` is the rule in symbols (``∂(w1·a)/∂a = w1``), ``numbers`` the same rule with this
    node's numbers (``= 3``), ``local`` the local derivative the engine computed (a number, an
    array, or None when the engine only describes it, as for a matrix product).
    """

    input: str
    slot: int
    formula: str
    numbers: str
    local: Any


@dataclass(frozen=True)
class Why:
    """What :func:`why` found out about one node: read it as text, or as HTML in a notebook."""

    node: str
    expression: str
    grad_fn: str | None
    rules: tuple[Rule, ...]
    source: SourceLine | None
    where: str

    def lines(self) -> list[str]:
        """The explanation as lines of plain text."""
        head = f"{self.node} = {self.expression}" if self.grad_fn else f"{self.node}"
        out = [f"{head}   ({self.grad_fn})" if self.grad_fn else
               f"{head} is a leaf: you made it, so there is no rule to apply."]
        for rule in self.rules:
            out.append(f"  {rule.formula}  {rule.numbers}".rstrip())
        if self.grad_fn:
            out.append(f"  made by: {self.where}" if self.where else
                       "  made by: (no source line: record with ag.autograd.record(source=True) "
                       "or run the cell with %%autograd)")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return to_html(self)


def to_html(found: Why) -> str:
    """The explanation as an HTML block (the node inspector shows this)."""
    lines = found.lines()
    rows = [f"<b>{html.escape(lines[0])}</b>"]
    rows += [f"<code>{html.escape(line.strip())}</code>" for line in lines[1:]]
    return ("<div class='autogradlab-why' style='font-size:13px;line-height:1.6'>"
            + "<br>".join(rows) + "</div>")


# --------------------------------------------------------------------------------------------
# Numbers and names
# --------------------------------------------------------------------------------------------


def _number(x: Any) -> str:
    """A number (``3.0``, ``-0.4199``) or a tensor's summary, in the words every view uses."""
    return number(x) if np.size(x) == 1 else summary(x)


def _operands(graph: Graph, node: str) -> dict[int, str | float]:
    """The inputs of ``node`` by slot: node names (str), or the plain numbers it was given."""
    slots: dict[int, str | float] = {
        k: v for k, v in graph.node(node).get("constants", {}).items()
        if isinstance(v, int | float)
    }
    for source in graph.nx.predecessors(node):
        for slot in graph.edge(source, node).get("indices", ()):
            slots[slot] = source
    return slots


def _fill(template: str, names: Mapping[str, str]) -> str:
    for key, text in names.items():
        template = template.replace("{" + key + "}", text)
    return template


def _value_of(graph: Graph, operand: str | float) -> str | None:
    """An operand's value as a number (``3.0``), or None for a tensor of many numbers."""
    if not isinstance(operand, str):
        return _number(operand)
    value = graph.node(operand).get("value")
    if value is None or np.size(value) != 1 or not np.isfinite(np.asarray(value, float)).all():
        return None  # many numbers, or none recorded (nan): the rule stays in symbols
    return _number(value)


def _wrap(text: str) -> str:
    """``-3`` written inside a formula: ``(−3)``; names and positive numbers as they are."""
    return f"({text})" if text.startswith(("-", "−")) else text


# --------------------------------------------------------------------------------------------
# Where a node was made
# --------------------------------------------------------------------------------------------


def where(source: SourceLine | None) -> str:
    """``cell In[4], line 2: b = w1 * a`` or ``train.py, line 12: ...``; '' when unknown."""
    if source is None:
        return ""
    place = _cell_name(source.filename) or _file_name(source.filename)
    return f"{place}, line {source.lineno}: {source.text}"


_IPYTHON_INPUT = re.compile(r"<ipython-input-(\d+)-")


def _cell_name(filename: str) -> str | None:
    """``cell In[4]`` for a notebook or IPython cell; None for a real file.

    IPython names each cell's code with a made-up filename (``<ipython-input-4-…>`` in the
    terminal, a temporary path in a notebook) and keeps a map from those names to cell numbers.
    """
    shell = None
    if "IPython" in sys.modules:  # never import IPython just to ask
        shell = sys.modules["IPython"].get_ipython()
    compiler = getattr(shell, "compile", None)
    named = getattr(compiler, "format_code_name", lambda name: None)(filename)
    if named:
        return f"cell {named[1]}"
    match = _IPYTHON_INPUT.match(filename)
    if match:
        return f"cell In[{match.group(1)}]"
    if "ipykernel_" in filename or filename.startswith("<"):
        return "a notebook cell"
    return None


def _file_name(filename: str) -> str:
    """A file's path relative to the working directory when it is inside it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


# --------------------------------------------------------------------------------------------
# why()
# --------------------------------------------------------------------------------------------


def why(
    target: Tensor | Graph, node: str | None = None, *, names: Mapping[str, Any] | None = None
) -> Why:
    """Why a node's gradient is what it is: the rule, the rule with numbers, and its line.

    ``why(b)`` explains the tensor ``b`` (traced with the caller's variable names);
    ``why(graph, "b")`` explains node ``b`` of a traced :class:`Graph` (the inspector does).
    """
    if isinstance(target, Tensor):
        graph = trace(target, names)
        node = graph.output if node is None else node
    elif isinstance(target, Graph):
        graph = target
        node = graph.output if node is None else node
    else:
        raise TypeError(f"why() needs a Tensor or a traced Graph, not {type(target).__name__}")
    if node not in graph.nx:
        raise KeyError(f"the graph has no node {node!r}; its nodes are {sorted(graph.nx)}")
    data = graph.node(node)
    if data.get("op") is None:
        return Why(node, node, None, (), None, "")
    fn = graph.functions.get(node)
    source = getattr(fn, "source", None)
    source = source if isinstance(source, SourceLine) else None
    rules = tuple(_rules(graph, node))
    return Why(node, _written(graph, node), data.get("grad_fn") or data["op"], rules, source,
               where(source))


def _written(graph: Graph, node: str) -> str:
    """The node's operation with its inputs' names, as the rules write it (``w1·a``)."""
    op = graph.node(node)["op"]
    operands = _operands(graph, node)
    if op not in RULES:
        return graph.node(node).get("expression", node)
    names = {"a": _wrap(str(operands.get(0, "?"))), "b": _wrap(str(operands.get(1, "?")))}
    return _fill(RULES[op][0], names)


def _rules(graph: Graph, node: str) -> list[Rule]:
    """One :class:`Rule` per input that receives a gradient."""
    data = graph.node(node)
    operands = _operands(graph, node)
    written = _written(graph, node)
    rules = []
    for source in graph.nx.predecessors(node):
        for slot in graph.edge(source, node).get("indices", ()):
            rule = _rule_for(graph, node, source, slot, operands, written)
            if rule is not None:
                rules.append(rule)
    rules.sort(key=lambda r: r.slot)
    formulas = data.get("formulas", ())
    if not rules and formulas:  # not elementwise and nothing recorded: the words only
        rules = [Rule("?", k, f, "", None) for k, f in enumerate(formulas)]
    return rules


def _rule_for(
    graph: Graph, node: str, source: str, slot: int, operands: dict[int, str | float],
    written: str,
) -> Rule | None:
    op = graph.node(node)["op"]
    needs = getattr(graph.functions.get(node), "needs_grad", None)
    if needs is not None and slot < len(needs) and not needs[slot]:
        return None
    local = _local(graph, node, source, slot)
    lhs = f"∂({written})/∂{source}"
    if op in RULES and slot + 1 < len(RULES[op]):
        symbols = {"a": _wrap(str(operands.get(0, "?"))), "b": _wrap(str(operands.get(1, "?"))),
                   "n": str(int(np.size(graph.node(source)["value"])))}
        formula = f"{lhs} = {_fill(RULES[op][slot + 1], symbols)}"
        numbers = _with_numbers(graph, RULES[op][slot + 1], operands, local)
    else:
        words = graph.node(node).get("formulas", ())
        formula = f"{lhs}: {words[slot]}" if slot < len(words) else f"{lhs}: see its backward"
        numbers = f"= {_number(local)}" if _is_numeric(local) else ""
    if len(graph.edge(source, node).get("indices", ())) > 1:
        formula += f"   (as input {slot}; {source} is used twice, so the two add up)"
    return Rule(source, slot, formula, numbers, local)


def _local(graph: Graph, node: str, source: str, slot: int) -> Any:
    """The local derivative the engine computed for this input slot.

    From the backward pass's own events when it ran (``graph.backward_steps``), else from the
    edge's recorded local derivative (summed over slots, so only used for a single slot).
    """
    for step in graph.backward_steps:
        if step.kind == "send" and step.source == node and step.index == slot:
            return step.local
    edge = graph.edge(source, node)
    if len(edge.get("indices", ())) == 1:
        value = edge.get("local_value")
        return value if value is not None else edge.get("local")
    return None


def _is_numeric(x: Any) -> bool:
    return x is not None and not isinstance(x, str)


def _with_numbers(
    graph: Graph, template: str, operands: dict[int, str | float], local: Any
) -> str:
    """``= 1 − 0.7616² = 0.42``: the inputs' values put into the rule, then the engine's number."""
    result = f"= {_number(local)}" if _is_numeric(local) else ""
    values = {key: _value_of(graph, operands[k]) for key, k in (("a", 0), ("b", 1))
              if k in operands}
    needed = set(re.findall(r"\{(\w)\}", template)) - {"n"}
    if not needed or any(values.get(key) is None for key in needed):
        return result
    substituted = _fill(template, {k: _wrap(v) for k, v in values.items() if v is not None})
    if not result or _number_or_none(substituted) == result[2:]:
        return result or f"= {substituted}"
    return f"= {substituted} {result}"


def _number_or_none(text: str) -> str | None:
    try:
        return _number(float(text.replace("−", "-")))
    except ValueError:
        return None

