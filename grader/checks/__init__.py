"""The built-in check kinds, by the name a spec gives them (see grader/spec/kinds.py for their settings).

Each kind is a module with two functions: `prepare(PrepareContext) -> dict`, run by `grade build`
in the grader's process (with the reference) to compute what the check compares against, and
`run(CheckContext) -> Verdict`, which grades one submission with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.checks import against_reference, cases, driver, trajectory
from grader.checks.context import CheckContext, PrepareContext, Verdict


@dataclass(frozen=True)
class Kind:
    prepare: Callable[[PrepareContext], dict[str, Any]]
    run: Callable[[CheckContext], Verdict]


KINDS: dict[str, Kind] = {
    "against_reference": Kind(against_reference.prepare, against_reference.run),
    "cases": Kind(cases.prepare, cases.run),
    "trajectory": Kind(trajectory.prepare, trajectory.run),
    "driver": Kind(driver.prepare, driver.run),
}
