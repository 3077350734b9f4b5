"""`grade new`, `grade assign` and `grade build` on the command line, as an instructor uses them: a new
exercise is graded right after it is scaffolded, its stubs are what assign writes, its build is current."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT


def _grade(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=300, encoding="utf-8")


def _score(cwd: Path, path: str, *extra: str) -> tuple[float, dict[str, float]]:
    run = _grade(["--json", "--assignment", "assignments/demo", path, *extra], cwd)
    data = json.loads(run.stdout)
    assert data["error"] is None or "stub" in path, data["error"]
    return data["score"], {p["name"]: p["score"] for p in data["parts"]}


def test_a_new_exercise_is_graded_right_after_it_is_scaffolded(tmp_path: Path) -> None:
    made = _grade(["new", "demo"], tmp_path)
    assert made.returncode == 0, made.stderr
    for written in ("solutions/demo.py", "assignments/demo/spec.toml", "assignments/demo/demo.py",
                    "assignments/demo/demo.ipynb", "assignments/demo/build/official.json",
                    "assignments/demo/build/selfcheck.json", "assignments/demo/examples/correct.py",
                    "assignments/demo/examples/wrong.py"):
        assert f"wrote {written}" in made.stdout and (tmp_path / written).is_file()
    assert _score(tmp_path, "solutions/demo.py") == (5.0, {"mean_square": 3.0, "rms": 2.0})
    assert _score(tmp_path, "assignments/demo/demo.py")[0] == 0.0
    assert _score(tmp_path, "assignments/demo/examples/correct.py")[0] == 5.0
    # the wrong mean_square costs points in mean_square only: rms gets the reference's mean_square
    assert _score(tmp_path, "assignments/demo/examples/wrong.py") == (2.0, {"mean_square": 0.0, "rms": 2.0})
    assert _score(tmp_path, "assignments/demo/examples/wrong.py", "--self-check")[1] == {"mean_square": 0.0,
                                                                                         "rms": 2.0}
    again = _grade(["new", "demo"], tmp_path)
    assert again.returncode == 2 and "exists already" in again.stderr


def test_assign_rewrites_the_stubs_and_build_check_follows_the_spec(tmp_path: Path) -> None:
    assert _grade(["new", "demo"], tmp_path).returncode == 0
    stub = tmp_path / "assignments" / "demo" / "demo.py"
    before = stub.read_text(encoding="utf-8")
    stub.write_text("# edited by hand\n", encoding="utf-8")
    assigned = _grade(["assign", "solutions/demo.py"], tmp_path)
    assert assigned.returncode == 0, assigned.stderr
    assert stub.read_text(encoding="utf-8") == before
    assert _grade(["build", "--check", "assignments/demo"], tmp_path).returncode == 0
    reference = tmp_path / "solutions" / "demo.py"
    reference.write_text(reference.read_text(encoding="utf-8").replace("np.mean(np.square(x))",
                                                                       "np.mean(x * x)"), encoding="utf-8")
    stale = _grade(["build", "--check", "assignments/demo"], tmp_path)
    assert stale.returncode == 1 and "grade build" in stale.stdout
    graded = _grade(["--assignment", "assignments/demo", "solutions/demo.py"], tmp_path)
    assert graded.returncode == 2 and "out of date" in graded.stderr and "run: grade build" in graded.stderr
    assert _grade(["build", "assignments/demo"], tmp_path).returncode == 0
    assert _grade(["--assignment", "assignments/demo", "solutions/demo.py"], tmp_path).returncode == 0


def test_assign_names_the_line_of_a_broken_marker(tmp_path: Path) -> None:
    source = tmp_path / "solutions" / "broken.py"
    source.parent.mkdir()
    source.write_text("def f(x):\n    ### BEGIN SOLUTION\n    return x\n", encoding="utf-8")
    run = _grade(["assign", "solutions/broken.py"], tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "broken.py, line 2" in run.stderr
