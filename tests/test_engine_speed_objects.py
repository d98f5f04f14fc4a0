"""The graph keeps few Python objects per operation (issue 12's speed budget), and stays right.

Python's cyclic garbage collector visits every tracked object that a graph keeps alive, again and
again while a learner's forward pass builds it, so the number of such objects per operation is
the cost that matters for scalar graphs (micrograd's demo). The graph keeps the *nodes*, not the
intermediate tensors (PyTorch's ``next_functions``); these tests pin that down and check that
everything a learner can see still behaves as before.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import autogradlab as ag
from autogradlab.errors import InPlaceError


def _tracked_objects_per_op(steps: int = 2000) -> float:
    a, b, c = (ag.tensor(v, dtype=ag.float64, requires_grad=True) for v in (1.5, 1.0, 0.5))
    gc.collect()
    before = len(gc.get_objects())
    x = a
    for _ in range(steps):
        x = (x * b + c).relu()
    after = len(gc.get_objects())
    assert x.grad_fn is not None
    return (after - before) / (3 * steps)


def test_a_scalar_operation_keeps_one_tracked_object():
    # the node alone: its edges are attributes (no tuple), no intermediate tensor, no version
    # counter; the tuple of saved arrays holds no tracked object, so Python stops tracking it
    assert _tracked_objects_per_op() <= 1.1


def test_a_backward_pass_adds_no_tracked_object_per_node():
    # what backward records on a node (grad_output, grad_inputs, ...) stays in its own
    # attributes: no list of gradients per node, and no per-node dict (CPython makes one when an
    # object gets an attribute its class's first objects did not have)
    a, b, c = (ag.tensor(v, dtype=ag.float64, requires_grad=True) for v in (1.5, 1.0, 0.5))
    steps = 2000
    gc.collect()
    before = len(gc.get_objects())
    x = a
    for _ in range(steps):
        x = (x * b + c).relu()
    x.backward()
    after = len(gc.get_objects())
    assert (after - before) / (3 * steps) <= 1.1
    grads = x.grad_fn.grad_inputs
    assert isinstance(grads, tuple) and len(grads) == 1
    add = x.grad_fn.edges[0]
    assert isinstance(add.grad_inputs, tuple) and len(add.grad_inputs) == 2


def test_edges_read_as_a_tuple_for_any_number_of_inputs():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.relu().grad_fn.edges == (y.grad_fn,)
    assert (y + x).grad_fn.edges == (y.grad_fn, x)
    assert (2 * x).grad_fn.edges == (2, x)
    three = ag.stack([x, y, x])
    assert three.grad_fn.edges == (x, y.grad_fn, x)
    three.sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_the_graph_does_not_keep_intermediate_tensors_alive():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    watch = weakref.ref(y)
    z = (y * y).sum()
    del y
    assert watch() is None  # the graph kept MulBackward0, not the tensor object
    z.backward()
    assert x.grad.tolist() == [8.0, 16.0]  # d(4 x^2)/dx


def test_inputs_give_tensors_with_the_numbers_and_grad_fn_of_the_intermediate():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y + x
    first, second = z.grad_fn.inputs
    assert second is x  # a leaf is kept as itself
    assert first.grad_fn is y.grad_fn and first.tolist() == y.tolist()
    assert z.grad_fn.input_shapes == ((2,), (2,))
    y.retain_grad()
    assert z.grad_fn.inputs[0] is y  # a tensor that retains its grad is found again


def test_an_intermediate_changed_in_place_after_use_is_refused():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()  # saves y
    with ag.no_grad():
        y.mul_(3)
    assert y._version == 1
    with pytest.raises(InPlaceError):
        z.backward()


def test_a_detached_intermediate_shares_the_version_counter():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # saves its output
    loss = y.sum()
    y.detach().add_(1)
    assert y._version == 1
    with pytest.raises(InPlaceError):
        loss.backward()


def test_a_relu_output_changed_in_place_is_refused():
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    y = x.relu()
    loss = (y * 2).sum()
    with ag.no_grad():
        y.add_(1)
    with pytest.raises(InPlaceError):
        loss.backward()


def test_second_order_through_an_intermediate_whose_data_was_read():
    x = ag.tensor(3.0, dtype=ag.float64, requires_grad=True)
    y = x * x
    assert float(y.item()) == 9.0  # .item() turns the 0-d result into an array on y only
    z = y * y  # x**4
    (g,) = ag.grad(z, x, create_graph=True)
    (h,) = ag.grad(g, x)
    assert g.item() == pytest.approx(4 * 27) and h.item() == pytest.approx(12 * 9)


def test_a_float32_input_made_by_an_operation_gets_a_float32_gradient():
    x = ag.tensor(np.ones(3, np.float32), requires_grad=True)
    y = x * 2
    loss = (y * ag.tensor(np.ones(3), dtype=ag.float64)).sum()
    loss.backward()
    assert x.grad.dtype is ag.float32


def test_a_big_weight_gradient_is_kept_without_a_copy(monkeypatch):
    # the engine made the array and nothing else holds it once the graph is used up: copying
    # it into .grad (800 KB for a 784-256 layer, every step) would only cost time
    owned = {}
    accumulate = ag.Tensor._accumulate_grad

    def spy(self, total, owned_flag):
        owned[tuple(self.shape)] = owned_flag
        return accumulate(self, total, owned=owned_flag)

    monkeypatch.setattr(ag.Tensor, "_accumulate_grad", lambda self, total, owned: spy(
        self, total, owned))
    weight = ag.randn(256, 784, requires_grad=True)
    bias = ag.zeros(256, requires_grad=True)
    x = ag.randn(8, 784)
    ag.nn.functional.linear(x, weight, bias).relu().sum().backward()
    assert owned[(256, 784)] is True
    assert owned[(256,)] is False  # small: the views' record still holds it, so .grad copies
    assert not np.shares_memory(weight.grad.data, bias.grad.data)


def test_second_order_through_a_retained_intermediate_whose_data_was_read():
    x = ag.tensor(3.0, dtype=ag.float64, requires_grad=True)
    y = x * x
    y.retain_grad()
    z = y * y  # x**4; the node keeps y's node, and gives y itself back as its input
    assert float(y.item()) == 9.0  # now y holds a 0-d array, the node still the NumPy number
    assert z.grad_fn.inputs[0] is y
    (g,) = ag.grad(z, x, create_graph=True)
    (h,) = ag.grad(g, x)
    assert g.item() == pytest.approx(4 * 27) and h.item() == pytest.approx(12 * 9)


# A backward pass looks closer only at nodes made before the latest "touch" (an in-place change,
# a hook or retain_grad added to an intermediate, a pass that used up its graph): these are the
# cases where skipping that look would give a wrong number or miss PyTorch's error.


def test_a_hook_added_after_later_nodes_were_made_still_runs():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * 3).sum()  # made before the hook
    seen = []
    y.register_hook(lambda grad: seen.append(grad.tolist()) or grad * 10)
    z.backward()
    assert seen == [[3.0, 3.0]]
    assert x.grad.tolist() == [60.0, 60.0]  # the hook's gradient went on


def test_retain_grad_asked_after_later_nodes_were_made_still_fills_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    y.retain_grad()
    z.backward()
    assert y.grad.tolist() == [4.0, 8.0]


def test_a_second_backward_through_a_used_up_graph_is_refused_right_after_the_first():
    x = ag.tensor(2.0, requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(ag.autograd.GraphFreedError):
        y.backward()
    z = (x * x).sum()  # a graph made after the used-up one runs as usual
    x.grad = None
    z.backward()
    assert x.grad.item() == 4.0


def test_a_pass_that_fails_half_way_still_leaves_its_nodes_used_up():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1

    def broken(grad):
        raise RuntimeError("a hook that fails")

    y.register_hook(broken)
    z = (y * y).sum()  # made after the hook: MulBackward0 (which saves y) runs before it fails
    with pytest.raises(RuntimeError, match="a hook that fails"):
        z.backward()
    with pytest.raises(ag.autograd.GraphFreedError):
        z.backward()  # as in PyTorch: the first pass used MulBackward0 up


FRESH_LOCAL_OPS = {  # the operations whose backward multiplies into its own local derivative
    "log": lambda t: t.log(), "tanh": lambda t: t.tanh(), "sigmoid": lambda t: t.sigmoid(),
    "relu": lambda t: t.relu(), "sin": lambda t: t.sin(), "cos": lambda t: t.cos(),
    "abs": lambda t: t.abs(), "sqrt": lambda t: t.sqrt(),
    "erf": lambda t: ag.functions.Erf.apply(t),
    "leaky_relu": lambda t: ag.nn.functional.leaky_relu(t, 0.1),
    "gelu": lambda t: ag.nn.functional.gelu(t),
}


@pytest.mark.parametrize("name", sorted(FRESH_LOCAL_OPS))
def test_a_gradient_written_into_the_local_derivative_changes_nothing_else(name, torch):
    # backward multiplies the upstream gradient into the array it computed as the local
    # derivative. ``+`` hands one gradient array to both its inputs, so writing into the
    # gradient instead would change what y receives; the saved values, the node's record and a
    # second pass must all be as if backward had made a new array (and the numbers torch's)
    rng = np.random.default_rng(3)
    numbers = rng.uniform(0.2, 2.0, (4, 5)).astype(np.float32) * rng.choice([-1, 1], (4, 5))
    if name in ("log", "sqrt"):
        numbers = np.abs(numbers)
    x = ag.tensor(numbers, requires_grad=True)
    y = ag.zeros(4, 5, requires_grad=True)
    out = FRESH_LOCAL_OPS[name](x)
    total = out + y
    upstream = rng.standard_normal((4, 5)).astype(np.float32)
    saved_before = [np.array(s, copy=True) for s in out.grad_fn.saved]
    total.backward(ag.tensor(upstream), retain_graph=True)
    first = x.grad.numpy().copy()
    np.testing.assert_array_equal(y.grad.numpy(), upstream)
    np.testing.assert_array_equal(out.grad_fn.grad_output, upstream)  # the record: what arrived
    np.testing.assert_array_equal(out.grad_fn.grad_inputs[0], first)  # and what it sent on
    for before, now in zip(saved_before, out.grad_fn.saved):
        np.testing.assert_array_equal(before, now)
    x.grad = y.grad = None
    total.backward(ag.tensor(upstream))
    np.testing.assert_array_equal(x.grad.numpy(), first)
    np.testing.assert_array_equal(y.grad.numpy(), upstream)
    t = torch.tensor(numbers, requires_grad=True)
    theirs = {"erf": torch.erf, "leaky_relu": lambda v: torch.nn.functional.leaky_relu(v, 0.1),
              "gelu": torch.nn.functional.gelu}.get(name, lambda v: getattr(v, name)())(t)
    theirs.backward(torch.tensor(upstream))
    np.testing.assert_allclose(first, t.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert type(out.grad_fn).fresh_locals
