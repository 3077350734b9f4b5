"""`grade build EXERCISE`: compute what grading derives from the reference (grader.build), check
that the reference gets full marks from it, officially and in the self-check, then write it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.build import FILES, build_file, compute, stored_checks, write
from grader.checks.context import Mode
from grader.errors import SpecError
from grader.pipeline import grade_path, load_assignment
from grader.plain import decode, numbers
from grader.reference import Reference
from grader.sandbox.client import start_runner
from grader.spec import AssignmentSpec


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def never_shown(spec: AssignmentSpec, official: dict[str, Any]) -> list[str]:
    """The mistakes that no check of their part can tell from the right answer (on the stored
    inputs): worth a warning, since they will never be named."""
    found = []
    for part in spec.parts:
        for mistake in part.mistakes:
            shown = answered = False
            for check in part.checks:
                if check.kind == "trajectory":
                    shown = answered = True  # judged on each student's own path, not on stored inputs
                    continue
                stored = decode(official["checks"][check.id])
                right = stored["fingerprints"] if check.kind == "driver" else stored["expected"]
                for variant in stored.get("mistakes", {}).get(mistake.id, []):
                    for good, bad in zip(right, variant, strict=False):
                        a, b = numbers(good), numbers(bad)
                        answered = answered or b is not None
                        if b is not None and (a is None or a.shape != b.shape or
                                              not np.allclose(a, b, rtol=1e-6, atol=0)):
                            shown = True
            where = f"{spec.path}: the mistake '{mistake.id}' of part '{part.name}'"
            if not answered:
                found.append(f"{where} fails on every stored input (is its code right?): it can never be named")
            elif not shown:
                found.append(f"{where} gives the right answer on every stored input: it can never be named "
                             "(draw other inputs, or change it)")
    return found


def build_exercise(spec: AssignmentSpec, *, verify: bool = True) -> BuildReport:
    """Compute both build files, check the reference against them, then write them."""
    if spec.reference is None:
        raise SpecError(f"{spec.path}: building needs the reference solution (the spec names none)")
    reference = Reference(spec.reference)
    contents = {mode: compute(spec, mode, reference) for mode in FILES}
    if verify:
        verify_reference(spec, {mode: stored_checks(spec, mode, content) for mode, content in contents.items()})
    report = BuildReport(warnings=never_shown(spec, contents["official"]))
    for mode, content in contents.items():
        path = build_file(spec, mode)
        write(path, content)
        report.written.append(path)
    return report


def verify_reference(spec: AssignmentSpec, stored_by_mode: dict[Mode, dict[str, Any]]) -> None:
    """The reference must get full marks from its own checks, officially and in the self-check."""
    assert spec.reference is not None
    with start_runner("official") as sandbox:
        for mode, stored in stored_by_mode.items():
            assignment = load_assignment(spec, mode, stored)
            result = grade_path(spec.reference, assignment, sandbox)
            if result.error or result.score < result.max_score:
                failed = [f"{c.id}: {c.feedback}" for p in result.parts for c in p.checks if not c.passed]
                detail = result.error or "; ".join(failed)
                raise SpecError(f"{spec.reference}: the reference fails its own checks ({mode}): {detail[:1500]}")
