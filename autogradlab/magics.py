"""``%load_ext autogradlab``: the ``%%autograd`` cell magic.

.. code-block:: python

    %load_ext autogradlab

    %%autograd
    a = ag.tensor(2.0, requires_grad=True)
    L = (a * 3) ** 2
    L.backward()
    L                      # the cell ends with the tensor to animate ...

    %%autograd L           # ... or names it
    ...

The cell runs in the notebook's own namespace (its variables stay defined afterwards), then the
tensor is shown in a :class:`~autogradlab.widgets.GraphPlayer`, its nodes labelled with the
cell's variable names. The cell runs inside ``ag.autograd.record(source=True)``, so every node
remembers the cell line that made it (``ag.viz.why`` and the node inspector show it).
"""

from __future__ import annotations

import ast
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class

from .autograd import record
from .tensor import Tensor

_HOW = "End the cell with the tensor (e.g. a last line `L`), or name it: %%autograd L"


@magics_class
class AutogradMagics(Magics):
    """Magics that show the engine at work."""

    @cell_magic
    def autograd(self, line: str, cell: str) -> Any:
        """Run the cell, then animate the tensor it ends with, or the one named on the line."""
        namespace = self.shell.user_ns
        # one blank line for "%%autograd", so line numbers are the cell's own
        source = "\n" + self.shell.transform_cell(cell)
        # a name IPython knows as this cell ("Cell In[4]"), with its lines in linecache
        filename = self.shell.compile.cache(source, self.shell.execution_count)
        with record(source=True):
            last = run_cell_body(source, namespace, filename)
        name = line.strip()
        if name:
            if not name.isidentifier():
                raise UsageError(f"%%autograd takes one variable name, not {name!r}. {_HOW}")
            if name not in namespace:
                raise UsageError(f"%%autograd: the cell defined no variable named {name!r}.")
            target = namespace[name]
        else:
            target = last
        if not isinstance(target, Tensor):
            what = "nothing" if target is None else f"a {type(target).__name__}"
            raise UsageError(f"%%autograd found nothing to animate: the cell ends with {what}. "
                             f"{_HOW}")
        from .widgets import animate

        return animate(target, names=namespace)


def run_cell_body(
    source: str, namespace: dict[str, Any], filename: str = "<%%autograd cell>"
) -> Any:
    """Run Python ``source`` in ``namespace``; return the value of its last line if that line
    is an expression (as a notebook cell shows it), else None."""
    module = ast.parse(source)
    last = None
    if module.body and isinstance(module.body[-1], ast.Expr):
        last = ast.Expression(module.body.pop().value)
    exec(compile(module, filename, "exec"), namespace)
    if last is None:
        return None
    return eval(compile(last, filename, "eval"), namespace)


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext autogradlab``."""
    ipython.register_magics(AutogradMagics)
