"""Lesson 11 (Build your own engine): the learner's scalar ``Value`` class, checked piece by piece.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes. The notebook passes the learner's code itself
(``check_operations(Value)``), so each exercise's ``argument`` names it.

* ``check_operations(Value)``: ``*``, ``tanh`` and ``**`` (a number exponent) of the learner's
  class: each result's value, inputs and ``_backward`` (upstream gradient x local derivative,
  added with ``+=``) against autogradlab, then random expressions made of them.
* ``check_topological_sort(topological_sort)``: every node once, each after its inputs, on random
  expressions (built with the worked ``Value``, so a mistake in exercise 1 does not show here).
* ``check_backprop(backprop)``: the backward loop on random expressions: the seed
  ``root.grad = 1``, every node's own ``_backward`` called once, in reverse topological order;
  the leaves' gradients against autogradlab.

:func:`engine_for_the_rest` picks the class the rest of the lesson runs on: the learner's when it
passes the three checks (:meth:`Exercise.judge`), the worked one until then.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._check import NotAnswered, Wrong
from ._exercise import Exercise, Mistake, declare
from ._learner_code import call

# -- the worked engine ---------------------------------------------------------------------------


def _worked_topological_sort(root: Any) -> list[Any]:
    order: list[Any] = []
    visited: set[int] = set()

    def visit(node: Any) -> None:
        if id(node) in visited:
            return
        visited.add(id(node))
        for child in node._prev:
            visit(child)
        order.append(node)

    visit(root)
    return order


def _worked_backprop(root: Any) -> None:
    root.grad = 1.0
    for node in reversed(_worked_topological_sort(root)):
        node._backward()


def _worked_value_class(mistake: str = "") -> type:
    """The worked solution's ``Value`` (or one with a typical ``mistake``, for the tests)."""

    class Value:
        def __init__(self, data: float, _children: tuple = (), _op: str = "") -> None:
            self.data = float(data)
            self.grad = 0.0
            self._prev = tuple(_children)
            self._op = _op
            self._backward: Callable[[], None] = lambda: None

        def __repr__(self) -> str:
            return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

        def __add__(self, other: Any) -> Value:
            other = other if isinstance(other, Value) else type(self)(other)
            out = type(self)(self.data + other.data, (self, other), "+")

            def _backward() -> None:
                self.grad += out.grad
                other.grad += out.grad

            out._backward = _backward
            return out

        def __mul__(self, other: Any) -> Value:
            other = other if isinstance(other, Value) else type(self)(other)
            out = type(self)(self.data * other.data, (self, other), "*")

            def _backward() -> None:
                if mistake == "assign":
                    self.grad = other.data * out.grad
                    other.grad = self.data * out.grad
                    return
                self.grad += other.data * out.grad
                other.grad += self.data * out.grad

            out._backward = _backward
            return out

        def __pow__(self, k: float) -> Value:
            out = type(self)(self.data ** k, (self,), f"**{k}")

            def _backward() -> None:
                factor = 1.0 if mistake == "pow without k" else k
                self.grad += factor * self.data ** (k - 1) * out.grad

            out._backward = _backward
            return out

        def tanh(self) -> Value:
            t = math.tanh(self.data)
            out = type(self)(t, (self,), "tanh")

            def _backward() -> None:
                local = 1 - self.data ** 2 if mistake == "tanh of input" else 1 - t * t
                self.grad += local * out.grad

            out._backward = _backward
            return out

        def __radd__(self, other: Any) -> Value:
            return self + other

        def __rmul__(self, other: Any) -> Value:
            return self * other

        def __neg__(self) -> Value:
            return self * -1

        def __sub__(self, other: Any) -> Value:
            return self + (-other)

        def backward(self) -> None:
            _worked_backprop(self)

    return Value


# -- random expressions, built twice: with a Value class and with autogradlab --------------------


def _random_program(seed: int, steps: int = 7) -> list[tuple]:
    """A random expression as a list of instructions over 3 leaves; later steps reuse nodes."""
    rng = np.random.default_rng(seed)
    leaves = [float(v) for v in np.round(rng.uniform(-1.5, 1.5, size=3), 3)]
    program: list[tuple] = [("leaf", v) for v in leaves]
    for _ in range(steps):
        n = len(program)
        kind = ["+", "*", "tanh", "**"][int(rng.integers(4))]
        i, j = int(rng.integers(n)), int(rng.integers(n))
        if kind in ("+", "*"):
            program.append((kind, i, j))
        elif kind == "tanh":
            program.append((kind, i))
        else:
            program.append((kind, i, int(rng.choice([2, 3]))))
    # end with one node that uses the last two, so every step feeds the output more often
    program.append(("+", len(program) - 1, len(program) - 2))
    return program


def _build(program: list[tuple], make_leaf: Callable[[float], Any]) -> list[Any]:
    nodes: list[Any] = []
    for step in program:
        kind = step[0]
        if kind == "leaf":
            nodes.append(make_leaf(step[1]))
        elif kind == "+":
            nodes.append(nodes[step[1]] + nodes[step[2]])
        elif kind == "*":
            nodes.append(nodes[step[1]] * nodes[step[2]])
        elif kind == "tanh":
            nodes.append(nodes[step[1]].tanh())
        else:
            nodes.append(nodes[step[1]] ** step[2])
    return nodes


def _autogradlab_grads(program: list[tuple]) -> tuple[float, list[float]]:
    import autogradlab as ag

    nodes = _build(program, lambda v: ag.tensor(v, dtype=ag.float64, requires_grad=True))
    leaves = [nodes[k] for k, step in enumerate(program) if step[0] == "leaf"]
    nodes[-1].backward()
    return float(nodes[-1].item()), [0.0 if x.grad is None else float(x.grad.item())
                                     for x in leaves]


def _written(program: list[tuple], k: int) -> str:
    step = program[k]
    name = lambda i: "abc"[i] if program[i][0] == "leaf" else f"n{i}"  # noqa: E731
    if step[0] == "leaf":
        return f"{'abc'[k]} = {step[1]:g}"
    if step[0] in ("+", "*"):
        return f"n{k} = {name(step[1])} {step[0]} {name(step[2])}"
    if step[0] == "tanh":
        return f"n{k} = {name(step[1])}.tanh()"
    return f"n{k} = {name(step[1])} ** {step[2]}"


def _program_text(program: list[tuple]) -> str:
    return "; ".join(_written(program, k) for k in range(len(program)))


def _backward_by_protocol(root: Any) -> None:
    """The backward loop, written once here, to test the learner's operations on their own."""
    _worked_backprop(root)


# -- Exercise 1: the operations ------------------------------------------------------------------

_HINT_OPS = ("fill in __mul__, __pow__ and tanh in the Value class (each: the result's value, "
             "and a _backward that adds upstream gradient x local derivative to each input's "
             "grad), run the cell, then check_operations(Value).")


def _require_class(answer: Any) -> None:
    if not isinstance(answer, type):
        raise Wrong(f"the answer is the class itself, check_operations(Value) with no brackets "
                    f"after Value; got {type(answer).__name__} {answer!r:.60}.")
    try:
        answer(1.0)
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as error:
        raise Wrong(f"Value(1.0) raised {type(error).__name__}: {error}; keep the __init__ "
                    "given in the lesson.") from None


def _op(fn: Callable[[], Any], what: str) -> Any:
    try:
        out = fn()
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as error:
        raise Wrong(f"{what} raised {type(error).__name__}: {error}") from None
    if out is None:
        raise Wrong(f"{what} returned None: return the new Value, out.")
    for attribute in ("data", "grad", "_prev", "_backward"):
        if not hasattr(out, attribute):
            raise Wrong(f"{what} returned {out!r:.60}, which has no .{attribute}: return a Value "
                        "made with Value(data, (inputs...), op).")
    return out


def _run_backward(out: Any, what: str) -> None:
    try:
        out._backward()
    except Exception as error:
        raise Wrong(f"the _backward of {what} raised {type(error).__name__}: {error}") from None


def _check_one(answer: type, kind: str, a_value: float, b_value: float | int) -> None:
    """One operation: value, inputs, and _backward's contributions (with += and upstream g)."""
    import autogradlab as ag

    upstream, earlier = 0.7, 0.25  # an upstream gradient != 1, and grads already held
    a = answer(a_value)
    written = {"*": f"Value({a_value:g}) * Value({b_value:g})",
               "tanh": f"Value({a_value:g}).tanh()",
               "**": f"Value({a_value:g}) ** {b_value:g}"}[kind]
    ta = ag.tensor(a_value, dtype=ag.float64, requires_grad=True)
    if kind == "*":
        b = answer(b_value)
        out = _op(lambda: a * b, written)
        tb = ag.tensor(float(b_value), dtype=ag.float64, requires_grad=True)
        expected = ta * tb
        inputs, tensors = [a, b], [ta, tb]
    elif kind == "tanh":
        out = _op(lambda: a.tanh(), written)
        expected = ta.tanh()
        inputs, tensors = [a], [ta]
    else:
        out = _op(lambda: a ** b_value, written)
        expected = ta ** b_value
        inputs, tensors = [a], [ta]
    want = float(expected.item())
    if not math.isclose(float(out.data), want, rel_tol=1e-9, abs_tol=1e-12):
        raise Wrong(f"{written} has data {out.data!r}, but the value is {want:.6g}.")
    prev = list(out._prev)
    if any(all(p is not x for p in prev) for x in inputs):
        raise Wrong(f"the result of {written} does not list its inputs in _prev (it has "
                    f"{len(prev)}): create it as Value(data, (self, other), op) so backward can "
                    "find them.")
    if not isinstance(getattr(out, "_op", None), str) or not out._op:
        raise Wrong(f"the result of {written} has _op = {getattr(out, '_op', None)!r}: give it "
                    "the operation's name as a string, such as '*', 'tanh' or f'**{k}'.")
    expected.backward(gradient=ag.tensor(upstream, dtype=ag.float64))
    wants = [float(t.grad.item()) for t in tensors]
    for x in inputs:
        x.grad = earlier
    out.grad = upstream
    _run_backward(out, written)
    names = ["self", "other"]
    for slot, (x, w) in enumerate(zip(inputs, wants)):
        got = float(x.grad) - earlier
        if math.isclose(got, w, rel_tol=1e-6, abs_tol=1e-9):
            continue
        if math.isclose(float(x.grad), w, rel_tol=1e-6, abs_tol=1e-9):
            raise Wrong(f"after {written}, _backward replaced the gradient {names[slot]} already "
                        f"held ({earlier}) instead of adding to it: write "
                        f"{names[slot]}.grad += ..., so a node used twice collects both "
                        "contributions.")
        local = w / upstream
        if math.isclose(got, local, rel_tol=1e-6, abs_tol=1e-9):
            raise Wrong(f"the _backward of {written} adds the local derivative {local:.4g} but "
                        f"forgets to multiply it by the upstream gradient out.grad (here "
                        f"{upstream}): the chain rule is out.grad x local.")
        if kind == "tanh" and math.isclose(got, (1 - a_value ** 2) * upstream, rel_tol=1e-6):
            raise Wrong("tanh's _backward uses 1 - x**2 with the input x; the derivative is "
                        "1 - t**2 with the output t = tanh(x).")
        if kind == "**" and math.isclose(got, w / b_value, rel_tol=1e-6, abs_tol=1e-9):
            raise Wrong(f"the _backward of {written} is missing the factor k = {b_value:g}: "
                        "d(x**k)/dx = k * x**(k - 1).")
        raise Wrong(f"the _backward of {written} adds {got:.6g} to {names[slot]}.grad (upstream "
                    f"gradient {upstream}); autogradlab sends {w:.6g}.")


def _check_operations(answer: Any) -> str:
    _require_class(answer)
    rng = np.random.default_rng(11)
    for _ in range(3):
        a, b = (float(v) for v in np.round(rng.uniform(-2.0, 2.0, size=2), 3))
        _check_one(answer, "*", a, b)
        _check_one(answer, "tanh", a, b)
        _check_one(answer, "**", a if a != 0 else 0.5, int(rng.choice([2, 3])))
    try:
        three = _op(lambda: answer(2.0) * 3, "Value(2.0) * 3")
    except Wrong as error:
        raise Wrong(f"{error} Multiplying by a plain number should work too: wrap it, as "
                    "__add__ does, with Value(other).") from None
    if not math.isclose(float(three.data), 6.0):
        raise Wrong(f"Value(2.0) * 3 has data {three.data!r}, not 6.0.")
    for seed in range(5):
        program = _random_program(100 + seed)
        want_value, want_grads = _autogradlab_grads(program)
        nodes = _build(program, answer)
        _backward_by_protocol(nodes[-1])
        leaves = [nodes[k] for k, step in enumerate(program) if step[0] == "leaf"]
        got = [float(x.grad) for x in leaves]
        if not np.allclose(got, want_grads, rtol=1e-6, atol=1e-9):
            raise Wrong(f"each operation passes on its own, but on {_program_text(program)} "
                        f"the leaves' gradients are {np.round(got, 5).tolist()} where "
                        f"autogradlab gives {np.round(want_grads, 5).tolist()}.")
    return ("*, tanh and ** give the right values, list their inputs, and their _backward adds "
            "upstream x local derivative with +=, on their own and inside 5 random expressions, "
            "as autogradlab does.")


# -- Exercise 2: topological sort ----------------------------------------------------------------

_HINT_SORT = ("write topological_sort(root): a list of every node behind root, each after all its "
              "inputs (_prev), each exactly once, then check_topological_sort(topological_sort).")


def _check_topological_sort(answer: Any) -> str:
    value_class = _worked_value_class()
    for seed in range(6):
        program = _random_program(200 + seed, steps=8)
        nodes = _build(program, value_class)
        root = nodes[-1]
        order = call(answer, "topological_sort", root)
        if not isinstance(order, list | tuple):
            raise Wrong(f"topological_sort(root) returned a {type(order).__name__}; return a "
                        "list of the nodes.")
        names = {id(n): _written(program, k).split(" = ")[0] for k, n in enumerate(nodes)}
        counts: dict[int, int] = {}
        for node in order:
            if id(node) not in names:
                raise Wrong(f"the list holds {node!r:.50}, which is not a node of the expression.")
            if not any(node is n for n in _worked_topological_sort(root)):
                raise Wrong(f"the list holds {names[id(node)]}, which root does not depend on: "
                            "start from root and follow the inputs (_prev) only.")
            counts[id(node)] = counts.get(id(node), 0) + 1
        twice = [n for n in nodes if counts.get(id(n), 0) > 1]
        if twice:
            raise Wrong(f"on {_program_text(program)}, {names[id(twice[0])]} appears "
                        f"{counts[id(twice[0])]} times: a node reached along two paths is listed "
                        "twice. Keep a set of visited nodes and skip the ones already in it.")
        reachable = _worked_topological_sort(root)
        missing = [names[id(n)] for n in reachable if id(n) not in counts]
        if missing:
            raise Wrong(f"on {_program_text(program)}, the list misses {', '.join(missing)}: "
                        "visit every input (_prev) of every node, leaves included.")
        position = {id(n): k for k, n in enumerate(order)}
        if order and order[0] is root and len(order) > 1:
            raise Wrong("root comes first: that is the reverse order. Return inputs before the "
                        "nodes that use them (the backward loop reverses the list itself).")
        for node in order:
            for child in node._prev:
                if position[id(child)] > position[id(node)]:
                    raise Wrong(f"on {_program_text(program)}, {names[id(node)]} comes before "
                                f"its input {names[id(child)]}: add a node to the list only "
                                "after all its inputs (after the recursive calls).")
    return ("every node once, each after all its inputs, on 6 random expressions with shared "
            "nodes: a topological order. Reversed, it is the order backward needs.")


# -- Exercise 3: the backward loop ---------------------------------------------------------------

_HINT_BACKPROP = ("write backprop(root): set root.grad = 1.0, then call each node's _backward in "
                  "reverse topological order; then check_backprop(backprop).")


def _counting_class() -> tuple[type, list[Any]]:
    """The worked Value whose _backward calls are logged (node, in call order)."""
    calls: list[Any] = []
    base = _worked_value_class()

    class Value(base):  # type: ignore[misc, valid-type]
        def __init__(self, data: float, _children: tuple = (), _op: str = "") -> None:
            super().__init__(data, _children, _op)

        def __setattr__(self, name: str, value: Any) -> None:
            if name == "_backward":
                inner = value

                def logged() -> None:
                    calls.append(self)
                    inner()

                value = logged
            object.__setattr__(self, name, value)

    return Value, calls


def _check_backprop(answer: Any) -> str:
    for seed in range(5):
        program = _random_program(300 + seed, steps=8)
        value_class, calls = _counting_class()
        nodes = _build(program, value_class)
        root = nodes[-1]
        want_value, want_grads = _autogradlab_grads(program)
        call(answer, "backprop", root)
        leaves = [nodes[k] for k, step in enumerate(program) if step[0] == "leaf"]
        got = [float(x.grad) for x in leaves]
        names = {id(n): _written(program, k).split(" = ")[0] for k, n in enumerate(nodes)}
        if not calls:
            raise Wrong("backprop never called a node's _backward: the loop's job is to run each "
                        "node's own _backward (that is where the chain rule is).")
        if all(g == 0.0 for g in got) and float(root.grad) != 1.0:
            raise Wrong("every gradient is still 0: start with root.grad = 1.0 (dL/dL = 1), "
                        "otherwise every _backward multiplies by 0.")
        inner = [n for n in _worked_topological_sort(root) if n._prev]
        count = {id(n): sum(c is n for c in calls) for n in inner}
        many = [n for n in inner if count[id(n)] > 1]
        if many:
            raise Wrong(f"{names[id(many[0])]}._backward ran {count[id(many[0])]} times: call "
                        "each node's _backward once (loop over the topological order, with each "
                        "node in it once).")
        never = [n for n in inner if count[id(n)] == 0]
        if never:
            raise Wrong(f"{names[id(never[0])]}._backward never ran: loop over every node of "
                        "the topological order.")
        position = {id(n): k for k, n in enumerate(calls)}
        for node in inner:
            for child in node._prev:
                if child._prev and position[id(child)] < position[id(node)]:
                    raise Wrong(f"{names[id(child)]}._backward ran before "
                                f"{names[id(node)]}._backward, which still had to send it a "
                                "gradient: go through the topological order reversed "
                                "(outputs first).")
        if not np.allclose(got, want_grads, rtol=1e-6, atol=1e-9):
            raise Wrong(f"on {_program_text(program)} the leaves' gradients are "
                        f"{np.round(got, 5).tolist()} where autogradlab gives "
                        f"{np.round(want_grads, 5).tolist()}.")
    return ("root.grad = 1, then each node's own _backward once, outputs before inputs: on 5 "
            "random expressions the leaves' gradients equal autogradlab's. That is reverse-mode "
            "automatic differentiation.")


# -- the class the rest of the lesson runs on ----------------------------------------------------


def worked_value() -> type:
    """The worked solution's ``Value`` class (its ``backward()`` uses the worked loop)."""
    return _worked_value_class()


def engine_for_the_rest(value_class: Any, topological_sort: Any, backprop: Any) -> type:
    """The learner's class when the three checks pass (its ``backward()`` then runs their
    ``backprop``), else the worked ``Value``; prints one line saying which."""
    answers = {"operations": value_class, "topological_sort": topological_sort,
               "backprop": backprop}
    if all(EXERCISES[name].judge(answer)[0] for name, answer in answers.items()):
        print("Your engine passes the three checks: the rest of the lesson runs on your Value.")
        return value_class
    print("Your engine is not finished yet, so the rest of the lesson runs on the worked "
          "solution's Value; finish the exercises and run this cell again to use yours.")
    return worked_value()


# -- worked solutions and typical mistakes (tests/test_exercises.py) -----------------------------


def _topological_sort_root_first(root: Any) -> list[Any]:
    return list(reversed(_worked_topological_sort(root)))


def _topological_sort_no_visited(root: Any) -> list[Any]:
    order: list[Any] = []

    def visit(node: Any) -> None:
        for child in node._prev:
            visit(child)
        order.append(node)

    visit(root)
    return order


def _backprop_no_seed(root: Any) -> None:
    for node in reversed(_worked_topological_sort(root)):
        node._backward()


def _backprop_forward_order(root: Any) -> None:
    root.grad = 1.0
    for node in _worked_topological_sort(root):
        node._backward()


TOPOLOGICAL_SORT = """
def topological_sort(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for child in node._prev:
            visit(child)        # inputs first ...
        order.append(node)      # ... then the node itself

    visit(root)
    return order
"""

EXERCISES = declare(
    Exercise(
        name="operations",
        hint=_HINT_OPS,
        check=_check_operations,
        argument="Value",
        setup="import math",
        explanation="The three methods, inside the whole class (the rest is as given). Put it "
                    "in the class cell above, in place of the class there, and run that cell "
                    "again:",
        solution="""
class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"

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
            self.grad += other.data * out.grad     # d(ab)/da = b
            other.grad += self.data * out.grad     # d(ab)/db = a

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
            self.grad += (1 - t * t) * out.grad    # uses the output t, computed once

        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def backward(self):
        backprop(self)
""",
        mistakes=[
            Mistake(lambda: _worked_value_class("assign"), says="+="),
            Mistake(lambda: _worked_value_class("tanh of input"), says="1 - t**2"),
            Mistake(lambda: _worked_value_class("pow without k"), says="factor k"),
            Mistake(lambda: _worked_value_class()(2.0), says="the class itself"),
        ],
    ),
    Exercise(
        name="topological_sort",
        hint=_HINT_SORT,
        check=_check_topological_sort,
        argument="topological_sort",
        explanation="Depth first: place a node's inputs, then the node; a set of visited nodes "
                    "places a shared node once. (A very deep graph would need more recursion "
                    "than Python allows; autogradlab's own engine does the same walk with an "
                    "explicit stack.)",
        solution=TOPOLOGICAL_SORT,
        mistakes=[
            Mistake(lambda: _topological_sort_root_first, says="reverse order"),
            Mistake(lambda: _topological_sort_no_visited, says="visited"),
        ],
    ),
    Exercise(
        name="backprop",
        hint=_HINT_BACKPROP,
        check=_check_backprop,
        argument="backprop",
        setup=TOPOLOGICAL_SORT,
        explanation="Seed the output, then every node's own `_backward`, outputs first. Unlike "
                    "PyTorch, whose inner nodes keep no gradient, every node of your engine keeps "
                    "its `grad`. A second `backprop` without setting every node's `grad` back to "
                    "0 compounds: inner nodes pass on old and new gradients together (for "
                    "$L = \\tanh(xw)^2$, `w.grad` ends 4 times its first value, not 2 times).",
        solution="""
def backprop(root):
    root.grad = 1.0                              # dL/dL = 1
    for node in reversed(topological_sort(root)):
        node._backward()                         # each node sends its share to its inputs
""",
        mistakes=[
            Mistake(lambda: _backprop_no_seed, says="root.grad = 1.0"),
            Mistake(lambda: _backprop_forward_order, says="reversed"),
        ],
    ),
    into=globals(),
)
