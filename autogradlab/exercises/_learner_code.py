"""Checks whose answer is a function the learner writes (lessons 06, 07, 09).

Such exercises ship with a placeholder that runs::

    def sgd_step(params, lr):
        raise NotImplementedError  # your code here

Their checks use the same :func:`~autogradlab.exercises._check.exercise` decorator and call the
learner's function through :func:`call`: a placeholder that still raises ``NotImplementedError``
means "not answered yet", and an error raised by the learner's function is reported as theirs
("sgd_step raised ..."), not as the check's.
"""

from __future__ import annotations

from typing import Any

from ._check import NotAnswered, Wrong


def call(function: Any, name: str, *args: Any) -> Any:
    """``function(*args)``, turning its errors into messages about the learner's code."""
    if not callable(function):
        raise Wrong(f"{name} should be a function (def {name}(...): ...), got a "
                    f"{type(function).__name__}.")
    try:
        return function(*args)
    except NotImplementedError:
        raise NotAnswered from None
    except Wrong:
        raise
    except Exception as error:
        raise Wrong(f"{name}(...) raised {type(error).__name__}: {error}") from None
