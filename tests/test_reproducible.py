"""The same submission gets the same grade on every install: the drawn inputs live in the
exercise's build, so two Hypothesis versions that draw different inputs give the same grades.
(Hypothesis still shrinks a failure into its counterexample: that text may differ, the grade not.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from grader.build import load_build
from grader.spec import load_spec

from .conftest import EXERCISES, FIXTURES, ROOT

OTHER_VERSIONS = ("6.100.0", "6.110.0")  # another release than the installed one, within the supported range
SUBMISSIONS = [("linreg", FIXTURES / name) for name in (
    "pass__reference.py", "pass__notebook.ipynb", "fail-Loss__half_mse.py", "fail-gradient_descent__missing_x.py",
    "fail-update__plus_instead_of_minus.py", "hardcoded__document_numbers.py")] + [
    ("logreg", ROOT / "solutions" / "logreg.py"), ("logreg", ROOT / "assignments" / "logreg" / "logreg.py")]


@pytest.fixture(scope="module")
def other_hypothesis(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """Another Hypothesis release, installed beside the tests (first on the path of a subprocess)."""
    wanted = next(v for v in OTHER_VERSIONS if v != version("hypothesis"))
    target = tmp_path_factory.mktemp("hypothesis")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                              f"hypothesis=={wanted}"], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, f"this test installs hypothesis=={wanted} from PyPI: {install.stderr[-500:]}"
    return wanted, target


def _env(path: Path | None, cache: Path) -> dict[str, str]:
    env = {**os.environ, "GRADER_CACHE_DIR": str(cache), "PYTHONPATH": os.pathsep.join(
        [str(p) for p in (path, ROOT) if p is not None])}
    env.pop("GRADER_SPEC", None)
    return env


PROBE = """
import hashlib, json
from pathlib import Path
import hypothesis
from grader import hypo
from grader.checks.against_reference import strategy
from grader.checks.context import PrepareContext
from grader.plain import encode
from grader.spec import load_spec
spec = load_spec(Path("assignments/linreg/spec.toml"))
part, check = spec.check("loss-property")
drawn = hypo.draw_examples(strategy(PrepareContext(spec, part, check, None, "official")), spec.seed, 100)
print(hypothesis.__version__, hashlib.sha256(json.dumps(encode([tuple(e) for e in drawn])).encode()).hexdigest())
"""


def _grades(env: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for exercise, path in SUBMISSIONS:
        run = subprocess.run([sys.executable, "-m", "grader.cli", "--json", "--assignment",
                              str(ROOT / "assignments" / exercise), str(path)],
                             capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
        data = json.loads(run.stdout)
        out.append({"score": data["score"], "error": data["error"],
                    "checks": [(c["id"], c["status"], c["score"], c["misconception"])
                               for p in data["parts"] for c in p["checks"]],
                    "drawn_with": data["provenance"]["hypothesis_version"]})
    return out


def test_two_hypothesis_versions_draw_differently_and_grade_the_same(other_hypothesis: tuple[str, Path],
                                                                      tmp_path: Path) -> None:
    other, path = other_hypothesis
    probes = [subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, cwd=ROOT,
                             env=_env(p, tmp_path / "probe")).stdout.split() for p in (None, path)]
    (mine, mine_hash), (theirs, theirs_hash) = probes
    assert (mine, theirs) == (version("hypothesis"), other)
    assert mine_hash != theirs_hash, "these two releases draw the same inputs: pick another pair"
    here = _grades(_env(None, tmp_path / "here"))
    there = _grades(_env(path, tmp_path / "there"))
    assert here == there
    assert [g["score"] for g in here][:2] == [10.0, 10.0] and here[-1]["score"] == 0.0


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_committed_builds_are_those_of_the_specs_and_references(exercise: str) -> None:
    spec = load_spec(ROOT / "assignments" / exercise / "spec.toml")
    for mode in ("official", "self-check"):
        load_build(spec, mode)  # raises (naming grade build) when out of date
