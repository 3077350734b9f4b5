"""The self-check: a student checks their own work, on their own machine, without the reference.

The spec's `[selfcheck]` section names, per part, the checks to run instead of the official
ones (same parts, same points). They use what the document prints, properties that pin the
answer down without computing it, and numbers stored for fixed inputs in the self-check data
file (written ahead by `python -m grader.selfcheck build`, where the reference is; it holds
numbers only). The official grade may run more checks: the report says so.

    python -m grader.selfcheck build [--spec SPEC]   # (re)write the self-check data file
    python -m grader.selfcheck check [--spec SPEC]   # exit 1 when the stored file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from grader.errors import GraderError, SpecError
from grader.messages import t
from grader.pipeline import Assignment, grade_path, load_assignment
from grader.results import SubmissionResult
from grader.sandbox.client import Sandbox
from grader.spec import AssignmentSpec, CheckSpec, load_spec

MODE = "self-check"


def _section(spec: AssignmentSpec) -> dict[str, Any]:
    section = spec.data.get("selfcheck")
    if not isinstance(section, dict) or not section.get("checks"):
        raise SpecError(f"{spec.directory / 'spec.toml'}: no [selfcheck] section with checks")
    return section


def data_path(spec: AssignmentSpec) -> Path:
    return spec.directory / str(_section(spec).get("data", "selfcheck_data.json"))


def load_data(spec: AssignmentSpec) -> dict[str, Any]:
    """The stored numbers; a missing or unreadable file is a SpecError (exit 2), never a wrong grade."""
    path = data_path(spec)
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: the self-check data is missing") from None
    except (OSError, ValueError) as error:
        raise SpecError(f"{path}: cannot read the self-check data ({error})") from None
    return data


def selfcheck_spec(spec: AssignmentSpec) -> AssignmentSpec:
    """The spec with each part's checks replaced by its self-check checks, and no reference."""
    by_part: dict[str, list[CheckSpec]] = {}
    for index, check in enumerate(_section(spec)["checks"]):
        where = f"[selfcheck] check #{index + 1}"
        try:
            options = {k: v for k, v in check.items() if k not in {"id", "kind", "points", "title", "part"}}
            by_part.setdefault(str(check["part"]), []).append(
                CheckSpec(id=str(check["id"]), kind=str(check["kind"]), points=float(check["points"]),
                          title=str(check["title"]), options=options))
        except (KeyError, TypeError, ValueError) as error:
            raise SpecError(f"{where}: needs part, id, kind, points and title ({error})") from None
    parts = []
    for part in spec.parts:
        checks = tuple(by_part.pop(part.name, ()))
        if sum(c.points for c in checks) != part.max_score:
            raise SpecError(f"[selfcheck]: the checks of part {part.name} must add up to {part.max_score:g} points")
        parts.append(replace(part, checks=checks))
    if by_part:
        raise SpecError(f"[selfcheck]: unknown part(s) {', '.join(sorted(by_part))}")
    return replace(spec, parts=tuple(parts), reference=None)


def load_selfcheck_assignment(spec: AssignmentSpec) -> Assignment:
    """The self-check's assignment: never loads the reference, even where there is one."""
    assignment = load_assignment(selfcheck_spec(spec), with_reference=False)
    load_data(spec)  # fail early (exit 2) when the data is missing
    return assignment


def as_selfcheck(result: SubmissionResult) -> SubmissionResult:
    return replace(result, mode=MODE, notes=(t("report.self_check_note"), *result.notes))


def grade_selfcheck(path: Path, assignment: Assignment, sandbox: Sandbox) -> SubmissionResult:
    """Self-check one file: the same result type, JSON contract and exit codes as the official grade."""
    return as_selfcheck(grade_path(path, assignment, sandbox))


# --------------------------------------------------------------------- building the data


def build(spec: AssignmentSpec) -> dict[str, Any]:
    """Compute the stored numbers from the reference and the misconception catalogue (needs both)."""
    from grader.checks import load_checks_module
    from grader.pipeline import _load_reference
    from grader.properties import catalogue_path, load_catalogue

    if spec.reference is None:
        raise SpecError("building the self-check data needs the reference solution")
    checks = load_checks_module(spec.checks_module)
    builder = getattr(checks, "build_selfcheck_data", None)
    if not callable(builder):
        raise SpecError(f"{spec.checks_module}: no build_selfcheck_data(spec_data, reference, catalogue)")
    catalogue = load_catalogue(catalogue_path(spec.directory, _section(spec)))
    data: dict[str, Any] = builder(spec.data, _load_reference(spec.reference), catalogue)
    return data


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    from grader.cli import default_spec

    parser = argparse.ArgumentParser(prog="python -m grader.selfcheck",
                                     description="Write or verify the self-check's stored numbers.")
    parser.add_argument("action", choices=("build", "check"))
    parser.add_argument("--spec", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        spec = load_spec(args.spec or default_spec())
        text = render(build(spec))
        path = data_path(spec)
    except GraderError as error:
        print(f"selfcheck: {error.message}", file=sys.stderr)
        return error.exit_code
    if args.action == "check":
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"{path}: out of date; run python -m grader.selfcheck build", file=sys.stderr)
            return 1
        print(f"{path}: up to date")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
