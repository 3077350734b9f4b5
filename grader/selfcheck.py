"""The self-check: a student checks their own work, on their own machine, without the reference.

It runs every check of the official grade (same parts, same points), against what the exercise's
self-check build stores: the reference's answers on inputs of the self-check's own (its own seed,
never the official grade's), each mistake's answers on them, and the lesson's published numbers.
Nothing in it is code of the reference's. The official grade may run more checks: the report says so.
"""

from __future__ import annotations

from pathlib import Path

from grader.pipeline import Assignment, grade_path, load_assignment
from grader.results import SubmissionResult
from grader.sandbox.client import Runner
from grader.spec import AssignmentSpec

MODE = "self-check"


def load_selfcheck_assignment(spec: AssignmentSpec) -> Assignment:
    """The self-check's assignment: its build, and never the reference, even where there is one."""
    return load_assignment(spec, "self-check")


def grade_selfcheck(path: Path, assignment: Assignment, sandbox: Runner) -> SubmissionResult:
    """Self-check one file: the same result type, JSON contract and exit codes as the official grade."""
    return grade_path(path, assignment, sandbox)
