"""The gradient trajectory runs on the student's side; how it ends is still reported exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.pipeline import Assignment, grade_path
from grader.results import CheckResult
from grader.sandbox.client import Sandbox

REFERENCE = (Path(__file__).resolve().parent.parent / "solutions" / "linreg.py").read_text(encoding="utf-8")
CORRECT_GD = ("def gradient_descent(w0, w1, X, y):\n    \n"  # the reference's text, blank lines with spaces
              "    gradient0 = 2 * np.mean((y - (w0 + w1 * X)) * -1)\n"
              "    gradient1 = 2 * np.mean((y - (w0 + w1 * X)) * -1 * X)\n    \n"
              "    return np.array([gradient0, gradient1])\n")


def _with_gradient(body: str) -> str:
    assert CORRECT_GD in REFERENCE
    return REFERENCE.replace(CORRECT_GD, body)


def _trajectory(tmp_path: Path, source: str, assignment: Assignment, sandbox: Sandbox) -> CheckResult:
    path = tmp_path / "submission.py"
    path.write_text(source, encoding="utf-8")
    result = grade_path(path, assignment, sandbox)
    assert result.error is None, result.error
    return next(c for p in result.parts for c in p.checks if c.id == "gradient-trajectory")


def test_a_gradient_that_raises_on_its_sixth_call_is_shown_at_that_call(
        tmp_path: Path, assignment: Assignment, sandbox: Sandbox) -> None:
    source = _with_gradient(CORRECT_GD.replace(
        "def gradient_descent(w0, w1, X, y):\n",
        "_calls = [0]\n\ndef gradient_descent(w0, w1, X, y):\n"
        "    _calls[0] += 1\n    if _calls[0] == 6:\n        raise ValueError('sixth call')\n"))
    check = _trajectory(tmp_path, source, assignment, sandbox)
    assert check.status == "failed"
    assert check.counterexample is not None and check.counterexample.startswith("gradient_descent(w0=")
    assert "iteration 5" in check.feedback and "sixth call" in check.feedback
    assert check.examples == 6  # five answers, and the call that raised


def test_nan_in_an_odd_container_is_a_wrong_answer_not_a_grader_error(
        tmp_path: Path, assignment: Assignment, sandbox: Sandbox) -> None:
    # two one-element arrays: the grader reads them as two numbers, the student's side does not
    source = _with_gradient(CORRECT_GD.replace(
        "    return np.array([gradient0, gradient1])\n",
        "    return [np.array([np.nan]), np.array([gradient1])]\n"))
    check = _trajectory(tmp_path, source, assignment, sandbox)
    assert check.status == "failed", check.feedback
    assert check.counterexample is not None and "iteration 0" in check.feedback


@pytest.mark.parametrize("returned", ["[np.array([gradient0]), np.array([gradient1])]",
                                      "(float(gradient0), float(gradient1))"])
def test_any_two_numbers_walk_the_whole_trajectory(returned: str, tmp_path: Path, assignment: Assignment,
                                                   sandbox: Sandbox) -> None:
    source = _with_gradient(CORRECT_GD.replace("np.array([gradient0, gradient1])", returned))
    check = _trajectory(tmp_path, source, assignment, sandbox)
    assert check.status == "passed", check.feedback
    assert check.examples == 1000


def test_the_updates_feedback_trajectory_is_the_same_on_the_students_gradient_and_the_references(
        assignment: Assignment, sandbox: Sandbox) -> None:
    """With a right gradient_descent, its own run (one run) and the reference's answers asked
    call by call (1000 round trips) must show the student the same trajectory."""
    from grader.checks import CheckContext, PartSession, check_function, run_check
    from grader.load import load_submission

    fixture = Path(__file__).resolve().parent / "fixtures" / "submissions" / "fail-update__no_lr.py"
    spec = assignment.spec
    part = next(p for p in spec.parts if p.name == "update")
    check = next(c for c in part.checks if c.id == "update-trajectory")
    units = [u.for_sandbox() for u in load_submission(fixture).units]
    tables = []
    for passed in (frozenset({"Loss", "gradient_descent"}), frozenset()):
        process = sandbox.open(units, spec.limits)
        sessions = PartSession(process)
        try:
            ctx = CheckContext(spec=spec, part=part, check=check, reference=assignment.reference,
                               shared=assignment.shared, process=process, sessions=sessions, passed_parts=passed)
            result = run_check(check_function(assignment.checks, check), ctx, 10.0)
        finally:
            sessions.end()
            process.close()
        assert result.status == "failed"
        tables.append(result.details["checkpoints"])
    spied, asked = ([row["student"] for row in table] for table in tables)
    assert None not in spied and None not in asked
    np.testing.assert_array_equal(np.array(spied), np.array(asked))  # NaN where both diverged
