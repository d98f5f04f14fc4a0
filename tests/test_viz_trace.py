"""viz.trace on the source material's graphs: nodes, edges, local derivatives, names."""

from __future__ import annotations

import numpy as np
import pytest
from viz_graphs import source_scalar, source_tensor, square_plus_three

import autogradlab as ag
from autogradlab import viz


def test_names_come_out_as_the_learner_wrote_them():
    a = ag.tensor(2.0, requires_grad=True)
    w1 = ag.tensor(3.0, requires_grad=True)
    w2 = ag.tensor(4.0, requires_grad=True)
    w3 = ag.tensor(5.0, requires_grad=True)
    w4 = ag.tensor(6.0, requires_grad=True)
    b = w1 * a
    c = w2 * a
    d = w3 * b + w4 * c
    L = 10 - d
    graph = viz.trace(L)  # no names= given: read from this function's variables
    assert {"a", "w1", "w2", "w3", "w4", "b", "c", "d", "L"} <= set(graph.nx)
    assert graph.output == "L"
    assert graph.node("b")["expression"] == "w1 * a"
    assert graph.node("d")["expression"] == "mul1 + mul2"  # w3*b and w4*c have no names
    assert graph.node("mul1")["expression"] == "w3 * b"


def test_scalar_source_graph_nodes_edges_and_local_derivatives():
    ns = source_scalar("sub")
    graph = viz.trace(ns["L"], names=ns)
    g = graph.nx
    assert sorted(graph.leaves) == ["a", "w1", "w2", "w3", "w4"]
    assert graph.forward_order == ["b", "c", "mul1", "mul2", "d", "L"]
    assert {n: g.nodes[n]["kind"] for n in ("a", "b", "L")} == {
        "a": "leaf", "b": "op", "L": "output"}
    assert set(g.edges) == {
        ("w1", "b"), ("a", "b"), ("w2", "c"), ("a", "c"), ("w3", "mul1"), ("b", "mul1"),
        ("w4", "mul2"), ("c", "mul2"), ("mul1", "d"), ("mul2", "d"), ("d", "L"),
    }
    local = {edge: g.edges[edge]["local"] for edge in g.edges}
    # d(w1*a)/da = w1 = 3, d(w1*a)/dw1 = a = 2, d(w3*b)/db = w3 = 5, d(10-d)/dd = -1
    assert local[("a", "b")] == 3.0 and local[("w1", "b")] == 2.0
    assert local[("a", "c")] == 4.0 and local[("b", "mul1")] == 5.0
    assert local[("c", "mul2")] == 6.0 and local[("mul1", "d")] == 1.0
    assert local[("d", "L")] == -1.0
    assert float(g.nodes["L"]["value"]) == 10 - (5 * 6 + 6 * 8)
    assert float(g.nodes["a"]["grad"]) == float(ns["a"].grad.item()) == -(5 * 3 + 6 * 4)
    assert graph.has_backward and graph.tensors["a"] is ns["a"]


def test_tanh_version_has_the_tanh_derivative_on_its_last_edge():
    ns = source_scalar("tanh")
    graph = viz.trace(ns["L"], names=ns)
    (last,) = list(graph.nx.in_edges("L"))
    out = float(graph.node("L")["value"])
    assert graph.edge(*last)["local"] == pytest.approx(1 - out**2, rel=1e-5)


def test_tensor_source_graph_has_elementwise_locals_and_a_sum():
    ns = source_tensor()
    graph = viz.trace(ns["L"], names=ns)
    g = graph.nx
    assert g.nodes["L"]["op"] == "Sum" and g.nodes["L"]["shape"] == ()
    assert g.nodes["a"]["shape"] == (5, 5)
    np.testing.assert_allclose(g.edges["a", "b"]["local_value"], ns["w1"].detach().numpy())
    assert isinstance(g.edges["a", "b"]["local"], str)  # a summary such as "(5, 5) mean ..."
    assert g.edges["d", "L"]["local_value"] is None  # sum: described, not an array
    np.testing.assert_allclose(g.nodes["a"]["grad"], ns["a"].grad.numpy())


def test_square_plus_three():
    ns = square_plus_three()
    graph = viz.trace(ns["f"], names=ns)
    assert list(graph.nx.edges) == [("x", "pow1"), ("pow1", "f")]
    assert graph.edge("x", "pow1")["local"] == 14.0
    assert float(graph.node("x")["grad"]) == 14.0


def test_the_same_code_gives_the_same_graph():
    graphs = []
    for _ in range(2):
        ns = source_scalar()
        graphs.append(viz.trace(ns["L"], names=ns))
    first, second = graphs
    assert list(first.nx.nodes) == list(second.nx.nodes)
    assert list(first.nx.edges) == list(second.nx.edges)
    assert [first.node(n)["expression"] for n in first.nx] == [
        second.node(n)["expression"] for n in second.nx]
