"""``ag.torch``: record what real PyTorch code computed, so autogradlab's views can show it.

PyTorch's graph (the ``grad_fn`` objects behind a tensor) keeps only what backward needs: the
forward values of most operations are gone once they ran. Inside ``ag.torch.record()`` every
operation's result is copied to the host as it is computed, together with the ``nn.Module``
calls it ran in, so that ``ag.viz.trace(loss)``, ``draw``, ``explain`` and ``ag.animate`` show the
value of every node and can fold the picture by module::

    import autogradlab as ag
    with ag.torch.record():
        loss = loss_fn(model(x), y)
    ag.viz.draw(loss, model=model)

How: a ``TorchDispatchMode`` (PyTorch's own extension point below autograd) sees each ATen
operation; right after it, autograd gives the result its ``grad_fn``, which is how a recorded
value finds its node. Module calls are followed with PyTorch's global module hooks. Both are
removed when the block ends, so code outside the block runs exactly as before, at no cost.

PyTorch is imported only when ``record()`` is called.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: recordings kept for the views (the oldest are forgotten, with the graphs they hold)
MAX_RECORDINGS = 8
#: a result still without a ``grad_fn`` is checked again at this many later operations
_PATIENCE = 3


class Recording:
    """What one ``with ag.torch.record():`` block saw.

    ``values`` maps ``id(grad_fn)`` to (the ``grad_fn`` itself, its result as a NumPy array, the
    ``nn.Module`` objects it ran in, outermost first, the numbers and the tensors that need no
    gradient it was given, by argument position, and the line of your code that ran it).
    Holding the ``grad_fn`` keeps its id (and PyTorch's Python object for it) stable.
    """

    def __init__(self) -> None:
        self.values: dict[int, tuple[Any, ...]] = {}
        self.modules: list[Any] = []  # the stack of module calls now running
        self._pending: list[list[Any]] = []  # [tensor, value, modules, numbers, constants,
        #                                        source line, rounds left]
        self.operations = 0

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"<ag.torch recording: {self.operations} operations, {len(self)} graph nodes>"

    def lookup(self, fn: Any) -> tuple[Any, ...] | None:
        """(value, modules, numbers, constant tensors, source line) recorded for ``fn``."""
        found = self.values.get(id(fn))
        if found is None or found[0] is not fn:
            return None
        return found[1:]

    # -- called by the dispatch mode -------------------------------------------------------------

    def _resolve(self, final: bool = False) -> None:
        """Give each recent result to its ``grad_fn`` (set by autograd after the operation)."""
        keep = []
        for item in self._pending:
            tensor, value, modules, numbers, constants, source, rounds = item
            fn = tensor.grad_fn
            if fn is not None:
                if id(fn) not in self.values and getattr(tensor, "output_nr", 0) == 0:
                    self.values[id(fn)] = (fn, value, modules, numbers, constants, source)
            elif rounds > 0 and not final:
                item[6] = rounds - 1
                keep.append(item)
        self._pending = keep

    def _saw(self, func: Any, args: tuple[Any, ...], out: Any) -> None:
        import torch

        self.operations += 1
        outputs = out if isinstance(out, tuple | list) else (out,)
        numbers: dict[int, Any] = {}
        constants: dict[int, Any] = {}  # tensors that need no gradient (data, targets)
        for k, arg in enumerate(args):
            if isinstance(arg, bool):
                continue
            if isinstance(arg, int | float):
                numbers[k] = arg
            elif isinstance(arg, torch.Tensor) and arg.numel() == 1 and arg.dim() == 0 \
                    and not arg.requires_grad and arg.dtype.is_floating_point:
                number = float(arg.item())
                numbers[k] = int(number) if number.is_integer() and abs(number) < 1e9 else number
            elif isinstance(arg, torch.Tensor) and not arg.requires_grad \
                    and arg.dtype.is_floating_point:
                constants[k] = arg
        modules = tuple(self.modules)
        source = _caller_line()
        for tensor in outputs:
            if isinstance(tensor, torch.Tensor) and tensor.dtype.is_floating_point:
                value = tensor.detach().to("cpu").numpy().copy()
                self._pending.append([tensor, value, modules, numbers, constants, source,
                                      _PATIENCE])


_RECORDINGS: deque[Recording] = deque(maxlen=MAX_RECORDINGS)
#: frames of these files are PyTorch's or autogradlab's, not the learner's code
_LIBRARY_FILES = ("/torch/", "autogradlab/", "/contextlib.py", "/functools.py")


def _caller_line() -> Any:
    """The learner's line of code that ran the operation (for ``ag.viz.why``), or None."""
    import linecache

    from .autograd import SourceLine

    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename.replace("\\", "/")
        if not any(part in name for part in _LIBRARY_FILES):
            text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
            return SourceLine(frame.f_code.co_filename, frame.f_lineno, text)
        frame = frame.f_back
    return None


def lookup(fn: Any) -> tuple[Any, ...] | None:
    """(value, modules, numbers, constant tensors) a recording saw for ``grad_fn`` ``fn``."""
    for recording in reversed(_RECORDINGS):
        found = recording.lookup(fn)
        if found is not None:
            return found
    return None


def clear() -> None:
    """Forget every recording (and let go of the graphs they hold)."""
    _RECORDINGS.clear()


_MODE_CLASS: Any = None


def _mode_class() -> Any:
    global _MODE_CLASS
    if _MODE_CLASS is None:
        from torch.utils._python_dispatch import TorchDispatchMode

        class _RecordingMode(TorchDispatchMode):
            @classmethod
            def _should_skip_dynamo(cls) -> bool:
                # not wrapped for torch.compile: that would import torch._dynamo (seconds) on
                # first use, for a mode that is never compiled
                return False

            def __init__(self, recording: Recording) -> None:
                super().__init__()
                self.recording = recording

            def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
                self.recording._resolve()
                out = func(*args, **(kwargs or {}))
                self.recording._saw(func, args, out)
                return out

        _MODE_CLASS = _RecordingMode
    return _MODE_CLASS


@contextmanager
def record() -> Iterator[Recording]:
    """Record the forward value of every PyTorch operation run inside the block.

    The views then show each node's value (without a recording, a node shows only what its
    ``grad_fn`` saved for backward, or its shape) and fold the picture by ``nn.Module``.
    Yields the :class:`Recording`; the views find it by themselves.
    """
    import torch
    from torch.nn.modules import module as torch_module

    recording = Recording()

    def entered(module: Any, inputs: Any) -> None:
        recording.modules.append(module)

    def left(module: Any, inputs: Any, output: Any) -> None:
        if recording.modules and recording.modules[-1] is module:
            recording.modules.pop()

    handles = [
        torch_module.register_module_forward_pre_hook(entered),
        torch_module.register_module_forward_hook(left, always_call=True),
    ]
    _RECORDINGS.append(recording)
    try:
        with _mode_class()(recording):
            yield recording
    finally:
        for handle in handles:
            handle.remove()
        recording._resolve(final=True)
        del torch


#: ``ag.torch`` is this module (``autogradlab/__init__.py`` loads it on first use)
this = sys.modules[__name__]

__all__ = ["Recording", "clear", "lookup", "record"]
