"""The grader's side of the sandbox: start the warm worker, run submissions, talk to sessions.

Every way a student's process can misbehave (exit, raise, loop, flood, lie on the
channel) surfaces here as a `SessionLost` or a `Reply` value, never as an exception
that escapes into the grading of another check or another submission.
"""

from __future__ import annotations

import abc
import functools
import itertools
import json
import math
import os
import secrets
import signal
import socket
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

import numpy as np

from grader.errors import SandboxError
from grader.sandbox import cgroups
from grader.sandbox import isolation as isolation_mod
from grader.sandbox.boundary import clean_text, decode_frame, halts, optional_text, texts
from grader.sandbox.inside import standins, wire
from grader.sandbox.records import CallTable, decode_records
from grader.spec import Limits
from grader.values import Value, from_wire

_ids = itertools.count(1)

def printable(text: str) -> str:
    """Student text with its control characters (but newline and tab) and lone surrogates
    replaced by U+FFFD (see boundary.clean_text)."""
    return clean_text(text)


class SessionLost(Exception):
    """The student's process stopped answering: timeout, exit, or a malformed reply."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind  # "timeout" | "exited" | "protocol"
        self.detail = detail


@dataclass(frozen=True)
class StudentError:
    type: str
    message: str
    traceback: tuple[str, ...]

    def render(self) -> str:
        lines = [self.message]
        lines += [f"  {line}" for line in self.traceback]
        return "\n".join(lines)


@dataclass(frozen=True)
class Reply:
    kind: str  # "returned" | "raised" | "missing"
    value: Value | None = None
    error: StudentError | None = None
    records: dict[str, CallTable] = field(default_factory=dict)  # every stand-in call, by function
    printed: str | None = None  # what a driver printed while it ran (when asked to capture it)


@dataclass(frozen=True)
class Descent:
    """Where a function's own answers led: one row per step taken, and the reply that ended
    the descent early (None when every step was taken)."""

    answers: np.ndarray
    stopped: Reply | None


@dataclass(frozen=True)
class Batch:
    """Independent calls of one function, encoded once: a check's drawn inputs are the same for
    every submission of a class, and so is this frame."""

    name: str
    count: int
    frame: bytes

    @staticmethod
    def of(name: str, argsets: Sequence[Sequence[Any]], stand_ins: StandIns | None = None) -> Batch:
        message: dict[str, Any] = {"op": "map", "name": name,
                                   "argsets": [[_encode_arg(a) for a in args] for args in argsets]}
        if stand_ins:
            message["stand_ins"] = {key: s.to_wire() for key, s in stand_ins.items()}
        return Batch(name, len(argsets), wire.pack(message))


OWN = standins.OWN  # an "ask" stand-in's answer that means: the submission's own function answers


@dataclass(frozen=True)
class StandIn:
    """A function of the submission replaced while another is checked (see inside/standins.py):
    `script` answers with `values` in turn, `own` lets the submission's function answer (recorded),
    `ask` has the grader answer each call with `answer(index, args)` (the index of the call of a
    batch; the value, OWN, or a ValueError whose message the student's code receives as a TypeError)."""

    mode: Literal["script", "own", "ask"]
    params: tuple[str, ...]
    values: Sequence[Any] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    answer: Callable[[int, tuple[Any, ...]], Any] | None = None
    record: bool = True

    def to_wire(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"mode": self.mode, "params": list(self.params), "record": self.record,
                                "defaults": {k: _encode_arg(v) for k, v in self.defaults.items()}}
        if self.mode == "script":
            spec.update(_script_values(self.values))
        return spec


StandIns = Mapping[str, StandIn]


class OutputCollector:
    """Drains a submission's stdout/stderr so it never blocks, keeping only the first bytes."""

    def __init__(self, fd: int, limit: int) -> None:
        self._fd = fd
        self._limit = limit
        self._chunks: list[bytes] = []
        self._kept = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 65536)
            except OSError:
                break
            if not data:
                break
            room = self._limit - self._kept
            if room > 0:
                self._chunks.append(data[:room])
                self._kept += min(room, len(data))
            self.dropped += max(0, len(data) - max(room, 0))
        os.close(self._fd)

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", "replace")

    def wait(self, timeout: float) -> None:
        self._thread.join(timeout)


@dataclass(frozen=True)
class Kept:
    """A value already in the session (see Session.keep); `value` is the grader's own copy."""

    index: int
    value: Any


def _encode_arg(value: Any) -> dict[str, Any]:
    if isinstance(value, Kept):
        return {"t": "kept", "i": value.index}
    if isinstance(value, np.ndarray):
        return wire.encode_array(value)
    return wire.encode_result(value)


class Runner(abc.ABC):
    """Where submissions run: the sandbox's warm worker (Sandbox) or fresh interpreters started as
    new programs (portable.PortableSandbox). A SubmissionProcess talks to either the same way."""

    isolation: isolation_mod.Isolation
    forks = True  # a loaded submission serves each part from a fork of itself; else each part loads anew
    last_peak_bytes: int | None = None  # the last ended submission's peak memory, where it was counted

    def open(self, units: list[dict[str, str]], limits: Limits, kind: str = "python",
             top_level: str = "run", deadline: float = math.inf) -> SubmissionProcess:
        """Load a submission: `kind` "python" (a module) or "notebook" (cells); `top_level` "run"
        (as Python runs it) or "salvage" (failing and idle top-level statements skipped);
        `deadline` (time.monotonic) ends the submission's whole time budget, restarts included."""
        return SubmissionProcess(self, units, limits, kind, top_level, deadline)

    @property
    @abc.abstractmethod
    def note(self) -> str | None:
        """The report's isolation note: None when every layer of the strong sandbox held."""

    @property
    @abc.abstractmethod
    def versions(self) -> dict[str, str]:
        """The numpy and Python versions the submissions run with."""

    def pin(self, cpu: int) -> None:  # noqa: B027 (a runner that cannot pin does nothing)
        """Keep the grader and its submissions on one CPU, where the runner can."""

    @abc.abstractmethod
    def _start(self, limits: Limits) -> tuple[str, socket.socket, OutputCollector]:
        """A fresh process for one submission: its id, its channel, and its output."""

    @abc.abstractmethod
    def _kill(self, ident: str, status: bool = False) -> int | None:
        """End a submission's processes; with `status`, first learn how it ended, if it did."""

    def _sweep(self, ident: str) -> None:  # noqa: B027 (a runner that ends each part's process has nothing to sweep)
        """Kill whatever the part that just ended left running."""

    @abc.abstractmethod
    def close(self) -> None:
        """End the runner; when this returns, no process it started is left."""

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_runner(purpose: isolation_mod.Purpose = "official",
                 started: isolation_mod.Started | None = None) -> Runner:
    """The runner a grade uses (see isolation.detect): the sandbox, or for a self-check where
    bubblewrap is missing (or wherever $GRADER_ISOLATION=portable asks for it) the portable runner.
    `started`: a sandbox's worker already on its way up, for that purpose."""
    if started is not None:
        return Sandbox(started=started)
    isolation = isolation_mod.detect(purpose)
    if isolation.mode == "portable":
        from grader.sandbox.portable import PortableSandbox

        return PortableSandbox(isolation)
    return Sandbox(isolation)


class Sandbox(Runner):
    """One warm worker process (the zygote); submissions are graded in it one at a time."""

    def __init__(self, isolation: isolation_mod.Isolation | None = None,
                 started: isolation_mod.Started | None = None) -> None:
        started = started or isolation_mod.start_zygote(isolation)
        self.isolation, self._process, self._control = started.isolation, started.process, started.control
        self._ready: dict[str, Any] | None = None
        self._lock = threading.Lock()
        self._hierarchy = None if os.environ.get(CGROUPS_ENV) == "off" else cgroups.detect()
        self._groups: dict[str, cgroups.Group] = {}
        self._emptying: list[cgroups.Group] = []  # killed, removed once the kernel has emptied them
        self._group_failed = False  # a group could not be made: that submission had the rlimits only
        _open.add(self)
        _close_on_sigterm()

    def _request(self, message: dict[str, Any], fds: Sequence[int] = (), timeout: float = 30.0) -> dict[str, Any]:
        with self._lock:
            self._await_ready()
            try:
                socket.send_fds(self._control, [json.dumps(message).encode()], list(fds))
                return self._receive(timeout)
            except OSError as error:
                raise SandboxError(f"the sandbox stopped answering: {error}") from None

    def _receive(self, timeout: float) -> dict[str, Any]:
        self._control.settimeout(timeout)
        try:
            data = self._control.recv(65536)
        except TimeoutError:
            raise SandboxError("the sandbox did not answer in time") from None
        if not data:
            stderr = self._process.stderr.read().decode("utf-8", "replace") if self._process.stderr else ""
            raise SandboxError(f"the sandbox exited: {stderr.strip()[-500:]}")
        result: dict[str, Any] = json.loads(data)
        return result

    def _await_ready(self) -> None:
        if self._ready is None:
            ready = self._receive(60.0)
            problem = ready.get("self_test", "ok")
            if problem != "ok":
                raise SandboxError(f"the sandbox ({self.isolation.mode}) cannot isolate a submission here: "
                                   f"{str(problem)[:300]}; set {isolation_mod.ISOLATION_ENV}=fallback to grade "
                                   "with weaker isolation")
            self._ready = ready

    @property
    def versions(self) -> dict[str, str]:
        with self._lock:
            self._await_ready()
        assert self._ready is not None
        return {"numpy": str(self._ready.get("numpy")), "python": str(self._ready.get("python"))}

    @property
    def note(self) -> str | None:
        """The report's isolation note: the mode's own, and which limits held here when any of
        the sandbox's layers (per-submission cgroup, system-call filter) is missing."""
        with self._lock:
            self._await_ready()
        assert self._ready is not None
        return isolation_mod.note(self.isolation, None if self._hierarchy is None or self._group_failed
                                  else self._hierarchy.describe(), self._ready.get("seccomp") is True)

    def pin(self, cpu: int) -> None:
        """Run this grader thread's process and the sandbox's submissions on one CPU.

        Grading is a conversation (a trajectory is 1000 calls, one at a time); on a virtual
        machine a wake-up on another CPU costs more than the call itself, so keeping both
        ends on one CPU roughly halves a call's cost. A batch pins each worker to its own CPU."""
        if not hasattr(os, "sched_setaffinity"):
            return
        try:
            os.sched_setaffinity(0, {cpu})
        except OSError:
            return
        self._request({"op": "pin", "cpu": cpu})

    def _start(self, limits: Limits) -> tuple[str, socket.socket, OutputCollector]:
        ident = f"s{next(_ids)}"
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_r, out_w = os.pipe()
        procs = self._group_for(ident, limits)
        try:
            self._request({"op": "start", "id": ident,
                           "limits": {**limits.for_sandbox(), "output_kb": limits.output_kb}},
                          [theirs.fileno(), out_w, *procs])
        finally:
            theirs.close()
            os.close(out_w)
            for fd in procs:
                os.close(fd)
        return ident, mine, OutputCollector(out_r, limits.output_kb * 1024)

    def _group_for(self, ident: str, limits: Limits) -> list[int]:
        """Make the submission's cgroup where the machine allows; the files its process joins by."""
        if self._hierarchy is None:
            return []
        self._emptying = [g for g in self._emptying if not g.remove(0.0)]
        try:
            group = cgroups.Group(self._hierarchy, f"grade-{os.getpid()}-{ident}", limits.memory_mb,
                                  limits.processes)
        except OSError:
            self._group_failed = True
            return []
        self._groups[ident] = group
        try:
            return group.procs()
        except OSError:
            self._end_group(ident)
            self._group_failed = True
            return []

    def _end_group(self, ident: str) -> None:
        group = self._groups.pop(ident, None)
        if group is not None:
            # Whatever the zygote's kill missed (it cannot: a last guarantee, one pass). The kernel
            # empties the group while the next submission runs; it is removed then, or at close.
            group.kill(rounds=1)
            self.last_peak_bytes = group.peak_bytes()
            if not group.remove(0.0):
                self._emptying.append(group)

    def _sweep(self, ident: str) -> None:
        """Kill whatever the part that just ended left running (see the zygote's _sweep_part). Where
        the submission has a cgroup, the kernel's count says whether anything is left besides its
        loaded process (and, under bubblewrap, its namespace's init): then only is the sweep needed."""
        group = self._groups.get(ident)
        tasks = group.tasks() if group is not None else None
        if tasks is not None and tasks <= (2 if self.isolation.mode == "bubblewrap" else 1):
            return
        self._request({"op": "sweep", "id": ident})

    def _kill(self, ident: str, status: bool = False) -> int | None:
        """End a submission's processes; with `status`, first learn how it ended, if it did."""
        try:
            reply = self._request({"op": "kill", "id": ident, "status": status})
        finally:
            self._end_group(ident)
        code = reply.get("status")
        return code if type(code) is int else None

    def close(self) -> None:
        """End the sandbox; when this returns, no process it started is left (see ZygoteProcess)."""
        self._control.close()  # the zygote kills its submissions' processes and ends
        self._process.stop()
        for ident in list(self._groups):
            self._end_group(ident)
        for group in self._emptying:
            group.kill()
            group.remove()
        self._emptying = []
        if self._process.stderr:
            self._process.stderr.close()
        _open.discard(self)


CGROUPS_ENV = "GRADER_CGROUPS"  # "off": no per-submission cgroup even where one could be made (for tests)
_open: weakref.WeakSet[Runner] = weakref.WeakSet()  # the sandboxes of this process not yet closed


def _close_on_sigterm() -> None:
    """SIGTERM (a `kill`, a batch pool ending its workers) would end this process at once and leave
    its sandboxes to die after it: close them first, then end as SIGTERM would have. Only where
    nobody else handles SIGTERM (a handler can only be set from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def _on_sigterm(signum: int, frame: object) -> None:
    for sandbox in list(_open):
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001 (ending anyway: the others still get closed)
            pass
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


class SubmissionProcess:
    """A loaded submission: forks one fresh session per part; restarted after a timeout."""

    def __init__(self, sandbox: Runner, units: list[dict[str, str]], limits: Limits, kind: str = "python",
                 top_level: str = "run", deadline: float = math.inf) -> None:
        self._sandbox = sandbox
        self.deadline = deadline  # the end of the submission's time budget: no load or session outlasts it
        self._units = units
        self.limits = limits
        self.kind = kind
        self.top_level = top_level
        self.notes: list[str] = []
        self.defined: list[str] = []
        self.stopped: str | None = None  # where and why a .py's top-level code stopped (the rest never ran)
        self._halts: list[list[Any]] = []  # where the first load stopped early: a reload stops there too
        self._load_seconds = 0.0  # the first load's timer per unit
        self._part_ended = False  # the last part's process ended as it should (see retire)
        self.load_problem: str | None = None
        self._ident: str | None = None
        self._sock: socket.socket | None = None
        self._reader: wire.FrameReader | None = None
        self.outputs: list[OutputCollector] = []
        self._out_of_budget = False
        self._boot()

    @property
    def budget_spent(self) -> bool:
        """The time budget is over, or what is left of it cannot hold the restart a check needs."""
        return self._out_of_budget or time.monotonic() >= self.deadline

    def _boot(self) -> None:
        started = time.monotonic()
        left = self.deadline - started
        reload = bool(self.outputs)  # after a timeout, or for each next part where the runner does not fork
        # The next part's reload where the runner does not fork is its way of serving parts, not a
        # restart: it gets a whole load, and its time is not charged to the submission's budget.
        free, self._part_ended = self._part_ended and not self._sandbox.forks, False
        if left <= 0 or (reload and not free and left < self._hard_limit()):
            # a restart gets a whole load or none: a load cut short would grade a half-defined submission
            self._out_of_budget = True
            self.load_problem = BUDGET_SPENT
            return
        ident, sock, output = self._sandbox._start(self.limits)
        self._ident, self._sock = ident, sock
        self._reader = wire.FrameReader(sock)
        self.outputs.append(output)
        cells = 2 if self.kind == "notebook" else 1  # the process's own timer stops first, within the budget
        if free:
            deadline, seconds = started + self._hard_limit(), self._load_seconds
        else:
            deadline = time.monotonic() + min(self._hard_limit(), left)
            seconds = min(self.limits.load_seconds, max(0.05, (left - LOAD_GRACE_SECONDS) / cells))
            self._load_seconds = self._load_seconds or seconds  # (the first load's: every reload gets it too)
        try:
            # A reload is quiet (the output shown is the first load's) and stops where the first did.
            wire.send(sock, {"op": "load", "units": self._units, "kind": self.kind, "top_level": self.top_level,
                             "seconds": seconds, "quiet": reload, "halts": self._halts})
            loaded = read_loaded(_receive(self._reader, deadline))
            self.defined = loaded.defined
            if not reload:  # what the report says of the load is the first load's
                self.notes, self.stopped, self._halts = loaded.notes, loaded.stopped, loaded.halts
            elif loaded.halts != self._halts:
                self.kill()  # fail-closed: the next parts would be graded on other definitions than the first
                where = next((n for n in [loaded.stopped, *loaded.notes] if n), "")
                self.load_problem = ("loaded again for this part, the submission's top-level code stopped where it "
                                     f"did not the first time ({where[:200]}), so it was not graded on other code")
                return
            self.load_problem = None
        except SessionLost as lost:
            self.kill()
            if lost.kind == "timeout" and self.budget_spent:
                self.load_problem = BUDGET_SPENT
            elif lost.kind == "timeout":
                self.load_problem = (f"running the submission's top-level code took longer than "
                                     f"{self.limits.load_seconds:g} s and could not be stopped there")
            elif lost.kind == "protocol":
                self.load_problem = ("the submission's process sent a malformed message while its code was being "
                                     f"loaded ({lost.detail[:100]})")
            else:
                output.wait(1.0)
                tail = output.text().strip().splitlines()[-3:]
                self.load_problem = "the submission's process ended while its code was being loaded" + (
                    ": " + " | ".join(tail) if tail else "")
        except OSError as error:
            self.kill()
            self.load_problem = f"the submission's process could not be loaded ({error})"
        finally:
            if free:
                self.deadline += time.monotonic() - started

    def _hard_limit(self) -> float:
        """The grader's own bound on the load, past the process's own timer (which stops a statement
        and keeps what was defined above it): code that defeats that timer is killed here, and grades
        nothing. A notebook's cells have load_seconds each, twice that in all."""
        cells = 2 if self.kind == "notebook" else 1
        return self.limits.load_seconds * cells + LOAD_GRACE_SECONDS

    @property
    def alive(self) -> bool:
        return self._sock is not None

    def session(self, seconds: float, final: bool = False) -> Session:
        """A fresh session for one part; `final` (the last part) is served by the loaded process
        itself, which ends with it. Where the runner does not fork, every part is: the next one
        loads the submission anew in a fresh process."""
        final = final or not self._sandbox.forks
        if self._sock is None:
            self._boot()
        if self._sock is None:
            raise SessionLost("timeout" if self.load_problem == BUDGET_SPENT else "exited",
                              self.load_problem or "the submission could not be loaded")
        deadline = min(time.monotonic() + seconds, self.deadline)
        nonce = secrets.token_hex(16)
        try:
            wire.send(self._sock, {"op": "session", "nonce": nonce, "final": final})
            self._await_start(nonce, deadline)
        except OSError as error:
            self.kill()
            raise SessionLost("exited", str(error)) from None
        except SessionLost:
            self.kill()
            raise
        assert self._reader is not None
        return Session(self, self._sock, self._reader, deadline, final)

    def _await_start(self, nonce: str, deadline: float) -> None:
        """Skip whatever an earlier session left on the channel (frames a student forged, the
        real end of a session whose forged end was read instead) up to this session's start.
        The nonce is new and only the loaded process (no student process is alive between
        sessions) writes it, so nothing written before can pass for it."""
        assert self._reader is not None
        while True:
            message = _receive(self._reader, deadline)
            if message.get("op") == "session_start" and message.get("nonce") == nonce:
                return

    def kill(self, status: bool = False) -> int | None:
        """End the submission's processes; with `status`, returns how the loaded process ended
        (an exit code, or minus the signal) if it did."""
        code = None
        if self._ident is not None:
            try:
                code = self._sandbox._kill(self._ident, status)
            finally:
                self._ident = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self._reader = None
        return code

    def retire(self) -> None:
        """The process served its last part and ended as it should: where the runner does not fork,
        the next part's reload is not a restart."""
        self.kill()
        self._part_ended = True

    def sweep(self) -> None:
        """Between parts: nothing a part started lives on into the next."""
        if self._ident is not None:
            self._sandbox._sweep(self._ident)

    def output_text(self) -> str:
        """What the submission printed, over all its restarts, within the spec's output_kb."""
        text = printable("".join(o.text() for o in self.outputs))
        limit = self.limits.output_kb * 1024
        return text if len(text.encode()) <= limit else text.encode()[:limit].decode("utf-8", "ignore")

    def close(self) -> None:
        if self._sock is not None:
            try:
                wire.send(self._sock, {"op": "exit"})
            except OSError:
                pass
        self.kill()


def _receive(reader: wire.FrameReader, deadline: float) -> dict[str, Any]:
    """The next JSON frame from the student's process, or SessionLost (timeout, exit, malformed)."""
    payload = _receive_payload(reader, deadline)
    try:
        return decode_frame(payload)
    except wire.WireError as error:
        raise SessionLost("protocol", str(error)) from None


def _receive_payload(reader: wire.FrameReader, deadline: float) -> bytes:
    while True:
        try:
            payload = reader.take()
        except wire.WireError as error:
            raise SessionLost("protocol", str(error)) from None
        if payload is not None:
            return payload
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SessionLost("timeout")
        reader.sock.settimeout(remaining)
        try:
            reader.fill()
        except TimeoutError:
            raise SessionLost("timeout") from None
        except EOFError:
            raise SessionLost("exited") from None
        except OSError as error:
            raise SessionLost("exited", str(error)) from None


@dataclass(frozen=True)
class Loaded:
    """The load's reply: notes for the report, the names defined, where a .py stopped, and where
    each unit stopped early (see the harness's toplevel.Outcome: a reload stops there again)."""

    notes: list[str]
    defined: list[str]
    stopped: str | None
    halts: list[list[Any]]


def read_loaded(message: dict[str, Any]) -> Loaded:
    """The load's reply, checked against its schema before any field is used. A frame of any
    other shape is a malformed reply."""
    if message.get("op") != "loaded":
        raise SessionLost("protocol", "unexpected first message")
    try:
        return Loaded(texts(message.get("notes", []), 50, 300), texts(message.get("defined", []), 200, 100),
                      optional_text(message.get("stopped"), 300), halts(message.get("halts", []), MAX_HALTS))
    except wire.WireError as error:
        raise SessionLost("protocol", f"malformed load reply ({error})") from None


def recorded(stand_ins: StandIns | None) -> dict[str, tuple[str, ...]]:
    """The stood-in functions whose calls a request records, with their parameters: the only
    records of its reply that are read."""
    return {name: s.params for name, s in (stand_ins or {}).items() if s.record}


def _decode_reply(message: Any, wanted: Mapping[str, Sequence[str]] | None = None) -> Reply:
    if not isinstance(message, dict):
        raise SessionLost("protocol", "reply is not an object")
    op = message.get("op")
    try:
        records = decode_records(message.get("records"), wanted or {})
        printed = message.get("printed")
        printed = printable(printed[:64 * 1024]) if isinstance(printed, str) else None
        if op == "returned":
            return Reply("returned", value=from_wire(message.get("value")), records=records, printed=printed)
        if op == "raised":
            trace = message.get("traceback", [])
            error = StudentError(str(message.get("type", "Exception"))[:80], str(message.get("message", ""))[:300],
                                 tuple(str(t)[:300] for t in trace[:8]) if isinstance(trace, list) else ())
            return Reply("raised", error=error, records=records, printed=printed)
        if op == "missing":
            return Reply("missing")
    except (wire.WireError, ValueError, TypeError, AttributeError, ArithmeticError, LookupError,
            RecursionError) as error:
        raise SessionLost("protocol", f"malformed reply ({type(error).__name__})") from None
    raise SessionLost("protocol", f"unexpected reply {str(op)[:40]!r}")


def unpack_answers(packed: Any, count: int) -> list[Reply]:
    """A batch's answers sent as one array (see the harness's _pack_answers): the same replies as
    one by one. Anything that does not fit raises (wire.WireError, or a KeyError, TypeError...)."""
    like, rows = packed["like"], wire.decode_array(packed["rows"])
    type_name = str(like["type"])[: wire.MAX_TEXT]
    if rows.dtype != np.float64 or like.get("dtype") != "float64" or len(rows) != count or count < 2:
        raise wire.WireError("bad packed answers")
    if like.get("t") == "number":
        if rows.shape != (count,):
            raise wire.WireError("bad packed numbers")
        return [Reply("returned", value=Value("number", type_name, dtype="float64", shape=(), data=rows[i:i + 1]))
                for i in range(count)]
    shape = like.get("shape")
    if like.get("t") != "array" or not isinstance(shape, list) or rows.shape != (count, *shape):
        raise wire.WireError("bad packed arrays")
    flat = rows.reshape(count, rows[0].size)
    dtype, dims = str(like.get("orig_dtype", "float64"))[:40], tuple(rows.shape[1:])
    return [Reply("returned", value=Value("array", type_name, dtype=dtype, shape=dims, data=flat[i]))
            for i in range(count)]


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _exchange(method: Callable[Concatenate[Session, _P], _R]) -> Callable[Concatenate[Session, _P], _R]:
    """Count a request as open until its answer is in: a session an exception left mid-way
    is never reused."""

    @functools.wraps(method)
    def exchange(self: Session, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        self._exchanges += 1
        result = method(self, *args, **kwargs)
        self._exchanges -= 1
        return result

    return exchange


class Session:
    """A part's conversation with a fresh fork of the loaded submission."""

    def __init__(self, owner: SubmissionProcess, sock: socket.socket, reader: wire.FrameReader,
                 deadline: float, final: bool = False) -> None:
        self._owner = owner
        self.final = final  # served by the loaded process itself: no parent reports its end
        self._sock = sock
        self._reader = reader
        self.deadline = deadline
        self._open = True
        self._exchanges = 0  # requests begun and not answered: a session left mid-way is out of step

    @property
    def open(self) -> bool:
        """Usable by a next check: alive, and not left in the middle of an exchange (by an
        exception of the grader's own, say, while answering a callback)."""
        return self._open and self._exchanges == 0 and self._owner.alive

    def _send(self, message: dict[str, Any]) -> None:
        try:
            wire.send(self._sock, message)
        except TimeoutError:  # the process does not read what it asked for, past the deadline
            self._lost()
            raise SessionLost("timeout") from None
        except OSError as error:
            raise self._ended(SessionLost("exited", str(error))) from None
        except (ValueError, TypeError) as error:  # a message the wire cannot carry: never half-sent
            self._lost()
            raise SessionLost("protocol", str(error)) from None

    def _recv(self) -> dict[str, Any]:
        return self._message(self._recv_payload())

    def _recv_payload(self) -> bytes:
        try:
            return _receive_payload(self._reader, self.deadline)
        except SessionLost as lost:
            raise self._ended(lost) from None

    def _ended(self, lost: SessionLost) -> SessionLost:
        """The channel broke: the process goes. A forked session's end comes with its exit status
        (from the process it was forked from); the final session's comes from the sandbox."""
        if lost.kind == "exited" and self.final and self._owner.alive:
            self._open = False
            code = self._owner.kill(status=True)
            if code is not None:
                return SessionLost("exited", f"exit status {code}")
        self._lost()
        return lost

    def _message(self, payload: bytes) -> dict[str, Any]:
        """A JSON frame; the end of the session (the student's process exited) is SessionLost."""
        try:
            message = decode_frame(payload)
        except wire.WireError as error:
            self._lost()
            raise SessionLost("protocol", str(error)) from None
        if message.get("op") == "session_end":
            self._lost()
            raise SessionLost("exited", f"exit status {str(message.get('status'))[:40]}")
        return message

    def _lost(self) -> None:
        self._open = False
        self._owner.kill()

    def _decode(self, message: Any, stand_ins: StandIns | None = None) -> Reply:
        try:
            return _decode_reply(message, recorded(stand_ins))
        except SessionLost:
            self._lost()  # the channel is out of step now: the next check starts a fresh process
            raise

    @_exchange
    def keep(self, *values: Any) -> list[Kept]:
        """Send values once for this session (e.g. X and y of a 1000-step trajectory); later calls
        name them, and each call still receives its own copy."""
        self._send({"op": "keep", "values": [_encode_arg(v) for v in values]})
        message = self._recv()
        if message.get("op") != "kept" or message.get("count") != len(values):
            self._lost()
            raise SessionLost("protocol", "bad keep reply")
        return [Kept(index, value) for index, value in enumerate(values)]

    @_exchange
    def call(self, name: str, *args: Any, stand_ins: StandIns | None = None) -> Reply:
        message: dict[str, Any] = {"op": "call", "name": name, "args": [_encode_arg(a) for a in args]}
        if stand_ins:
            message["stand_ins"] = {key: s.to_wire() for key, s in stand_ins.items()}
        self._send(message)
        return self._decode(self._answering([dict(stand_ins or {})]))

    @_exchange
    def descend(self, name: str, start: Sequence[float], rate: float, steps: int, *kept: Kept,
                stand_ins: StandIns | None = None) -> Descent:
        """Up to `steps` steps of x <- x - rate * name(*x, *kept) from `start`, run in the student's
        process on its own answers, in one round trip instead of one per step."""
        # the start as raw float64: a student's NaN or infinity is a point like any other
        message: dict[str, Any] = {"op": "descend", "name": name, "rate": float(rate), "steps": int(steps),
                                   "start": wire.encode_array(np.array(start, dtype=np.float64)),
                                   "kept": [k.index for k in kept]}
        if stand_ins:
            message["stand_ins"] = {key: s.to_wire() for key, s in stand_ins.items()}
        self._send(message)
        message = self._answering([dict(stand_ins or {})])
        try:
            answers = wire.decode_array(message.get("answers"))
        except wire.WireError as error:
            self._lost()
            raise SessionLost("protocol", str(error)) from None
        stopped = message.get("stopped")
        size = max(len(start), 1)
        if (message.get("op") != "descended" or answers.dtype != np.float64 or answers.ndim != 2
                or answers.shape[1] != size or answers.shape[0] > steps
                or (stopped is None) != (answers.shape[0] == steps)):
            self._lost()
            raise SessionLost("protocol", "bad descent reply")
        return Descent(answers, None if stopped is None else self._decode(stopped))

    @_exchange
    def map(self, name: str, argsets: Sequence[Sequence[Any]] | Batch, *, independent: bool = False,
            stand_ins: StandIns | None = None) -> list[Reply]:
        """One call per argument set, each sent only after the previous answer came back.

        Not as one batch by default: a batch puts every later input in the student's process
        while it answers the first, and along a trajectory the next point gives the expected
        answer away (the reference's gradient is (w_k - w_k+1) / lr). `independent=True` (inputs
        that say nothing about each other's answers, such as drawn examples) sends one batch,
        which saves a round trip per call. A Batch carries its own stand-ins; pass the same ones
        here to answer their calls."""
        if isinstance(argsets, Batch):
            if argsets.name != name:
                raise ValueError(f"a batch of {argsets.name} calls, not {name}")
            batch = argsets
        elif not independent:
            return [self.call(name, *args, stand_ins=stand_ins) for args in argsets]
        else:
            batch = Batch.of(name, argsets, stand_ins)
        try:
            self._sock.sendall(batch.frame)
        except OSError as error:
            raise self._ended(SessionLost("exited", str(error))) from None
        message = self._answering([dict(stand_ins or {})])
        if message.get("op") == "mapped" and "packed" in message:
            try:
                return unpack_answers(message["packed"], batch.count)
            except (wire.WireError, ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
                self._lost()
                raise SessionLost("protocol", f"bad batch reply ({type(error).__name__})") from None
        results = message.get("results")
        if message.get("op") != "mapped" or not isinstance(results, list) or len(results) != batch.count:
            self._lost()
            raise SessionLost("protocol", "bad batch reply")
        return [self._decode(r) for r in results]

    @_exchange
    def run(self, name: str, args: Sequence[Any], variants: Sequence[StandIns], *,
            capture: bool = False) -> list[Reply]:
        """Call `name` once per variant, with some of the submission's functions replaced; every
        stand-in call comes back recorded (and, with `capture`, what the function printed)."""
        wire_variants = [{key: stand_in.to_wire() for key, stand_in in variant.items()} for variant in variants]
        self._send({"op": "run", "name": name, "args": [_encode_arg(a) for a in args], "variants": wire_variants,
                    "capture": capture})
        message = self._answering([dict(v) for v in variants])
        results = message.get("results")
        if message.get("op") != "ran" or not isinstance(results, list) or len(results) != len(variants):
            self._lost()
            raise SessionLost("protocol", "bad run reply")
        return [self._decode(r, variant) for r, variant in zip(results, variants, strict=True)]

    def _answering(self, variants: list[dict[str, StandIn]]) -> dict[str, Any]:
        """The reply to a request, answering the "ask" stand-ins' questions on the way, each within
        the check's deadline (a process that reads the answers slowly, or asks without end, runs
        into it like any other)."""
        asked = 0
        while True:
            message = self._recv()
            if message.get("op") != "callback":
                return message
            asked += 1
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 or asked > MAX_ASKED_CALLS:
                self._lost()
                raise SessionLost("timeout")
            index, position = message.get("variant", 0), message.get("index", 0)
            if not (type(index) is int and 0 <= index < len(variants) and type(position) is int):
                self._lost()
                raise SessionLost("protocol", "callback for no variant")
            answering = variants[index].get(str(message.get("name")))
            if answering is None or answering.mode != "ask" or answering.answer is None:
                self._lost()
                raise SessionLost("protocol", "unexpected callback")
            answer = _callback_answer(answering, position, message.get("args"))
            self._sock.settimeout(max(0.001, self.deadline - time.monotonic()))  # the send waits no longer
            self._send(answer)

    def end(self) -> None:
        if not self._open:
            return
        if self._exchanges:
            self._lost()  # out of step: the process goes, and the next session starts afresh
            return
        self._open = False
        try:
            wire.send(self._sock, {"op": "end"})
            message = _receive(self._reader, time.monotonic() + 2.0)
            if message.get("op") != "session_end":
                self._owner.kill()
            elif self.final:
                self._owner.retire()  # (the final session's process ends with it: a next one starts afresh)
            else:
                self._owner.sweep()
        except (SessionLost, OSError):
            self._owner.kill()


def _script_values(values: Sequence[Any]) -> dict[str, Any]:
    """A script's values; given as one float array (a trajectory's gradients, a row each), sent as one."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim >= 2:
        return {"rows": wire.encode_array(values)}
    return {"values": [_encode_arg(v) for v in values]}


MAX_HALTS = 1000  # where a load stopped early: one entry per notebook cell at most
BUDGET_SPENT = "the submission used up its time budget"  # a load_problem (the report words it, see pipeline)
LOAD_GRACE_SECONDS = 2.0  # the process's own load timer first, then the grader's hard kill
MAX_ASKED_NUMBERS = 100_000  # numbers in one asked call's arguments: the grader's work per call is bounded
MAX_ASKED_CALLS = 200_000  # asked calls in one request (each one also within the check's deadline)


def _callback_answer(stand_in: StandIn, position: int, raw_args: Any) -> dict[str, Any]:
    """The grader's answer to one call of an "ask" stand-in, computed here from the arguments the
    student's code passed (decoded as plain values; never an object of theirs)."""
    assert stand_in.answer is not None
    try:
        if not isinstance(raw_args, list) or len(raw_args) != len(stand_in.params):
            raise ValueError("the arguments did not arrive whole")
        args = tuple(standins.decode_value(a) for a in raw_args)
        if sum(int(np.size(a)) for a in args if isinstance(a, np.ndarray)) > MAX_ASKED_NUMBERS:
            raise ValueError(f"the arguments hold more than {MAX_ASKED_NUMBERS} numbers")
        answer = stand_in.answer(position, args)
    except Exception as error:  # the reference, on arguments the student chose: never the grader's problem
        return {"op": "raise", "message": f"the grader's stand-in could not answer this call "
                                          f"({type(error).__name__}: {str(error)[:200]})"}
    if answer is OWN:
        return {"op": "own"}
    return {"op": "value", "value": _encode_arg(answer)}
