"""Gradescope: build the autograder zip, and grade inside it (what run_autograder calls).

The zip holds setup.sh, run_autograder, the engine's wheel, the exercise's folder and its
reference solution (under `exercise/`, in the same places relative to each other as where they
were built, so the spec's path to its reference still holds). setup.sh installs the wheel in a
Python the grader supports; run_autograder always leaves a valid results.json, even when grading
itself fails.
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

from grader import strict_json
from grader.errors import UsageError
from grader.messages import current, normalize, use

SETUP_SH = """#!/usr/bin/env bash
# Runs once when Gradescope builds the autograder image: bubblewrap, a Python the grader
# supports (3.11 or newer), and the grader's wheel with its dependencies in /autograder/venv.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
ROOT="${AUTOGRADER_ROOT:-/autograder}"
apt-get update -qq
apt-get install -y -qq bubblewrap >/dev/null
supported() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && supported "$candidate"; then PYTHON="$candidate"; break; fi
done
if [ -z "$PYTHON" ]; then
    # Ubuntu 22.04, Gradescope's default base image, has Python 3.10; its archive has 3.11.
    apt-get install -y -qq python3.11 python3.11-venv >/dev/null
    PYTHON=python3.11
fi
# Debian and Ubuntu keep venv's pip in a package of its own.
"$PYTHON" -m venv "$ROOT/venv" 2>/dev/null || {
    apt-get install -y -qq "$(basename "$PYTHON")-venv" >/dev/null
    "$PYTHON" -m venv "$ROOT/venv"
}
"$ROOT/venv/bin/pip" install -q "$ROOT"/source/engine/*.whl
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission; it always writes results/results.json.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
cd "$ROOT/source"
exec "$PYTHON" -m grader.cli gradescope run --root "$ROOT" --assignment "$ROOT/source/{spec}" --lang {lang}
"""


def _add_tree(archive: zipfile.ZipFile, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc"):
            archive.write(path, f"{prefix}/{path.relative_to(folder).as_posix()}")


def _executable(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 & 0xFFFF) << 16
    archive.writestr(info, text)


def build_zip(out: Path, *, spec_path: Path, lang: str = "en") -> Path:
    """The autograder zip for the spec's exercise (setup.sh and run_autograder at its top level); its
    run_autograder grades with the feedback in `lang`."""
    import tempfile

    from grader.authoring.wheel import write_engine_wheel
    from grader.build import load_build
    from grader.spec import load_spec

    spec = load_spec(spec_path)
    if spec.reference is None or not spec.reference.is_file():
        raise UsageError(f"{spec_path}: the official autograder needs the reference solution")
    load_build(spec, "official")  # the zip carries the build: a stale one is refused here
    exercise, reference = spec.directory.resolve(), spec.reference.resolve()
    common = Path(os.path.commonpath([exercise, reference.parent]))
    in_zip = Path("exercise")
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".zip.tmp")
    with tempfile.TemporaryDirectory(prefix="engine-") as folder, \
            zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        wheel = write_engine_wheel(Path(folder))
        archive.write(wheel, f"engine/{wheel.name}")
        _executable(archive, "setup.sh", SETUP_SH)
        spec_in_zip = (in_zip / exercise.relative_to(common) / spec_path.name).as_posix()
        _executable(archive, "run_autograder", RUN_AUTOGRADER.format(spec=spec_in_zip, lang=normalize(lang)))
        _add_tree(archive, exercise, (in_zip / exercise.relative_to(common)).as_posix())
        archive.write(reference, (in_zip / reference.relative_to(common)).as_posix())
    temporary.replace(out)
    return out


def _pick_submission(folder: Path, stub_name: str) -> Path:
    candidates = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in (".py", ".ipynb")
                        and ".ipynb_checkpoints" not in p.parts)
    if not candidates:
        raise FileNotFoundError("no .py or .ipynb file was submitted")
    stem = Path(stub_name).stem
    named = [p for p in candidates if p.stem == stem]
    chosen = named or candidates
    notebooks = [p for p in chosen if p.suffix == ".ipynb"]
    return (notebooks or chosen)[0]


def run_autograder(root: Path, *, assignment: Path | None, lang: str | None = None) -> int:
    """Grade root/submission and write root/results/results.json, in `lang` (default: the current
    language); a valid file whatever happens."""
    with use(lang or current()) as chosen:
        return _run_autograder(root, assignment, chosen)


def _run_autograder(root: Path, assignment: Path | None, lang: str) -> int:
    from grader.report.gradescope import write_gradescope
    from grader.report.words import Glossary

    started = time.monotonic()
    results_path = root / "results" / "results.json"
    result = None
    error: str | None = None
    glossary = Glossary(lang)
    try:
        from grader.discover import find_spec
        from grader.pipeline import grade_path, load_assignment
        from grader.sandbox.client import start_runner
        from grader.spec import load_spec

        spec = load_spec(find_spec(assignment))
        glossary = Glossary.of(spec, lang)
        loaded = load_assignment(spec)
        submission = _pick_submission(root / "submission", spec.stub.name)
        with start_runner("official") as sandbox:
            result = grade_path(submission, loaded, sandbox)
    except Exception as problem:  # the autograder's own failure still yields a results file
        error = f"Autograder error: {type(problem).__name__}: {problem}"
    try:
        write_gradescope(result, error, time.monotonic() - started, results_path, glossary)
    except Exception as problem:  # whatever went wrong, Gradescope gets a valid file (ASCII: always writable)
        results_path.parent.mkdir(parents=True, exist_ok=True)
        output = error or f"could not write the results ({type(problem).__name__})"
        results_path.write_text(strict_json.dumps({"score": 0, "output": output, "tests": []}))
    return 0
