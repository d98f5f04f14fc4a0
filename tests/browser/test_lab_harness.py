"""Self-test of the browser harness with plain ipywidgets (no autogradlab code involved).

A player-shaped widget built by hand (Play jslinked to a Stack of Images, with the autogradlab
classes) must animate in JupyterLab, keep animating after its kernel is shut down, and must NOT be
detected when the ipywidgets front end is disabled.  If these fail, the fault is in the harness or
the environment, not in autogradlab.
"""

from __future__ import annotations

import pytest
from labdriver import Lab, player_rendered, visible_frame_src, wait_src_change, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

PLAIN_PLAYER = '''\
# NBVAL_IGNORE_OUTPUT
import base64, zlib, struct
import ipywidgets as widgets

def png(r, g, b, w=40, h=30):
    """A tiny solid-colour PNG, so each frame has a different src."""
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\\x00" + bytes((r, g, b)) * w for _ in range(h))
    return (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

frames = [widgets.Image(value=png(40 * i, 255 - 40 * i, 128), format="png") for i in range(6)]
stack = widgets.Stack(frames, selected_index=0)
stack.add_class("autogradlab-frames")
play = widgets.Play(min=0, max=len(frames) - 1, interval=150)
widgets.jslink((play, "value"), (stack, "selected_index"))
player = widgets.VBox([play, stack])
player.add_class("autogradlab-player")
player
'''


@pytest.fixture(scope="module")
def plain_notebook(lab_root):
    write_notebook(lab_root / "harness_plain_player.ipynb", [PLAIN_PLAYER])
    return "harness_plain_player.ipynb"


def test_plain_player_animates_and_survives_kernel_shutdown(lab, plain_notebook):
    lab.open(plain_notebook)
    lab.run_all()
    assert player_rendered(lab.page), "player did not render"
    player = lab.page.locator(".autogradlab-player").first
    first = visible_frame_src(player)
    lab.screenshot("harness-plain-before-play")
    player.locator(".widget-play button").first.click()
    wait_src_change(player, first)

    # Stop, rewind via the stop button, then kill the kernel: Play must still drive the Stack.
    player.locator(".widget-play button").nth(1).click()
    assert lab.server.shutdown_all_kernels() >= 1
    start = visible_frame_src(player)
    player.locator(".widget-play button").first.click()
    wait_src_change(player, start)
    lab.screenshot("harness-plain-after-kernel-shutdown")


def test_harness_detects_missing_widget_front_end(page, lab_server_without_widgets, plain_notebook):

    lab = Lab(page, lab_server_without_widgets)
    lab.open(plain_notebook)
    lab.run_all()
    lab.wait_run_finished()
    # The kernel ran the cell (its text repr shows) but nothing rendered the widget.
    page.get_by_text("VBox(children=").first.wait_for(state="visible", timeout=30_000)
    assert not player_rendered(page, timeout_ms=5_000)
    lab.screenshot("harness-plain-no-widget-frontend")
