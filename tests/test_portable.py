"""The portable runner: the self-check where the sandbox cannot run (Windows, macOS, Linux without
bubblewrap) gives the sandbox's verdicts, and the official grade never falls to it by itself.

The agreement is tested the hard way: the portable runner grades every fixture of both exercises
with the facilities Windows lacks made unavailable in the grader and in the student's processes
(tests/portable/without_posix.py), and each result must equal the sandbox's, part by part and
check by check, feedback and counterexamples included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from grader.results import SubmissionResult
from grader.sandbox import isolation
from grader.sandbox.client import Sandbox, SessionLost, start_runner
from grader.sandbox.portable import PortableSandbox
from grader.selfcheck import grade_selfcheck, load_selfcheck_assignment
from grader.spec import Limits, load_spec

from .conftest import ROOT

HERE = Path(__file__).resolve().parent
WITHOUT_POSIX = HERE / "portable" / "without_posix.py"
MANY = HERE / "portable" / "selfcheck_many.py"
CATALOGUES = {"linreg": HERE / "fixtures" / "submissions", "logreg": HERE / "fixtures" / "logreg"}
FIXTURES = [(exercise, path) for exercise, folder in CATALOGUES.items()
            for path in sorted(folder.iterdir()) if "__" in path.name]


def _environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != isolation.ISOLATION_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**env, **extra}


def _verdicts(result: dict[str, Any]) -> tuple[Any, ...]:
    """Everything a student reads of a grade but the isolation note: scores, statuses, feedback
    (with its counterexamples), notes, output and the error."""
    parts = [(p["name"], p["score"], [(c["id"], c["status"], c["score"], c["feedback"]) for c in p["checks"]])
             for p in result["parts"]]
    return result["score"], result["error"], parts, result["notes"], result["output"]


BothWays = dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]]  # (exercise, file) -> (sandbox, portable)


@pytest.fixture(scope="module")
def both_ways() -> Iterator[BothWays]:
    """Each fixture self-checked by the sandbox (here: bubblewrap, or the fallback where bubblewrap
    cannot run) and by the portable runner without POSIX (in its own process, at the same time)."""
    runs = {exercise: subprocess.Popen([sys.executable, str(WITHOUT_POSIX), str(MANY),
                                        str(ROOT / "assignments" / exercise),
                                        *[str(p) for e, p in FIXTURES if e == exercise]],
                                       stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                       env=_environment(GRADER_ISOLATION="portable"))
            for exercise in CATALOGUES}
    strong: dict[tuple[str, str], dict[str, Any]] = {}
    chosen = isolation.detect("official")
    if chosen.mode == "portable":  # (asked for in this run's environment: compare with the fallback then)
        chosen = isolation.Isolation("fallback", isolation.FALLBACK_NOTE)
    with Sandbox(chosen) as sandbox:
        for exercise in CATALOGUES:
            assignment = load_selfcheck_assignment(load_spec(ROOT / "assignments" / exercise / "spec.toml"))
            for e, path in FIXTURES:
                if e == exercise:
                    strong[(exercise, path.name)] = grade_selfcheck(path, assignment, sandbox).to_json()
    portable: dict[tuple[str, str], dict[str, Any]] = {}
    for exercise, run in runs.items():
        out, _ = run.communicate(timeout=900)
        assert run.returncode == 0, out[-2000:]
        for line in out.splitlines():
            row = json.loads(line)
            assert row["mode"] == "portable"
            portable[(exercise, Path(row["file"]).name)] = row["result"]
    yield {key: (strong[key], portable.get(key, {})) for key in strong}


@pytest.mark.parametrize("exercise, path", FIXTURES, ids=[f"{e}/{p.name}" for e, p in FIXTURES])
def test_portable_runner_agrees_with_the_sandbox(both_ways: BothWays, exercise: str, path: Path) -> None:
    strong, portable = both_ways[(exercise, path.name)]
    assert portable, "the portable runner gave no result"
    assert _verdicts(portable) == _verdicts(strong)
    assert portable["isolation_note"].startswith("portable runner:")
    assert portable["provenance"]["isolation"] == "portable"


def test_the_catalogue_is_whole() -> None:
    assert len([f for f in FIXTURES if f[0] == "linreg"]) >= 90 and len([f for f in FIXTURES if f[0] == "logreg"]) >= 35


# ------------------------------------------------------------------ which runner a grade gets


def _grade_json(path: Path, *args: str, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    run = subprocess.run([sys.executable, "-m", "grader.cli", str(path), "--json", *args], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=300)
    return run.returncode, json.loads(run.stdout)


@pytest.fixture()
def no_bubblewrap(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has Python but no bwrap."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "python3").symlink_to(sys.executable)
    return _environment(PATH=str(folder))


REFERENCE = CATALOGUES["linreg"] / "pass__reference.py"


def test_without_bubblewrap_the_self_check_is_portable(no_bubblewrap: dict[str, str]) -> None:
    code, result = _grade_json(REFERENCE, "--self-check", env=no_bubblewrap)
    assert (code, result["score"]) == (0, 10.0)
    assert result["provenance"]["isolation"] == "portable"
    assert "portable runner" in result["isolation_note"]
    assert "its processes ended after each part" in result["isolation_note"]


def test_without_bubblewrap_the_official_grade_is_never_portable(no_bubblewrap: dict[str, str]) -> None:
    code, result = _grade_json(REFERENCE, env=no_bubblewrap)
    assert (code, result["score"]) == (0, 10.0)
    assert result["provenance"]["isolation"] == "fallback"
    assert result["isolation_note"].startswith(isolation.FALLBACK_NOTE)


def test_the_official_grade_is_portable_only_when_asked(no_bubblewrap: dict[str, str]) -> None:
    code, result = _grade_json(REFERENCE, env={**no_bubblewrap, "GRADER_ISOLATION": "portable"})
    assert (code, result["score"]) == (0, 10.0)
    assert result["provenance"]["isolation"] == "portable"
    assert result["isolation_note"].startswith("portable runner:")


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_off_linux_the_official_grade_stops_and_says_how(monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    from grader.errors import SandboxError

    monkeypatch.setattr(isolation.sys, "platform", platform)
    monkeypatch.setattr(isolation, "_strong", [False])
    monkeypatch.delenv(isolation.ISOLATION_ENV, raising=False)
    assert isolation.detect("self-check").mode == "portable"
    with pytest.raises(SandboxError, match="GRADER_ISOLATION=portable"):
        isolation.detect("official")
    monkeypatch.setenv(isolation.ISOLATION_ENV, "fallback")
    with pytest.raises(SandboxError, match="needs Linux"):
        isolation.detect("official")
    monkeypatch.setenv(isolation.ISOLATION_ENV, "portable")
    assert isolation.detect("official").mode == "portable"


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.errors import SandboxError

    monkeypatch.setenv(isolation.ISOLATION_ENV, "docker")
    with pytest.raises(SandboxError, match="not a mode"):
        isolation.detect("self-check")


# ------------------------------------------------------------------ the limits it holds


def _write(tmp_path: Path, body: str) -> Path:
    """The reference with `body` added to its Loss (the first part), as a student might."""
    source = REFERENCE.read_text(encoding="utf-8")
    marker = "def Loss(f_x, y):\n"
    path = tmp_path / "linreg.py"
    path.write_text(source.replace(marker, marker + textwrap.indent(textwrap.dedent(body), "    ")), encoding="utf-8")
    return path


def _portable_selfcheck(path: Path, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    run = subprocess.run([sys.executable, str(WITHOUT_POSIX), "grade", "--self-check", str(path), "--json",
                          "--assignment", str(ROOT / "assignments" / "linreg")],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    return run.returncode, json.loads(run.stdout)


def test_every_process_of_a_part_is_ended(tmp_path: Path) -> None:
    """A part that starts processes which would outlive it (a child, and a child of that child)."""
    marker = f"portable-leftover-{os.getpid()}"
    path = _write(tmp_path, f"""
        import subprocess, sys
        if "_started" not in globals():
            globals()["_started"] = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)', '{marker}']); "
                "time.sleep(120)", "{marker}"])
        """)
    code, result = _portable_selfcheck(path, _environment(GRADER_ISOLATION="portable"))
    assert result["score"] == 10.0, result
    left = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    assert left == []


def test_a_grader_that_dies_takes_its_interpreters_along(tmp_path: Path) -> None:
    """SIGKILL of the grader in the middle of a part that loops: its interpreters (the busy one and
    the warm one) end by themselves once their lifeline closes."""
    grader = subprocess.Popen([sys.executable, "-m", "grader.cli", "--self-check",
                               str(CATALOGUES["linreg"] / "timeout-gradient_descent__infinite_loop.py")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                              env=_environment(GRADER_ISOLATION="portable"))

    def interpreters() -> list[psutil.Process]:
        return [p for p in psutil.process_iter(["cmdline"])
                if any(str(arg).endswith(os.path.join("inside", "portable.py")) for arg in p.info["cmdline"] or [])
                and p.info["cmdline"] and json.loads(p.info["cmdline"][-1]).get("port") is not None
                and _parent_chain_has(p, grader.pid)]

    deadline = time.monotonic() + 30
    while len(interpreters()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2.0)  # into the gradient_descent part, whose check loops for its whole time limit
    started = interpreters()
    assert len(started) >= 2 and any(p.cpu_percent(0.2) > 50 for p in started)  # one of them is busy
    grader.kill()
    grader.wait()
    gone, alive = psutil.wait_procs(started, timeout=10)
    assert alive == []


def _parent_chain_has(process: psutil.Process, pid: int) -> bool:
    try:
        return any(parent.pid == pid for parent in process.parents())
    except psutil.Error:
        return False


def test_output_past_the_limit_is_dropped_as_it_arrives(portable: PortableSandbox) -> None:
    """Written past print's own bound (os.write), 4 MB reach the grader, which keeps output_kb."""
    limits = Limits(load_seconds=5, check_seconds=10, output_kb=16)
    process = portable.open([{"label": "sub.py", "source": "import os\nfor _ in range(64):\n"
                                                          "    os.write(1, b'x' * 65536)\ndef f(): return 1\n"}],
                            limits)
    try:
        assert process.load_problem is None, process.load_problem
        session = process.session(10)
        assert session.call("f").kind == "returned"
        session.end()
    finally:
        process.close()
    kept = process.output_text()
    assert kept == "x" * 16 * 1024
    assert process.outputs[0].dropped == 64 * 65536 - 16 * 1024


def test_memory_is_watched_where_no_limit_is_offered(tmp_path: Path) -> None:
    """Without the resource module (Windows) a part that holds more than its memory is ended by
    the grader's watch; the other parts keep their points, and the note says how memory was held."""
    path = _write(tmp_path, """
        import numpy as _np, time as _time
        _held = _np.ones(200_000_000)
        _time.sleep(30)
        """)
    code, result = _portable_selfcheck(path, _environment(GRADER_ISOLATION="portable"))
    scores = {p["name"]: p["score"] for p in result["parts"]}
    assert scores["Loss"] == 0 and scores["gradient_descent"] == 4.0
    assert "looked at every" in result["isolation_note"] and "no per-process limit" in result["isolation_note"]
    assert result["duration_s"] < 20


def test_the_address_space_limit_holds_where_the_platform_has_one(tmp_path: Path) -> None:
    path = _write(tmp_path, """
        import numpy as _np
        _held = _np.ones(200_000_000)
        """)
    with PortableSandbox() as runner:
        assignment = load_selfcheck_assignment(load_spec(ROOT / "assignments" / "linreg" / "spec.toml"))
        result: SubmissionResult = grade_selfcheck(path, assignment, runner)
        note = runner.note
    assert [p.score for p in result.parts] == [0.0, 4.0, 3.0]
    assert "MemoryError" in result.parts[0].checks[0].feedback
    assert note is not None and "MB of address space per process" in note


# ------------------------------------------------------------------ the notebook's check()


def test_check_in_a_notebook_reuses_one_warm_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader import notebook

    monkeypatch.setenv(isolation.ISOLATION_ENV, "portable")
    notebook._drop_runner()
    source = REFERENCE.read_text(encoding="utf-8")
    try:
        first = notebook.check(source=source, spec=ROOT / "assignments" / "linreg")
        runner = notebook._warm[0]
        second = notebook.check(source=source.replace("np.mean(", "np.average("), spec=ROOT / "assignments" / "linreg")
        assert notebook._warm == [runner] and isinstance(runner, PortableSandbox)
        assert first.result is not None and second.result is not None
        assert (first.result.score, second.result.score) == (10.0, 10.0)
    finally:
        notebook._drop_runner()


def test_start_runner_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(isolation.ISOLATION_ENV, "portable")
    with start_runner("official") as runner:
        assert isinstance(runner, PortableSandbox) and runner.isolation.mode == "portable"
        assert runner.versions["python"] == sys.version.split()[0]


# ------------------------------------------------------------------ loading, and loading again


@pytest.fixture(scope="module")
def portable() -> Iterator[PortableSandbox]:
    with PortableSandbox() as runner:
        yield runner


LIMITS = Limits(load_seconds=1, check_seconds=5)


def _cells(*sources: str) -> list[dict[str, str]]:
    return [{"label": f"sub.ipynb [cell {i}]", "source": source} for i, source in enumerate(sources, start=1)]


def test_a_blocking_call_at_the_top_level_is_stopped_by_the_load_timer(portable: PortableSandbox) -> None:
    """As SIGALRM does in the sandbox: the statement stops, what is above it is graded."""
    source = "def above(): return 1\nimport time\ntime.sleep(60)\ndef below(): return 2\n"
    started = time.monotonic()
    process = portable.open([{"label": "sub.py", "source": source}], LIMITS)
    try:
        assert process.load_problem is None, process.load_problem
        assert "above" in process.defined and "below" not in process.defined
        assert process.stopped is not None and process.stopped.startswith("sub.py, line 3")
    finally:
        process.close()
    assert time.monotonic() - started < 5


def test_every_part_sees_the_notebook_the_first_load_saw(portable: PortableSandbox) -> None:
    """The first load runs out of the notebook's time before its last cell; each part loads the
    notebook again, quickly (it stops where the first load stopped): the last cell still never runs."""
    process = portable.open(_cells("while True:\n    pass\n", "x = 1\nwhile True:\n    pass\n",
                                   "def f(): return 1\n"), LIMITS, "notebook")
    try:
        assert process.load_problem is None, process.load_problem
        for _ in range(3):
            session = process.session(10)
            assert session.call("f").kind == "missing"
            session.end()
        assert len(process.outputs) == 3  # a process per part
    finally:
        process.close()
    assert any("did not run" in note for note in process.notes)


def test_a_reload_that_stops_elsewhere_fails_closed(portable: PortableSandbox, tmp_path: Path) -> None:
    """Code whose top level runs differently the second time is not graded on other definitions:
    that part says why, and the first part kept its points."""
    marker = tmp_path / "loaded-once"
    source = (f"import os\nif os.path.exists({str(marker)!r}):\n    while True:\n        pass\n"
              f"open({str(marker)!r}, 'w').close()\ndef f(): return 1\n")
    process = portable.open([{"label": "sub.py", "source": source}], LIMITS)
    try:
        assert process.load_problem is None and "f" in process.defined
        first = process.session(10)
        assert first.call("f").kind == "returned"
        first.end()
        with pytest.raises(SessionLost, match="stopped where it did not the first time"):
            process.session(10)
    finally:
        process.close()


def test_reloading_for_each_part_costs_no_budget(portable: PortableSandbox) -> None:
    """Each part loads the submission again where the runner does not fork: that is not charged to
    the submission's time budget (a restart after a timeout is)."""
    process = portable.open([{"label": "sub.py", "source": "import time\ntime.sleep(0.4)\ndef f(): return 1\n"}],
                            LIMITS, deadline=time.monotonic() + 3.5)
    try:
        for _ in range(8):  # 8 loads of 0.4 s: past the 3.5 s budget if they were charged
            session = process.session(5)
            assert session.call("f").kind == "returned"
            session.end()
        assert not process.budget_spent
    finally:
        process.close()
