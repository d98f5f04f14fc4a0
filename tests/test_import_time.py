"""``import autogradlab`` stays fast: drawing and widget libraries load only when first used."""

from __future__ import annotations

import json
import subprocess
import sys
import time

HEAVY = ["matplotlib", "networkx", "ipywidgets", "IPython", "torch", "cupy", "scipy", "pandas"]


def _python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout


def _best_wall_time(code: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        best = min(best, time.perf_counter() - start)
    return best


def test_python_c_import_autogradlab_is_under_0_3_s():
    # `python -c "import autogradlab"` in a fresh interpreter, best of 3; the bare interpreter's
    # own start-up (`python -c pass`, which includes site-packages hooks) is not ours to count
    interpreter = _best_wall_time("pass")
    total = _best_wall_time("import autogradlab")
    assert total - interpreter < 0.3, (
        f"import autogradlab took {total - interpreter:.3f} s on top of the interpreter's "
        f"{interpreter:.3f} s start (best of 3); the budget is 0.3 s"
    )


def test_autogradlab_own_share_after_numpy_is_small():
    code = (
        "import time, numpy; t = time.perf_counter(); import autogradlab; "
        "print(time.perf_counter() - t)"
    )
    best = min(float(_python(code)) for _ in range(3))
    assert best < 0.15, f"autogradlab's own modules took {best:.3f} s to import (after NumPy)"


def test_heavy_libraries_are_not_imported():
    loaded = json.loads(_python(
        "import sys, json, autogradlab as ag; "
        "x = ag.tensor([1., 2.], requires_grad=True); (x * x).sum().backward(); repr(x.grad); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    ))
    assert loaded == [], f"import autogradlab pulled in {loaded}"
