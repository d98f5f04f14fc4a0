"""`autogradlab lessons`: copies lessons, never overwrites a learner's work, and opens Lab."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autogradlab import cli

REPO = Path(__file__).resolve().parent.parent


def _notebook(path: Path, text: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell("1 + 1")]
    nbformat.write(nb, path)


def _text(path: Path) -> str:
    return nbformat.read(path, as_version=4).cells[0].source


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """A fake set of shipped lessons, so these tests do not depend on the real ones."""
    source = tmp_path / "shipped"
    source.mkdir()
    _notebook(source / "00_start_here.ipynb", "start v1")
    _notebook(source / "03_forward.ipynb", "forward v1")
    (source / "__init__.py").write_text("")
    monkeypatch.setattr(cli, "shipped_lessons_dir", lambda: source)
    return source


@pytest.fixture
def launched(monkeypatch):
    """Record JupyterLab launches instead of starting it."""
    calls = []

    class Done:
        returncode = 0

    def fake_run(cmd, **kwargs):
        calls.append((cmd, kwargs))
        return Done()

    monkeypatch.setattr(cli.subprocess, "run", fake_run)
    return calls


def test_first_run_copies_every_lesson_and_opens_lesson_0(upstream, launched, tmp_path, capsys):
    mine = tmp_path / "mine"
    assert cli.main(["lessons", str(mine), "--no-browser", "--port", "8765"]) == 0
    names = sorted(p.name for p in mine.glob("*.ipynb"))
    assert names == ["00_start_here.ipynb", "03_forward.ipynb"]
    lesson0 = "00_start_here.ipynb"
    assert (mine / lesson0).read_bytes() == (upstream / lesson0).read_bytes()
    assert not (mine / "__init__.py").exists()
    assert "Copied 2 lesson(s)" in capsys.readouterr().out

    [(cmd, kwargs)] = launched
    assert cmd[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={mine.resolve()}" in cmd
    assert "--port=8765" in cmd and "--no-browser" in cmd and "--ip=127.0.0.1" in cmd
    assert cmd[-1] == "00_start_here.ipynb"
    assert Path(kwargs["cwd"]) == mine.resolve()


def test_default_folder_and_browser(upstream, launched, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lessons"]) == 0
    assert (tmp_path / "autogradlab-lessons" / "00_start_here.ipynb").exists()
    [(cmd, _)] = launched
    assert "--no-browser" not in cmd and not any(a.startswith("--port") for a in cmd)


def test_no_open_only_copies(upstream, launched, tmp_path):
    assert cli.main(["lessons", str(tmp_path / "mine"), "--no-open"]) == 0
    assert launched == []
    assert (tmp_path / "mine" / "03_forward.ipynb").exists()


def test_arguments_after_double_dash_go_to_jupyter(upstream, launched, tmp_path):
    cli.main(["lessons", str(tmp_path / "m"), "--no-browser", "--", "--allow-root"])
    [(cmd, _)] = launched
    assert "--allow-root" in cmd


def test_second_run_keeps_the_learners_edit_and_puts_upstream_beside(
    upstream, launched, tmp_path, capsys
):
    mine = tmp_path / "mine"
    cli.main(["lessons", str(mine), "--no-open"])
    _notebook(mine / "03_forward.ipynb", "forward, with MY notes")  # the learner's edit
    _notebook(upstream / "03_forward.ipynb", "forward v2")  # a newer autogradlab
    _notebook(upstream / "04_backward.ipynb", "backward v1")  # and a new lesson
    capsys.readouterr()

    cli.main(["lessons", str(mine), "--no-open"])
    out = capsys.readouterr().out
    assert _text(mine / "03_forward.ipynb") == "forward, with MY notes"
    beside = list(mine.glob("03_forward.upstream-*.ipynb"))
    assert len(beside) == 1 and _text(beside[0]) == "forward v2"
    assert beside[0].name in out and "Your copy is untouched" in out
    assert _text(mine / "04_backward.ipynb") == "backward v1"
    assert _text(mine / "00_start_here.ipynb") == "start v1"

    # A third run changes nothing and does not write the upstream copy again.
    cli.main(["lessons", str(mine), "--no-open"])
    assert "changed" not in capsys.readouterr().out
    assert len(list(mine.glob("03_forward.upstream-*.ipynb"))) == 1


def test_an_unedited_copy_of_a_changed_lesson_is_not_overwritten_either(
    upstream, launched, tmp_path
):
    mine = tmp_path / "mine"
    cli.main(["lessons", str(mine), "--no-open"])
    _notebook(upstream / "00_start_here.ipynb", "start v2")
    cli.main(["lessons", str(mine), "--no-open"])
    assert _text(mine / "00_start_here.ipynb") == "start v1"
    assert [_text(p) for p in mine.glob("00_start_here.upstream-*.ipynb")] == ["start v2"]


def test_reset_keeps_a_backup_and_restores_the_original(upstream, launched, tmp_path, capsys):
    mine = tmp_path / "mine"
    cli.main(["lessons", str(mine), "--no-open"])
    _notebook(mine / "03_forward.ipynb", "broken by experiments")
    capsys.readouterr()

    assert cli.main(["lessons", str(mine), "--reset", "03"]) == 0
    assert launched == []
    assert _text(mine / "03_forward.ipynb") == "forward v1"
    [backup] = mine.glob("03_forward.backup-*.ipynb")
    assert _text(backup) == "broken by experiments"
    assert backup.name in capsys.readouterr().out

    # Other spellings name the same lesson; a second reset keeps a second backup.
    cli.main(["lessons", str(mine), "--reset", "3"])
    cli.main(["lessons", str(mine), "--reset", "03_forward"])
    assert len(list(mine.glob("03_forward.backup-*.ipynb"))) == 3


def test_reset_of_an_unknown_lesson_names_the_lessons(upstream, tmp_path):
    with pytest.raises(SystemExit) as err:
        cli.main(["lessons", str(tmp_path / "mine"), "--reset", "42"])
    assert "00_start_here" in str(err.value) and "03_forward" in str(err.value)


def test_list(upstream, launched, tmp_path, capsys):
    mine = tmp_path / "mine"
    cli.main(["lessons", str(mine), "--no-open"])
    _notebook(mine / "03_forward.ipynb", "edited")
    capsys.readouterr()
    assert cli.main(["lessons", str(mine), "--list"]) == 0
    out = capsys.readouterr().out
    assert "00_start_here" in out and "original" in out and "yours (edited)" in out
    assert launched == []


# -- the real package --------------------------------------------------------------------------


def test_the_shipped_lessons_are_the_repositorys_lessons():
    """Same files, no second copy: autogradlab.lessons is the repository's lessons/ folder."""
    import autogradlab.lessons

    shipped = cli.shipped_lessons_dir()
    assert shipped.resolve() == (REPO / "lessons").resolve()
    assert Path(autogradlab.lessons.__file__).resolve().parent == (REPO / "lessons").resolve()


def test_lesson_0_is_shipped():
    names = [p.name for p in cli.shipped_lessons()]
    assert "00_start_here.ipynb" in names, names


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_smoke_jupyterlab_serves_lesson_0(tmp_path):
    """The real command starts JupyterLab on 127.0.0.1 and serves lesson 0 (then we stop it)."""
    if not (REPO / "lessons" / "00_start_here.ipynb").exists():
        pytest.skip("lessons/00_start_here.ipynb not written yet")
    script = Path(sys.executable).parent / "autogradlab"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "autogradlab.cli"]
    port, token = _free_port(), "autogradlab-smoke-test"
    env = dict(os.environ)
    for var, sub in (("HOME", "home"), ("JUPYTER_CONFIG_DIR", "config"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_DATA_DIR", "data")):
        (tmp_path / sub).mkdir()
        env[var] = str(tmp_path / sub)
    env.pop("JUPYTER_TOKEN", None)
    mine = tmp_path / "mine"
    with open(tmp_path / "lab.log", "wb") as log:
        proc = _start(command, mine, port, token, env, log)
        try:
            model = _wait_for_lesson_0(proc, port, token, tmp_path)
        finally:
            _stop(proc)
    assert model["name"] == "00_start_here.ipynb" and model["type"] == "notebook"
    assert (mine / "00_start_here.ipynb").exists()


def _start(command, mine, port, token, env, log):
    return subprocess.Popen(
        command + ["lessons", str(mine), "--no-browser", "--port", str(port), "--",
                   f"--IdentityProvider.token={token}", "--allow-root",
                   "--ServerApp.open_browser=False"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _wait_for_lesson_0(proc, port, token, tmp_path):
    """Poll the contents API until lesson 0 is served; then fetch its page in Lab."""
    deadline, last, model = time.monotonic() + 25, None, None
    url = f"http://127.0.0.1:{port}/api/contents/00_start_here.ipynb?token={token}"
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                model = json.load(response)
            break
        except OSError as err:
            last = err
            time.sleep(0.3)
    log = (tmp_path / "lab.log").read_text(errors="replace")[-3000:]
    assert proc.poll() is None, f"JupyterLab exited early:\n{log}"
    assert model is not None, f"no answer from JupyterLab in 25 s ({last}):\n{log}"
    page_url = f"http://127.0.0.1:{port}/lab/tree/00_start_here.ipynb?token={token}"
    with urllib.request.urlopen(page_url, timeout=5) as page:
        assert page.status == 200
    return model


def _stop(proc):
    """Stop the JupyterLab this test started (its own process group only)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
