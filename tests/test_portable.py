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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from grader.results import SubmissionResult
from grader.sandbox import isolation
from grader.sandbox.client import Sandbox, start_runner
from grader.sandbox.portable import PortableSandbox
from grader.selfcheck import grade_selfcheck, load_selfcheck_assignment
from grader.spec import load_spec

from .conftest import ROOT

HERE = Path(__file__).resolve().parent
WITHOUT_POSIX = HERE / "portable" / "without_posix.py"
MANY = HERE / "portable" / "selfcheck_many.py"
CATALOGUES = {"linreg": HERE / "fixtures" / "submissions", "logreg": HERE / "fixtures" / "logreg"}
FIXTURES = [(exercise, path) for exercise, folder in CATALOGUES.items()
            for path in sorted(folder.iterdir()) if "__" in path.name]
BWRAP = os.environ.get(isolation.ISOLATION_ENV) in (None, "", "bubblewrap") and isolation._strong_usable()


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
    """Each fixture self-checked by the sandbox (here) and by the portable runner without POSIX
    (in its own process, at the same time)."""
    if not BWRAP:
        pytest.skip("bubblewrap is not usable here: nothing strong to compare with")
    runs = {exercise: subprocess.Popen([sys.executable, str(WITHOUT_POSIX), str(MANY),
                                        str(ROOT / "assignments" / exercise),
                                        *[str(p) for e, p in FIXTURES if e == exercise]],
                                       stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                       env=_environment(GRADER_ISOLATION="portable"))
            for exercise in CATALOGUES}
    strong: dict[tuple[str, str], dict[str, Any]] = {}
    with Sandbox() as sandbox:
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


def test_output_past_the_limit_is_dropped(tmp_path: Path) -> None:
    path = _write(tmp_path, """
        if "_printed" not in globals():
            globals()["_printed"] = print("x" * 1_000_000)
        """)
    code, result = _portable_selfcheck(path, _environment(GRADER_ISOLATION="portable"))
    assert result["score"] == 10.0
    limit = load_spec(ROOT / "assignments" / "linreg" / "spec.toml").limits.output_kb * 1024
    assert 0 < len(result["output"].encode()) <= limit


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
