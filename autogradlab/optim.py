"""Optimizers: turn gradients into parameter updates (``ag.optim.SGD``, ``ag.optim.Adam``).

The training loop is always the same four lines::

    optimizer.zero_grad()          # forget last step's gradients
    loss = loss_fn(model(X), y)    # forward: build the graph
    loss.backward()                # backward: fill every parameter's .grad
    optimizer.step()               # update: move each parameter a little against its gradient

The update rules below are PyTorch's, step for step (momentum buffer started at the first
gradient, Adam's bias correction, weight decay added to the gradient), so the same model on the
same data follows the same path. Updates change each parameter's numbers in place under
``no_grad()``: the parameter stays the same object (the model still holds it) and no graph is built.

Parameter groups work as in PyTorch: pass a list of dicts such as
``[{"params": model[0].parameters(), "lr": 0.1}, {"params": model[2].parameters()}]`` and each
group can have its own settings; ``optimizer.param_groups[0]["lr"] = 0.01`` changes one later.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from . import autograd
from .autograd import no_grad
from .backend import namespace_of
from .tensor import Tensor

Array = Any


class Optimizer:
    """What every optimizer shares: the parameter groups, per-parameter state and ``zero_grad``."""

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__} takes an iterable of tensors, not one tensor: write "
                f"{type(self).__name__}([w], ...)."
            )
        if hasattr(params, "parameters") and callable(params.parameters):
            raise TypeError(
                f"{type(self).__name__} was given the model itself: pass its parameters, as in "
                f"{type(self).__name__}(model.parameters(), lr=...)."
            )
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{type(self).__name__} got an empty list of parameters, so it would have "
                f"nothing to update. Pass model.parameters() of a model that has layers; note "
                f"that model.parameters() is a generator that is empty after one use (call it "
                f"again, or make a list)."
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own settings (the defaults fill in the rest)."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only update tensors, but got a "
                    f"{type(p).__name__} among the parameters."
                )
            if not p.requires_grad or not p.is_leaf:
                raise ValueError(
                    f"{type(self).__name__} can only update leaf tensors that require grad; got "
                    f"one with requires_grad={p.requires_grad}, is_leaf={p.is_leaf}. Create it "
                    f"with requires_grad=True (nn.Parameter does), and pass the parameter "
                    f"itself, not a result computed from it."
                )
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in known for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        full = {**self.defaults, **group, "params": params}
        self._check_settings(full)
        self.param_groups.append(full)

    def _check_settings(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise TypeError(
                f"the learning rate must be a number such as 0.01, not {type(lr).__name__} "
                f"{lr!r}."
            )
        if not lr > 0 or not math.isfinite(lr):
            raise ValueError(
                f"the learning rate must be a positive number (typically 1e-4 to 1), got {lr!r}. "
                f"It is the size of each step downhill: 0 would never move, a negative one "
                f"would climb. (Differs from PyTorch, which accepts lr=0.)"
            )
        if group.get("weight_decay", 0) < 0:
            raise ValueError(f"weight_decay must be >= 0, got {group['weight_decay']!r}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient (``.grad = None``, as in PyTorch 2).

        Needed before each ``backward()``: gradients add up across backward passes.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.data = p.grad.data * 0
        if autograd.has_listeners():
            autograd.announce(autograd.GradientsCleared, optimizer=self,
                              parameters=self._parameters())

    def _parameters(self) -> tuple[Tensor, ...]:
        return tuple(p for group in self.param_groups for p in group["params"])

    def _stepped(self) -> None:
        """Tell the engine's listeners that the parameters changed (free when none listen)."""
        if autograd.has_listeners():
            autograd.announce(autograd.ParametersUpdated, optimizer=self,
                              parameters=self._parameters())

    def step(self) -> None:
        raise NotImplementedError

    # -- saving and loading -------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's memory, as PyTorch lays it out: ``{"state": {index: {...}},
        "param_groups": [{settings..., "params": [indices]}]}``, parameters by position."""
        index_of = {id(p): i for i, p in enumerate(self._parameters())}
        state = {
            index_of[id(p)]: {k: (v.clone() if isinstance(v, Tensor) else v) for k, v in s.items()}
            for p, s in self.state.items() if id(p) in index_of
        }
        groups = [
            {**{k: v for k, v in g.items() if k != "params"},
             "params": [index_of[id(p)] for p in g["params"]]}
            for g in self.param_groups
        ]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (the same parameters, in the same groups)."""
        groups = state_dict.get("param_groups")
        if not isinstance(groups, list) or "state" not in state_dict:
            raise KeyError(
                "an optimizer state_dict has the keys 'state' and 'param_groups'; make it with "
                "optimizer.state_dict()."
            )
        sizes = [len(g["params"]) for g in self.param_groups]
        if [len(g["params"]) for g in groups] != sizes:
            raise ValueError(
                f"the saved state has groups of {[len(g['params']) for g in groups]} parameters, "
                f"but this optimizer has groups of {sizes}: load it into an optimizer made for "
                f"the same parameters."
            )
        params = self._parameters()
        for group, saved in zip(self.param_groups, groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = {}
        for index, saved in state_dict["state"].items():
            p = params[int(index)]
            self.state[p] = {
                k: (Tensor(namespace_of(p.data).xp.asarray(v.data, copy=True))
                    if isinstance(v, Tensor) else v)
                for k, v in saved.items()
            }

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {index}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _refuse(name: str, options: dict[str, Any]) -> None:
    """PyTorch options autogradlab leaves out (``maximize``, ``foreach``...): say so plainly."""
    if options:
        listed = ", ".join(f"{k}={v!r}" for k, v in options.items())
        raise TypeError(
            f"autogradlab's {name} does not support {listed}: it keeps PyTorch's core update "
            f"rule only. Leave the option out, or use torch.optim.{name} for it."
        )


def _gradient(p: Tensor, weight_decay: float) -> Array:
    """The gradient to follow: ``p.grad``, plus ``weight_decay * p`` (L2 regularisation).

    A new array when weight decay is used, so ``p.grad`` itself is never changed.
    """
    grad = p.grad.data
    if weight_decay:
        grad = grad + weight_decay * p.data
    return grad


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's rule exactly).

    For each parameter ``p`` with gradient ``g`` (plus ``weight_decay * p`` if set)::

        buf = g                                   on the first step
        buf = momentum * buf + (1 - dampening) * g   afterwards
        g   = g + momentum * buf   if nesterov else   buf
        p   = p - lr * g

    With ``momentum=0`` this is plain gradient descent, ``p = p - lr * g``. Momentum lets steps
    build up speed along directions the gradient keeps pointing to, like a ball rolling downhill.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        **unsupported: Any,
    ) -> None:
        _refuse("SGD", unsupported)
        if momentum < 0:
            raise ValueError(f"momentum must be >= 0, got {momentum!r}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov=True needs momentum > 0 and dampening = 0 (as in PyTorch)")
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def step(self) -> None:
        """Move every parameter that has a gradient one step (the others are skipped)."""
        with no_grad():
            for group in self.param_groups:
                lr, momentum = group["lr"], group["momentum"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = _gradient(p, group["weight_decay"])
                    if momentum:
                        grad = self._momentum(p, grad, group)
                    p.sub_(grad, alpha=lr)
        self._stepped()

    def _momentum(self, p: Tensor, grad: Array, group: dict[str, Any]) -> Array:
        state = self.state.setdefault(p, {})
        buf = state.get("momentum_buffer")
        if buf is None:  # the first step: the velocity starts as the gradient itself
            buf = state["momentum_buffer"] = Tensor(namespace_of(grad).xp.asarray(grad, copy=True))
        else:
            buf.data *= group["momentum"]
            if group["dampening"]:
                buf.data += (1 - group["dampening"]) * grad
            else:
                buf.data += grad
        if group["nesterov"]:  # look ahead: follow the gradient plus the velocity
            return grad + group["momentum"] * buf.data
        return buf.data


class Adam(Optimizer):
    """Adam: a step per parameter scaled by running averages of its gradient (PyTorch's rule).

    For each parameter ``p`` at step ``t`` (1, 2, ...) with gradient ``g``
    (plus ``weight_decay * p`` if set)::

        m = beta1 * m + (1 - beta1) * g          running mean of the gradient   (starts at 0)
        v = beta2 * v + (1 - beta2) * g * g      running mean of its square     (starts at 0)
        m_hat = m / (1 - beta1 ** t)             bias correction: m and v start at 0, so early
        v_hat = v / (1 - beta2 ** t)             averages are too small; this scales them up
        p = p - lr * m_hat / (sqrt(v_hat) + eps)

    Dividing by ``sqrt(v_hat)`` gives every parameter a step of about ``lr``, whatever the scale
    of its gradient, which is why Adam usually works with the default ``lr=1e-3``.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        **unsupported: Any,
    ) -> None:
        _refuse("Adam", unsupported)
        if amsgrad:
            raise ValueError(
                "autogradlab's Adam does not support amsgrad=True (the AMSGrad variant keeps the "
                "largest second moment seen so far). Leave it out to use plain Adam, or use "
                "PyTorch's torch.optim.Adam(..., amsgrad=True)."
            )
        if not all(0.0 <= beta < 1.0 for beta in betas) or len(betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        if eps < 0:
            raise ValueError(f"eps must be >= 0, got {eps!r}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def step(self) -> None:
        """Move every parameter that has a gradient one step (the others are skipped)."""
        with no_grad():
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    grad = _gradient(p, group["weight_decay"])
                    state = self.state.setdefault(p, {})
                    if not state:
                        xp = namespace_of(p.data).xp
                        state["step"] = 0
                        state["exp_avg"] = Tensor(xp.zeros_like(p.data))
                        state["exp_avg_sq"] = Tensor(xp.zeros_like(p.data))
                    state["step"] += 1
                    m, v = state["exp_avg"].data, state["exp_avg_sq"].data
                    m += (grad - m) * (1 - beta1)  # = beta1 * m + (1 - beta1) * grad (a lerp)
                    v *= beta2
                    v += (1 - beta2) * grad * grad
                    step_size = group["lr"] / (1 - beta1 ** state["step"])
                    denom = namespace_of(v).xp.sqrt(v)
                    denom /= math.sqrt(1 - beta2 ** state["step"])
                    denom += group["eps"]
                    p.sub_(m / denom, alpha=step_size)
        self._stepped()
