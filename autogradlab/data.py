"""Small data sets made on the spot (nothing is downloaded), and batches to go through them.

Each maker takes a ``seed`` and uses its own random generator, so the same call always gives the
same points, whatever else the program has drawn (``ag.manual_seed`` does not affect them).

* :func:`line`: noisy points around a straight line, for regression: ``X`` (n, 1), ``y`` (n, 1).
* :func:`moons`, :func:`circles`, :func:`spirals`: two-dimensional points in classes that a
  straight line cannot separate: ``X`` float32 (n, 2), ``y`` int64 (n,) class labels.
* :class:`DataLoader` / :func:`batches`: mini-batches of ``(X, y)``, shuffled if asked.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import backend
from .tensor import Tensor


def _check(n: int, noise: float) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n (the number of points) must be a whole number >= 1, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")


def _points(X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[Tensor, Tensor]:
    """Shuffle the points (so classes are mixed in every batch) and make tensors."""
    order = rng.permutation(len(X))
    return Tensor(X[order].astype(np.float32)), Tensor(y[order].astype(np.int64))


def line(
    n: int = 100, slope: float = 2.0, intercept: float = 1.0, noise: float = 0.1, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """``y = slope * x + intercept + noise``, with ``x`` uniform in [-1, 1]: float32 (n, 1) each."""
    _check(n, noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, 1))
    y = slope * x + intercept + noise * rng.standard_normal((n, 1))
    return Tensor(x.astype(np.float32)), Tensor(y.astype(np.float32))


def moons(n: int = 500, noise: float = 0.1, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles (class 0 on top, class 1 below), as scikit-learn draws them."""
    _check(n, noise)
    rng = np.random.default_rng(seed)
    n_top = n // 2
    n_bottom = n - n_top
    top = np.linspace(0, math.pi, n_top)
    bottom = np.linspace(0, math.pi, n_bottom)
    X = np.concatenate([
        np.stack([np.cos(top), np.sin(top)], axis=1),
        np.stack([1 - np.cos(bottom), 0.5 - np.sin(bottom)], axis=1),
    ])
    X += noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.zeros(n_top), np.ones(n_bottom)])
    return _points(X, y, rng)


def circles(
    n: int = 500, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """A small circle (class 1, radius ``factor``) inside a big one (class 0, radius 1)."""
    _check(n, noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    n_inner = n - n_outer
    outer = np.linspace(0, 2 * math.pi, n_outer, endpoint=False)
    inner = np.linspace(0, 2 * math.pi, n_inner, endpoint=False)
    X = np.concatenate([
        np.stack([np.cos(outer), np.sin(outer)], axis=1),
        factor * np.stack([np.cos(inner), np.sin(inner)], axis=1),
    ])
    X += noise * rng.standard_normal(X.shape)
    y = np.concatenate([np.zeros(n_outer), np.ones(n_inner)])
    return _points(X, y, rng)


def spirals(
    n: int = 500, classes: int = 2, noise: float = 0.05, turns: float = 1.0, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """``classes`` spiral arms winding out from the centre, one class per arm.

    Arm ``k`` starts at angle ``2 pi k / classes`` and makes ``turns`` turns while its radius
    grows from 0 to 1; ``noise`` shifts every point at random.
    """
    _check(n, noise)
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        raise ValueError(f"classes must be a whole number >= 2, got {classes!r}")
    rng = np.random.default_rng(seed)
    sizes = [n // classes + (1 if k < n % classes else 0) for k in range(classes)]
    arms, labels = [], []
    for k, size in enumerate(sizes):
        radius = np.linspace(0.05, 1.0, size)
        angle = 2 * math.pi * k / classes + 2 * math.pi * turns * radius
        arms.append(np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1))
        labels.append(np.full(size, k))
    X = np.concatenate(arms)
    X += noise * rng.standard_normal(X.shape)
    return _points(X, np.concatenate(labels), rng)


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------


class DataLoader:
    """Mini-batches of tensors that share their first dimension: ``for Xb, yb in loader: ...``.

    Each pass (epoch) goes through every example once. With ``shuffle=True`` every pass uses a new
    order, drawn from a generator seeded once with ``seed``, so a run is repeatable. The last
    batch is smaller when ``batch_size`` does not divide the number of examples, unless
    ``drop_last=True``. Differs from PyTorch: takes the tensors directly (no ``Dataset``) and
    slices whole batches at once instead of collecting examples one by one.
    """

    def __init__(
        self,
        data: tuple[Tensor, ...] | list[Tensor],
        batch_size: int = 1,
        shuffle: bool = False,
        seed: int | None = 0,
        drop_last: bool = False,
    ) -> None:
        tensors = tuple(data)
        if not tensors or not all(isinstance(t, Tensor) for t in tensors):
            raise TypeError("DataLoader takes a tuple of tensors, such as (X, y)")
        lengths = {t.shape[0] if t.ndim else None for t in tensors}
        if len(lengths) != 1 or None in lengths:
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(
                f"the tensors must have the same number of examples (first dimension), but "
                f"their shapes are {shapes}."
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}")
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        """The number of batches in one pass."""
        n = self.tensors[0].shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = self.tensors[0].shape[0]
        if self.shuffle:
            first = self.tensors[0]
            host = self._rng.permutation(n)
            namespace = backend.namespace_of(first.data)
            order: Any = namespace.from_host(host, first.device)
        for batch in range(len(self)):
            start = batch * self.batch_size
            if self.shuffle:
                index = Tensor(order[start:start + self.batch_size])
                yield tuple(t[index] for t in self.tensors)
            else:
                yield tuple(t[start:start + self.batch_size] for t in self.tensors)


def batches(
    X: Tensor, y: Tensor, batch_size: int, shuffle: bool = True, seed: int | None = 0
) -> Iterator[tuple[Tensor, Tensor]]:
    """One pass over ``(X, y)`` in batches of ``batch_size`` (the last may be smaller)."""
    yield from DataLoader((X, y), batch_size=batch_size, shuffle=shuffle, seed=seed)
