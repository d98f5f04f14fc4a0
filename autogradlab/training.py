"""A training loop you can watch: ``history = ag.train(model, loss_fn, optimizer, (X, y))``.

It is the loop every PyTorch program writes by hand, with a progress bar::

    for epoch in range(epochs):
        for Xb, yb in batches:
            optimizer.zero_grad()
            loss = loss_fn(model(Xb), yb)
            loss.backward()
            optimizer.step()

Press the stop button (or Ctrl-C) at any time: training stops where it is, the model keeps what it
has learned so far, and the loss history up to there is returned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .autograd import describe, no_grad
from .data import DataLoader
from .errors import DeviceError
from .tensor import Tensor


def train(
    model: Any,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: Any,
    data: tuple[Tensor, Tensor],
    epochs: int = 100,
    batch_size: int | None = None,
    callback: Callable[[int, float], Any] | None = None,
    progress: bool = True,
    seed: int | None = 0,
) -> list[float]:
    """Train ``model`` on ``data = (X, y)`` for ``epochs`` passes; return the loss history.

    * ``batch_size=None`` uses all of the data in every step (one step per epoch); otherwise each
      epoch goes through the data in shuffled batches (the order seeded by ``seed``).
    * The history holds **one float per optimizer step**: the loss of the batch just before that
      step. With ``batch_size=None`` that is one per epoch.
    * ``callback(epoch, loss)`` runs after each epoch, with the epoch number (from 1) and the
      mean loss of its steps; if it returns ``True``, training stops there
      (``callback=lambda epoch, loss: loss < 0.01`` stops once the loss is small).
    * ``progress=False`` hides the progress bar (which shows the latest loss).
    """
    X, y = _check_data(data)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
    _check_devices(model, X)
    loader = (
        [(X, y)] if batch_size is None
        else DataLoader((X, y), batch_size=batch_size, shuffle=True, seed=seed)
    )
    history: list[float] = []
    bar = _progress_bar(epochs, progress)
    epoch = 0
    train_mode = getattr(model, "train", None)
    if callable(train_mode):
        train_mode()
    try:
        for epoch in range(1, epochs + 1):
            first = len(history)
            for Xb, yb in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(Xb), yb)
                loss.backward()
                optimizer.step()
                history.append(loss.item())
            epoch_loss = sum(history[first:]) / max(len(history) - first, 1)
            if bar is not None:
                bar.set_postfix(loss=f"{history[-1]:.4f}", refresh=False)
                bar.update(1)
            if callback is not None and callback(epoch, epoch_loss) is True:
                break
    except KeyboardInterrupt:
        if bar is not None:
            bar.close()
            bar = None
        print(
            f"Training interrupted in epoch {epoch} of {epochs} after {len(history)} steps: "
            f"the model keeps what it learned; returning the loss history so far."
        )
    finally:
        if bar is not None:
            bar.close()
    return history


def accuracy(model: Any, X: Tensor, y: Tensor) -> float:
    """The fraction of examples (0 to 1) whose predicted class is ``y``.

    The prediction is the largest logit of each row (``argmax``); a model with one output per
    example predicts class 1 where that output (a logit) is above 0. Runs under ``no_grad()`` in
    eval mode, then puts the model back in the mode it was in.
    """
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            logits = model(X)
    finally:
        if was_training:
            model.train()
    predicted = predict_classes(logits)
    if predicted.shape != y.shape:
        raise ValueError(
            f"accuracy compares one predicted class per example with y, but the model gave "
            f"{predicted.shape[0] if predicted.ndim else 1} predictions and y has shape {y.shape}."
        )
    return float((predicted == y.numpy()).mean())


def predict_classes(logits: Tensor) -> Any:
    """Host (NumPy) array of class indices: argmax per row, or ``logit > 0`` for one output."""
    host = logits.detach().numpy()
    if host.ndim == 2 and host.shape[1] > 1:
        return host.argmax(axis=1)
    return (host.reshape(host.shape[0]) > 0).astype("int64")


def _check_data(data: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(data, tuple | list) or len(data) != 2:
        raise TypeError(
            f"data must be a pair (X, y) of tensors, e.g. ag.data.moons(), not "
            f"{type(data).__name__}."
        )
    X, y = data
    if not isinstance(X, Tensor) or not isinstance(y, Tensor):
        raise TypeError("data must be a pair (X, y) of tensors: wrap arrays with ag.tensor(...)")
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y must have one row per example, the same number of rows, but X has shape "
            f"{X.shape} and y has shape {y.shape}."
        )
    if X.device != y.device:
        raise DeviceError(f"X is {describe(X)} but y is {describe(y)}: put both on one device.")
    return X, y


def _check_devices(model: Any, X: Tensor) -> None:
    parameters = getattr(model, "parameters", None)
    if not callable(parameters):
        return
    for param in parameters():
        if param.device != X.device:
            raise DeviceError(
                f"the model's parameters are on {param.device} but the data is {describe(X)}. "
                f"Move one of them: model.to({str(X.device)!r}) or "
                f"X, y = X.to({str(param.device)!r}), y.to({str(param.device)!r})."
            )
        return


def _progress_bar(epochs: int, show: bool) -> Any:
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=epochs, desc="training", unit="epoch")
