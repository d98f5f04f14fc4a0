"""A saved animation page plays in a real browser, from ``file://``, with the network cut off.

``player.save("backprop.html")`` promises one file that plays anywhere: Chromium opens it with
every request that is not ``file:`` aborted (and recorded), and Play must advance the frame and
the caption on its own. The README example's graph is the one saved, so the size budget is the
README's.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import autogradlab as ag

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]
HTML_BUDGET = 1_500_000


def _readme_loss() -> ag.Tensor:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Example\n(.*?)(?=^## |\Z)", readme, re.S | re.M).group(1)
    lines = re.search(r"```python\n(.*?)```", section, re.S).group(1).splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("L.backward()"))
    namespace: dict = {}
    exec("\n".join(lines[: end + 1]), namespace)
    return namespace["L"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> tuple[Path, list[str]]:
    """The saved page and the player's captions, one per step."""
    player = ag.animate(_readme_loss(), interval=300)
    path = player.save(tmp_path_factory.mktemp("export") / "backprop.html")
    return path, [step.caption for step in player.steps]


def _shown(page) -> tuple[str, str, str, str]:
    """What the learner sees: the frame's source, the caption, the phase label, the counter."""
    return (
        page.get_attribute("#frame", "src") or "",
        page.text_content("#caption") or "",
        page.text_content("#phase") or "",
        page.text_content("#counter") or "",
    )


def test_saved_page_plays_offline(page, saved):
    path, captions = saved
    steps = len(captions)
    size = path.stat().st_size
    assert size <= HTML_BUDGET, f"the saved page is {size} bytes (budget {HTML_BUDGET})"

    asked: list[str] = []

    def only_files(route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        else:
            asked.append(url)
            route.abort()

    page.route("**/*", only_files)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())

    src0, caption0, phase0, counter0 = _shown(page)
    assert src0.startswith("data:image/png;base64,")
    assert page.evaluate("document.getElementById('frame').naturalWidth") > 0  # it decoded
    assert caption0 == captions[0] and phase0 == "forward"
    assert counter0 == f"step 1 of {steps}"

    page.click("#play")
    page.wait_for_function("() => document.body.dataset.step >= 2", timeout=10_000)
    src1, caption1, _, counter1 = _shown(page)
    assert src1 != src0 and caption1 != caption0 and counter1 != counter0
    assert caption1 in captions[1:]
    assert page.text_content("#play") == "Pause"

    # it plays to the end on its own and stops there, in the backward phase
    page.wait_for_function(f"() => document.body.dataset.step == {steps - 1}", timeout=30_000)
    page.wait_for_function("() => document.getElementById('play').textContent == 'Play'")
    assert page.text_content("#phase") == "backward"
    assert page.text_content("#caption") == captions[-1]

    # the step buttons and the slider
    page.click("#first")
    assert page.text_content("#caption") == caption0
    page.click("#next")
    assert page.text_content("#counter") == f"step 2 of {steps}"
    page.locator("#step").fill(str(steps // 2))
    assert page.text_content("#counter") == f"step {steps // 2 + 1} of {steps}"
    page.keyboard.press("ArrowLeft")
    assert page.text_content("#counter") == f"step {steps // 2} of {steps}"

    assert not asked, f"the page asked the network for {asked}"
    assert not errors, errors
