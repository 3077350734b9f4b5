"""The `grade` command: parse arguments, call the library, print a report, exit with its code.

This is the one place that maps outcomes to exit codes: 0 full marks, 1 points
missing (a broken submission included), 2 the grader could not grade.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from grader import one_blas_thread
from grader.errors import EXIT_CANNOT_GRADE, EXIT_FULL_MARKS, EXIT_POINTS_MISSING, GraderError, UsageError
from grader.messages import LANGUAGES, default_language, t, use
from grader.results import SubmissionResult

DEFAULT_SPEC = Path(__file__).resolve().parent.parent / "assignments" / "linreg" / "spec.toml"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="grade", description="Grade a .py or .ipynb submission of an exercise.")
    parser.add_argument("submission", type=Path, help="the student's .py or .ipynb file")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON object on stdout")
    parser.add_argument("--assignment", "--spec", dest="spec", type=Path, default=None,
                        help="the exercise: its folder or its spec.toml (default: the one this grader ships)")
    parser.add_argument("--verbose", action="store_true", help="list passed checks too")
    parser.add_argument("--self-check", dest="self_check", action="store_true",
                        help="check your own work without the reference solution (the official grade may run more "
                             "checks); same report, JSON and exit codes")
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="the language of the feedback (default: from the locale, else English)")
    return parser


def default_spec() -> Path:
    env = os.environ.get("GRADER_SPEC")
    return Path(env) if env else DEFAULT_SPEC


def exit_code(result: SubmissionResult) -> int:
    return EXIT_FULL_MARKS if result.full_marks else EXIT_POINTS_MISSING


def _grade(args: argparse.Namespace) -> SubmissionResult:
    from grader.sandbox.isolation import start_zygote

    # First thing: the sandbox's worker imports numpy and tests its isolation while the grader
    # imports its own modules and reads the spec and the submission.
    started = start_zygote()
    one_blas_thread()
    try:
        from grader.pipeline import grade_path, load_assignment
        from grader.sandbox.client import Sandbox
        from grader.spec import load_spec
    except BaseException:
        started.process.kill()
        raise
    sandbox = Sandbox(started=started)
    try:
        spec = load_spec(args.spec or default_spec())
        if args.self_check:
            assignment = load_assignment(spec, "self-check")
            sandbox.pin(_one_cpu())
            return grade_path(args.submission, assignment, sandbox)
        if spec.reference is None or not spec.reference.is_file():
            raise UsageError(t("cli.no_reference"))
        assignment = load_assignment(spec)
        sandbox.pin(_one_cpu())  # after the imports, which ran in parallel with the sandbox's start
        return grade_path(args.submission, assignment, sandbox)
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


def _without_lang(argv: Sequence[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--lang":
            skip = True
        elif not arg.startswith("--lang="):
            out.append(arg)
    return out


def _error_json(message: str) -> dict[str, object]:
    return {"score": 0, "max_score": 0, "parts": [], "error": message}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("batch", "gradescope"):
        from grader.batch.command import main as batch_main

        return batch_main(argv)
    if argv and argv[0] in ("new", "assign", "build"):
        with use(_language(argv)):
            return _authoring(argv)
    with use(_language(argv)):
        try:
            return _single(argv)
        except BrokenPipeError:  # `grade x.py | head`: the reader left; the exit code still tells
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_POINTS_MISSING


def _authoring(argv: list[str]) -> int:
    from grader.authoring.commands import main as authoring_main

    try:
        return authoring_main(_without_lang(argv))
    except GraderError as error:
        print(t("cli.prefix", message=error.message), file=sys.stderr)
        return error.exit_code


def _single(argv: list[str]) -> int:
    as_json = "--json" in argv
    try:
        args = _parser().parse_args(argv)
        if not args.submission.exists():
            raise UsageError(t("cli.no_such_file", path=args.submission))
        result = _grade(args)
    except GraderError as error:
        if as_json:
            print(json.dumps(_error_json(error.message), ensure_ascii=False))
        else:
            print(t("cli.prefix", message=error.message), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return EXIT_CANNOT_GRADE
    if args.json:
        print(json.dumps(localized_json(result), ensure_ascii=False))
    else:
        from grader.report.terminal import render

        print(render(result, verbose=args.verbose))
    return exit_code(result)


if __name__ == "__main__":
    sys.exit(main())
