"""Optimizers against PyTorch: the same model and data must follow the same path, step by step."""

from __future__ import annotations

import numpy as np
import pytest

import autogradlab as ag

STEPS = 20
RTOL = 1e-10


def _problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((32, 3))
    y = (X @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 * rng.standard_normal((32, 1)))
    return X, y


def _models(torch):
    """A 3-8-1 tanh MLP in float64: ours, and a torch copy starting from our initial weights."""
    ag.manual_seed(0)
    ours = ag.nn.Sequential(ag.nn.Linear(3, 8), ag.nn.Tanh(), ag.nn.Linear(8, 1)).double()
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)
    ).double()
    with torch.no_grad():
        for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
            assert p.dtype is ag.float64, name
            q.copy_(torch.from_numpy(p.detach().numpy().copy()))
    return ours, theirs


def _run(torch, make_ours, make_theirs) -> None:
    ours, theirs = _models(torch)
    opt_ours, opt_theirs = make_ours(ours.parameters()), make_theirs(theirs.parameters())
    X, y = _problem()
    Xa, ya = ag.tensor(X, dtype=ag.float64), ag.tensor(y, dtype=ag.float64)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for _ in range(STEPS):
        opt_ours.zero_grad()
        ag.nn.MSELoss()(ours(Xa), ya).backward()
        opt_ours.step()
        opt_theirs.zero_grad()
        torch.nn.MSELoss()(theirs(Xt), yt).backward()
        opt_theirs.step()
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=RTOL, atol=0,
                                   err_msg=name)


SGD_SETTINGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, weight_decay=0.01),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.8, weight_decay=0.05, nesterov=True),
]


@pytest.mark.parametrize("settings", SGD_SETTINGS, ids=lambda s: ",".join(map(str, s.items())))
def test_sgd_matches_pytorch(torch, settings):
    _run(torch, lambda p: ag.optim.SGD(p, **settings), lambda p: torch.optim.SGD(p, **settings))


ADAM_SETTINGS = [
    dict(),
    dict(lr=0.01),
    dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.01, weight_decay=0.1),
]


@pytest.mark.parametrize("settings", ADAM_SETTINGS, ids=lambda s: ",".join(map(str, s.items())))
def test_adam_matches_pytorch(torch, settings):
    _run(torch, lambda p: ag.optim.Adam(p, **settings), lambda p: torch.optim.Adam(p, **settings))


def test_parameter_groups_match_pytorch(torch):
    def groups(model):
        first, last = list(model[0].parameters()), list(model[2].parameters())
        return [{"params": first, "lr": 0.1}, {"params": last}]

    ours, theirs = _models(torch)
    opt_ours = ag.optim.SGD(groups(ours), lr=0.01, momentum=0.5)
    opt_theirs = torch.optim.SGD(groups(theirs), lr=0.01, momentum=0.5)
    X, y = _problem(1)
    for _ in range(5):
        for model, opt, lib, loss in (
            (ours, opt_ours, ag, ag.nn.MSELoss()),
            (theirs, opt_theirs, torch, torch.nn.MSELoss()),
        ):
            opt.zero_grad()
            Xt = lib.tensor(X, dtype=lib.float64)
            loss(model(Xt), lib.tensor(y, dtype=lib.float64)).backward()
            opt.step()
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=RTOL)


def test_zero_grad_sets_none_and_step_skips_parameters_without_grad():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    v = ag.tensor([3.0], requires_grad=True)
    opt = ag.optim.SGD([w, v], lr=0.5)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])
    np.testing.assert_allclose(v.detach().numpy(), [3.0])  # no gradient: left alone
    opt.zero_grad()
    assert w.grad is None and v.grad is None


def test_step_changes_parameters_in_place_and_records_nothing():
    w = ag.nn.Parameter(ag.tensor([1.0, -1.0]))
    array = w.data
    opt = ag.optim.Adam([w], lr=0.1)
    (w * 3).sum().backward()
    opt.step()
    assert w.data is array  # the same numbers, updated in place
    assert w.grad_fn is None and w.is_leaf
    assert opt.state[w]["step"] == 1


def test_learning_rate_can_be_changed_through_param_groups():
    w = ag.tensor([1.0], requires_grad=True)
    opt = ag.optim.SGD([w], lr=1.0)
    opt.param_groups[0]["lr"] = 0.25
    (w * 2).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.detach().numpy(), [0.5])


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [ag.optim.SGD, ag.optim.Adam])
def test_no_parameters_is_an_error(make):
    with pytest.raises(ValueError, match="empty list of parameters"):
        make([], lr=0.1)
    model = ag.nn.Linear(2, 1)
    params = model.parameters()
    make(params, lr=0.1)
    with pytest.raises(ValueError, match="generator that is empty after one use"):
        make(params, lr=0.1)  # the generator was used up by the first optimizer


@pytest.mark.parametrize("lr", [0, 0.0, -0.1, float("nan"), float("inf")])
@pytest.mark.parametrize("make", [ag.optim.SGD, ag.optim.Adam])
def test_learning_rate_must_be_positive(make, lr):
    with pytest.raises(ValueError, match="learning rate must be a positive number"):
        make(ag.nn.Linear(2, 1).parameters(), lr=lr)


@pytest.mark.parametrize("lr", ["0.1", None, True, [0.1]])
def test_learning_rate_must_be_a_number(lr):
    with pytest.raises(TypeError, match="learning rate must be a number"):
        ag.optim.SGD(ag.nn.Linear(2, 1).parameters(), lr=lr)


def test_a_model_instead_of_its_parameters_is_an_error():
    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        ag.optim.Adam(ag.nn.Linear(2, 1), lr=0.1)


def test_parameters_must_be_leaves_that_require_grad():
    with pytest.raises(ValueError, match="requires_grad=False"):
        ag.optim.SGD([ag.tensor([1.0])], lr=0.1)
    w = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="is_leaf=False"):
        ag.optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match="can only update tensors"):
        ag.optim.SGD([np.zeros(2)], lr=0.1)


def test_bad_settings_are_errors():
    params = list(ag.nn.Linear(2, 1).parameters())
    with pytest.raises(ValueError, match="nesterov"):
        ag.optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="momentum"):
        ag.optim.SGD(params, lr=0.1, momentum=-1)
    with pytest.raises(ValueError, match="betas"):
        ag.optim.Adam(params, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="weight_decay"):
        ag.optim.Adam(params, weight_decay=-0.1)


def test_optimizers_use_only_the_array_api():
    """The updates run on any array library (here the strict array-API reference, as on CuPy)."""
    xp = pytest.importorskip("array_api_strict")
    for make in (
        lambda p: ag.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True),
        lambda p: ag.optim.Adam(p, lr=0.1, weight_decay=0.1),
    ):
        w = ag.Tensor(xp.asarray([1.0, -2.0], dtype=xp.float64), requires_grad=True)
        v = ag.tensor([1.0, -2.0], dtype=ag.float64, requires_grad=True)
        opts = make([w]), make([v])
        for _ in range(3):
            for opt, p in zip(opts, (w, v)):
                opt.zero_grad()
                (p * p).sum().backward()
                opt.step()
        assert type(w.data).__module__.startswith("array_api_strict")
        np.testing.assert_allclose(w.detach().numpy(), v.detach().numpy(), rtol=1e-12)


def test_a_step_between_forward_and_backward_is_caught():
    """step() changes parameters in place like PyTorch's, so a stale graph cannot backpropagate."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = ag.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    loss = (w * w).sum()
    opt.step()  # w changes after the graph of `loss` used it
    with pytest.raises(ag.InPlaceError, match="changed in place"):
        loss.backward()
