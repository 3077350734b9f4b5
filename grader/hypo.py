"""Hypothesis, used twice: to draw a fixed set of inputs, and to shrink a failure.

The grade depends only on the drawn inputs, which are derandomized by the spec's seed
(same submission, same grade, on every run). Shrinking runs only after a failure and
only improves the message: it turns the first failing input into a minimal one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grader import __version__

if TYPE_CHECKING:
    from hypothesis import settings
    from hypothesis import strategies as st



def _settings(max_examples: int, phases: list[Any]) -> settings:
    import hypothesis
    from hypothesis import HealthCheck, settings

    return settings(max_examples=max_examples, database=None, deadline=None, phases=phases,
                    suppress_health_check=list(HealthCheck), report_multiple_bugs=False, print_blob=False,
                    verbosity=hypothesis.Verbosity.quiet)


def draw_examples(strategy: st.SearchStrategy[Any], seed_value: int, max_examples: int) -> list[Any]:
    """The inputs a check runs on: what Hypothesis generates for this seed, in order."""
    from hypothesis import Phase, given, seed

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


MAX_PROBES = 150


def shrink(strategy: st.SearchStrategy[Any], seed_value: int, max_examples: int,
           probe: Callable[[Any], Any | None], budget_seconds: float,
           max_probes: int = MAX_PROBES) -> tuple[Any, Any] | None:
    """Hypothesis's smallest failing example for `probe` (which returns a problem or None).

    Bounded by a count of probes, not by time, so that the same submission gets the same
    counterexample on every machine: past the bound, the smallest failure seen so far is
    reported (Hypothesis only ever tries examples smaller than its current best). The time
    budget is a last guard against a slow submission. Returns None when no failure was found.
    """
    from hypothesis import Phase, given, seed

    stop_at = time.monotonic() + budget_seconds
    probes = 0
    best: list[tuple[Any, Any]] = []

    @_settings(max_examples, [Phase.generate, Phase.shrink])
    @seed(seed_value)
    @given(strategy)
    def search(example: Any) -> None:
        nonlocal probes
        if probes >= max_probes or time.monotonic() > stop_at:
            raise _OutOfTime()
        probes += 1
        problem = probe(example)
        if problem is not None:
            best[:] = [(example, problem)]
            raise _Failed(example, problem)

    try:
        search()
    except _Failed as failure:
        return failure.example, failure.problem
    except _OutOfTime:
        return best[0] if best else None
    except Exception:  # a lost session aborts the search: the caller falls back
        return None
    return None


# --------------------------------------------------------------- on-disk cache


def cache_dir() -> Path:
    root = os.environ.get("GRADER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "exercise-grader")
    return Path(root)


def _to_plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return {"a": value.dtype.str, "s": list(value.shape),
                "b": base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, float):
        return {"f": value.hex()}
    if isinstance(value, int):
        return {"i": value}
    if isinstance(value, tuple):
        return {"t": [_to_plain(v) for v in value]}
    if isinstance(value, list):
        return {"l": [_to_plain(v) for v in value]}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _from_plain(data: Any) -> Any:
    if "a" in data:
        return np.frombuffer(base64.b64decode(data["b"]), dtype=np.dtype(data["a"])).reshape(data["s"]).copy()
    if "bool" in data:
        return bool(data["bool"])
    if "f" in data:
        return float.fromhex(data["f"])
    if "i" in data:
        return int(data["i"])
    if "t" in data:
        return tuple(_from_plain(v) for v in data["t"])
    return [_from_plain(v) for v in data["l"]]


def draw_examples_cached(key: str, strategy: Callable[[], st.SearchStrategy[Any]], seed_value: int,
                         max_examples: int) -> list[Any]:
    """draw_examples, kept on disk: the drawn inputs depend only on the key, seed, count and versions.

    Drawing is the slow part of a grade; the cache makes a repeated `grade` fast. It is only
    a cache: a missing, unreadable or corrupt file is redrawn, and the grade is the same.
    """
    ident = hashlib.sha256(json.dumps([key, seed_value, max_examples, __version__,
                                       version("hypothesis")]).encode()).hexdigest()[:32]
    path = cache_dir() / f"examples-{ident}.json"
    try:
        return [_from_plain(item) for item in json.loads(path.read_text())]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    drawn = draw_examples(strategy(), seed_value, max_examples)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            json.dump([_to_plain(item) for item in drawn], handle)
        os.replace(handle.name, path)
    except (OSError, TypeError):
        pass
    return drawn
