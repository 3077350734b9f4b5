"""Grade a whole class: discover -> grade in parallel (local pool or Dask) -> store -> write outputs.

Results go to the store the moment each submission finishes; the output files are
written from the store at the end, each atomically. A batch killed at any moment is
resumed by running the same command again.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from grader import one_blas_thread
from grader.batch.identity import Discovery, Identity, discover, extract_zip
from grader.batch.rows import Row
from grader.batch.store import ResultStore, content_key
from grader.messages import current, normalize
from grader.results import SubmissionResult
from grader.spec import AssignmentSpec


@dataclass(frozen=True)
class Job:
    identity: Identity
    key: str


@dataclass
class BatchReport:
    """What happened, for the final summary and the exit code."""

    graded: int = 0
    reused: int = 0
    failed: int = 0
    crashed: int = 0  # the grader's own failures: blank grades, retried when the batch runs again
    full_marks: int = 0
    total: int = 0
    seconds: float = 0.0
    discovery: Discovery | None = None
    rows: dict[str, Row] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


class Executor(Protocol):
    def start(self, spec_path: str) -> None: ...

    def close(self) -> None: ...

    def run(self, spec_path: str, jobs: list[Job], lang: str) -> Iterator[tuple[Job, dict[str, Any]]]: ...


# What runs in a worker, named here so that the coordinating process never imports the engine
# (numpy, the checks, the sandbox client): it only hands out paths and stores results.

def grade_file(spec_path: str, path: str, student: str | None, lang: str = "en") -> dict[str, Any]:
    """A worker is a process of its own: the language of the feedback travels with each job."""
    one_blas_thread()
    from grader.batch.worker import grade_file as grade

    return grade(spec_path, path, student, lang)


def warm(spec_path: str, counter: Any = None) -> None:
    # Ctrl-C reaches the whole process group: the coordinator alone handles it, stopping the pool
    # after the submissions in hand, so that a worker never dies half-way with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    one_blas_thread()
    from grader.batch.worker import warm as warm_worker

    warm_worker(spec_path, counter)


class LocalPool:
    """Worker processes on this machine, each with its own warm sandbox."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._warming: ProcessPoolExecutor | None = None

    def start(self, spec_path: str) -> None:
        """Start the workers now, so that they warm up (Python, numpy, the sandbox) while the
        submissions are found and hashed."""
        if self._warming is None:
            self._warming = self._pool(spec_path)
            for _ in range(self.workers):
                self._warming.submit(os.getpid)  # a first task makes the pool start a worker

    def close(self) -> None:
        """Stop workers started for a run that never came (nothing left to grade, say)."""
        if self._warming is not None:
            self._warming.shutdown(cancel_futures=True)
            self._warming = None
        _stop_resource_tracker()

    def _pool(self, spec_path: str) -> ProcessPoolExecutor:
        context = get_context("spawn")
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                   initializer=warm, initargs=(spec_path, context.Value("i", 0)))

    def run(self, spec_path: str, jobs: list[Job], lang: str = "en") -> Iterator[tuple[Job, dict[str, Any]]]:
        """Yield each job's result as it finishes; a worker that dies is replaced and its job retried once."""
        pending = list(jobs)
        retried: set[str] = set()
        while pending:
            queue, pending = iter(pending), []
            pool, self._warming = self._warming or self._pool(spec_path), None
            futures: dict[Future[dict[str, Any]], Job] = {}
            broken = False
            try:
                for _ in range(self.workers * 2):
                    self._submit(pool, futures, queue, spec_path, lang)
                while futures and not broken:
                    done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                    for future in done:
                        job = futures.pop(future)
                        try:
                            data = future.result()
                        except BrokenProcessPool:
                            broken = True
                            if job.key in retried:
                                yield job, _crashed(job)
                            else:
                                retried.add(job.key)
                                pending.append(job)
                            continue
                        yield job, data
                        if not broken:
                            self._submit(pool, futures, queue, spec_path, lang)
                if broken:
                    pending += list(futures.values()) + list(queue)
            finally:
                pool.shutdown(wait=not broken, cancel_futures=True)
                del pool  # with its initializer's shared counter, whose semaphore the tracker would unlink
        _stop_resource_tracker()

    @staticmethod
    def _submit(pool: ProcessPoolExecutor, futures: dict[Future[dict[str, Any]], Job], queue: Iterator[Job],
                spec_path: str, lang: str) -> None:
        job = next(queue, None)
        if job is not None:
            futures[pool.submit(grade_file, spec_path, str(job.identity.path), job.identity.student_key, lang)] = job


def _stop_resource_tracker() -> None:
    """The pool's queues make multiprocessing start a resource tracker process, which it never
    waits for: it would end after the batch, orphaned. Once the workers are gone, end it and wait
    (multiprocessing starts it again if a later pool needs it)."""
    from multiprocessing import resource_tracker

    gc.collect()  # the pools' semaphores are released first (else the tracker unlinks them as leaked)
    stop = getattr(resource_tracker._resource_tracker, "_stop", None)  # (no public way in 3.11)
    if stop is not None:
        stop()


def _crashed(job: Job) -> dict[str, Any]:
    return {"crashed": f"{job.identity.path.name}: the grading worker died twice on this submission"}


class DaskExecutor:
    """The same jobs on a Dask distributed cluster; each worker keeps its own warm sandbox."""

    def __init__(self, address: str) -> None:
        self.address = address

    def start(self, spec_path: str) -> None:
        """Nothing to start: the cluster's workers are already running."""

    def close(self) -> None:
        """Nothing to stop: the cluster outlives the batch."""

    def run(self, spec_path: str, jobs: list[Job], lang: str = "en") -> Iterator[tuple[Job, dict[str, Any]]]:
        try:
            from distributed import Client, as_completed
        except ImportError:
            from grader.errors import UsageError

            raise UsageError("--dask needs the optional dependency: pip install 'exercise-grader[dask]'") from None
        with Client(self.address) as client:
            futures = {client.submit(grade_file, spec_path, str(job.identity.path), job.identity.student_key, lang,
                                     key=f"grade-{job.key}", pure=False, retries=1): job for job in jobs}
            for future in as_completed(list(futures)):
                job = futures[future]
                try:
                    yield job, future.result()
                except Exception as error:  # a lost worker costs one row, never the batch
                    yield job, {"crashed": f"{job.identity.path.name}: the Dask task failed ({error})"}


def collect(source: Path, scratch: Path) -> tuple[Path, Discovery]:
    """A folder as it is, or an LMS download zip extracted (safely) into the scratch folder."""
    if source.is_file() and source.suffix.lower() == ".zip":
        target = scratch / "extracted"
        shutil.rmtree(target, ignore_errors=True)
        root = extract_zip(source, target)
        return root, discover(root)
    return source, discover(source)


def run_batch(source: Path, out: Path, spec: AssignmentSpec, spec_path: Path, *, executor: Executor,
              all_submissions: bool = False, progress: Callable[[int, int], None] | None = None,
              lang: str | None = None) -> BatchReport:
    """Grade what is not in the store yet; `lang` (default: the current language) is the feedback's, and
    part of each stored result's key, so that a batch in another language grades again rather than mixes."""
    lang = normalize(lang) if lang else current()
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    root, discovery = collect(source, out / ".work")
    chosen = list(discovery.submissions) + (list(discovery.superseded) if all_submissions else [])
    report = BatchReport(discovery=discovery, total=len(chosen))
    store = ResultStore(out / "results.sqlite")
    try:
        jobs: list[Job] = []
        for identity in chosen:
            key = content_key(identity.path, spec.digest, lang)
            stored = store.get(key)
            if stored is not None:
                report.rows[_row_key(identity, all_submissions)] = Row(identity, stored)
                report.reused += 1
            else:
                jobs.append(Job(identity, key))
        done = report.reused
        if progress:
            progress(done, report.total)
        for job, data in executor.run(str(spec_path), jobs, lang):
            _record(report, store, job, data, all_submissions)
            done += 1
            if progress:
                progress(done, report.total)
    finally:
        store.close()
    for row in report.rows.values():
        if row.result is not None:
            report.full_marks += int(row.result.full_marks)
            report.failed += int(row.result.error is not None)
    report.seconds = time.monotonic() - started
    return report


def _record(report: BatchReport, store: ResultStore, job: Job, data: dict[str, Any], all_submissions: bool) -> None:
    """One submission's row, whatever it did: a result that cannot be read or stored is a crashed
    row with its error (not stored, so running the batch again retries it), and the batch goes on."""
    key = _row_key(job.identity, all_submissions)
    if "crashed" not in data:
        try:
            result = SubmissionResult.from_json(data)
            store.put(job.key, job.identity.student_key, job.identity.path, result)
        except Exception as error:  # noqa: BLE001 (one submission's row, never the batch)
            data = {"crashed": f"{job.identity.path.name}: its result could not be stored "
                               f"({type(error).__name__}: {str(error)[:200]})"}
        else:
            report.rows[key] = Row(job.identity, result)
            report.graded += 1
            return
    report.rows[key] = Row(job.identity, error=str(data["crashed"]))
    report.crashed += 1


def _row_key(identity: Identity, all_submissions: bool) -> str:
    return f"{identity.student_key}:{identity.path}" if all_submissions else identity.student_key


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
