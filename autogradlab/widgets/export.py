"""Take an animation out of Jupyter: a standalone HTML page or an animated GIF.

.. code-block:: python

    player = ag.animate(L)
    player.save("backprop.html")     # one file: open it in any browser, even offline
    player.save("backprop.gif")      # for slides, chat and issues; captions under each frame

A player's frames are plain PNGs chosen by an index (the notebook's ``widgets.Stack`` shows one at
a time). Both exports reuse those very PNGs, so what the page and the GIF show is what the
notebook showed, which is what the engine computed:

* **HTML**: the PNGs go inline as ``data:`` URIs in a JSON block, with the captions and the
  phase of every step; a few dozen lines of plain JavaScript give Play/Pause, first, previous,
  next, last, a slider and the arrow keys. No network, no CDN, no Jupyter: the page's Content
  Security Policy forbids every request, and it plays from ``file://``.
* **GIF**: each PNG with its caption written underneath (DejaVu Sans, the font of the frames),
  one frame per step, drawn with Pillow. Pillow stores only the rectangle that changed from the
  frame before, so the file stays small.

Any object works that has ``pngs`` (one PNG per step) and tells the captions and phases in one
of these ways (see :func:`frames_of`): ``frame_captions`` / ``frame_phases`` (lists of strings),
``steps`` (objects with ``.caption`` and ``.phase``, as :class:`GraphPlayer` has), or
``captions`` / ``phases`` given as strings or as ``widgets.Stack`` of ``widgets.HTML``. The
page colours each phase's label as the player does (``phase_colors``, or its label widgets).

This module also holds the one line a script prints when it makes a player where nothing can
show it (:func:`script_hint`).
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: formats that :func:`save` writes, by file suffix
FORMATS = (".html", ".gif")
#: milliseconds per step when the object does not say (the player's default)
DEFAULT_INTERVAL = 900
#: the GIF holds its last frame this many times longer, so the loop visibly restarts
LAST_FRAME_HOLD = 3
#: phase colours for the page's label; unknown phases are grey (see frames.COLORS)
_OTHER_PHASE = "#475569"


@dataclass(frozen=True)
class Frames:
    """What an export needs from a player: one PNG, caption and phase per step.

    ``phases`` may hold ``""`` where a step has none; ``interval`` is milliseconds per step.
    """

    pngs: tuple[bytes, ...]
    captions: tuple[str, ...]
    phases: tuple[str, ...]
    title: str
    interval: int = DEFAULT_INTERVAL
    colors: tuple[tuple[str, str], ...] = ()  # (phase, CSS colour) for the page's phase label

    def __post_init__(self) -> None:
        if not self.pngs:
            raise ValueError("nothing to export: the player has no frames")
        n = len(self.pngs)
        if len(self.captions) != n or len(self.phases) != n:
            raise ValueError(
                f"{n} frames but {len(self.captions)} captions and {len(self.phases)} phases: "
                "an export needs one caption and one phase (or '') per frame"
            )


def frames_of(player: Any) -> Frames:
    """The frames, captions, phases, title and speed of ``player`` (any object with ``pngs``).

    Captions and phases are looked up in this order: ``frame_captions``/``frame_phases``;
    the ``.caption``/``.phase`` of each of ``player.steps``; ``captions``/``phases`` as lists of
    strings or as widget stacks (their HTML reduced to text). Missing ones become ``""``.
    """
    if isinstance(player, Frames):
        return player
    pngs = getattr(player, "pngs", None)
    if pngs is None:
        raise TypeError(
            f"export needs an object with the PNG frames in .pngs (such as ag.animate(L)); got "
            f"{type(player).__name__}"
        )
    pngs = tuple(bytes(p) for p in pngs)
    n = len(pngs)
    captions = _texts(player, "caption", n)
    phases = _texts(player, "phase", n)
    play = getattr(player, "play", None)
    interval = int(getattr(play, "interval", 0) or getattr(player, "interval", 0)
                   or DEFAULT_INTERVAL)
    title = getattr(player, "export_title", None) or repr(player)
    colors = _phase_colors(player, phases)
    return Frames(pngs, captions, phases, str(title), interval, tuple(sorted(colors.items())))


def _phase_colors(player: Any, phases: Sequence[str]) -> dict[str, str]:
    """A colour per phase: ``player.phase_colors`` if it has them, else the colour of each
    phase's label in the player's ``phases`` stack, else the animation's own colours."""
    from .frames import COLORS

    colors = {p: COLORS[p] for p in phases if p in COLORS}
    stack = getattr(getattr(player, "phases", None), "children", None) or ()
    if len(stack) == len(phases):
        for phase, label in zip(phases, stack):
            style = str(getattr(label, "value", ""))
            found = re.search(r"background:\s*(#[0-9a-fA-F]{3,8})", style)
            if found:
                colors[phase] = found.group(1)
    colors.update(getattr(player, "phase_colors", None) or {})
    return {p: c for p, c in colors.items() if p in phases}


def _texts(player: Any, what: str, n: int) -> tuple[str, ...]:
    """``n`` captions (``what="caption"``) or phases, from wherever ``player`` keeps them."""
    found: Sequence[Any] | None = getattr(player, f"frame_{what}s", None)
    if found is None:
        steps = getattr(player, "steps", None)
        if steps is not None and all(hasattr(s, what) for s in steps):
            found = [getattr(s, what) for s in steps]
    if found is None:
        found = getattr(player, f"{what}s", None)
        found = getattr(found, "children", found)  # a widgets.Stack: its HTML children
    if found is None or isinstance(found, str):
        return ("",) * n
    texts = tuple(_plain(getattr(item, "value", item)) for item in found)
    return texts if len(texts) == n else (texts + ("",) * n)[:n]


def _plain(value: Any) -> str:
    """Text of a caption: HTML tags dropped, entities decoded, blank runs made one space."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", str(value)))
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; img-src data:; style-src 'unsafe-inline';
               script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="autogradlab">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 16px; color: #111827; max-width: 1020px; }}
h1 {{ font-size: 15px; font-weight: normal; color: #4b5563; margin: 0 0 8px; }}
.controls {{ display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin-bottom: 8px; }}
.controls button {{ min-width: 44px; padding: 3px 8px; font-size: 14px; cursor: pointer; }}
#play {{ min-width: 70px; font-weight: bold; }}
#step {{ width: 300px; }}
#phase {{ display: inline-block; min-width: 80px; text-align: center; padding: 2px 10px;
  border-radius: 4px; color: white; font-weight: bold; letter-spacing: 0.05em; }}
#counter, label {{ color: #4b5563; font-size: 13px; }}
#frame {{ width: 100%; max-width: 1000px; height: auto; border: 1px solid #e5e7eb; }}
#caption {{ font-size: 15px; line-height: 1.45; min-height: 3.4em; margin: 6px 2px; }}
</style>
</head>
<body>
<h1>{title}</h1>
<div class="controls">
<span id="phase"></span>
<button id="first" title="first step (Home)">&laquo;</button>
<button id="prev" title="previous step (&larr;)">&lsaquo;</button>
<button id="play" title="play or pause (space)">Play</button>
<button id="next" title="next step (&rarr;)">&rsaquo;</button>
<button id="last" title="last step (End)">&raquo;</button>
<input id="step" type="range" min="0" max="{last}" value="0" aria-label="step">
<span id="counter"></span>
<label>ms/step <input id="speed" type="number" min="100" max="5000" step="100"
  value="{interval}" style="width:5em"></label>
</div>
<img id="frame" src="{first}" alt="frame of the animation">
<p id="caption">{caption}</p>
<script id="frames" type="application/json">{data}</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("frames").textContent);
const n = data.frames.length, $ = (id) => document.getElementById(id);
const img = $("frame"), caption = $("caption"), phase = $("phase"), slider = $("step");
let index = 0, timer = null;
function show(k) {{
  index = Math.max(0, Math.min(n - 1, k));
  img.src = data.frames[index];
  caption.textContent = data.captions[index];
  const p = data.phases[index];
  phase.textContent = p;
  phase.style.visibility = p ? "visible" : "hidden";
  phase.style.background = data.colors[p] || "{other}";
  slider.value = index;
  $("counter").textContent = "step " + (index + 1) + " of " + n;
  document.body.dataset.step = index;
}}
function pause() {{
  clearTimeout(timer); timer = null; $("play").textContent = "Play";
}}
function tick() {{
  if (index >= n - 1) {{ pause(); return; }}
  show(index + 1);
  timer = setTimeout(tick, +$("speed").value || {interval});
}}
function play() {{
  if (index >= n - 1) show(0);
  $("play").textContent = "Pause";
  timer = setTimeout(tick, +$("speed").value || {interval});
}}
const go = (k) => () => {{ pause(); show(k()); }};
$("play").onclick = () => (timer ? pause() : play());
$("first").onclick = go(() => 0);
$("prev").onclick = go(() => index - 1);
$("next").onclick = go(() => index + 1);
$("last").onclick = go(() => n - 1);
slider.oninput = go(() => +slider.value);
document.addEventListener("keydown", (e) => {{
  if (e.target.tagName === "INPUT" && e.target.type === "number") return;
  const keys = {{ArrowLeft: () => index - 1, ArrowRight: () => index + 1,
                Home: () => 0, End: () => n - 1}};
  if (keys[e.key]) {{ e.preventDefault(); go(keys[e.key])(); }}
  else if (e.key === " ") {{ e.preventDefault(); $("play").click(); }}
}});
show(0);
</script>
</body>
</html>
"""


def to_html(player: Any, title: str | None = None) -> str:
    """A self-contained HTML page that plays ``player``'s frames (see the module docstring)."""
    frames = frames_of(player)
    uris = ["data:image/png;base64," + base64.b64encode(p).decode("ascii") for p in frames.pngs]
    payload = {"frames": uris, "captions": list(frames.captions),
               "phases": list(frames.phases), "colors": dict(frames.colors)}
    # "<" escaped: no caption can close the <script> element early
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return _PAGE.format(
        title=html.escape(title or frames.title), last=len(uris) - 1, interval=frames.interval,
        first=uris[0], caption=html.escape(frames.captions[0]), data=data, other=_OTHER_PHASE,
    )


# --------------------------------------------------------------------------------------------
# GIF
# --------------------------------------------------------------------------------------------

CAPTION_FONT_SIZE = 15  # pixels
CAPTION_PAD = 10  # pixels around the caption text
_TEXT, _MUTED, _RULE = (17, 24, 39), (75, 85, 99), (229, 231, 235)


@lru_cache(maxsize=4)
def _font(size: int, bold: bool = False) -> Any:
    """DejaVu Sans at ``size`` pixels: the font matplotlib ships, so every machine has it."""
    from matplotlib import font_manager
    from PIL import ImageFont

    props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(props), size)


def wrap(text: str, width: float, font: Any) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels in ``font`` (at spaces)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and font.getlength(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def to_gif(player: Any) -> bytes:
    """An animated GIF of ``player``: every frame with its caption underneath, looping.

    One GIF frame per step (a step counter in the corner makes every frame differ, so Pillow
    never merges two). Each frame keeps its own palette of at most 255 colours, without
    dithering: diagrams have few colours, and dithered text is hard to read.
    """
    from PIL import Image, ImageDraw

    frames = frames_of(player)
    font, small = _font(CAPTION_FONT_SIZE), _font(CAPTION_FONT_SIZE - 3, bold=True)
    pictures = [Image.open(io.BytesIO(p)).convert("RGB") for p in frames.pngs]
    width = max(p.width for p in pictures)
    text_width = width - 2 * CAPTION_PAD - 90  # room for the counter on the right
    wrapped = [wrap(c, text_width, font) for c in frames.captions]
    line_height = round(CAPTION_FONT_SIZE * 1.4)
    panel = 2 * CAPTION_PAD + line_height * max(len(lines) for lines in wrapped)
    height = max(p.height for p in pictures) + panel
    n, out = len(pictures), []
    for i, (picture, lines, phase) in enumerate(zip(pictures, wrapped, frames.phases)):
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(picture, (0, 0))
        draw = ImageDraw.Draw(canvas)
        top = height - panel
        draw.line([(0, top), (width, top)], fill=_RULE, width=1)
        for k, line in enumerate(lines):
            y = top + CAPTION_PAD + k * line_height
            draw.text((CAPTION_PAD, y), line, font=font, fill=_TEXT)
        counter = f"{phase} {i + 1}/{n}".strip()
        right = width - CAPTION_PAD - small.getlength(counter)
        draw.text((right, top + CAPTION_PAD + 2), counter, font=small, fill=_MUTED)
        out.append(canvas.quantize(255, method=Image.Quantize.FASTOCTREE,
                                   dither=Image.Dither.NONE))
    durations = [frames.interval] * n
    durations[-1] = frames.interval * LAST_FRAME_HOLD
    buffer = io.BytesIO()
    out[0].save(buffer, format="gif", save_all=True, append_images=out[1:], duration=durations,
                loop=0, optimize=False)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# save, and the hint for scripts
# --------------------------------------------------------------------------------------------


def save(player: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``player`` to ``path``: an HTML page for ``.html``, an animated GIF for ``.gif``.

    Returns the path written. Any other suffix raises ``ValueError`` naming the two formats.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        got = f"{suffix!r}" if suffix else "no suffix"
        raise ValueError(
            f"save() picks the format from the file name's suffix: '.html' (a page that plays "
            f"in any browser) or '.gif' (an animated picture); {str(target)!r} has {got}. "
            f"Try player.save('backprop.html') or player.save('backprop.gif')."
        )
    if suffix == ".html":
        target.write_text(to_html(player), encoding="utf-8")
    else:
        target.write_bytes(to_gif(player))
    return target


SCRIPT_HINT = (
    "autogradlab: no notebook here to show the animation; run this in Jupyter, or save it and "
    'open the file: player.save("backprop.html") (or "backprop.gif")'
)
_hinted = False


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (a notebook, JupyterLab, Voila), where a player
    shows itself; ``False`` in a plain script, the Python prompt or IPython in a terminal."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def script_hint() -> bool:
    """Print :data:`SCRIPT_HINT` (one line, to stderr, once per process) when no notebook can
    show a player; players call this as they are made. Returns whether it printed."""
    global _hinted
    if _hinted or in_notebook():
        return False
    _hinted = True
    print(SCRIPT_HINT, file=sys.stderr)
    return True
