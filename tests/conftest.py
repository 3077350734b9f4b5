"""Shared, expensive objects: one warm sandbox and one loaded assignment for the whole run."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from grader.pipeline import Assignment, load_assignment
from grader.sandbox.client import Sandbox
from grader.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = ROOT / "assignments" / "linreg" / "spec.toml"
EXERCISES = ("linreg", "logreg")  # every exercise this project ships
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "submissions"


@pytest.fixture(scope="session")
def assignment() -> Assignment:
    return load_assignment(load_spec(SPEC_PATH))


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as warm:
        yield warm
