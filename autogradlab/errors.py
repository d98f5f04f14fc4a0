"""Errors that teach.

Every error autogradlab raises says what went wrong, names the tensors involved (their shapes,
dtypes and devices) and says what to do about it. They subclass the built-in exception a
Python or PyTorch user would expect (``ValueError`` for shapes, ``TypeError`` for types,
``RuntimeError`` for graph misuse), so ``except RuntimeError`` code ported from PyTorch still works.
"""

from __future__ import annotations


class AutogradError(RuntimeError):
    """Base class of every error autogradlab raises on purpose."""


class ShapeError(AutogradError, ValueError):
    """Two shapes that an operation cannot combine."""


class DeviceError(AutogradError):
    """Tensors on two devices in one operation, or a device that cannot be used."""


class CudaUnavailableError(DeviceError):
    """CUDA was asked for, but CuPy is missing or no usable GPU was found."""


class DTypeError(AutogradError, TypeError):
    """A dtype that an operation cannot use (for example ``requires_grad`` on integers)."""


class GraphFreedError(AutogradError):
    """A second backward pass through a graph whose buffers were already used up."""


class InPlaceError(AutogradError):
    """An in-place change to a tensor that the backward pass still needs."""


class BackwardError(AutogradError):
    """``backward()`` called in a way that has no single answer (e.g. a non-scalar output)."""
