"""The lesson notebooks (``*.ipynb`` beside this file), shipped as package data.

In the repository this is the ``lessons/`` folder; installed, it is ``autogradlab/lessons/``.
``autogradlab lessons`` copies them into a folder of the learner's own (see ``autogradlab.cli``).
"""
