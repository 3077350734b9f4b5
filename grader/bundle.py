"""The folder handed out to students: the stubs, the grader and what its self-check needs, nothing more.

    python -m grader.bundle OUTDIR [--spec SPEC]

It holds the `grader` package, and the exercise's folder with its stub and notebook, its
spec (without the path to the reference), its checks module, the self-check's stored numbers
and the misconception catalogue without its expressions (they reveal the right answer). It
never holds the reference solution, the expressions, or anything the official grade draws
and compares against. A test builds it and inspects every file.

In the folder, a student runs:

    python -m grader.cli --self-check assignments/linreg/linreg.py [--lang ko|en]
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from grader.errors import GraderError, SpecError
from grader.spec import AssignmentSpec, load_spec

GRADER = Path(__file__).resolve().parent
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".ruff_cache", ".pytest_cache")

README = """\
Self-check / 자가 점검
======================

Check your work on the three TODOs before you hand it in:
제출하기 전에 세 TODO를 점검하세요:

    python -m grader.cli --self-check {stub} --lang en
    python -m grader.cli --self-check {stub} --lang ko

In the notebook / 노트북에서:

    import sys; sys.path.insert(0, "<this folder / 이 폴더>")
    from grader.notebook import check
    check()

The self-check works without the reference solution. The official grade may run more checks.
자가 점검은 정답 코드 없이 동작합니다. 공식 채점에서는 더 많은 검사를 할 수 있습니다.
"""


def strip_expressions(text: str) -> str:
    """misconceptions.toml without its `expr` lines (each must fit on one line)."""
    stripped = "\n".join(line for line in text.splitlines() if not re.match(r"\s*expr\s*=", line)) + "\n"
    table = tomllib.loads(stripped)
    for part in table.values():
        for entry in part.get("misconceptions", []) if isinstance(part, dict) else []:
            if "expr" in entry:
                raise SpecError("misconceptions.toml: an expr that spans several lines cannot be stripped")
    return stripped


def strip_reference(text: str) -> str:
    """The spec without the path to the reference solution."""
    return "\n".join(line for line in text.splitlines() if not re.match(r"\s*reference\s*=", line)) + "\n"


def build_bundle(outdir: Path, spec: AssignmentSpec) -> Path:
    """Write the student folder to `outdir` (which must not exist yet, or be empty)."""
    from grader.selfcheck import data_path

    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        raise GraderError(f"{outdir}: exists and is not empty")
    outdir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(GRADER, outdir / "grader", ignore=_IGNORED)
    section = spec.data.get("selfcheck", {})
    exercise = outdir / "assignments" / spec.directory.name
    exercise.mkdir(parents=True)
    shutil.copy2(spec.stub, exercise / spec.stub.name)
    for extra in sorted(spec.directory.glob(spec.stub.stem + ".ipynb")):
        shutil.copy2(extra, exercise / extra.name)
    shutil.copy2(spec.checks_module, exercise / spec.checks_module.name)
    spec_file = spec.directory / "spec.toml"
    (exercise / "spec.toml").write_text(strip_reference(spec_file.read_text(encoding="utf-8")), encoding="utf-8")
    data = data_path(spec)
    if not data.is_file():
        raise SpecError(f"{data}: missing; run python -m grader.selfcheck build first")
    shutil.copy2(data, exercise / data.name)
    catalogue = spec.directory / str(section.get("misconceptions", "misconceptions.toml"))
    if catalogue.is_file():
        (exercise / catalogue.name).write_text(strip_expressions(catalogue.read_text(encoding="utf-8")),
                                               encoding="utf-8")
    stub = (exercise / spec.stub.name).relative_to(outdir)
    (outdir / "README.txt").write_text(README.format(stub=stub.as_posix()), encoding="utf-8")
    return outdir


def main(argv: Sequence[str] | None = None) -> int:
    from grader.cli import default_spec

    parser = argparse.ArgumentParser(prog="python -m grader.bundle", description="Write the student folder.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--spec", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        written = build_bundle(args.outdir, load_spec(args.spec or default_spec()))
    except GraderError as error:
        print(f"bundle: {error.message}", file=sys.stderr)
        return error.exit_code
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
