"""Gradescope's results.json, so the same grader can run as a Gradescope autograder.

Gradescope shows one test per check, whose output is the feedback file's text for that check (one
explanation, one counterexample) in Markdown (`output_format` "md"), escaped where Markdown would misread it
so that nothing a student's code prints renders as HTML or Markdown. When grading itself failed there is
still a valid file (score 0 and one failed "Autograder error" test), because Gradescope reports a missing
or broken results.json to the student as an opaque failure. Every word is in the current language.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from grader import strict_json
from grader.atomic import atomic_write_text
from grader.messages import t
from grader.report.document import Piece, check_pieces, markdown, points, top_level
from grader.report.text import truncate
from grader.report.words import Glossary
from grader.results import CheckResult, SubmissionResult

OUTPUT_LIMIT = 8000


def _number(value: float) -> float:
    return float(value) if math.isfinite(value) else 0.0


def _md(pieces: list[Piece]) -> str:
    """Pieces as Markdown at the top level of an output (a check's details are not under a list item here)."""
    if not pieces:
        return ""
    return truncate(markdown(top_level(pieces)), OUTPUT_LIMIT)


def _status(check: CheckResult) -> list[Piece]:
    """Gradescope knows passed and failed only: a timeout or an error says so in its output."""
    return [Piece("para", t(f"status.{check.status}"))] if check.status in ("timeout", "error") else []


def gradescope_results(result: SubmissionResult | None, error: str | None, execution_time: float,
                       glossary: Glossary | None = None) -> dict[str, Any]:
    """The results.json document for one submission; `result` None means grading failed with `error`.
    `execution_time` is rounded to whole seconds, as Gradescope shows it."""
    words = glossary or Glossary()
    seconds = max(0, round(execution_time)) if math.isfinite(execution_time) else 0
    base: dict[str, Any] = {"execution_time": seconds, "output_format": "md", "test_output_format": "md",
                            "stdout_visibility": "hidden"}
    if result is None:
        message = error or t("gradescope.no_message")
        return {"score": 0.0, **base, "output": _md([Piece("para", t("gradescope.could_not_grade"))]),
                "tests": [{"name": t("gradescope.autograder_error"), "score": 0.0, "max_score": 0.0,
                           "status": "failed", "output": _md([Piece("para", message, verbatim=True)]),
                           "visibility": "visible"}]}
    tests: list[dict[str, Any]] = []
    if result.error is not None:
        tests.append({"name": t("gradescope.not_run"), "score": 0.0, "max_score": 0.0, "status": "failed",
                      "output": _md([Piece("para", truncate(result.error, OUTPUT_LIMIT), verbatim=True)]),
                      "visibility": "visible"})
    for part in result.parts:
        for check in part.checks:
            tests.append({"name": f"{part.title or part.name}: {check.title or check.id}",
                          "score": _number(check.score), "max_score": _number(check.max_score),
                          "status": "passed" if check.passed else "failed",
                          "output": _md(_status(check) + check_pieces(check, part.name, words)),
                          "visibility": "visible"})
    score, top = points(result.score, result.max_score)
    summary = [Piece("para", t("feedback.score", score=score, max=top))]
    summary += [Piece("para", note) for note in result.notes]
    return {"score": _number(result.score), **base, "output": _md(summary), "tests": tests}


def write_gradescope(result: SubmissionResult | None, error: str | None, execution_time: float,
                     path: Path, glossary: Glossary | None = None) -> None:
    """Write results.json (Gradescope reads `/autograder/results/results.json`)."""
    document = gradescope_results(result, error, execution_time, glossary)
    atomic_write_text(path, strict_json.dumps(document, indent=2, ensure_ascii=False) + "\n")
