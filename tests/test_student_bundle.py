"""What students get: the stubs, the grader's wheel and the self-check's data; no reference solution,
no misconception expressions, no hidden check data. Built here and inspected file by file, the
wheel's files included. (tests/test_install.py installs it in a fresh venv.)"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from grader.build import build_file
from grader.bundle import build_bundle
from grader.plain import decode, numbers
from grader.spec import load_spec

from .conftest import FIXTURES, ROOT, SPEC_PATH

REFERENCE = ROOT / "solutions" / "linreg.py"
TODO_FUNCTIONS = ("Loss", "gradient_descent", "main")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("student") / "linreg", load_spec(SPEC_PATH))


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _texts(folder: Path) -> list[tuple[str, str]]:
    """(name, text) of every file, and of every file inside the wheel."""
    out = []
    for path in _files(folder):
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".whl":
            with zipfile.ZipFile(path) as wheel:
                out += [(f"{name}!{inner}", wheel.read(inner).decode("utf-8", "replace")) for inner in wheel.namelist()]
        else:
            out.append((name, path.read_text(encoding="utf-8", errors="replace")))
    return out


def _squashed(text: str) -> str:
    return "".join(text.split())


def _reference_statements() -> list[str]:
    """The lines of the reference that answer the TODOs (what the stub leaves as None / unchanged)."""
    source = REFERENCE.read_text(encoding="utf-8")
    statements = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name in TODO_FUNCTIONS:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Assign) and isinstance(inner.targets[0], ast.Name) and \
                        inner.targets[0].id in ("ls", "gradient0", "gradient1", "gd", "w0", "w1"):
                    text = ast.get_source_segment(source, inner)
                    if text and "None" not in text and text not in ("w0 = 0", "w1 = 0"):
                        statements.append(text)
    assert len(statements) == 6, statements
    return statements


def test_the_bundle_has_what_the_self_check_needs(bundle: Path) -> None:
    names = {name for name, _ in _texts(bundle)}
    wheel = next((bundle / "wheels").glob("exercise_grader-*.whl")).name
    for needed in ("linreg.py", "linreg.ipynb", "spec.toml", "build/selfcheck.json", "README.txt", "requirements.txt",
                   *(f"wheels/{wheel}!grader/{module}" for module in ("cli.py", "selfcheck.py", "notebook.py",
                                                                       "messages.py", "sandbox/inside/harness.py"))):
        assert needed in names, needed
    assert not any(name.endswith("official.json") for name in names)
    assert (bundle / "requirements.txt").read_text(encoding="utf-8").splitlines()[-1] == f"wheels/{wheel}"
    readme = (bundle / "README.txt").read_text(encoding="utf-8")
    assert "grade --self-check linreg.ipynb" in readme and "경사 하강법" in readme


def test_no_reference_solution(bundle: Path) -> None:
    assert not any("solution" in name.rsplit("/", 1)[-1] for name, _ in _texts(bundle))
    spec = tomllib.loads((bundle / "spec.toml").read_text(encoding="utf-8"))
    assert "reference" not in spec["assignment"]
    statements = [_squashed(s) for s in _reference_statements()]
    for name, text in _texts(bundle):
        squashed = _squashed(text)
        for statement in statements:
            assert statement not in squashed, f"{name} holds the answer line {statement}"


def test_no_compiled_or_cached_files(bundle: Path) -> None:
    for name, _ in _texts(bundle):
        assert not name.endswith((".pyc", ".pyo")) and "__pycache__" not in name, name
    for path in _files(bundle):
        assert path.suffix in (".py", ".ipynb", ".toml", ".json", ".txt", ".whl"), path


def test_no_mistakes_code(bundle: Path) -> None:
    """The mistakes' names ship (the self-check names them); their code never does: it gives the
    right answer away."""
    shipped = tomllib.loads((bundle / "spec.toml").read_text(encoding="utf-8"))
    full = load_spec(SPEC_PATH)
    code = []
    for part, shipped_part in zip(full.parts, shipped["parts"], strict=True):
        assert [m["id"] for m in shipped_part.get("mistakes", [])] == [m.id for m in part.mistakes]
        for entry in shipped_part.get("mistakes", []):
            assert not {"expr", "replace", "code", "values"} & set(entry)
        for mistake in part.mistakes:
            for variant in mistake.variants:
                code += [variant.expr] if variant.expr else []
                code += [new for _, new in variant.replace if len(new) > 8]  # (the old texts: answer lines)
    assert len(code) >= 25
    for name, text in _texts(bundle):
        if "!" in name:
            continue  # the engine, in the wheel, knows no exercise (and `range(200)` is common code)
        squashed = _squashed(text)
        for fragment in code:
            assert _squashed(fragment) not in squashed, f"{name} holds the mistake code {fragment}"


def _stored_numbers(value: object) -> list[float]:
    if isinstance(value, dict):
        return [n for item in value.values() for n in _stored_numbers(item)]
    if isinstance(value, (list, tuple)):
        found = numbers(value)
        if found is not None:
            return found.tolist()
        return [n for item in value for n in _stored_numbers(item)]
    found = numbers(value)
    return [] if found is None else found.tolist()


def test_no_hidden_check_data(bundle: Path) -> None:
    """The official grade's inputs and expected values (the reference on its drawn inputs) appear
    nowhere in the bundle, as text or in the self-check's stored numbers."""
    spec = load_spec(SPEC_PATH)
    official = json.loads(build_file(spec, "official").read_text(encoding="utf-8"))["checks"]
    hidden: set[float] = set()
    for check in ("loss-property", "gradient-property"):
        stored = decode(official[check])
        hidden |= {v for v in _stored_numbers(stored["expected"]) if sum(c.isdigit() for c in repr(v)) >= 8}
    assert len(hidden) >= 20
    shipped = json.loads((bundle / "build" / "selfcheck.json").read_text("utf-8"))
    stored_numbers = set(_stored_numbers({k: decode(v) for k, v in shipped["checks"].items()}))
    assert not hidden & stored_numbers
    for name, text in _texts(bundle):
        tokens = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text))
        found = sorted({repr(v) for v in hidden} & tokens)
        assert not found, f"{name} holds official expected values {found[:3]}"


def test_the_self_check_runs_in_the_bundle(bundle: Path) -> None:
    env = {**os.environ, "LANG": "C.UTF-8"}
    env.pop("GRADER_SPEC", None)
    for name, code in (("pass__reference.py", 0), ("fail-gradient_descent__y_instead_of_x.py", 1)):
        run = subprocess.run([sys.executable, "-m", "grader.cli", "--self-check", "--json", str(FIXTURES / name),
                              "--assignment", str(bundle)],
                             capture_output=True, text=True, encoding="utf-8", cwd=ROOT, env=env, timeout=300)
        assert run.returncode == code, run.stderr
        data = json.loads(run.stdout)
        assert data["mode"] == "self-check"
        if code:
            checks = [c for p in data["parts"] for c in p["checks"] if c["misconception"]]
            assert {c["misconception"] for c in checks} == {"y_instead_of_x"}
    # from inside the folder, the exercise is found without naming it
    stub = subprocess.run([sys.executable, "-m", "grader.cli", "--self-check", "linreg.py"],
                          capture_output=True, text=True, encoding="utf-8", cwd=bundle, env=env, timeout=300)
    assert stub.returncode == 1 and "0 / 10" in stub.stdout.splitlines()[0]
