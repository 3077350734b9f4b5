"""`grade new`, `grade assign` and `grade build`: an exercise from one marked reference and a short spec.

    grade new NAME                 scaffold assignments/NAME/ and solutions/NAME.py, then assign and build
    grade assign SOURCE            the stubs (.py, .ipynb) from the marked reference
    grade build EXERCISE [--check] drawn inputs, the reference's answers, the self-check's data

Each returns the exit code (0 done, 1 `build --check` found the build stale); problems are
GraderErrors (exit 2), reported by grader.cli.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from grader.arguments import Parser, add_assignment_option, add_lang_option
from grader.authoring.assign import assign
from grader.errors import EXIT_FULL_MARKS, EXIT_POINTS_MISSING, SpecError, UsageError
from grader.messages import t


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="grade", description="Write an exercise: scaffold it, make its stubs, build it.")
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="scaffold a working exercise (spec, stubs, reference, examples)")
    new.add_argument("name", help="the exercise's name (a Python name: it names the stub and the reference)")
    new.add_argument("--root", type=Path, default=Path("."), help="where assignments/ and solutions/ are")
    assign_cmd = commands.add_parser("assign", help="write the student stubs from a marked reference")
    assign_cmd.add_argument("source", type=Path, help="the marked reference (.py or .ipynb)")
    assign_cmd.add_argument("--assignment", "--spec", dest="assignment", type=Path, default=None,
                            help="the exercise's folder (default: assignments/<source name>)")
    build = commands.add_parser("build", help="compute and store what grading derives from the reference")
    build.add_argument("assignment", type=Path, nargs="?", default=None,
                       help="the exercise's folder, or its spec.toml (or --assignment; default: found from here up)")
    add_assignment_option(build)
    build.add_argument("--check", action="store_true", help="only say whether the build is up to date (exit 1 if not)")
    for command in (new, assign_cmd, build):
        add_lang_option(command, writes="the messages")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.command == "build":
        from grader.discover import find_spec

        return build_command(find_spec(args.assignment or args.spec), check=args.check)
    if args.command == "assign":
        for path in assign_source(args.source, args.assignment):
            print(t("cli.build_wrote", path=_shown(path)))
        return EXIT_FULL_MARKS
    from grader.authoring.new import scaffold

    for path in scaffold(args.name, args.root):
        print(t("cli.build_wrote", path=_shown(path)))
    return EXIT_FULL_MARKS


def _shown(path: Path) -> str:
    """A path as the user would write it: relative to the current folder when it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def build_command(assignment: Path, *, check: bool = False) -> int:
    from grader.authoring.build import build_exercise
    from grader.build import load_build
    from grader.discover import named_spec
    from grader.spec import load_spec

    spec = load_spec(named_spec(assignment))
    if check:
        try:
            load_build(spec, "official")
            load_build(spec, "self-check")
        except SpecError as problem:
            print(problem.message)
            return EXIT_POINTS_MISSING
        print(t("cli.up_to_date", path=spec.directory / "build"))
        return EXIT_FULL_MARKS
    report = build_exercise(spec)
    for warning in report.warnings:
        print(t("cli.warning", message=warning))
    for path in report.written:
        print(t("cli.build_wrote", path=_shown(path)))
    return EXIT_FULL_MARKS


def assign_source(source: Path, assignment: Path | None) -> list[Path]:
    """Stubs for the exercise whose reference this is (its spec names the stub), else assignments/<stem>/."""
    if not source.is_file():
        raise UsageError(f"{source}: no such file")
    exercise = assignment or source.resolve().parent.parent / "assignments" / source.stem
    stub = f"{source.stem}.py"
    spec_file = exercise / "spec.toml" if exercise.is_dir() or not exercise.suffix else exercise
    if spec_file.is_file():
        import tomllib

        try:
            declared = tomllib.loads(spec_file.read_text(encoding="utf-8")).get("assignment", {}).get("stub")
        except (OSError, ValueError):
            declared = None
        if isinstance(declared, str) and declared.endswith(".py") and "/" not in declared:
            stub = declared
        exercise = spec_file.parent
    return assign(source, exercise, stub)
