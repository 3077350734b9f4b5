"""`grade batch` and `grade gradescope`: arguments in, library calls, a summary and an exit code out.

`grade batch` exits 0 when every submission has its row and every output was written, whatever
the scores (a script may upload the grades next); 1 when some submission could not be graded for
a reason of the grader's own (its row says why, with a blank grade); errors are raised for
grader.cli to report (2). Interrupted, it keeps every row it committed: the same command resumes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.arguments import Parser, add_assignment_option, add_lang_option, chosen_language
from grader.errors import EXIT_FULL_MARKS, EXIT_POINTS_MISSING, UsageError
from grader.messages import t

if TYPE_CHECKING:
    from grader.batch.runner import BatchReport


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="grade", description="Grade a class, or build and run a Gradescope autograder.")
    commands = parser.add_subparsers(dest="command", required=True)
    batch = commands.add_parser("batch", help="grade every submission in a folder or an LMS download zip")
    batch.add_argument("source", type=Path, help="a folder, or a zip downloaded from Canvas/Moodle")
    batch.add_argument("--out", type=Path, required=True, help="where grades and reports are written")
    batch.add_argument("--jobs", type=int, default=None, help="parallel workers (default: one per core)")
    add_assignment_option(batch)
    batch.add_argument("--dask", metavar="ADDRESS", default=None, help="grade on a Dask cluster (scheduler address)")
    batch.add_argument("--canvas-gradebook", type=Path, default=None, help="the class's exported Canvas gradebook CSV")
    batch.add_argument("--assignment-id", default=None, help="the Canvas assignment id for the column title")
    batch.add_argument("--moodle-roster", type=Path, default=None, help="a Moodle participants/grades export CSV")
    batch.add_argument("--all-submissions", action="store_true",
                       help="grade every file, not only each student's latest")
    add_lang_option(batch, writes="the feedback files, LMS comments and the summary page")
    gradescope = commands.add_parser("gradescope", help="Gradescope autograder")
    actions = gradescope.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="write the autograder zip to upload to Gradescope")
    build.add_argument("--out", type=Path, default=Path("autograder.zip"))
    add_assignment_option(build)
    add_lang_option(build, writes="the feedback students see on Gradescope (the autograder keeps it)")
    run = actions.add_parser("run", help="grade /autograder/submission (what run_autograder calls)")
    run.add_argument("--root", type=Path, default=Path("/autograder"))
    add_assignment_option(run)
    add_lang_option(run, writes="the feedback in results.json")
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.command == "batch":
        return _batch(args)
    from grader.batch import gradescope

    if args.action == "build":
        path = gradescope.build_zip(args.out, spec_path=_spec_path(args.spec), lang=chosen_language(args))
        print(t("cli.build_wrote", path=path))
        return EXIT_FULL_MARKS
    return gradescope.run_autograder(args.root, assignment=args.spec, lang=chosen_language(args))


def _spec_path(given: Path | None, near: Path | None = None) -> Path:
    from grader.discover import find_spec

    return find_spec(given, near=[near] if near else []).resolve()


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
    spec_path = _spec_path(args.spec, args.source.resolve() if args.source.is_dir() else args.source.resolve().parent)
    spec = load_spec(spec_path)
    from grader.build import load_build

    load_build(spec, "official")  # a missing or stale build stops the batch here, not once per student
    lang = chosen_language(args)
    executor: Executor = DaskExecutor(args.dask) if args.dask else LocalPool(args.jobs or default_jobs())
    executor.start(str(spec_path))
    try:
        with Progress() as progress:
            report = run_batch(args.source, args.out, spec, spec_path, executor=executor, lang=lang,
                               all_submissions=args.all_submissions, progress=progress.update)
    finally:
        executor.close()
    try:
        write_outputs(report, args.out, spec, canvas_gradebook=args.canvas_gradebook,
                      assignment_id=args.assignment_id, moodle_roster=args.moodle_roster, lang=lang)
    except OSError as error:
        raise UsageError(f"{args.out}: the outputs could not be written ({error.strerror or error}); "
                         f"the grades are kept in {args.out / 'results.sqlite'}") from None
    print(summary(report, args.out))
    return batch_exit_code(report)


def batch_exit_code(report: BatchReport) -> int:
    """0 whatever the scores, once every row is there; 1 when the grader itself failed on some."""
    return EXIT_POINTS_MISSING if report.crashed else EXIT_FULL_MARKS


def summary(report: BatchReport, out: Path) -> str:
    """What the teacher reads at the end, in the batch's language."""
    lines = [t("batch.done", graded=report.graded, reused=report.reused, seconds=f"{report.seconds:.1f}",
               full=report.full_marks, total=report.total, failed=report.failed)
             + (t("batch.crashed", crashed=report.crashed) if report.crashed else "")]
    discovery = report.discovery
    if discovery is not None:
        for identity in discovery.superseded:
            lines.append("  " + t("batch.superseded", student=identity.student_key, path=identity.path))
        for path, reason in discovery.skipped:
            lines.append("  " + t("batch.skipped", path=path, reason=reason))
        for problem in discovery.problems:
            lines.append("  " + t("batch.problem", problem=problem))
    for message in report.unmatched:
        lines.append("  " + t("batch.unmatched", message=message))
    lines.append(t("batch.outputs", out=out, files=", ".join(p.name for p in report.outputs)))
    return "\n".join(lines)
