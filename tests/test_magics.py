"""``%load_ext autogradlab`` and ``%%autograd``, in a real IPython shell."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython

from autogradlab.widgets import GraphPlayer

CELL = """\
import autogradlab as ag
a = ag.tensor(2.0, requires_grad=True)
b = a * 3
L = b ** 2
L.backward()
"""


@pytest.fixture(scope="module")
def ip():
    shell = start_ipython()
    shell.run_line_magic("load_ext", "autogradlab")
    return shell


def test_cell_magic_animates_the_last_expression(ip):
    result = ip.run_cell("%%autograd\n" + CELL + "L\n")
    assert result.success, result.error_in_exec
    player = result.result
    assert isinstance(player, GraphPlayer)
    assert player.graph.output == "L"  # named from the cell's own variables
    assert player.graph.forward_order == ["b", "L"]
    assert ip.user_ns["a"].grad.item() == 36.0  # the cell ran in the user's namespace
    assert "∂L/∂a = 36" in player.captions.children[-2].value


def test_cell_magic_animates_the_named_tensor(ip):
    result = ip.run_cell("%%autograd b\n" + CELL)
    assert result.success, result.error_in_exec
    assert result.result.graph.output == "b"
    assert result.result.graph.forward_order == ["b"]


def test_cell_magic_says_when_there_is_nothing_to_animate(ip, capsys):
    result = ip.run_cell("%%autograd\nx = 1\n")
    assert isinstance(result.error_in_exec, UsageError)
    assert "nothing to animate" in str(result.error_in_exec)
    assert "%%autograd L" in str(result.error_in_exec)
    result = ip.run_cell("%%autograd\n3 + 4\n")
    assert "ends with a int" in str(result.error_in_exec)
    result = ip.run_cell("%%autograd missing\nx = 1\n")
    assert "no variable named 'missing'" in str(result.error_in_exec)


def test_extension_registers_the_magic(ip):
    assert "autograd" in ip.magics_manager.magics["cell"]
