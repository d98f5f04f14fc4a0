"""ag.animate and ag.viz.draw take a learner's own scalar engine (lesson 11's protocol) directly."""

from __future__ import annotations

import autogradlab as ag


class Value:
    """The smallest engine that follows the protocol: data, grad, _prev, _op (and _backward)."""

    def __init__(self, data: float, children: tuple = (), op: str = "") -> None:
        self.data, self.grad, self._prev, self._op = data, 0.0, set(children), op
        self._backward = lambda: None

    def __mul__(self, other: Value) -> Value:
        out = Value(self.data * other.data, (self, other), "*")

        def backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = backward
        return out


def test_animate_and_draw_accept_a_learners_engine():
    a, b = Value(2.0), Value(-3.0)
    product = a * b
    product.grad = 1.0
    product._backward()
    player = ag.animate(product, names={"a": a, "b": b, "product": product})
    assert len(player.graph) == 3 and len(player.backward_steps) == 2
    assert float(player.graph.node("a")["grad"]) == -3.0
    assert float(player.graph.node("b")["grad"]) == 2.0
    assert a.grad == -3.0 and b.grad == 2.0  # the views changed none of the learner's numbers
    figure = ag.viz.draw(product)
    assert figure.axes
