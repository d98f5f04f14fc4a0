"""``Module``: the base class of every layer, activation, loss and model.

A module is a small object with a ``forward`` method and some state. Three ideas make it useful:

* **Registration.** Assigning a :class:`Parameter` or another ``Module`` to an attribute
  (``self.fc = Linear(2, 16)``) records it, in order, so ``parameters()`` can find every number
  the model learns, however deeply nested, and ``repr(model)`` can print the whole tree.
* **Calling.** ``model(x)`` runs ``model.forward(x)``. It also labels the graph nodes the call
  created with the module's place in the model (see :ref:`module_path` below), so a picture of
  the graph can draw a box around "layer 0".
* **Modes and devices.** ``train()`` / ``eval()`` set ``.training`` on every module (layers such
  as dropout would behave differently; none here does yet), and ``to("cuda")`` moves every
  parameter's numbers in place.

.. _module_path:

Graph labels: ``module_path``
-----------------------------
Every graph node (:class:`~autogradlab.autograd.Function`) created while a module's ``forward``
runs, and reachable from what it returns, gets two attributes:

* ``node.module_path``: the dotted name of the innermost module that created it, relative to the
  outermost module being called, as in ``model.named_modules()``: ``"0"``, ``"layer1.fc"``.
  Nodes made by the outermost module's own ``forward`` get its class name (``"MSELoss"``).
* ``node.module_type``: that module's class name (``"Linear"``, ``"MSELoss"``).

Nodes created outside any module call have neither attribute
(``getattr(node, "module_path", None)`` is ``None``).

How: each call remembers the engine's node counter when it starts; when ``forward`` returns, it
walks back from the outputs through the nodes numbered after that start and labels those that an
inner module has not labelled already. Only the nodes of this call are visited, and nothing is
done when no graph is being recorded (``no_grad``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from .. import autograd, backend
from ..tensor import Tensor
from .parameter import Parameter

#: the modules being called right now, outermost first, as (module, path) pairs
_call_stack: list[tuple[Module, str]] = []


class Module:
    """Base class of layers and models: subclass it, build parts in ``__init__``, write ``forward``.

    Example::

        class MLP(ag.nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = ag.nn.Linear(2, 16)
                self.out = ag.nn.Linear(16, 2)

            def forward(self, x):
                return self.out(self.hidden(x).relu())
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _modules: dict[str, Module]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # -- registration -----------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        """Record parameters and sub-modules (in assignment order) besides setting the attribute.

        The attribute stays a normal attribute, so reading ``self.weight`` costs nothing extra.
        """
        if isinstance(value, Parameter | Module) and "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() ran: call "
                f"super().__init__() at the top of {type(self).__name__}.__init__."
            )
        registry = self.__dict__.get("_parameters", {})
        children = self.__dict__.get("_modules", {})
        if isinstance(value, Parameter):
            children.pop(name, None)
            registry[name] = value
        elif isinstance(value, Module):
            registry.pop(name, None)
            children[name] = value
        elif name in registry:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to parameter {name!r} of "
                    f"{type(self).__name__}: wrap it as ag.nn.Parameter(...) (or assign None). "
                    f"To change a parameter's numbers, update .data in place under ag.no_grad()."
                )
            registry[name] = None
        elif name in children:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to sub-module {name!r} of "
                    f"{type(self).__name__}: only a Module (or None) can replace it."
                )
            del children[name]
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """``setattr(self, name, param)`` for names chosen at run time."""
        if param is None:
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def add_module(self, name: str, module: Module) -> None:
        """``setattr(self, name, module)`` for names chosen at run time (``Sequential`` uses it)."""
        if not isinstance(module, Module):
            raise TypeError(f"{name!r} must be an ag.nn.Module, not {type(module).__name__}")
        setattr(self, name, module)

    # -- walking the tree ---------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (named ``prefix``, ``""`` at the top) and every module inside it."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            inner = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items()]
            stack.extend(reversed(inner))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(
        self, prefix: str = "", recurse: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``("0.weight", Parameter)`` pairs, each parameter once, in registration order."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter to learn: what you give an optimizer."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    # -- training helpers -------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter (``.grad = None``, as in PyTorch 2)."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad.data = param.grad.data * 0

    def train(self, mode: bool = True) -> Module:
        """Set ``.training`` on this module and every module inside it; returns ``self``."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """``train(False)``: the mode for evaluating and predicting."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def to(self, target: Any = None, dtype: Any = None) -> Module:
        """Move (``"cuda"``, ``"cpu"``) and/or convert (``ag.float64``) every parameter, in place.

        Like PyTorch, the parameters stay the same objects (an optimizer made earlier still
        holds them): only their ``.data`` is replaced, and so is the ``.data`` of their
        gradients. Returns ``self``, so ``model = Model().to("cuda")`` reads naturally.
        """
        for param in self.parameters():
            param.data = _converted(param, target, dtype)
            if param.grad is not None:
                param.grad.data = _converted(param.grad, target, dtype)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Module:
        return self.to(backend.Device("cuda", index))

    def double(self) -> Module:
        return self.to(backend.float64)

    def float(self) -> Module:
        return self.to(backend.float32)

    # -- calling ------------------------------------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): define `def forward(self, x): ...` to say "
            f"what calling the module computes."
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` and label the graph nodes it made with this module's path."""
        if not autograd.is_grad_enabled():  # no graph is recorded, so there is nothing to label
            return self.forward(*args, **kwargs)
        path = _path_of(self)
        # every node created from now on gets a larger sequence number than this one
        start = next(autograd._sequence)
        _call_stack.append((self, path))
        try:
            result = self.forward(*args, **kwargs)
        finally:
            _call_stack.pop()
        # the outermost module's own nodes are named after its class (a loss called on its own
        # reads "CrossEntropyLoss" in pictures, not an empty name)
        _label_nodes(result, start, path or type(self).__name__, type(self).__name__)
        return result

    # -- saving and loading -------------------------------------------------------------------

    def state_dict(self) -> dict[str, Tensor]:
        """Every parameter by its dotted name (``"0.weight"``), as PyTorch names them.

        The values are detached tensors that share memory with the parameters (as in PyTorch):
        copy them (``{k: v.clone() for ...}``) to keep a snapshot while training goes on.
        """
        return {name: p.detach() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any:
        """Copy the numbers of ``state_dict`` into this module's parameters (in place).

        With ``strict=True`` (the default, as in PyTorch) the keys must match exactly; a missing
        or unexpected key, or a shape that differs, is an error that lists them all.
        """
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        wrong = [
            f"{k}: {tuple(_shape_of(v))} in the state_dict, {own[k].shape} in the module"
            for k, v in state_dict.items() if k in own and tuple(_shape_of(v)) != own[k].shape
        ]
        problems = []
        if strict and missing:
            problems.append("missing key(s): " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.append("unexpected key(s): " + ", ".join(repr(k) for k in unexpected))
        if wrong:
            problems.append("size mismatch for " + "; ".join(wrong))
        if problems:
            raise KeyError(
                f"cannot load this state_dict into {type(self).__name__}: "
                + "; ".join(problems) + ". Keys are the names of model.named_parameters()."
            )
        with autograd.no_grad():
            for name, value in state_dict.items():
                if name in own:
                    own[name].copy_(value if isinstance(value, Tensor) else Tensor(value))
        return _LoadResult(missing, unexpected)

    # -- printing -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """What goes between the parentheses in ``repr`` (``in_features=2, ...``)."""
        return ""

    def __repr__(self) -> str:
        lines = self.extra_repr().split("\n") if self.extra_repr() else []
        for name, module in self._modules.items():
            inner = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {inner}")
        if not self._modules and len(lines) <= 1:
            return f"{type(self).__name__}({''.join(lines)})"
        body = "\n  ".join(lines)
        return f"{type(self).__name__}(\n  {body}\n)"


class _LoadResult(NamedTuple):
    """What ``load_state_dict`` returns, as in PyTorch."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _shape_of(value: Any) -> tuple[int, ...]:
    return tuple(getattr(value, "shape", ()))


def _converted(t: Tensor, target: Any, dtype: Any) -> Any:
    """The array of ``t`` on another device and/or with another dtype (no graph is recorded)."""
    with autograd.no_grad():
        return t.detach().to(target, dtype=dtype).data


def _path_of(module: Module) -> str:
    """``module``'s dotted name inside the outermost module being called (``""`` for that one)."""
    if not _call_stack:
        return ""
    parent, parent_path = _call_stack[-1]
    name = next((n for n, m in parent._modules.items() if m is module), None)
    if name is None:  # not a registered child (made on the fly, or kept in a plain list)
        name = type(module).__name__
    return f"{parent_path}.{name}" if parent_path else name


def _label_nodes(result: Any, start: int, path: str, kind: str) -> None:
    """Set ``module_path``/``module_type`` on the unlabelled nodes after ``start`` behind result."""
    stack = [t.grad_fn for t in _tensors_in(result) if t.grad_fn is not None]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen or node.seq <= start:
            continue  # visited already, or made before this call (its inputs are older still)
        seen.add(id(node))
        if getattr(node, "module_path", None) is None:  # inner modules label their own nodes
            node.module_path = path
            node.module_type = kind
        for x in node.inputs:
            if isinstance(x, Tensor) and x.grad_fn is not None:
                stack.append(x.grad_fn)


def _tensors_in(result: Any) -> list[Tensor]:
    """The tensors in what ``forward`` returned: a tensor, or a tuple/list/dict holding some."""
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, dict):
        result = list(result.values())
    if isinstance(result, tuple | list):
        return [t for item in result for t in _tensors_in(item)]
    return []
