"""Exercises with immediate self-checks, one module per lesson (``lesson00.py``, ``lesson01.py``).

The pattern every lesson module follows:

* For each exercise ``<name>`` there is a ``check_<name>(answer) -> bool``. It **prints** a short
  message and returns ``True`` or ``False``; it never raises, so a wrong answer does not stop
  "Run All". The message says *what* is right or wrong, never only "incorrect"::

      ✓ Correct: the gradient of x**2 + 3 at x = 4 is 2·4 = 8.
      ✗ Not yet: your gradient has shape (3, 1) but x has shape (3,): a gradient always has the
        shape of the tensor it belongs to.
      … Not answered yet: replace `answer = None` with your code, then run the cell again.

* The notebook cell ships with a placeholder that runs (``answer = None  # your code here``) and
  ends with the check, so the lesson executes top to bottom before the learner has answered::

      from autogradlab.exercises.lesson00 import check_first_gradient
      answer = None  # your code here
      check_first_gradient(answer)

* ``SOLUTIONS = {"<name>": callable}``: each callable returns the worked answer. The same solution
  is shown in the notebook in a hidden ``<details><summary>Show a worked solution</summary>`` block.
* ``WRONG_ANSWERS = {"<name>": [(callable, "words the message must contain"), ...]}``: typical
  mistakes, with what the check must say about them. ``tests/test_exercises.py`` goes through every
  ``lessonNN`` module of this package and asserts that each check accepts its solution, says
  "Not answered yet" to ``None``, and explains each listed mistake.

The helpers in :mod:`autogradlab.exercises._check` (``exercise``, ``correct``, ``wrong``,
``compare_tensor``, ``as_number``) keep each check a few lines long.
"""
