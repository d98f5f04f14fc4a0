"""The course for a class: `autogradlab classroom-link`, and a real JupyterHub with ten learners.

The hub test (marker ``classroom``) starts JupyterHub on 127.0.0.1 (DummyAuthenticator,
SimpleLocalProcessSpawner, configurable-http-proxy from npm), has ten learners log in through the
REST API and start their own servers, pull the course with the nbgitpuller link from a bare clone
of this repository's HEAD, run lessons 0 and 4 in their own kernels at the same time, edit a lesson,
and pull again after the teacher changed the course. See tests/classroom_hub.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import nbformat
import pytest

from autogradlab import cli
from autogradlab.classroom import COURSE_FOLDER as COURSE
from autogradlab.classroom import DEFAULT_BRANCH, DEFAULT_REPO, DEFAULT_SLUG, classroom_link

sys.path.insert(0, str(Path(__file__).resolve().parent))
import classroom_hub as ch  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LESSON0 = "lessons/00_start_here.ipynb"
LESSON4 = "lessons/04_backpropagation.ipynb"
LEARNERS = 10


# -- the link -------------------------------------------------------------------------------------


def test_the_link_for_a_hub_opens_lesson_0_in_jupyterlab():
    assert classroom_link("https://hub.example.edu") == (
        "https://hub.example.edu/hub/user-redirect/git-pull"
        "?repo=https%3A%2F%2Fgithub.com%2Fautogradlab%2Fautogradlab"
        "&branch=main"
        "&targetpath=autogradlab-course"
        "&urlpath=lab%2Ftree%2Fautogradlab-course%2Flessons%2F00_start_here.ipynb"
    )


@pytest.mark.parametrize("hub", [
    "https://hub.example.edu/", "https://hub.example.edu/hub", "https://hub.example.edu/hub/",
    "https://hub.example.edu/hub/home", " https://hub.example.edu ",
])
def test_the_hub_address_as_copied_from_the_browser(hub):
    assert classroom_link(hub).startswith("https://hub.example.edu/hub/user-redirect/git-pull?")


def test_a_hub_under_a_prefix_and_another_repository_and_branch():
    link = classroom_link("https://example.edu/jupyter/hub/",
                          repo="https://gitlab.example.edu/teach/ad-course.git",
                          branch="fall-2026")
    assert link == (
        "https://example.edu/jupyter/hub/user-redirect/git-pull"
        "?repo=https%3A%2F%2Fgitlab.example.edu%2Fteach%2Fad-course.git"
        "&branch=fall-2026"
        "&targetpath=autogradlab-course"
        "&urlpath=lab%2Ftree%2Fautogradlab-course%2Flessons%2F00_start_here.ipynb"
    )


def test_the_command_prints_the_link(capsys):
    assert cli.main(["classroom-link", "https://hub.example.edu",
                     "--repo", "https://github.com/me/fork", "--branch", "dev"]) == 0
    assert capsys.readouterr().out == (
        "https://hub.example.edu/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fme"
        "%2Ffork&branch=dev&targetpath=autogradlab-course"
        "&urlpath=lab%2Ftree%2Fautogradlab-course%2Flessons%2F00_start_here.ipynb\n"
    )


@pytest.mark.parametrize("args, words", [
    (["hub.example.edu"], "is not a hub address"),
    (["ftp://hub.example.edu"], "is not a hub address"),
    (["https://hub.example.edu/?next=x"], "without ?query"),
    (["https://hub.example.edu", "--branch", ""], "--branch is empty"),
    (["https://hub.example.edu", "--repo", " "], "--repo is empty"),
])
def test_a_bad_address_is_one_line_and_exit_status_2(args, words, capsys):
    assert cli.main(["classroom-link", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert err.count("\n") == 0 and err.startswith("autogradlab classroom-link: ") and words in err


def test_the_defaults_are_the_readmes_binder_repository():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    slug = re.search(r"Repository slug for the Binder badge: (\S+)", readme).group(1)
    assert slug == DEFAULT_SLUG and f"https://github.com/{slug}" == DEFAULT_REPO
    assert f"mybinder.org/v2/gh/{slug}/" in readme
    assert DEFAULT_BRANCH == "main"
    assert (REPO / LESSON0).exists()


def test_the_teachers_guide_shows_the_link_the_command_prints():
    guide = (REPO / "docs" / "teaching.md").read_text(encoding="utf-8")
    assert classroom_link("https://hub.example.edu") in guide.split()
    assert "autogradlab classroom-link https://hub.example.edu" in guide
    assert "(docs/teaching.md)" in (REPO / "README.md").read_text(encoding="utf-8")


# -- a real hub, ten learners ----------------------------------------------------------------------


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        message = f"the classroom test needs {tool} (apt-get install -y {tool})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def _note(name: str) -> str:
    return f"*{name}'s notes: the two paths add up, as the chain rule says.*\n\n"


TEACHER_LINE = "> Update from the teacher: read this before the exercises.\n\n"
TEACHER_CELL = "## Added by the teacher after the first pull\n"


def _teacher_updates_the_course(remote: Path, work: Path) -> str:
    """The teacher changes lessons 0 and 4 upstream (one change where learners edited too), adds
    a file, commits and pushes. Returns the new commit."""
    ch.git("clone", "--quiet", str(remote), str(work))
    lesson0 = nbformat.read(work / LESSON0, as_version=4)
    lesson0.cells.append(nbformat.v4.new_markdown_cell(TEACHER_CELL))
    nbformat.write(lesson0, work / LESSON0)
    lesson4 = nbformat.read(work / LESSON4, as_version=4)
    lesson4.cells[0].source = TEACHER_LINE + lesson4.cells[0].source  # where learners wrote
    lesson4.cells.append(nbformat.v4.new_markdown_cell(TEACHER_CELL))  # where nobody did
    nbformat.write(lesson4, work / LESSON4)
    (work / "lessons" / "ERRATA.md").write_text("# Errata\n\nNone yet.\n")
    ch.git("add", LESSON0, LESSON4, "lessons/ERRATA.md", cwd=work)
    ch.git("commit", "--quiet", "-m", "Teacher: week 2 updates", cwd=work)
    ch.git("push", "--quiet", "origin", "HEAD:main", cwd=work)
    return ch.git("rev-parse", "HEAD", cwd=work).strip()


# The whole hub test ends (passed, or failed with the hub's log) well inside pytest's timeout:
# learners still busy when this time is up fail the test by name, and nobody waits on them.
HUB_TEST_SECONDS = 720


def _each(function, learners, deadline: float, phase: str):
    """Run ``function(learner)`` for every learner at once (one thread each); results in order.

    Waits until ``deadline`` (``time.monotonic()``) at most; learners still busy then fail the
    test by name. Their threads are left behind, not joined: stopping the hub ends them."""
    pool = ThreadPoolExecutor(max_workers=len(learners))
    try:
        futures = [pool.submit(function, learner) for learner in learners]
        _, busy = wait(futures, timeout=max(0.0, deadline - time.monotonic()))
        if busy:
            names = [learner.name for learner, f in zip(learners, futures) if f in busy]
            raise ch.HubError(f"{phase}: {', '.join(names)} still busy when the test's "
                              f"{HUB_TEST_SECONDS} s ran out")
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@pytest.mark.classroom
@pytest.mark.timeout(180)
def test_a_kernel_whose_port_was_taken_starts_on_new_ports_with_the_setting_we_give():
    """docs/teaching.md's ``--KernelManager.cache_ports=False``: a classmate takes one of a
    kernel's ports before it binds them; the restart Jupyter makes then picks new ports, and the
    kernel answers. (With the port cache on, the restart would reuse the taken port.)"""
    import socket

    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3", cache_ports=False)
    km.write_connection_file()  # the ports are picked and let go, as before any kernel start
    taken = km.control_port
    thief = socket.socket()
    thief.bind(("127.0.0.1", taken))  # the classmate
    thief.listen()
    client = None
    try:
        km.start_kernel()
        deadline = time.monotonic() + 60
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not km.is_alive(), "the kernel started although its control port was taken"
        km.restart_kernel(now=True, newports=True)  # what Jupyter's restarter does
        assert km.control_port != taken
        client = km.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)  # raises if the kernel does not answer
    finally:
        thief.close()
        if client is not None:
            client.stop_channels()
        km.shutdown_kernel(now=True)


HANGS_FIRST = """
import os, sys, time
count = os.path.join(os.path.dirname(os.path.abspath(__file__)), "starts")
starts = int(open(count).read()) if os.path.exists(count) else 0
open(count, "w").write(str(starts + 1))
if starts == 0:  # the first kernel: alive, never answers (its ports were taken, say)
    time.sleep(600)
os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *sys.argv[1:]])
"""


@pytest.mark.classroom
@pytest.mark.timeout(180)
def test_a_learner_whose_kernel_never_answers_gets_a_fresh_one(tmp_path, monkeypatch):
    """The hub test's learners do what a learner does when a kernel never starts: shut it down
    and open the notebook again (tests/classroom_hub.py, ``run_notebook``)."""
    from browser import labdriver

    env = labdriver.isolated_env(tmp_path)
    env["JUPYTER_PATH"] = str(tmp_path / "jupyter-path")  # found before the environment's own
    spec = tmp_path / "jupyter-path" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "hangs_first.py").write_text(HANGS_FIRST)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(spec / "hangs_first.py"), "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    root = tmp_path / "root"
    root.mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nbformat.write(notebook, root / "answer.ipynb")
    port, token = labdriver.free_port(), "t" * 32
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115  (closed below)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--allow-root", "--no-browser",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--ServerApp.token={token}", f"--ServerApp.root_dir={root}",
         "--MappingKernelManager.kernel_info_timeout=5"],
        env=env, cwd=root, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    monkeypatch.setattr(ch, "KERNEL_READY_SECONDS", 10)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):  # not listening yet
                if ch.status_of("GET", f"{url}/api/status", token) == 200:
                    break
            assert server.poll() is None and time.monotonic() < deadline, (
                (tmp_path / "server.log").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
        result = ch.run_notebook(url, token, "answer.ipynb", json.loads(nbformat.writes(notebook)))
        assert result["errors"] == [] and result["cells"] == 1, result
        assert result["fresh_kernels"] == 1, result  # the hanging one, then one that answered
        assert (spec / "starts").read_text() == "2"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.mark.classroom
@pytest.mark.timeout(900)
def test_ten_learners_on_a_real_jupyterhub(tmp_path):
    _need("git")
    _need("npm")
    started = time.monotonic()
    deadline = started + HUB_TEST_SECONDS
    remote = ch.course_remote(tmp_path)
    try:
        proxy = ch.proxy_command()
    except ch.HubError as err:  # no network for npm, say: skipped locally, a failure in CI
        if os.environ.get("CI") == "true":
            pytest.fail(str(err))
        pytest.skip(str(err))
    assert Path(proxy[0]).exists()

    (tmp_path / "hub").mkdir()
    hub = ch.Hub(tmp_path / "hub")
    learners: list[ch.Learner] = []
    timings: dict[str, float] = {}
    try:
        hub.start()
        timings["hub up"] = time.monotonic() - started

        # Ten learners log in through the REST API and start their own servers, all at once.
        names = [f"learner-{i:02d}" for i in range(LEARNERS)]
        learners = hub.create_learners(names)
        assert len({learner.token for learner in learners}) == LEARNERS
        _each(hub.start_server, learners, deadline, "starting servers")
        timings["ten servers ready"] = time.monotonic() - started
        pids = [learner.server_pid for learner in learners]
        assert all(pids) and len(set(pids)) == LEARNERS, pids
        for learner in learners:  # each server runs in its learner's own home folder
            assert f"HOME={hub.home(learner.name)}".encode() in Path(
                f"/proc/{learner.server_pid}/environ").read_bytes().split(b"\0")
            # ... with the setting docs/teaching.md gives (see the test above)
            assert b"--KernelManager.cache_ports=False" in Path(
                f"/proc/{learner.server_pid}/cmdline").read_bytes().split(b"\0")
        # A learner's token opens their own server, not a classmate's.
        first, second = learners[0], learners[1]
        assert ch.status_of("GET", f"{hub.server_url(first)}/api/status", first.token) == 200
        assert ch.status_of("GET", f"{hub.server_url(second)}/api/status", first.token) == 403

        # Each learner clicks the link: they log in on the hub's page, the hub sends them to
        # their own server's nbgitpuller page, which pulls the course into their home folder and
        # then opens lesson 0 in JupyterLab.
        link = classroom_link(hub.url, repo=str(remote), branch="main")
        assert link.startswith(f"{hub.url}/hub/user-redirect/git-pull?repo=")
        pulls = _each(lambda learner: hub.pull(learner, link), learners, deadline, "first pull")
        timings["ten pulls"] = time.monotonic() - started
        for learner, pull in zip(learners, pulls):
            own = hub.server_url(learner)
            assert pull["link_page"].startswith(f"{own}/git-pull?"), pull["link_page"]
            assert pull["data"]["repo"] == str(remote) and pull["data"]["branch"] == "main"
            assert pull["data"]["targetpath"] == COURSE
            assert pull["opened"] == f"{own}/lab/tree/{COURSE}/{LESSON0}", pull["opened"]
        shipped0 = ch.git("show", f"main:{LESSON0}", cwd=remote)  # this repository's HEAD
        for learner in learners:
            copy = hub.home(learner.name) / COURSE / LESSON0
            assert copy.exists(), f"{learner.name} has no lesson 0 after the pull"
            assert copy.read_text(encoding="utf-8") == shipped0

        # Each learner edits lesson 4 and keeps a notebook of their own, through their server.
        def edit(learner):
            path = f"{COURSE}/{LESSON4}"
            notebook = hub.get_notebook(learner, path)
            source = notebook["cells"][0]["source"]
            notebook["cells"][0]["source"] = _note(learner.name) + (
                source if isinstance(source, str) else "".join(source))
            hub.put_notebook(learner, path, notebook)
            mine = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
                f"print('{learner.name} was here')")])
            hub.put_notebook(learner, f"{COURSE}/lessons/my_experiments.ipynb",
                             json.loads(nbformat.writes(mine)))

        _each(edit, learners, deadline, "editing lesson 4")

        # Each learner's kernel runs lessons 0 and 4, all ten learners at the same time.
        def study(learner):
            return [hub.run_notebook(learner, f"{COURSE}/{lesson}")
                    for lesson in (LESSON0, LESSON4)]

        before = time.monotonic()
        runs = _each(study, learners, deadline, "running lessons 0 and 4")
        timings["ten learners ran lessons 0 and 4"] = time.monotonic() - before
        for learner, results in zip(learners, runs):
            for result in results:
                assert result["cells"] > 3 and result["errors"] == [], (learner.name, result)
        reconnects = {learner.name: sum(result["reconnects"] for result in results)
                      for learner, results in zip(learners, runs)}
        print("websockets reopened while running lessons:",
              {name: n for name, n in reconnects.items() if n} or "none")
        fresh = {learner.name: sum(result["fresh_kernels"] for result in results)
                 for learner, results in zip(learners, runs)}
        print("kernels that never answered and were started again:",
              {name: n for name, n in fresh.items() if n} or "none")
        kernels = {result["kernel_id"] for results in runs for result in results}
        assert len(kernels) == 2 * LEARNERS

        # A notebook the learner starts in their home folder (beside ~/autogradlab-course)
        # imports the installed autogradlab: the course folder does not shadow the package.
        scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import autogradlab as ag\n"
            "assert hasattr(ag, 'tensor'), ag\n"
            "print(ag.tensor(2.0) * 3)")])
        hub.put_notebook(first, "scratch.ipynb", json.loads(nbformat.writes(scratch)))
        home_run = hub.run_notebook(first, "scratch.ipynb")
        assert home_run["errors"] == [], home_run

        # The teacher updates the course; every learner clicks the link again.
        teacher = _teacher_updates_the_course(remote, tmp_path / "teacher")
        again = _each(lambda learner: hub.pull(learner, link), learners, deadline,
                      "second pull")
        assert all(any("Merge" in str(e.get("output", "")) or "merge" in str(e.get("output", ""))
                       for e in pull["events"]) for pull in again), again[0]["events"]
        timings["second pulls"] = time.monotonic() - started

        for learner in learners:
            folder = hub.home(learner.name) / COURSE
            lesson4 = nbformat.read(folder / LESSON4, as_version=4)
            nbformat.validate(lesson4)
            text = (folder / LESSON4).read_text()
            assert _note(learner.name).strip() in lesson4.cells[0].source  # their edit survived
            others = [o.name for o in learners if o is not learner and _note(o.name)[:20] in text]
            assert others == [], f"{learner.name}'s lesson 4 holds notes of {others}"
            assert TEACHER_LINE.strip() not in lesson4.cells[0].source  # conflict: learner wins
            assert lesson4.cells[-1].source == TEACHER_CELL  # the teacher's other change arrived
            lesson0 = nbformat.read(folder / LESSON0, as_version=4)
            assert lesson0.cells[-1].source == TEACHER_CELL  # an unedited lesson: updated
            assert (folder / "lessons" / "ERRATA.md").exists()  # a new file arrived
            mine = nbformat.read(folder / "lessons" / "my_experiments.ipynb", as_version=4)
            assert learner.name in mine.cells[0].source  # their own notebook is untouched
            # their server still opens the merged lesson
            assert hub.get_notebook(learner, f"{COURSE}/{LESSON4}")["cells"]
            merged = ch.git("log", "--format=%H", cwd=folder).split()
            assert teacher in merged
        # Nothing of the learners went upstream.
        assert ch.git("rev-parse", "main", cwd=remote).strip() == teacher
    except BaseException:
        print("classroom timings (s) before the failure:",
              json.dumps({k: round(v, 1) for k, v in timings.items()}))
        print("the hub's log, last lines:\n" + hub.log_tail(6000))
        raise
    finally:
        leftover_before_kill = hub.stop(learners)
        print(hub.log_tail(2000) if leftover_before_kill else "")
    timings["all stopped"] = time.monotonic() - started
    print("classroom timings (s):", json.dumps({k: round(v, 1) for k, v in timings.items()}))

    # Every process the test started (hub, proxy, servers, kernels) is gone, stopped by pid.
    assert len(hub.started) >= 2 + LEARNERS + 2 * LEARNERS, hub.started
    assert hub.alive() == [], hub.alive()
    assert leftover_before_kill == [], f"had to kill {leftover_before_kill} after the hub stopped"

