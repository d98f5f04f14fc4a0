"""Errors are lessons: each names the tensors (shapes, devices) and says what to do.

None of them may be a bare AssertionError or a NumPy traceback from deep inside the engine: where
autogradlab re-raises a library error it does so ``from None``, so the learner sees one message.
"""

from __future__ import annotations

import numpy as np
import pytest

import autogradlab as ag


def no_library_traceback(error: BaseException) -> None:
    """The error is ours, and no NumPy/CuPy exception hangs off it."""
    assert not isinstance(error, AssertionError)
    assert type(error).__module__.split(".")[0] in {"autogradlab", "builtins"}, type(error)
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None


@pytest.mark.parametrize(
    "a_shape, b_shape, op",
    [((3, 4), (5, 4), lambda a, b: a + b), ((2, 3), (2,), lambda a, b: a * b),
     ((4,), (5,), lambda a, b: a - b), ((2, 3), (2,), lambda a, b: a / b)],
    ids=["add", "mul", "sub", "div"],
)
def test_shape_mismatch_in_elementwise_ops_names_both_shapes(a_shape, b_shape, op):
    a = ag.zeros(*a_shape, requires_grad=True)
    b = ag.zeros(*b_shape)
    with pytest.raises(ag.ShapeError) as info:
        op(a, b)
    message = str(info.value)
    assert str(a_shape) in message and str(b_shape) in message
    assert "broadcast" in message and "float32" in message and "cpu" in message
    assert isinstance(info.value, ValueError)  # `except ValueError` code keeps working
    no_library_traceback(info.value)


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((3, 4), (3, 4)), ((2, 3), (4,)), ((5,), (4, 2)), ((2, 3, 4), (2, 5, 6))],
)
def test_shape_mismatch_in_matmul_names_both_shapes(a_shape, b_shape):
    a, b = ag.ones(*a_shape, requires_grad=True), ag.ones(*b_shape)
    with pytest.raises(ag.ShapeError) as info:
        a @ b
    message = str(info.value)
    assert str(a_shape) in message and str(b_shape) in message
    assert "transpose" in message
    no_library_traceback(info.value)


def test_matmul_with_a_number_says_it_needs_tensors():
    with pytest.raises(TypeError, match="Tensor on both sides"):
        ag.ones(2, 2) @ 3


def test_reshape_to_a_wrong_size():
    with pytest.raises(ag.ShapeError, match=r"\(2, 3\).*6 numbers.*\(4, 2\)") as info:
        ag.zeros(2, 3).reshape(4, 2)
    no_library_traceback(info.value)


def test_reduction_over_a_missing_dim():
    with pytest.raises(ag.ShapeError, match="dim=2 is out of range") as info:
        ag.zeros(2, 3).sum(dim=2)
    no_library_traceback(info.value)


def test_max_over_several_dims_is_a_clear_type_error():
    with pytest.raises(TypeError, match="one dimension") as info:
        ag.zeros(2, 3).max(dim=(0, 1))
    no_library_traceback(info.value)


def test_index_out_of_range():
    with pytest.raises(IndexError, match=r"shape \(3,\)") as info:
        ag.zeros(3, requires_grad=True)[5]
    no_library_traceback(info.value)


def test_backward_on_non_scalar_without_gradient():
    x = ag.ones(2, 3, requires_grad=True)
    with pytest.raises(ag.BackwardError) as info:
        (x * 2).backward()
    message = str(info.value)
    assert "(2, 3)" in message and "6 numbers" in message
    assert ".sum().backward()" in message and "gradient=" in message
    assert isinstance(info.value, RuntimeError)
    no_library_traceback(info.value)


def test_backward_gradient_of_the_wrong_shape():
    x = ag.ones(3, requires_grad=True)
    with pytest.raises(ag.ShapeError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(gradient=ag.ones(2))


def test_second_backward_through_a_freed_graph():
    x = ag.ones(3, requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(ag.GraphFreedError) as info:
        loss.backward()
    assert "MulBackward0" in str(info.value) and "retain_graph=True" in str(info.value)
    assert isinstance(info.value, RuntimeError)
    no_library_traceback(info.value)


def test_in_place_change_of_a_saved_input_is_detected():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    x = ag.tensor([3.0, 4.0])
    y = w * x
    x.mul_(2)
    with pytest.raises(ag.InPlaceError) as info:
        y.sum().backward()
    message = str(info.value)
    assert "MulBackward0" in message and "(2,)" in message
    assert "version 1" in message and "out-of-place" in message
    assert w.grad is None
    no_library_traceback(info.value)


def test_in_place_change_of_a_leaf_under_no_grad_is_detected_by_an_earlier_graph():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with ag.no_grad():
        w.add_(1)
    with pytest.raises(ag.InPlaceError, match="changed in place"):
        loss.backward()


def test_in_place_change_between_forward_passes_is_fine():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with ag.no_grad():
        w.sub_(w.grad, alpha=0.5)
    (w * w).sum().backward()
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])


def test_in_place_on_a_leaf_requiring_grad_in_grad_mode():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(),
                   lambda: w.__setitem__(0, 5.0)):
        with pytest.raises(ag.InPlaceError, match="no_grad") as info:
            change()
        no_library_traceback(info.value)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])


def test_in_place_on_an_intermediate_in_grad_mode():
    """Differs from PyTorch (see Tensor._modify_in_place): autogradlab raises instead."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    with pytest.raises(ag.InPlaceError, match=r"y = y \* 2"):
        y.mul_(2)
    y *= 2  # the augmented operator makes a new node instead
    y.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 4.0])


def test_requires_grad_on_an_int_tensor():
    with pytest.raises(ag.DTypeError) as info:
        ag.tensor([1, 2], requires_grad=True)
    message = str(info.value)
    assert "int64" in message and "float" in message
    assert isinstance(info.value, TypeError)
    with pytest.raises(ag.DTypeError):
        ag.tensor([1, 2]).requires_grad_()
    with pytest.raises(ag.DTypeError):
        ag.arange(3, requires_grad=True)


def test_mean_of_an_int_tensor():
    with pytest.raises(ag.DTypeError, match="float"):
        ag.tensor([1, 2]).mean()


def test_switching_requires_grad_off_on_a_non_leaf():
    y = ag.ones(2, requires_grad=True) * 2
    with pytest.raises(ag.AutogradError, match="detach"):
        y.requires_grad = False


@pytest.mark.parametrize("other", ["a", None, object(), {1: 2}, 1j])
def test_unsupported_operand_types(other):
    x = ag.ones(2)
    for op in (lambda: x * other, lambda: other * x, lambda: x + other, lambda: x ** other):
        with pytest.raises(TypeError) as info:
            op()
        assert "Tensor" in str(info.value)
        no_library_traceback(info.value)


def test_unsupported_operand_message_names_the_operand():
    with pytest.raises(TypeError, match=r"unsupported operand for '\*'.*str 'a'"):
        ag.ones(2) * "a"


def test_bad_tensor_data():
    with pytest.raises(ValueError, match="rectangular") as info:
        ag.tensor([[1.0, 2.0], [3.0]])
    no_library_traceback(info.value)
    with pytest.raises(TypeError, match="tensors hold numbers"):
        ag.tensor("hello")
    with pytest.raises(TypeError, match="dtype"):
        ag.tensor([1.0], dtype="complex128")


def test_unknown_device_string():
    with pytest.raises(ag.DeviceError, match="'cpu'.*'cuda'"):
        ag.device("tpu")


def test_item_and_bool_of_many_numbers():
    with pytest.raises(ValueError, match="one number"):
        ag.ones(3).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(ag.ones(3))


def test_ag_grad_of_unused_input():
    x, y = ag.ones(1, requires_grad=True), ag.ones(1, requires_grad=True)
    with pytest.raises(ag.BackwardError, match="allow_unused=True"):
        ag.grad((x * 2).sum(), [x, y])


def test_every_error_class_is_an_autograd_error_with_the_expected_builtin_base():
    assert issubclass(ag.ShapeError, ValueError)
    assert issubclass(ag.DTypeError, TypeError)
    for cls in (ag.ShapeError, ag.DTypeError, ag.DeviceError, ag.CudaUnavailableError,
                ag.GraphFreedError, ag.InPlaceError, ag.BackwardError, ag.GradcheckError):
        assert issubclass(cls, ag.AutogradError) and issubclass(cls, RuntimeError)


def test_gradcheck_reports_a_wrong_backward():
    class BadSquare(ag.Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, grad):
            return (grad * 3 * self.a,)  # should be 2 * a

    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ag.GradcheckError, match="input 0") as info:
        ag.gradcheck(lambda t: BadSquare.apply(t), (x,))
    assert "backward() gives" in str(info.value)
    assert not ag.gradcheck(lambda t: BadSquare.apply(t), (x,), raise_exception=False)
