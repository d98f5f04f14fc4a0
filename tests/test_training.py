"""ag.train, accuracy and the plot helpers: a model learns two moons, and stops cleanly."""

from __future__ import annotations

import numpy as np
import pytest

import autogradlab as ag
from autogradlab import nn
from autogradlab.training import accuracy, train


def moons_mlp() -> nn.Sequential:
    ag.manual_seed(0)
    return nn.Sequential(
        nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)
    )


def test_mlp_learns_two_moons_with_adam():
    X, y = ag.data.moons(500, noise=0.1, seed=0)
    model = moons_mlp()
    optimizer = ag.optim.Adam(model.parameters(), lr=0.01)
    history = ag.train(model, nn.CrossEntropyLoss(), optimizer, (X, y), epochs=300,
                       progress=False)
    assert len(history) == 300 and all(isinstance(v, float) for v in history)
    assert history[-1] < history[0] / 10
    assert accuracy(model, X, y) >= 0.97
    assert model.training  # accuracy() put the model back in training mode


def test_training_is_deterministic():
    X, y = ag.data.moons(100, seed=1)
    runs = []
    for _ in range(2):
        model = moons_mlp()
        opt = ag.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        runs.append(train(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=5, batch_size=32,
                          progress=False))
    assert runs[0] == runs[1]
    assert len(runs[0]) == 5 * 4  # one loss per step: 4 batches (32, 32, 32, 4) per epoch


def test_linear_regression_on_a_line():
    X, y = ag.data.line(n=200, slope=2.0, intercept=1.0, noise=0.05)
    ag.manual_seed(0)
    model = nn.Linear(1, 1)
    train(model, nn.MSELoss(), ag.optim.SGD(model.parameters(), lr=0.5), (X, y), epochs=200,
          progress=False)
    assert model.weight.item() == pytest.approx(2.0, abs=0.02)
    assert model.bias.item() == pytest.approx(1.0, abs=0.02)


def test_progress_bar_shows_the_loss(capsys):
    X, y = ag.data.moons(50)
    model = moons_mlp()
    train(model, nn.CrossEntropyLoss(), ag.optim.Adam(model.parameters()), (X, y), epochs=3)
    err = capsys.readouterr().err
    assert "training" in err and "loss=" in err and "3/3" in err


def test_keyboard_interrupt_keeps_what_was_learned(capsys):
    X, y = ag.data.moons(100)
    model = moons_mlp()
    before = model[0].weight.detach().numpy().copy()

    def stop_in_epoch_4(epoch, loss):
        if epoch == 4:
            raise KeyboardInterrupt

    history = train(model, nn.CrossEntropyLoss(), ag.optim.Adam(model.parameters(), lr=0.01),
                    (X, y), epochs=50, callback=stop_in_epoch_4, progress=False)
    assert len(history) == 4
    assert not np.array_equal(model[0].weight.detach().numpy(), before)
    assert "interrupted in epoch 4 of 50" in capsys.readouterr().out


def test_callback_returning_true_stops_training():
    X, y = ag.data.moons(100)
    model = moons_mlp()
    seen = []

    def stop_at_3(epoch, loss):
        seen.append((epoch, loss))
        return epoch == 3

    history = train(model, nn.CrossEntropyLoss(), ag.optim.Adam(model.parameters()), (X, y),
                    epochs=10, callback=stop_at_3, progress=False)
    assert [e for e, _ in seen] == [1, 2, 3] and len(history) == 3
    assert seen[-1][1] == history[-1]


def test_model_and_data_on_different_devices_is_an_error():
    class OnGpu(ag.Tensor):
        __slots__ = ()

        @property
        def device(self):
            return ag.device("cuda:0")

    X, y = ag.data.moons(10)
    X, y = OnGpu(X.data), OnGpu(y.data)
    model = moons_mlp()
    with pytest.raises(ag.DeviceError, match=r"model.to\('cuda:0'\)"):
        train(model, nn.CrossEntropyLoss(), ag.optim.Adam(model.parameters()), (X, y),
              progress=False)


def test_bad_data_is_explained():
    model = moons_mlp()
    opt = ag.optim.Adam(model.parameters())
    loss = nn.CrossEntropyLoss()
    with pytest.raises(TypeError, match=r"pair \(X, y\)"):
        train(model, loss, opt, ag.zeros(3, 2), progress=False)
    with pytest.raises(ValueError, match="same number of rows"):
        train(model, loss, opt, (ag.zeros(3, 2), ag.zeros(4)), progress=False)
    with pytest.raises(ag.DTypeError, match=r"target.long\(\)"):
        train(model, loss, opt, (ag.zeros(3, 2), ag.zeros(3)), progress=False)


def test_accuracy_for_two_outputs_and_one_output():
    X = ag.tensor([[1.0], [-2.0], [3.0]])

    class Scores(nn.Module):
        def forward(self, x):
            return x

    assert accuracy(Scores(), X, ag.tensor([1, 0, 0])) == pytest.approx(2 / 3)
    two = ag.tensor([[0.0, 1.0], [2.0, 1.0]])
    assert accuracy(Scores(), two, ag.tensor([1, 0])) == 1.0


def test_plots_return_figures():
    from matplotlib.figure import Figure

    from autogradlab.plots import plot_decision_boundary, plot_loss

    X, y = ag.data.moons(60)
    model = moons_mlp()
    history = train(model, nn.CrossEntropyLoss(), ag.optim.Adam(model.parameters(), lr=0.02),
                    (X, y), epochs=20, progress=False)
    figure = plot_loss(history)
    assert isinstance(figure, Figure) and figure.axes[0].get_yscale() == "log"
    figure = plot_decision_boundary(model, X, y, resolution=50)
    assert isinstance(figure, Figure) and len(figure.axes) == 1
    figure.canvas.draw()  # renders without pyplot (Agg)
    existing = Figure().add_subplot()
    assert plot_loss([3.0, 2.0], ax=existing) is existing.figure
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plot_decision_boundary(model, ag.zeros(4, 3), ag.zeros(4))
