"""load -> run in isolation -> check -> score: one submission, or many without one stopping the rest."""

from __future__ import annotations

import dataclasses
import importlib.util
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from grader import __version__, hypo
from grader.checks import CheckContext, PartSession, Shared, check_function, load_checks_module, run_check
from grader.errors import SpecError, SubmissionError
from grader.load import Submission, load_submission
from grader.messages import title
from grader.results import CheckResult, PartResult, Provenance, SubmissionResult
from grader.sandbox.client import Sandbox
from grader.spec import AssignmentSpec


@dataclass
class Assignment:
    """A spec with its checks module and reference loaded once, in the grader's process only."""

    spec: AssignmentSpec
    checks: ModuleType
    reference: ModuleType | None
    shared: Shared = field(default_factory=Shared)


def load_assignment(spec: AssignmentSpec, *, with_reference: bool = True) -> Assignment:
    checks = load_checks_module(spec.checks_module)
    for part in spec.parts:
        for check in part.checks:
            check_function(checks, check)  # fail early on a spec naming an unknown check kind
    reference = _load_reference(spec.reference) if with_reference and spec.reference else None
    return Assignment(spec, checks, reference)


def _load_reference(path: Path) -> ModuleType:
    module_spec = importlib.util.spec_from_file_location("_reference_solution", path)
    if module_spec is None or module_spec.loader is None or not path.is_file():
        raise SpecError(f"{path}: the reference solution is missing")
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def provenance(assignment: Assignment, sandbox: Sandbox) -> Provenance:
    examples = {c.id: int(c.options.get("max_examples", 0)) for p in assignment.spec.parts for c in p.checks
                if "max_examples" in c.options}
    return Provenance(grader_version=__version__, assignment=assignment.spec.id,
                      spec_sha256=assignment.spec.digest, hypothesis_version=hypo.hypothesis_version(),
                      hypothesis_seed=assignment.spec.seed,
                      hypothesis_settings={"derandomized_by_seed": True, "max_examples": examples,
                                           "phases": ["generate", "shrink"], "database": None,
                                           "deadline": None},
                      numpy_version=sandbox.versions["numpy"], python_version=sandbox.versions["python"],
                      isolation=sandbox.isolation.mode)


def _zero_parts(spec: AssignmentSpec, reason: str, status: str = "error") -> tuple[PartResult, ...]:
    return tuple(
        PartResult(name=part.name, title=title(f"part.{part.name}", part.title), score=0.0, max_score=part.max_score,
                   checks=tuple(CheckResult(id=c.id, title=title(f"title.{c.id}", c.title), status=status, score=0.0,
                                            max_score=c.points, feedback=reason) for c in part.checks))
        for part in spec.parts)


def grade_submission(submission: Submission, assignment: Assignment, sandbox: Sandbox,
                     student: str | None = None) -> SubmissionResult:
    """Grade one loaded submission. Whatever the student's code does, a result comes back."""
    spec = assignment.spec
    started = time.monotonic()
    process = sandbox.open([u.for_sandbox() for u in submission.units], spec.limits)
    try:
        notes = list(submission.notes) + process.notes
        if process.load_problem is not None:
            parts = _zero_parts(spec, process.load_problem)
            error: str | None = f"{submission.name}: {process.load_problem}"
        else:
            error = None
            graded: list[PartResult] = []
            for part_index in range(len(spec.parts)):
                passed = frozenset(p.name for p in graded if p.score == p.max_score)
                graded.append(_grade_part(assignment, part_index, process, passed))
            parts = tuple(graded)
    finally:
        process.close()
    output = process.output_text()
    return SubmissionResult(
        submission=str(submission.path), student=student,
        score=round(sum(p.score for p in parts), 6), max_score=spec.max_score, parts=parts, error=error,
        notes=tuple(notes), output=output, isolation_note=sandbox.isolation.note,
        provenance=provenance(assignment, sandbox), duration_s=round(time.monotonic() - started, 4))


def _grade_part(assignment: Assignment, part_index: int, process: object, passed: frozenset[str]) -> PartResult:
    from grader.sandbox.client import SubmissionProcess

    assert isinstance(process, SubmissionProcess)
    spec = assignment.spec
    part = spec.parts[part_index]
    results = []
    sessions = PartSession(process, final=part_index == len(spec.parts) - 1)
    try:
        for check in part.checks:
            ctx = CheckContext(spec=spec, part=part, check=check, reference=assignment.reference,
                               shared=assignment.shared, process=process, sessions=sessions, passed_parts=passed)
            function = check_function(assignment.checks, check)
            seconds = float(check.options.get("seconds", spec.limits.check_seconds))
            results.append(run_check(function, ctx, seconds))
    finally:
        sessions.end()
    return PartResult(name=part.name, title=title(f"part.{part.name}", part.title),
                      score=round(sum(r.score for r in results), 6), max_score=part.max_score, checks=tuple(results))


def grade_path(path: Path, assignment: Assignment, sandbox: Sandbox, student: str | None = None) -> SubmissionResult:
    """Load and grade one file; a file that cannot be loaded is a result with its error, not an exception."""
    try:
        submission = load_submission(path)
    except SubmissionError as problem:
        failed = failed_result(path, assignment.spec, problem.message, student, sandbox)
        return dataclasses.replace(failed, provenance=provenance(assignment, sandbox))
    return grade_submission(submission, assignment, sandbox, student)


def failed_result(path: Path, spec: AssignmentSpec, message: str, student: str | None,
                  sandbox: Sandbox | None) -> SubmissionResult:
    return SubmissionResult(submission=str(path), student=student, score=0.0, max_score=spec.max_score,
                            parts=_zero_parts(spec, "not graded: " + message), error=message,
                            isolation_note=sandbox.isolation.note if sandbox else None)
