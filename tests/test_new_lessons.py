"""Lessons 11-14 and what they rest on.

* ``ag.viz.trace`` on a learner's own engine (a micrograd-style ``Value`` defined here, with a
  *set* of inputs as micrograd keeps them, and one with a tuple named ``_children``): the same
  graph as autogradlab's trace of the same expression (nodes, edges, values, gradients, the
  gradient sent along each edge), replayed with the learner's ``_backward``, and nothing of the
  learner's objects changed by tracing. The player and ``draw`` work on it.
* The PyTorch twins (code cells tagged ``pytorch``, lessons 11-14) run under real torch and
  print lines that the lesson's autogradlab cells printed too (the saved outputs, which nbval
  checks); without torch, each prints one line saying so.
* The worked solutions of lessons 11-13 pass their checks when run in place, and lesson 11
  then runs on the learner's (solved) engine.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import autogradlab as ag
from autogradlab.viz.protocol import follows_protocol, topological_order

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
NEW_LESSONS = [
    "11_build_your_own_engine.ipynb",
    "12_matrix_calculus_by_shapes.ipynb",
    "13_gradients_of_gradients.ipynb",
]
#: lessons with PyTorch twins (lesson 14's worked solutions are run in tests/test_torch_views.py)


# -- a learner's engine, micrograd's shape ------------------------------------------------------


class Value:
    """micrograd-style: ``_prev`` is a set, ``_op`` a string, ``_backward`` a closure."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._prev = set(_children)
        self._op = _op
        self._backward = lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Value(self.data ** k, (self,), f"**{k}")

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    visit(child)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()


def _expression(make):
    """d = (a * b + a).tanh() ** 2 with a used twice, on either engine; returns the nodes."""
    a, b = make(0.7), make(-1.2)
    c = a * b
    d = c + a
    e = d.tanh()
    L = e ** 2
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "L": L}


def _engine_graph():
    nodes = _expression(lambda v: ag.tensor(v, dtype=ag.float64, requires_grad=True))
    nodes["L"].backward()
    return ag.viz.trace(nodes["L"], names=nodes)


def test_protocol_graph_matches_the_engines_graph():
    nodes = _expression(Value)
    nodes["L"].backward()
    held = {name: node.grad for name, node in nodes.items()}
    graph = ag.viz.trace(nodes["L"], names=nodes)
    engine = _engine_graph()

    assert set(graph.nx.nodes) == set(engine.nx.nodes) == set(nodes)
    assert set(graph.nx.edges) == set(engine.nx.edges)
    assert graph.output == "L" and graph.node("L")["kind"] == "output"
    assert sorted(graph.leaves) == ["a", "b"]
    assert graph.forward_order == engine.forward_order == ["c", "d", "e", "L"]
    assert graph.note is None
    for name in nodes:
        mine, theirs = graph.node(name), engine.node(name)
        assert mine["kind"] == theirs["kind"]
        assert float(mine["value"]) == pytest.approx(float(theirs["value"]), abs=1e-12)
        assert float(mine["grad"]) == pytest.approx(float(theirs["grad"]), abs=1e-12), name
        assert float(mine["grad"]) == pytest.approx(held[name], abs=1e-12)
    assert graph.node("L")["expression"] == "e ** 2"
    assert graph.node("L")["constants"] == {1: 2}
    assert graph.node("e")["expression"] == "tanh(d)"
    for edge in graph.nx.edges:
        mine, theirs = graph.edge(*edge), engine.edge(*edge)
        assert float(mine["grad"]) == pytest.approx(float(theirs["grad"]), abs=1e-12), edge
        assert mine["local_value"] == pytest.approx(theirs["local_value"], abs=1e-12), edge
    # the same sends (as a multiset: sibling order may differ), each with its upstream x local
    sends = sorted((s.source, s.target, round(float(s.contribution), 12))
                   for s in graph.backward_steps if s.kind == "send")
    theirs = sorted((s.source, s.target, round(float(s.contribution), 12))
                    for s in engine.backward_steps if s.kind == "send")
    assert sends == theirs
    for step in graph.backward_steps:
        if step.kind == "send":
            assert float(step.contribution) == pytest.approx(
                float(step.upstream) * step.local, abs=1e-12)
    # every node's gradient is complete before it sends (reverse topological order)
    received_last = {}
    for k, step in enumerate(graph.backward_steps):
        if step.kind == "accumulate":
            received_last[step.target] = k
    for k, step in enumerate(graph.backward_steps):
        if step.kind == "send" and step.source in received_last:
            assert received_last[step.source] < k
    # a's two contributions add up, as the engine's accumulate steps say
    totals = [s for s in graph.backward_steps if s.kind == "accumulate" and s.target == "a"]
    assert [s.count for s in totals] == [1, 2]
    assert float(totals[-1].total) == pytest.approx(held["a"], abs=1e-12)
    # tracing left the learner's objects as they were
    assert {name: node.grad for name, node in nodes.items()} == held


def test_protocol_before_backward_shows_the_forward_pass_only():
    nodes = _expression(Value)
    graph = ag.viz.trace(nodes["L"], names=nodes)
    assert graph.backward_steps == []
    assert graph.forward_order == ["c", "d", "e", "L"]
    assert all(nodes[name].grad == 0.0 for name in nodes)


def test_protocol_notes_gradients_that_are_not_one_backward_pass():
    nodes = _expression(Value)
    nodes["L"].backward()
    nodes["L"].backward()  # no zeroing: the leaves now hold twice their gradient
    held = {name: node.grad for name, node in nodes.items()}
    graph = ag.viz.trace(nodes["L"], names=nodes)
    assert graph.note is not None and "a" in graph.note
    once = _expression(Value)
    once["L"].backward()
    assert held["a"] != pytest.approx(once["a"].grad)
    for name in nodes:  # the replay shows one backward pass, as the note says
        assert float(graph.node(name)["grad"]) == pytest.approx(once[name].grad, abs=1e-12)
    assert {name: node.grad for name, node in nodes.items()} == held


class Node:
    """Another engine: ``_children`` as a tuple, a node used twice in one operation."""

    def __init__(self, data, children=(), op=""):
        self.data, self.grad, self._children, self._op = data, 0.0, tuple(children), op
        self._backward = lambda: None

    def __mul__(self, other):
        out = Node(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out


def test_protocol_with_children_and_a_node_used_twice():
    x = Node(3.0)
    y = x * x
    y.grad = 1.0
    y._backward()
    graph = ag.viz.trace(y, names={"x": x, "y": y})
    assert list(graph.nx.edges) == [("x", "y")]
    edge = graph.edge("x", "y")
    assert edge["indices"] == (0, 1)
    assert edge["local_value"] == pytest.approx(6.0)
    assert float(edge["grad"]) == pytest.approx(6.0)
    assert float(graph.node("x")["grad"]) == pytest.approx(6.0)
    assert x.grad == 6.0 and y.grad == 1.0


def test_protocol_names_come_from_the_callers_variables():
    a, b = Value(1.0), Value(2.0)
    product = a * b
    graph = ag.viz.trace(product)
    assert set(graph.nx.nodes) == {"a", "b", "product"}
    unnamed = ag.viz.trace(Value(1.0) * Value(2.0) + Value(0.5), names={})
    assert set(unnamed.nx.nodes) == {"leaf1", "leaf2", "leaf3", "mul1", "add1"}


def test_protocol_detection_and_errors():
    assert follows_protocol(Value(1.0)) and follows_protocol(Node(1.0))
    assert not follows_protocol(3.0) and not follows_protocol(Value)
    with pytest.raises(TypeError, match="needs a Tensor"):
        ag.viz.trace(object())
    bad = Value(1.0)
    bad._prev = {2.0}
    with pytest.raises(TypeError, match="does not follow the protocol"):
        ag.viz.trace(bad)


def test_protocol_topological_order_is_iterative():
    v = Value(0.5)
    for _ in range(3000):  # deeper than Python's recursion limit
        v = v * 1.0001
    order = topological_order(v)
    assert len(order) == 6001 and order[-1] is v


def test_player_and_drawing_work_on_a_learners_engine():
    pytest.importorskip("ipywidgets")
    from autogradlab.widgets import GraphPlayer

    nodes = _expression(Value)
    nodes["L"].backward()
    player = GraphPlayer(graph=ag.viz.trace(nodes["L"], names=nodes))
    captions = [step.caption for step in player.steps]
    assert len(player.pngs) == len(player.steps)
    assert any("Value._backward" in c for c in captions)
    assert any("a has now received 2 gradients" in c for c in captions)
    figure = ag.viz.draw(ag.viz.trace(nodes["L"], names=nodes))
    assert figure.axes


# -- the PyTorch twins ---------------------------------------------------------------------------


def _notebook(name):
    path = LESSONS / name
    if not path.exists():
        pytest.skip(f"{name} not written yet")
    return nbformat.read(path, as_version=4)


# -- the worked solutions, run in place ----------------------------------------------------------

SOLUTION_CODE = re.compile(r"<details>.*?```python\n(.*?)```.*?</details>", re.S)


@pytest.mark.parametrize("name", NEW_LESSONS)
def test_worked_solutions_pass_and_the_lesson_runs_on_them(name, monkeypatch):
    pytest.importorskip("matplotlib").use("agg")
    monkeypatch.chdir(LESSONS)
    nb = _notebook(name)
    namespace: dict = {"__name__": "__main__"}
    solved, outputs = 0, []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            if "pytorch" in cell.metadata.get("tags", []):
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(cell.source, f"{name}[{index}]", "exec"), namespace)
            outputs.append(out.getvalue())
        elif cell.cell_type == "markdown":
            for code in SOLUTION_CODE.findall(cell.source):
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    exec(compile(code, f"{name}[{index}] solution", "exec"), namespace)
                last = (out.getvalue().strip().splitlines() or [""])[-1]
                assert last.startswith("✓ Correct"), (
                    f"{name} cell {index}: the worked solution does not pass its check: {last!r}"
                )
                solved += 1
    assert solved >= 2
    if name.startswith("11_"):
        text = "".join(outputs)
        assert "the rest of the lesson runs on your Value" in text
        assert "your engine: dL/dw1 = 0.117175" in text


def test_lesson_11_engine_matches_autogradlab_on_random_expressions():
    """The worked engine of lesson 11 against autogradlab, through its own check's programs."""
    from autogradlab.exercises import lesson11

    value_class = lesson11.worked_value()
    for seed in range(20):
        program = lesson11._random_program(seed)
        nodes = lesson11._build(program, value_class)
        nodes[-1].backward()
        want_value, want_grads = lesson11._autogradlab_grads(program)
        leaves = [nodes[k] for k, step in enumerate(program) if step[0] == "leaf"]
        assert nodes[-1].data == pytest.approx(want_value, rel=1e-12)
        assert np.allclose([x.grad for x in leaves], want_grads, rtol=1e-9, atol=1e-12)
