"""The function every batch worker runs: grade one file with a warm sandbox it keeps.

A worker (a local pool process or a Dask worker) keeps one loaded assignment and one
warm sandbox per thread, so that neither the spec, the reference's answers, nor a
Python-plus-numpy start is paid per submission. Whatever happens, it returns a
result as plain JSON: one bad submission never stops the batch.
"""

from __future__ import annotations

import os
import threading
import traceback
from multiprocessing import util
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.messages import use
from grader.pipeline import Assignment, failed_result, grade_path, load_assignment
from grader.sandbox.client import Runner, start_runner
from grader.spec import load_spec

_local = threading.local()


def _state(spec_path: str) -> tuple[Assignment, Runner]:
    state = getattr(_local, "state", None)
    if state is None or state[0] != spec_path:
        if state is not None:
            state[2].close()
        assignment = load_assignment(load_spec(Path(spec_path)))
        sandbox = _new_sandbox()
        state = (spec_path, assignment, sandbox)
        _local.state = state
    return state[1], state[2]


def _new_sandbox() -> Runner:
    """A sandbox closed (and waited for) when this worker process exits. Not with atexit alone: a
    pool worker ends with os._exit, which runs no atexit hook but multiprocessing's finalizers
    (which an ordinary exit runs too); else the sandbox's processes would outlive the worker."""
    sandbox = start_runner("official")
    util.Finalize(sandbox, sandbox.close, exitpriority=10)
    return sandbox


def _restart_sandbox() -> None:
    state = getattr(_local, "state", None)
    if state is not None:
        state[2].close()
        sandbox = _new_sandbox()
        _local.state = (state[0], state[1], sandbox)
        cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
        if len(cpus) == 1:  # this worker was pinned: keep its new sandbox on the same CPU
            sandbox.pin(min(cpus))


def grade_file(spec_path: str, path: str, student: str | None, lang: str = "en") -> dict[str, Any]:
    """Grade one submission, its feedback in `lang`; returns SubmissionResult.to_json() (never raises for the
    student's sake)."""
    with use(lang):
        return _grade_file(spec_path, path, student)


def _grade_file(spec_path: str, path: str, student: str | None) -> dict[str, Any]:
    assignment, sandbox = _state(spec_path)
    for attempt in range(2):
        try:
            return grade_path(Path(path), assignment, sandbox, student).to_json()
        except GraderError as error:
            if attempt == 0:
                _restart_sandbox()
                assignment, sandbox = _state(spec_path)
                continue
            message = f"{Path(path).name}: the grader could not grade this file ({error.message})"
        except Exception as error:  # a grader bug must cost one row, not the batch
            message = f"{Path(path).name}: internal grader error ({type(error).__name__}: {error})"
            traceback.print_exc()
            break
    return failed_result(Path(path), assignment.spec, message, student, None).to_json()


def warm(spec_path: str, counter: Any = None) -> None:
    """Pool initializer: pay the start-up once per worker, before the first submission arrives,
    and give each worker (with its sandbox) a CPU of its own."""
    _, sandbox = _state(spec_path)
    if counter is not None and hasattr(os, "sched_getaffinity"):
        with counter.get_lock():
            index = counter.value
            counter.value += 1
        cpus = sorted(os.sched_getaffinity(0))
        sandbox.pin(cpus[index % len(cpus)])
