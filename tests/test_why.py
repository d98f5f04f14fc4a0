"""``ag.viz.why``: a node's rule, the rule with its numbers (the engine's), and its source line."""

from __future__ import annotations

import math

import pytest
from IPython.core.compilerop import CachingCompiler

import autogradlab as ag
from autogradlab import autograd
from autogradlab.magics import AutogradMagics
from autogradlab.viz import trace, why
from autogradlab.viz.why import where
from autogradlab.widgets import NodeInspector


def readme_graph(source: bool = True):
    """The README's example, recorded with source lines; returns the tensors by name."""
    w1, w2, w3, w4, a = (ag.tensor(v, requires_grad=True) for v in (3.0, -1.0, 2.0, 4.0, 2.0))
    with autograd.record(source=source):
        b = w1 * a  # line marker: b
        c = w2 * a
        d = w3 * b + w4 * c
        L = 10 - d
    L.backward()
    return {"w1": w1, "w2": w2, "w3": w3, "w4": w4, "a": a, "b": b, "c": c, "d": d, "L": L}


def line_of(marker: str) -> int:
    """The line number of ``marker`` in this file."""
    with open(__file__, encoding="utf-8") as handle:
        return next(k for k, line in enumerate(handle, 1) if marker in line)


def test_mul_rule_in_symbols_and_with_the_engines_numbers():
    t = readme_graph()
    found = why(t["b"], names=t)
    assert found.node == "b" and found.grad_fn == "MulBackward0"
    by_input = {rule.input: rule for rule in found.rules}
    assert by_input["a"].formula == "∂(w1·a)/∂a = w1"
    assert by_input["w1"].formula == "∂(w1·a)/∂w1 = a"
    # the numbers: d(w1·a)/da is w1's value, 3; d/dw1 is a's value, 2 (the engine's locals)
    assert by_input["a"].numbers == "= 3.0" and by_input["a"].local == 3.0
    assert by_input["w1"].numbers == "= 2.0" and by_input["w1"].local == 2.0
    assert "∂(w1·a)/∂a = w1  = 3.0" in str(found)


def test_the_locals_are_the_engines_and_multiply_to_the_gradient():
    """a.grad is the sum over paths of the products of the locals that why() shows."""
    t = readme_graph()
    g = trace(t["L"], names=t)
    local = {(r.input, node): r.local for node in g.forward_order for r in why(g, node).rules}
    path_b = local[("d", "L")] * local[("mul1", "d")] * local[("b", "mul1")] * local[("a", "b")]
    path_c = local[("d", "L")] * local[("mul2", "d")] * local[("c", "mul2")] * local[("a", "c")]
    assert path_b + path_c == pytest.approx(t["a"].grad.item())
    for event in autograd.recorded_events(t["L"]):  # the same numbers as the engine's events
        if isinstance(event, autograd.GradientSent) and event.source is t["b"].grad_fn:
            target = "w1" if event.index == 0 else "a"
            assert local[(target, "b")] == pytest.approx(float(event.local))


def test_rule_with_numbers_put_in_and_the_engines_result():
    x = ag.tensor(0.5, requires_grad=True)
    with autograd.record(source=True):
        y = x.tanh()
    y.backward()
    rule = why(y, names={"x": x, "y": y}).rules[0]
    assert rule.formula == "∂(tanh(x))/∂x = 1 − tanh(x)²"
    assert rule.numbers.startswith("= 1 − tanh(0.5)² = ")
    assert float(rule.numbers.rsplit("=", 1)[1]) == pytest.approx(x.grad.item(), rel=1e-3)
    assert x.grad.item() == pytest.approx(1 - math.tanh(0.5) ** 2, rel=1e-6)


def test_an_input_used_twice_gets_one_rule_per_slot_and_they_add_up():
    a = ag.tensor(3.0, requires_grad=True)
    y = a * a
    y.backward()
    rules = why(y, names={"a": a, "y": y}).rules
    assert [r.slot for r in rules] == [0, 1]
    assert all("used twice" in r.formula for r in rules)
    assert sum(r.local for r in rules) == pytest.approx(a.grad.item()) == 6.0


def test_a_constant_operand_is_written_as_a_number():
    t = readme_graph()
    found = why(t["L"], names=t)
    assert found.grad_fn == "RsubBackward1"
    assert [r.formula for r in found.rules] == ["∂(10 − d)/∂d = −1"]
    assert found.rules[0].numbers == "= -1.0"


def test_the_source_line_is_recorded_with_file_line_and_text():
    t = readme_graph()
    found = why(t["b"], names=t)
    assert found.source is not None
    assert found.source.lineno == line_of("# line marker: b")
    assert found.source.text.startswith("b = w1 * a")
    assert found.where.endswith(f"test_why.py, line {found.source.lineno}: {found.source.text}")
    assert f"made by: {found.where}" in str(found)


def test_without_recording_there_is_no_source_line_and_it_says_how_to_get_one():
    t = readme_graph(source=False)
    found = why(t["b"], names=t)
    assert found.source is None and found.where == ""
    assert "record(source=True)" in str(found)


def test_a_leaf_has_no_rule():
    t = readme_graph()
    found = why(t["a"], names=t)
    assert found.rules == () and found.grad_fn is None
    assert "leaf" in str(found)


def test_why_on_a_graph_node_and_its_errors():
    t = readme_graph()
    g = trace(t["L"], names=t)
    assert why(g, "c").rules[1].formula == "∂(w2·a)/∂a = w2"
    with pytest.raises(KeyError, match="no node 'zz'"):
        why(g, "zz")
    with pytest.raises(TypeError, match="needs a Tensor"):
        why(3.0)  # type: ignore[arg-type]


def test_the_node_inspector_shows_why():
    t = readme_graph()
    inspector = NodeInspector(t["L"], names=t)
    inspector.dropdown.value = "b"
    text = inspector.details.value
    assert "autogradlab-why" in text
    assert "∂(w1·a)/∂a = w1  = 3.0" in text
    assert f"test_why.py, line {line_of('# line marker: b')}" in text


class Shell:
    """The parts of an IPython shell that ``%%autograd`` uses, with IPython's own compiler (which
    names each cell and puts its lines in linecache). Not the global test shell: only one can
    exist, and tests/test_magics.py starts it."""

    def __init__(self) -> None:
        self.user_ns: dict = {}
        self.execution_count = 7
        self.compile = CachingCompiler()

    def transform_cell(self, cell: str) -> str:
        return cell


def test_autograd_magic_records_the_cells_lines():
    cell = (
        "%%autograd\n"
        "import autogradlab as ag\n"
        "a = ag.tensor(2.0, requires_grad=True)\n"
        "b = a * 3\n"
        "L = b ** 2\n"
        "L.backward()\n"
        "L\n"
    )
    line, body = cell.split("\n", 1)
    player = AutogradMagics(shell=Shell()).autograd(line[len("%%autograd"):], body)
    found = why(player.graph, "b")
    assert found.source is not None and found.source.lineno == 4  # the cell's own line 4
    assert found.where == "cell In[7], line 4: b = a * 3"
    assert why(player.graph, "L").where == "cell In[7], line 5: L = b ** 2"


def test_a_notebook_kernels_cell_file_is_named_as_the_cell(monkeypatch):
    """ipykernel compiles each cell from a temporary file name; why() says which cell it was."""
    import IPython
    from ipykernel.compiler import XCachingCompiler

    class Kernel:
        compile = XCachingCompiler()

    filename = Kernel.compile.cache("x = 1\ny = x * 2\n", 3)
    assert "ipykernel_" in filename
    monkeypatch.setattr(IPython, "get_ipython", lambda: Kernel())
    source = autograd.SourceLine(filename, 2, "y = x * 2")
    assert where(source) == "cell In[3], line 2: y = x * 2"
    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # the kernel's map is gone
    assert where(source) == "a notebook cell, line 2: y = x * 2"


def test_a_graph_from_elsewhere_with_fewer_attributes_still_explains():
    """Graphs traced from other engines (PyTorch's) may lack attributes or values: the rule
    stays in symbols, and nothing breaks the inspector."""
    t = readme_graph()
    g = trace(t["L"], names=t)
    g.functions.clear()
    for _, attrs in g.nx.nodes(data=True):
        attrs.pop("constants", None)
        attrs.pop("formulas", None)
    g.node("w1")["value"] = float("nan")
    rule = next(r for r in why(g, "b").rules if r.input == "a")
    assert rule.formula == "∂(w1·a)/∂a = w1"
    assert rule.numbers == "= 3.0"  # the engine's local derivative, recorded in the events
    assert why(g, "b").source is None
