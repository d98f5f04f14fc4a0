"""Animations outside Jupyter: ``player.save("x.html")``, ``player.save("x.gif")`` and the line a
script prints (``autogradlab/widgets/export.py``).

The README's Example graph sets the budgets: the page at most 1.5 MB, the GIF at most 2 MB. The
page is read as text (every frame inline, nothing fetched); ``tests/browser/test_export_page.py``
plays it in Chromium. The GIF is read back with Pillow.
"""

from __future__ import annotations

import base64
import inspect
import io
import json
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import ipywidgets as widgets
import nbformat
import numpy as np
import pytest
from PIL import Image

import autogradlab as ag
from autogradlab.widgets import GraphPlayer, export

REPO = Path(__file__).resolve().parent.parent
HTML_BUDGET = 1_500_000  # bytes, for the README example
GIF_BUDGET = 2_000_000


def readme_example() -> str:
    """The README's Example code up to ``L.backward()`` (the lines that build the graph)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Example\n(.*?)(?=^## |\Z)", readme, re.S | re.M)
    assert section, "README.md has no '## Example' section"
    code = re.search(r"```python\n(.*?)```", section.group(1), re.S)
    assert code, "README.md's Example has no python block"
    lines = code.group(1).splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("L.backward()"))
    return "\n".join(lines[: end + 1])


def readme_loss() -> ag.Tensor:
    namespace: dict = {}
    exec(readme_example(), namespace)
    return namespace["L"]


@pytest.fixture(scope="module")
def player() -> GraphPlayer:
    return ag.animate(readme_loss())


@pytest.fixture(scope="module")
def page(player) -> str:
    return export.to_html(player)


@pytest.fixture(scope="module")
def gif(player) -> bytes:
    return export.to_gif(player)


def page_data(page: str) -> dict:
    """The JSON block of frames, captions and phases that the page's script plays."""
    match = re.search(r'<script id="frames" type="application/json">(.*?)</script>', page, re.S)
    assert match, "the page has no frames block"
    return json.loads(match.group(1))


def gif_frames(data: bytes) -> list[Image.Image]:
    image = Image.open(io.BytesIO(data))
    frames = []
    for i in range(image.n_frames):
        image.seek(i)
        frames.append(image.convert("RGB"))
    return frames


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------


def test_page_holds_every_frame_inline(player, page):
    assert len(player.pngs) == len(player.steps) > 10
    data = page_data(page)
    assert data["frames"] == [
        "data:image/png;base64," + base64.b64encode(png).decode() for png in player.pngs
    ]
    assert data["captions"] == [step.caption for step in player.steps]
    assert data["phases"] == [step.phase for step in player.steps]
    assert set(data["phases"]) == {"forward", "backward"}
    assert set(data["colors"]) == {"forward", "backward"}
    # the picture shown before any script runs is the first frame, with the first caption
    img = re.search(r'<img id="frame" src="([^"]+)"', page)
    assert img and img.group(1) == data["frames"][0]
    assert player.steps[0].caption.split(":")[0] in page.split('<p id="caption">')[1][:400]


def test_page_needs_no_network(page):
    assert not re.search(r"https?://", page), "the page names a URL: it must work offline"
    for fetching in ("url(", "@import", "fetch(", "XMLHttpRequest", "<link", "<iframe"):
        assert fetching not in page, f"the page could fetch something: {fetching!r}"
    sources = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert sources and all(s.startswith("data:") for s in sources), sources
    assert "default-src 'none'" in page  # the browser itself refuses any request


def test_page_within_budget(page):
    size = len(page.encode("utf-8"))
    assert size <= HTML_BUDGET, f"the README example's page is {size} bytes (budget {HTML_BUDGET})"


def test_page_controls_are_there(page):
    for element in ('id="play"', 'id="first"', 'id="prev"', 'id="next"', 'id="last"',
                    'id="step" type="range"', 'id="caption"', 'id="phase"'):
        assert element in page
    assert page.count("<script") == 2  # the data and a few dozen lines of plain JavaScript
    script = page.rsplit("<script>", 1)[1].split("</script>")[0]
    assert 20 <= len(script.strip().splitlines()) <= 80


def test_a_caption_cannot_break_out_of_the_page():
    evil = "</script><script>alert(1)</script> & <b>bold</b>"
    frames = export.Frames((_png(),) * 2, (evil, "ok"), ("forward", ""), "<title>")
    page = export.to_html(frames)
    assert "<script>alert(1)" not in page
    assert "<b>bold</b>" not in page
    assert page_data(page)["captions"][0] == evil  # the text itself survives, as text
    assert "<title>&lt;title&gt;</title>" in page


def test_page_is_the_same_every_time(player, page):
    assert export.to_html(player) == page


# --------------------------------------------------------------------------------------------
# the GIF
# --------------------------------------------------------------------------------------------


def test_gif_has_one_frame_per_step_within_budget(player, gif):
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF"
    assert image.n_frames == len(player.steps)
    assert len(gif) <= GIF_BUDGET, f"the README example's GIF is {len(gif)} bytes"
    assert image.info.get("loop") == 0  # loops forever


def test_gif_frames_are_the_players_frames_with_captions_under_them(player, gif):
    frames = gif_frames(gif)
    first = Image.open(io.BytesIO(player.pngs[0])).convert("RGB")
    w, h = first.size
    assert frames[0].width == w and frames[0].height > h + 20  # a caption panel below
    for i in (0, len(frames) // 2, len(frames) - 1):
        png = np.asarray(Image.open(io.BytesIO(player.pngs[i])).convert("RGB"), dtype=int)
        top = np.asarray(frames[i], dtype=int)[:h]
        assert np.abs(top - png).mean() < 1.0, f"GIF frame {i} is not the player's frame {i}"
        panel = np.asarray(frames[i], dtype=int)[h + 2:]
        assert (panel < 128).any(), f"GIF frame {i} has no caption text under the picture"
    # different captions: different panels
    a, b = (np.asarray(frames[k])[h + 2:] for k in (0, 1))
    assert not np.array_equal(a, b)


def test_gif_frame_timing(player, gif):
    image = Image.open(io.BytesIO(gif))
    durations = []
    for i in range(image.n_frames):
        image.seek(i)
        durations.append(image.info["duration"])
    interval = player.play.interval
    assert durations[:-1] == [interval] * (len(durations) - 1)
    assert durations[-1] == interval * export.LAST_FRAME_HOLD


def test_gif_is_the_same_every_time(player, gif):
    assert export.to_gif(player) == gif


def test_caption_wrap_fits_the_width():
    font = export._font(export.CAPTION_FONT_SIZE)
    text = "Backward step 5 of 11: mul2 sends dL/dmul2 x dmul2/dc = -1 x 4 = -4 to c. " * 4
    lines = export.wrap(text, 400, font)
    assert len(lines) > 3
    assert all(font.getlength(line) <= 400 for line in lines)
    assert " ".join(lines).split() == text.split()  # no word lost


# --------------------------------------------------------------------------------------------
# save()
# --------------------------------------------------------------------------------------------


def test_save_picks_the_format_from_the_suffix(player, page, gif, tmp_path):
    html_path = player.save(tmp_path / "backprop.html")
    assert html_path == tmp_path / "backprop.html"
    assert html_path.read_text(encoding="utf-8") == page
    gif_path = player.save(str(tmp_path / "backprop.GIF"))
    assert gif_path.read_bytes() == gif


@pytest.mark.parametrize("name", ["backprop.png", "backprop.mp4", "backprop", "backprop.htm"])
def test_save_names_the_two_formats_for_anything_else(player, tmp_path, name):
    with pytest.raises(ValueError) as err:
        player.save(tmp_path / name)
    message = str(err.value)
    assert "'.html'" in message and "'.gif'" in message and name in message
    assert not (tmp_path / name).exists()


def test_save_on_a_grouped_player(tmp_path):
    """A graph too big to show node by node is animated in groups (or folded into groups);
    both exports follow what the player shows."""
    ag.manual_seed(0)
    model = ag.nn.Sequential(ag.nn.Linear(4, 6), ag.nn.ReLU(), ag.nn.Linear(6, 3),
                             ag.nn.Tanh(), ag.nn.Linear(3, 1))
    x = ag.randn(5, 4)
    loss = (model(x) ** 2).mean()
    loss.backward()
    player = ag.animate(loss, max_nodes=8)
    assert getattr(player, "folding", "") or any(step.grouped for step in player.steps)
    page = player.save(tmp_path / "grouped.html").read_text(encoding="utf-8")
    assert page_data(page)["captions"] == [s.caption for s in player.steps]
    image = Image.open(player.save(tmp_path / "grouped.gif"))
    assert image.n_frames == len(player.steps)


# --------------------------------------------------------------------------------------------
# any player: the contract export reads
# --------------------------------------------------------------------------------------------


def _png(color: str = "white", size: tuple[int, int] = (60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="png")
    return buffer.getvalue()


def test_any_object_with_pngs_captions_and_phases(tmp_path):
    """What a training player (or any other) needs to offer: pngs plus captions and phases."""
    frames = types.SimpleNamespace(
        pngs=[_png("white"), _png("red"), _png("blue")],
        frame_captions=["epoch 1: loss 0.9", "epoch 2: loss 0.5", "epoch 3: loss 0.2"],
        frame_phases=["training", "training", "training"],
        interval=400,
    )
    got = export.frames_of(frames)
    assert got.captions == tuple(frames.frame_captions) and got.interval == 400
    assert got.colors == ()  # an unknown phase: the page shows it grey
    frames.phase_colors = {"training": "#15803d"}
    assert page_data(export.to_html(frames))["colors"] == {"training": "#15803d"}
    data = page_data(export.to_html(frames))
    assert data["captions"] == frames.frame_captions and data["phases"] == frames.frame_phases
    path = export.save(frames, tmp_path / "training.gif")
    image = Image.open(path)
    assert image.n_frames == 3
    assert [image.seek(i) or image.info["duration"] for i in range(3)] == [400, 400, 1200]


def test_captions_read_from_widget_stacks():
    stack = widgets.Stack([widgets.HTML("<div style='x'>a &lt; b,\n  <b>twice</b></div>"),
                           widgets.HTML("second")])
    holder = types.SimpleNamespace(pngs=[_png(), _png()], captions=stack, phases=["x", "y"])
    got = export.frames_of(holder)
    assert got.captions == ("a < b, twice", "second")
    assert got.phases == ("x", "y")


def test_export_refuses_what_has_no_frames():
    with pytest.raises(TypeError, match="pngs"):
        export.to_html(object())
    with pytest.raises(ValueError, match="no frames"):
        export.to_gif(types.SimpleNamespace(pngs=[]))


def test_predict_mode_saves_as_a_plain_player(tmp_path):
    if "predict" not in inspect.signature(ag.animate).parameters:
        pytest.skip("ag.animate has no predict mode yet")
    loss = readme_loss()
    plain, predicting = ag.animate(loss), ag.animate(loss, predict=True)
    assert export.to_gif(predicting) == export.to_gif(plain)
    assert page_data(export.to_html(predicting)) == page_data(export.to_html(plain))


def test_training_player_saves(tmp_path):
    if not hasattr(ag, "animate_training"):
        pytest.skip("ag.animate_training does not exist yet")
    ag.manual_seed(0)
    model = ag.nn.Linear(2, 2)
    x, y = ag.randn(8, 2), ag.tensor([0, 1] * 4)
    optimizer = ag.optim.SGD(model.parameters(), lr=0.1)
    player = ag.animate_training(model, ag.nn.CrossEntropyLoss(), x, y, optimizer, steps=2)
    assert len(player.pngs) > 4
    page = player.save(tmp_path / "training.html").read_text(encoding="utf-8")
    data = page_data(page)
    assert data["frames"] == [
        "data:image/png;base64," + base64.b64encode(png).decode() for png in player.pngs
    ]
    assert data["captions"] == list(player.frame_captions)
    assert data["phases"] == list(player.frame_phases)
    assert len(set(data["phases"])) >= 3  # forward, backward, the optimizer's step...
    assert set(data["colors"]) == set(data["phases"])  # each label coloured as in the notebook
    image = Image.open(player.save(tmp_path / "training.gif"))
    assert image.n_frames == len(player.pngs)


# --------------------------------------------------------------------------------------------
# the line a script prints
# --------------------------------------------------------------------------------------------

SCRIPT = """
import autogradlab as ag
{example}
player = ag.animate(L)
again = ag.animate(L)          # a second player: still one line
print("returned", type(player).__name__, len(player.steps))
"""


def test_a_script_is_told_how_to_save_the_animation_once(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(SCRIPT.format(example=readme_example()))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "returned GraphPlayer" in run.stdout  # animate still returns the player
    said = run.stdout + run.stderr
    assert said.count(export.SCRIPT_HINT) == 1, said
    assert 'player.save("backprop.html")' in export.SCRIPT_HINT
    assert "\n" not in export.SCRIPT_HINT


def test_the_readme_example_runs_as_a_script(tmp_path):
    """Every python block of the README's Example, as one script: it says what to do, once, and
    the files it saves are there and within budget."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Example\n(.*?)(?=^## |\Z)", readme, re.S | re.M).group(1)
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert any(".save(" in block for block in blocks), "the README example no longer saves"
    script = tmp_path / "example.py"
    script.write_text("\n".join(blocks))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "tensor(-2.)" in run.stdout
    assert (run.stdout + run.stderr).count(export.SCRIPT_HINT) == 1
    assert 0 < (tmp_path / "backprop.html").stat().st_size <= HTML_BUDGET
    assert 0 < (tmp_path / "backprop.gif").stat().st_size <= GIF_BUDGET


def test_a_notebook_shows_the_player_and_prints_nothing(tmp_path):
    """In a kernel the player is displayed; the hint would only be noise there."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(
        "import autogradlab as ag\n" + readme_example() + "\nag.animate(L)"
    )]
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    texts = [o.get("text", "") for o in outputs if o.output_type == "stream"]
    assert not any("autogradlab:" in t for t in texts), texts
    shown = [o for o in outputs if o.output_type == "execute_result"]
    assert shown and "image/png" in shown[0].data  # the widget, with its first frame
    assert "application/vnd.jupyter.widget-view+json" in shown[0].data


def test_in_notebook_is_false_in_a_plain_python():
    code = textwrap.dedent("""
        from autogradlab.widgets import export
        import IPython
        print(export.in_notebook())
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.strip() == "False", run.stderr
