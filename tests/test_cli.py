"""`autogradlab lessons`: copies lessons, never overwrites a learner's work, and opens Lab."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


# -- a folder that cannot be used: one line, exit status 2, no traceback (issue 11) ---------------

_CLI = [sys.executable, "-c", "import sys; from autogradlab.cli import main; sys.exit(main())"]


def _run_cli(args, user=None, timeout=60):
    """The real command in a subprocess (optionally as another user through setpriv)."""
    prefix = []
    if user is not None:
        prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(prefix + _CLI + args, capture_output=True, text=True, timeout=timeout,
                          env=env, cwd="/")


def _assert_one_line(result, *words):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("autogradlab lessons: "), lines
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _nobody_can_run_python() -> bool:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    try:
        probe = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                sys.executable, "-c", "import autogradlab.cli"],
                               capture_output=True, timeout=60, env=dict(
                                   os.environ, PYTHONPATH=str(REPO)), cwd="/")
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@pytest.mark.parametrize("option", [["--no-open"], ["--list"], ["--reset", "03"], []])
def test_a_file_given_as_the_folder_says_so_in_one_line(upstream, launched, tmp_path, capsys,
                                                       option):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    assert cli.main(["lessons", str(a_file), *option]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "is a file, not a folder" in err and "lessons ~/" in err
    assert launched == [] and a_file.read_text() == "mine"
    # Inside a file, too.
    assert cli.main(["lessons", str(a_file / "sub"), *option]) == 2
    assert f"inside {a_file}, which is a file" in capsys.readouterr().err


def test_a_read_only_folder_says_so_in_one_line(upstream, launched, tmp_path, capsys,
                                                monkeypatch):
    """Read-only for this user (chmod) or on a read-only file system (EROFS), in process."""
    mine = tmp_path / "mine"
    mine.mkdir()
    real_copy = shutil.copyfile

    def refuse(src, dst, *a, **k):
        if Path(dst).parent == mine:
            raise OSError(30, "Read-only file system", str(dst))
        return real_copy(src, dst, *a, **k)

    monkeypatch.setattr(cli.shutil, "copyfile", refuse)
    for option in (["--no-open"], ["--reset", "03"], []):
        assert cli.main(["lessons", str(mine), *option]) == 2
        err = capsys.readouterr().err.strip()
        assert err == (f"autogradlab lessons: {mine} is on a read-only file system. Give a "
                       "folder you can write to, e.g. autogradlab lessons ~/autogradlab-lessons")
    assert launched == []

    def deny(src, dst, *a, **k):
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr(cli.shutil, "copyfile", deny)
    assert cli.main(["lessons", str(mine)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{mine} is read-only for you (permission denied" in err and "lessons ~/" in err


def test_the_real_command_on_a_file_and_on_a_missing_home(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    _assert_one_line(_run_cli(["lessons", str(a_file), "--no-open"]), "is a file, not a folder")
    _assert_one_line(_run_cli(["lessons", "~no-such-user-here/x", "--no-open"]), "home folder")


def test_the_real_command_on_a_read_only_folder(tmp_path):
    """A chmod 555 folder, as a user who does not own it (root: as nobody, through setpriv)."""
    ro = Path(tempfile.mkdtemp(prefix="autogradlab-ro-", dir="/tmp"))
    try:
        os.chmod(ro, 0o555)
        if os.geteuid() != 0:
            result = _run_cli(["lessons", str(ro), "--no-open"])
        elif _nobody_can_run_python():
            result = _run_cli(["lessons", str(ro), "--no-open"], user=65534)
        else:
            pytest.skip("running as root without setpriv: chmod cannot make a folder read-only")
        _assert_one_line(result, f"{ro} is read-only for you", "lessons ~/")
        assert list(ro.iterdir()) == []
    finally:
        os.chmod(ro, 0o755)
        shutil.rmtree(ro)


def test_the_real_command_on_a_folder_not_even_root_can_write():
    """/sys is read-only for root too (and /proc does not take new folders)."""
    if os.geteuid() != 0:
        pytest.skip("the chmod test covers non-root users")
    if Path("/sys/kernel").is_dir() and not _can_write("/sys/kernel"):
        _assert_one_line(_run_cli(["lessons", "/sys/kernel", "--no-open"]), "read-only")
    if Path("/proc").is_dir():
        _assert_one_line(_run_cli(["lessons", "/proc/autogradlab-lessons", "--no-open"]),
                         "cannot create /proc/autogradlab-lessons")


def _can_write(folder: str) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


@pytest.mark.parametrize("port", ["99999", "0", "http"])
def test_a_bad_port_is_a_usage_error(upstream, launched, port, capsys):
    with pytest.raises(SystemExit) as err:
        cli.main(["lessons", "x", "--port", port])
    assert err.value.code == 2
    assert "is not a port: give a number from 1 to 65535" in capsys.readouterr().err
    assert launched == []
