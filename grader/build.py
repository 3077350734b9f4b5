"""`grade build EXERCISE`: what grading derives from the reference, computed once and stored beside
the spec as data with its hash.

    build/official.json    the official grade's drawn inputs, the reference's answers on them and
                           each mistake's; never handed out
    build/selfcheck.json   the same for the self-check, on inputs of its own (its own seed); handed
                           out with the student bundle (no reference needed to use it)

Grading reads these files and never draws: the grade does not depend on the installed Hypothesis.
Each file records the digest of what it was built from; a missing or stale build is an error
that names the command to run. A reference that fails its own checks is refused.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from grader import __version__
from grader.atomic import atomic_write_text
from grader.checks import KINDS
from grader.checks.context import Mode, PrepareContext
from grader.errors import SpecError
from grader.plain import decode, encode, numbers
from grader.reference import Reference
from grader.spec import BUILD_FORMAT, AssignmentSpec

FILES: dict[Mode, str] = {"official": "official.json", "self-check": "selfcheck.json"}


def build_file(spec: AssignmentSpec, mode: Mode) -> Path:
    return spec.directory / "build" / FILES[mode]


def _command(spec: AssignmentSpec) -> str:
    return f"grade build {spec.directory}"


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def compute(spec: AssignmentSpec, mode: Mode, reference: Reference) -> dict[str, Any]:
    """One build file's content (plain JSON), computed with the reference in this process."""
    checks = {}
    for part in spec.parts:
        for check in part.checks:
            ctx = PrepareContext(spec, part, check, reference, mode)
            checks[check.id] = encode(KINDS[check.kind].prepare(ctx))
    return {
        "format": BUILD_FORMAT,
        "about": "Written by grade build from the spec and the reference; do not edit. Grading reads it.",
        "assignment": spec.id,
        "mode": mode,
        "digest": spec.digest if mode == "official" else spec.public_digest,
        "source_digest": spec.digest,
        "seed": spec.seed if mode == "official" else spec.selfcheck_seed,
        "drawn_with": {"grader": __version__, "hypothesis": version("hypothesis"), "numpy": np.__version__,
                       "python": platform.python_version()},
        "checks": checks,
    }


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
        from grader.pipeline import verify_reference

        verify_reference(spec, {mode: _checks(spec, mode, content) for mode, content in contents.items()})
    report = BuildReport(warnings=never_shown(spec, contents["official"]))
    for mode, content in contents.items():
        path = build_file(spec, mode)
        _write(path, content)
        report.written.append(path)
    return report


def _write(path: Path, content: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(content, indent=1, ensure_ascii=False, allow_nan=False) + "\n")


def _checks(spec: AssignmentSpec, mode: Mode, content: dict[str, Any]) -> dict[str, Any]:
    checks = {check_id: decode(stored) for check_id, stored in content["checks"].items()}
    expected = {check.id for part in spec.parts for check in part.checks}
    if set(checks) != expected:
        raise SpecError(f"{build_file(spec, mode)}: built for other checks; run {_command(spec)}")
    return checks


@dataclass(frozen=True)
class Build:
    """One build file, read: every check's stored data, the digest, and what drew the inputs."""

    checks: dict[str, Any]
    digest: str
    drawn_with: dict[str, str]


def load_build(spec: AssignmentSpec, mode: Mode) -> Build:
    """The stored data of every check, and the build's digest; SpecError when missing or stale."""
    path = build_file(spec, mode)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: the exercise has not been built; run: {_command(spec)}") from None
    except (OSError, ValueError) as error:
        raise SpecError(f"{path}: cannot read the build ({error}); run: {_command(spec)}") from None
    if not isinstance(content, dict) or content.get("format") != BUILD_FORMAT:
        raise SpecError(f"{path}: made by another version of the grader; run: {_command(spec)}")
    wanted = spec.digest if mode == "official" else spec.public_digest
    stale = content.get("digest") != wanted
    if mode == "self-check" and spec.reference is not None and spec.reference.is_file() and \
            content.get("source_digest") != spec.digest:
        stale = True  # where the reference is, a self-check build must match it too
    if stale:
        raise SpecError(f"{path}: out of date (the spec or the reference changed since it was built); "
                        f"run: {_command(spec)}")
    if not isinstance(content.get("checks"), dict):
        raise SpecError(f"{path}: damaged; run: {_command(spec)}")
    drawn_with = content.get("drawn_with")
    versions = {str(k): str(v) for k, v in drawn_with.items()} if isinstance(drawn_with, dict) else {}
    return Build(_checks(spec, mode, content), str(content["digest"]), versions)
