"""``ag.animate_training``: the training loop's phases on one graph, with the numbers of a plain
loop run by hand (the same model, the same data, the same optimizer)."""

from __future__ import annotations

import numpy as np
import pytest

import autogradlab as ag
from autogradlab.widgets import training
from autogradlab.widgets.training import TrainingPlayer, animate_training

X, Y = ag.data.moons(64, seed=1)


def make_model(seed: int = 0) -> ag.nn.Module:
    ag.manual_seed(seed)
    return ag.nn.Sequential(ag.nn.Linear(2, 8), ag.nn.ReLU(), ag.nn.Linear(8, 2))


def by_hand(steps: int, zero_grad: bool):
    """The loop itself: losses, and each parameter's .grad norm after each backward pass."""
    model = make_model()
    optimizer = ag.optim.SGD(model.parameters(), lr=0.3)
    losses, norms = [], []
    for _ in range(steps):
        loss = ag.nn.CrossEntropyLoss()(model(X), Y)
        loss.backward()
        losses.append(loss.item())
        norms.append([float(np.linalg.norm(p.grad.numpy())) for p in model.parameters()])
        optimizer.step()
        if zero_grad:
            optimizer.zero_grad()
    return losses, norms, [p.detach().numpy().copy() for p in model.parameters()]


def animated(steps: int = 3, zero_grad: bool = True) -> tuple[TrainingPlayer, ag.nn.Module]:
    model = make_model()
    optimizer = ag.optim.SGD(model.parameters(), lr=0.3)
    player = animate_training(model, ag.nn.CrossEntropyLoss(), X, Y, optimizer, steps=steps,
                              zero_grad=zero_grad)
    return player, model


def test_each_step_plays_forward_backward_step_and_zero_grad():
    player, _ = animated(steps=3)
    phases = [f.phase for f in player.training_frames]
    assert phases == ["forward", "backward", "step", "zero_grad"] * 3
    assert len(player.pngs) == len(player.frames.children) == len(player.captions.children) == 12
    assert player.frame_phases[:4] == ["forward", "backward", "optimizer.step()", "zero_grad()"]
    assert [f.step for f in player.training_frames] == [1] * 4 + [2] * 4 + [3] * 4
    assert len(set(player.pngs)) == 12  # every frame shows something new
    assert player.play.max == 11
    assert {link.target[1] for link in player.links} >= {"value", "selected_index"}


def test_losses_gradients_and_parameters_are_the_loops_own():
    player, model = animated(steps=3)
    losses, norms, params = by_hand(3, zero_grad=True)
    assert player.losses == pytest.approx(losses)
    backward = [n for f, n in zip(player.training_frames, player.grad_norms)
                if f.phase == "backward"]
    for shown, expected in zip(backward, norms):
        assert list(shown.values()) == pytest.approx(expected, rel=1e-5)
    for p, expected in zip(model.parameters(), params):  # the model really trained
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-6)


def test_zero_grad_clears_and_the_next_forward_starts_from_nothing():
    player, _ = animated(steps=2)
    frames = list(zip(player.training_frames, player.grad_norms))
    cleared = [n for f, n in frames if f.phase == "zero_grad"]
    forward = [n for f, n in frames if f.phase == "forward"]
    assert all(v is None for n in cleared + forward for v in n.values())
    assert "model.0.weight.grad: None" in player.training_frames[4].caption


def test_without_zero_grad_the_gradients_pile_up():
    player, _ = animated(steps=3, zero_grad=False)
    assert [f.phase for f in player.training_frames][:4] == [
        "forward", "backward", "step", "no_zero_grad"]
    _, norms, _ = by_hand(3, zero_grad=False)  # the same bug, by hand: .grad accumulates
    backward = [list(n.values()) for f, n in zip(player.training_frames, player.grad_norms)
                if f.phase == "backward"]
    for shown, expected in zip(backward, norms):
        assert shown == pytest.approx(expected, rel=1e-5)
    assert all(b > a for a, b in zip(backward[0], backward[1]))  # visibly bigger
    forward_2 = player.grad_norms[4]  # step 2's forward still shows step 1's gradients
    assert list(forward_2.values()) == pytest.approx(backward[0])
    assert "classic bug" in player.training_frames[5].caption


def test_the_optimizer_reports_through_the_engines_events():
    player, model = animated(steps=2)
    assert len(player.recorder.updated) == 2 and len(player.recorder.cleared) == 2
    last = player.recorder.updated[-1]
    for p in model.parameters():
        np.testing.assert_array_equal(last[id(p)], p.detach().numpy())
    step_caption = player.training_frames[2].caption
    assert "optimizer.step()" in step_caption and "→" in step_caption


def test_steps_must_be_positive():
    model = make_model()
    with pytest.raises(ValueError, match="steps >= 1"):
        animate_training(model, ag.nn.CrossEntropyLoss(), X, Y,
                         ag.optim.SGD(model.parameters(), lr=0.1), steps=0)


def test_ag_animate_training_is_the_public_name():
    assert ag.animate_training is animate_training


def test_adam_reports_its_updates_too():
    model = make_model()
    optimizer = ag.optim.Adam(model.parameters(), lr=0.05)
    player = animate_training(model, ag.nn.CrossEntropyLoss(), X, Y, optimizer, steps=2)
    assert len(player.recorder.updated) == 2
    for p in model.parameters():
        np.testing.assert_array_equal(player.recorder.updated[-1][id(p)], p.detach().numpy())
    assert player.losses[1] < player.losses[0]


def test_one_layout_for_every_step(monkeypatch):
    made = []
    original = training.SnapshotRenderer

    def counting(graph):
        made.append(graph)
        return original(graph)

    monkeypatch.setattr(training, "SnapshotRenderer", counting)
    player, _ = animated(steps=3)
    assert len({id(g) for g in player.graphs}) == 3  # a graph traced at each step ...
    assert len(made) == 1  # ... drawn on the one layout made for the first
    assert player._laid_out is player.graphs[0]


def test_the_players_parts_read_as_the_animation_players_do(tmp_path):
    player, _ = animated(steps=1)
    assert [s.kind for s in player.steps] == ["forward", "backward", "step", "zero_grad"]
    assert len(player.forward_steps) == 1 and player.step == 0
    player.next_button.click()
    assert player.step == 1
    assert repr(player).startswith("TrainingPlayer(1 steps, 4 frames, zero_grad=True; loss")
    page = player.save(tmp_path / "training.html").read_text(encoding="utf-8")
    assert "optimizer.step()" in page and "zero_grad()" in page
