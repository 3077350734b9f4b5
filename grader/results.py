"""Plain result values: what grading found, with no formatting and no behaviour.

They cross module and process boundaries as JSON (to_json/from_json); reporters
read them and never the other way round.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from grader.strict_json import strict

STATUSES = ("passed", "failed", "error", "timeout")


@dataclass(frozen=True)
class CheckResult:
    """One check of one part. `status` is never "passed" unless the check really ran and matched."""

    id: str
    title: str
    status: str  # one of STATUSES
    score: float
    max_score: float
    feedback: str = ""
    counterexample: str | None = None
    misconception: str | None = None  # the spec's id of the mistake the answers show (words come from the spec)
    example: str = ""  # the failure on one input, in words, without the mistake's name (feedback holds both)
    examples: int = 0  # how many generated or fixed inputs the check ran
    duration_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class PartResult:
    """One TODO: its checks and its score."""

    name: str
    title: str
    score: float
    max_score: float
    checks: tuple[CheckResult, ...]

    @property
    def feedback(self) -> str:
        failed = [c for c in self.checks if not c.passed]
        if not failed:
            return "All checks passed."
        return "\n".join(f"{c.title}: {c.feedback}" for c in failed)


@dataclass(frozen=True)
class Provenance:
    """Everything that makes a grade reproducible."""

    grader_version: str
    assignment: str
    spec_sha256: str
    hypothesis_version: str
    hypothesis_seed: int
    hypothesis_settings: dict[str, Any]
    numpy_version: str
    python_version: str
    isolation: str


@dataclass(frozen=True)
class SubmissionResult:
    submission: str
    score: float
    max_score: float
    parts: tuple[PartResult, ...]
    error: str | None = None
    student: str | None = None
    notes: tuple[str, ...] = ()
    output: str = ""
    isolation_note: str | None = None
    provenance: Provenance | None = None
    duration_s: float = 0.0
    mode: str = "official"  # or "self-check"

    @property
    def full_marks(self) -> bool:
        return self.error is None and self.score >= self.max_score

    def to_json(self) -> dict[str, Any]:
        """The JSON contract: score, max_score, parts[name, score, max_score, feedback], error; more keys welcome."""
        data: dict[str, Any] = {
            "score": self.score,
            "max_score": self.max_score,
            "parts": [
                {"name": p.name, "title": p.title, "score": p.score, "max_score": p.max_score,
                 "feedback": p.feedback, "checks": [asdict(c) for c in p.checks]}
                for p in self.parts
            ],
            "error": self.error,
            "submission": self.submission,
            "student": self.student,
            "mode": self.mode,
            "notes": list(self.notes),
            "output": self.output,
            "isolation_note": self.isolation_note,
            "provenance": asdict(self.provenance) if self.provenance else None,
            "duration_s": self.duration_s,
        }
        return strict(data)  # RFC 8259: every report, file and store row is strict JSON

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        parts = tuple(
            PartResult(name=p["name"], title=p.get("title", p["name"]), score=p["score"], max_score=p["max_score"],
                       checks=tuple(CheckResult(**c) for c in p.get("checks", [])))
            for p in data.get("parts", [])
        )
        provenance = Provenance(**data["provenance"]) if data.get("provenance") else None
        return cls(submission=data.get("submission", ""), score=data["score"], max_score=data["max_score"],
                   parts=parts, error=data.get("error"), student=data.get("student"),
                   notes=tuple(data.get("notes", ())), output=data.get("output", ""),
                   isolation_note=data.get("isolation_note"), provenance=provenance,
                   duration_s=data.get("duration_s", 0.0), mode=data.get("mode", "official"))
