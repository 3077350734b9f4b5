"""The logreg exercise (assignments/logreg/): every fixture in tests/fixtures/logreg/ gets the outcome its
name promises, the catalogued mistakes are named, the self-check agrees with the official grade, the
fixtures are what their generator writes, and the exercise is data only."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from grader.messages import LANGUAGES, use
from grader.pipeline import Assignment, grade_path, load_assignment
from grader.results import SubmissionResult
from grader.sandbox.client import Sandbox
from grader.spec import AssignmentSpec, MistakeSpec, load_spec

from .conftest import ROOT
from .outcomes import assert_named, assert_outcome, outcome, summary

EXERCISE = ROOT / "assignments" / "logreg"
SPEC = EXERCISE / "spec.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "logreg"
GENERATOR = FIXTURES / "make_fixtures.py"
PARTS = ("sigmoid", "bce_loss", "gradient_step")
NAME = re.compile(r"^(pass|hardcoded|broken|(fail|timeout)-(sigmoid|bce_loss|gradient_step))__[a-z0-9_]+\.[a-z0-9]+$")

CASES = sorted(p for p in FIXTURES.iterdir() if p.is_file() and p != GENERATOR and "__" in p.name)
HONEST = [p for p in CASES if p.name.startswith(("pass__", "fail-", "timeout-"))]

# A timed-out check waits out its whole limit (10 s by default, for each check of the part, in each
# mode). The timeout fixture alone is graded with that part's checks limited to TIMEOUT_SECONDS: the
# outcome is the same, the test is faster. Every other fixture is graded exactly as the spec says.
TIMEOUT_SECONDS = 2.0

# fixture -> the catalogue id its feedback must name (None: not in the catalogue, a counterexample instead)
NAMED: dict[str, str | None] = {
    "fail-sigmoid__exponent_sign.py": "exponent_sign",
    "fail-sigmoid__exponent_sign_with_per_sample_step.py": "exponent_sign",
    "fail-sigmoid__missing_one.py": "missing_one",
    "fail-sigmoid__still_the_stub.py": None,
    "fail-bce_loss__missing_minus.py": "missing_minus",
    "fail-bce_loss__sum_instead_of_mean.py": "sum_instead_of_mean",
    "fail-bce_loss__no_clipping.py": "no_clipping",
    "fail-bce_loss__swapped_terms.py": "swapped_terms",
    "fail-bce_loss__log10.py": None,
    "fail-bce_loss__clipped_too_far.py": None,
    "fail-gradient_step__plus_in_step.py": "plus_in_step",
    "fail-gradient_step__notebook_plus_in_step.ipynb": "plus_in_step",
    "fail-gradient_step__error_y_minus_p.py": "plus_in_step",  # the same numbers as a step up the gradient
    "fail-gradient_step__missing_1_over_n.py": "missing_1_over_n",
    "fail-gradient_step__sigmoid_not_applied.py": "sigmoid_not_applied",
    "fail-gradient_step__b_with_sum_of_error.py": "wrong_gradient_for_b",
    "fail-gradient_step__b_not_updated.py": "wrong_gradient_for_b",
    "fail-gradient_step__b_with_mean_of_grad_w.py": "wrong_gradient_for_b",
    "fail-gradient_step__divided_by_features.py": None,
    "fail-gradient_step__x_not_transposed.py": None,
}

# The mistakes the exercise's catalogue must know, per part.
REQUIRED = {
    "sigmoid": {"exponent_sign", "missing_one"},
    "bce_loss": {"missing_minus", "sum_instead_of_mean", "no_clipping", "swapped_terms"},
    "gradient_step": {"plus_in_step", "missing_1_over_n", "sigmoid_not_applied", "wrong_gradient_for_b"},
}


def _full(result: SubmissionResult) -> dict[str, bool]:
    return {p.name: p.score >= p.max_score for p in result.parts}


def _shortened(spec: AssignmentSpec, part: str) -> AssignmentSpec:
    parts = tuple(dataclasses.replace(p, checks=tuple(dataclasses.replace(c, seconds=TIMEOUT_SECONDS)
                                                      for c in p.checks)) if p.name == part else p
                  for p in spec.parts)
    return dataclasses.replace(spec, parts=parts)


class Logreg:
    """The exercise loaded once for the module, and each fixture graded at most once per mode and language."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.spec = load_spec(SPEC)
        self.official = load_assignment(self.spec)
        self.selfcheck = load_assignment(self.spec, "self-check")
        self.sandbox = sandbox
        self._assignments: dict[tuple[str, str | None], Assignment] = {}
        self._grades: dict[tuple[str, str, str], SubmissionResult] = {}
        self.mistakes = {part.name: {m.id: m for m in part.mistakes} for part in self.spec.parts}

    def assignment(self, mode: str, path: Path) -> Assignment:
        kind, part = outcome(path)
        if kind != "timeout":
            return self.official if mode == "official" else self.selfcheck
        key = (mode, part)
        if key not in self._assignments:
            assert part is not None
            self._assignments[key] = load_assignment(_shortened(self.spec, part), mode)  # type: ignore[arg-type]
        return self._assignments[key]

    def grade(self, path: Path, mode: str = "official", lang: str = "en") -> SubmissionResult:
        key = (path.name, mode, lang)
        if key not in self._grades:
            with use(lang):
                self._grades[key] = grade_path(path, self.assignment(mode, path), self.sandbox)
        return self._grades[key]

    def mistake(self, part: str, ident: str) -> MistakeSpec | None:
        return self.mistakes[part].get(ident)


@pytest.fixture(scope="module")
def logreg(sandbox: Sandbox) -> Logreg:
    return Logreg(sandbox)


# ------------------------------------------------------------------ outcomes

@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fixture_outcome(path: Path, logreg: Logreg) -> None:
    result = logreg.grade(path)
    assert tuple(p.name for p in result.parts) == PARTS
    assert_outcome(path, result)


# ------------------------------------------------------------------ named mistakes

def test_every_fail_fixture_is_mapped() -> None:
    assert {p.name for p in CASES if p.name.startswith("fail-")} == set(NAMED)


def test_the_catalogue_knows_the_typical_mistakes(logreg: Logreg) -> None:
    for part, ids in REQUIRED.items():
        assert ids <= set(logreg.mistakes[part]), part
    for name, ident in NAMED.items():
        part = outcome(name)[1]
        assert part is not None
        assert ident is None or logreg.mistake(part, ident) is not None, name


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", sorted(NAMED))
def test_official_feedback_names_the_mistake(name: str, lang: str, logreg: Logreg) -> None:
    assert_named(logreg.grade(FIXTURES / name, "official", lang), str(outcome(name)[1]), NAMED[name], logreg.spec,
                 lang)


def test_counts_of_named_and_counterexample_fixtures() -> None:
    named = [n for n, ident in NAMED.items() if ident is not None]
    fallback = [n for n, ident in NAMED.items() if ident is None]
    assert (len(named), len(fallback)) == (15, 5)


# ------------------------------------------------------------------ the self-check

def test_the_selfcheck_never_loads_the_reference(logreg: Logreg) -> None:
    assert logreg.selfcheck.reference is None
    assert [(p.name, p.max_score) for p in logreg.selfcheck.spec.parts] == \
        [(p.name, p.max_score) for p in logreg.official.spec.parts]


@pytest.mark.parametrize("path", HONEST, ids=[p.name for p in HONEST])
def test_selfcheck_agrees_with_the_official_grade(path: Path, logreg: Logreg) -> None:
    official, selfcheck = logreg.grade(path, "official"), logreg.grade(path, "self-check")
    assert selfcheck.mode == "self-check"
    assert selfcheck.error is None, selfcheck.error
    assert _full(selfcheck) == _full(official), \
        f"official:\n{summary(official)}\nself-check:\n{summary(selfcheck)}"


@pytest.mark.parametrize("name", sorted(n for n, ident in NAMED.items() if ident is not None))
def test_selfcheck_names_the_same_mistakes(name: str, logreg: Logreg) -> None:
    assert_named(logreg.grade(FIXTURES / name, "self-check"), str(outcome(name)[1]), NAMED[name], logreg.spec)


# ------------------------------------------------------------------ the catalogue and the exercise

def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("logreg_make_fixtures", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogue_is_reproducible() -> None:
    from .fixtures.kit import stale

    assert stale(_generator().build(), FIXTURES, ignored=(GENERATOR.name,)) == [], \
        "run tests/fixtures/logreg/make_fixtures.py"


def test_names_follow_the_convention() -> None:
    names = [p.name for p in CASES]
    assert len(names) == len([p for p in FIXTURES.iterdir() if p.is_file() and p != GENERATOR])
    assert [name for name in names if not NAME.match(name)] == []
    outcomes = [name.split("__")[0] for name in names]
    assert outcomes.count("pass") >= 8
    for part in PARTS:
        assert outcomes.count(f"fail-{part}") >= 2, part
    assert "broken" in outcomes and "timeout-bce_loss" in outcomes
    for name in names:
        if not name.startswith("broken__"):
            assert name.endswith((".py", ".ipynb")), name


def test_the_exercise_is_data_only() -> None:
    python = sorted(p.relative_to(EXERCISE).as_posix() for p in EXERCISE.rglob("*.py"))
    assert python == ["logreg.py"]
