"""The package ships every subpackage and the lesson notebooks (the repository's own files)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_subpackage_is_listed():
    """pyproject lists packages by hand (packages.find cannot map lessons/); none may be missing."""
    found = {
        ".".join(path.parent.relative_to(REPO).parts)
        for path in (REPO / "autogradlab").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    missing = sorted(found - set(CONFIG["packages"]))
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml"


def test_lessons_are_package_data_of_autogradlab_lessons():
    assert "autogradlab.lessons" in CONFIG["packages"]
    assert CONFIG["package-dir"]["autogradlab.lessons"] == "lessons"
    assert "*.ipynb" in CONFIG["package-data"]["autogradlab.lessons"]
    assert (REPO / "lessons" / "__init__.py").exists()


@pytest.mark.slow
def test_the_wheel_contains_the_lessons(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )
    [wheel] = tmp_path.glob("autogradlab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for notebook in (REPO / "lessons").glob("*.ipynb"):
        assert f"autogradlab/lessons/{notebook.name}" in names
    assert "autogradlab/lessons/__init__.py" in names
    assert "autogradlab/cli.py" in names and "autogradlab/exercises/lesson00.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "autogradlab = autogradlab.cli:main" in text
