"""Every fixture submission gets the outcome its file name promises (see fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.pipeline import Assignment, grade_path
from grader.results import SubmissionResult
from grader.sandbox.client import Sandbox

from .conftest import FIXTURES

CASES = sorted(p for p in FIXTURES.iterdir() if "__" in p.name)


def _outcome(path: Path) -> tuple[str, str | None]:
    outcome = path.name.split("__", 1)[0]
    kind, _, part = outcome.partition("-")
    return kind, part or None


def _scores(result: SubmissionResult) -> dict[str, tuple[float, float]]:
    return {p.name: (p.score, p.max_score) for p in result.parts}


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fixture_outcome(path: Path, assignment: Assignment, sandbox: Sandbox) -> None:
    result = grade_path(path, assignment, sandbox)
    kind, part = _outcome(path)
    scores = _scores(result)
    summary = "\n".join(f"{p.name}: {p.feedback}" for p in result.parts)
    if kind == "pass":
        assert result.error is None, result.error
        assert result.score == result.max_score, summary
    elif kind in ("fail", "timeout"):
        assert part in scores, f"unknown part {part}"
        assert result.error is None, result.error
        for name, (score, maximum) in scores.items():
            if name == part:
                assert score < maximum, f"{name} should lose points:\n{summary}"
            else:
                assert score == maximum, f"{name} should keep full marks:\n{summary}"
        if kind == "timeout":
            statuses = {c.status for p in result.parts if p.name == part for c in p.checks}
            assert "timeout" in statuses
    elif kind == "hardcoded":
        assert all(score < maximum for score, maximum in scores.values()), summary
    elif kind == "broken":
        assert result.score == 0
        assert result.error, "a broken submission must carry an error message"
        assert path.name in result.error
    else:
        pytest.fail(f"fixture {path.name} has an unknown outcome '{kind}'")
