"""`grade batch` and `grade gradescope`: arguments in, library calls, a summary and an exit code out."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.errors import EXIT_FULL_MARKS, EXIT_POINTS_MISSING, GraderError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grade", description="Grade a class, or build and run a Gradescope autograder.")
    commands = parser.add_subparsers(dest="command", required=True)
    batch = commands.add_parser("batch", help="grade every submission in a folder or an LMS download zip")
    batch.add_argument("source", type=Path, help="a folder, or a zip downloaded from Canvas/Moodle")
    batch.add_argument("--out", type=Path, required=True, help="where grades and reports are written")
    batch.add_argument("--jobs", type=int, default=None, help="parallel workers (default: one per core)")
    batch.add_argument("--assignment", "--spec", dest="spec", type=Path, default=None,
                       help="the exercise: its folder or its spec.toml")
    batch.add_argument("--dask", metavar="ADDRESS", default=None, help="grade on a Dask cluster (scheduler address)")
    batch.add_argument("--canvas-gradebook", type=Path, default=None, help="the class's exported Canvas gradebook CSV")
    batch.add_argument("--assignment-id", default=None, help="the Canvas assignment id for the column title")
    batch.add_argument("--moodle-roster", type=Path, default=None, help="a Moodle participants/grades export CSV")
    batch.add_argument("--all-submissions", action="store_true",
                       help="grade every file, not only each student's latest")
    gradescope = commands.add_parser("gradescope", help="Gradescope autograder")
    actions = gradescope.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="write the autograder zip to upload to Gradescope")
    build.add_argument("--out", type=Path, default=Path("autograder.zip"))
    build.add_argument("--assignment", "--spec", dest="spec", type=Path, default=None)
    run = actions.add_parser("run", help="grade /autograder/submission (what run_autograder calls)")
    run.add_argument("--root", type=Path, default=Path("/autograder"))
    run.add_argument("--assignment", "--spec", dest="spec", type=Path, default=None)
    return parser


def main(argv: Sequence[str]) -> int:
    try:
        args = _parser().parse_args(list(argv))
        if args.command == "batch":
            return _batch(args)
        from grader.batch import gradescope

        if args.action == "build":
            path = gradescope.build_zip(args.out, spec_path=_spec_path(args.spec))
            print(f"wrote {path}")
            return 0
        return gradescope.run_autograder(args.root, spec_path=_spec_path(args.spec))
    except GraderError as error:
        print(f"grade: {error.message}", file=sys.stderr)
        return error.exit_code


def _spec_path(given: Path | None) -> Path:
    from grader.cli import default_spec

    path = (given or default_spec()).resolve()
    return path / "spec.toml" if path.is_dir() else path


def _batch(args: argparse.Namespace) -> int:
    from grader.batch.outputs import write_outputs
    from grader.batch.progress import Progress
    from grader.batch.runner import DaskExecutor, Executor, LocalPool, default_jobs, run_batch
    from grader.spec import load_spec

    if not args.source.exists():
        raise UsageError(f"{args.source}: no such folder or zip")
    for option in (args.canvas_gradebook, args.moodle_roster):
        if option is not None and not option.is_file():
            raise UsageError(f"{option}: no such file")
    spec_path = _spec_path(args.spec)
    spec = load_spec(spec_path)
    from grader.build import load_build

    load_build(spec, "official")  # a missing or stale build stops the batch here, not once per student
    executor: Executor = DaskExecutor(args.dask) if args.dask else LocalPool(args.jobs or default_jobs())
    executor.start(str(spec_path))
    try:
        with Progress() as progress:
            report = run_batch(args.source, args.out, spec, spec_path, executor=executor,
                               all_submissions=args.all_submissions, progress=progress.update)
    finally:
        executor.close()
    write_outputs(report, args.out, spec, canvas_gradebook=args.canvas_gradebook, assignment_id=args.assignment_id,
                  moodle_roster=args.moodle_roster)
    print(summary(report, args.out))
    every_full = report.total > 0 and report.full_marks == report.total
    return EXIT_FULL_MARKS if every_full else EXIT_POINTS_MISSING


def summary(report: object, out: Path) -> str:
    from grader.batch.runner import BatchReport

    assert isinstance(report, BatchReport)
    lines = [f"graded {report.graded} submission(s), reused {report.reused} from an earlier run, "
             f"in {report.seconds:.1f} s; {report.full_marks} of {report.total} with full marks, "
             f"{report.failed} that could not be loaded or run"]
    discovery = report.discovery
    if discovery is not None:
        for identity in discovery.superseded:
            lines.append(f"  superseded (an older file of {identity.student_key}): {identity.path}")
        for path, reason in discovery.skipped:
            lines.append(f"  skipped {path}: {reason}")
        for problem in discovery.problems:
            lines.append(f"  problem: {problem}")
    for message in report.unmatched:
        lines.append(f"  not in the LMS file: {message}")
    lines.append(f"outputs in {out}: " + ", ".join(p.name for p in report.outputs))
    return "\n".join(lines)
