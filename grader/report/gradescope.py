"""Gradescope's results.json, so the same grader can run as a Gradescope autograder.

Gradescope shows one test per check. Output formats are set to plain text so that nothing a student's code
prints is rendered as HTML or Markdown. When grading itself failed there is still a valid file (score 0 and
one failed "Autograder error" test), because Gradescope reports a missing or broken results.json to the
student as an opaque failure.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from grader import strict_json
from grader.atomic import atomic_write_text
from grader.batch.rows import format_score
from grader.report.text import truncate
from grader.results import CheckResult, SubmissionResult

OUTPUT_LIMIT = 8000


def _number(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


def _check_output(check: CheckResult) -> str:
    lines = [check.feedback.strip()] if check.feedback.strip() else []
    if check.counterexample:
        lines.append(f"Counterexample:\n{check.counterexample}")
    if check.misconception:
        lines.append(f"Possible misconception: {check.misconception}")
    if not check.passed and check.status != "failed":
        lines.append(f"Status: {check.status}")
    return truncate("\n\n".join(lines), OUTPUT_LIMIT)


def gradescope_results(result: SubmissionResult | None, error: str | None, execution_time: float) -> dict[str, Any]:
    """The results.json document for one submission; `result` None means grading failed with `error`."""
    seconds = max(0, round(execution_time)) if math.isfinite(execution_time) else 0
    base: dict[str, Any] = {"execution_time": seconds, "output_format": "text", "test_output_format": "text",
                            "stdout_visibility": "hidden"}
    if result is None:
        message = error or "The autograder failed without a message."
        return {"score": 0.0, **base, "output": "The autograder could not grade this submission.",
                "tests": [{"name": "Autograder error", "score": 0.0, "max_score": 0.0, "status": "failed",
                           "output": truncate(message, OUTPUT_LIMIT), "visibility": "visible"}]}
    tests: list[dict[str, Any]] = []
    if result.error is not None:
        tests.append({"name": "Submission could not be run", "score": 0.0, "max_score": 0.0, "status": "failed",
                      "output": truncate(result.error, OUTPUT_LIMIT), "visibility": "visible"})
    for part in result.parts:
        for check in part.checks:
            tests.append({"name": f"{part.title or part.name}: {check.title or check.id}",
                          "score": _number(check.score), "max_score": _number(check.max_score),
                          "status": "passed" if check.passed else "failed",
                          "output": _check_output(check), "visibility": "visible"})
    summary = [f"Score: {format_score(result.score)} / {format_score(result.max_score)}"]
    summary += list(result.notes)
    return {"score": _number(result.score), **base, "output": truncate("\n".join(summary), OUTPUT_LIMIT),
            "tests": tests}


def write_gradescope(result: SubmissionResult | None, error: str | None, execution_time: float,
                     path: Path) -> None:
    """Write results.json (Gradescope reads `/autograder/results/results.json`)."""
    document = gradescope_results(result, error, execution_time)
    atomic_write_text(path, strict_json.dumps(document, indent=2, ensure_ascii=False) + "\n")
