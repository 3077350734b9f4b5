"""The fixture catalogue is what tests/fixtures/make_fixtures.py writes, and its names parse."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUBMISSIONS = FIXTURES / "submissions"
NAME = re.compile(r"^(pass|hardcoded|broken|(fail|timeout)-(Loss|gradient_descent|update))__[a-z0-9_]+\.[a-z0-9]+$")


def _generator():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_catalogue_is_reproducible() -> None:
    from .fixtures.kit import stale

    assert stale(_generator().build(), SUBMISSIONS) == [], "run tests/fixtures/make_fixtures.py"


def test_names_follow_the_convention() -> None:
    names = [path.name for path in SUBMISSIONS.iterdir() if path.is_file()]
    assert [name for name in names if not NAME.match(name)] == []
    outcomes = [name.split("__")[0] for name in names]
    assert outcomes.count("pass") >= 8
    assert outcomes.count("fail-Loss") >= 7
    assert outcomes.count("fail-gradient_descent") >= 6
    assert outcomes.count("fail-update") >= 7
    for name in names:
        if not name.startswith("broken__"):
            assert name.endswith((".py", ".ipynb")), name
