"""Lesson 8 (Dynamic graphs): an unrolled tanh cell, its graph size, gradients through time.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._check import Wrong, as_number, is_tensor
from ._exercise import Exercise, Mistake, declare
from ._learner_code import call

# -- the lesson's cells, as the checks recompute them ---------------------------------------------


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


def input_gradient_norms(scale: float, length: int = 15) -> list[float]:
    """Norms of dL/dx_t for each input x_t when W_h is ``scale`` times a standard normal matrix
    (the lesson's experiment: ``ag.manual_seed(0)``, W_x, W_h, then the inputs)."""
    import autogradlab as ag

    ag.manual_seed(0)
    W_x = ag.randn(20, 10) * 0.3  # noqa: N806
    W_h = ag.randn(20, 20) * scale  # noqa: N806
    xs = [ag.randn(1, 10, requires_grad=True) for _ in range(length)]
    unroll(xs, ag.zeros(1, 20), W_x, W_h).sum().backward()
    return [float(np.linalg.norm(x.grad.numpy())) for x in xs]


#: the scalar cell of the lesson: h_t = tanh(w * h_{t-1} + x_t), four steps
SCALAR_W, SCALAR_H0, SCALAR_XS = 0.8, 0.5, (1.0, -0.5, 2.0, 0.3)

SCALAR_CELL = """
w = ag.tensor(0.8, requires_grad=True)
h0 = ag.tensor(0.5, requires_grad=True)
xs = [1.0, -0.5, 2.0, 0.3]
hs = [h0]
for x in xs:
    hs.append((w * hs[-1] + x).tanh())
L = hs[-1]
L.backward()
"""


def _near(given: float, target: float, tol: float = 1e-3) -> bool:
    """Equal to 3 significant digits (the numbers here are small: no absolute tolerance)."""
    return math.isclose(given, target, rel_tol=tol, abs_tol=1e-12)


def _scalar_states() -> list[float]:
    h = [SCALAR_H0]
    for x in SCALAR_XS:
        h.append(float(np.tanh(np.float32(SCALAR_W * h[-1] + x))))
    return h


# -- Exercise 1: predict the size of the graph --------------------------------------------------


def _check_node_count(answer: Any) -> str:
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


# -- Exercise 2: the gradient reaching h0, by hand ----------------------------------------------


def _check_grad_h0(answer: Any) -> str:
    if is_tensor(answer):
        raise Wrong("your answer is a tensor, so it was read from the engine (h0.grad, perhaps). "
                    "This exercise asks you to work it out by hand from the hidden states: "
                    "multiply one factor per step, e.g. with hs[t].item() and w.item().")
    given = as_number(answer, "your dh4/dh0")
    h = _scalar_states()
    w = SCALAR_W
    slopes = [1 - h[t] ** 2 for t in range(1, 5)]
    expected = float(np.prod([s * w for s in slopes]))
    if _near(given, expected):
        factors = " · ".join(f"{s * w:.3g}" for s in slopes)
        return (f"each step back multiplies by (1 - h_t²)·w, so dh4/dh0 = {factors} = "
                f"{expected:.4g}. The saturated step 3 (h3 = {h[3]:.3f}, slope "
                f"{slopes[2]:.3f}) nearly stops the gradient on its own.")
    if _near(given, w ** 4):
        raise Wrong(f"{given:.4g} is w⁴: that is the path through the multiplications only. "
                    "Each step also goes through tanh, whose slope 1 - h_t² is another factor.")
    if _near(given, float(np.prod(slopes))):
        raise Wrong("that is the product of tanh's slopes only. Each step's w * h_{t-1} also "
                    "multiplies the gradient by w on its way back.")
    if _near(given, slopes[-1] * w):
        raise Wrong("that is one step back (from h4 to h3). h0 is four steps away: multiply "
                    "the factor (1 - h_t²)·w of every step, t = 1 to 4.")
    if _near(given, float(np.prod([(1 - h[t - 1] ** 2) * w for t in range(1, 5)]))):
        raise Wrong("the slope of tanh belongs to the state it produced: step t's factor is "
                    "(1 - h_t²)·w, with h_t the output of that step, not its input h_{t-1}.")
    raise Wrong(f"{given:.4g} is not it. Going back one step, from h_t to h_(t-1), multiplies by "
                "(1 - h_t²) (tanh's slope) and by w; do that for t = 4, 3, 2, 1.")


# -- Exercise 3: write the unrolled loop ---------------------------------------------------------


def _check_run_rnn(answer: Any) -> str:
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
            raise Wrong("the numbers are right but no graph was recorded (computed outside the "
                        "engine, with NumPy?); compute with the tensors themselves so that "
                        "backward() can reach W_x and W_h.")
    return ("a Python for-loop is all an RNN needs: each pass adds the same kind of nodes to the "
            "graph, and the sequence length decides how many.")


# -- Exercise 4: make the gradients explode instead of vanish ------------------------------------


def _check_exploding_scale(answer: Any) -> str:
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


EXERCISES = declare(
    Exercise(
        name="node_count",
        hint="set `answer` to the number of nodes you predict for a sequence of length 10.",
        check=_check_node_count,
        explanation="Read the growth per step off the counts printed above:",
        solution="""
per_step = 25 - 18          # one more step (length 2 -> 3) adds 7 nodes
fixed = 18 - 2 * per_step   # 4 nodes exist once: W_x, W_h, the first h, the final sum
answer = fixed + per_step * 10   # 74
""",
        mistakes=[
            Mistake("answer = 70", says="exist once"),
            Mistake("answer = 40", says="too few"),
            Mistake("answer = 120", says="shared"),
        ],
    ),
    Exercise(
        name="grad_h0",
        hint="set `answer` to dh4/dh0, a number you work out from the hidden states hs "
             "(no .grad, no backward()).",
        check=_check_grad_h0,
        setup=SCALAR_CELL,
        explanation=r"One factor $(1 - h_t^2)\,w$ per step, from $t = 4$ back to $t = 1$:",
        solution="""
answer = 1.0
for t in (4, 3, 2, 1):
    slope = 1 - hs[t].item() ** 2      # tanh's slope at step t
    answer *= slope * w.item()         # back through tanh, then through w * h_(t-1)
""",
        mistakes=[
            Mistake("answer = 0.8 ** 4", says="tanh"),
            Mistake("answer = (1 - hs[4].item() ** 2) * w.item()", says="four steps away"),
            Mistake("answer = float(np.prod([1 - h.item() ** 2 for h in hs[1:]]))",
                    says="multiplies the gradient by w"),
            Mistake("answer = float(np.prod([(1 - h.item() ** 2) * w.item() for h in hs[:4]]))",
                    says="not its input"),
            Mistake("answer = h0.grad", says="by hand"),
        ],
    ),
    Exercise(
        name="run_rnn",
        hint="define `def run_rnn(xs, h, W_x, W_h): ...` returning the last hidden state, "
             "then set `answer = run_rnn`.",
        check=_check_run_rnn,
        solution="""
def run_rnn(xs, h, W_x, W_h):
    for x in xs:
        h = (x @ W_x.T + h @ W_h.T).tanh()   # the new h replaces the old one
    return h

answer = run_rnn
""",
        mistakes=[
            Mistake("""
def run_rnn(xs, h, W_x, W_h):
    for x in xs:
        new_h = (x @ W_x.T + h @ W_h.T).tanh()
    return new_h

answer = run_rnn
""", says="feed the new h"),
            Mistake("""
def run_rnn(xs, h, W_x, W_h):
    for x in xs:
        h = x @ W_x.T + h @ W_h.T
    return h

answer = run_rnn
""", says="single step"),
            Mistake("""
def run_rnn(xs, h, W_x, W_h):
    for x in xs:
        z = x.numpy() @ W_x.detach().numpy().T + h.numpy() @ W_h.detach().numpy().T
        h = ag.tensor(np.tanh(z))
    return h

answer = run_rnn
""", says="no graph was recorded"),
        ],
    ),
    Exercise(
        name="exploding_scale",
        hint="set `answer` to a scale for W_h (a number) that makes the gradients explode.",
        check=_check_exploding_scale,
        explanation="Try a few scales and compare the first and last norms:",
        solution="""
from autogradlab.exercises.lesson08 import input_gradient_norms

for scale in (0.2, 0.5, 1.0):
    norms = input_gradient_norms(scale)
    print(f"scale {scale}: first {norms[0]:.3g}, last {norms[-1]:.3g}")
answer = 1.0   # 0.5 already makes the first larger; with 1.0 it is thousands of times larger
""",
        mistakes=[
            Mistake("answer = 0.2", says="still shrinks"),
            Mistake("answer = -1.0", says="positive"),
        ],
    ),
    into=globals(),
)
