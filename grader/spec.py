"""An assignment's spec file (TOML) -> a frozen AssignmentSpec.

Everything about one exercise (its parts, points, checks, limits, tolerances and
Hypothesis settings) lives in data beside its stub; the engine reads only this.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.errors import SpecError


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits; every one has a sane default."""

    load_seconds: float = 10.0
    check_seconds: float = 10.0
    memory_mb: int = 512
    cpu_seconds: int = 60
    file_mb: int = 8
    scratch_mb: int = 16
    processes: int = 32
    output_kb: int = 64

    def for_sandbox(self) -> dict[str, int]:
        return {"memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds, "file_mb": self.file_mb,
                "scratch_mb": self.scratch_mb, "processes": self.processes}


@dataclass(frozen=True)
class CheckSpec:
    """One check of a part: a named check kind from the exercise's checks module."""

    id: str
    kind: str
    points: float
    title: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PartSpec:
    """One TODO: its name in reports, the function it concerns, and its checks."""

    name: str
    title: str
    function: str
    checks: tuple[CheckSpec, ...]

    @property
    def max_score(self) -> float:
        return sum(check.points for check in self.checks)


@dataclass(frozen=True)
class AssignmentSpec:
    id: str
    title: str
    directory: Path
    checks_module: Path
    reference: Path | None
    stub: Path
    parts: tuple[PartSpec, ...]
    limits: Limits
    seed: int
    rtol: float
    digest: str
    data: dict[str, Any]

    @property
    def max_score(self) -> float:
        return sum(part.max_score for part in self.parts)


def _require(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise SpecError(f"{where}: missing key '{key}'")
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise SpecError(f"{where}: '{key}' must be a {kind.__name__}, not {type(value).__name__}")
    return value


def _digest(raw: bytes, checks_module: Path) -> str:
    """The spec's identity: its own bytes and its checks module's (whose strategies draw the inputs)."""
    digest = hashlib.sha256(raw)
    try:
        digest.update(checks_module.read_bytes())
    except OSError:
        pass  # reported when the checks module is loaded
    return digest.hexdigest()


def load_spec(path: Path) -> AssignmentSpec:
    """Parse and validate a spec file; every problem names the file and the key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SpecError(f"{path}: cannot read the spec ({error.strerror})") from None
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: {error}") from None
    where = str(path)
    assignment = _require(table, "assignment", dict, where)
    directory = path.parent
    limits_table = table.get("limits", {})
    try:
        limits = Limits(**limits_table)
    except TypeError as error:
        raise SpecError(f"{where} [limits]: {error}") from None
    parts = []
    for index, part in enumerate(_require(table, "parts", list, where)):
        part_where = f"{where} [[parts]] #{index + 1}"
        checks = []
        for check_index, check in enumerate(_require(part, "checks", list, part_where)):
            check_where = f"{part_where} check #{check_index + 1}"
            options = {k: v for k, v in check.items() if k not in {"id", "kind", "points", "title"}}
            checks.append(CheckSpec(id=_require(check, "id", str, check_where),
                                    kind=_require(check, "kind", str, check_where),
                                    points=_require(check, "points", float, check_where),
                                    title=_require(check, "title", str, check_where),
                                    options=options))
        parts.append(PartSpec(name=_require(part, "name", str, part_where),
                              title=_require(part, "title", str, part_where),
                              function=_require(part, "function", str, part_where),
                              checks=tuple(checks)))
    hypothesis = table.get("hypothesis", {})
    reference = assignment.get("reference")
    return AssignmentSpec(
        id=_require(assignment, "id", str, where),
        title=_require(assignment, "title", str, where),
        directory=directory,
        checks_module=directory / _require(assignment, "checks", str, where),
        reference=(directory / reference).resolve() if reference else None,
        stub=directory / _require(assignment, "stub", str, where),
        parts=tuple(parts),
        limits=limits,
        seed=int(hypothesis.get("seed", 0)),
        rtol=float(table.get("tolerance", {}).get("rtol", 1e-7)),
        digest=_digest(raw, directory / assignment.get("checks", "")),
        data=table,
    )
