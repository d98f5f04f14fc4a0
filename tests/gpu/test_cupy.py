"""The whole op and broadcasting suite on a real GPU (CuPy, device="cuda"), against the CPU.

Marked ``gpu``: ``pytest -m gpu`` runs only these. Without CuPy or a usable GPU every test here
is skipped with the reason (``ag.cuda.why_unavailable()``), never failed.
"""

from __future__ import annotations

import numpy as np
import pytest
from devices import PROGRAMS, assert_same_results, run_program
from test_ops_vs_torch import (
    ARITHMETIC,
    BROADCASTING,
    MATMUL,
    REDUCTIONS,
    SHAPES,
    SOFTMAX,
    UNARY,
)

import autogradlab as ag
from autogradlab import backend


def _skip_reason() -> str:
    return ag.cuda.why_unavailable() or "CUDA is not available"


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not ag.cuda.is_available(), reason=_skip_reason()),
]


class _Library:
    """``autogradlab`` as the programs see it, with ``m.tensor`` making tensors on ``device``."""

    def __init__(self, device: str) -> None:
        self.device = device

    def __getattr__(self, name):
        return getattr(ag, name)

    def tensor(self, data, **options):
        options.setdefault("device", self.device)
        return ag.tensor(data, **options)


def _run(fn, arrays, grads, device):
    m = _Library(device)
    inputs = [
        m.tensor(a, dtype=ag.float64, requires_grad=needs) if a.dtype.kind == "f" else m.tensor(a)
        for a, needs in zip(arrays, grads)
    ]
    out = fn(m, *inputs)
    upstream = np.random.default_rng(0).standard_normal(tuple(out.shape))
    out.backward(gradient=m.tensor(upstream, dtype=out.dtype))
    return out, inputs


@pytest.mark.parametrize(
    "fn, arrays, options",
    ARITHMETIC + UNARY + REDUCTIONS + SHAPES + MATMUL + SOFTMAX + BROADCASTING,
)
def test_op_on_gpu_matches_cpu(fn, arrays, options):
    grads = options.get("grads") or [a.dtype.kind == "f" for a in arrays]
    gpu_out, gpu_in = _run(fn, arrays, grads, "cuda")
    cpu_out, cpu_in = _run(fn, arrays, grads, "cpu")
    assert gpu_out.device == ag.device("cuda:0") and gpu_out.dtype == cpu_out.dtype
    assert backend.namespace_of(gpu_out.data).name == "cupy"
    np.testing.assert_allclose(gpu_out.detach().numpy(), cpu_out.detach().numpy(),
                               rtol=1e-9, atol=1e-12)
    for g, c, needs in zip(gpu_in, cpu_in, grads):
        if needs:
            assert g.grad.device == ag.device("cuda:0")
            np.testing.assert_allclose(g.grad.numpy(), c.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_device_suite_on_gpu_matches_cpu(name):
    got = run_program(name, lambda a: ag.tensor(a, device="cuda", requires_grad=True))
    want = run_program(name, lambda a: ag.tensor(a, requires_grad=True))
    assert got["namespaces"] == {"cupy"} and got["devices"] == {"cuda:0"}
    assert_same_results(got, want, rtol=1e-9)


def test_moving_between_devices_keeps_the_graph():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to("cuda")
    assert y.device == "cuda:0" and y.grad_fn.name() == "ToCopyBackward0"
    z = (y * y).cpu()
    assert z.device == "cpu"
    z.sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert "device='cuda:0'" in repr(y)


def test_cupy_arrays_stay_on_the_gpu():
    import cupy

    x = ag.tensor(cupy.asarray([1.0, 2.0]), requires_grad=True)
    assert x.is_cuda and x.dtype is ag.float64
    (x.exp() * 2).sum().backward()
    assert isinstance(x.grad.data, cupy.ndarray)


def test_seeded_random_numbers_are_the_same_on_cpu_and_gpu():
    ag.manual_seed(3)
    cpu = ag.randn(4, 3)
    ag.manual_seed(3)
    gpu = ag.randn(4, 3, device="cuda")
    np.testing.assert_array_equal(cpu.detach().numpy(), gpu.detach().numpy())


def test_mixing_cpu_and_gpu_names_both_devices():
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = ag.tensor([1.0, 2.0], device="cuda")
    for op in (lambda: a + b, lambda: b * a, lambda: a @ b):
        with pytest.raises(ag.DeviceError) as info:
            op()
        assert "cpu" in str(info.value) and "cuda:0" in str(info.value)
        assert info.value.__cause__ is None


def test_gradcheck_on_gpu():
    x = ag.tensor([[0.3, -0.2], [1.1, 0.5]], device="cuda", requires_grad=True)
    assert ag.gradcheck(lambda t: (t @ t).tanh() * ag.softmax(t, 0), (x,))
