"""``Parameter``: a tensor that a module learns.

A parameter is an ordinary leaf tensor with ``requires_grad=True``. The subclass exists for one
reason: when a :class:`~autogradlab.nn.Module` sees a ``Parameter`` assigned to one of its
attributes (``self.weight = Parameter(...)``), it adds it to the list that ``parameters()``
returns, which is the list an optimizer updates.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor


class Parameter(Tensor):
    """A tensor to be learned: ``Parameter(ag.randn(3, 2))`` shares the numbers of its argument.

    Results of operations on a parameter are plain tensors (only the leaf is a ``Parameter``).
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = Tensor([]).data
        if isinstance(data, Tensor) and data.grad_fn is not None:
            data = data.detach()  # a parameter is a leaf: it keeps the numbers, not the history
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
