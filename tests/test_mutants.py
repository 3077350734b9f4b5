"""`grade mutants`: the mutants change only the solution regions, the spec records equivalent ones
with their reason, and every shipped exercise's checks catch every mutant that is not recorded."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grader.authoring.assign import parse_source, solution_code
from grader.authoring.mutants import MutantsReport, PartFigures, part_mutants, render, run_mutants
from grader.authoring.mutation import mutants
from grader.errors import SpecError
from grader.spec import load_spec, public_table

from .conftest import EXERCISES, ROOT

CODE = '''import numpy as np

def given(x):
    return x + 1

def loss(p, y):
    n = len(y)
    total = np.sum((p - y) ** 2)
    return total / n
'''
REGION = frozenset({8, 9})  # `total = ...` and `return total / n`: n = len(y) is given code


def _functions(source: str) -> dict[str, str]:
    return {node.name: ast.unparse(node) for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}


def test_mutants_change_only_the_solution_region_of_the_named_functions() -> None:
    made = mutants(CODE, REGION, frozenset({"loss"}))
    original = _functions(CODE)
    assert made and len({m.source for m in made}) == len(made)
    for mutant in made:
        changed = _functions(mutant.source)
        assert changed["given"] == original["given"]
        assert changed["loss"] != original["loss"]
        assert "n = len(y)" in changed["loss"], mutant.label  # the given line is never touched
    kinds = {m.operator for m in made}
    assert {"operator", "constant", "call", "dropped call", "items", "factor", "deleted", "duplicated",
            "moved"} <= kinds, kinds
    assert any(m.before == "total = np.sum((p - y) ** 2)" and m.after == "total = np.mean((p - y) ** 2)"
               for m in made)
    assert not any(m.operator == "duplicated" and m.before.startswith("return") for m in made)  # dead code


def test_mutants_are_the_same_on_every_run() -> None:
    assert [m.label for m in mutants(CODE, REGION, frozenset({"loss"}))] == \
        [m.label for m in mutants(CODE, REGION, frozenset({"loss"}))]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_part_of_a_shipped_exercise_gets_mutants_of_its_own_region(exercise: str) -> None:
    spec = load_spec(ROOT / "assignments" / exercise / "spec.toml")
    assert spec.reference is not None
    code, lines = solution_code(parse_source(spec.reference))
    found = part_mutants(spec)
    assert set(found) == {p.name for p in spec.parts}
    assert all(len(items) >= 10 for items in found.values()), {k: len(v) for k, v in found.items()}
    given = {n for n in range(1, len(code.splitlines()) + 1) if n not in lines}
    for items in found.values():
        for mutant in items:  # the lines outside the regions are unparsed the same
            assert mutant.before.strip() and mutant.function in {p.function for p in spec.parts}
    assert given  # the regions are not the whole file


def _spec_with(tmp_path: Path, record: str) -> Path:
    source = ROOT / "assignments" / "logreg" / "spec.toml"
    text = source.read_text(encoding="utf-8").replace('reference = "../../solutions/logreg.py"',
                                                      f'reference = "{ROOT / "solutions" / "logreg.py"}"')
    path = tmp_path / "spec.toml"
    path.write_text(text.rstrip("\n") + "\n" + record, encoding="utf-8")
    return path


def test_a_record_without_its_reason_is_refused(tmp_path: Path) -> None:
    path = _spec_with(tmp_path, '\n  [[parts.equivalent_mutants]]\n  before = "error = p - y"\n'
                                '  after = "error = y - p"\n')
    with pytest.raises(SpecError, match="reason"):
        load_spec(path)
    path = _spec_with(tmp_path, '\n  [[parts.equivalent_mutants]]\n  before = "a"\n  after = "b"\n  reason = "x"\n'
                                '  why = "y"\n')
    with pytest.raises(SpecError, match="unknown key 'why'"):
        load_spec(path)


def test_records_reach_neither_students_nor_the_build_digest(tmp_path: Path) -> None:
    plain = load_spec(_spec_with(tmp_path, ""))
    recorded = load_spec(_spec_with(tmp_path, '\n  [[parts.equivalent_mutants]]\n  before = "error = p - y"\n'
                                              '  after = "error = y - p"\n  reason = "not really"\n'))
    assert recorded.parts[-1].equivalent_mutants[-1].reason == "not really"
    assert (recorded.digest, recorded.public_digest) == (plain.digest, plain.public_digest)
    table = tomllib.loads((ROOT / "assignments" / "linreg" / "spec.toml").read_text(encoding="utf-8"))
    assert any("equivalent_mutants" in part for part in table["parts"])
    assert not any("equivalent_mutants" in part for part in public_table(table)["parts"])


def test_an_unexplained_survivor_is_shown_as_a_record_to_paste() -> None:
    made = mutants(CODE, REGION, frozenset({"loss"}))
    figure = PartFigures("loss", generated=len(made), caught=len(made) - 1, unexplained=[made[0]])
    text = render(MutantsReport("demo", [figure], 1.0, 1, None))
    assert "[[parts.equivalent_mutants]]" in text and f"before = {made[0].before!r}".replace("'", '"') in text


def test_the_command_has_help() -> None:
    done = subprocess.run([sys.executable, "-m", "grader.cli", "mutants", "--help"], capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 0 and "--sample" in done.stdout and "equivalent" not in done.stderr


@pytest.mark.parametrize("exercise", EXERCISES)
def test_every_mutant_of_a_shipped_exercise_is_caught_or_recorded_as_equivalent(exercise: str) -> None:
    """Every mutant (no sampling: about 30 s per exercise with two workers): the checks have no
    hole these changes find, and every record still matches a mutant."""
    spec = load_spec(ROOT / "assignments" / exercise / "spec.toml")
    report = run_mutants(spec, workers=2)
    assert report.unexplained == 0, render(report)
    assert not [r for p in report.parts for r in p.unused], render(report)
    for part in report.parts:
        assert part.generated >= 10 and part.caught + len(part.explained) == part.generated, render(report)
        assert part.named, f"no mutant of {part.part} was named: {render(report)}"
