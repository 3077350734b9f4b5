"""The gradient trajectory runs on the student's side; how it ends is still reported exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.authoring.assign import parse_source, reference_code
from grader.pipeline import Assignment, grade_path
from grader.results import CheckResult
from grader.sandbox.client import Sandbox

REFERENCE = reference_code(parse_source(Path(__file__).resolve().parent.parent / "solutions" / "linreg.py"))
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
    assert "step 5" in check.feedback and "sixth call" in check.feedback
    assert check.examples == 6  # five answers, and the call that raised


def test_nan_in_an_odd_container_is_a_wrong_answer_not_a_grader_error(
        tmp_path: Path, assignment: Assignment, sandbox: Sandbox) -> None:
    # two one-element arrays: the grader reads them as two numbers, the student's side does not
    source = _with_gradient(CORRECT_GD.replace(
        "    return np.array([gradient0, gradient1])\n",
        "    return [np.array([np.nan]), np.array([gradient1])]\n"))
    check = _trajectory(tmp_path, source, assignment, sandbox)
    assert check.status == "failed", check.feedback
    assert check.counterexample is not None and "step 0" in check.feedback


@pytest.mark.parametrize("returned", ["[np.array([gradient0]), np.array([gradient1])]",
                                      "(float(gradient0), float(gradient1))"])
def test_any_two_numbers_walk_the_whole_trajectory(returned: str, tmp_path: Path, assignment: Assignment,
                                                   sandbox: Sandbox) -> None:
    source = _with_gradient(CORRECT_GD.replace("np.array([gradient0, gradient1])", returned))
    check = _trajectory(tmp_path, source, assignment, sandbox)
    assert check.status == "passed", check.feedback
    assert check.examples == 1000


def _update(tmp_path: Path, source: str, assignment: Assignment, sandbox: Sandbox) -> dict[str, CheckResult]:
    path = tmp_path / "submission.py"
    path.write_text(source, encoding="utf-8")
    result = grade_path(path, assignment, sandbox)
    assert result.error is None, result.error
    return {c.id: c for p in result.parts if p.name == "update" for c in p.checks}


GD_CALL = "        gd = gradient_descent(w0, w1, X, y)\n"


def test_the_update_may_call_gradient_descent_by_keywords(tmp_path: Path, assignment: Assignment,
                                                           sandbox: Sandbox) -> None:
    """Every stand-in call is bound as Python binds it: keywords in any order are the same call."""
    source = REFERENCE.replace(GD_CALL, "        gd = gradient_descent(y=y, X=X, w1=w1, w0=w0)\n")
    assert source != REFERENCE
    checks = _update(tmp_path, source, assignment, sandbox)
    assert all(c.passed for c in checks.values()), [c.feedback for c in checks.values()]


@pytest.mark.parametrize("call, param", [("gradient_descent(w0, w1, X, X)", "y"),
                                         ("gradient_descent(w0, w1, y, X)", "X"),
                                         ("gradient_descent(w0=w0, w1=w1, X=X, y=X)", "y")])
def test_the_update_sees_the_data_main_passes(call: str, param: str, tmp_path: Path, assignment: Assignment,
                                              sandbox: Sandbox) -> None:
    """A call with the wrong data fails, with a message that names the argument."""
    source = REFERENCE.replace(GD_CALL, f"        gd = {call}\n")
    checks = _update(tmp_path, source, assignment, sandbox)
    failed = [c for c in checks.values() if not c.passed]
    assert failed, "the wrong data must not pass"
    assert any(f"at call 1 of gradient_descent, {param} = " in c.feedback for c in failed), \
        [c.feedback for c in failed]
