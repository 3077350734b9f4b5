"""Hypothesis, used twice: to draw a fixed set of inputs, and to shrink a failure.

The grade depends only on the drawn inputs, which are derandomized by the spec's seed
(same submission, same grade, on every run). Shrinking runs only after a failure and
only improves the message: it turns the first failing input into a minimal one.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import hypothesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st


def settings_record(max_examples: int) -> dict[str, Any]:
    return {"max_examples": max_examples, "phases": ["generate", "shrink"], "database": None,
            "deadline": None, "hypothesis": hypothesis.__version__}


def _settings(max_examples: int, phases: list[Phase]) -> settings:
    return settings(max_examples=max_examples, database=None, deadline=None, phases=phases,
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False,
                    verbosity=hypothesis.Verbosity.quiet)


def draw_examples(strategy: st.SearchStrategy[Any], seed_value: int, max_examples: int) -> list[Any]:
    """The inputs a check runs on: what Hypothesis generates for this seed, in order."""
    drawn: list[Any] = []

    @_settings(max_examples, [Phase.generate])
    @seed(seed_value)
    @given(strategy)
    def record(example: Any) -> None:
        drawn.append(example)

    record()
    return drawn


class _Failed(Exception):
    def __init__(self, example: Any, problem: Any) -> None:
        super().__init__("failed")
        self.example = example
        self.problem = problem


class _OutOfTime(Exception):
    pass


def shrink(strategy: st.SearchStrategy[Any], seed_value: int, max_examples: int,
           probe: Callable[[Any], Any | None], budget_seconds: float) -> tuple[Any, Any] | None:
    """Hypothesis's minimal failing example for `probe` (which returns a problem or None).

    Returns None when no failure was found or the time budget ran out; the caller then
    reports the first failing drawn input as it is.
    """
    stop_at = time.monotonic() + budget_seconds

    @_settings(max_examples, [Phase.generate, Phase.shrink])
    @seed(seed_value)
    @given(strategy)
    def search(example: Any) -> None:
        if time.monotonic() > stop_at:
            raise _OutOfTime()
        problem = probe(example)
        if problem is not None:
            raise _Failed(example, problem)

    try:
        search()
    except _Failed as failure:
        return failure.example, failure.problem
    except _OutOfTime:
        return None
    except Exception:  # a lost session aborts the search: the caller falls back
        return None
    return None
