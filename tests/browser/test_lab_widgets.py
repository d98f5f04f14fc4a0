"""autogradlab's widgets in a real browser: JupyterLab and Voila in headless Debian Chromium.

What is checked is what a learner sees: the player renders, Play advances the frames (also after
the kernel is shut down, because Play is jslinked to the frame Stack), the step buttons move the
caption, lesson 4's path explorer rewrites its formula, and Voila renders the player. The last test
proves the others can fail: with the ipywidgets front end disabled the player is not detected,
even though the notebook ran and Lab shows the player's static PNG fallback.

Screenshots: tests/output/screenshots/ (FAILED-*.png and the browser console on failure).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from labdriver import (
    Lab,
    player_rendered,
    visible_frame_src,
    voila,
    wait_src_change,
    wait_text_change,
    write_notebook,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

REPO_LESSON_04 = next((Path(__file__).resolve().parents[2] / "lessons").glob("04_*.ipynb"))

SOURCE_GRAPH = [
    "import autogradlab as ag\n"
    "ag.manual_seed(0)\n"
    "a = ag.randn(5, 5, requires_grad=True)\n"
    "x1, x2, x3, x4 = (ag.randn(5, 5, requires_grad=True) for _ in range(4))",
    "b = x1 * a\nc = x2 * a\nd = x3 * b + x4 * c\nL = (10 - d).sum()\nL.backward()\n"
    "print(a.grad.shape)",
    "# NBVAL_IGNORE_OUTPUT\nag.animate(L)",
]


@pytest.fixture(scope="module")
def source_graph(lab_root):
    write_notebook(lab_root / "source_graph_player.ipynb", SOURCE_GRAPH)
    return "source_graph_player.ipynb"


def lesson(lab_root, prefix: str) -> str:
    found = sorted((lab_root / "lessons").glob(f"{prefix}_*.ipynb"))
    assert found, f"lessons/{prefix}_*.ipynb not found"
    return found[0].relative_to(lab_root).as_posix()


def play_button(player):
    return player.locator(".widget-play button").first


def stop_button(player):
    return player.locator(".widget-play button").nth(1)


def visible_caption(player):
    return player.locator(".autogradlab-caption:visible").first


def check_play_and_next(lab: Lab, player, name: str) -> None:
    """Play changes the visible frame; after Stop, "next" changes the caption."""
    player.scroll_into_view_if_needed()
    first = visible_frame_src(player)
    lab.screenshot(f"{name}-before-play")
    play_button(player).click()
    wait_src_change(player, first)
    lab.screenshot(f"{name}-playing")
    stop_button(player).click()  # stops and rewinds to step 0
    caption = visible_caption(player).inner_text()
    player.locator(".autogradlab-next").first.click()  # handled by the kernel
    wait_text_change(visible_caption(player), caption)
    lab.screenshot(f"{name}-after-next")


def test_source_graph_player_in_lab_and_after_kernel_shutdown(lab, source_graph):
    lab.open(source_graph)
    lab.run_all()
    assert player_rendered(lab.page), "the autogradlab player did not render in JupyterLab"
    lab.wait_run_finished()
    assert not lab.errors(), lab.errors()
    player = lab.page.locator(".autogradlab-player").first
    check_play_and_next(lab, player, "source-graph")

    assert lab.server.shutdown_all_kernels() == 1
    assert lab.server.kernels() == []
    start = visible_frame_src(player)
    play_button(player).click()
    wait_src_change(player, start)
    lab.screenshot("source-graph-after-kernel-shutdown")
    assert lab.server.kernels() == [], "something restarted the kernel; the check proves nothing"


@pytest.mark.parametrize("prefix", ["03", "04"])
def test_lesson_player(lab, lab_root, prefix):
    lab.open(lesson(lab_root, prefix))
    lab.run_all()
    lab.wait_run_finished(timeout_ms=120_000)
    assert not lab.errors(), lab.errors()
    assert player_rendered(lab.page), f"no autogradlab player rendered in lesson {prefix}"
    check_play_and_next(lab, lab.page.locator(".autogradlab-player").first, f"lesson{prefix}")


def test_lesson4_path_explorer(lab, lab_root):
    lab.open(lesson(lab_root, "04"))
    lab.run_all()
    lab.wait_run_finished(timeout_ms=120_000)
    explorer = lab.page.locator(".autogradlab-paths").first
    explorer.wait_for(state="visible", timeout=30_000)
    explorer.scroll_into_view_if_needed()
    select = explorer.locator("select").first
    options = select.locator("option").all_inner_texts()
    assert len(options) >= 2, f"path explorer offers {options}; expected two leaves or more"
    formula = explorer.locator(".autogradlab-paths-formula").first
    before = formula.inner_text()
    assert "∂" in before, before
    current = select.input_value()
    other = next(o for o in options if o != current)
    select.select_option(label=other)
    after = wait_text_change(formula, before)
    assert f"/∂{other} =" in after, after  # "∂L/∂<leaf> = the sum over the paths ..."
    lab.screenshot("lesson04-path-explorer")


@pytest.mark.parametrize("which", ["source-graph", "lesson04"])
def test_voila_renders_player(chromium_browser, tmp_path, which):
    if which == "lesson04":  # the lesson whose path explorer the Lab test uses, as a Voila app
        (tmp_path / "nb").mkdir()
        notebook = tmp_path / "nb" / REPO_LESSON_04.name
        shutil.copy(REPO_LESSON_04, notebook)
    else:
        notebook = write_notebook(tmp_path / "nb" / "source_graph_player.ipynb", SOURCE_GRAPH)
    with voila(notebook, tmp_path / "voila") as server:
        context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(server.base_url, wait_until="domcontentloaded", timeout=90_000)
            rendered = player_rendered(page, timeout_ms=90_000)
            Lab(page, server).screenshot(f"voila-{which}")
            assert rendered, f"Voila did not render the player:\n{server.log_tail()}"
            player = page.locator(".autogradlab-player").first
            first = visible_frame_src(player)
            play_button(player).click()
            wait_src_change(player, first)
        finally:
            context.close()


def test_player_not_detected_without_widget_front_end(
    page, lab_server_without_widgets, source_graph
):
    """Negative control: the same flow with @jupyter-widgets/jupyterlab-manager disabled."""
    lab = Lab(page, lab_server_without_widgets)
    lab.open(source_graph)
    lab.run_all()
    lab.wait_run_finished()
    # The kernel ran everything, and Lab shows the player's static PNG fallback (so a test that
    # looked for "any img" would pass here) ...
    page.locator(".jp-OutputArea-output img").first.wait_for(state="visible", timeout=30_000)
    assert page.get_by_text("(5, 5)").count() >= 1
    # ... yet the detector says no player, as it must when the widget front end is missing.
    assert not player_rendered(page, timeout_ms=5_000)
    lab.screenshot("no-widget-frontend")
