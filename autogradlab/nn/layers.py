"""Layers: ``Linear``, ``Sequential`` and the activation modules ``ReLU``, ``Tanh``, ``Sigmoid``."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from .. import backend, creation
from .. import functions as F
from ..autograd import describe
from ..errors import DeviceError
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


class Linear(Module):
    """``y = x @ W.T + b``: every output is a weighted sum of every input, plus a bias.

    ``weight`` has shape ``(out_features, in_features)`` and ``bias`` ``(out_features,)``. The
    forward pass is one graph node, ``AddmmBackward0`` for a batch (PyTorch's name too).

    Initialisation is PyTorch's: ``kaiming_uniform_(weight, a=sqrt(5))``, which works out to
    ``U(-1/sqrt(in_features), 1/sqrt(in_features))``, and the bias drawn from the same range.
    Numbers come from autogradlab's random generator, so ``ag.manual_seed(0)`` repeats them
    (they are not the numbers PyTorch would draw: the generators differ).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ValueError(f"Linear({name}=...) must be a whole number >= 0, got {size!r}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(creation.zeros(out_features, in_features, dtype=dtype,
                                               device=device))
        if bias:
            self.bias = Parameter(creation.zeros(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new weights and bias from ``U(-1/sqrt(in_features), 1/sqrt(in_features))``.

        Why that range: it keeps the spread of each output about the same as that of the inputs
        at the start, whatever the layer's width, so deep stacks neither blow up nor fade away.
        """
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        for param in (self.weight, self.bias):
            if param is not None:
                host = backend.random_uniform(param.shape, -bound, bound)
                param.data = creation.tensor(host, dtype=param.dtype, device=param.device).data

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(
                f"{self!r} takes a Tensor, not {type(x).__name__}: wrap the numbers with "
                f"ag.tensor(...) first."
            )
        if x.device != self.weight.device:
            raise DeviceError(
                f"{self!r} has its parameters on {self.weight.device}, but its input is "
                f"{describe(x)}. Put the model and the data on one device: "
                f"model.to({str(x.device)!r}) or x.to({str(self.weight.device)!r})."
            )
        if self.bias is None:
            return F.Linear.apply(x, self.weight)
        return F.Linear.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Sequential(Module):
    """Modules applied one after another: ``Sequential(Linear(2, 16), ReLU(), Linear(16, 2))``.

    The parts are named ``"0"``, ``"1"``, ... (or by the keys of an ``OrderedDict``), and
    ``model[0]`` is the first one.
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]


class ReLU(Module):
    """``max(0, x)`` elementwise: lets through what is positive, stops the rest."""

    def forward(self, x: Tensor) -> Tensor:
        return F.ReLU.apply(x)


class Tanh(Module):
    """``tanh(x)`` elementwise: squashes every number into (-1, 1)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.Tanh.apply(x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise: squashes every number into (0, 1)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.Sigmoid.apply(x)


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.LeakyRelu.apply(x, negative_slope=self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """``x * Phi(x)`` elementwise (Phi: the normal CDF): a smooth ReLU, used in transformers."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.Gelu.apply(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"
