"""Lesson 8 (Dynamic graphs): an unrolled tanh cell, its graph size, gradients through time."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._check import Wrong, as_number, exercise, is_tensor
from ._learner_code import call


def rnn_step(x: Any, h: Any, W_x: Any, W_h: Any) -> Any:  # noqa: N803 (matrix names)
    """One step of the lesson's tanh cell: h_new = tanh(x @ W_x.T + h @ W_h.T)."""
    return (x @ W_x.T + h @ W_h.T).tanh()


def unroll(xs: Any, h: Any, W_x: Any, W_h: Any) -> Any:  # noqa: N803
    """Run the cell over the sequence ``xs`` (a list of (1, n_in) tensors); return the last h."""
    for x in xs:
        h = rnn_step(x, h, W_x, W_h)
    return h


def graph_size(length: int) -> int:
    """Nodes in ``ag.viz.trace`` of the lesson's unrolled cell for a sequence of ``length``."""
    import autogradlab as ag

    ag.manual_seed(0)
    W_x = ag.randn(20, 10, requires_grad=True)  # noqa: N806
    W_h = ag.randn(20, 20, requires_grad=True)  # noqa: N806
    xs = [ag.randn(1, 10) for _ in range(length)]
    loss = unroll(xs, ag.zeros(1, 20), W_x, W_h).sum()
    return len(ag.viz.trace(loss, names={}))


# -- Exercise 1: predict the size of the graph --------------------------------------------------


@exercise("set `answer` to the number of nodes you predict for a sequence of length 10.")
def check_node_count(answer: Any) -> str:
    value = as_number(answer, "your node count")
    if not float(value).is_integer():
        raise Wrong(f"{value:g} is not a whole number; a graph has a whole number of nodes.")
    given = int(value)
    sizes = {t: graph_size(t) for t in (2, 3, 10)}
    per_step = sizes[3] - sizes[2]
    fixed = sizes[2] - 2 * per_step
    if given == sizes[10]:
        return (f"{fixed} nodes exist once whatever the length (W_x, W_h, the first h and the "
                f"final sum), and each step adds {per_step}: {fixed} + {per_step}·10 = "
                f"{sizes[10]}.")
    if given == per_step * 10:
        raise Wrong(f"you counted the {per_step} nodes each step adds, but not the {fixed} that "
                    "exist once, whatever the length (the weights, the first h, the final sum).")
    if given < sizes[10]:
        raise Wrong(f"too few. Compare the counts for lengths 2 and 3: one more step adds "
                    f"{per_step} nodes. How many steps does a length-10 sequence have?")
    raise Wrong(f"too many. One more step adds {per_step} nodes, and the weights are shared: "
                "they appear once in the graph, not once per step.")


# -- Exercise 2: write the unrolled loop ---------------------------------------------------------


@exercise("define `def run_rnn(xs, h, W_x, W_h): ...` returning the last hidden state, "
                   "then set `answer = run_rnn`.")
def check_run_rnn(answer: Any) -> str:
    import autogradlab as ag

    ag.manual_seed(11)
    W_x = ag.randn(6, 4, requires_grad=True)  # noqa: N806
    W_h = ag.randn(6, 6, requires_grad=True)  # noqa: N806
    h0 = ag.zeros(1, 6)
    for length in (1, 4):
        xs = [ag.randn(1, 4) for _ in range(length)]
        result = call(answer, "run_rnn", xs, h0, W_x, W_h)
        if result is None:
            raise Wrong("run_rnn(...) returned None. Did you forget `return h`?")
        if not is_tensor(result):
            raise Wrong(f"run_rnn(...) returned a {type(result).__name__}; it should return the "
                        "last hidden state, a tensor.")
        if tuple(result.shape) != (1, 6):
            raise Wrong(f"the last hidden state should have h's shape, (1, 6) on the test "
                        f"inputs, but yours has shape {tuple(result.shape)}.")
        expected = unroll(xs, h0, W_x, W_h)
        if not np.allclose(result.detach().numpy(), expected.detach().numpy(), atol=1e-5):
            if length == 1:
                raise Wrong("wrong after a single step: one step is "
                            "h = (x @ W_x.T + h @ W_h.T).tanh().")
            raise Wrong(f"right for one step but not for {length}: inside the loop, feed the new "
                        "h into the next step (h = ...), and return the last h.")
        if result.grad_fn is None:
            raise Wrong("the numbers are right but no graph was recorded; compute with the "
                        "tensors themselves so that backward() can reach W_x and W_h.")
    return ("a Python for-loop is all an RNN needs: each pass adds the same kind of nodes to the "
            "graph, and the sequence length decides how many.")


# -- Exercise 3: make the gradients explode instead of vanish ------------------------------------


def input_gradient_norms(scale: float, length: int = 15) -> list[float]:
    """Norms of dL/dx_t for each input x_t when W_h is ``scale`` times a standard normal matrix."""
    import autogradlab as ag

    ag.manual_seed(0)
    W_x = ag.randn(20, 10) * 0.3  # noqa: N806
    W_h = ag.randn(20, 20) * scale  # noqa: N806
    xs = [ag.randn(1, 10, requires_grad=True) for _ in range(length)]
    unroll(xs, ag.zeros(1, 20), W_x, W_h).sum().backward()
    return [float(np.linalg.norm(x.grad.numpy())) for x in xs]


@exercise("set `answer` to a scale for W_h (a number) that makes the gradients explode.")
def check_exploding_scale(answer: Any) -> str:
    scale = as_number(answer, "your scale")
    if not 0 < scale <= 100:
        raise Wrong(f"{scale:g} is outside the range to try: pick a positive scale up to 100.")
    norms = input_gradient_norms(scale)
    first, last = norms[0], norms[-1]
    if first > last:
        return (f"with W_h scaled by {scale:g}, |dL/dx_0| = {first:.3g} is larger than "
                f"|dL/dx_14| = {last:.3g}: the gradient grew on its way back through time.")
    raise Wrong(f"with scale {scale:g} the gradient still shrinks on the way back: |dL/dx_0| = "
                f"{first:.3g} vs |dL/dx_14| = {last:.3g}. Each step back multiplies by W_h.T "
                "and by tanh' (at most 1): make W_h larger so that the product grows.")


def _solution_run_rnn() -> Any:
    def run_rnn(xs: Any, h: Any, W_x: Any, W_h: Any) -> Any:  # noqa: N803
        for x in xs:
            h = (x @ W_x.T + h @ W_h.T).tanh()
        return h

    return run_rnn


def _run_rnn_forgets_h() -> Any:
    def run_rnn(xs: Any, h: Any, W_x: Any, W_h: Any) -> Any:  # noqa: N803
        for x in xs:
            new_h = (x @ W_x.T + h @ W_h.T).tanh()
        return new_h

    return run_rnn


def _run_rnn_no_tanh() -> Any:
    def run_rnn(xs: Any, h: Any, W_x: Any, W_h: Any) -> Any:  # noqa: N803
        for x in xs:
            h = x @ W_x.T + h @ W_h.T
        return h

    return run_rnn


SOLUTIONS = {
    # W_x, W_h, the first h and the final sum once, plus 7 nodes per step (x, two transposes,
    # two matmuls, the add and the tanh)
    "node_count": lambda: 4 + 7 * 10,
    "run_rnn": _solution_run_rnn,
    "exploding_scale": lambda: 1.0,
}

WRONG_ANSWERS = {
    "node_count": [
        (lambda: 70, "exist once"),
        (lambda: 40, "too few"),
        (lambda: 120, "shared"),
    ],
    "run_rnn": [
        (_run_rnn_forgets_h, "feed the new h"),
        (_run_rnn_no_tanh, "single step"),
    ],
    "exploding_scale": [
        (lambda: 0.2, "still shrinks"),
        (lambda: -1.0, "positive"),
    ],
}
