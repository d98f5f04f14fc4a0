"""Devices and array namespaces (the "Devices" issue).

The same engine code must run on NumPy, on the strict array-API reference (which rejects
NumPy-only habits that would break on CuPy) and on CuPy. The op suite in ``devices.py`` runs on
each and is compared with the NumPy run number by number. Asking for CUDA where it cannot work
gives a ``CudaUnavailableError`` that says why; tensors on two devices in one op give a
``DeviceError`` naming both.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from devices import PROGRAMS, assert_same_results, run_program

import autogradlab as ag
import autogradlab.functions as AF
from autogradlab import backend

PACKAGE = Path(ag.__file__).resolve().parent
CUPY_INSTALLED = importlib.util.find_spec("cupy") is not None


def cuda_skip_reason() -> str | None:
    """Why the CuPy leg cannot run here (None when it can)."""
    if not CUPY_INSTALLED:
        return "CuPy not installed (pip install cupy-cuda12x on a machine with a GPU)"
    if not ag.cuda.is_available():
        why = ag.cuda.why_unavailable()
        detail = re.search(r"\(CUDA says: (.*)\)\.", why)
        return f"CuPy is installed but no usable GPU here: {detail.group(1) if detail else why}"
    return None


def make_numpy(array: np.ndarray) -> ag.Tensor:
    return ag.tensor(array, requires_grad=True)


def make_strict(array: np.ndarray) -> ag.Tensor:
    import array_api_strict  # the test asked for the fixture first, so this import works

    return ag.tensor(array_api_strict.asarray(array), requires_grad=True)


def make_cupy(array: np.ndarray) -> ag.Tensor:
    return ag.tensor(array, device="cuda", requires_grad=True)


@pytest.fixture(scope="module")
def numpy_results():
    return {name: run_program(name, make_numpy) for name in PROGRAMS}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@pytest.mark.parametrize("namespace", ["numpy", "array_api_strict", "cupy"])
def test_op_suite_on_every_namespace(request, namespace, name, numpy_results):
    if namespace == "numpy":
        got = run_program(name, make_numpy)
        assert got["namespaces"] == {"numpy"} and got["devices"] == {"cpu"}
    elif namespace == "array_api_strict":
        request.getfixturevalue("array_api_strict")
        got = run_program(name, make_strict)
        # values, gradients and results all stayed strict arrays: no silent trip through NumPy
        assert got["namespaces"] == {"array_api_strict"}
    else:
        reason = cuda_skip_reason()
        if reason:
            pytest.skip(reason)
        got = run_program(name, make_cupy)
        assert got["namespaces"] == {"cupy"} and got["devices"] == {"cuda:0"}
    assert_same_results(got, numpy_results[name], rtol=1e-12 if namespace != "cupy" else 1e-9)


def test_strict_tensor_keeps_its_array_and_dtype(array_api_strict):
    xp = array_api_strict
    x = ag.tensor(xp.asarray([1.0, 2.0]), requires_grad=True)
    assert type(x.data).__module__.startswith("array_api_strict")
    assert x.dtype is ag.float64 and x.device == "cpu"
    y = (x * x).sum()
    y.backward()
    assert type(x.grad.data).__module__.startswith("array_api_strict")
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])
    assert repr(x) == "tensor([1., 2.], dtype=autogradlab.float64, requires_grad=True)"
    f32 = ag.tensor(xp.asarray([1.0, 2.0]), dtype=ag.float32)
    assert f32.dtype is ag.float32 and type(f32.data).__module__.startswith("array_api_strict")


def test_strict_tensor_gradcheck(array_api_strict):
    xp = array_api_strict
    x = ag.tensor(xp.asarray([[0.5, -1.0], [2.0, 0.1]]), requires_grad=True)
    assert ag.gradcheck(lambda t: (t @ t.T).tanh() * ag.softmax(t, 1), (x,))


# ------------------------------------------------------------------------------------------------
# CUDA that cannot be used
# ------------------------------------------------------------------------------------------------


def test_cuda_reports_its_state_consistently():
    usable, reason, count = backend.cuda_status()
    assert ag.cuda.is_available() is usable
    assert ag.cuda.device_count() == count
    assert ag.cuda.why_unavailable() == reason
    if not usable:
        assert count == 0 and reason


@pytest.fixture
def no_gpu():
    if ag.cuda.is_available():
        pytest.skip("a GPU is usable here: this test is about machines without one")


def test_cuda_unavailable_here(no_gpu):
    assert ag.cuda.is_available() is False
    assert ag.cuda.device_count() == 0
    if CUPY_INSTALLED:
        assert "CuPy is installed but there is no usable GPU" in ag.cuda.why_unavailable()


@pytest.mark.parametrize(
    "ask",
    [
        lambda: ag.tensor(1.0, device="cuda"),
        lambda: ag.zeros(2, device="cuda:0"),
        lambda: ag.randn(2, device=ag.device("cuda")),
        lambda: ag.tensor([1.0, 2.0]).to("cuda"),
        lambda: ag.tensor([1.0, 2.0], requires_grad=True).cuda(),
        lambda: ag.tensor([1.0, 2.0]).to(ag.device("cuda", 0), dtype=ag.float64),
    ],
    ids=["tensor", "zeros", "randn", "to", "cuda-method", "to-with-dtype"],
)
def test_asking_for_cuda_without_a_gpu(no_gpu, ask):
    with pytest.raises(ag.CudaUnavailableError) as info:
        ask()
    message = str(info.value)
    assert isinstance(info.value, ag.DeviceError) and isinstance(info.value, RuntimeError)
    if CUPY_INSTALLED:
        assert "CuPy is installed but there is no usable GPU" in message
        assert "pip install" not in message  # installing CuPy again would not help
    assert "cpu" in message
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert "Traceback" not in message and "cupy_backends" not in message


@pytest.fixture
def cupy_missing(monkeypatch):
    """Pretend CuPy is not installed: importing it fails, and the cached probe is forgotten."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setattr(backend, "_cuda_status", None)
    yield
    # monkeypatch restores both; the probe re-runs for the next test


def test_cuda_without_cupy_says_how_to_install_it(cupy_missing):
    assert not ag.cuda.is_available() and ag.cuda.device_count() == 0
    reason = ag.cuda.why_unavailable()
    assert "CuPy is not installed" in reason and "pip install cupy-cuda12x" in reason
    assert '-e ".[gpu]"' in reason  # the command that works from a clone
    for ask in (lambda: ag.tensor(1.0, device="cuda"), lambda: ag.ones(2).to("cuda")):
        with pytest.raises(ag.CudaUnavailableError, match=r"pip install cupy-cuda12x"):
            ask()


def test_probe_reports_a_broken_driver_without_a_traceback(monkeypatch):
    class BrokenRuntime:
        @staticmethod
        def getDeviceCount():  # noqa: N802  (CuPy's name)
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = type(sys)("cupy")
    fake.cuda = type(sys)("cupy.cuda")
    fake.cuda.runtime = BrokenRuntime
    monkeypatch.setitem(sys.modules, "cupy", fake)
    usable, reason, count = backend._probe_cuda()
    assert not usable and count == 0
    assert "CuPy is installed but there is no usable GPU" in reason
    assert "cudaErrorNoDevice" in reason and "pip install" not in reason


def test_a_gpu_number_that_does_not_exist(monkeypatch):
    monkeypatch.setattr(backend, "_cuda_status", (True, "", 1))
    with pytest.raises(ag.CudaUnavailableError, match="cuda:3.*1 GPU"):
        backend.namespace_for(ag.device("cuda:3"))


# ------------------------------------------------------------------------------------------------
# devices by name
# ------------------------------------------------------------------------------------------------


def test_device_objects_read_like_pytorch(torch):
    for spec in ["cpu", "cuda:0", "cuda:1"]:
        ours, theirs = ag.device(spec), torch.device(spec)
        assert repr(ours) == repr(theirs)
        assert str(ours) == str(theirs)
    # Differs from PyTorch (by design): a bare "cuda" means GPU 0 at once, so that every device
    # has a number, as a tensor's .device always has in PyTorch too
    assert repr(ag.device("cuda")) == "device(type='cuda', index=0)"
    assert ag.device("cuda:1") == "cuda:1" and ag.device("cuda", 1) == ag.device("cuda:1")
    assert ag.device("cuda") == ag.device("cuda:0") and ag.device("cpu") != ag.device("cuda")
    assert ag.device(ag.device("cuda:2")).index == 2
    assert len({ag.device("cpu"), ag.device("cpu"), ag.device("cuda:0")}) == 2


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cuda:-1", "mps"])
def test_unknown_devices(spec):
    with pytest.raises(ag.DeviceError, match="cuda:N"):
        ag.device(spec)
    with pytest.raises(TypeError):
        ag.device(3)


# ------------------------------------------------------------------------------------------------
# two devices in one operation
# ------------------------------------------------------------------------------------------------


class FakeCudaArray(np.ndarray):
    """A NumPy array that claims to live on a GPU and, like CuPy, refuses to mix with NumPy."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if any(type(x) is np.ndarray for x in inputs):
            raise TypeError("Unsupported type <class 'numpy.ndarray'>")
        plain = [x.view(np.ndarray) if isinstance(x, FakeCudaArray) else x for x in inputs]
        result = getattr(ufunc, method)(*plain, **kwargs)
        return result.view(FakeCudaArray) if isinstance(result, np.ndarray) else result

    def __matmul__(self, other):
        if type(other) is np.ndarray:
            raise TypeError("Unsupported type <class 'numpy.ndarray'>")
        return np.ndarray.__matmul__(self.view(np.ndarray), other).view(FakeCudaArray)

    def __rmatmul__(self, other):
        if type(other) is np.ndarray:
            raise TypeError("Unsupported type <class 'numpy.ndarray'>")
        return NotImplemented


class FakeCudaNamespace(backend.Namespace):
    def device_of(self, array):
        return ag.device("cuda:0")


@pytest.fixture
def fake_gpu(monkeypatch):
    namespace = FakeCudaNamespace("fake-cuda", np, FakeCudaArray)
    monkeypatch.setitem(backend._BY_TYPE, FakeCudaArray, namespace)

    def on_gpu(values):
        return ag.Tensor(np.asarray(values, dtype=np.float32).view(FakeCudaArray))

    return on_gpu


@pytest.mark.parametrize(
    "op",
    [lambda a, b: a + b, lambda a, b: b * a, lambda a, b: a - b, lambda a, b: a / b,
     lambda a, b: a @ b],
    ids=["add", "mul", "sub", "div", "matmul"],
)
def test_mixing_devices_in_one_op_names_both(fake_gpu, op):
    a = ag.tensor([1.0, 2.0], requires_grad=True)
    b = fake_gpu([3.0, 4.0])
    assert b.device == "cuda:0"
    with pytest.raises(ag.DeviceError) as info:
        op(a, b)
    message = str(info.value)
    assert "on cpu" in message and "on cuda:0" in message and "(2,)" in message
    assert ".to(" in message
    assert not isinstance(info.value, ag.CudaUnavailableError)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_explain_failure_on_two_devices(fake_gpu):
    a, b = ag.ones(2, 3), fake_gpu(np.ones((2, 3)))
    error = AF.Add().explain_failure((a, b), TypeError("mixed"))
    assert isinstance(error, ag.DeviceError)
    assert "shape (2, 3)" in str(error) and "cpu" in str(error) and "cuda:0" in str(error)


# ------------------------------------------------------------------------------------------------
# the backend seam: only backend.py knows the array libraries
# ------------------------------------------------------------------------------------------------

# modules that build the graph or compute with tensors reach arrays only through backend.py
OP_MODULES = ["__init__.py", "autograd.py", "functions.py", "tensor.py", "cuda.py", "errors.py",
              "optim.py", "nn"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def files_of(entries: list[str]) -> list[Path]:
    files = []
    for entry in entries:
        target = PACKAGE / entry
        if target.is_dir():
            files.extend(sorted(target.rglob("*.py")))
        elif target.exists():
            files.append(target)
    return files


def test_op_modules_import_neither_numpy_nor_cupy():
    files = files_of(OP_MODULES)
    assert {f.name for f in files} >= {"functions.py", "tensor.py", "autograd.py"}
    offenders = {
        str(f.relative_to(PACKAGE)): sorted(imported_modules(f) & {"numpy", "cupy", "cupyx"})
        for f in files
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"only backend.py may touch the array libraries: {offenders}"


def test_only_backend_imports_cupy():
    offenders = [
        str(f.relative_to(PACKAGE))
        for f in sorted(PACKAGE.rglob("*.py"))
        if f.name != "backend.py" and imported_modules(f) & {"cupy", "cupyx"}
    ]
    assert not offenders, f"CuPy may be imported only in backend.py, not in {offenders}"


# -- the engine's NumPy: numpy with its reductions called without their Python wrappers ---------

NUMPY_INPUTS = [
    np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5,
    np.array([[1, -2, 3], [4, 5, -6]], dtype=np.int32),
    np.array([True, False, True]),
    np.array(2.5),  # 0-d
    np.array([[np.nan, 1.0], [2.0, 3.0]]),  # nan propagates as in NumPy
]


@pytest.mark.parametrize(("x", "axis"), [
    (x, axis) for x in NUMPY_INPUTS for axis in [None, 0, -1, (0, 1)][: 1 + 2 * x.ndim]
], ids=lambda v: f"{v.dtype}{v.shape}" if isinstance(v, np.ndarray) else f"axis={v}")
@pytest.mark.parametrize("name", ["sum", "max", "min"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_engine_numpy_reductions_equal_numpys(name, x, axis, keepdims):
    ours = getattr(backend.NUMPY.xp, name)(x, axis=axis, keepdims=keepdims)
    theirs = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    assert type(ours) is type(theirs)
    assert np.asarray(ours).dtype == np.asarray(theirs).dtype
    np.testing.assert_array_equal(ours, theirs)


def test_engine_numpy_falls_back_to_numpy_for_everything_else():
    xp = backend.NUMPY.xp
    x = np.arange(6.0).reshape(2, 3)
    assert xp.sum(x, dtype=np.float32).dtype == np.float32
    assert xp.sum([1, 2, 3]) == 6  # not an array: NumPy's own function takes it
    assert xp.max(x, initial=10.0) == 10.0  # a keyword only NumPy's function knows
    assert xp.sum(x, where=x > 2) == 12.0
    assert xp.astype(np.float64(1.5), np.float32).dtype == np.float32
    shared = xp.astype(x, np.float64, copy=False)
    assert shared is x
    with pytest.raises(ValueError, match="zero-size"):
        xp.max(np.zeros((0,)))  # as NumPy says it
    # everything else is numpy's own, lazily loaded submodules included
    assert xp.exp is np.exp and xp.float32 is np.float32 and xp.random is np.random
    assert xp.linalg is np.linalg
