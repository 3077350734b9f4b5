"""Gradescope: build the autograder zip, and grade inside it (what run_autograder calls).

The zip holds setup.sh, run_autograder, the grader package, the assignment's folder
and its reference solution, laid out as in this repository, so the same spec paths
work there. run_autograder always leaves a valid results.json, even when grading
itself fails.
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

from grader.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent.parent

SETUP_SH = """#!/usr/bin/env bash
# Runs once when Gradescope builds the autograder image.
set -euo pipefail
apt-get update -qq
apt-get install -y -qq python3 python3-pip python3-venv bubblewrap >/dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install -q /autograder/source
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission; it always writes results/results.json.
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
[ -x "$PYTHON" ] || PYTHON=python3
cd "$ROOT/source"
export PYTHONPATH="$ROOT/source"
exec "$PYTHON" -m grader.cli gradescope run --root "$ROOT" --spec "{spec}"
"""


def _add_tree(archive: zipfile.ZipFile, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc"):
            archive.write(path, f"{prefix}/{path.relative_to(folder).as_posix()}")


def _executable(archive: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = (0o100755 & 0xFFFF) << 16
    archive.writestr(info, text)


def build_zip(out: Path, *, spec_path: Path) -> Path:
    """The autograder zip for the spec's assignment (setup.sh and run_autograder at its top level)."""
    from grader.spec import load_spec

    spec = load_spec(spec_path)
    try:
        spec_in_zip = spec_path.resolve().relative_to(ROOT).as_posix()
        assignment_dir = spec.directory.resolve().relative_to(ROOT)
    except ValueError:
        raise UsageError(f"{spec_path}: the spec must live inside the project to be packaged") from None
    if spec.reference is None or not spec.reference.is_file():
        raise UsageError(f"{spec_path}: the official autograder needs the reference solution")
    from grader.build import load_build

    load_build(spec, "official")  # the zip carries the build: a stale one is refused here
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        _executable(archive, "setup.sh", SETUP_SH)
        _executable(archive, "run_autograder", RUN_AUTOGRADER.format(spec=spec_in_zip))
        archive.write(ROOT / "pyproject.toml", "pyproject.toml")
        if (ROOT / "README.md").is_file():
            archive.write(ROOT / "README.md", "README.md")
        _add_tree(archive, ROOT / "grader", "grader")
        _add_tree(archive, ROOT / assignment_dir, assignment_dir.as_posix())
        archive.write(spec.reference, spec.reference.resolve().relative_to(ROOT).as_posix())
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


def run_autograder(root: Path, *, spec_path: Path) -> int:
    """Grade root/submission and write root/results/results.json; a valid file whatever happens."""
    from grader.report.gradescope import write_gradescope

    started = time.monotonic()
    results_path = root / "results" / "results.json"
    result = None
    error: str | None = None
    try:
        from grader.pipeline import grade_path, load_assignment
        from grader.sandbox.client import Sandbox
        from grader.spec import load_spec

        spec = load_spec(spec_path)
        assignment = load_assignment(spec)
        submission = _pick_submission(root / "submission", spec.stub.name)
        with Sandbox() as sandbox:
            result = grade_path(submission, assignment, sandbox)
    except Exception as problem:  # the autograder's own failure still yields a results file
        error = f"Autograder error: {type(problem).__name__}: {problem}"
    try:
        write_gradescope(result, error, time.monotonic() - started, results_path)
    except OSError:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps({"score": 0, "output": error or "could not write results", "tests": []}))
    return 0
