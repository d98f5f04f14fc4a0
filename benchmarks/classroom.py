"""Sizing a hub for the course: memory per learner and the time for a class to run a lesson at once.

    python benchmarks/classroom.py               # ten learners (about 4 minutes on 2 cores)
    python benchmarks/classroom.py --learners 4

Starts the same local JupyterHub as tests/test_classroom.py (DummyAuthenticator,
SimpleLocalProcessSpawner, configurable-http-proxy from npm), pulls the course into every learner's
home with the nbgitpuller link (from a bare clone of this repository's HEAD), and measures:

- memory of each learner's idle server (RSS, and PSS: shared pages split between processes);
- memory of each learner's kernel after lesson 4, and after lesson 7;
- wall time for one learner alone, then for every learner at once, to run lesson 4 (and lesson 7),
  and the CPU seconds each learner's kernel used.

Prints a table and one JSON line. The numbers in docs/teaching.md come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import classroom_hub as ch  # noqa: E402

from autogradlab.classroom import COURSE_FOLDER, classroom_link  # noqa: E402

LESSON4 = f"{COURSE_FOLDER}/lessons/04_backpropagation.ipynb"
LESSON7 = f"{COURSE_FOLDER}/lessons/07_neural_network.ipynb"
MIB = 1024 * 1024


def memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of one process in MiB."""
    proc = psutil.Process(pid)
    try:
        info = proc.memory_full_info()
        return info.rss / MIB, getattr(info, "pss", info.rss) / MIB
    except psutil.AccessDenied:
        return proc.memory_info().rss / MIB, float("nan")


def kernel_pid(server_pid: int, kernel_id: str) -> int:
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            if any(kernel_id in part for part in child.cmdline()):
                return child.pid
        except psutil.Error:
            continue
    raise RuntimeError(f"no process for kernel {kernel_id} under server {server_pid}")


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def summary(values: list[float]) -> str:
    return (f"median {statistics.median(values):6.0f}   min {min(values):6.0f}   "
            f"max {max(values):6.0f}")


def each(function, items):
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(function, items))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10)
    args = parser.parse_args(argv)
    n = args.learners
    results: dict[str, object] = {
        "learners": n, "cpus": os.cpu_count(), "machine": platform.machine(),
        "memory_gib": round(psutil.virtual_memory().total / MIB / 1024, 1),
    }
    with tempfile.TemporaryDirectory(prefix="autogradlab-classroom-") as tmp:
        root = Path(tmp)
        remote = ch.course_remote(root)
        (root / "hub").mkdir()
        hub = ch.Hub(root / "hub")
        learners: list[ch.Learner] = []
        try:
            t0 = time.monotonic()
            hub.start()
            learners = hub.create_learners([f"learner-{i:02d}" for i in range(n)])
            each(hub.start_server, learners)
            results["servers_ready_s"] = round(time.monotonic() - t0, 1)
            link = classroom_link(hub.url, repo=str(remote), branch="main")
            t1 = time.monotonic()
            each(lambda learner: hub.pull(learner, link), learners)
            results["pulls_s"] = round(time.monotonic() - t1, 1)
            time.sleep(3)  # let the servers settle after serving the pull and Lab's page
            idle = [memory(learner.server_pid) for learner in learners]
            server_cpu = [cpu_seconds(learner.server_pid) for learner in learners]

            # One learner alone: lesson 4 (kernel start included), then close it.
            alone = hub.run_notebook(learners[0], LESSON4)
            assert not alone["errors"], alone["errors"]
            results["lesson4_one_learner_s"] = round(alone["seconds"], 1)

            # Every learner at once: lesson 4, kernels kept to measure them.
            def lesson(path):
                def run(learner):
                    outcome = hub.run_notebook(learner, path, keep_kernel=True)
                    assert not outcome["errors"], (learner.name, outcome["errors"])
                    outcome["pid"] = kernel_pid(learner.server_pid, outcome["kernel_id"])
                    return outcome
                return run

            t2 = time.monotonic()
            runs4 = each(lesson(LESSON4), learners)
            results["lesson4_all_at_once_s"] = round(time.monotonic() - t2, 1)
            after4 = [memory(run["pid"]) for run in runs4]
            cpu4 = [cpu_seconds(run["pid"]) for run in runs4]

            t3 = time.monotonic()
            runs7 = each(lesson(LESSON7), learners)
            results["lesson7_all_at_once_s"] = round(time.monotonic() - t3, 1)
            after7 = [memory(run["pid"]) for run in runs7]
            cpu7 = [cpu_seconds(run["pid"]) for run in runs7]
            servers_now = [memory(learner.server_pid) for learner in learners]
        finally:
            killed = hub.stop(learners)
    if killed:
        print(f"(had to kill {killed} after the hub stopped)")

    rss = {
        "idle_server": [m[0] for m in idle],
        "kernel_after_lesson4": [m[0] for m in after4],
        "kernel_after_lesson7": [m[0] for m in after7],
        "server_with_two_kernels_open": [m[0] for m in servers_now],
    }
    pss = {
        "idle_server": [m[1] for m in idle],
        "kernel_after_lesson4": [m[1] for m in after4],
        "kernel_after_lesson7": [m[1] for m in after7],
    }
    per_learner_rss = [s + a + b for s, a, b in zip(rss["server_with_two_kernels_open"],
                                                     rss["kernel_after_lesson4"],
                                                     rss["kernel_after_lesson7"])]
    print(f"Classroom benchmark: {n} learners on one machine "
          f"({results['cpus']} CPUs, {results['memory_gib']} GiB)\n")
    print("memory per learner (MiB)                 RSS                                    PSS")
    for key in ("idle_server", "kernel_after_lesson4", "kernel_after_lesson7"):
        print(f"  {key:<26} {summary(rss[key])}   |  median {statistics.median(pss[key]):6.0f}")
    print(f"  {'learner, all open (server + two kernels)':<26} {summary(per_learner_rss)}")
    print("\ntime (s)")
    print(f"  servers ready (hub start + {n} logins + spawns)  {results['servers_ready_s']:7.1f}")
    print(f"  {n} pulls with the nbgitpuller link               {results['pulls_s']:7.1f}")
    print(f"  lesson 4, one learner alone                       "
          f"{results['lesson4_one_learner_s']:7.1f}")
    print(f"  lesson 4, {n} learners at once                     "
          f"{results['lesson4_all_at_once_s']:7.1f}")
    print(f"  lesson 7, {n} learners at once                     "
          f"{results['lesson7_all_at_once_s']:7.1f}")
    print(f"  CPU per learner's kernel: lesson 4 {statistics.median(cpu4):.1f} s, "
          f"lesson 7 {statistics.median(cpu7):.1f} s (median)")
    print(f"  CPU per learner's server to start and serve the pull: "
          f"{statistics.median(server_cpu):.1f} s (median)")
    results.update({
        "rss_mib_median": {k: round(statistics.median(v)) for k, v in rss.items()},
        "pss_mib_median": {k: round(statistics.median(v)) for k, v in pss.items()},
        "learner_all_open_rss_mib_max": round(max(per_learner_rss)),
        "cpu_s_median": {"lesson4": round(statistics.median(cpu4), 1),
                         "lesson7": round(statistics.median(cpu7), 1),
                         "server_start_and_pull": round(statistics.median(server_cpu), 1)},
    })
    print("\n" + json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
