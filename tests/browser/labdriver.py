"""Helpers that drive JupyterLab and Voila in headless Debian Chromium through Playwright.

Everything runs on 127.0.0.1 with HOME, the Jupyter config, data and runtime dirs in a temp dir,
so a developer's own Jupyter settings never leak into a test.  The widget lab extension still comes
from ``sys.prefix/share/jupyter`` (JUPYTER_PATH is left alone).

Browser tests are skipped where /usr/bin/chromium or Playwright is missing, except under CI=true,
where they fail: a CI run that silently skipped them would prove nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
LESSONS = REPO / "lessons"
SCREENSHOTS = REPO / "tests" / "output" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

ANNOUNCEMENTS = "@jupyterlab/apputils-extension:announcements"
WIDGET_MANAGER = "@jupyter-widgets/jupyterlab-manager"

SERVER_START_S = 60
KERNEL_IDLE_MS = 60_000
PLAYER_MS = 60_000

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail under CI=true, where a skipped browser test would hide a broken setup."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def code_cell(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source)


def write_notebook(path: Path, sources: list[str]) -> Path:
    """Write a notebook with one code cell per source string (python3 kernel, no outputs)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [code_cell(s) for s in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    base_url: str  # ends with "/"
    token: str
    root_dir: Path
    proc: subprocess.Popen
    log: Path
    kind: str = "lab"
    extra: dict = field(default_factory=dict)

    def api(self, method: str, path: str) -> object:
        req = urllib.request.Request(
            self.base_url + path.lstrip("/"),
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def lab_url(self, notebook: str) -> str:
        # ?reset: a fresh workspace, so tabs that an earlier test opened are not restored.
        return f"{self.base_url}lab/tree/{notebook}?reset&token={self.token}"

    def kernels(self) -> list[dict]:
        return self.api("GET", "api/kernels")  # type: ignore[return-value]

    def shutdown_all_kernels(self) -> int:
        ids = [k["id"] for k in self.kernels()]
        for kid in ids:
            self.api("DELETE", f"api/kernels/{kid}")
        return len(ids)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return "<no log>"


def isolated_env(tmp: Path) -> dict[str, str]:
    """Environment with HOME and user-level Jupyter dirs in ``tmp``; kernels can import the repo."""
    env = dict(os.environ)
    home = tmp / "home"
    cfg = tmp / "jupyter-config"
    for d in (home, cfg, tmp / "jupyter-data", tmp / "jupyter-runtime"):
        d.mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(cfg),
        JUPYTER_DATA_DIR=str(tmp / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "jupyter-runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(cfg / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(cfg / "lab" / "workspaces"),
        MPLBACKEND="Agg",
        PYTHONPATH=os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    return env


def write_lab_config(env: dict[str, str], disabled: tuple[str, ...]) -> None:
    cfg = Path(env["JUPYTER_CONFIG_DIR"])
    (cfg / "labconfig").mkdir(parents=True, exist_ok=True)
    page_config = {"disabledExtensions": {name: True for name in (ANNOUNCEMENTS, *disabled)}}
    (cfg / "labconfig" / "page_config.json").write_text(json.dumps(page_config))
    # Render every cell: with windowing on, a widget in a cell below the fold is not in the DOM.
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))


def _wait_http(server: Server, path: str, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.kind} server exited with {server.proc.returncode}:\n{server.log_tail()}"
            )
        try:
            req = urllib.request.Request(
                server.base_url + path, headers={"Authorization": f"token {server.token}"}
            )
            with urllib.request.urlopen(req, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:  # not up yet
            last = exc
        time.sleep(0.3)
    raise TimeoutError(
        f"{server.kind} server did not answer {path} in {deadline_s}s ({last}):\n"
        + server.log_tail()
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def jupyter_lab(root_dir: Path, tmp: Path, disabled: tuple[str, ...] = ()):
    """Start JupyterLab on a free 127.0.0.1 port serving ``root_dir``; yield a :class:`Server`."""
    env = isolated_env(tmp)
    write_lab_config(env, disabled)
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / "jupyter-lab.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--allow-root", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            cmd, env=env, cwd=root_dir, stdout=fh, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}/", token, root_dir, proc, log, "lab")
    try:
        _wait_http(server, "api/status", SERVER_START_S)
        _wait_http(server, "lab", SERVER_START_S)
        yield server
    finally:
        _stop(proc)


@contextlib.contextmanager
def voila(notebook: Path, tmp: Path):
    """Start Voila on a free 127.0.0.1 port rendering ``notebook``; yield a :class:`Server`."""
    env = isolated_env(tmp)
    port = free_port()
    log = tmp / "voila.log"
    cmd = [
        sys.executable, "-m", "voila", "--no-browser",
        f"--port={port}", "--Voila.ip=127.0.0.1",
        "--ServerApp.port_retries=0",
        str(notebook.name),
    ]  # fmt: skip
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            cmd, env=env, cwd=notebook.parent, stdout=fh, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}/", "", notebook.parent, proc, log, "voila")
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited with {proc.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"voila did not listen in {SERVER_START_S}s:\n{server.log_tail()}"
                )
            time.sleep(0.3)
        yield server
    finally:
        _stop(proc)


# --------------------------------------------------------------------------- page helpers


class Lab:
    """Small vocabulary for driving one JupyterLab page."""

    def __init__(self, page, server: Server):
        self.page = page
        self.server = server

    def open(self, notebook: str) -> None:
        page = self.page
        page.goto(self.server.lab_url(notebook), wait_until="domcontentloaded", timeout=60_000)
        page.locator(".jp-NotebookPanel .jp-Notebook:visible").first.wait_for(
            state="visible", timeout=60_000
        )
        self.accept_kernel_dialog()
        self.wait_kernel_idle()

    def accept_kernel_dialog(self) -> None:
        """If Lab asks which kernel to use (notebook without kernelspec), take the default."""
        dialog = self.page.locator(".jp-Dialog")
        with contextlib.suppress(Exception):
            dialog.wait_for(state="visible", timeout=1_500)
            if "kernel" in dialog.inner_text().lower():
                dialog.locator("button.jp-mod-accept").click()

    def wait_kernel_idle(self, timeout_ms: int = KERNEL_IDLE_MS) -> None:
        # The execution indicator turns idle before a kernel exists; the status bar text does not.
        self.page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(
            state="visible", timeout=timeout_ms
        )

    def menu(self, top: str, item: str) -> None:
        page = self.page
        page.locator("#jp-MainMenu .lm-MenuBar-item", has_text=top).first.click()
        page.locator(".lm-Menu .lm-Menu-item:visible", has_text=item).first.click()

    def run_all(self) -> None:
        self.menu("Run", "Run All Cells")

    def wait_run_finished(self, timeout_ms: int = 90_000) -> None:
        """Wait until no cell is queued or running ("[*]:") and the kernel is idle again."""
        page = self.page
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')];
                return prompts.length > 0 && !prompts.some(p => p.textContent.includes('*'));
            }""",
            timeout=timeout_ms,
        )
        self.wait_kernel_idle(timeout_ms)

    def errors(self) -> list[str]:
        return self.page.locator(".jp-OutputArea-output[data-mime-type*='error']").all_inner_texts()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path


def player_rendered(scope, timeout_ms: int = PLAYER_MS) -> bool:
    """True once an autogradlab player's Play widget is visible; False if it never renders.

    Selects the widget by its own classes, never "any img": a test that looked for any image
    would pass with the widget front end missing.
    """
    from playwright.sync_api import TimeoutError as PWTimeout

    try:
        scope.locator(".autogradlab-player .widget-play").first.wait_for(
            state="visible", timeout=timeout_ms
        )
    except PWTimeout:
        return False
    return True


def visible_frame_src(player) -> str:
    """The src of the one frame the Stack shows (the others are hidden by the Stack view)."""
    imgs = player.locator(".autogradlab-frames img:visible")
    assert imgs.count() == 1, f"expected exactly one visible frame, found {imgs.count()}"
    src = imgs.first.get_attribute("src")
    assert src, "visible frame has no src"
    return src


def wait_src_change(player, old: str, timeout_s: float = 15.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        imgs = player.locator(".autogradlab-frames img:visible")
        if imgs.count() == 1:
            src = imgs.first.get_attribute("src")
            if src and src != old:
                return src
        time.sleep(0.2)
    raise AssertionError(f"visible frame did not change within {timeout_s}s")


def wait_text_change(locator, old: str, timeout_s: float = 15.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = locator.inner_text()
        if text != old:
            return text
        time.sleep(0.2)
    raise AssertionError(f"text did not change within {timeout_s}s (still {old!r})")
