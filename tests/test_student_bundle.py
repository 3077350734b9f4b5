"""What students get: the stubs, the grader and the self-check's data; no reference solution,
no misconception expressions, no hidden check data. Built here and inspected file by file."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from grader.bundle import build_bundle
from grader.properties import load_catalogue
from grader.spec import load_spec

from .conftest import FIXTURES, ROOT, SPEC_PATH

REFERENCE = ROOT / "solutions" / "linreg.py"
TODO_FUNCTIONS = ("Loss", "gradient_descent", "main")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(tmp_path_factory.mktemp("student") / "linreg", load_spec(SPEC_PATH))


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


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
    names = {p.relative_to(bundle).as_posix() for p in _files(bundle)}
    for needed in ("grader/cli.py", "grader/selfcheck.py", "grader/notebook.py", "grader/messages.py",
                   "grader/sandbox/inside/harness.py", "assignments/linreg/linreg.py",
                   "assignments/linreg/linreg.ipynb", "assignments/linreg/spec.toml", "assignments/linreg/checks.py",
                   "assignments/linreg/selfcheck_data.json", "assignments/linreg/misconceptions.toml", "README.txt"):
        assert needed in names


def test_no_reference_solution(bundle: Path) -> None:
    assert not (bundle / "solutions").exists()
    assert not any("solution" in p.name for p in _files(bundle))
    spec = tomllib.loads((bundle / "assignments" / "linreg" / "spec.toml").read_text(encoding="utf-8"))
    assert "reference" not in spec["assignment"]
    statements = [_squashed(s) for s in _reference_statements()]
    for path in _files(bundle):
        text = _squashed(path.read_text(encoding="utf-8", errors="replace"))
        for statement in statements:
            assert statement not in text, f"{path.relative_to(bundle)} holds the answer line {statement}"


def test_no_compiled_or_cached_files(bundle: Path) -> None:
    for path in _files(bundle):
        assert path.suffix not in (".pyc", ".pyo") and "__pycache__" not in path.parts
        assert path.suffix in (".py", ".ipynb", ".toml", ".json", ".txt"), path


def test_no_misconception_expressions(bundle: Path) -> None:
    shipped = bundle / "assignments" / "linreg" / "misconceptions.toml"
    table = tomllib.loads(shipped.read_text(encoding="utf-8"))
    for section in table.values():
        for entry in section.get("misconceptions", []):
            assert "expr" not in entry
    full = load_catalogue(ROOT / "assignments" / "linreg" / "misconceptions.toml")
    expressions = [_squashed(e) for entries in full.parts.values() for m in entries for e in m.exprs]
    assert len(expressions) >= 15
    for path in _files(bundle):
        text = _squashed(path.read_text(encoding="utf-8", errors="replace"))
        for expr in expressions:
            assert expr not in text, f"{path.relative_to(bundle)} holds the expression {expr}"
    shipped_catalogue = load_catalogue(shipped)
    assert {m.id for m in shipped_catalogue.of("update")} == {m.id for m in full.of("update")}


def test_no_hidden_check_data(bundle: Path) -> None:
    """The official grade's expected values (the reference on its drawn inputs) appear nowhere."""
    import importlib.util

    from grader import hypo
    from grader.checks import load_checks_module

    spec = load_spec(SPEC_PATH)
    checks = load_checks_module(spec.checks_module)
    module_spec = importlib.util.spec_from_file_location("reference_for_test", REFERENCE)
    assert module_spec is not None and module_spec.loader is not None
    reference = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(reference)
    losses = [float(reference.Loss(*e)) for e in hypo.draw_examples(checks._loss_inputs(), spec.seed, 30)]
    gradients = [np.asarray(reference.gradient_descent(*e)).ravel()
                 for e in hypo.draw_examples(checks._gradient_inputs(), spec.seed, 30)]
    def distinctive(value: float) -> bool:  # a number this precise is no coincidence
        return sum(ch.isdigit() for ch in repr(value)) >= 8

    hidden = {repr(float(v)) for v in losses if distinctive(float(v))} | {
        repr(float(g)) for pair in gradients for g in pair if distinctive(float(g))}
    assert len(hidden) >= 20
    for path in _files(bundle):
        tokens = set(re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", path.read_text(encoding="utf-8", errors="replace")))
        found = sorted(hidden & tokens)
        assert not found, f"{path.relative_to(bundle)} holds official expected values {found[:3]}"


def test_the_self_check_runs_in_the_bundle(bundle: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(bundle), "LANG": "C.UTF-8"}
    probe = subprocess.run([sys.executable, "-c", "import grader; print(grader.__file__)"], capture_output=True,
                           text=True, cwd=bundle, env=env, timeout=60)
    assert probe.stdout.strip().startswith(str(bundle))
    for name, code in (("pass__reference.py", 0), ("fail-gradient_descent__y_instead_of_x.py", 1)):
        run = subprocess.run([sys.executable, "-m", "grader.cli", "--self-check", "--json", str(FIXTURES / name)],
                             capture_output=True, text=True, encoding="utf-8", cwd=bundle, env=env, timeout=300)
        assert run.returncode == code, run.stderr
        data = json.loads(run.stdout)
        assert data["mode"] == "self-check"
        if code:
            checks = [c for p in data["parts"] for c in p["checks"] if c["misconception"]]
            assert {c["misconception"] for c in checks} == {"y_instead_of_x"}
    stub = subprocess.run([sys.executable, "-m", "grader.cli", "--self-check", "assignments/linreg/linreg.py"],
                          capture_output=True, text=True, encoding="utf-8", cwd=bundle, env=env, timeout=300)
    assert stub.returncode == 1 and "0 / 10" in stub.stdout.splitlines()[0]
