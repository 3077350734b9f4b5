"""The self-check: without the reference, it agrees with the official grade on every honest fixture,
names the same mistakes, and works in a copy of the project that has no solutions/ folder."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.build import build_file, load_build
from grader.messages import use
from grader.pipeline import Assignment, grade_path
from grader.results import SubmissionResult
from grader.sandbox.client import Sandbox
from grader.selfcheck import grade_selfcheck, load_selfcheck_assignment
from grader.spec import load_spec

from .conftest import FIXTURES, ROOT, SPEC_PATH
from .test_misconceptions import CATALOGUE, NAMED

HONEST = sorted(p for p in FIXTURES.iterdir() if p.name.startswith(("pass__", "fail-", "timeout-")))


@pytest.fixture(scope="module")
def selfcheck() -> Assignment:
    return load_selfcheck_assignment(load_spec(SPEC_PATH))


@pytest.fixture(scope="module")
def graded(assignment: Assignment, selfcheck: Assignment,
           sandbox: Sandbox) -> dict[str, tuple[SubmissionResult, SubmissionResult]]:
    return {p.name: (grade_path(p, assignment, sandbox), grade_selfcheck(p, selfcheck, sandbox)) for p in HONEST}


def _full(result: SubmissionResult) -> dict[str, bool]:
    return {p.name: p.score >= p.max_score for p in result.parts}


def test_selfcheck_never_loads_the_reference(selfcheck: Assignment) -> None:
    assert selfcheck.reference is None
    official = load_spec(SPEC_PATH)
    assert [(p.name, p.max_score) for p in selfcheck.spec.parts] == [(p.name, p.max_score) for p in official.parts]


def test_the_stored_data_is_up_to_date() -> None:
    spec = load_spec(SPEC_PATH)
    load_build(spec, "self-check")  # raises when the spec or the reference changed since the build


def test_the_stored_data_holds_no_code() -> None:
    """Numbers and words only: no line of the reference, no mistake's expression."""
    text = build_file(load_spec(SPEC_PATH), "self-check").read_text(encoding="utf-8")
    for fragment in ("def ", "np.mean", "np.sum", "lambda", "import", "gradient0 ="):
        assert fragment not in text


@pytest.mark.parametrize("name", [p.name for p in HONEST])
def test_selfcheck_agrees_with_the_official_grade(name: str, graded: dict[str, tuple[SubmissionResult,
                                                                                      SubmissionResult]]) -> None:
    official, mine = graded[name]
    assert _full(mine) == _full(official), "\n".join(f"{p.name}: {p.feedback}" for p in mine.parts)
    assert mine.mode == "self-check" and official.mode == "official"
    assert mine.max_score == official.max_score


@pytest.mark.parametrize("name", sorted(NAMED))
def test_selfcheck_names_the_same_mistakes(name: str, graded: dict[str, tuple[SubmissionResult,
                                                                               SubmissionResult]]) -> None:
    _, mine = graded[name]
    part = name.split("__", 1)[0].split("-", 1)[1]
    found = {c.misconception for p in mine.parts if p.name == part for c in p.checks if not c.passed}
    ident = NAMED[name]
    if ident is None:
        assert found == {None}
    else:
        assert ident in found
        entry = CATALOGUE.find(part, ident)
        assert entry is not None
        feedback = "\n".join(c.feedback for p in mine.parts for c in p.checks)
        assert entry.name.get("en") in feedback


def test_selfcheck_in_korean(selfcheck: Assignment, sandbox: Sandbox) -> None:
    with use("ko"):
        result = grade_selfcheck(FIXTURES / "fail-gradient_descent__missing_factor_2.py", selfcheck, sandbox)
    entry = CATALOGUE.find("gradient_descent", "missing_factor_2")
    assert entry is not None
    feedback = "\n".join(c.feedback for p in result.parts for c in p.checks)
    assert entry.name.get("ko") in feedback and CATALOGUE.hint("gradient_descent", "missing_factor_2", "ko") in feedback
    assert "공식 채점" in result.notes[0]


def test_a_failed_trajectory_has_the_checkpoint_table(graded: dict[str, tuple[SubmissionResult,
                                                                                SubmissionResult]]) -> None:
    from grader.report.terminal import render as render_terminal

    _, mine = graded["fail-gradient_descent__prediction_without_w0.py"]
    check = next(c for p in mine.parts for c in p.checks if c.id == "gradient-trajectory")
    assert check.details["first_diverging"] == 100
    assert len(check.details["checkpoints"]) == 10
    text = render_terminal(mine)
    assert "first difference" in text and "document's w0, w1" in text


def test_the_selfcheck_report_says_the_official_grade_may_run_more(graded: dict[str, tuple[
        SubmissionResult, SubmissionResult]]) -> None:
    from grader.report.terminal import render as render_terminal

    _, mine = graded["pass__reference.py"]
    assert "The official grade may run more checks." in render_terminal(mine)


def _run(args: list[str], cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    """`grade ARGS` on the linreg exercise of the copy (which has two exercises and no pyproject.toml)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath), "LANG": "C.UTF-8"}
    env.pop("LC_ALL", None)
    return subprocess.run([sys.executable, "-m", "grader.cli", *args, "--assignment", "assignments/linreg"],
                          capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, env=env, timeout=300, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def copy_without_solutions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "grader", copy / "grader", ignore=ignore)
    shutil.copytree(ROOT / "assignments", copy / "assignments", ignore=ignore)
    shutil.copytree(FIXTURES, copy / "submissions")
    assert not (copy / "solutions").exists()
    return copy


@pytest.mark.parametrize("name, code", [("pass__reference.py", 0), ("pass__notebook.ipynb", 0),
                                        ("fail-Loss__half_mse.py", 1), ("fail-update__no_lr.py", 1),
                                        ("broken__syntax_error.py", 1)])
def test_selfcheck_works_without_solutions(name: str, code: int, copy_without_solutions: Path,
                                           graded: dict[str, tuple[SubmissionResult, SubmissionResult]]) -> None:
    run = _run(["--self-check", "--json", f"submissions/{name}"], copy_without_solutions, copy_without_solutions)
    assert run.returncode == code, run.stderr
    data = json.loads(run.stdout)
    assert {"score", "max_score", "parts", "error"} <= set(data)
    assert data["mode"] == "self-check"
    for part in data["parts"]:
        assert {"name", "score", "max_score", "feedback"} <= set(part)
    if name in graded:
        _, here = graded[name]
        assert {p["name"]: p["score"] for p in data["parts"]} == {p.name: p.score for p in here.parts}


def test_the_official_grade_needs_the_reference(copy_without_solutions: Path) -> None:
    run = _run(["submissions/pass__reference.py"], copy_without_solutions, copy_without_solutions)
    assert run.returncode == 2
    assert "--self-check" in run.stderr


def test_selfcheck_terminal_report_exit_codes_match_grade(copy_without_solutions: Path) -> None:
    run = _run(["--self-check", "--lang", "ko", "submissions/fail-update__plus_instead_of_minus.py"],
               copy_without_solutions, copy_without_solutions)
    assert run.returncode == 1
    assert "자가 점검" in run.stdout and "− 대신 +" in run.stdout


def test_the_selfcheck_runs_the_official_checks(selfcheck: Assignment, assignment: Assignment) -> None:
    """The same checks, parts and points, on inputs of its own: nothing for the author to write twice."""
    ids = [[c.id for c in p.checks] for p in selfcheck.spec.parts]
    assert ids == [[c.id for c in p.checks] for p in assignment.spec.parts]
    official, own = assignment.stored["loss-property"], selfcheck.stored["loss-property"]
    assert len(official["examples"]) == len(own["examples"])
    shared = [x for x in official["examples"] for y in own["examples"]
              if all(np.array_equal(a, b) for a, b in zip(x, y, strict=True))]
    # never the official inputs (but the all-zero ones Hypothesis tries first for every seed)
    assert all(not np.any(np.asarray(value)) for example in shared for value in example)


# ------------------------------------------------------------------------ check() in a notebook


def _namespace_of(path: Path) -> dict[str, object]:
    module_spec = importlib.util.spec_from_file_location("student_notebook", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return dict(vars(module))


def test_notebook_check_on_the_functions_defined_so_far() -> None:
    from grader.notebook import check, source_of

    namespace = _namespace_of(FIXTURES / "fail-gradient_descent__swapped_entries.py")
    source = source_of(namespace)
    assert "import numpy as np" in source and "def gradient_descent(" in source
    assert "__main__" not in source  # only definitions: main() is not run on import
    report = check(namespace, lang="en")
    assert (report.score, report.max_score) == (6.0, 10.0)
    page = report._repr_html_()
    assert "<table" in page and "first difference" in page and "swapped" in page
    assert "notebook: 6 / 10" in repr(report)


def test_notebook_check_in_korean_and_with_nothing_defined() -> None:
    from grader.notebook import check

    namespace = _namespace_of(FIXTURES / "pass__reference.py")
    report = check(namespace, lang="ko")
    assert report.score == report.max_score == 10.0
    assert "자가 점검" in report._repr_html_()
    empty = check({"__name__": "__main__"}, lang="en")
    assert empty.result is None and "No code to check yet" in empty._repr_html_()


def test_a_loss_right_only_on_small_inputs_fails_the_selfcheck(selfcheck: Assignment, sandbox: Sandbox,
                                                                  tmp_path: Path) -> None:
    """The self-check's own drawn inputs go as far as the official ones (up to 12 samples)."""
    source = (FIXTURES / "pass__reference.py").read_text(encoding="utf-8")
    tricky = source.replace("def Loss(f_x, y):", "def Loss(f_x, y):\n    if np.size(y) > 8:\n        return 1.0\n", 1)
    assert tricky != source
    path = tmp_path / "small_inputs_only.py"
    path.write_text(tricky, encoding="utf-8")
    result = grade_selfcheck(path, selfcheck, sandbox)
    loss = next(p for p in result.parts if p.name == "Loss")
    assert loss.score < loss.max_score
    check = next(c for c in loss.checks if c.id == "loss-property")
    assert not check.passed and "returned 1.0" in check.feedback


def test_notebook_check_inside_an_ipython_shell() -> None:
    """The real path: cells run in an IPython shell, then `check()` with no arguments."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        cells = (FIXTURES / "fail-Loss__sum_instead_of_mean.py").read_text(encoding="utf-8").split("if __name__")[0]
        assert shell.run_cell(cells).success
        ran = shell.run_cell("from grader.notebook import check\nreport = check(lang='ko')")
        assert ran.success, ran.error_in_exec
        report = shell.user_ns["report"]
        assert (report.score, report.max_score) == (7.0, 10.0)
        entry = CATALOGUE.find("Loss", "sum_instead_of_mean")
        assert entry is not None and entry.name.get("ko") in report._repr_html_()
    finally:
        InteractiveShell.clear_instance()
