"""`grade bundle EXERCISE --out DIR`: the folder handed out to students, and nothing more.

The folder is itself an exercise that `grade` finds from inside it: the stubs (`.py`, `.ipynb`),
the spec without the mistakes' code and without the path to the reference, the self-check's
build (numbers on inputs of its own), the engine's wheel, a `requirements.txt` that installs it
with its dependencies, and a README in the exercise's words. It never holds the reference
solution, a mistake's code, or the official build. A student, in that folder, runs

    pip install -r requirements.txt
    grade --self-check <stub>.ipynb

or, in the notebook, `%pip install -r requirements.txt` and then `from grader import check; check()`.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path

import tomli_w

from grader.arguments import Parser, add_assignment_option, add_lang_option, chosen_language
from grader.errors import EXIT_FULL_MARKS, UsageError
from grader.messages import LANGUAGES, current, t, use
from grader.spec import AssignmentSpec, load_spec, public_table

WHEELS = "wheels"


def readme(spec: AssignmentSpec, lang: str | None = None) -> str:
    """The bundle's README, in every language (the class's first), with the exercise's own title and functions:
    a student of the class reads their language first, and anyone else still finds theirs."""
    functions = ", ".join(dict.fromkeys(part.function for part in spec.parts))
    sections = []
    first = lang or current()
    for code in sorted(LANGUAGES, key=lambda each: each != first):
        with use(code):
            sections.append(t("bundle.readme", title=spec.title.get(code), stub=spec.stub.name,
                              notebook=spec.stub.with_suffix(".ipynb").name, functions=functions))
    return "\n\n".join(sections) + "\n"


def build_bundle(outdir: Path, spec: AssignmentSpec, lang: str | None = None) -> Path:
    """Write the student folder to `outdir` (which must not exist yet, or be empty)."""
    from grader.authoring.wheel import write_engine_wheel
    from grader.build import build_file, load_build

    load_build(spec, "self-check")  # refuse a missing or stale self-check build
    outdir = Path(outdir)
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise UsageError(f"{outdir}: exists and is not an empty folder")
    outdir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(spec.stub, outdir / spec.stub.name)
    notebook = spec.stub.with_suffix(".ipynb")
    if notebook.is_file():
        shutil.copy2(notebook, outdir / notebook.name)
    header = "# The exercise as the self-check needs it (written by grade bundle; no reference, no mistake's code).\n"
    (outdir / "spec.toml").write_text(header + tomli_w.dumps(public_table(spec.table)), encoding="utf-8")
    selfcheck = build_file(spec, "self-check")
    (outdir / "build").mkdir()
    shutil.copy2(selfcheck, outdir / "build" / selfcheck.name)
    wheel = write_engine_wheel(outdir / WHEELS)
    requirements = ("# The self-check and its dependencies: pip install -r requirements.txt\n"
                    f"{WHEELS}/{wheel.name}\n")
    (outdir / "requirements.txt").write_text(requirements, encoding="utf-8")
    (outdir / "README.txt").write_text(readme(spec, lang), encoding="utf-8")
    return outdir


def main(argv: Sequence[str]) -> int:
    parser = Parser(prog="grade", description="Write the folder students receive.")
    commands = parser.add_subparsers(dest="command", required=True)
    bundle = commands.add_parser("bundle", help="write the folder students receive",
                                 description="Write the folder students receive: the stubs, the self-check's "
                                             "data, the grader's wheel and requirements.txt, a README.")
    bundle.add_argument("assignment", type=Path, nargs="?", default=None,
                        help="the exercise's folder or its spec.toml (or --assignment; default: found from here up)")
    add_assignment_option(bundle)
    bundle.add_argument("--out", type=Path, required=True, help="the folder to write (new, or empty)")
    add_lang_option(bundle, writes="the messages and the language the README starts with")
    args: argparse.Namespace = parser.parse_args(list(argv))
    from grader.discover import find_spec

    written = build_bundle(args.out, load_spec(find_spec(args.assignment or args.spec)), chosen_language(args))
    print(t("cli.build_wrote", path=written))
    return EXIT_FULL_MARKS
