"""The `grade` command tree: `grade FILE` and every subcommand, and the one place that maps what
happened to a message and an exit code.

    grade FILE        0 full marks, 1 points missing (a broken submission included), 2 could not grade
    grade batch       0 every submission has its row and every output was written, whatever the scores;
                      1 some submission could not be graded for a reason of the grader's own; 2 bad arguments
    other commands    0 done, 1 what was checked is not so (`build --check`), 2 could not do it
    any command       130 when interrupted (Ctrl-C), after stopping cleanly

A command raises GraderError for anything it cannot do; `main` turns that, a missing dependency,
Ctrl-C and a closed pipe into one line on stderr (or one JSON object with `--json`) and the code.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError
from pathlib import Path

from grader import one_blas_thread, strict_json
from grader.arguments import Parser, add_assignment_option, add_lang_option
from grader.errors import (
    EXIT_CANNOT_GRADE,
    EXIT_FULL_MARKS,
    EXIT_INTERRUPTED,
    EXIT_POINTS_MISSING,
    GraderError,
    UsageError,
)
from grader.messages import default_language, t, use
from grader.results import SubmissionResult

# name -> (the module whose `main(argv)` runs it, with argv starting at the name; what it does)
COMMANDS: dict[str, tuple[str, str]] = {
    "batch": ("grader.batch.command", "grade a class: a folder, or a zip downloaded from Canvas or Moodle"),
    "gradescope": ("grader.batch.command", "build a Gradescope autograder zip, or grade inside one"),
    "bundle": ("grader.bundle", "write the folder students receive: stubs, self-check data, install line"),
    "build": ("grader.authoring.commands", "store what grading derives from the reference (or --check it)"),
    "new": ("grader.authoring.commands", "scaffold a working exercise: spec, stubs, reference, examples"),
    "assign": ("grader.authoring.commands", "write the student stubs (.py, .ipynb) from a marked reference"),
    "mutants": ("grader.authoring.mutants", "grade small changes of the reference: do the checks catch them?"),
}
DEPENDENCIES = ("numpy", "hypothesis", "nbformat", "IPython", "tomli_w", "tqdm")


def _parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  grade {name:<11} {about}" for name, (_, about) in COMMANDS.items())
    parser = Parser(prog="grade", usage="grade SUBMISSION [options]\n       grade COMMAND ... (see below)",
                    description="Grade a .py or .ipynb submission of an exercise.",
                    epilog=f"commands:\n{commands}\n\n`grade COMMAND --help` shows a command's options.",
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("submission", type=Path, help="the student's .py or .ipynb file")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    add_assignment_option(parser)
    parser.add_argument("--verbose", action="store_true", help="list passed checks too")
    parser.add_argument("--self-check", dest="self_check", action="store_true",
                        help="check your own work without the reference solution (the official grade may run more "
                             "checks); same report, JSON and exit codes")
    add_lang_option(parser)
    return parser


def exit_code(result: SubmissionResult) -> int:
    return EXIT_FULL_MARKS if result.full_marks else EXIT_POINTS_MISSING


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _never_fail_to_print()
    as_json = bool(argv) and argv[0] not in COMMANDS and "--json" in argv
    with use(_language(argv)):
        return guarded(lambda: _dispatch(argv), as_json=as_json)


def _never_fail_to_print() -> None:
    """A character the output's encoding lacks becomes "?" rather than a crash after the grading:
    on Windows, output sent to a pipe or a file (an editor's run panel) is in the ANSI code page
    (cp1252, cp949), which has no ✔ or ✘."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def guarded(command: Callable[[], int], *, as_json: bool = False) -> int:
    """Run a command; every way it can stop becomes a message and an exit code, never a traceback."""
    try:
        return command()
    except GraderError as error:
        _complain(error.message, as_json)
        return error.exit_code
    except KeyboardInterrupt:
        _complain(t("cli.interrupted"), as_json)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `grade x.py | head`: the reader left; the exit code still tells
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_POINTS_MISSING
    except (ModuleNotFoundError, PackageNotFoundError) as error:
        package = _missing_package(error)
        if package is None:
            raise
        _complain(t("cli.missing_package", package=package), as_json)
        return EXIT_CANNOT_GRADE


def _missing_package(error: ImportError | PackageNotFoundError) -> str | None:
    """The grader's own dependency that is not installed, else None (a bug to show whole)."""
    name = error.name if isinstance(error, ImportError) else (error.args[0] if error.args else None)
    top = str(name or "").split(".")[0]
    return top if top.lower() in {d.lower() for d in DEPENDENCIES} else None


def _complain(message: str, as_json: bool) -> None:
    if as_json:
        print(strict_json.dumps({"score": 0, "max_score": 0, "parts": [], "error": message}, ensure_ascii=False))
    else:
        print(t("cli.prefix", message=message), file=sys.stderr)


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(COMMANDS[argv[0]][0])
        code: int = module.main(argv)  # each command declares --lang too (see add_lang_option)
        return code
    return _single(argv)


def _single(argv: list[str]) -> int:
    if not argv:
        _parser().print_usage(sys.stderr)
        raise UsageError(t("cli.no_submission"))
    args = _parser().parse_args(argv)
    if not args.submission.exists():
        raise UsageError(t("cli.no_such_file", path=args.submission))
    from grader.discover import find_spec

    spec_path = find_spec(args.spec, near=[args.submission.resolve().parent], stem=args.submission.stem)
    result = _grade(args.submission, spec_path, self_check=args.self_check)
    if args.json:
        print(strict_json.dumps(localized_json(result), ensure_ascii=False))
    else:
        from grader.report.terminal import render

        print(render(result, verbose=args.verbose))
    return exit_code(result)


def _grade(submission: Path, spec_path: Path, *, self_check: bool) -> SubmissionResult:
    from grader.sandbox.isolation import detect, start_zygote

    isolation = detect("self-check" if self_check else "official")
    # First thing: the sandbox's worker imports numpy and tests its isolation while the grader
    # imports its own modules and reads the spec and the submission.
    started = start_zygote(isolation) if isolation.mode != "portable" else None
    one_blas_thread()
    try:
        from grader.pipeline import grade_path, load_assignment
        from grader.sandbox.client import start_runner
        from grader.spec import load_spec
    except BaseException:
        if started is not None:
            started.process.kill()
        raise
    sandbox = start_runner("self-check" if self_check else "official", started)
    try:
        spec = load_spec(spec_path)
        if not self_check and (spec.reference is None or not spec.reference.is_file()):
            raise UsageError(t("cli.no_reference"))
        assignment = load_assignment(spec, "self-check" if self_check else "official")
        sandbox.pin(_one_cpu())  # after the imports, which ran in parallel with the sandbox's start
        return grade_path(submission, assignment, sandbox)
    finally:
        sandbox.close()


def _one_cpu() -> int:
    return min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0


def localized_json(result: SubmissionResult) -> dict[str, object]:
    """The JSON contract, unchanged keys, with the part-level feedback in the chosen language."""
    data = result.to_json()
    for part, raw in zip(result.parts, data["parts"], strict=True):
        failed = [c for c in part.checks if not c.passed]
        raw["feedback"] = ("\n".join(f"{c.title}: {c.feedback}" for c in failed) if failed
                           else t("report.all_passed"))
    return data


def _language(argv: Sequence[str]) -> str:
    """--lang, even when the other arguments are bad (so that the error is in that language too)."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return default_language()


if __name__ == "__main__":
    sys.exit(main())
