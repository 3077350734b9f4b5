"""One row per student: who (an Identity) joined with what grading found (a result, or why there is none).

Every output writer reads Rows, so that identity and result travel together and a submission the grader could
not grade at all is still a row (with `error`) rather than a missing line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from grader.batch.identity import Identity
from grader.results import SubmissionResult


@dataclass(frozen=True)
class Row:
    """A student's outcome. Exactly one of `result` and `error` is set.

    `error` means the grader itself failed for this submission (no grade is known; outputs leave the grade
    blank instead of writing a zero). A submission whose code failed to load has a `result` whose own `error`
    is set and whose score is the one grading gave (normally 0).
    """

    identity: Identity | None
    result: SubmissionResult | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if (self.result is None) == (self.error is None):
            raise ValueError("a Row has either a result or an error, not both and not neither")

    @property
    def key(self) -> str:
        """The student's key: from the identity, else from the result."""
        if self.identity is not None:
            return self.identity.student_key
        if self.result is not None:
            return self.result.student or PurePath(self.result.submission).stem or "unknown"
        return "unknown"

    @property
    def display_name(self) -> str | None:
        return self.identity.display_name if self.identity else None

    @property
    def graded(self) -> bool:
        """Whether there is a score to report (possibly 0 because the submission itself failed)."""
        return self.result is not None

    @property
    def problem(self) -> str | None:
        """Why this submission has no normal grade: the grader's error or the submission's own error."""
        if self.error is not None:
            return self.error
        return self.result.error if self.result is not None else None


def part_names(rows: Iterable[Row]) -> list[str]:
    """Part names in first-seen order across all rows, so output columns do not depend on which rows failed."""
    names: dict[str, None] = {}
    for row in rows:
        if row.result is not None:
            for part in row.result.parts:
                names.setdefault(part.name, None)
    return list(names)


def max_score(rows: Iterable[Row]) -> float | None:
    """The assignment's maximum score, taken from the graded rows (the largest, should they disagree)."""
    scores = [row.result.max_score for row in rows if row.result is not None]
    return max(scores) if scores else None


def format_score(value: float | None) -> str:
    """A score for a CSV cell: no float noise (`2.5`, `3`, `0.3333`), empty when unknown or not finite."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return ""
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
