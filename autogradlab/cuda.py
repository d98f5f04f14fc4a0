"""``ag.cuda``: is there a GPU that autogradlab can use (through CuPy)?"""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and can run on at least one GPU."""
    return backend.cuda_status()[0]


def device_count() -> int:
    """How many GPUs CuPy can use (0 when CUDA is unavailable)."""
    return backend.cuda_status()[2]


def why_unavailable() -> str:
    """A sentence saying why CUDA can't be used here ('' when it can)."""
    return backend.cuda_status()[1]
