"""Lesson 9 (Training on a GPU): where each tensor lives, and the device idiom as a function.

Each exercise is declared once (see :mod:`autogradlab.exercises._exercise`): hint, check, worked
solution and known mistakes. Both checks give the same verdict on a machine without a GPU: they
reason about devices, they do not need one.
"""

from __future__ import annotations

from typing import Any

from ._check import NotAnswered, Wrong
from ._exercise import Exercise, Mistake, declare
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


def _check_where(answer: Any) -> str:
    if isinstance(answer, dict) and answer and all(v is None for v in answer.values()):
        raise NotAnswered  # the placeholder: every letter still None
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


WHERE_SOLUTION = """
answer = {
    "a": "cuda",  # Module.to moved the parameters
    "b": "cuda",  # a gradient lives with its tensor
    "c": "cpu",   # Tensor.to made a copy (Xg); X did not move
    "d": "cuda",  # computed from GPU tensors
    "e": "cpu",   # a Python float
    "f": "cpu",   # a NumPy array
}
"""


def _where(**changes: str) -> dict[str, str]:
    return {**{key: device for key, (device, _) in WHERE.items()}, **changes}


# --------------------------------------------------------------------------------------------
# Exercise 2: the device-choosing idiom, as a function
# --------------------------------------------------------------------------------------------


def _check_pick_device(pick_device: Any) -> str:
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


EXERCISES = declare(
    Exercise(
        name="where_it_lives",
        hint='fill in answer = {"a": "cpu" or "cuda", ...} for the letters a to f, then run the '
             'cell again.',
        check=_check_where,
        solution=WHERE_SOLUTION,
        mistakes=[
            Mistake(lambda: _where(c="cuda"), says="returns a COPY"),
            Mistake(lambda: _where(b="cpu"), says="device of its tensor"),
            Mistake(lambda: _where(e="cuda"), says="host memory"),
            Mistake(lambda: {"a": "cuda"}, says="not answered yet"),
        ],
    ),
    Exercise(
        name="pick_device",
        hint="write the body of pick_device() in place of `raise NotImplementedError`, then run "
             "the cell again.",
        check=_check_pick_device,
        solution="""
def pick_device():
    return "cuda" if ag.cuda.is_available() else "cpu"

answer = pick_device
""",
        mistakes=[
            Mistake('def pick_device():\n    return "cuda"\n\nanswer = pick_device',
                    says="without a GPU"),
            Mistake('def pick_device():\n    return "cpu"\n\nanswer = pick_device',
                    says="with a usable GPU"),
            Mistake('gpu = ag.cuda.is_available()\n\ndef pick_device():\n'
                    '    return "cuda" if gpu else "cpu"\n\nanswer = pick_device',
                    says="each time the function runs"),
        ],
    ),
    into=globals(),
)
