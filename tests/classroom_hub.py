"""A real JupyterHub on 127.0.0.1 for the classroom test and benchmarks/classroom.py.

JupyterHub (pip) with its DummyAuthenticator and SimpleLocalProcessSpawner (one home folder per
learner), configurable-http-proxy (npm, installed on first use into tests/output/node/), and
nbgitpuller (pip) in each learner's server. Learners talk to the hub and to their own server over
HTTP and websockets only, as a browser would. Every process started here is recorded by pid and
stopped by pid.
"""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
CHP_VERSION = "5.3.0"  # configurable-http-proxy from npm
NODE_PREFIX = REPO / "tests" / "output" / "node"
BIN = Path(sys.executable).parent


class HubError(RuntimeError):
    pass


# -- the proxy from npm ---------------------------------------------------------------------------


def proxy_command() -> list[str]:
    """configurable-http-proxy: $AUTOGRADLAB_CHP, on PATH, or npm-installed in tests/output/node."""
    given = os.environ.get("AUTOGRADLAB_CHP")
    if given:
        return [given]
    local = NODE_PREFIX / "node_modules" / ".bin" / "configurable-http-proxy"
    if local.exists():
        return [str(local)]
    found = shutil.which("configurable-http-proxy")
    if found:
        return [found]
    npm = shutil.which("npm")
    if npm is None:
        raise HubError("configurable-http-proxy needs node and npm (apt-get install -y nodejs npm)")
    NODE_PREFIX.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [npm, "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund",
         "--no-save", "--loglevel=error", f"configurable-http-proxy@{CHP_VERSION}"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0 or not local.exists():
        raise HubError(f"npm install configurable-http-proxy failed:\n{result.stderr[-3000:]}")
    return [str(local)]


# -- small HTTP helpers ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method: str, url: str, token: str | None = None, body=None, timeout: float = 60,
            raw: bool = False):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", f"token {token}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as response:
        payload = response.read()
    if raw:
        return payload.decode("utf-8", "replace")
    return json.loads(payload) if payload.strip() else None


def status_of(method: str, url: str, token: str | None = None, timeout: float = 30) -> int:
    try:
        request(method, url, token, timeout=timeout, raw=True)
        return 200
    except urllib.error.HTTPError as err:
        return err.code


def git(*args: str, cwd: Path | None = None) -> str:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1",
               GIT_AUTHOR_NAME="Teacher", GIT_AUTHOR_EMAIL="teacher@example.invalid",
               GIT_COMMITTER_NAME="Teacher", GIT_COMMITTER_EMAIL="teacher@example.invalid")
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=env,
                            timeout=120, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise HubError(f"git {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def course_remote(where: Path, source: Path = REPO) -> Path:
    """A bare repository ``where/autogradlab`` whose ``main`` is ``source``'s committed HEAD.

    Fetching HEAD (not cloning branches) works from a detached or shallow CI checkout too.
    """
    bare = where / "autogradlab"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    git("fetch", "--quiet", "--no-tags", str(source), "HEAD", cwd=bare)
    git("update-ref", "refs/heads/main", "FETCH_HEAD", cwd=bare)
    return bare


# -- the hub --------------------------------------------------------------------------------------


@dataclass
class Learner:
    name: str
    token: str = ""
    server_pid: int | None = None
    browser: urllib.request.OpenerDirector | None = None
    logged_in: bool = False


@dataclass
class Hub:
    root: Path
    port: int = field(default_factory=free_port)
    hub_port: int = field(default_factory=free_port)
    proxy_api_port: int = field(default_factory=free_port)
    admin_token: str = field(default_factory=lambda: secrets.token_hex(24))
    password: str = field(default_factory=lambda: secrets.token_hex(8))
    proc: subprocess.Popen | None = None
    started: dict[int, float] = field(default_factory=dict)  # pid -> create_time

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, body=None, token: str | None = None, timeout=60):
        return request(method, f"{self.url}/hub/api{path}", token or self.admin_token, body,
                       timeout=timeout)

    def home(self, name: str) -> Path:
        return self.root / "home" / name

    # -- start and stop ---------------------------------------------------------------------

    def write_config(self) -> Path:
        args = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        # All learners' kernels share this machine's ports (as on The Littlest JupyterHub). A
        # kernel's ports are picked, then let go, then bound by the kernel a second or two later;
        # meanwhile another learner's kernel or connection can take one ("Address already in
        # use"). Jupyter's restarter then tries new ports, but not while Jupyter's port cache is
        # on (jupyter_client 8.10: it keeps the clashing ones, 5 times, and gives up). This is
        # the setting docs/teaching.md gives hub administrators.
        args.append("--KernelManager.cache_ports=False")
        config = f"""
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {self.port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {self.hub_port}
c.JupyterHub.db_url = "sqlite:///{self.root / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = "{self.root / 'cookie_secret'}"
c.JupyterHub.pid_file = "{self.root / 'hub.pid'}"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
c.JupyterHub.log_level = "INFO"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{self.proxy_api_port}"
c.ConfigurableHTTPProxy.command = {proxy_command()!r}
c.ConfigurableHTTPProxy.pid_file = "{self.root / 'proxy.pid'}"
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.DummyAuthenticator.password = {self.password!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = "{self.root / 'home' / '{username}'}"
c.Spawner.cmd = [{str(BIN / 'jupyterhub-singleuser')!r}]
c.Spawner.args = {args!r}
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 240
c.Spawner.http_timeout = 240
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "VIRTUAL_ENV"]
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.services = [{{"name": "classroom-admin", "api_token": {self.admin_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "classroom-admin", "services": ["classroom-admin"],
    "scopes": ["admin:users", "admin:servers", "admin:server_state", "tokens", "list:users"]}}]
"""
        path = self.root / "jupyterhub_config.py"
        path.write_text(config)
        return path

    def start(self, timeout: float = 120) -> None:
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        config = self.write_config()
        env = dict(os.environ, HOME=str(self.root), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_DATA_DIR",
                    "JUPYTERHUB_API_TOKEN", "JUPYTER_TOKEN", "PYTHONPATH"):
            env.pop(var, None)
        log = open(self.root / "hub.log", "wb")  # noqa: SIM115 (closed in stop())
        self._log = log
        self.proc = subprocess.Popen(
            [str(BIN / "jupyterhub"), "-f", str(config)], cwd=self.root, env=env,
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.remember(self.proc.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HubError(f"JupyterHub exited ({self.proc.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(OSError, ValueError):
                if self.api("GET", "/")["version"]:
                    self.remember_children()
                    return
            time.sleep(0.3)
        raise HubError(f"JupyterHub did not answer in {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return (self.root / "hub.log").read_text(errors="replace")[-chars:]
        return ""

    def remember(self, pid: int) -> None:
        with contextlib.suppress(psutil.Error):
            self.started.setdefault(pid, psutil.Process(pid).create_time())

    def remember_children(self) -> None:
        """Record the hub's descendants: the proxy, learners' servers, their kernels, git."""
        if self.proc is None:
            return
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self.remember(child.pid)

    def alive(self) -> list[int]:
        """The recorded processes that still run (same pid and start time)."""
        left = []
        for pid, created in self.started.items():
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE:
                    left.append(pid)
        return left

    def stop(self, learners: list[Learner] = (), timeout: float = 60) -> list[int]:
        """Stop learners' servers (API), the hub (SIGTERM), then anything left, by pid.

        Returns the pids that had to be killed after the polite stop.
        """
        self.remember_children()

        def stop_server(learner: Learner) -> None:
            with contextlib.suppress(OSError, ValueError):
                self.api("DELETE", f"/users/{learner.name}/server", timeout=60)

        if learners:
            with ThreadPoolExecutor(max_workers=len(learners)) as pool:
                list(pool.map(stop_server, learners))
        if self.proc is not None and self.proc.poll() is None:
            self.remember_children()
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        killed = []
        deadline = time.monotonic() + 15
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.3)
        for pid in self.alive():
            killed.append(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if getattr(self, "_log", None):
            self._log.close()
        return killed

    # -- learners ---------------------------------------------------------------------------

    def create_learners(self, names: list[str]) -> list[Learner]:
        """The teacher adds the class (admin API); each learner then logs in for a token."""
        self.api("POST", "/users", {"usernames": names})
        learners = []
        for name in names:
            body = {"auth": {"username": name, "password": self.password},
                    "note": "classroom test login"}
            reply = request("POST", f"{self.url}/hub/api/users/{name}/tokens", None, body)
            learners.append(Learner(name, reply["token"]))
        return learners

    def start_server(self, learner: Learner, timeout: float = 240) -> None:
        """The learner starts their own server with their own token, and waits until ready."""
        with contextlib.suppress(urllib.error.HTTPError):  # 202 pending / 201 started
            self.api("POST", f"/users/{learner.name}/server", token=learner.token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{learner.name}", token=learner.token)
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                break
            time.sleep(0.5)
        else:
            raise HubError(f"{learner.name}'s server was not ready in {timeout:.0f} s:\n"
                           f"{self.log_tail()}")
        state = self.api("GET", f"/users/{learner.name}")["servers"][""].get("state") or {}
        learner.server_pid = state.get("pid")
        if learner.server_pid:
            self.remember(learner.server_pid)

    def server_url(self, learner: Learner) -> str:
        return f"{self.url}/user/{learner.name}"

    # -- the link, followed as a browser would --------------------------------------------------

    def browser(self, learner: Learner) -> urllib.request.OpenerDirector:
        """The learner's browser: a cookie jar that follows redirects."""
        if learner.browser is None:
            learner.browser = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        return learner.browser

    def open_link(self, learner: Learner, link: str, timeout: float = 120) -> tuple[str, str]:
        """Click the link: log in on the hub's form (first time), follow the hub's redirect to
        the learner's server (OAuth) and on to nbgitpuller's page. Returns (final URL, page)."""
        browser = self.browser(learner)
        target = link
        if not learner.logged_in:
            with browser.open(f"{self.url}/hub/login", timeout=timeout) as response:
                response.read()
            xsrf = _cookie(browser, "_xsrf")
            path = urllib.parse.urlsplit(link)
            next_path = path.path + ("?" + path.query if path.query else "")
            form = urllib.parse.urlencode({"username": learner.name, "password": self.password,
                                           "_xsrf": xsrf}).encode()
            target = urllib.request.Request(
                f"{self.url}/hub/login?" + urllib.parse.urlencode({"next": next_path}),
                data=form, method="POST")
        with browser.open(target, timeout=timeout) as response:
            page = response.read().decode("utf-8", "replace")
            final = response.geturl()
        learner.logged_in = True
        return final, page

    def pull(self, learner: Learner, link: str, timeout: float = 180) -> dict:
        """Click the link and do what nbgitpuller's page does in the browser: call ``git-pull/api``
        with the page's parameters (an event stream), then go to the page's ``path``.

        Returns the final URL, the pull's events and the page's parameters."""
        final, page = self.open_link(learner, link)
        data = {key: urllib.parse.unquote(html.unescape(value))
                for key, value in re.findall(r'data-([a-z-]+)="([^"]*)"', page)}
        if "repo" not in data or "path" not in data:
            raise HubError(f"{learner.name}: the link did not lead to nbgitpuller's page "
                           f"({final}):\n{page[:1500]}")
        params = {"_xsrf": data.get("xsrf", ""), "repo": data["repo"],
                  "targetpath": data["targetpath"]}
        for key in ("depth", "branch", "backup"):
            if key in data:
                params[key] = data[key]
        base = urllib.parse.urljoin(self.url, data["base-url"])
        browser = self.browser(learner)
        with browser.open(f"{base}git-pull/api?{urllib.parse.urlencode(params)}",
                          timeout=timeout) as response:
            stream = response.read().decode("utf-8", "replace")
        events = [json.loads(line[len("data: "):]) for line in stream.splitlines()
                  if line.startswith("data: ")]
        if not events or events[-1].get("phase") != "finished":
            raise HubError(f"nbgitpuller did not finish for {learner.name}: {events[-3:]}")
        with browser.open(base + data["path"], timeout=timeout) as response:
            response.read()
            opened = response.geturl()
        return {"link_page": final, "events": events, "data": data, "opened": opened}

    # -- the learner's own server: contents and kernels ----------------------------------------

    def get_notebook(self, learner: Learner, path: str) -> dict:
        model = request("GET", f"{self.server_url(learner)}/api/contents/{path}?content=1",
                        learner.token)
        return model["content"]

    def put_notebook(self, learner: Learner, path: str, notebook: dict) -> None:
        request("PUT", f"{self.server_url(learner)}/api/contents/{path}", learner.token,
                {"type": "notebook", "format": "json", "content": notebook})

    def run_notebook(self, learner: Learner, path: str, keep_kernel: bool = False,
                     cell_timeout: float = 300) -> dict:
        """Open a kernel for ``path`` on the learner's server (as Lab does: a session) and run
        every code cell through the kernel's websocket. Returns timings and any errors."""
        return run_notebook(self.server_url(learner), learner.token, path,
                            self.get_notebook(learner, path), keep_kernel, cell_timeout,
                            on_kernel=lambda: self.remember_children())


#: how long a new kernel may take to answer its first kernel_info request before the learner
#: gives up on it and opens the notebook again (one answers in about 3 s with ten starting at once)
KERNEL_READY_SECONDS = 90
#: how many kernels a learner starts for one notebook at most
KERNEL_STARTS = 3


def run_notebook(server: str, token: str, path: str, notebook: dict, keep_kernel: bool = False,
                 cell_timeout: float = 300, on_kernel=None) -> dict:
    """Run every code cell of ``notebook`` in a new kernel session on ``server``, as Lab does.

    Like JupyterLab, a dropped websocket is reopened with the same session id (the server keeps
    the kernel's messages for that session meanwhile) and the cell's reply is awaited again; the
    result counts these ``reconnects``. A kernel that never answers its first request is given
    up, as a learner would (shut down, open the notebook again): with every learner's kernel on
    one machine, a classmate's kernel can take one of its ports before it binds them, and
    Jupyter Server's websocket then stays on the old ports even when Jupyter restarts the
    kernel on new ones. ``fresh_kernels`` counts these. Returns the cell count, seconds and
    errors."""
    started = time.monotonic()
    session, channel, fresh_kernels = _ready_session(server, token, path, cell_timeout,
                                                     on_kernel)
    errors: list[str] = []
    cells = 0
    try:
        for cell in notebook["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            if not source.strip():
                continue
            cells += 1
            errors += channel.execute(source)
            if errors:
                break
    finally:
        channel.close()
    took = time.monotonic() - started
    if not keep_kernel:
        _delete_session(server, token, session)
    return {"path": path, "cells": cells, "seconds": took, "errors": errors,
            "kernel_id": session["kernel"]["id"], "session_id": session["id"],
            "reconnects": channel.reconnects, "fresh_kernels": fresh_kernels}


def _ready_session(server: str, token: str, path: str, cell_timeout: float, on_kernel):
    """A new session for ``path`` whose kernel has answered a kernel_info request, its open
    channel, and how many kernels were given up first (at most ``KERNEL_STARTS`` are started)."""
    problems = []
    for fresh in range(KERNEL_STARTS):
        session = request("POST", f"{server}/api/sessions", token,
                          {"path": path, "type": "notebook", "name": Path(path).name,
                           "kernel": {"name": "python3"}})
        if on_kernel:
            on_kernel()
        channel = None
        try:
            channel = _KernelChannel(server, token, session["kernel"]["id"], uuid.uuid4().hex,
                                     cell_timeout, connect_timeout=KERNEL_READY_SECONDS)
            if channel.answers_kernel_info(KERNEL_READY_SECONDS):
                return session, channel, fresh
            problems.append(f"kernel {session['kernel']['id']}: no kernel_info reply in "
                            f"{KERNEL_READY_SECONDS} s")
        except Exception as err:  # noqa: BLE001  (any failure to connect: start another)
            problems.append(f"kernel {session['kernel']['id']}: {err!r}"[:300])
        if channel is not None:
            channel.close()
        _delete_session(server, token, session)
    raise HubError(f"{KERNEL_STARTS} kernels for {path} never answered:\n" + "\n".join(problems))


def _delete_session(server: str, token: str, session: dict) -> None:
    with contextlib.suppress(OSError, ValueError):
        request("DELETE", f"{server}/api/sessions/{session['id']}", token)


class _KernelChannel:
    """A kernel's websocket, reopened (at most ``MAX_RECONNECTS`` times) when it drops."""

    MAX_RECONNECTS = 3

    def __init__(self, server: str, token: str, kernel_id: str, session_id: str,
                 timeout: float, connect_timeout: float | None = None) -> None:
        ws_url = server.replace("http://", "ws://", 1)
        self.url = f"{ws_url}/api/kernels/{kernel_id}/channels?session_id={session_id}"
        self.token, self.session_id, self.timeout = token, session_id, timeout
        self.reconnects = 0
        self.ws = self._connect(connect_timeout or timeout)
        self.ws.settimeout(timeout)

    def _connect(self, timeout: float):
        import websocket  # websocket-client, a dependency of jupyter_server

        return websocket.create_connection(
            self.url, header=[f"Authorization: token {self.token}"], timeout=timeout)

    def _message(self, msg_type: str, content: dict) -> tuple[str, str]:
        msg_id = uuid.uuid4().hex
        return msg_id, json.dumps({
            "header": {"msg_id": msg_id, "username": "learner", "session": self.session_id,
                       "msg_type": msg_type, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": content,
        })

    def answers_kernel_info(self, seconds: float) -> bool:
        """Ask the kernel for its info, as Lab does first; True when it answers in time."""
        import websocket

        msg_id, request_msg = self._message("kernel_info_request", {})
        self.ws.send(request_msg)
        deadline = time.monotonic() + seconds
        self.ws.settimeout(5)
        try:
            while time.monotonic() < deadline:
                try:
                    msg = _decode(self.ws.recv())
                except websocket.WebSocketTimeoutException:
                    continue
                if (msg.get("parent_header", {}).get("msg_id") == msg_id
                        and msg.get("header", {}).get("msg_type") == "kernel_info_reply"):
                    return True
            return False
        finally:
            self.ws.settimeout(self.timeout)

    def _reconnect(self, why: Exception) -> None:
        if self.reconnects >= self.MAX_RECONNECTS:
            raise HubError(f"the kernel's websocket dropped {self.reconnects + 1} times "
                           f"(last: {why!r})") from why
        self.reconnects += 1
        with contextlib.suppress(Exception):
            self.ws.close()
        time.sleep(1)
        self.ws = self._connect(self.timeout)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()

    def execute(self, code: str) -> list[str]:
        """Send ``code``; wait for its reply and for the kernel to go idle. Returns errors."""
        import websocket

        dropped = (websocket.WebSocketConnectionClosedException, ConnectionError)
        msg_id, request_msg = self._message("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        while True:
            try:
                self.ws.send(request_msg)
                break
            except dropped as err:  # not sent: reopen and send again
                self._reconnect(err)
        errors, replied, idle = [], False, False
        deadline = time.monotonic() + self.timeout
        while not (replied and idle):
            if time.monotonic() > deadline:
                return [f"no reply in {self.timeout:.0f} s to:\n{code[:200]}"]
            try:
                msg = _decode(self.ws.recv())
            except websocket.WebSocketTimeoutException:
                continue  # the deadline above decides
            except dropped as err:  # sent: the server replays its messages to the new socket
                self._reconnect(err)
                continue
            kind = msg.get("header", {}).get("msg_type")
            if kind == "status" and msg["content"]["execution_state"] in ("dead", "restarting"):
                return [f"the kernel {msg['content']['execution_state']} while running:\n"
                        f"{code[:200]}"]
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if kind == "error":
                errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}\n"
                              f"in:\n{code[:300]}")
            elif kind == "execute_reply":
                replied = True
                if msg["content"]["status"] != "ok" and not errors:
                    errors.append(f"status {msg['content']['status']} in:\n{code[:300]}")
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
        return errors


def _decode(frame) -> dict:
    """A kernel message from the websocket: JSON text, or the binary form used for buffers
    (uint32 count, uint32 offsets, the JSON message first, then the buffers)."""
    if isinstance(frame, str):
        return json.loads(frame)
    count = int.from_bytes(frame[:4], "big")
    offsets = [int.from_bytes(frame[4 + 4 * i: 8 + 4 * i], "big") for i in range(count)]
    end = offsets[1] if count > 1 else len(frame)
    return json.loads(frame[offsets[0]:end].decode("utf-8"))


def _cookie(browser: urllib.request.OpenerDirector, name: str) -> str:
    for handler in browser.handlers:
        jar = getattr(handler, "cookiejar", None)
        if jar is not None:
            for cookie in jar:
                if cookie.name == name:
                    return cookie.value
    raise HubError(f"no {name} cookie from the hub's login page")
