"""Running one check: the engine side of the exercise's small check functions.

An exercise's checks module defines plain functions `(ctx: CheckContext) -> Verdict`,
named by `kind` in its spec. The engine gives each part a fresh session of the
student's process and each check a time limit, and turns anything that goes wrong (a timeout,
an exit, a malformed reply) into a failed check: it is never a pass.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from grader.errors import SpecError
from grader.messages import t, title
from grader.results import CheckResult
from grader.sandbox.client import Reply, Session, SessionLost, SubmissionProcess
from grader.spec import AssignmentSpec, CheckSpec, PartSpec


@dataclass(frozen=True)
class Verdict:
    """What a check concluded; the engine turns it into a scored CheckResult."""

    passed: bool
    feedback: str = ""
    counterexample: str | None = None
    misconception: str | None = None
    examples: int = 0
    details: dict[str, Any] = field(default_factory=dict)


class Shared:
    """Per-process memo of work that does not depend on the submission (drawn inputs,
    reference outputs): computed once per batch, not once per submission."""

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
class CheckContext:
    spec: AssignmentSpec
    part: PartSpec
    check: CheckSpec
    reference: ModuleType | None
    shared: Shared
    process: SubmissionProcess
    sessions: PartSession
    # Earlier parts with full marks: feedback may lean on them (never the score: each part is
    # scored with the other parts replaced by the grader's stand-ins).
    passed_parts: frozenset[str] = frozenset()

    @property
    def rtol(self) -> float:
        return float(self.check.options.get("rtol", self.spec.rtol))

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.spec.data.get("data", {}))

    def option(self, name: str, default: Any) -> Any:
        return self.check.options.get(name, default)

    def session(self) -> Session:
        """The part's fork of the loaded submission, with this check's time limit."""
        return self.sessions.get(self._deadline)

    def seconds_left(self) -> float:
        return self._deadline - time.monotonic()

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        return self.shared.get((self.spec.digest, self.check.id, key), compute)

    def examples(self, strategy_factory: Callable[[], Any], max_examples: int) -> list[Any]:
        from grader import hypo

        key = f"{self.spec.digest}:{self.check.id}"
        return list(self.memo(f"examples:{max_examples}",
                              lambda: hypo.draw_examples_cached(key, strategy_factory, self.spec.seed, max_examples)))

    def shrink(self, strategy_factory: Callable[[], Any], max_examples: int,
               probe: Callable[[Any], Any | None]) -> tuple[Any, Any] | None:
        """Hypothesis's smallest failing input for `probe` (None: none found), remembering each
        search's path for the next submission of the batch (grader.hypo.ShrinkMemory)."""
        from grader import hypo

        memory = hypo.shrink_memory(f"{self.spec.digest}:{self.check.id}", self.spec.seed, max_examples)
        budget = max(0.0, self.seconds_left() - 0.5)  # a last guard: the probe count is the real bound
        return hypo.shrink(strategy_factory, self.spec.seed, max_examples, probe, budget, memory=memory)

    _deadline: float = 0.0


def describe_reply(reply: Reply) -> str | None:
    """The problem with a reply that did not return at all (raised / missing), else None."""
    if reply.kind == "raised" and reply.error is not None:
        return t("reply.raised", error=reply.error.render())
    if reply.kind == "missing":
        return t("reply.missing")
    return None


def load_checks_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_checks_{abs(hash(str(path)))}", path)
    if spec is None or spec.loader is None:
        raise SpecError(f"{path}: cannot load the checks module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickling look a module up by its name
    try:
        spec.loader.exec_module(module)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such checks module") from None
    return module


def check_function(module: ModuleType, check: CheckSpec) -> Callable[[CheckContext], Verdict]:
    function = getattr(module, check.kind, None)
    if not callable(function):
        raise SpecError(f"check '{check.id}': the checks module has no check kind '{check.kind}'")
    return function  # type: ignore[no-any-return]


def run_check(function: Callable[[CheckContext], Verdict], ctx: CheckContext, seconds: float) -> CheckResult:
    """Run one check under its own time limit; only a real match is a pass."""
    started = time.monotonic()
    ctx._deadline = started + seconds
    status, verdict = "failed", None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # the reference's overflow on a student's divergent path, say
            verdict = function(ctx)
        status = "passed" if verdict.passed else "failed"
    except SessionLost as lost:
        status = "timeout" if lost.kind == "timeout" else "error"
        verdict = Verdict(False, _lost_message(lost, seconds, ctx))
    except Exception as error:  # anything else a hostile reply provokes: never a pass, never a crash
        status = "error"
        verdict = Verdict(False, t("lost.unreadable", kind=type(error).__name__))
        ctx.process.kill()
    check = ctx.check
    return CheckResult(id=check.id, title=title(f"title.{check.id}", check.title), status=status,
                       score=check.points if status == "passed" else 0.0, max_score=check.points,
                       feedback=verdict.feedback, counterexample=verdict.counterexample,
                       misconception=verdict.misconception, examples=verdict.examples,
                       duration_s=round(time.monotonic() - started, 4), details=verdict.details)


def _lost_message(lost: SessionLost, seconds: float, ctx: CheckContext) -> str:
    function = ctx.part.function
    if lost.kind == "timeout":
        return t("lost.timeout", seconds=f"{seconds:g}", function=function)
    if lost.kind == "exited":
        return t("lost.exited", function=function, detail=lost.detail or t("lost.no_detail"))
    return t("lost.protocol", detail=lost.detail)

