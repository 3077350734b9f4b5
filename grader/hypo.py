"""Hypothesis, used twice: to draw a fixed set of inputs, and to shrink a failure.

The grade depends only on the drawn inputs, which are derandomized by the spec's seed
(same submission, same grade, on every run). Shrinking runs only after a failure and
only improves the message: it turns the first failing input into a minimal one.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader import __version__, plain
from grader.errors import SpecError

if TYPE_CHECKING:
    from hypothesis import settings
    from hypothesis import strategies as st



@functools.cache
def hypothesis_version() -> str:
    """From the installed metadata (2 ms, once per process): without importing Hypothesis, which
    a grade whose inputs are all cached never needs."""
    return version("hypothesis")


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
Probe = Callable[[Any], Any | None]


def shrink(strategy: st.SearchStrategy[Any] | Callable[[], st.SearchStrategy[Any]], seed_value: int,
           max_examples: int, probe: Probe, budget_seconds: float, max_probes: int = MAX_PROBES,
           memory: ShrinkMemory | None = None) -> tuple[Any, Any] | None:
    """Hypothesis's smallest failing example for `probe` (which returns a problem or None).

    Bounded by a count of probes, not by time, so that the same submission gets the same
    counterexample on every machine: past the bound, the smallest failure seen so far is
    reported (Hypothesis only ever tries examples smaller than its current best). The time
    budget is a last guard against a slow submission. Returns None when no failure was found.

    With a `memory`, a submission that answers the probes as an earlier one did follows the
    remembered path (see ShrinkMemory); Hypothesis itself runs (and is imported: a tenth of a
    second) only for a new path, so `strategy` may be a function that builds it then.
    """
    stop_at = time.monotonic() + budget_seconds
    if memory is not None:
        replayed = memory.replay(probe, max_probes, stop_at)
        if replayed is _NEW_PATH and memory.refresh():  # another worker may have met this mistake
            replayed = memory.replay(probe, max_probes, stop_at)
        if replayed is not _NEW_PATH:
            return replayed  # type: ignore[return-value]
    path: list[tuple[Any, bool]] = []
    built = strategy() if callable(strategy) else strategy
    found, complete = _run_hypothesis(built, seed_value, max_examples, probe, stop_at, max_probes, path)
    if memory is not None and complete:
        memory.remember(path)
    return found


def _run_hypothesis(strategy: st.SearchStrategy[Any], seed_value: int, max_examples: int, probe: Probe,
                    stop_at: float, max_probes: int,
                    path: list[tuple[Any, bool]]) -> tuple[tuple[Any, Any] | None, bool]:
    """The search itself, recording each probe and its verdict; also says whether it ended on its
    own or at the probe bound (a path worth remembering) rather than at the time guard or an error."""
    from hypothesis import Phase, given, seed

    best: list[tuple[Any, Any]] = []
    timed_out = False

    @_settings(max_examples, [Phase.generate, Phase.shrink])
    @seed(seed_value)
    @given(strategy)
    def search(example: Any) -> None:
        nonlocal timed_out
        if len(path) >= max_probes:
            raise _OutOfTime()
        if time.monotonic() > stop_at:
            timed_out = True
            raise _OutOfTime()
        problem = probe(example)
        path.append((example, problem is not None))
        if problem is not None:
            best[:] = [(example, problem)]
            raise _Failed(example, problem)

    try:
        search()
    except _Failed as failure:
        return (failure.example, failure.problem), True
    except _OutOfTime:
        return (best[0] if best else None), not timed_out
    except Exception:  # a lost session aborts the search: the caller falls back
        return None, False
    return None, True


_NEW_PATH = object()


@dataclass
class _Step:
    """A point of a remembered search: the probe Hypothesis asks next, or the end of the search."""

    probe: Any = None
    text: str = ""  # the probe in canonical form, to check that two paths agree
    after: dict[bool, _Step] = field(default_factory=dict)  # by whether the probe failed
    ended: bool = False


class ShrinkMemory:
    """Which probes Hypothesis asked, in order, for each sequence of verdicts it got.

    With its seed fixed, Hypothesis decides every next probe from the verdicts so far, so a
    submission whose verdicts follow a remembered path gets the very probes, and the very
    counterexample, a fresh search would give it: only Hypothesis's own per-example work,
    most of a shrink's time, is saved. Submissions in one class often share a mistake, and
    so a path. Kept in memory and, as a cache only, on disk (grader.plain's exact encoding)."""

    MAX_PATHS = 400

    def __init__(self, file: Path | None = None) -> None:
        self._root = _Step()
        self._file = file
        self._paths: list[list[tuple[Any, bool]]] = []
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None  # the file's (mtime, size) when last read or written
        self.refresh()

    def refresh(self) -> bool:
        """Take in the paths other workers stored since the last look; True when any was new."""
        if self._file is None:
            return False
        try:
            stat = self._file.stat()
            if (stat.st_mtime_ns, stat.st_size) == self._seen:
                return False
            stored = _checked(json.loads(self._file.read_text()))
            self._seen = (stat.st_mtime_ns, stat.st_size)
        except (OSError, ValueError):
            return False
        added = False
        with self._lock:
            for item in stored:
                try:
                    added |= self._insert([(plain.decode(example), bool(failed)) for example, failed in item])
                except (SpecError, TypeError, ValueError):
                    continue  # only a cache: what can be read is kept
        return added

    def replay(self, probe: Probe, max_probes: int, stop_at: float) -> tuple[Any, Any] | None | object:
        """The remembered search's outcome for this probe function, or _NEW_PATH when its
        verdicts leave every remembered path (the caller then searches afresh)."""
        step, best, asked = self._root, None, 0
        while not step.ended:
            if time.monotonic() > stop_at:
                return best  # the last guard, as in a fresh search: the smallest failure so far
            if step.probe is None or asked >= max_probes:
                return _NEW_PATH
            try:
                problem = probe(step.probe)
            except Exception:
                return None  # as in a fresh search: a lost session, and the caller falls back
            asked += 1
            if problem is not None:
                best = (step.probe, problem)
            following = step.after.get(problem is not None)
            if following is None:
                return _NEW_PATH
            step = following
        return best

    def remember(self, path: list[tuple[Any, bool]]) -> None:
        self.refresh()  # keep what another worker wrote meanwhile
        with self._lock:
            if len(self._paths) >= self.MAX_PATHS or not self._insert(path) or self._file is None:
                return  # full: what is known stays, new searches are not kept
            stored = [[[plain.encode(example), failed] for example, failed in known] for known in self._paths]
            _write_json(self._file, {"paths": stored, "sha256": _digest(stored)})
            with contextlib.suppress(OSError):
                stat = self._file.stat()
                self._seen = (stat.st_mtime_ns, stat.st_size)

    def _insert(self, path: list[tuple[Any, bool]]) -> bool:
        """Add a path; False when it is known already or disagrees with a known one (which a
        fixed seed rules out: what is known is kept)."""
        try:
            texts = [json.dumps(plain.encode(example), sort_keys=True) for example, _ in path]
        except TypeError:
            return False  # an example the cache cannot store: nothing is remembered
        step, added = self._root, False
        for (example, failed), text in zip(path, texts, strict=True):
            if step.ended:
                return False
            if step.probe is None:
                step.probe, step.text, added = example, text, True
            elif step.text != text:
                return False
            step = step.after.setdefault(failed, _Step())
        if step.probe is not None:
            return False
        if not step.ended:
            step.ended = added = True
        if added:
            self._paths.append(path)
        return added


def _digest(paths: Any) -> str:
    return hashlib.sha256(json.dumps(paths, sort_keys=True).encode()).hexdigest()


def _checked(stored: Any) -> list[Any]:
    """The paths of a cache file whose digest matches them; anything else is a damaged file."""
    if not isinstance(stored, dict) or not isinstance(stored.get("paths"), list) \
            or stored.get("sha256") != _digest(stored["paths"]):
        raise ValueError("not a shrink-path file")
    return stored["paths"]


_memories: dict[str, ShrinkMemory] = {}
_memories_lock = threading.Lock()


def shrink_memory(key: str, seed_value: int, max_examples: int, max_probes: int = MAX_PROBES) -> ShrinkMemory:
    """The process's memory of one check's searches (loaded from the cache folder at first use)."""
    ident = hashlib.sha256(json.dumps(["shrink", key, seed_value, max_examples, max_probes, __version__,
                                       hypothesis_version()]).encode()).hexdigest()[:32]
    with _memories_lock:
        if ident not in _memories:
            _memories[ident] = ShrinkMemory(cache_dir() / f"shrink-{ident}.json")
        return _memories[ident]


# --------------------------------------------------------------- on-disk cache


def cache_dir() -> Path:
    root = os.environ.get("GRADER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "exercise-grader")
    return Path(root)


def _write_json(path: Path, data: Any) -> None:
    """Replace a cache file whole (never half-written); a cache that cannot be written is skipped."""
    text = json.dumps(data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError:
        with contextlib.suppress(OSError, NameError):
            os.unlink(handle.name)
