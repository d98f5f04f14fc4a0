"""Self-checks for lesson 09, GPUs.

Each ``check_<name>(answer)`` prints what is right or wrong about ``answer`` and returns True or
False; it never raises. ``SOLUTIONS[name]()`` returns the worked answer; ``WRONG_ANSWERS`` lists
typical mistakes and the words the check says about each. Both checks give the same verdict on a
machine without a GPU: they reason about devices, they do not need one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._check import Wrong, exercise
from ._learner_code import call

#: exercise 1: where each thing lives after the lesson's code (model.to("cuda"), Xg = X.to(...))
WHERE = {
    "a": ("cuda", "model[0].weight: Module.to moves every parameter to the device, in place."),
    "b": ("cuda", "model[0].weight.grad: a gradient lives on the device of its tensor."),
    "c": ("cpu", "X: Tensor.to returns a COPY on the new device (that is Xg); X stays where it "
                 "was."),
    "d": ("cuda", "loss: computed from tensors on the GPU, so it is on the GPU too (one number)."),
    "e": ("cpu", "loss.item(): a Python float, and Python numbers always live in host memory."),
    "f": ("cpu", "model(Xg).detach().cpu().numpy(): a NumPy array, always in host memory "
                 "(.cpu() made a copy; .numpy() alone refuses a GPU tensor, as in PyTorch)."),
}
_SPELLINGS = {"cpu": "cpu", "host": "cpu", "cuda": "cuda", "gpu": "cuda", "cuda:0": "cuda"}


# --------------------------------------------------------------------------------------------
# Exercise 1: where does each thing live?
# --------------------------------------------------------------------------------------------


def _where() -> dict[str, str]:
    return {key: device for key, (device, _) in WHERE.items()}


def check_where_it_lives(answer: Any) -> bool:
    """``answer`` maps each letter a-f to "cpu" or "cuda"."""
    if isinstance(answer, dict) and all(value is None for value in answer.values()):
        answer = None  # the placeholder: every letter still None
    return _check_where(answer)


@exercise('fill in answer = {"a": "cpu" or "cuda", ...} for the letters a to f, then run the '
          'cell again.')
def _check_where(answer: Any) -> str:
    if not isinstance(answer, dict):
        raise Wrong(f'expected a dict like {{"a": "cuda", "b": "cpu", ...}}, got a '
                    f'{type(answer).__name__}.')
    lines, right = [], 0
    for key, (want, why) in WHERE.items():
        given = answer.get(key)
        if given is None:
            lines.append(f"  {key}: not answered yet.")
        elif not isinstance(given, str) or given.strip().lower() not in _SPELLINGS:
            lines.append(f'  {key}: answer "cpu" or "cuda", not {given!r}.')
        elif _SPELLINGS[given.strip().lower()] != want:
            lines.append(f"  {key}: not {given!r}. {why}")
        else:
            right += 1
    if lines:
        raise Wrong(f"{right} of {len(WHERE)} right so far.\n" + "\n".join(lines))
    return ("all six. Parameters, their gradients and everything computed from them stay on the "
            "GPU; a tensor's .to() makes a copy; .item() and .numpy() copy back to the host.")


# --------------------------------------------------------------------------------------------
# Exercise 2: the device-choosing idiom, as a function
# --------------------------------------------------------------------------------------------


def _pick_device() -> str:
    import autogradlab as ag

    return "cuda" if ag.cuda.is_available() else "cpu"


@exercise("write the body of pick_device() in place of `raise NotImplementedError`, "
                   "then run the cell again.")
def check_pick_device(pick_device: Any) -> str:
    """``pick_device()`` must return "cuda" when a GPU can be used and "cpu" otherwise.

    The check plays both kinds of machine by swapping ``ag.cuda.is_available`` for a moment.
    """
    from .. import cuda

    real = cuda.is_available
    results = {}
    try:
        for available in (True, False):
            cuda.is_available = lambda available=available: available
            results[available] = call(pick_device, "pick_device")
    finally:
        cuda.is_available = real
    problems = []
    for available, want in ((True, "cuda"), (False, "cpu")):
        got = results[available]
        if str(got) != want:
            machine = "with a usable GPU" if available else "without a GPU"
            problems.append(f"on a machine {machine} pick_device() returned {got!r}, not {want!r}")
    if problems:
        raise Wrong("; ".join(problems) + ". Ask ag.cuda.is_available() each time the function "
                    "runs and return the string \"cuda\" or \"cpu\".")
    return ('"cuda" where a GPU can be used, "cpu" everywhere else, so one notebook runs on '
            'both kinds of machine.')


SOLUTIONS: dict[str, Callable[[], Any]] = {
    "where_it_lives": _where,
    "pick_device": lambda: _pick_device,
}


WRONG_ANSWERS: dict[str, list[tuple[Callable[[], Any], str]]] = {
    "where_it_lives": [
        (lambda: {**_where(), "c": "cuda"}, "returns a COPY"),
        (lambda: {**_where(), "b": "cpu"}, "device of its tensor"),
        (lambda: {**_where(), "e": "cuda"}, "host memory"),
        (lambda: {"a": "cuda"}, "not answered yet"),
    ],
    "pick_device": [
        (lambda: (lambda: "cuda"), "without a GPU"),
        (lambda: (lambda: "cpu"), "with a usable GPU"),
    ],
}
