"""Batch grading end to end: every submission gets a row, outputs are valid, a killed batch resumes."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.batch.command import batch_exit_code
from grader.batch.runner import Job, LocalPool, run_batch
from grader.spec import load_spec

from .conftest import FIXTURES, ROOT, SPEC_PATH

CLASS = {
    "smithjohn_101_9001_linreg.py": "pass__reference.py",
    "leeminji_102_9002_linreg.ipynb": "pass__notebook.ipynb",
    "parkjisu_103_9003_linreg.py": "fail-Loss__half_mse.py",
    "kimdohyun_104_9004_linreg.py": "fail-update__plus_instead_of_minus.py",
    "choiyuna_105_9005_linreg.py": "broken__syntax_error.py",
    "choiyuna_105_9006_linreg-1.py": "pass__sum_over_len.py",  # a resubmission: the latest one counts
    "hanseojun_late_106_9007_linreg.py": "fail-gradient_descent__missing_factor_2.py",
}


def _make_class(folder: Path, names: dict[str, str] = CLASS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, fixture in names.items():
        shutil.copy(FIXTURES / fixture, folder / name)
    (folder / "notes.txt").write_text("not a submission")
    return folder


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(newline="", encoding="utf-8") as handle:
        return {row["student_key"]: row for row in csv.DictReader(handle)}


def test_batch_grades_every_student_and_resumes(tmp_path: Path) -> None:
    source = _make_class(tmp_path / "class")
    out = tmp_path / "out"
    spec = load_spec(SPEC_PATH)
    first = run_batch(source, out, spec, SPEC_PATH, executor=LocalPool(2))
    assert first.total == 6 and first.graded == 6 and first.reused == 0
    assert first.discovery is not None
    assert [i.path.name for i in first.discovery.superseded] == ["choiyuna_105_9005_linreg.py"]
    assert any(p.name == "notes.txt" for p, _ in first.discovery.skipped)
    scores = {row.key: row.result.score for row in first.rows.values() if row.result}
    assert scores["smithjohn_101"] == 10 and scores["leeminji_102"] == 10 and scores["choiyuna_105"] == 10
    assert scores["parkjisu_103"] == 7 and scores["kimdohyun_104"] == 7 and scores["hanseojun_106"] == 6
    again = run_batch(source, out, spec, SPEC_PATH, executor=LocalPool(2))
    assert again.graded == 0 and again.reused == 6
    assert {row.key: row.result.score for row in again.rows.values() if row.result} == scores


class _GraderFails:
    """An executor whose every job fails for a reason of the grader's own (a worker dying twice)."""

    def start(self, spec_path: str) -> None:
        pass

    def close(self) -> None:
        pass

    def run(self, spec_path: str, jobs: list[Job], lang: str = "en") -> Iterator[tuple[Job, dict[str, Any]]]:
        for job in jobs:
            yield job, {"crashed": f"{job.identity.path.name}: the grading worker died twice on this submission"}


def test_the_graders_own_failures_leave_blank_rows_exit_1_and_are_retried(tmp_path: Path) -> None:
    source = _make_class(tmp_path / "class")
    out = tmp_path / "out"
    spec = load_spec(SPEC_PATH)
    failed = run_batch(source, out, spec, SPEC_PATH, executor=_GraderFails())
    assert failed.crashed == 6 and failed.graded == 0
    assert all(row.error and row.result is None for row in failed.rows.values())
    assert batch_exit_code(failed) == 1
    again = run_batch(source, out, spec, SPEC_PATH, executor=LocalPool(2))
    assert again.reused == 0 and again.graded == 6 and again.crashed == 0
    assert batch_exit_code(again) == 0  # though some students miss points


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "grader.cli", *args]


def test_batch_command_writes_every_output(tmp_path: Path) -> None:
    source = _make_class(tmp_path / "class")
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(source.iterdir()):
            bundle.write(path, path.name)
    out = tmp_path / "out"
    done = subprocess.run(_command("batch", str(archive), "--out", str(out), "--jobs", "2"),
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr  # every row and output written, though some students miss points
    assert "graded 6 submission(s)" in done.stdout
    for name in ("grades.csv", "canvas.csv", "junit.xml", "summary.html", "results.sqlite"):
        assert (out / name).is_file(), name
    grades = _grades(out)
    assert set(grades) == {"smithjohn_101", "leeminji_102", "parkjisu_103", "kimdohyun_104", "choiyuna_105",
                           "hanseojun_106"}
    assert grades["parkjisu_103"]["Loss"] == "0" and grades["parkjisu_103"]["update"] == "3"
    assert len(list((out / "feedback").iterdir())) == 6


def test_a_batch_killed_half_way_resumes_without_regrading(tmp_path: Path) -> None:
    fixtures = sorted(p for p in FIXTURES.iterdir() if p.name.startswith(("pass__", "fail-")))[:24]
    names = {f"student{i:02d}_{200 + i}_{9100 + i}_linreg{p.suffix}": p.name for i, p in enumerate(fixtures)}
    source = _make_class(tmp_path / "class", names)
    out = tmp_path / "out"
    command = _command("batch", str(source), "--out", str(out), "--jobs", "2")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                               start_new_session=True)
    database = out / "results.sqlite"
    finished_before_kill = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if database.exists():
            try:
                with sqlite3.connect(database, timeout=1) as db:
                    finished_before_kill = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.Error:
                pass
        if finished_before_kill >= 5:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the batch finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # the runner and its workers, like a power cut
    process.wait()
    assert not (out / "grades.csv").exists()
    with sqlite3.connect(database) as db:
        kept = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert 5 <= kept < len(names)
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert f"graded {len(names) - kept} submission(s), reused {kept} from an earlier run" in done.stdout, done.stdout
    assert len(_grades(out)) == len(names)
    leftovers = list(out.glob("*.tmp"))
    assert not leftovers


def test_gradescope_writes_results_even_when_grading_fails(tmp_path: Path) -> None:
    import json

    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    done = subprocess.run(_command("gradescope", "run", "--root", str(root), "--assignment", str(root / "missing")),
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0
    assert "Autograder error" in json.dumps(results)


def test_dask_cluster_gives_the_same_rows(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from grader.batch.runner import DaskExecutor

    source = _make_class(tmp_path / "class")
    spec = load_spec(SPEC_PATH)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        report = run_batch(source, tmp_path / "out", spec, SPEC_PATH, executor=DaskExecutor(cluster.scheduler_address),
                           lang="ko")
    local = run_batch(source, tmp_path / "out-local", spec, SPEC_PATH, executor=LocalPool(2))
    assert {r.key: r.result.score for r in report.rows.values() if r.result} == \
        {r.key: r.result.score for r in local.rows.values() if r.result}
    assert report.graded == 6
    # the Dask workers wrote the feedback in the batch's language
    failed = [c for r in report.rows.values() if r.result for p in r.result.parts for c in p.checks if not c.passed]
    assert failed and all(_hangul(c.feedback) for c in failed)


def _hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)


def test_batch_speaks_the_locale_without_lang_and_lang_wins(tmp_path: Path) -> None:
    """`grade batch` has the default of `grade FILE` (the locale), and its workers, separate processes, speak it."""
    source = _make_class(tmp_path / "class", {"kimdohyun_104_9004_linreg.py": "fail-update__plus_instead_of_minus.py"})
    korean = {**os.environ, "LANG": "ko_KR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}
    roster = tmp_path / "roster.csv"
    roster.write_text("Full name,Email address\nkimdohyun,kim@example.edu\n", encoding="utf-8")
    for out, extra, expect_korean in ((tmp_path / "ko", [], True), (tmp_path / "en", ["--lang", "en"], False)):
        done = subprocess.run(_command("batch", str(source), "--out", str(out), "--assignment", str(SPEC_PATH),
                                       "--jobs", "1", "--moodle-roster", str(roster), *extra), capture_output=True, text=True, timeout=300, cwd=ROOT,
                              env=korean)
        assert done.returncode == 0, done.stderr
        feedback = (out / "feedback" / "kimdohyun_104.md").read_text(encoding="utf-8")
        assert _hangul(feedback) == expect_korean, feedback
        # the counterexample is the workers' own text
        assert ("번째 호출에서" in feedback) == expect_korean and ("at call" in feedback) != expect_korean
        assert _hangul((out / "summary.html").read_text(encoding="utf-8")) == expect_korean
        assert _hangul(done.stdout) == expect_korean, done.stdout  # what the teacher reads at the end
        # the LMS comment columns carry the same text, in the same language
        with (out / "canvas-comments.csv").open(newline="", encoding="utf-8") as handle:
            (comment,) = [row["Comment"] for row in csv.DictReader(handle)]
        assert _hangul(comment) == expect_korean
        said = {line.strip().removeprefix("## ") for line in feedback.splitlines()}
        assert all(line.strip() in said for line in comment.splitlines() if line.strip()), comment
        with (out / "moodle.csv").open(newline="", encoding="utf-8") as handle:
            (moodle,) = [row["Feedback comments"] for row in csv.DictReader(handle)]
        assert _hangul(moodle) == expect_korean and moodle.startswith("<p>")


def test_a_stored_result_is_kept_per_language(tmp_path: Path) -> None:
    """Resuming in another language grades again: a stored result's feedback is in the language it was made in."""
    from grader.batch.store import content_key

    path = _make_class(tmp_path / "class", {"a.py": "pass__reference.py"}) / "a.py"
    assert content_key(path, "spec", "en") != content_key(path, "spec", "ko")
    assert content_key(path, "spec", "ko") == content_key(path, "spec", "ko")


def test_the_gradescope_autograder_keeps_the_language_it_was_built_with(tmp_path: Path) -> None:
    import json

    zip_path = tmp_path / "autograder.zip"
    built = subprocess.run(_command("gradescope", "build", "--out", str(zip_path), "--assignment", str(SPEC_PATH),
                                    "--lang", "ko"), capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.read("run_autograder").decode().rstrip().endswith("--lang ko")
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(FIXTURES / "fail-Loss__half_mse.py", root / "submission" / "linreg.py")
    done = subprocess.run(_command("gradescope", "run", "--root", str(root), "--assignment", str(SPEC_PATH),
                                   "--lang", "ko"), capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["output_format"] == "md" and results["output"].startswith("점수: 7 / 10")
    failed = [test for test in results["tests"] if test["status"] == "failed"]
    assert failed and all(_hangul(test["output"]) and "half_mse" not in test["output"] for test in failed)
