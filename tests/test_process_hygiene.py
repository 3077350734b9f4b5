"""`grade` returns only after every process it started is gone, in both isolation modes.

Each test runs the real command as a subprocess leading a session of its own. Once it has
exited, nothing may be left: no process of that session (bwrap, the zygote, and, in /proc,
not even a zombie waiting for some init to reap it), no process of the run's marker (the
hostile submission's grandchildren and its daemon, which double-forked and setsid() away
from every group and session), and none of the processes seen below `grade` while it ran.

No test waits after `grade` exits: every process of the run must have been reaped by its
parent before `grade` could return, so /proc already shows the end state.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.errors import EXIT_INTERRUPTED
from grader.sandbox import isolation

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignments" / "linreg"
BWRAP = os.environ.get(isolation.ISOLATION_ENV) != "fallback" and isolation.detect().mode == "bubblewrap"
MODES = [pytest.param("bubblewrap", marks=pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable here")),
         "fallback"]

# A correct submission whose Loss leaves processes behind: a child and a grandchild in its own
# group, and a daemon (fork, setsid, fork) that ignores SIGTERM, SIGHUP and SIGINT. Each takes
# the run's marker as its name (comm) and sleeps; with SPIN, Loss then never returns. (No exec:
# in the fallback as root the submission's own uid may not reach the grader's Python.)
HOSTILE = '''
import ctypes, os, signal, time
import numpy as np

MARKER, SPIN = {marker!r}, {spin!r}
_LEFT = []


def _linger():
    try:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        ctypes.CDLL(None).prctl(15, MARKER.encode(), 0, 0, 0)  # PR_SET_NAME
        time.sleep(120)
    finally:
        os._exit(0)


def _leave_processes():
    if _LEFT:  # once per process: Loss is called for every input
        return
    _LEFT.append(True)
    if os.fork() == 0:
        if os.fork() == 0:
            _linger()
        _linger()
    if os.fork() == 0:
        try:
            os.setsid()
            if os.fork() == 0:
                _linger()
        finally:
            os._exit(0)


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    _leave_processes()
    while SPIN:
        pass
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def main():
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    for i in range(1000):
        gd = gradient_descent(w0, w1, X, y)
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
    return w0, w1
'''


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    session: int
    state: str
    start: int  # clock ticks since boot: with the pid, one process (pids are reused)
    cmdline: str
    comm: str


def _processes() -> dict[int, Proc]:
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        found[int(entry)] = Proc(int(entry), int(fields[1]), int(fields[3]), fields[0], int(fields[19]), cmdline, comm)
    return found


def _below(root: int, table: dict[int, Proc]) -> set[tuple[int, int]]:
    children: dict[int, list[Proc]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc)
    found: set[tuple[int, int]] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if (child.pid, child.start) not in found:
                found.add((child.pid, child.start))
                todo.append(child.pid)
    return found


def _marked(marker: str, table: dict[int, Proc]) -> list[Proc]:
    return [p for p in table.values() if p.comm == marker]


def _marker() -> str:
    return f"hyg{uuid.uuid4().hex[:12]}"  # a process name holds 15 characters


class Run:
    """`grade` in a session of its own, with every process seen below it while it runs."""

    def __init__(self, submission: Path, mode: str, output: Path, command: list[str] | None = None) -> None:
        env = dict(os.environ)
        env.pop(isolation.ISOLATION_ENV, None)
        if mode == "fallback":
            env[isolation.ISOLATION_ENV] = "fallback"
        arguments = command or [str(submission), "--json", "--assignment", str(ASSIGNMENT)]
        command = [sys.executable, "-m", "grader.cli", *arguments]
        self.output = output
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                            cwd=ROOT, env=env, start_new_session=True)
        self.seen: dict[tuple[int, int], Proc] = {}

    def watch(self, until: str | None = None, seconds: float = 60.0) -> dict[int, Proc]:
        """Note the processes below `grade` until it exits or, given `until`, a process of that
        marker runs (bounded: the sandbox starts and reaches Loss within seconds)."""
        deadline = time.monotonic() + seconds
        while self.process.poll() is None and time.monotonic() < deadline:
            table = _processes()
            for key in _below(self.process.pid, table):
                self.seen.setdefault(key, table[key[0]])
            if until is not None and _marked(until, table):
                return table
            time.sleep(0.01)
        assert until is None, f"no process of {until} appeared while `grade` ran"
        return {}

    def finish(self) -> tuple[int, str]:
        _, stderr = self.process.communicate(timeout=120)
        return self.process.returncode, stderr.decode("utf-8", "replace")

    def assert_nothing_left(self, marker: str | None = None) -> None:
        table = _processes()
        left = [p for p in table.values() if p.session == self.process.pid]
        left += _marked(marker, table) if marker else []
        left += [table[pid] for pid, start in self.seen if pid in table and table[pid].start == start]
        left = list({p.pid: p for p in left}.values())
        assert not left, "processes outlived `grade`:\n" + "\n".join(
            f"  {p.pid} ppid={p.ppid} sid={p.session} state={p.state} {p.comm}: {p.cmdline[:120]}" for p in left)


def _hostile(folder: Path, marker: str, spin: bool = False) -> Path:
    path = folder / "hostile.py"
    path.write_text(HOSTILE.format(marker=marker, spin=spin))
    return path


@pytest.mark.parametrize("mode", MODES)
def test_a_correct_submission_leaves_nothing(mode: str, tmp_path: Path) -> None:
    run = Run(ROOT / "solutions" / "linreg.py", mode, tmp_path / "report.json")
    run.watch()
    code, stderr = run.finish()
    assert code == 0, stderr
    assert run.seen, "the sandbox's processes were never seen: the test would prove nothing"
    run.assert_nothing_left()


@pytest.mark.parametrize("mode", MODES)
def test_a_hostile_submission_leaves_nothing(mode: str, tmp_path: Path) -> None:
    marker = _marker()
    run = Run(_hostile(tmp_path, marker), mode, tmp_path / "report.json")
    run.watch()
    code, stderr = run.finish()
    assert code == 0, stderr
    assert json.loads(run.output.read_text())["score"] == 10
    run.assert_nothing_left(marker)


@pytest.mark.parametrize("how", ["SIGINT to its group", "SIGTERM"])
@pytest.mark.parametrize("mode", MODES)
def test_interrupted_mid_grade_leaves_nothing(mode: str, how: str, tmp_path: Path) -> None:
    """Ctrl-C at a terminal (SIGINT to the whole foreground group) or a `kill` while the hostile
    submission's processes run and its Loss spins."""
    marker = _marker()
    run = Run(_hostile(tmp_path, marker, spin=True), mode, tmp_path / "report.json")
    table = run.watch(until=marker)
    assert len(_marked(marker, table)) >= 1
    if how == "SIGTERM":
        os.kill(run.process.pid, signal.SIGTERM)
    else:
        os.killpg(run.process.pid, signal.SIGINT)
    run.watch()
    code, stderr = run.finish()
    assert code == (-signal.SIGTERM if how == "SIGTERM" else EXIT_INTERRUPTED), stderr
    run.assert_nothing_left(marker)


@pytest.mark.parametrize("mode", MODES)
def test_a_batch_leaves_nothing(mode: str, tmp_path: Path) -> None:
    """`grade batch`: its pool's workers each hold a sandbox, which must end with the worker."""
    marker = _marker()
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / "linreg.py", folder / "smithjohn_101_9001_linreg.py")
    _hostile(tmp_path, marker).rename(folder / "leeminji_102_9002_linreg.py")
    run = Run(folder, mode, tmp_path / "summary.txt",
              command=["batch", str(folder), "--out", str(tmp_path / "out"), "--jobs", "2",
                       "--assignment", str(ASSIGNMENT)])
    run.watch()
    code, stderr = run.finish()
    assert code == 0, stderr
    assert (tmp_path / "out" / "grades.csv").read_text().count("\n") == 3  # a header and both students
    assert run.seen, "the workers' processes were never seen: the test would prove nothing"
    run.assert_nothing_left(marker)
