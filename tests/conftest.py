"""Shared fixtures for the engine and device tests.

* ``torch``: PyTorch, the oracle the engine is compared with. Where it is missing the oracle tests
  are skipped, except under ``CI=true``, where they FAIL: a CI run that silently skipped the
  comparison with PyTorch would prove nothing.
* ``rng``: a seeded NumPy generator, so every test sees the same numbers on every run.
* Hypothesis profiles: ``dev`` (random, fast) and ``ci`` (derandomized, so CI is reproducible),
  chosen by ``CI=true`` or ``HYPOTHESIS_PROFILE``.
* An autouse guard that every test leaves grad mode on and no event listener behind.

The CuPy/GPU tests may skip on machines without a GPU (with a reason that says why).
"""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    settings = None
else:
    _common = {
        "max_examples": 40,
        "deadline": None,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    }
    settings.register_profile("dev", **_common)
    settings.register_profile("ci", derandomize=True, print_blob=True, **_common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def require(module: str, install: str):
    """Import ``module``, or skip the test (fail it under CI=true) saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        message = f"{module} is not installed ({error}); these tests need it: {install}"
        if IN_CI:
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def torch():
    """PyTorch (CPU), the oracle. Skipped where missing, a failure under CI=true."""
    return require("torch", "pip install torch --index-url https://download.pytorch.org/whl/cpu")


@pytest.fixture(scope="session")
def array_api_strict():
    """The strict array-API namespace. Skipped where missing, a failure under CI=true."""
    return require("array_api_strict", 'pip install "autogradlab[test]"')


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240607)


@pytest.fixture(autouse=True)
def _engine_state_is_clean(request):
    """Every engine test starts and must end with grad mode on and no listener attached."""
    if "browser" in request.node.path.parts:
        yield
        return
    from autogradlab import autograd

    assert autograd.is_grad_enabled()
    assert not autograd._listeners
    yield
    assert autograd.is_grad_enabled(), "a test left grad mode switched off"
    assert not autograd._listeners, "a test left an event listener attached"
