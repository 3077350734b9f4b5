"""The folder handed out to students: the stubs, the grader and what its self-check needs, nothing more.

    python -m grader.bundle OUTDIR [--assignment EXERCISE]

It holds the `grader` package, and the exercise's folder with its stubs, its spec without the
mistakes' code and without the path to the reference, and the self-check's build (numbers on
inputs of its own). It never holds the reference solution, a mistake's code, or the official
build. A test builds it and inspects every file. In the folder, a student runs:

    python -m grader.cli --self-check assignments/<exercise>/<stub> [--lang ko|en]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

import tomli_w

from grader.errors import GraderError
from grader.messages import LANGUAGES, t, use
from grader.spec import AssignmentSpec, load_spec, public_table

GRADER = Path(__file__).resolve().parent
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".mypy_cache", ".ruff_cache", ".pytest_cache")


def readme(spec: AssignmentSpec, stub: str) -> str:
    """The bundle's README, in every language, with the exercise's own title and functions."""
    functions = ", ".join(dict.fromkeys(part.function for part in spec.parts))
    notebook = str(Path(stub).with_suffix(".ipynb"))
    sections = []
    for lang in LANGUAGES:
        with use(lang):
            sections.append(t("bundle.readme", title=spec.title.get(lang), stub=stub, notebook=notebook,
                              functions=functions, exercise=str(Path(stub).parent.as_posix())))
    return "\n\n".join(sections) + "\n"


def build_bundle(outdir: Path, spec: AssignmentSpec) -> Path:
    """Write the student folder to `outdir` (which must not exist yet, or be empty)."""
    from grader.build import build_file, load_build

    load_build(spec, "self-check")  # refuse a missing or stale self-check build
    outdir = Path(outdir)
    if outdir.exists() and any(outdir.iterdir()):
        raise GraderError(f"{outdir}: exists and is not empty")
    outdir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(GRADER, outdir / "grader", ignore=_IGNORED)
    exercise = outdir / "assignments" / spec.directory.name
    (exercise / "build").mkdir(parents=True)
    shutil.copy2(spec.stub, exercise / spec.stub.name)
    notebook = spec.stub.with_suffix(".ipynb")
    if notebook.is_file():
        shutil.copy2(notebook, exercise / notebook.name)
    header = "# The exercise as the self-check needs it (written by grader.bundle; no reference, no mistake's code).\n"
    (exercise / "spec.toml").write_text(header + tomli_w.dumps(public_table(spec.table)), encoding="utf-8")
    shutil.copy2(build_file(spec, "self-check"), exercise / "build" / build_file(spec, "self-check").name)
    stub = (exercise / spec.stub.name).relative_to(outdir).as_posix()
    (outdir / "README.txt").write_text(readme(spec, stub), encoding="utf-8")
    return outdir


def main(argv: Sequence[str] | None = None) -> int:
    from grader.cli import default_spec

    parser = argparse.ArgumentParser(prog="python -m grader.bundle", description="Write the student folder.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--assignment", "--spec", dest="spec", type=Path, default=None)
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
