"""The engine's semantics: accumulation, retain_grad, hooks, grad mode, ag.grad, events, memory,
printing and dtypes, each as PyTorch defines them (or as a "Differs from PyTorch" docstring says).
"""

from __future__ import annotations

import gc
import re
import weakref

import numpy as np
import pytest

import autogradlab as ag
from autogradlab import autograd
from autogradlab.autograd import Created, GradientSent


def values(t: ag.Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy())


# ------------------------------------------------------------------------------------------------
# gradients accumulate; intermediates keep none unless asked
# ------------------------------------------------------------------------------------------------


def test_gradients_accumulate_over_two_backward_calls():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [3.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [5.0, 7.0])
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [2.0, 2.0])


def test_accumulated_grad_does_not_alias_engine_buffers():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    seed = ag.tensor([1.0, 1.0])
    y.backward(gradient=seed)
    y2 = x * 1.0
    y2.backward(gradient=seed)
    np.testing.assert_array_equal(values(seed), [1.0, 1.0])  # the seed was not added into
    np.testing.assert_array_equal(values(x.grad), [2.0, 2.0])


def test_grad_is_a_tensor_without_history():
    x = ag.tensor(7.0, requires_grad=True)
    (x**2 + 3).backward()
    assert isinstance(x.grad, ag.Tensor)
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    assert repr(x.grad) == "tensor(14.)"


def test_intermediates_have_no_grad_unless_retained():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * 3
    z.retain_grad()
    assert z.retains_grad and not y.retains_grad
    z.sum().backward()
    assert y.grad is None
    np.testing.assert_array_equal(values(z.grad), [1.0, 1.0])
    np.testing.assert_array_equal(values(x.grad), [6.0, 6.0])


def test_retain_grad_on_a_leaf_is_harmless():
    x = ag.tensor([1.0], requires_grad=True)
    x.retain_grad()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [2.0])


def test_retained_grad_accumulates_like_torch(torch):
    for m in (ag, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.retain_grad()
        (y * y).sum().backward(retain_graph=True)
        (y * 3).sum().backward()
        if m is ag:
            ours = values(y.grad)
        else:
            np.testing.assert_allclose(ours, y.grad.numpy())


def test_backward_with_gradient_for_non_scalars():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(gradient=ag.tensor([1.0, 0.1, 0.01]))
    np.testing.assert_allclose(values(x.grad), [2.0, 0.4, 0.06], rtol=1e-6)
    x.grad = None
    (x * 2).backward(gradient=[1.0, 1.0, 1.0])  # a list works too
    np.testing.assert_array_equal(values(x.grad), [2.0, 2.0, 2.0])


def test_backward_on_a_one_element_tensor_needs_no_gradient():
    x = ag.tensor([3.0], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(values(x.grad), [6.0])


def test_retain_graph_allows_a_second_backward():
    x = ag.tensor(2.0, requires_grad=True)
    y = x**3
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 24.0


def test_second_backward_without_retain_graph_raises():
    x = ag.tensor(2.0, requires_grad=True)
    y = x**3
    y.backward()
    with pytest.raises(ag.GraphFreedError, match="retain_graph=True"):
        y.backward()
    assert x.grad.item() == 12.0  # the failed pass changed nothing


def test_shared_subgraph_freed_by_one_output_raises_for_the_other():
    x = ag.tensor(2.0, requires_grad=True)
    h = x * x
    a, b = h * 2, h * 3
    a.backward()
    with pytest.raises(ag.GraphFreedError):
        b.backward()


# ------------------------------------------------------------------------------------------------
# grad mode, detach, requires_grad_
# ------------------------------------------------------------------------------------------------


def test_no_grad_context_builds_no_graph():
    x = ag.tensor([1.0], requires_grad=True)
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 2
        with ag.enable_grad():
            assert ag.is_grad_enabled()
            z = x * 2
    assert ag.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf
    assert z.grad_fn is not None and z.requires_grad


def test_no_grad_as_decorator_and_restored_after_errors():
    @ag.no_grad()
    def evaluate(x):
        """docs survive"""
        return x * 2, ag.is_grad_enabled()

    y, enabled = evaluate(ag.tensor([1.0], requires_grad=True))
    assert not enabled and not y.requires_grad
    assert evaluate.__name__ == "evaluate" and evaluate.__doc__ == "docs survive"
    assert ag.is_grad_enabled()
    with pytest.raises(ZeroDivisionError), ag.no_grad():
        raise ZeroDivisionError
    assert ag.is_grad_enabled()


def test_detach_shares_memory_and_has_no_history():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(values(d), values(y))
    (d * x).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [2.0, 4.0])


def test_requires_grad_():
    x = ag.tensor([1.0, 2.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    x.requires_grad = True
    (x * x).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [2.0, 4.0])


def test_ops_without_any_grad_input_build_no_graph():
    x = ag.tensor([1.0, 2.0])
    y = (x * 2).exp().sum()
    assert y.grad_fn is None and not y.requires_grad
    with pytest.raises(ag.BackwardError, match="requires_grad=True"):
        y.backward()


# ------------------------------------------------------------------------------------------------
# hooks
# ------------------------------------------------------------------------------------------------


def test_hook_on_leaf_sees_and_can_replace_the_gradient():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(values(g).copy()))
    handle = x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(values(x.grad), [30.0, 30.0])
    handle.remove()
    handle.remove()  # removing twice is fine
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(values(x.grad), [3.0, 3.0])
    assert len(seen) == 2


def test_hook_on_intermediate_changes_what_flows_back(torch):
    results = []
    for m in (ag, torch):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.register_hook(lambda g: g * 2)
        y.retain_grad()
        (y * 3).sum().backward()
        results.append((np.array(x.grad.tolist()), np.array(y.grad.tolist())))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


def test_hook_returning_a_wrong_shape_is_an_error():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: ag.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ag.BackwardError, match=r"\(2,\)"):
        (x * 2).sum().backward()


def test_hook_on_tensor_without_grad_is_an_error():
    with pytest.raises(ag.BackwardError):
        ag.tensor([1.0]).register_hook(print)


# ------------------------------------------------------------------------------------------------
# ag.grad
# ------------------------------------------------------------------------------------------------


def test_ag_grad_returns_gradients_without_touching_dot_grad():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    w = ag.tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    h.retain_grad()
    loss = (h * h).sum()
    gx, gh = ag.grad(loss, [x, h])
    np.testing.assert_array_equal(values(gx), 2 * np.array([3.0, 8.0]) * np.array([3.0, 4.0]))
    np.testing.assert_array_equal(values(gh), [6.0, 16.0])
    assert x.grad is None and w.grad is None and h.grad is None
    assert gx.grad_fn is None


def test_ag_grad_single_input_and_allow_unused():
    x = ag.tensor(3.0, requires_grad=True)
    unused = ag.tensor(1.0, requires_grad=True)
    (gx,) = ag.grad(x * x, x, retain_graph=True)
    assert gx.item() == 6.0
    with pytest.raises(ag.BackwardError, match="allow_unused=True"):
        ag.grad(x * x, [x, unused])
    gx, gu = ag.grad(x * x, [x, unused], allow_unused=True)
    assert gx.item() == 6.0 and gu is None


def test_ag_grad_with_grad_outputs_matches_torch(torch):
    data = np.array([0.5, -1.0, 2.0])
    x = ag.tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    (ours,) = ag.grad(x.tanh(), x, grad_outputs=ag.tensor([1.0, 2.0, 3.0], dtype=ag.float64))
    (theirs,) = torch.autograd.grad(tx.tanh(), tx, grad_outputs=torch.tensor([1.0, 2.0, 3.0],
                                                                            dtype=torch.float64))
    np.testing.assert_allclose(values(ours), theirs.detach().numpy(), rtol=1e-12)


def test_ag_grad_rejects_inputs_without_requires_grad():
    x = ag.tensor(1.0, requires_grad=True)
    with pytest.raises(ag.BackwardError, match="requires_grad=False"):
        ag.grad(x * 2, ag.tensor(1.0))


# ------------------------------------------------------------------------------------------------
# a node used more than once gets the sum over every path
# ------------------------------------------------------------------------------------------------


def test_node_used_twice_in_one_op():
    a = ag.tensor(3.0, requires_grad=True)
    (a * a).backward()
    assert a.grad.item() == 6.0


def test_repeated_doubling_sums_all_paths():
    a = ag.tensor(1.5, requires_grad=True)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad.item() == 4.0


def test_diamond_matches_torch(torch):
    results = []
    for m in (ag, torch):
        a = m.tensor([0.3, -0.7], requires_grad=True, dtype=m.float64)
        top, bottom = a.exp(), a.tanh()
        joined = top * bottom + top / (bottom * bottom + 1)
        (joined.sum() + a.sum() * top.sum()).backward()
        results.append(np.array(a.grad.tolist()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_long_chain_backward_has_no_recursion_limit():
    x = ag.tensor(1.0, dtype=ag.float64, requires_grad=True)
    y = x
    for i in range(100_000):
        y = y * 1.0 if i % 2 else y + 0.5
    y.backward()
    assert x.grad.item() == 1.0
    assert y.item() == pytest.approx(1.0 + 0.5 * 50_000)
    del y  # freeing a deep chain must not overflow the C stack either


# ------------------------------------------------------------------------------------------------
# memory: the graph has no reference cycles, so refcounting alone frees it
# ------------------------------------------------------------------------------------------------


def _build_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    w = ag.tensor([[1.0, 0.5], [0.2, 2.0]], requires_grad=True)
    h = (w @ x).tanh()
    h.retain_grad()
    h.register_hook(lambda g: g)
    loss = ag.softmax(h * h + x[[0, 0]], 0).log().mean()
    return x, w, h, loss


@pytest.mark.parametrize("run_backward", [False, True], ids=["forward-only", "after-backward"])
def test_graph_is_freed_by_refcounting_alone(run_backward):
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        x, w, h, loss = _build_graph()
        if run_backward:
            with autograd.record():
                loss.backward()
        nodes = []
        stack = [loss.grad_fn]
        while stack:
            fn = stack.pop()
            nodes.append(weakref.ref(fn))
            stack.extend(i.grad_fn for i in fn.inputs if isinstance(i, ag.Tensor) and i.grad_fn)
        refs = [weakref.ref(t) for t in (x, w, h, loss)] + nodes
        assert len(nodes) >= 8
        del x, w, h, loss, fn, stack
        alive = [r() for r in refs if r() is not None]
        assert not alive, f"kept alive by a reference cycle: {alive}"
    finally:
        if was_enabled:
            gc.enable()
    assert not [o for o in gc.garbage if type(o).__module__.startswith("autogradlab")]


def test_gc_finds_no_autogradlab_cycles():
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            _, _, _, loss = _build_graph()
            loss.backward()
        del loss, _
        found = []
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found = [o for o in gc.garbage if type(o).__module__.startswith("autogradlab")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not found, f"objects freed only by the cycle collector: {found[:5]}"


# ------------------------------------------------------------------------------------------------
# events: what the animations replay
# ------------------------------------------------------------------------------------------------


def _source_graph():
    rng = np.random.default_rng(5)
    leaf = {k: ag.tensor(rng.standard_normal((5, 5)), requires_grad=True)
            for k in ("a", "x1", "x2", "x3", "x4")}
    a, x1, x2, x3, x4 = (leaf[k] for k in ("a", "x1", "x2", "x3", "x4"))
    b = x1 * a
    c = x2 * a
    d = x3 * b + x4 * c
    L = (10 - d).sum()
    return leaf, b, c, d, L


def test_events_are_complete_and_ordered():
    with autograd.record() as events:
        leaf, b, c, d, L = _source_graph()
        L.backward()
    created = [e for e in events if isinstance(e, Created)]
    assert [e.node.name() for e in created] == [
        "MulBackward0", "MulBackward0", "MulBackward0", "MulBackward0",
        "AddBackward0", "RsubBackward1", "SumBackward0",
    ]
    assert [e.step for e in events] == sorted(e.step for e in events)
    assert created[-1].output is L and created[0].output is b and created[1].output is c
    first_backward = next(i for i, e in enumerate(events) if not isinstance(e, Created))
    assert all(isinstance(e, Created) for e in events[:first_backward])
    assert not any(isinstance(e, Created) for e in events[first_backward:])

    sent = [e for e in events if isinstance(e, GradientSent)]
    # every edge into something that requires grad: sum->sub, sub->add, add->2 muls, 4 muls->2 each
    assert len(sent) == 1 + 1 + 2 + 4 * 2
    assert len({(id(e.source), e.index) for e in sent}) == len(sent)

    # a node sends only after it has received everything it will receive
    received: dict[int, int] = {}
    expected_in = {}
    for e in sent:
        expected_in[id(e.target)] = expected_in.get(id(e.target), 0) + 1
    for e in events[first_backward:]:
        if id(e.source) != id(L.grad_fn):
            assert received.get(id(e.source)) == expected_in[id(e.source)], e.source
        received[id(e.target)] = received.get(id(e.target), 0) + 1
        assert e.count == received[id(e.target)]  # the running count at the receiving node

    # contributions are the engine's pieces, and for elementwise ops upstream * local
    for e in sent:
        if e.source.name() in ("MulBackward0", "RsubBackward1", "AddBackward0"):
            local = e.local if not isinstance(e.local, str) else None
            assert local is not None
            np.testing.assert_allclose(np.asarray(e.upstream) * np.asarray(local),
                                       np.asarray(e.contribution))
    for name in ("x1", "x2", "x3", "x4"):
        into = [e for e in sent if e.target is leaf[name]]
        assert len(into) == 1
        np.testing.assert_array_equal(np.asarray(into[0].contribution), values(leaf[name].grad))

    totals = [e for e in events if isinstance(e, GradientSent) and e.target is leaf["a"]]
    assert [e.count for e in totals] == [1, 2]
    into_a = [np.asarray(e.contribution) for e in sent if e.target is leaf["a"]]
    assert len(into_a) == 2
    np.testing.assert_allclose(np.asarray(totals[-1].total), into_a[0] + into_a[1])
    np.testing.assert_allclose(np.asarray(totals[-1].total), values(leaf["a"].grad))
    np.testing.assert_allclose(
        values(leaf["a"].grad),
        -(values(leaf["x3"]) * values(leaf["x1"]) + values(leaf["x4"]) * values(leaf["x2"])),
    )


def _backward_signature(events):
    out = []
    for e in events:
        if isinstance(e, GradientSent):
            out.append(("sent", id(e.source), e.index, id(e.target),
                        np.asarray(e.contribution).tolist(), np.asarray(e.upstream).tolist(),
                        e.count, np.asarray(e.total).tolist()))
    return out


def test_recorded_events_match_the_live_listener():
    leaf, b, c, d, L = _source_graph()
    with autograd.listen(lambda event: None) as live:
        L.backward()
    rebuilt = autograd.recorded_events(L)
    created = [e for e in rebuilt if isinstance(e, Created)]
    assert len(created) == 7 and created[-1].output is L
    assert [e.node.seq for e in created] == sorted(e.node.seq for e in created)
    assert _backward_signature(rebuilt) == _backward_signature(live)
    assert [e.step for e in rebuilt] == list(range(len(rebuilt)))


def test_listen_calls_the_callback_and_stops_after_the_block():
    seen = []
    with autograd.listen(seen.append) as collected:
        x = ag.tensor(1.0, requires_grad=True)
        (x * 2).backward()
    assert seen == collected and len(seen) == 2  # created, sent (with its running total)
    (x * 2).backward()
    assert len(seen) == 2


def test_recorded_events_of_a_leaf_is_empty():
    assert autograd.recorded_events(ag.tensor(1.0, requires_grad=True)) == []


# ------------------------------------------------------------------------------------------------
# printing, exactly like PyTorch
# ------------------------------------------------------------------------------------------------


def test_design_examples_print_like_pytorch():
    x = ag.tensor(7.0, requires_grad=True)
    f = x**2 + 3
    f.backward()
    assert repr(x.grad) == "tensor(14.)"
    assert repr(ag.tensor([1.0, 2.0], requires_grad=True)) == "tensor([1., 2.], requires_grad=True)"
    assert repr(f) == "tensor(52., grad_fn=<AddBackward0>)"
    assert str(f) == repr(f)


_REPR_VALUES = [
    14.0, -0.0, 3.14159, 1e-5, 1e-4, 12345678.0, [1.0, 2.0], [1.5, 2.25], [-1.0, 2.5],
    [[22.0, 45.0, 74.0], [109.0, 150.0, 197.0], [250.0, 309.0, 374.0]],
    [0.001, 1000.0], [1e-5, 1.0], [1e10, 1.0], [1.0, 5000.0], [123456.789, 1.5],
    [0.1, 0.25, -0.333], [[1.5, -2.25], [100.125, 0.0]],
    [float("nan"), float("inf"), -float("inf"), 1.0], [float("nan"), 1.5], [float("nan")],
    [0.0, 0.0], [1e20], [[0.5]], [-1e-5, 3.0], [x / 7 for x in range(20)],
    [[x / 3 for x in range(12)] for _ in range(4)],
]
_REPR_ARRAYS = [np.array(v) for v in _REPR_VALUES] + [
    np.random.default_rng(3).standard_normal(shape) * scale
    for shape in [(3,), (2, 3), (2, 3, 4), (13,), (40, 50), (2000,), (5, 300), (3, 400, 2)]
    for scale in (1.0, 1e-3, 1e5)
] + [np.arange(2000.0).reshape(40, 50) / 3, np.zeros((2, 0)), np.zeros((0,))]


def _same_layout(text: str) -> str:
    # Differs from PyTorch on purpose: "dtype=autogradlab.float64" is longer than
    # "dtype=torch.float64", so it may move to its own line where PyTorch's would not.
    return re.sub(r",\s*\n\s*(dtype=|grad_fn=|requires_grad=|device=|size=)", r", \1", text)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_reprs_match_pytorch(torch, dtype):
    for array in _REPR_ARRAYS:
        ours = repr(ag.tensor(array, dtype=dtype))
        theirs = repr(torch.tensor(array.astype(dtype))).replace("torch.", "autogradlab.")
        assert _same_layout(ours) == _same_layout(theirs), f"\n{ours}\n!=\n{theirs}"


def test_int_and_bool_reprs_match_pytorch(torch):
    for v in [3, -12, [1, 2, 3], [[1, -20], [300, 4]], True, [True, False], list(range(2000)),
              np.arange(3000).reshape(3, 1000), np.zeros((0,), dtype=np.int64)]:
        ours, theirs = repr(ag.tensor(v)), repr(torch.tensor(v)).replace("torch.", "autogradlab.")
        assert ours == theirs


def test_reprs_with_history_match_pytorch(torch):
    for m in (ag, torch):
        x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        d = m.tensor([0.5, 0.25], dtype=m.float64, requires_grad=True)
        shown = [repr(x), repr(x * 2), repr(x + 1), repr(x.sum()), repr(x.exp()),
                 repr(d), repr(d * d), repr(x.detach()), repr(m.tensor(5.5, requires_grad=True))]
        if m is ag:
            ours = shown
        else:
            assert ours == [s.replace("torch.", "autogradlab.") for s in shown]


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda x: x + 1, "AddBackward0"), (lambda x: x - 1, "SubBackward0"),
        (lambda x: x * 2, "MulBackward0"), (lambda x: x / 2, "DivBackward0"),
        (lambda x: -x, "NegBackward0"), (lambda x: x**2, "PowBackward0"),
        (lambda x: x.exp(), "ExpBackward0"), (lambda x: x.log(), "LogBackward0"),
        (lambda x: x.tanh(), "TanhBackward0"), (lambda x: x.sigmoid(), "SigmoidBackward0"),
        (lambda x: x.relu(), "ReluBackward0"), (lambda x: x.sum(), "SumBackward0"),
        (lambda x: x.mean(), "MeanBackward0"), (lambda x: x.permute(1, 0), "PermuteBackward0"),
        (lambda x: x[[0, 0]], "IndexBackward0"), (lambda x: ag.softmax(x, 1), "SoftmaxBackward0"),
        (lambda x: ag.log_softmax(x, 1), "LogSoftmaxBackward0"),
        (lambda x: x.clone(), "CloneBackward0"), (lambda x: x.double(), "ToCopyBackward0"),
    ],
)
def test_grad_fn_names_are_pytorchs(make, name):
    x = ag.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = make(x)
    assert y.grad_fn.name() == name and repr(y.grad_fn) == f"<{name}>"
    assert not y.is_leaf and x.is_leaf


# ------------------------------------------------------------------------------------------------
# dtypes and the tensor's basic properties
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, dtype",
    [(1.0, ag.float32), ([1.0, 2.0], ag.float32), (3, ag.int64), ([1, 2], ag.int64),
     (True, ag.bool_), (np.array([1.0]), ag.float64), (np.array([1.0], np.float32), ag.float32),
     (np.array([1], np.int32), ag.int32), ([1, 2.5], ag.float32)],
)
def test_dtype_rules(torch, data, dtype):
    t = ag.tensor(data)
    assert t.dtype is dtype
    assert t.dtype.name == str(torch.tensor(data).dtype).removeprefix("torch.")


def test_float64_data_stays_exact():
    assert ag.tensor(0.1, dtype=ag.float64).item() == 0.1
    assert ag.tensor([0.1, 1e-300], dtype="float64").tolist() == [0.1, 1e-300]
    assert ag.tensor(np.array([0.1])).item() == 0.1


def test_float64_is_kept_through_operations():
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * 2.5 + 1).exp().sum()
    assert y.dtype is ag.float64
    y.backward()
    assert x.grad.dtype is ag.float64


def test_constructors_follow_torch_dtypes(torch):
    pairs = [
        (ag.zeros(2, 3), torch.zeros(2, 3)), (ag.ones((2,)), torch.ones((2,))),
        (ag.full((2,), 7), torch.full((2,), 7)), (ag.full((2,), 7.0), torch.full((2,), 7.0)),
        (ag.arange(5), torch.arange(5)), (ag.arange(0, 1, 0.25), torch.arange(0, 1, 0.25)),
        (ag.linspace(0, 1, 5), torch.linspace(0, 1, 5)),
        (ag.zeros_like(ag.tensor([1, 2])), torch.zeros_like(torch.tensor([1, 2]))),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs).replace("torch.", "autogradlab.")


def test_random_constructors_are_seeded():
    ag.manual_seed(0)
    a = ag.randn(3, 2)
    ag.manual_seed(0)
    b = ag.randn(3, 2, requires_grad=True)
    np.testing.assert_array_equal(values(a), values(b))
    assert a.dtype is ag.float32 and b.requires_grad and b.is_leaf
    r = ag.rand(100)
    assert values(r).min() >= 0 and values(r).max() < 1


def test_tensor_properties():
    x = ag.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.shape == (2, 3) and isinstance(x.shape, tuple)
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and len(x) == 2
    assert x.size() == (2, 3) and x.size(1) == 3
    assert x.dtype is ag.float32 and x.device == ag.device("cpu") and x.device == "cpu"
    assert repr(x.device) == "device(type='cpu')" and not x.is_cuda
    assert x.is_leaf and x.grad_fn is None and x.grad is None
    assert isinstance(x.detach().numpy(), np.ndarray) and x.detach().numpy().dtype == np.float32
    assert x[1, 2].item() == 6.0 and isinstance(x[1, 2].item(), float)
    assert ag.tensor(3).item() == 3 and isinstance(ag.tensor(3).item(), int)
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert float(x[0, 0]) == 1.0 and int(x[1, 1]) == 5
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name() == "MulBackward0" and y.requires_grad
    assert y.grad_fn.inputs[0] is x
    assert f"{x.sum():.2f}" == "21.00"


def test_numpy_shares_memory_with_from_numpy():
    array = np.array([1.0, 2.0])
    t = ag.from_numpy(array)
    array[0] = 5.0
    assert t[0].item() == 5.0 and t.dtype is ag.float64
    assert np.shares_memory(t.detach().numpy(), array)


def test_item_on_many_numbers_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(2,\)"):
        ag.tensor([1.0, 2.0]).item()


def test_in_place_updates_under_no_grad_like_an_optimizer():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with ag.no_grad():
        w -= 0.1 * w.grad
    assert w.is_leaf and w.requires_grad
    np.testing.assert_allclose(values(w), [0.8, 1.6], rtol=1e-6)
    w.data -= 0.1  # .data updates are allowed too
    w.grad.zero_()
    np.testing.assert_array_equal(values(w.grad), [0.0, 0.0])


def test_data_takes_arrays_only_and_says_how_to_give_numbers():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    numbers = w.data
    w.data -= 0.5  # in place: the same array, set back
    assert w.data is numbers
    np.testing.assert_allclose(values(w), [0.5, 1.5])
    w.data = np.array([3.0, 4.0], dtype=np.float32)
    np.testing.assert_array_equal(values(w), [3.0, 4.0])
    with pytest.raises(TypeError, match=r"\.data must be an array .* not a list.*ag\.tensor"):
        w.data = [5.0, 6.0]
    np.testing.assert_array_equal(values(w), [3.0, 4.0])  # unchanged


@pytest.mark.parametrize(
    "expression",
    [
        lambda m: m.arange(5) * 0.5,
        lambda m: m.arange(4) / m.arange(1, 5),
        lambda m: m.ones(2) + m.arange(2),
        lambda m: m.ones(2, dtype=m.float64) * m.arange(2),
        lambda m: m.ones(2, dtype=m.float64) * 2.5,
        lambda m: m.ones(3) * m.tensor(2.0, dtype=m.float64),
        lambda m: m.ones(2).double() + 1,
        lambda m: m.arange(3) * m.tensor(2.0, dtype=m.float64),
    ],
)
def test_type_promotion_follows_torch(torch, expression):
    """NumPy would make float64 out of ints and float32; PyTorch (and autogradlab) do not."""
    ours, theirs = expression(ag), expression(torch)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy())
