"""The learner acts, in a real browser (JupyterLab in headless Debian Chromium): an explore slider
redraws the graph and its gradients; predict mode diagnoses a wrong answer without moving on and
moves on after a right one; the training player plays through its phases. Both players keep
playing after the kernel is shut down (their playback is linked in the browser).

Widgets are found by their own classes (``.autogradlab-explorer``, ``.autogradlab-predict``,
``.autogradlab-training``), never by "any image". Screenshots: tests/output/screenshots/.
"""

from __future__ import annotations

import time

import pytest
from labdriver import Lab, visible_frame_src, wait_src_change, wait_text_change, write_notebook

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

IMPORT = "import autogradlab as ag"
README = (
    "w1, w2, w3, w4, a = (ag.tensor(v, requires_grad=True) for v in (3.0, -1.0, 2.0, 4.0, 2.0))\n"
    "b = w1 * a\nc = w2 * a\nd = w3 * b + w4 * c\nL = 10 - d\nL.backward()"
)
NOTEBOOKS = {
    "explore.ipynb": [
        IMPORT,
        "def f(w1, w2, w3, w4, a):\n    b = w1 * a\n    c = w2 * a\n    d = w3 * b + w4 * c\n"
        "    L = (10 - d).sum()\n    return L",
        "# NBVAL_IGNORE_OUTPUT\nexplorer = ag.explore(f, w1=3.0, w2=-1.0, w3=2.0, w4=4.0, "
        "a=2.0)\nexplorer",
    ],
    "predict.ipynb": [IMPORT, README, "# NBVAL_IGNORE_OUTPUT\nag.animate(L, predict=True)"],
    "training.ipynb": [
        IMPORT,
        "X, y = ag.data.moons(100)\nag.manual_seed(0)\n"
        "model = ag.nn.Sequential(ag.nn.Linear(2, 16), ag.nn.ReLU(), ag.nn.Linear(16, 2))\n"
        "optimizer = ag.optim.SGD(model.parameters(), lr=0.5)",
        "# NBVAL_IGNORE_OUTPUT\nag.animate_training(model, ag.nn.CrossEntropyLoss(), X, y, "
        "optimizer, steps=2, interval=300)",
    ],
}


@pytest.fixture(scope="module")
def notebooks(lab_root):
    for name, cells in NOTEBOOKS.items():
        write_notebook(lab_root / "acting" / name, cells)
    return "acting"


def run(lab: Lab, notebook: str, widget: str):
    """Open and run ``notebook``; return the first ``widget`` (a CSS class) once visible."""
    lab.open(notebook)
    lab.run_all()
    lab.wait_run_finished(timeout_ms=120_000)
    assert not lab.errors(), lab.errors()
    found = lab.page.locator(widget).first
    found.wait_for(state="visible", timeout=60_000)
    found.scroll_into_view_if_needed()
    return found


def test_moving_an_explore_slider_changes_the_picture_and_the_gradients(lab, notebooks):
    explorer = run(lab, f"{notebooks}/explore.ipynb", ".autogradlab-explorer")
    frame = explorer.locator("img.autogradlab-explore-frame").first
    readout = explorer.locator(".autogradlab-explore-readout").first
    before_src, before_text = frame.get_attribute("src"), readout.inner_text()
    assert "∂L/∂w1 = -4.0" in before_text, before_text  # -w3 * a = -2 * 2
    slider_a = explorer.locator(".autogradlab-explore-slider").nth(4)  # w1 w2 w3 w4 a
    assert slider_a.locator(".widget-label").inner_text().strip() == "a"
    lab.screenshot("explore-before")
    value = slider_a.locator(".widget-readout").first
    value.click()
    lab.page.keyboard.press("Control+A")
    lab.page.keyboard.type("3.5")
    lab.page.keyboard.press("Enter")
    after_text = wait_text_change(readout, before_text, timeout_s=20)
    assert "∂L/∂w1 = -7.0" in after_text, after_text  # -w3 * a = -2 * 3.5
    assert "a + 0.01 → L changes by" in after_text
    deadline = time.monotonic() + 15
    while frame.get_attribute("src") == before_src and time.monotonic() < deadline:
        time.sleep(0.2)
    assert frame.get_attribute("src") != before_src, "the picture did not change"
    lab.screenshot("explore-after")


def test_predict_diagnoses_a_wrong_answer_and_advances_on_a_right_one(lab, notebooks):
    player = run(lab, f"{notebooks}/predict.ipynb", ".autogradlab-player")
    quiz = player.locator(".autogradlab-predict").first
    question = quiz.locator(".autogradlab-predict-question").first
    verdict = quiz.locator(".autogradlab-predict-verdict").first
    box = quiz.locator(".autogradlab-predict-answer input").first
    check = quiz.locator(".autogradlab-predict-check").first
    asked = question.inner_text()
    assert "∂L/∂d" in asked, asked  # the first backward step: 10 - d, local derivative -1
    frame = visible_frame_src(player)

    box.fill("1")
    check.click()
    wrong = wait_text_change(verdict, "", timeout_s=20)
    assert "Not yet" in wrong and "sign is flipped" in wrong and "Hint" in wrong, wrong
    assert question.inner_text() == asked, "a wrong answer moved on to another question"
    assert visible_frame_src(player) == frame, "a wrong answer moved the player"
    lab.screenshot("predict-wrong")

    box.fill("-1")
    box.press("Enter")  # Enter sends the number too
    right = wait_text_change(verdict, wrong, timeout_s=20)
    assert right.startswith("Right"), right
    assert wait_text_change(question, asked, timeout_s=20) != asked
    moved = wait_src_change(player, frame)  # the player moved on past the revealed step
    lab.screenshot("predict-right")

    # without a kernel, nothing checks answers, but Play still plays (client-side links)
    assert lab.server.shutdown_all_kernels() == 1
    player.locator(".widget-play button").first.click()
    wait_src_change(player, moved)


def visible_phase(player) -> str:
    return player.evaluate(
        """(el) => {
            const labels = [...el.querySelectorAll('[class*="autogradlab-phase-"]')];
            const shown = labels.find(x => x.offsetParent !== null);
            return shown ? shown.innerText.trim() : '';
        }"""
    )


def test_the_training_player_plays_through_its_phases(lab, notebooks):
    player = run(lab, f"{notebooks}/training.ipynb", ".autogradlab-training")
    assert visible_phase(player) == "forward"
    assert lab.server.shutdown_all_kernels() == 1  # it plays in the browser alone
    first = visible_frame_src(player)
    player.locator(".widget-play button").first.click()
    wait_src_change(player, first)
    seen: list[str] = []
    deadline = time.monotonic() + 30
    wanted = {"forward", "backward", "optimizer.step()", "zero_grad()"}
    while not wanted <= set(seen) and time.monotonic() < deadline:
        phase = visible_phase(player)
        if phase and (not seen or seen[-1] != phase):
            seen.append(phase)
        time.sleep(0.05)
    lab.screenshot("training-playing")
    assert wanted <= set(seen), f"phases seen while playing: {seen}"
    assert seen.index("backward") < seen.index("optimizer.step()") < seen.index("zero_grad()")
