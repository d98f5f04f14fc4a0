"""The ``autogradlab`` command: get the lesson notebooks into a folder of your own and open them.

::

    autogradlab lessons                 # copy the lessons to ./autogradlab-lessons, open JupyterLab
    autogradlab lessons ~/ad-course     # ... into another folder
    autogradlab lessons --list          # which lessons there are, and the state of your copies
    autogradlab lessons --reset 03      # back up your lesson 3, then restore the original
    autogradlab lessons --no-browser --port 8899   # serve without opening a browser
    autogradlab lessons --no-open       # only copy, do not start JupyterLab
    autogradlab lessons -- --allow-root # anything after -- goes to `jupyter lab`
    autogradlab classroom-link https://hub.example.edu   # the nbgitpuller link for a JupyterHub

Your notebooks are never overwritten. A lesson you do not have yet is copied in. A lesson that
changed in a newer autogradlab is written *beside* your copy, as
``03_forward.upstream-2026-11-22.ipynb``, and a note says so. ``--reset`` keeps a timestamped
backup (``03_forward.backup-20261122-103105.ipynb``) before it restores the original.

The folder holds ``.autogradlab-lessons.json``, a record of which version of each lesson was last
copied, so an upstream change can be told apart from your own edits.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

DEFAULT_DIR = "autogradlab-lessons"
MANIFEST = ".autogradlab-lessons.json"
FIRST_LESSON = "00_start_here.ipynb"


# -- where the shipped lessons are ---------------------------------------------------------------


def shipped_lessons_dir() -> Path:
    """The folder of the lessons that came with this autogradlab (package data)."""
    try:
        from importlib.resources import files

        folder = Path(str(files("autogradlab.lessons")))
        if folder.is_dir():
            return folder
    except (ImportError, ModuleNotFoundError, TypeError):
        pass
    # A source checkout whose editable install predates the lessons mapping.
    return Path(__file__).resolve().parent.parent / "lessons"


def shipped_lessons(source: Path | None = None) -> list[Path]:
    source = source or shipped_lessons_dir()
    return sorted(
        p for p in source.glob("*.ipynb")
        if p.name[:2].isdigit() and ".upstream-" not in p.name and ".backup-" not in p.name
    )


# -- small helpers --------------------------------------------------------------------------------


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _load_manifest(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def _now() -> _dt.datetime:
    return _dt.datetime.now()


def _free_name(folder: Path, stem: str, tag: str, when: _dt.datetime) -> Path:
    """``stem.<tag>-<date>.ipynb`` in ``folder``, made unique with the time when needed."""
    candidate = folder / f"{stem}.{tag}-{when:%Y-%m-%d}.ipynb"
    if not candidate.exists():
        return candidate
    candidate = folder / f"{stem}.{tag}-{when:%Y-%m-%d-%H%M%S}.ipynb"
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}.{tag}-{when:%Y-%m-%d-%H%M%S}-{n}.ipynb"
        n += 1
    return candidate


# -- the operations -------------------------------------------------------------------------------


def sync_lessons(folder: Path, source: Path | None = None, out: Any = None) -> dict[str, list[str]]:
    """Copy new lessons into ``folder``; write changed ones beside the learner's copies.

    Returns the file names by what happened: ``added``, ``upstream`` (written beside), ``kept``.
    """
    out = out or sys.stdout
    folder.mkdir(parents=True, exist_ok=True)
    manifest = _load_manifest(folder)
    report: dict[str, list[str]] = {"added": [], "upstream": [], "kept": []}
    for lesson in shipped_lessons(source):
        target = folder / lesson.name
        upstream = _digest(lesson)
        if not target.exists():
            shutil.copyfile(lesson, target)
            manifest[lesson.name] = upstream
            report["added"].append(lesson.name)
            continue
        recorded = manifest.get(lesson.name)
        if upstream == recorded or _digest(target) == upstream:
            manifest[lesson.name] = upstream
            report["kept"].append(lesson.name)
            continue
        # The shipped lesson is not the one last copied here: put it beside the learner's copy.
        already = [
            p for p in folder.glob(f"{target.stem}.upstream-*.ipynb") if _digest(p) == upstream
        ]
        beside = already[0] if already else _free_name(folder, target.stem, "upstream", _now())
        if not already:
            shutil.copyfile(lesson, beside)
        manifest[lesson.name] = upstream
        report["upstream"].append(beside.name)
        print(
            f"Note: {lesson.name} changed in this version of autogradlab. Your copy is untouched; "
            f"the new version is beside it as {beside.name}.",
            file=out,
        )
    _save_manifest(folder, manifest)
    if report["added"]:
        print(f"Copied {len(report['added'])} lesson(s) into {folder}: "
              f"{', '.join(report['added'])}", file=out)
    return report


def find_lesson(which: str, source: Path | None = None) -> Path:
    """The shipped lesson named by ``which``: ``3``, ``03``, ``03_forward`` or the file name."""
    lessons = shipped_lessons(source)
    text = which.strip()
    for lesson in lessons:
        if text in (lesson.name, lesson.stem):
            return lesson
    if text.isdigit():
        for lesson in lessons:
            number = lesson.name.split("_", 1)[0]
            if number.isdigit() and int(number) == int(text):
                return lesson
    matches = [lesson for lesson in lessons if lesson.stem.startswith(text)]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(lesson.stem for lesson in lessons) or "(none shipped)"
    raise SystemExit(f"autogradlab lessons: no lesson {which!r}. The lessons are: {names}")


def reset_lesson(
    folder: Path, which: str, source: Path | None = None, out: Any = None
) -> Path | None:
    """Back up the learner's copy of a lesson (timestamped), then restore the original.

    Returns the backup's path, or None when there was no copy to back up.
    """
    out = out or sys.stdout
    lesson = find_lesson(which, source)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / lesson.name
    backup = None
    if target.exists():
        when = _now()
        backup = folder / f"{target.stem}.backup-{when:%Y%m%d-%H%M%S}.ipynb"
        n = 2
        while backup.exists():
            backup = folder / f"{target.stem}.backup-{when:%Y%m%d-%H%M%S}-{n}.ipynb"
            n += 1
        shutil.copyfile(target, backup)
    shutil.copyfile(lesson, target)
    manifest = _load_manifest(folder)
    manifest[lesson.name] = _digest(lesson)
    _save_manifest(folder, manifest)
    if backup:
        print(f"Reset {lesson.name}. Your previous copy is kept as {backup.name}.", file=out)
    else:
        print(f"Restored {lesson.name} (there was no copy of yours to back up).", file=out)
    return backup


def list_lessons(folder: Path, source: Path | None = None, out: Any = None) -> None:
    out = out or sys.stdout
    manifest = _load_manifest(folder)
    print(f"Lessons shipped with autogradlab (your folder: {folder}):", file=out)
    for lesson in shipped_lessons(source):
        target = folder / lesson.name
        if not target.exists():
            state = "not copied yet"
        elif _digest(target) == _digest(lesson):
            state = "original"
        elif manifest.get(lesson.name) == _digest(lesson):
            beside = [p for p in folder.glob(f"{lesson.stem}.upstream-*.ipynb")
                      if _digest(p) == _digest(lesson)]
            state = f"yours; the newer version is beside it: {beside[0].name}" if beside else (
                "yours (edited)")
        else:
            state = "yours; a newer version is available (`autogradlab lessons` puts it beside)"
        print(f"  {lesson.stem:<32} {state}", file=out)


def lab_command(folder: Path, port: int | None, browser: bool, ip: str,
                extra: list[str]) -> list[str]:
    """The ``jupyter lab`` command line that serves ``folder`` and opens lesson 0."""
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={folder}", f"--ip={ip}"]
    if port is not None:
        cmd.append(f"--port={port}")
    if not browser:
        cmd.append("--no-browser")
    cmd += list(extra)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in cmd:
        # JupyterLab refuses to start as root (common in containers and cloud machines)
        print("Running as root: passing --allow-root to JupyterLab.", flush=True)
        cmd.append("--allow-root")
    if (folder / FIRST_LESSON).exists():
        cmd.append(FIRST_LESSON)
    return cmd


def open_lab(folder: Path, port: int | None = None, browser: bool = True, ip: str = "127.0.0.1",
             extra: list[str] | None = None) -> int:
    cmd = lab_command(folder, port, browser, ip, extra or [])
    print(f"Starting JupyterLab in {folder} (stop it with Ctrl+C)...", flush=True)
    try:
        return subprocess.run(cmd, cwd=folder).returncode
    except KeyboardInterrupt:
        return 0


# -- command line ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autogradlab", description="autogradlab: see automatic differentiation."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command")
    lessons = sub.add_parser(
        "lessons",
        help="copy the lesson notebooks into a folder and open them in JupyterLab",
        description=(
            "Copy the lesson notebooks into DIR (never overwriting yours) and open JupyterLab "
            "there. Arguments after -- are passed to `jupyter lab`."
        ),
    )
    lessons.add_argument("dir", nargs="?", default=DEFAULT_DIR,
                         help=f"your lessons folder (default: ./{DEFAULT_DIR})")
    lessons.add_argument("--list", action="store_true", help="list the lessons and stop")
    lessons.add_argument("--reset", metavar="LESSON",
                         help="back up your copy of LESSON (e.g. 03) and restore the original")
    lessons.add_argument("--no-browser", action="store_true",
                         help="start JupyterLab without opening a browser")
    lessons.add_argument("--no-open", action="store_true",
                         help="only copy the lessons; do not start JupyterLab")
    lessons.add_argument("--port", type=_port, default=None, help="port for JupyterLab")
    lessons.add_argument("--ip", default="127.0.0.1",
                         help="address JupyterLab listens on (default 127.0.0.1)")
    from .classroom import add_parser as add_classroom_link

    add_classroom_link(sub)
    return parser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number from 1 to 65535")
    return port


def _say(message: str) -> int:
    """One line on stderr for a bad argument; the exit status for it (2, like argparse)."""
    print(f"autogradlab lessons: {message}", file=sys.stderr)
    return 2


_TRY_ANOTHER = f"Give a folder you can write to, e.g. autogradlab lessons ~/{DEFAULT_DIR}"


def _not_a_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot be a lessons folder because it, or a folder above it, is a file."""
    for place in (folder, *folder.parents):
        if place.exists() or place.is_symlink():
            if place.is_dir():
                return None
            where = "" if place == folder else f" (it is inside {place}, which is a file)"
            return (f"{folder} is a file, not a folder{where}. Give a folder name instead, "
                    f"e.g. autogradlab lessons ~/{DEFAULT_DIR}")
    return None


def _write_problem(folder: Path, err: OSError) -> str:
    """One line for an OSError met while writing the lessons folder: what, and what to do."""
    place = err.filename or folder
    code = err.errno
    if code == errno.EROFS:
        why = f"{folder} is on a read-only file system"
    elif code in (errno.EACCES, errno.EPERM):
        why = f"{folder} is read-only for you (permission denied on {place})"
    elif code in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return _not_a_folder(folder) or (
            f"cannot use {place}: {err.strerror or err}. Move it out of the way, or give another "
            f"folder, e.g. autogradlab lessons ~/{DEFAULT_DIR}")
    elif code == errno.ENOSPC:
        why = f"no space left on the disk that holds {folder}"
    elif code == errno.ENOENT:
        why = f"cannot create {folder} here (no such file or directory: {place})"
    else:
        why = f"cannot write to {folder} ({err.strerror or err})"
    return f"{why}. {_TRY_ANOTHER}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, extra = argv[:at], argv[at + 1:]
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__

        print(f"autogradlab {__version__}")
        return 0
    if args.command == "classroom-link":
        from .classroom import main as classroom_link

        return classroom_link(args)
    if args.command != "lessons":
        parser.print_help()
        return 0 if args.command is None else 2

    try:
        folder = Path(args.dir).expanduser().resolve()
    except RuntimeError as err:  # ~someone who does not exist
        return _say(f"cannot find the home folder in {args.dir!r} "
                    f"({str(err).rstrip('.')}). {_TRY_ANOTHER}")
    except ValueError as err:  # a NUL byte in the name
        return _say(f"{args.dir!r} is not a usable folder name ({err}). {_TRY_ANOTHER}")
    except FileNotFoundError:  # the current folder was deleted under us
        return _say(f"the current folder no longer exists, so {args.dir!r} cannot be found. "
                    "Change to an existing folder (cd ~) and run the command again")
    if not shipped_lessons():
        print("autogradlab lessons: this installation ships no lessons "
              f"(looked in {shipped_lessons_dir()}).", file=sys.stderr)
        return 1
    problem = _not_a_folder(folder)
    if problem:
        return _say(problem)
    try:
        if args.list:
            list_lessons(folder)
            return 0
        if args.reset:
            reset_lesson(folder, args.reset)
            print(f"Open it with: autogradlab lessons {args.dir}")
            return 0
        sync_lessons(folder)
    except OSError as err:
        return _say(_write_problem(folder, err))
    if args.no_open:
        print(f"Your lessons are in {folder}. Open them with: autogradlab lessons {args.dir}")
        return 0
    return open_lab(folder, port=args.port, browser=not args.no_browser, ip=args.ip, extra=extra)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
