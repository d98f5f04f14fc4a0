"""CPU or GPU: a toggle for lessons, and a fair way to time the same code on both.

.. code-block:: python

    toggle = ag.widgets.DeviceToggle()       # GPU disabled where there is none
    x = ag.randn(1000, 1000).to(toggle.value)

    ag.widgets.time_on_devices(lambda a, b: a @ b, x, x)
    # cpu : 12.1 ms (best of 5)
    # cuda: not timed: no usable GPU here (ag.cuda.why_unavailable() says why)

Where no GPU can be used, both say so in the same words on every machine; the machine's own
reason (CuPy missing, a driver too old, ...) is one call away, ``ag.cuda.why_unavailable()``,
so a saved notebook never carries the error text of the machine that last ran it.

A GPU runs asynchronously: a call returns before the work is done. Timing on the GPU therefore
waits for the device to finish (``synchronize``) before stopping the clock, and the first call
(which compiles kernels and allocates memory) is not counted.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from .. import backend, cuda
from ..backend import Device
from ..tensor import Tensor

#: what the views say where no GPU can be used (the same on every machine)
NO_GPU = "no usable GPU here (ag.cuda.why_unavailable() says why)"


class DeviceToggle(widgets.HBox):
    """CPU / GPU buttons. Where no GPU can be used, GPU is disabled and a note says so.

    ``value`` is ``"cpu"`` or ``"cuda"`` (pass it to ``tensor.to(...)``); ``device`` is the same
    as an ``ag.device``. Observe ``buttons`` (a ``ToggleButtons``) to react to a change.
    """

    def __init__(self, value: str = "cpu") -> None:
        self.available = cuda.is_available()
        self.buttons = widgets.ToggleButtons(
            options=[("CPU", "cpu"), ("GPU", "cuda")],
            value=value if self.available else "cpu",
            disabled=not self.available,
            tooltips=["NumPy on the processor", "CuPy on an NVIDIA GPU"],
            style={"button_width": "70px"},
        )
        reason = "" if self.available else NO_GPU
        self.note = widgets.HTML(
            f"<span style='color:#6b7280;font-size:12px'>{html.escape(reason)}</span>"
        )
        super().__init__([self.buttons, self.note], layout=widgets.Layout(align_items="center"))
        self.add_class("autogradlab-device")

    @property
    def value(self) -> str:
        return self.buttons.value

    @property
    def device(self) -> Device:
        return Device(self.value)


@dataclass
class DeviceTiming:
    """Seconds per call on each device (best of ``repeat``), and why a device was skipped."""

    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    repeat: int = 5

    @property
    def speedup(self) -> float | None:
        """How many times faster the GPU was (None when it was not timed)."""
        if "cpu" in self.seconds and "cuda" in self.seconds:
            return self.seconds["cpu"] / self.seconds["cuda"]
        return None

    def __repr__(self) -> str:
        lines = [
            f"{d:<4}: {s * 1e3:.3g} ms (best of {self.repeat})" for d, s in self.seconds.items()
        ]
        lines += [f"{d:<4}: not timed: {why}" for d, why in self.skipped.items()]
        if self.speedup is not None:
            lines.append(f"the GPU was {self.speedup:.3g}x as fast")
        return "\n".join(lines)


def _move(arg: Any, device: str) -> Any:
    if not isinstance(arg, Tensor):
        return arg
    moved = arg.detach().to(device)
    return moved.requires_grad_() if arg.requires_grad else moved


def _synchronize(device: str) -> None:
    backend.synchronize(device)  # GPUs run asynchronously: wait before reading the clock


def time_on_devices(fn: Callable[..., Any], *args: Any, repeat: int = 5) -> DeviceTiming:
    """Time ``fn(*args)`` on the CPU and, where one can be used, on the GPU.

    Tensor arguments are copied to each device first (outside the clock); other arguments are
    passed as they are. One untimed warm-up call runs on each device.
    """
    timing = DeviceTiming(repeat=repeat)
    devices = ["cpu"]
    if cuda.is_available():
        devices.append("cuda")
    else:
        timing.skipped["cuda"] = NO_GPU
    for device in devices:
        moved = [_move(a, device) for a in args]
        fn(*moved)
        _synchronize(device)
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            fn(*moved)
            _synchronize(device)
            best = min(best, time.perf_counter() - start)
        timing.seconds[device] = best
    return timing
