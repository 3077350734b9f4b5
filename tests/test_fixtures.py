"""Every fixture submission gets the outcome its file name promises (see fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.pipeline import Assignment, grade_path
from grader.sandbox.client import Sandbox

from .conftest import FIXTURES
from .outcomes import assert_outcome

CASES = sorted(p for p in FIXTURES.iterdir() if "__" in p.name)


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fixture_outcome(path: Path, assignment: Assignment, sandbox: Sandbox) -> None:
    assert_outcome(path, grade_path(path, assignment, sandbox))
