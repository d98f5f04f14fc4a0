"""The settings a backward pass runs under, and that the learner's own are back afterwards.

A pass keeps NumPy quiet about inf and nan (PyTorch prints nothing either), pauses Python's cycle
collector and records a graph only under ``create_graph``. ``backend.quiet`` sets NumPy 2's
error settings directly instead of through ``np.errstate``, so these tests hold it to what
``np.errstate(all="ignore")`` promises: every other setting inherited, everything restored, also
when the pass fails.
"""

from __future__ import annotations

import gc
import threading
import warnings

import numpy as np
import pytest

import autogradlab as ag
from autogradlab import backend


def _inf_gradient() -> ag.Tensor:
    """sqrt at 0: the gradient 1 / (2 sqrt(0)) is inf, which NumPy would warn about."""
    x = ag.tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    return x


def test_an_inf_gradient_comes_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = _inf_gradient()
    assert x.grad.numpy().tolist() == [np.inf, 0.25]


def test_the_learners_numpy_settings_are_back_after_the_pass():
    before = np.geterr()
    with np.errstate(divide="raise", invalid="warn"):
        inside = np.geterr()
        _inf_gradient()
        assert np.geterr() == inside
        with pytest.raises(FloatingPointError):
            np.ones(1) / np.zeros(1)
    assert np.geterr() == before


def test_during_the_pass_numpy_ignores_errors_and_keeps_the_learners_buffer_size():
    seen = {}

    def look(grad):
        seen["errors"], seen["bufsize"] = np.geterr(), np.getbufsize()
        return grad

    old = np.getbufsize()
    np.setbufsize(16384)
    try:
        for _ in range(2):  # the quiet settings are made once and then reused: both times
            x = ag.tensor([1.0, 2.0], requires_grad=True)
            y = x * 3
            y.register_hook(look)
            y.sum().backward()
            assert set(seen["errors"].values()) == {"ignore"}
            assert seen["bufsize"] == 16384
        np.setbufsize(8192 * 4)  # the learner's settings change: the pass follows them
        x = ag.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.register_hook(look)
        y.sum().backward()
        assert seen["bufsize"] == 8192 * 4
    finally:
        np.setbufsize(old)


@pytest.mark.parametrize("collector_on", [True, False])
def test_collector_and_grad_mode_are_back_as_they_were(collector_on):
    was = gc.isenabled()
    (gc.enable if collector_on else gc.disable)()
    try:
        during = {}

        def look(grad):
            during["collector"], during["grad mode"] = gc.isenabled(), ag.is_grad_enabled()
            return grad

        x = ag.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.register_hook(look)
        y.sum().backward()
        assert during == {"collector": False, "grad mode": False}
        assert gc.isenabled() is collector_on and ag.is_grad_enabled()
        y = x * x
        y.register_hook(look)
        y.sum().backward(create_graph=True)
        assert during["grad mode"] is True
        assert gc.isenabled() is collector_on and ag.is_grad_enabled()
    finally:
        (gc.enable if was else gc.disable)()


def test_settings_are_back_when_the_pass_fails():
    before, collector = np.geterr(), gc.isenabled()

    def fail(grad):
        raise RuntimeError("a hook that fails")

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.register_hook(fail)
    with pytest.raises(RuntimeError, match="a hook that fails"):
        y.sum().backward()
    assert np.geterr() == before
    assert gc.isenabled() == collector and ag.is_grad_enabled()


def test_a_pass_inside_a_pass_restores_each_level():
    outer = {}

    def inner_pass(grad):
        z = ag.tensor([3.0], requires_grad=True)
        with ag.enable_grad():  # (hooks run without recording, as in PyTorch)
            (z * z).sum().backward()  # a backward pass inside another one's hook
        outer["after inner"] = np.geterr()
        return grad

    x = ag.tensor([1.0], requires_grad=True)
    y = x * 2
    y.register_hook(inner_pass)
    with np.errstate(over="raise"):
        y.sum().backward()
        assert np.geterr()["over"] == "raise"
    assert set(outer["after inner"].values()) == {"ignore"}  # still inside the outer pass
    assert x.grad.item() == 2.0


def test_each_thread_keeps_its_own_settings():
    errors = []

    def learner(setting):
        try:
            with np.errstate(divide=setting):
                for _ in range(200):
                    _inf_gradient()
                    assert np.geterr()["divide"] == setting
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=learner, args=(s,)) for s in ("raise", "warn", "print")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_quiet_is_np_errstate_all_ignore():
    with np.errstate(under="raise", call=print):
        with np.errstate(all="ignore"):
            expected = (np.geterr(), np.getbufsize(), np.geterrcall())
        with backend.quiet():
            assert (np.geterr(), np.getbufsize(), np.geterrcall()) == expected
