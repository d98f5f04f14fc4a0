"""How long each lesson takes under nbval, against the course's budgets.

Run: ``python benchmarks/lessons.py [lessons/NN_title.ipynb ...]`` (default: every lesson).

Each lesson runs under ``pytest --nbval`` in its own process, one after the other, exactly as the
README's test command runs it (kernel start included). Budgets (issue 16): each lesson under
60 s, the whole course under 8 minutes on a 2-core machine. The script prints one line per lesson,
the total, and whether each budget held; it exits 1 if a lesson failed under nbval.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LESSON_BUDGET_S = 60.0
COURSE_BUDGET_S = 8 * 60.0


def run_lesson(path: Path) -> tuple[float, bool, str]:
    """Seconds, whether nbval passed, and pytest's last line, for one lesson."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", str(path)],
        cwd=REPO, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    lines = [ln for ln in done.stdout.splitlines() if ln.strip()]
    return seconds, done.returncode == 0, lines[-1] if lines else "(no output)"


def main(argv: list[str]) -> int:
    lessons = sorted((REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))
    paths = [Path(a).resolve() for a in argv] or lessons
    total, failed = 0.0, []
    print(f"{'lesson':<40} {'seconds':>8}  budget {LESSON_BUDGET_S:.0f} s")
    for path in paths:
        seconds, passed, last = run_lesson(path)
        total += seconds
        verdict = "ok" if seconds < LESSON_BUDGET_S else "OVER"
        if not passed:
            failed.append(path.name)
            verdict += f", nbval FAILED: {last}"
        print(f"{path.name:<40} {seconds:8.1f}  {verdict}", flush=True)
    course = "ok" if total < COURSE_BUDGET_S else "OVER"
    print(f"{'all ' + str(len(paths)) + ' lessons':<40} {total:8.1f}  budget "
          f"{COURSE_BUDGET_S:.0f} s: {course}")
    if failed:
        print(f"failed under nbval: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
