"""The README's set-up commands, as written.

The test command is what ``.ci/run`` runs, so CI proves it. This file proves the other one: on a
copy of the repository, the Quick start line (make a venv, install, ``autogradlab lessons``) is
run verbatim with ``bash -c`` and must end with JupyterLab serving lesson 0. Only the server's
port and token come from outside, through a Jupyter config file, since the command takes none.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def _bash_blocks(section: str) -> list[str]:
    """The ```bash blocks of one ``## section`` of the README."""
    match = re.search(rf"^## {re.escape(section)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"README.md has no '## {section}' section"
    return re.findall(r"```bash\n(.*?)```", match.group(1), re.S)


def test_readme_gives_both_set_up_commands():
    lessons, tests = _bash_blocks("Quick start")[:2]
    assert "autogradlab lessons" in lessons
    assert "python -m pytest" in tests
    assert _bash_blocks("Running the tests")[0] == tests, "the two test commands differ"
    assert "torch==2.13.0" in tests, "torch must be pinned (an unpinned torch pulls CUDA)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _copy_repository(target: Path) -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode().split("\0")
    for name in filter(None, tracked):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_lessons_command_installs_and_serves_lesson_0(tmp_path):
    command = _bash_blocks("Quick start")[0].strip()
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    _copy_repository(checkout)
    port, token = _free_port(), "readme-test-token"
    config = tmp_path / "jupyter-config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"port": port, "port_retries": 0, "open_browser": False},
        "IdentityProvider": {"token": token},
    }))
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("VIRTUAL_ENV", None)
    log = (tmp_path / "lessons-command.log").open("w")
    server = subprocess.Popen(["bash", "-c", command], cwd=checkout, env=env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline, status, body = time.monotonic() + 600, None, b""
        url = f"http://127.0.0.1:{port}/api/contents/00_start_here.ipynb?content=0&token={token}"
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, body = _get(url)
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(2)
        output = (tmp_path / "lessons-command.log").read_text()
        assert status == 200, f"lesson 0 not served (status {status}); output:\n{output[-3000:]}"
        assert json.loads(body)["name"] == "00_start_here.ipynb"
        assert _get(f"http://127.0.0.1:{port}/lab/tree/00_start_here.ipynb?token={token}")[0] == 200
        copied = sorted(p.name for p in (checkout / "autogradlab-lessons").glob("*.ipynb"))
        assert copied == sorted(p.name for p in (REPO / "lessons").glob("*.ipynb"))
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        log.close()
