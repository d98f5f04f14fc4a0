"""Browser-test fixtures: a headless Chromium, JupyterLab servers and a page per test.

The machinery lives in ``labdriver.py`` (importable by the tests as ``labdriver``); see its
docstring for the isolation rules and the skip/fail policy under CI=true.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
from labdriver import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LESSONS,
    SCREENSHOTS,
    WIDGET_MANAGER,
    Lab,
    jupyter_lab,
    skip_or_fail,
)

# --------------------------------------------------------------------------- fixtures


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(scope="session")
def chromium_browser():
    if not CHROMIUM.exists():
        skip_or_fail(f"{CHROMIUM} not found (Debian: apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail('playwright is not installed (pip install -e ".[test]")')
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium_browser, request):
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    console: list[str] = []
    pg.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(SCREENSHOTS / f"FAILED-{request.node.name}.png"))
        with contextlib.suppress(Exception):
            (SCREENSHOTS / f"FAILED-{request.node.name}.console.txt").write_text("\n".join(console))
    context.close()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """Lab's root dir: a copy of the repo's lessons plus notebooks the tests write at runtime."""
    root = tmp_path_factory.mktemp("labroot")
    if LESSONS.is_dir():
        shutil.copytree(
            LESSONS, root / "lessons", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
        )
    return root


@pytest.fixture(scope="session")
def lab_server(lab_root, tmp_path_factory):
    with jupyter_lab(lab_root, tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="session")
def lab_server_without_widgets(lab_root, tmp_path_factory):
    """The same Lab with the ipywidgets front end disabled: players must NOT render here."""
    tmp = tmp_path_factory.mktemp("lab-nowidgets")
    with jupyter_lab(lab_root, tmp, disabled=(WIDGET_MANAGER,)) as server:
        yield server


@pytest.fixture
def lab(page, lab_server):
    yield Lab(page, lab_server)
    with contextlib.suppress(Exception):  # each test starts without kernels left by another
        lab_server.shutdown_all_kernels()
