"""load -> run in isolation -> check -> score: one submission, or many without one stopping the rest."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import __version__, hypo
from grader.build import load_build
from grader.checks import KINDS
from grader.checks.context import CheckContext, Mode, PartSession, Shared, run_check
from grader.errors import SpecError, SubmissionError
from grader.load import Submission, load_submission
from grader.messages import t
from grader.reference import Reference
from grader.results import CheckResult, PartResult, Provenance, SubmissionResult
from grader.sandbox.client import BUDGET_SPENT, Runner, SubmissionProcess
from grader.spec import AssignmentSpec, CheckSpec
from grader.spec.kinds import check_examples


@dataclass
class Assignment:
    """An exercise ready to grade: its spec, its build's stored data, and (official grading only)
    the reference, loaded once, in the grader's process only."""

    spec: AssignmentSpec
    mode: Mode
    stored: dict[str, Any]
    build_digest: str
    reference: Reference | None
    drawn_with: dict[str, str] = field(default_factory=dict)  # the Hypothesis (and more) that drew the inputs
    shared: Shared = field(default_factory=Shared)


def load_assignment(spec: AssignmentSpec, mode: Mode = "official",
                    stored: dict[str, Any] | None = None) -> Assignment:
    """The exercise and its build; the self-check never loads the reference, even where there is one."""
    drawn_with: dict[str, str] = {"hypothesis": hypo.hypothesis_version()}
    if stored is None:
        build = load_build(spec, mode)
        stored, digest, drawn_with = build.checks, build.digest, build.drawn_with
    else:
        digest = spec.digest if mode == "official" else spec.public_digest
    reference = None
    if mode == "official":
        if spec.reference is None or not spec.reference.is_file():
            raise SpecError(t("cli.no_reference"))
        reference = Reference(spec.reference)
    return Assignment(spec, mode, stored, digest, reference, drawn_with)


def provenance(assignment: Assignment, sandbox: Runner) -> Provenance:
    spec = assignment.spec
    examples = {c.id: check_examples(c.config) for p in spec.parts for c in p.checks if check_examples(c.config)}
    return Provenance(grader_version=__version__, assignment=spec.id, spec_sha256=assignment.build_digest,
                      hypothesis_version=assignment.drawn_with.get("hypothesis", "?"),
                      hypothesis_seed=spec.seed if assignment.mode == "official" else spec.selfcheck_seed,
                      hypothesis_settings={"inputs": "stored by grade build", "max_examples": examples,
                                           "phases": ["shrink"], "database": None, "deadline": None},
                      numpy_version=sandbox.versions["numpy"], python_version=sandbox.versions["python"],
                      isolation=sandbox.isolation.mode)


def _zero_parts(spec: AssignmentSpec, reason: str, status: str = "error") -> tuple[PartResult, ...]:
    return tuple(
        PartResult(name=part.name, title=part.title.get(), score=0.0, max_score=part.max_score,
                   checks=tuple(CheckResult(id=c.id, title=c.title.get(), status=status, score=0.0,
                                            max_score=c.points, feedback=reason) for c in part.checks))
        for part in spec.parts)


BUDGET_GRACE_SECONDS = 5.0  # the grader's own work around the student's: starting processes, decoding, scoring


def budget_seconds(spec: AssignmentSpec, kind: str = "notebook") -> float:
    """One wall-clock budget for a whole submission, from the spec's [limits]: loading it
    (load_seconds; a notebook's cells twice that, and as much again to transform its IPython
    syntax), each check's own time, and a small constant. Restarts after a timeout spend the
    same budget, so no submission, however hostile, costs more."""
    checks = sum(check.seconds or spec.limits.check_seconds for part in spec.parts for check in part.checks)
    loading = spec.limits.load_seconds * (3 if kind == "notebook" else 1)
    return loading + checks + BUDGET_GRACE_SECONDS


def grade_submission(submission: Submission, assignment: Assignment, sandbox: Runner,
                     student: str | None = None, started: float | None = None) -> SubmissionResult:
    """Grade one loaded submission (`started`: when its budget began, if before this call).
    Whatever the student's code does, a result comes back, within budget_seconds."""
    spec = assignment.spec
    started = time.monotonic() if started is None else started
    budget = budget_seconds(spec, submission.kind)
    process = sandbox.open([u.for_sandbox() for u in submission.units], spec.limits, submission.kind,
                           spec.top_level, deadline=started + budget)
    try:
        notes = list(submission.notes) + process.notes
        if process.load_problem == BUDGET_SPENT:
            parts = _zero_parts(spec, t("budget.spent", seconds=f"{budget:g}"), status="timeout")
            error: str | None = f"{submission.name}: {t('budget.spent', seconds=f'{budget:g}')}"
        elif process.load_problem is not None:
            parts = _zero_parts(spec, process.load_problem)
            error = f"{submission.name}: {process.load_problem}"
        else:
            # a .py whose top-level code stopped: what it defined above that line is graded, and
            # the result says the file does not run as written
            error = process.stopped
            parts = tuple(_grade_part(assignment, index, process) for index in range(len(spec.parts)))
    finally:
        process.close()
    output = process.output_text()
    if assignment.mode == "self-check":
        notes.insert(0, t("report.self_check_note"))
    return SubmissionResult(
        submission=str(submission.path), student=student,
        score=round(sum(p.score for p in parts), 6), max_score=spec.max_score, parts=parts, error=error,
        notes=tuple(notes), output=output, isolation_note=sandbox.note,
        provenance=provenance(assignment, sandbox), duration_s=round(time.monotonic() - started, 4),
        mode=assignment.mode)


def _grade_part(assignment: Assignment, part_index: int, process: SubmissionProcess) -> PartResult:
    spec = assignment.spec
    part = spec.parts[part_index]
    results = []
    sessions = PartSession(process, final=part_index == len(spec.parts) - 1)
    try:
        for check in part.checks:
            ctx = CheckContext(spec=spec, part=part, check=check, mode=assignment.mode,
                               stored=assignment.stored[check.id], reference=assignment.reference,
                               shared=assignment.shared, process=process, sessions=sessions)
            seconds = check.seconds or spec.limits.check_seconds
            if process.budget_spent:
                results.append(_budget_spent(check, spec, process.kind))
                continue
            result = run_check(KINDS[check.kind].run, ctx, seconds)
            if result.status == "timeout" and process.budget_spent:
                result = dataclasses.replace(_budget_spent(check, spec, process.kind), duration_s=result.duration_s)
            results.append(result)
    finally:
        sessions.end()
    if process.stopped is not None:
        results = [_never_defined(result, check.function, process) for result, check in zip(results, part.checks,
                                                                                             strict=True)]
    return PartResult(name=part.name, title=part.title.get(), score=round(sum(r.score for r in results), 6),
                      max_score=part.max_score, checks=tuple(results))


def _budget_spent(check: CheckSpec, spec: AssignmentSpec, kind: str) -> CheckResult:
    """A check the submission's time budget did not leave room for: failed, and saying why."""
    return CheckResult(id=check.id, title=check.title.get(), status="timeout", score=0.0, max_score=check.points,
                       feedback=t("budget.spent", seconds=f"{budget_seconds(spec, kind):g}"))


def _never_defined(result: CheckResult, function: str, process: SubmissionProcess) -> CheckResult:
    """A check of a function the file never defined because its top-level code stopped first says
    so, rather than asking whether it was renamed."""
    if result.passed or function in process.defined:
        return result
    return dataclasses.replace(result, feedback=t("load.never_defined", function=function,
                                                          where=str(process.stopped).split(": ", 1)[0]))


def grade_path(path: Path, assignment: Assignment, sandbox: Runner, student: str | None = None) -> SubmissionResult:
    """Load and grade one file; a file that cannot be loaded is a result with its error, not an exception."""
    started = time.monotonic()  # the budget covers the transformation of a notebook's cells too
    try:
        submission = load_submission(path, transform_seconds=assignment.spec.limits.load_seconds)
    except SubmissionError as problem:
        failed = failed_result(path, assignment.spec, problem.message, student, sandbox)
        notes = (t("report.self_check_note"),) if assignment.mode == "self-check" else ()
        return dataclasses.replace(failed, provenance=provenance(assignment, sandbox), mode=assignment.mode,
                                   notes=notes)
    return grade_submission(submission, assignment, sandbox, student, started)


def failed_result(path: Path, spec: AssignmentSpec, message: str, student: str | None,
                  sandbox: Runner | None) -> SubmissionResult:
    return SubmissionResult(submission=str(path), student=student, score=0.0, max_score=spec.max_score,
                            parts=_zero_parts(spec, "not graded: " + message), error=message,
                            isolation_note=sandbox.note if sandbox else None)
