"""``ag.animate`` of a PyTorch loss plays in JupyterLab, as autogradlab's own players do (issue 18).

A small ``torch.nn`` model's loss, recorded with ``ag.torch.record()``, animated: the player
renders, Play changes the frame, "next" (through the kernel) changes the caption, and after the
kernel is shut down Play still advances the frames (they are jslinked in the browser). The
captions are PyTorch's: node names such as ``AddmmBackward0`` and its vector-Jacobian products.
"""

from __future__ import annotations

import pytest
from labdriver import (
    Lab,
    player_rendered,
    visible_frame_src,
    wait_src_change,
    wait_text_change,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

TORCH_LOSS = [
    "import torch\nimport autogradlab as ag\n"
    "torch.manual_seed(0)\n"
    "net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))\n"
    "inputs, targets = torch.randn(4, 2), torch.randn(4, 1)",
    "with ag.torch.record():\n"
    "    loss = torch.nn.functional.mse_loss(net(inputs), targets)\n"
    "print(type(loss).__module__, loss.grad_fn.name())",
    "# NBVAL_IGNORE_OUTPUT\nplayer = ag.animate(loss)\nplayer",
]


@pytest.fixture(scope="module")
def torch_loss(lab_root):
    pytest.importorskip("torch")
    write_notebook(lab_root / "torch_loss_player.ipynb", TORCH_LOSS)
    return "torch_loss_player.ipynb"


def test_animate_a_pytorch_loss_plays_in_lab(lab: Lab, torch_loss):
    lab.open(torch_loss)
    lab.run_all()
    assert player_rendered(lab.page, timeout_ms=120_000), "the PyTorch loss's player did not render"
    lab.wait_run_finished(timeout_ms=120_000)
    assert not lab.errors(), lab.errors()
    assert lab.page.get_by_text("torch MseLossBackward0").count() >= 1
    player = lab.page.locator(".autogradlab-player").first
    player.scroll_into_view_if_needed()

    first = visible_frame_src(player)
    player.locator(".widget-play button").first.click()
    wait_src_change(player, first)
    lab.screenshot("torch-player-playing")
    player.locator(".widget-play button").nth(1).click()  # stop: back to step 0
    caption = player.locator(".autogradlab-caption:visible").first  # found again at each look
    before = caption.inner_text()
    player.locator(".autogradlab-next").first.click()  # through the kernel: forward step 1
    after = wait_text_change(caption, before)
    assert "TBackward0 = t(net.0.weight)" in after, after

    # the frames play in the browser alone: shut the kernel down and press Play again
    assert lab.server.shutdown_all_kernels() == 1
    start = visible_frame_src(player)
    player.locator(".widget-play button").first.click()
    wait_src_change(player, start)
    lab.screenshot("torch-player-after-kernel-shutdown")
    assert lab.server.kernels() == []
