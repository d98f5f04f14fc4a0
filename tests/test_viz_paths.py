"""viz.chain_rule_paths and viz.explain: dL/da as a sum over paths equals the engine's a.grad."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from viz_graphs import source_scalar, source_tensor, square_plus_three

import autogradlab as ag
from autogradlab import viz


def test_two_paths_whose_sum_is_a_grad():
    ns = source_scalar("sub")
    rule = viz.chain_rule_paths(viz.trace(ns["L"], names=ns), ns["a"])
    assert rule.wrt == "a" and len(rule.paths) == 2
    assert [p.nodes for p in rule.paths] == [
        ("a", "b", "mul1", "d", "L"), ("a", "c", "mul2", "d", "L")]
    assert [p.derivatives for p in rule.paths] == [(3.0, 5.0, 1.0, -1.0), (4.0, 6.0, 1.0, -1.0)]
    assert [p.product for p in rule.paths] == [-15.0, -24.0]
    assert rule.total == -39.0 == rule.engine_grad == ns["a"].grad.item()
    assert rule.matches is True
    assert "sum over 2 paths = -39.0, equals a.grad = -39.0 ✓" in str(rule)
    assert "✓" in rule._repr_html_()


def test_tanh_version_matches_and_finds_tensors_by_identity_or_name():
    ns = source_scalar("tanh")
    graph = viz.trace(ns["L"], names=ns)
    by_tensor = viz.chain_rule_paths(graph, ns["a"])
    by_name = viz.chain_rule_paths(graph, "a")
    assert by_tensor.total == pytest.approx(ns["a"].grad.item(), rel=1e-5)
    assert by_tensor.matches and by_name.total == by_tensor.total
    through_b = viz.chain_rule_paths(graph, ns["b"])  # an intermediate: matched via grad_fn
    assert through_b.wrt == "b" and through_b.matches and len(through_b.paths) == 1


def test_traces_by_itself_with_the_callers_names():
    a = ag.tensor(2.0, requires_grad=True)
    b = a * a + a
    b.backward()
    rule = viz.chain_rule_paths(b, a)
    assert rule.wrt == "a" and rule.output == "b"
    assert rule.total == 5.0 == rule.engine_grad and rule.matches


def test_tensor_graph_multiplies_elementwise():
    ns = source_tensor()
    rule = viz.chain_rule_paths(viz.trace(ns["L"], names=ns), ns["a"])
    assert len(rule.paths) == 2 and all(p.elementwise for p in rule.paths)
    w1, w3 = ns["w1"].detach().numpy(), ns["w3"].detach().numpy()
    np.testing.assert_allclose(rule.paths[0].product, w1 * w3)
    np.testing.assert_allclose(rule.total, ns["a"].grad.numpy(), rtol=1e-10)
    assert rule.matches and "elementwise" in str(rule)


def test_a_jacobian_path_is_only_described():
    x = ag.tensor(np.arange(12.0).reshape(3, 4) / 10, requires_grad=True)
    W = ag.tensor(np.ones((4, 2)), requires_grad=True)
    y = (x @ W).tanh().sum()
    y.backward()
    rule = viz.chain_rule_paths(y, x)
    assert rule.total is None and rule.matches is None
    assert "Jacobian" in str(rule) and "grad @ B.T" in str(rule)


def test_mismatch_is_said_clearly():
    ns = square_plus_three()
    graph = viz.trace(ns["f"], names=ns)
    graph.node("x")["grad"] = np.array(13.0)  # pretend the engine got it wrong
    rule = viz.chain_rule_paths(graph, "x")
    assert rule.total == 14.0 and rule.matches is False
    assert "do NOT match ✗" in str(rule)


def test_before_backward_it_says_what_to_do():
    x = ag.tensor(3.0, requires_grad=True)
    f = x * x
    rule = viz.chain_rule_paths(f, x)
    assert rule.total == 6.0 and rule.engine_grad is None and rule.matches is None
    assert "call f.backward()" in str(rule)


def test_unknown_wrt_is_a_clear_error():
    ns = square_plus_three()
    with pytest.raises(KeyError, match="not part of the graph"):
        viz.chain_rule_paths(viz.trace(ns["f"], names=ns), ag.tensor(1.0, requires_grad=True))
    with pytest.raises(KeyError, match="no node named 'nope'"):
        viz.chain_rule_paths(viz.trace(ns["f"], names=ns), "nope")


def test_explain_prints_the_worked_formula(capsys):
    ns = source_scalar("sub")
    viz.explain(viz.trace(ns["L"], names=ns), ns["a"])
    text = capsys.readouterr().out
    assert text.splitlines()[:3] == [
        "dL/da = (dL/dd)(dd/dmul1)(dmul1/db)(db/da) + (dL/dd)(dd/dmul2)(dmul2/dc)(dc/da)",
        "      = (-1.0)(1.0)(5.0)(3.0) + (-1.0)(1.0)(6.0)(4.0)",
        "      = -39.0",
    ]
    assert "mul1 = w3 * b" in text and "equals a.grad = -39.0 ✓" in text


def _apply(op: str, x: ag.Tensor, y: ag.Tensor) -> ag.Tensor:
    if op == "add":
        return x + y
    if op == "mul":
        return x * y
    if op == "sub":
        return x - y
    if op == "tanh":
        return x.tanh()
    if op == "sigmoid":
        return x.sigmoid()
    if op == "square":
        return x**2
    return x * 0.7 + 0.1


OPS = ["add", "mul", "sub", "tanh", "sigmoid", "square", "scale"]


@given(
    leaves=st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=3),
    program=st.lists(
        st.tuples(st.sampled_from(OPS), st.integers(0, 100), st.integers(0, 100)),
        min_size=1, max_size=7,
    ),
)
def test_path_sum_equals_engine_gradient_on_random_scalar_graphs(leaves, program):
    nodes = [ag.tensor(v, dtype=ag.float64, requires_grad=True) for v in leaves]
    for op, i, j in program:
        x, y = nodes[i % len(nodes)], nodes[j % len(nodes)]  # nodes are reused freely
        nodes.append(_apply(op, x, y))
    out = nodes[-1]
    out.backward()
    graph = viz.trace(out, names={})
    for name in graph.leaves:
        rule = viz.chain_rule_paths(graph, name)
        assert rule.matches, str(rule)
        assert rule.total == pytest.approx(float(graph.tensors[name].grad.item()), rel=1e-9,
                                           abs=1e-12)
