"""What the sandbox costs, measured (never asserted in tests), with bubblewrap and in the fallback.

For each isolation mode:
  * the median wall time of one `grade solutions/linreg.py --json` (a whole CLI call),
  * the time to start the warm worker (the zygote: bubblewrap, Python and numpy),
  * the time to fork one submission from it and load its code (to its first answer),
  * the time of a fresh session (one fork per part) and of one call's round trip.

    python benchmarks/sandbox_overhead.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import isolation  # noqa: E402
from grader.sandbox.client import Sandbox  # noqa: E402
from grader.spec import Limits  # noqa: E402

SOLUTION = ROOT / "solutions" / "linreg.py"


def _median_ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:8.1f} ms"


def _spread_ms(samples: list[float]) -> str:
    if len(samples) < 2:
        return ""
    ordered = sorted(samples)
    return f"({ordered[0] * 1000:.1f}-{ordered[-1] * 1000:.1f})"


def grade_cli(mode: str, runs: int) -> list[float]:
    env = dict(os.environ)
    env.pop(isolation.ISOLATION_ENV, None)
    if mode == "fallback":
        env[isolation.ISOLATION_ENV] = "fallback"
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "grader.cli", str(SOLUTION), "--json"], env=env,
                              capture_output=True, stdin=subprocess.DEVNULL, cwd=str(ROOT))
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"grade failed in {mode} mode: {done.stdout[-300:]!r} {done.stderr[-300:]!r}")
    return times


def _timed(runs: int, action: Callable[[], None]) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def worker_figures(mode: str, runs: int) -> dict[str, list[float]]:
    chosen = isolation.Isolation(mode, None if mode == "bubblewrap" else isolation.FALLBACK_NOTE)

    def start_worker() -> None:
        with Sandbox(chosen) as sandbox:
            _ = sandbox.versions  # ready: numpy imported inside

    figures = {"start the warm worker": _timed(runs, start_worker)}
    units = [{"label": "linreg.py", "source": SOLUTION.read_text()}]
    limits = Limits()
    with Sandbox(chosen) as sandbox:
        _ = sandbox.versions

        def fork_submission() -> None:
            sandbox.open(units, limits).close()

        figures["fork + load one submission"] = _timed(runs, fork_submission)
        process = sandbox.open(units, limits)
        try:
            def fresh_session() -> None:
                process.session(5.0).end()

            figures["one session (fork per part)"] = _timed(runs, fresh_session)
            session = process.session(60.0)
            import numpy as np

            f_x, y = np.zeros((4, 1)), np.ones((4, 1))
            calls = _timed(max(runs, 200), lambda: session.call("Loss", f_x, y) and None)
            session.end()
            figures["one call's round trip"] = calls
        finally:
            process.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    modes = ["fallback"]
    if isolation.detect().mode == "bubblewrap":
        modes.insert(0, "bubblewrap")
    else:
        print("bubblewrap is not usable here: measuring the fallback only")
    rows: dict[str, dict[str, list[float]]] = {}
    for mode in modes:
        rows[mode] = {"grade solutions/linreg.py --json": grade_cli(mode, args.runs)}
        rows[mode].update(worker_figures(mode, args.runs))
    print(f"median over {args.runs} runs (min-max); Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    width = max(len(name) for figures in rows.values() for name in figures)
    header = f"{'':{width}}  " + "  ".join(f"{mode:>28}" for mode in modes)
    print(header)
    for name in rows[modes[0]]:
        cells = [f"{_median_ms(rows[m][name])} {_spread_ms(rows[m][name]):>18}" for m in modes]
        print(f"{name:{width}}  " + "  ".join(f"{c:>28}" for c in cells))
    if len(modes) == 2:
        a, b = (statistics.median(rows[m]["grade solutions/linreg.py --json"]) for m in modes)
        print(f"bubblewrap costs {1000 * (a - b):+.1f} ms per grade call over the fallback")


if __name__ == "__main__":
    main()
