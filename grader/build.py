"""What `grade build EXERCISE` stores beside the spec, as data with its hash, and reading it back.

    build/official.json    the official grade's drawn inputs, the reference's answers on them and
                           each mistake's; never handed out
    build/selfcheck.json   the same for the self-check, on inputs of its own (its own seed); handed
                           out with the student bundle (no reference needed to use it)

Grading reads these files and never draws: the grade does not depend on the installed Hypothesis.
Each file records the digest of what it was built from; a missing or stale build is an error
that names the command to run. (The command itself, which also grades the reference with what
it computed, is grader.authoring.build.)
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from grader import __version__
from grader.atomic import atomic_write_text
from grader.checks import KINDS
from grader.checks.context import Mode, PrepareContext
from grader.errors import SpecError
from grader.plain import decode, encode
from grader.reference import Reference
from grader.spec import BUILD_FORMAT, AssignmentSpec

FILES: dict[Mode, str] = {"official": "official.json", "self-check": "selfcheck.json"}


def build_file(spec: AssignmentSpec, mode: Mode) -> Path:
    return spec.directory / "build" / FILES[mode]


def command(spec: AssignmentSpec) -> str:
    return f"grade build {spec.directory}"


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


def write(path: Path, content: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(content, indent=1, ensure_ascii=False, allow_nan=False) + "\n")


def stored_checks(spec: AssignmentSpec, mode: Mode, content: dict[str, Any]) -> dict[str, Any]:
    checks = {check_id: decode(stored) for check_id, stored in content["checks"].items()}
    expected = {check.id for part in spec.parts for check in part.checks}
    if set(checks) != expected:
        raise SpecError(f"{build_file(spec, mode)}: built for other checks; run {command(spec)}")
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
        raise SpecError(f"{path}: the exercise has not been built; run: {command(spec)}") from None
    except (OSError, ValueError) as error:
        raise SpecError(f"{path}: cannot read the build ({error}); run: {command(spec)}") from None
    if not isinstance(content, dict) or content.get("format") != BUILD_FORMAT:
        raise SpecError(f"{path}: made by another version of the grader; run: {command(spec)}")
    wanted = spec.digest if mode == "official" else spec.public_digest
    stale = content.get("digest") != wanted
    if mode == "self-check" and spec.reference is not None and spec.reference.is_file() and \
            content.get("source_digest") != spec.digest:
        stale = True  # where the reference is, a self-check build must match it too
    if stale:
        raise SpecError(f"{path}: out of date (the spec or the reference changed since it was built); "
                        f"run: {command(spec)}")
    if not isinstance(content.get("checks"), dict):
        raise SpecError(f"{path}: damaged; run: {command(spec)}")
    drawn_with = content.get("drawn_with")
    versions = {str(k): str(v) for k, v in drawn_with.items()} if isinstance(drawn_with, dict) else {}
    return Build(stored_checks(spec, mode, content), str(content["digest"]), versions)
