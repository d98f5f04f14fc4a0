"""ag.nn: modules, parameters, Linear's initialisation, losses and their errors, graph labels."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import autogradlab as ag
from autogradlab import nn
from autogradlab.autograd import topological_order
from autogradlab.nn import functional as F


def mlp() -> nn.Sequential:
    ag.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))


class TwoLayers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer1 = nn.Sequential(nn.Linear(2, 3))
        self.act = nn.Tanh()
        self.head = nn.Linear(3, 1, bias=False)

    def forward(self, x):
        return self.head(self.act(self.layer1(x) * 2))


# -- modules and parameters --------------------------------------------------------------------


def test_parameter_is_a_leaf_tensor_that_requires_grad():
    p = nn.Parameter(ag.tensor([1.0, 2.0]))
    assert isinstance(p, ag.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    assert type(p * 2) is ag.Tensor  # results of operations are plain tensors
    with pytest.raises(ag.DTypeError):
        nn.Parameter(ag.tensor([1, 2]))


def test_parameters_and_modules_are_registered_in_order():
    model = TwoLayers()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["layer1.0.weight", "layer1.0.bias", "head.weight"]
    assert [name for name, _ in model.named_modules()] == ["", "layer1", "layer1.0", "act", "head"]
    assert [type(m).__name__ for m in model.children()] == ["Sequential", "Tanh", "Linear"]
    assert len(list(model.parameters())) == 3
    assert model.head.bias is None


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2


def test_assigning_a_tensor_to_a_parameter_name_is_an_error():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Parameter"):
        layer.weight = ag.zeros(2, 2)
    layer.weight = nn.Parameter(ag.zeros(2, 2))
    assert list(layer.parameters())[0] is layer.weight


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_repr_looks_like_pytorch():
    assert repr(mlp()) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=16, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=16, out_features=2, bias=True)\n"
        ")"
    )
    assert repr(TwoLayers()) == (
        "TwoLayers(\n"
        "  (layer1): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  )\n"
        "  (act): Tanh()\n"
        "  (head): Linear(in_features=3, out_features=1, bias=False)\n"
        ")"
    )
    assert repr(nn.MSELoss()) == "MSELoss()"


def test_zero_grad_train_eval():
    model = mlp()
    F.cross_entropy(model(ag.randn(4, 2)), ag.tensor([0, 1, 1, 0])).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.eval() is model and not any(m.training for m in model.modules())
    assert model.train() is model and all(m.training for m in model.modules())


def test_to_converts_parameters_in_place_and_keeps_gradients_with_them():
    model = mlp()
    params = list(model.parameters())
    (model(ag.randn(3, 2)).sum()).backward()
    assert model.to("cpu") is model
    assert model.double() is model
    assert all(a is b for a, b in zip(model.parameters(), params))  # the same objects
    for p in model.parameters():
        assert p.dtype is ag.float64 and p.grad.dtype is ag.float64 and p.requires_grad
    assert model(ag.randn(3, 2, dtype=ag.float64)).dtype is ag.float64


def test_sequential_indexing():
    model = mlp()
    assert isinstance(model[0], nn.Linear) and isinstance(model[-1], nn.Linear)
    assert len(model) == 3 and len(model[:2]) == 2
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]


# -- Linear ------------------------------------------------------------------------------------


def test_linear_is_one_graph_node_and_matches_the_formula():
    layer = nn.Linear(3, 2)
    x = ag.randn(5, 3)
    out = layer(x)
    assert out.grad_fn.name() == "AddmmBackward0"  # PyTorch's name for a batch with a bias
    assert out.grad_fn.inputs[0] is x
    expected = x.detach().numpy() @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("fan_in", [1, 3, 16, 400])
def test_linear_init_has_pytorchs_bounds(torch, fan_in):
    bound = 1 / math.sqrt(fan_in)
    ag.manual_seed(0)
    ours = nn.Linear(fan_in, 300)
    torch.manual_seed(0)
    theirs = torch.nn.Linear(fan_in, 300)
    for mine, reference in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        a, b = mine.detach().numpy(), reference.detach().numpy()
        assert a.shape == b.shape and a.dtype == b.dtype == np.float32
        # both uniform on (-bound, bound): same range, and spread (std = bound / sqrt(3))
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert np.abs(a).max() > 0.95 * bound
        if a.size >= 10_000:
            assert abs(a.std() - bound / math.sqrt(3)) < 0.02 * bound
            assert abs(a.std() - b.std()) < 0.03 * bound
            assert abs(a.mean()) < 0.02 * bound


def test_linear_init_is_reproducible_with_manual_seed():
    ag.manual_seed(7)
    first = [p.detach().numpy().copy() for p in nn.Linear(4, 3).parameters()]
    ag.manual_seed(7)
    second = [p.detach().numpy() for p in nn.Linear(4, 3).parameters()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_linear_rejects_data_on_another_device():
    class Elsewhere(ag.Tensor):
        __slots__ = ()

        @property
        def device(self):
            return ag.device("cuda:0")

    x = Elsewhere(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ag.DeviceError, match=r"model.to\('cuda:0'\)"):
        nn.Linear(3, 1)(x)


def test_linear_explains_a_wrong_number_of_features():
    with pytest.raises(ag.ShapeError, match="3 features"):
        nn.Linear(3, 1)(ag.randn(4, 2))


def test_linear_takes_tensors():
    with pytest.raises(TypeError, match=r"ag.tensor"):
        nn.Linear(3, 1)(np.zeros((4, 3)))


# -- activations and functional ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["relu", "tanh", "sigmoid"])
def test_activations_match_pytorch(torch, name):
    x = np.linspace(-3, 3, 13)
    module = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[name]()
    ours = module(ag.tensor(x, dtype=ag.float64))
    theirs = getattr(torch, name)(torch.from_numpy(x))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours = getattr(F, name)(ag.tensor(x))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)


def test_functional_softmax_and_linear_match_pytorch(torch):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    X, T = ag.tensor(x, dtype=ag.float64), torch.from_numpy(x)
    np.testing.assert_allclose(F.softmax(X, 1).detach().numpy(),
                               torch.softmax(T, 1).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        F.log_softmax(X, 0).detach().numpy(), torch.log_softmax(T, 0).detach().numpy(), rtol=1e-12
    )
    ours = F.linear(X, ag.tensor(w, dtype=ag.float64), ag.tensor(b, dtype=ag.float64))
    theirs = torch.nn.functional.linear(T, torch.from_numpy(w), torch.from_numpy(b))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)


# -- losses -----------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_and_their_gradients_match_pytorch(torch, reduction):
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((6, 3)) * 3, rng.integers(0, 3, 6)
    pred, target = rng.standard_normal((6, 1)), rng.standard_normal((6, 1))
    cases = [
        (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss, (logits, labels)),
        (nn.MSELoss, torch.nn.MSELoss, (pred, target)),
    ]
    for ours_cls, theirs_cls, (a, b) in cases:
        A = ag.tensor(a, dtype=ag.float64, requires_grad=True)
        B = ag.tensor(b) if b.dtype.kind == "i" else ag.tensor(b, dtype=ag.float64)
        At = torch.tensor(a, requires_grad=True)
        ours, theirs = ours_cls(reduction=reduction)(A, B), theirs_cls(reduction=reduction)(
            At, torch.from_numpy(b)
        )
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
        ours.sum().backward()
        theirs.sum().backward()
        np.testing.assert_allclose(A.grad.numpy(), At.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    logits = ag.tensor([[1000.0, 0.0], [0.0, -1000.0]], requires_grad=True)
    loss = nn.CrossEntropyLoss()(logits, ag.tensor([0, 0]))
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(0.0, abs=1e-6)
    assert np.all(np.isfinite(logits.grad.numpy()))


def test_cross_entropy_rejects_float_targets():
    with pytest.raises(ag.DTypeError, match=r"target.long\(\)"):
        nn.CrossEntropyLoss()(ag.randn(4, 3), ag.tensor([0.0, 1.0, 2.0, 1.0]))


def test_cross_entropy_rejects_column_targets():
    with pytest.raises(ag.ShapeError, match=r"target.reshape\(-1\)"):
        nn.CrossEntropyLoss()(ag.randn(4, 3), ag.tensor([[0], [1], [2], [1]]))


def test_cross_entropy_rejects_wrong_counts_classes_and_logit_shapes():
    with pytest.raises(ag.ShapeError, match="shape \\(4,\\)"):
        F.cross_entropy(ag.randn(4, 3), ag.tensor([0, 1]))
    with pytest.raises(ValueError, match="class index 3"):
        F.cross_entropy(ag.randn(4, 3), ag.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="class index -1"):
        F.cross_entropy(ag.randn(2, 3), ag.tensor([0, -1]))
    with pytest.raises(ag.ShapeError, match=r"unsqueeze\(0\)"):
        F.cross_entropy(ag.randn(3), ag.tensor([0]))
    with pytest.raises(TypeError, match="target is a list"):
        F.cross_entropy(ag.randn(2, 3), [0, 1])


def test_mse_loss_rejects_the_broadcasting_trap():
    prediction, target = ag.randn(8, 1), ag.randn(8)
    with pytest.raises(ag.ShapeError, match=r"broadcasting would compare every prediction"):
        nn.MSELoss()(prediction, target)
    with pytest.raises(ag.ShapeError, match=r"squeeze\(1\)"):
        nn.MSELoss()(prediction, target)


def test_mse_loss_rejects_integer_targets():
    with pytest.raises(ag.DTypeError, match=r"target.float\(\)"):
        nn.MSELoss()(ag.randn(3), ag.tensor([1, 2, 3]))


def test_unknown_reduction_is_an_error():
    with pytest.raises(ValueError, match="reduction="):
        nn.MSELoss(reduction="average")


# -- graph labels for the viewer -----------------------------------------------------------


def _labels(output):
    return {
        (fn.name(), getattr(fn, "module_path", None), getattr(fn, "module_type", None))
        for fn in topological_order([output.grad_fn])
    }


def test_nodes_are_labelled_with_their_module_path():
    model = mlp()
    loss = nn.CrossEntropyLoss()(model(ag.randn(5, 2)), ag.tensor([0, 1, 1, 0, 1]))
    assert _labels(loss) == {
        ("AddmmBackward0", "0", "Linear"),
        ("ReluBackward0", "1", "ReLU"),
        ("AddmmBackward0", "2", "Linear"),
        ("LogSoftmaxBackward0", "CrossEntropyLoss", "CrossEntropyLoss"),
        ("NllLossBackward0", "CrossEntropyLoss", "CrossEntropyLoss"),
    }


def test_nested_modules_get_dotted_paths_and_outer_ops_the_outer_path():
    out = TwoLayers()(ag.randn(4, 2))
    assert _labels(out) == {
        ("AddmmBackward0", "layer1.0", "Linear"),
        ("MulBackward0", "TwoLayers", "TwoLayers"),
        ("TanhBackward0", "act", "Tanh"),
        ("MmBackward0", "head", "Linear"),  # no bias: a plain matrix product
    }


def test_nodes_made_outside_modules_are_not_labelled():
    x = ag.randn(3, 2, requires_grad=True)
    y = nn.Linear(2, 2)(x * 3).sum()
    labels = {name: path for name, path, _ in _labels(y)}
    assert labels == {"MulBackward0": None, "AddmmBackward0": "Linear", "SumBackward0": None}


def test_no_grad_calls_label_nothing_and_build_nothing():
    model = mlp()
    with ag.no_grad():
        out = model(ag.randn(2, 2))
    assert out.grad_fn is None


def test_import_nn_is_lazy_and_light():
    code = (
        "import sys, autogradlab as ag; assert 'autogradlab.nn' not in sys.modules; "
        "ag.nn.Linear(2, 2); ag.optim, ag.data, ag.train, ag.accuracy, ag.plots.plot_loss; "
        "bad = [m for m in ('matplotlib', 'tqdm') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
