"""The self-check's speed in each isolation mode, measured (never asserted in tests).

A student's `grade --self-check` on a notebook, as a whole command (interpreter start, imports,
the sandbox or the portable runner, every check, the report), in each mode, alternating so that
the machine's drift falls on both; then the notebook's `check()` called again in one kernel-like
process (the portable runner keeps its next interpreter warm between calls). Medians and ranges.

    python benchmarks/selfcheck_bench.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {"correct": ROOT / "tests" / "fixtures" / "submissions" / "pass__notebook.ipynb",
             "one mistake": ROOT / "tests" / "fixtures" / "submissions" / "fail-update__notebook_plus_sign.ipynb"}
MODES = ("bubblewrap", "portable")


def one_command(mode: str, notebook: Path) -> float:
    env = {**os.environ, "GRADER_ISOLATION": mode}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader.cli", "--self-check", str(notebook)], cwd=ROOT, env=env,
                   stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def repeated_checks(mode: str, runs: int) -> list[float]:
    """check() again and again in one process, as a student re-runs the cell."""
    code = f"""
import os, sys, time
os.environ["GRADER_ISOLATION"] = {mode!r}
from grader.notebook import check
source = open({str(ROOT / "solutions" / "linreg.py")!r}, encoding="utf-8").read()
for _ in range({runs}):
    started = time.perf_counter()
    report = check(source=source, spec={str(ROOT / "assignments" / "linreg")!r})
    assert report.score == 10.0, report.message
    print(time.perf_counter() - started)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [float(line) for line in out.split()]


def describe(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for label, notebook in NOTEBOOKS.items():
        times: dict[str, list[float]] = {mode: [] for mode in MODES}
        for _ in range(args.runs):
            for mode in MODES:
                times[mode].append(one_command(mode, notebook))
        for mode in MODES:
            print(f"grade --self-check, {label} notebook, {mode:10}: {describe(times[mode])}")
    for mode in MODES:
        checks = repeated_checks(mode, args.runs)
        print(f"check() in one process, {mode:10}: first {checks[0]:.2f} s, then {describe(checks[1:])}")


if __name__ == "__main__":
    main()
