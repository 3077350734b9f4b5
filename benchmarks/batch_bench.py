"""Speed of grading, measured (never asserted in tests).

Generates a class of N notebook submissions (a mix of correct, buggy and broken ones,
named as Canvas names its downloads), then reports:
  * submissions per second for `grade batch` (fresh output folder, default --jobs): the first
    run in an empty cache folder (cold: each mistake's shrink path found afresh), then --repeats more
    (warm), reported by their median,
  * the median wall time of one `grade` call on a correct notebook and on one with a mistake,
  * the peak memory (RSS summed over the whole process tree) of each batch,
  * a fixed pure-Python workload's time before and after (the machine's speed at the time).

    python benchmarks/batch_bench.py --n 100 200 --repeats 3 --single-runs 15
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
CORRECT = ["pass__reference.py", "pass__sum_over_len.py", "pass__for_loops.py", "pass__tuple_update.py",
           "pass__mean_method.py", "pass__minus_two_mean.py"]
BUGGY = ["fail-Loss__half_mse.py", "fail-Loss__sum_instead_of_mean.py", "fail-gradient_descent__missing_factor_2.py",
         "fail-gradient_descent__flipped_sign.py", "fail-update__plus_instead_of_minus.py", "fail-update__no_lr.py"]
BROKEN = ["broken__syntax_error.py", "broken__invalid_json.ipynb", "broken__no_code_cells.ipynb"]


def as_notebook(source: str, student: int) -> str:
    """The submission's code split into cells at each top-level def, with a markdown cell and a magic."""
    chunks, current = [], []
    for line in source.splitlines():
        if line.startswith("def ") and current:
            chunks.append("\n".join(current))
            current = []
        current.append(line)
    chunks.append("\n".join(current))
    cells = [nbformat.v4.new_markdown_cell(f"# Linear regression (student {student})"),
             nbformat.v4.new_code_cell("%matplotlib inline")]
    cells += [nbformat.v4.new_code_cell(chunk) for chunk in chunks]
    notebook = nbformat.v4.new_notebook(cells=cells)
    return nbformat.writes(notebook)


def make_class(folder: Path, n: int) -> None:
    """60% correct, 30% buggy, 10% broken; every file a notebook (broken ones may be broken notebooks)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        bucket = i % 10
        pool = CORRECT if bucket < 6 else BUGGY if bucket < 9 else BROKEN
        fixture = FIXTURES / pool[(i // 10) % len(pool)]
        name = f"student{i:04d}_{1000 + i}_{50000 + i}_linreg.ipynb"
        if fixture.suffix == ".ipynb":
            shutil.copy(fixture, folder / name)
        else:
            text = fixture.read_text(encoding="utf-8")
            (folder / name).write_text(as_notebook(text, i), encoding="utf-8")


def _tree_rss_kb(root_pid: int) -> int:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except OSError:
            pass
    return total


def run_batch(folder: Path, out: Path, jobs: int | None, env: dict[str, str]) -> tuple[float, int, str]:
    command = [sys.executable, "-m", "grader.cli", "batch", str(folder), "--out", str(out)]
    if jobs:
        command += ["--jobs", str(jobs)]
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                               env=env)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss_kb(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    sampler.join()
    return seconds, peak, output.strip().splitlines()[0] if output.strip() else ""


def single_latency(notebook: Path, runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader.cli", str(notebook), "--json"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
        times.append(time.perf_counter() - started)
    return times


def cpu_probe() -> float:
    """Milliseconds for a fixed pure-Python workload: this machine's speed at the moment (shared
    hosts vary by half and more over a day), to read the other figures by."""
    started = time.perf_counter()
    total = 0
    for value in range(2_000_000):
        total += value & 7
    return round((time.perf_counter() - started) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[200])
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--single-runs", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=3, help="batch runs per N after the first (cold) one")
    args = parser.parse_args()
    figures: dict[str, object] = {"cores": len(os.sched_getaffinity(0)), "cpu_probe_ms_before": cpu_probe()}
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        for n in args.n:
            # A cache folder of its own: the first batch starts cold (no shrink path known yet),
            # as an instructor's first batch of an assignment does; the repeats show a warm one.
            env = dict(os.environ, GRADER_CACHE_DIR=str(base / f"cache-{n}"))
            folder = base / f"class-{n}"
            make_class(folder, n)
            runs = []
            for attempt in range(args.repeats + 1):
                seconds, peak_kb, line = run_batch(folder, base / f"out-{n}-{attempt}", args.jobs, env)
                runs.append({"seconds": round(seconds, 2), "submissions_per_s": round(n / seconds, 1),
                             "peak_rss_mb": round(peak_kb / 1024, 1), "summary": line})
            warm = sorted(runs[1:], key=lambda run: run["seconds"]) if len(runs) > 1 else runs
            figures[f"batch_{n}"] = {"cold_cache": runs[0], "warm_cache_median": warm[len(warm) // 2],
                                     "warm_cache_all_s": [run["seconds"] for run in runs[1:]]}
        env = dict(os.environ, GRADER_CACHE_DIR=str(base / "cache-single"))
        make_class(base / "one", 10)  # student 0 is correct, student 6 has a mistake in Loss
        for label, index in (("correct", 0), ("with_a_mistake", 6)):
            notebook = next((base / "one").glob(f"student{index:04d}_*"))
            single_latency(notebook, 2, env)  # the page cache
            times = single_latency(notebook, args.single_runs, env)
            figures[f"grade_notebook_{label}_median_s"] = round(statistics.median(times), 3)
        figures["grade_notebook_runs"] = args.single_runs
    figures["cpu_probe_ms_after"] = cpu_probe()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
