"""ag.data: the generated data sets (shapes, dtypes, seeds) and the batch iterator."""

from __future__ import annotations

import numpy as np
import pytest

import autogradlab as ag
from autogradlab.data import DataLoader, batches, circles, line, moons, spirals

CLASSIFICATION = [moons, circles, spirals]


@pytest.mark.parametrize("make", CLASSIFICATION)
def test_classification_sets_are_points_with_int64_labels(make):
    X, y = make(n=101, seed=0)
    assert X.shape == (101, 2) and X.dtype is ag.float32
    assert y.shape == (101,) and y.dtype is ag.int64
    counts = np.bincount(y.detach().numpy())
    assert counts.max() - counts.min() <= 1  # balanced classes
    assert not X.requires_grad


@pytest.mark.parametrize("make", CLASSIFICATION + [line])
def test_the_seed_decides_the_points(make):
    a, b, c = make(seed=0), make(seed=0), make(seed=1)
    np.testing.assert_array_equal(a[0].detach().numpy(), b[0].detach().numpy())
    np.testing.assert_array_equal(a[1].detach().numpy(), b[1].detach().numpy())
    assert not np.array_equal(a[0].detach().numpy(), c[0].detach().numpy())
    ag.manual_seed(123)  # the engine's generator has no influence
    np.testing.assert_array_equal(make(seed=0)[0].detach().numpy(), a[0].detach().numpy())


def test_moons_without_noise_lie_on_two_half_circles():
    X, y = moons(n=200, noise=0.0)
    X, y = X.detach().numpy(), y.detach().numpy()
    top, bottom = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(top[:, 0], top[:, 1]), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.hypot(bottom[:, 0] - 1, bottom[:, 1] - 0.5), 1.0, rtol=1e-6)
    assert np.all(top[:, 1] >= -1e-6) and np.all(bottom[:, 1] <= 0.5 + 1e-6)


def test_circles_without_noise_have_radius_1_and_factor():
    X, y = circles(n=100, noise=0.0, factor=0.3)
    radius = np.hypot(*X.detach().numpy().T)
    np.testing.assert_allclose(radius[y.detach().numpy() == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(radius[y.detach().numpy() == 1], 0.3, rtol=1e-6)


def test_spirals_have_as_many_arms_as_classes():
    X, y = spirals(n=300, classes=3)
    assert set(y.detach().numpy().tolist()) == {0, 1, 2}
    assert np.abs(X.detach().numpy()).max() < 1.5


def test_line_is_a_noisy_line():
    X, y = line(n=2000, slope=-3.0, intercept=0.5, noise=0.1)
    assert X.shape == y.shape == (2000, 1) and X.dtype is y.dtype is ag.float32
    slope, intercept = np.polyfit(X.detach().numpy()[:, 0], y.detach().numpy()[:, 0], 1)
    assert slope == pytest.approx(-3.0, abs=0.02) and intercept == pytest.approx(0.5, abs=0.01)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="number of points"):
        moons(n=0)
    with pytest.raises(ValueError, match="noise"):
        circles(noise=-1)
    with pytest.raises(ValueError, match="factor"):
        circles(factor=1.5)
    with pytest.raises(ValueError, match="classes"):
        spirals(classes=1)


def test_batches_cover_every_example_once():
    X = ag.arange(10).reshape(10, 1).float()
    y = ag.arange(10)
    seen = []
    sizes = []
    for Xb, yb in batches(X, y, batch_size=4, shuffle=True, seed=0):
        np.testing.assert_array_equal(Xb.numpy()[:, 0], yb.numpy())  # rows stay paired
        seen += yb.detach().numpy().tolist()
        sizes.append(len(yb))
    assert sizes == [4, 4, 2]
    assert sorted(seen) == list(range(10)) and seen != list(range(10))


def test_dataloader_reshuffles_each_epoch_repeatably():
    X, y = moons(n=20)
    loader = DataLoader((X, y), batch_size=8, shuffle=True, seed=3)
    first = [yb.detach().numpy().tolist() for _, yb in loader]
    second = [yb.detach().numpy().tolist() for _, yb in loader]
    assert first != second and len(loader) == 3
    again = DataLoader((X, y), batch_size=8, shuffle=True, seed=3)
    assert [yb.detach().numpy().tolist() for _, yb in again] == first


def test_dataloader_in_order_and_drop_last():
    X, y = ag.arange(7).reshape(7, 1).float(), ag.arange(7)
    loader = DataLoader((X, y), batch_size=3, drop_last=True)
    assert len(loader) == 2
    assert [yb.detach().numpy().tolist() for _, yb in loader] == [[0, 1, 2], [3, 4, 5]]


def test_dataloader_errors():
    with pytest.raises(ValueError, match="same number of examples"):
        DataLoader((ag.zeros(3, 2), ag.zeros(4)), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader((ag.zeros(3, 2), ag.zeros(3)), batch_size=0)
    with pytest.raises(TypeError, match="tuple of tensors"):
        DataLoader((np.zeros(3),), batch_size=1)
