"""Running one check: what a check kind is given, and what it gives back.

A check kind (grader/checks/<kind>.py) is a pair of functions: `prepare` computes, at build
time and in the grader's process only, what the check compares against (drawn inputs, the
reference's answers, the mistakes' answers); `run` grades one submission with it. The engine gives
each part one fork of the loaded submission (its checks share it) and each check a time limit,
and turns anything that goes wrong (a timeout, an exit, a malformed reply) into a failed check:
never a pass.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from grader.errors import GraderError
from grader.messages import t
from grader.reference import Reference
from grader.results import CheckResult
from grader.sandbox.client import Session, SessionLost, SubmissionProcess
from grader.spec import AssignmentSpec, CheckSpec, PartSpec
from grader.spec.reader import Source, Where

Mode = Literal["official", "self-check"]


@dataclass(frozen=True)
class Verdict:
    """What a check concluded; the engine turns it into a scored CheckResult."""

    passed: bool
    feedback: str = ""
    counterexample: str | None = None
    misconception: str | None = None
    example: str = ""
    examples: int = 0
    details: dict[str, Any] = field(default_factory=dict)


class Shared:
    """Per-process memo of work that does not depend on the submission (encoded inputs, where each
    mistake shows): computed once per batch, not once per submission."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._values:
            self._values[key] = compute()
        return self._values[key]


class PartSession:
    """One fork of the loaded submission, shared by the checks of one part: they share that
    process's state (as the calls within one check always did), parts never do. A check that
    loses the session (timeout, exit, malformed reply) takes it with it, and the next check of
    the part starts a fresh fork."""

    def __init__(self, process: SubmissionProcess, final: bool = False) -> None:
        self.process = process
        self.final = final
        self._session: Session | None = None

    def get(self, deadline: float) -> Session:
        if self._session is not None:
            if self._session.open:
                self._session.deadline = deadline
                return self._session
            self._session.end()  # one left mid-exchange takes its process with it
        self._session = self.process.session(max(0.05, deadline - time.monotonic()), self.final)
        return self._session

    def end(self) -> None:
        if self._session is not None:
            self._session.end()
            self._session = None


@dataclass
class PrepareContext:
    """What `prepare` gets: the check, the reference, and the seed of the build it is for."""

    spec: AssignmentSpec
    part: PartSpec
    check: CheckSpec
    reference: Reference
    mode: Mode

    @property
    def seed(self) -> int:
        return self.spec.seed if self.mode == "official" else self.spec.selfcheck_seed

    def where(self, *keys: str | int) -> Where:
        """The check's place in the spec, for an error in its settings."""
        part_index = self.spec.parts.index(self.part)
        check_index = self.part.checks.index(self.check)
        base = Where(Source(self.spec.path, _text(self.spec))).key("parts").key(part_index, self.part.name)
        where = base.key("checks").key(check_index, self.check.id)
        for key in keys:
            where = where.key(key)
        return where

    def mistake_where(self, mistake_index: int) -> str:
        part_index = self.spec.parts.index(self.part)
        mistake = self.part.mistakes[mistake_index]
        return (f"{self.spec.path}: parts[{part_index + 1}] ({self.part.name}) mistakes[{mistake_index + 1}] "
                f"({mistake.id})")


def _text(spec: AssignmentSpec) -> str:
    try:
        return spec.path.read_text(encoding="utf-8")
    except OSError:
        return ""


@dataclass
class CheckContext:
    """What `run` gets: the check and its stored data, the submission's process, and (in official
    grading only) the reference, which stays in the grader's process."""

    spec: AssignmentSpec
    part: PartSpec
    check: CheckSpec
    mode: Mode
    stored: Mapping[str, Any]
    reference: Reference | None
    shared: Shared
    process: SubmissionProcess
    sessions: PartSession
    _deadline: float = 0.0

    @property
    def official(self) -> bool:
        return self.mode == "official"

    def session(self) -> Session:
        """The part's fork of the loaded submission, with this check's time limit."""
        return self.sessions.get(self._deadline)

    def seconds_left(self) -> float:
        return self._deadline - time.monotonic()

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        return self.shared.get((self.spec.digest, self.mode, self.check.id, key), compute)

    def where(self, key: str) -> Where:
        """A key of this check's settings, for an error found while grading (a scale that fails)."""
        return Where(Source(self.spec.path, "")).key("check").key(self.check.id).key(key)

    def shrink(self, strategy_factory: Callable[[], Any], max_examples: int,
               probe: Callable[[Any], Any | None]) -> tuple[Any, Any] | None:
        """Hypothesis's smallest failing input for `probe` (None: none found), remembering each
        search's path for the next submission of the batch (grader.hypo.ShrinkMemory)."""
        from grader import hypo

        memory = hypo.shrink_memory(f"{self.spec.digest}:{self.check.id}", self.spec.seed, max_examples)
        budget = max(0.0, self.seconds_left() - 0.5)  # a last guard: the probe count is the real bound
        return hypo.shrink(strategy_factory, self.spec.seed, max_examples, probe, budget, memory=memory)


def run_check(function: Callable[[CheckContext], Verdict], ctx: CheckContext, seconds: float) -> CheckResult:
    """Run one check under its own time limit; only a real match is a pass."""
    started = time.monotonic()
    ctx._deadline = min(started + seconds, ctx.process.deadline)  # never past the submission's budget
    status, verdict = "failed", None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # the reference's overflow on a student's divergent path, say
            verdict = function(ctx)
        status = "passed" if verdict.passed else "failed"
    except SessionLost as lost:
        status = "timeout" if lost.kind == "timeout" else "error"
        verdict = Verdict(False, _lost_message(lost, seconds, ctx))
    except GraderError:
        raise  # the exercise's own problem (a spec or build error): the grader cannot grade
    except Exception as error:  # anything else a hostile reply provokes: never a pass, never a crash
        status = "error"
        verdict = Verdict(False, t("lost.unreadable", kind=type(error).__name__))
        ctx.process.kill()
    check = ctx.check
    return CheckResult(id=check.id, title=check.title.get(), status=status,
                       score=check.points if status == "passed" else 0.0, max_score=check.points,
                       feedback=verdict.feedback, counterexample=verdict.counterexample,
                       misconception=verdict.misconception, example=verdict.example,
                       examples=verdict.examples,
                       duration_s=round(time.monotonic() - started, 4), details=verdict.details)


def _lost_message(lost: SessionLost, seconds: float, ctx: CheckContext) -> str:
    function = ctx.check.function
    if lost.kind == "timeout":
        return t("lost.timeout", seconds=f"{seconds:g}", function=function)
    if lost.kind == "exited":
        return t("lost.exited", function=function, detail=lost.detail or t("lost.no_detail"))
    return t("lost.protocol", detail=lost.detail)
