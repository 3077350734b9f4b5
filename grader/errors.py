"""Errors and exit codes, owned in one place.

A submission that cannot be loaded or run is *not* a grader error: it becomes a
result with score 0 and an `error` message (exit 1). Only problems that stop the
grader from grading at all (bad arguments, an unreadable path, a broken spec) are
GraderErrors (exit 2).
"""

from __future__ import annotations

EXIT_FULL_MARKS = 0
EXIT_POINTS_MISSING = 1
EXIT_CANNOT_GRADE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


class GraderError(Exception):
    """The grader could not grade; its message is shown to the user as is."""

    exit_code = EXIT_CANNOT_GRADE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(GraderError):
    """Bad command-line arguments or an unreadable path."""


class SpecError(GraderError):
    """An assignment spec or its checks module is invalid."""


class SandboxError(GraderError):
    """The sandbox itself (not the student's code) failed to start."""


class SubmissionError(Exception):
    """A submission that cannot be loaded: reported as a result, never as a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
