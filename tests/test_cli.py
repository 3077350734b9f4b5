"""One command tree: every command is listed and has --help, errors are one line with the exit
code the README gives, a missing dependency names the install command, and Ctrl-C stops a
command cleanly (a batch keeps what it committed)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.cli import COMMANDS

from .conftest import FIXTURES, ROOT


def _grade(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None,
           flags: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *flags, "-m", "grader.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300, env=env)


def test_help_lists_every_command() -> None:
    shown = _grade("--help")
    assert shown.returncode == 0
    for command in ("batch", "gradescope", "bundle", "build", "new", "assign", "mutants"):
        assert f"grade {command}" in shown.stdout
    assert set(COMMANDS) == {"batch", "gradescope", "bundle", "build", "new", "assign", "mutants"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_and_rejects_bad_options_in_one_line(command: str) -> None:
    shown = _grade(command, "--help")
    assert shown.returncode == 0 and "usage:" in shown.stdout, shown.stderr
    wrong = _grade(command, "--no-such-option")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert wrong.stderr.startswith("grade: ") and wrong.stderr.count("\n") == 1, wrong.stderr


@pytest.mark.parametrize("command", [("batch",), ("gradescope", "build"), ("gradescope", "run"), ("bundle",),
                                     ("build",)])
def test_commands_that_write_what_people_read_document_lang(command: tuple[str, ...]) -> None:
    """--lang is an option of each, with the default of `grade FILE`, not a flag `grade` alone understands."""
    shown = _grade(*command, "--help")
    assert shown.returncode == 0 and "--lang {en,ko}" in shown.stdout
    assert "default: from the locale, else English" in " ".join(shown.stdout.split())
    wrong = _grade(*command, "--lang", "fr")
    assert wrong.returncode == 2 and "invalid choice: 'fr'" in wrong.stderr


def test_no_arguments_is_a_usage_error() -> None:
    done = _grade()
    assert done.returncode == 2 and "grade --help" in done.stderr


def test_several_exercises_and_no_match_is_one_line_naming_them(tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        folder = tmp_path / "assignments" / name
        folder.mkdir(parents=True)
        (folder / "spec.toml").write_text(f'[assignment]\nstub = "{name}.py"\n', encoding="utf-8")
    submission = tmp_path / "work" / "homework.py"
    submission.parent.mkdir()
    submission.write_text("x = 1\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "GRADER_SPEC"}
    done = _grade(submission, cwd=tmp_path, env=env)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "several exercises" in done.stderr and "alpha" in done.stderr and "beta" in done.stderr
    assert "--assignment" in done.stderr


def test_a_missing_dependency_is_one_line_naming_the_install_command(tmp_path: Path) -> None:
    # -S: no site-packages, so the engine comes from the source tree and numpy is nowhere
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8"}
    done = _grade(FIXTURES / "pass__reference.py", env=env, flags=("-S",))
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "numpy" in done.stderr and "pip install -r requirements.txt" in done.stderr


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_ctrl_c_stops_a_batch_that_keeps_what_it_committed_and_resumes(tmp_path: Path) -> None:
    fixtures = sorted(p for p in FIXTURES.iterdir() if p.name.startswith(("pass__", "fail-")))[:24]
    source = tmp_path / "class"
    source.mkdir()
    for index, fixture in enumerate(fixtures):
        (source / f"student{index:02d}_{200 + index}_{9100 + index}_linreg{fixture.suffix}").write_bytes(
            fixture.read_bytes())
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader.cli", "batch", str(source), "--out", str(out), "--jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               start_new_session=True)

    def committed() -> int:
        try:
            with sqlite3.connect(out / "results.sqlite", timeout=1) as db:
                return int(db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
        except sqlite3.Error:
            return 0

    assert _wait_for(lambda: committed() >= 3, 120), "the batch committed nothing in time"
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.strip().startswith("grade: interrupted"), stderr
    kept = committed()
    assert 3 <= kept < len(fixtures)
    again = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"reused {kept} from an earlier run" in again.stdout


def test_ctrl_c_stops_a_single_grade(tmp_path: Path) -> None:
    looping = tmp_path / "linreg.py"
    looping.write_text("def Loss(f_x, y):\n    while True:\n        pass\n", encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "grader.cli", str(looping),
                                "--assignment", str(ROOT / "assignments" / "linreg")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                               start_new_session=True)
    time.sleep(1.5)  # checking Loss by now, which loops until its check's 10 s limit
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in stderr, stderr


def test_an_output_encoding_without_the_report_marks_prints_the_report() -> None:
    """On Windows, output sent to a pipe or a file is in the ANSI code page (cp1252 here), which
    has no ✔ or ✘: the report still prints whole, with "?" for them, and the exit code stands."""
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    submission = FIXTURES / "fail-Loss__half_mse.py"
    done = subprocess.run([sys.executable, "-m", "grader.cli", "--self-check", str(submission)],
                          capture_output=True, text=True, encoding="cp1252", env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "7 / 10" in done.stdout and "? 1. Loss" in done.stdout
    assert "Traceback" not in done.stderr
