"""Lesson 12 (Matrix calculus by shapes): gradient shapes, Linear's backward, softmax + CE.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes.

* ``check_gradient_shapes((W_grad_shape, x_grad_shape, b_grad_shape))``: the shapes of the three
  gradients of ``y = x @ W.T + b`` for x (32, 784), W (128, 784), b (128,).
* ``check_linear_backward(MyLinear)``: an ``ag.autograd.Function`` whose ``backward(ctx, grad)``
  returns ``(dL/dx, dL/dW, dL/db)``; compared with the engine under a random upstream gradient,
  then ``ag.gradcheck``.
* ``check_cross_entropy_grad(ce_grad)``: ``ce_grad(logits, targets)`` returns dL/dlogits of the
  mean cross-entropy by the formula ``(softmax(logits) - one_hot(targets)) / batch``; the logits
  it receives do not require grad, and the check counts the engine's backward passes while it
  runs, so an answer that asks the engine (``backward()``, ``ag.grad``) is refused.

:func:`plot_weight_gradients` draws W's gradient from the learner's backward next to the engine's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._check import NotAnswered, Wrong, as_shape
from ._exercise import Exercise, Mistake, declare
from ._learner_code import call
from .lesson13 import _CountBackward

# -- Exercise 1: shapes --------------------------------------------------------------------------

_SHAPES = {"W": (128, 784), "x": (32, 784), "b": (128,)}


def _check_gradient_shapes(answer: Any) -> str:
    if not isinstance(answer, tuple | list) or len(answer) != 3:
        raise Wrong(f"the answer is three shapes, (W.grad's, x.grad's, b.grad's), got "
                    f"{answer!r:.80}.")
    names = ("W.grad", "x.grad", "b.grad")
    got = [as_shape(a, f"the shape of {n}") for a, n in zip(answer, names)]
    for (name, want), shape, grad_name in zip(_SHAPES.items(), got, names):
        if shape == want:
            continue
        if name == "W" and shape == want[::-1]:
            raise Wrong(f"{grad_name} has the shape of W itself, {want}, not {shape}: that is "
                        "W.T's shape. A gradient always has the shape of its tensor.")
        if name == "b" and shape == (32, 128):
            raise Wrong("b.grad has b's shape (128,), not (32, 128): b was broadcast over the "
                        "32 rows of the batch, so its gradient sums over the batch.")
        raise Wrong(f"{grad_name} should have {name}'s shape {want}, not {shape}: a gradient "
                    "always has the shape of the tensor it belongs to.")
    return ("W.grad (128, 784), x.grad (32, 784), b.grad (128,): each gradient has its tensor's "
            "shape, whatever the batch size.")


# -- Exercise 2: Linear's backward ---------------------------------------------------------------


def _data(seed: int, batch: int = 5, n_in: int = 4, n_out: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(batch, n_in)), rng.normal(size=(n_out, n_in)),
            rng.normal(size=(n_out,)), rng.normal(size=(batch, n_out)))


def _leaves(*arrays: np.ndarray) -> list[Any]:
    import autogradlab as ag

    return [ag.tensor(a, dtype=ag.float64, requires_grad=True) for a in arrays]


def _require_function(answer: Any) -> None:
    from autogradlab.autograd import Function

    if not (isinstance(answer, type) and issubclass(answer, Function)):
        raise Wrong(f"the answer is the class itself (answer = MyLinear, no brackets), a "
                    f"subclass of ag.autograd.Function; got {answer!r:.60}.")


def _learner_grads(answer: type, x0: np.ndarray, w0: np.ndarray, b0: np.ndarray,
                   r0: np.ndarray) -> list[np.ndarray | None]:
    import autogradlab as ag

    x, w, b = _leaves(x0, w0, b0)
    try:
        y = answer.apply(x, w, b)
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as error:
        raise Wrong(f"MyLinear.apply(x, W, b) raised {type(error).__name__}: {error}") from None
    if tuple(y.shape) != (x0.shape[0], w0.shape[0]):
        raise Wrong(f"forward returned shape {tuple(y.shape)}; x @ W.T + b has shape "
                    f"{(x0.shape[0], w0.shape[0])}. Keep the forward given in the lesson.")
    try:
        (y * ag.tensor(r0, dtype=ag.float64)).sum().backward()
    except NotImplementedError:
        raise NotAnswered from None
    except Exception as error:
        hint = ""
        text = str(error)
        if "input 1" in text and "shape" in text:
            hint = (" For W: W.grad has W's shape (out, in); from grad (batch, out) and x "
                    "(batch, in) that is grad.T @ x.")
        elif "input 2" in text and "shape" in text:
            hint = (" For b: b was broadcast over the batch, so its gradient is grad summed over "
                    "the batch, grad.sum(0).")
        elif "input 0" in text and "shape" in text:
            hint = " For x: x.grad has x's shape (batch, in): grad @ W."
        elif "matmul" in text.lower() or "shape" in text.lower():
            hint = (" Match the shapes: grad is (batch, out), x is (batch, in), W is (out, in); "
                    "x.grad = grad @ W, W.grad = grad.T @ x.")
        raise Wrong(f"backward raised {type(error).__name__}: {str(error).rstrip('.')}.{hint}"
                    ) from None
    return [None if t.grad is None else np.asarray(t.grad.numpy(), dtype=float)
            for t in (x, w, b)]


def _check_linear_backward(answer: Any) -> str:
    import autogradlab as ag

    _require_function(answer)
    for seed in (0, 1):
        x0, w0, b0, r0 = _data(seed, batch=5 + seed)
        got = _learner_grads(answer, x0, w0, b0, r0)
        want = [r0 @ w0, r0.T @ x0, r0.sum(0)]
        for name, g, w in zip(("x", "W", "b"), got, want):
            if g is None:
                raise Wrong(f"backward returned None for {name}; return all three gradients, "
                            "(dL/dx, dL/dW, dL/db).")
            if np.allclose(g, w, atol=1e-8):
                continue
            if name == "W" and np.allclose(g, (x0.T @ r0).T, atol=1e-8):
                continue  # (x.T @ grad).T is grad.T @ x: right
            if name == "b" and np.allclose(g, r0.mean(0), atol=1e-8):
                raise Wrong("b's gradient is the batch's mean of grad; b is added to every row "
                            "once, so it is the sum: grad.sum(0).")
            if name == "W" and g.shape == w.shape and np.allclose(g, (r0.T @ x0) / len(x0)):
                raise Wrong("W's gradient is divided by the batch size; the sum over the batch "
                            "in grad.T @ x is already the whole gradient.")
            if np.allclose(g, -w, atol=1e-8):
                raise Wrong(f"the gradient for {name} has the wrong sign.")
            raise Wrong(f"the gradient for {name} has the right shape but different numbers "
                        f"(largest difference {np.max(np.abs(g - w)):.3g}): dL/dx = grad @ W, "
                        "dL/dW = grad.T @ x, dL/db = grad.sum(0).")
    x, w, b = _leaves(*_data(5)[:3])
    try:
        ag.gradcheck(answer.apply, [x, w, b])
    except ag.GradcheckError as error:
        raise Wrong(f"the gradients match under one upstream gradient but gradcheck says: "
                    f"{error}") from None
    return ("dL/dx = grad @ W, dL/dW = grad.T @ x, dL/db = grad.sum(0): equal to the engine's "
            "under a random upstream gradient, and gradcheck agrees with finite differences.")


# -- Exercise 3: softmax + cross-entropy ---------------------------------------------------------


def _ce_case(seed: int, batch: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(batch, classes)) * 2.0, rng.integers(0, classes, size=batch)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _as_array(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    from ._check import is_tensor

    if is_tensor(value):
        value = value.detach().numpy()
    if isinstance(value, list | tuple):
        value = np.asarray(value, dtype=float)
    if not isinstance(value, np.ndarray):
        raise Wrong(f"ce_grad returned a {type(value).__name__}; return a tensor (or NumPy "
                    f"array) of the logits' shape {shape}.")
    if value.shape != shape:
        raise Wrong(f"ce_grad returned shape {value.shape}; dL/dlogits has the logits' shape "
                    f"{shape}.")
    return np.asarray(value, dtype=float)


def _check_cross_entropy_grad(answer: Any) -> str:
    import autogradlab as ag

    for seed, (batch, classes) in enumerate([(4, 3), (6, 5)]):
        z0, t0 = _ce_case(20 + seed, batch, classes)
        logits = ag.tensor(z0, dtype=ag.float64)  # no requires_grad: the formula, not backward()
        targets = ag.tensor(t0, dtype=ag.int64)
        with _CountBackward() as passes:
            try:
                result = call(answer, "ce_grad", logits, targets)
            except Wrong as error:
                if "backward" in str(error) or "grad" in str(error).split("raised")[-1]:
                    raise Wrong(f"{error} This exercise asks for the formula p - y, without "
                                "backward(): the logits given to ce_grad do not require grad."
                                ) from None
                raise
        if passes.count:
            raise Wrong("ce_grad ran a backward pass of the engine (backward() or ag.grad): "
                        "this exercise asks for the formula p - y, without backward().")
        got = _as_array(result, (batch, classes))
        p = _softmax(z0)
        onehot = np.eye(classes)[t0]
        want = (p - onehot) / batch
        if np.allclose(got, want, atol=1e-6):
            continue
        if np.allclose(got, p - onehot, atol=1e-6):
            raise Wrong(f"that is the gradient of the *sum* of the losses; the loss is their "
                        f"mean, so divide by the batch size ({batch}).")
        if np.allclose(got, onehot - p, atol=1e-6) or np.allclose(got, -want, atol=1e-6):
            raise Wrong("the sign is flipped: the gradient is p - y (probabilities minus the "
                        "one-hot targets), not y - p.")
        if np.allclose(got, p / batch, atol=1e-6) or np.allclose(got, p, atol=1e-6):
            raise Wrong("that is only p = softmax(logits); subtract the one-hot targets y (1 at "
                        "each row's target class).")
        raise Wrong(f"for logits of shape {(batch, classes)} the numbers differ from "
                    f"(softmax(logits) - one_hot(targets)) / {batch} (largest difference "
                    f"{np.max(np.abs(got - want)):.3g}).")
    return ("(softmax(logits) - one_hot(targets)) / batch, equal to what the engine's "
            "cross_entropy sends back: the probability given to each class minus the truth.")


# -- the heatmap ---------------------------------------------------------------------------------


def plot_weight_gradients(my_linear: Any) -> Any:
    """W's gradient from ``my_linear``'s backward next to the engine's (matplotlib Figure)."""
    import matplotlib.pyplot as plt

    import autogradlab as ag

    x0, w0, b0, r0 = _data(7, batch=8, n_in=10, n_out=6)
    x, w, b = _leaves(x0, w0, b0)
    (ag.nn.functional.linear(x, w, b) * ag.tensor(r0, dtype=ag.float64)).sum().backward()
    engine = w.grad.numpy()
    mine, title = None, "your backward: not written yet"
    try:
        grads = _learner_grads(my_linear, x0, w0, b0, r0) if isinstance(my_linear, type) else None
        if grads is not None and grads[1] is not None and grads[1].shape == engine.shape:
            mine, title = grads[1], "your backward: W.grad"
    except (NotAnswered, Wrong) as error:
        title = ("your backward: not written yet" if isinstance(error, NotAnswered)
                 else "your backward: raised an error")
    limit = float(np.abs(engine).max())
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, data, name in ((axes[0], mine, title), (axes[1], engine, "the engine: W.grad")):
        if data is None:
            ax.text(0.5, 0.5, "nothing to show yet", ha="center", va="center")
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            image = ax.imshow(data, cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_xlabel("input feature j")
            ax.set_ylabel("output unit i")
        ax.set_title(name)
    fig.colorbar(image, ax=axes, shrink=0.8, label="dL/dW[i, j]")
    plt.close(fig)
    return fig


# -- worked solutions and typical mistakes -------------------------------------------------------


def _linear_class(mistake: str = "") -> type:
    from autogradlab.autograd import Function

    class MyLinear(Function):
        @staticmethod
        def forward(ctx: Any, x: Any, W: Any, b: Any) -> Any:
            ctx.save_for_backward(x, W)
            return x @ W.T + b

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            x, W = ctx.saved_tensors
            if mistake == "W transposed":
                return grad @ W, x.T @ grad, grad.sum(0)
            if mistake == "b not summed":
                return grad @ W, grad.T @ x, grad
            if mistake == "b mean":
                return grad @ W, grad.T @ x, grad.mean(0)
            return grad @ W, grad.T @ x, grad.sum(0)

    return MyLinear


def _solution_ce_grad(logits: Any, targets: Any) -> Any:
    import autogradlab as ag

    batch, classes = logits.shape
    p = ag.softmax(logits, dim=1)
    onehot = ag.tensor(np.eye(classes)[targets.numpy()], dtype=logits.dtype)
    return (p - onehot) / batch


def _ce_grad_sum(logits: Any, targets: Any) -> Any:
    return _solution_ce_grad(logits, targets) * logits.shape[0]


def _ce_grad_flipped(logits: Any, targets: Any) -> Any:
    return -_solution_ce_grad(logits, targets)


def _ce_grad_with_backward(logits: Any, targets: Any) -> Any:
    import autogradlab as ag

    loss = ag.nn.functional.cross_entropy(logits, targets)
    loss.backward()
    return logits.grad


def _ce_grad_asks_the_engine(logits: Any, targets: Any) -> Any:
    """A mistake that slips past "the logits do not require grad": a copy that does."""
    import autogradlab as ag

    mine = logits.detach().requires_grad_()
    ag.nn.functional.cross_entropy(mine, targets).backward()
    return mine.grad


EXERCISES = declare(
    Exercise(
        name="gradient_shapes",
        hint="set answer = (shape of W.grad, shape of x.grad, shape of b.grad), three tuples "
             "such as ((1, 2), (3, 4), (5,)).",
        check=_check_gradient_shapes,
        explanation="Each gradient has its own tensor's shape. The batch size 32 disappears "
                    "from `W.grad` and `b.grad`, because $G^\\top x$ and "
                    "$\\sum_{\\text{batch}} G$ sum over it:",
        solution="""
answer = ((128, 784),   # W.grad: W's shape (out, in)
          (32, 784),    # x.grad: x's shape (batch, in)
          (128,))       # b.grad: b's shape (out,)
""",
        mistakes=[
            Mistake("answer = ((784, 128), (32, 784), (128,))", says="W.T's shape"),
            Mistake("answer = ((128, 784), (32, 784), (32, 128))", says="sums over the batch"),
            Mistake("answer = ((128, 784), (32, 128), (128,))", says="x's shape (32, 784)"),
        ],
    ),
    Exercise(
        name="linear_backward",
        hint="write the backward of `class MyLinear(ag.autograd.Function)`: return (dL/dx, "
             "dL/dW, dL/db) from grad and ctx.saved_tensors, then "
             "check_linear_backward(MyLinear).",
        check=_check_linear_backward,
        argument="MyLinear",
        explanation="`grad` is $G = \\partial L/\\partial y$, shape (B, out); each gradient is "
                    "the one product with its tensor's shape:",
        solution="""
class MyLinear(ag.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    @staticmethod
    def backward(ctx, grad):                       # grad is dL/dy, shape (B, out)
        x, W = ctx.saved_tensors
        return grad @ W, grad.T @ x, grad.sum(0)   # (B, in), (out, in), (out,)
""",
        mistakes=[
            Mistake(lambda: _linear_class("W transposed"), says="grad.T @ x"),
            Mistake(lambda: _linear_class("b not summed"), says="grad.sum(0)"),
            Mistake(lambda: _linear_class("b mean"), says="the sum"),
        ],
    ),
    Exercise(
        name="cross_entropy_grad",
        hint="write ce_grad(logits, targets) returning dL/dlogits of the mean cross-entropy by "
             "the formula (no backward()), then check_cross_entropy_grad(ce_grad).",
        check=_check_cross_entropy_grad,
        argument="ce_grad",
        explanation="Probabilities minus the one-hot truth, divided by the batch size because "
                    "the loss is the batch's mean:",
        solution="""
def ce_grad(logits, targets):
    batch, classes = logits.shape
    p = ag.softmax(logits, dim=1)
    y = ag.tensor(np.eye(classes)[targets.numpy()], dtype=logits.dtype)   # one-hot rows
    return (p - y) / batch
""",
        mistakes=[
            Mistake(lambda: _ce_grad_sum, says="divide by the batch size"),
            Mistake(lambda: _ce_grad_flipped, says="sign"),
            Mistake(lambda: _ce_grad_with_backward, says="without backward()"),
            Mistake(lambda: _ce_grad_asks_the_engine, says="without backward()"),
        ],
    ),
    into=globals(),
)
