"""The student's side of the boundary: load the submission, then answer calls.

Everything here runs in the submission's own process, after privileges are dropped,
next to hostile code. It holds no reference solution and no expected value: it only
executes what the grader asks and reports what came back, as plain data.
"""

from __future__ import annotations

import gc
import io
import os
import signal
import socket
import sys
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import standins
import toplevel
import wire

OUTPUT_LIMIT = 64 * 1024
MAX_HALTS = 1000  # one per notebook cell at most
_exit = os._exit  # the harness's own, whatever the student's code does to the os module
_HERE = os.path.dirname(os.path.abspath(__file__))
_NUMPY = os.path.dirname(os.path.abspath(np.__file__))

class _BoundedWriter(io.TextIOBase):
    """stdout/stderr that forward the first bytes and silently drop the rest."""

    def __init__(self, fd: int, limit: int) -> None:
        self._fd = fd
        self._left = limit

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._left > 0:
            data = str(text).encode("utf-8", "replace")[: self._left]
            self._left -= len(data)
            try:
                os.write(self._fd, data)
            except OSError:
                self._left = 0
        return len(text)

    def flush(self) -> None:
        pass


class _CapturedOutput(io.TextIOBase):
    """What a driver prints while it runs, kept (up to a bound) to compare with the reference's."""

    LIMIT = 64 * 1024

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._left = self.LIMIT

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._left > 0:
            kept = str(text)[: self._left]
            self._parts.append(kept)
            self._left -= len(kept)
        return len(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return "".join(self._parts)


def load(units: list[dict[str, Any]], mode: str = "run", kind: str = "python", seconds: float = 10.0,
         timer: str = "signal", offered: frozenset[str] | None = None,
         halts: list[list[Any]] | None = None) -> tuple[dict[str, Any], toplevel.Outcome]:
    """Run every unit (file or notebook cell) in one namespace, as Python or Jupyter would
    (a reload stops where the first load did: `halts`, see toplevel.Outcome)."""
    namespace: dict[str, Any] = {"__name__": "submission", "get_ipython": _get_ipython,
                                 "display": lambda *a, **k: None}
    loader = toplevel.Loader(namespace, mode, kind, seconds, timer, offered)
    namespace["__builtins__"] = loader.builtins()
    return namespace, loader.run(units, halts)


_IPYTHON = toplevel.NoIPython()


def _get_ipython() -> toplevel.NoIPython:
    return _IPYTHON


def _describe_exception(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:
        text = "<unprintable>"
    return f"{type(error).__name__}: {text}"[:wire.MAX_TEXT]


def _student_traceback(error: BaseException) -> list[str]:
    """The student's own frames only: lines of the harness are not theirs to read."""
    lines = []
    try:
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename.startswith("<") or _among(frame.filename, _HERE) or _among(frame.filename, _NUMPY):
                continue
            line = (frame.line or "").strip()
            lines.append(f"{frame.filename}, line {frame.lineno}, in {frame.name}: {line}"[:wire.MAX_TEXT])
    except BaseException:
        pass
    return lines[-8:]


def _among(filename: str, folder: str) -> bool:
    """`filename` lies in `folder` (the harness's own, or numpy's), whatever the platform's separator."""
    where = os.path.dirname(os.path.abspath(filename))
    return where == folder or where.startswith(folder + os.sep)


def _error_reply(error: BaseException) -> dict[str, Any]:
    return {"op": "raised", "type": type(error).__name__[:80],
            "message": _describe_exception(error), "traceback": _student_traceback(error)}


def _decode_arg(message: Any, kept: list[Any] | None = None) -> Any:
    """An argument the grader sent: a number, an array, a list or tuple of them, or a kept value."""
    if isinstance(message, dict) and message.get("t") == "kept" and kept is not None:
        index = message.get("i")
        if type(index) is not int or not 0 <= index < len(kept):
            raise wire.WireError("bad kept index")
        value = kept[index]
        return value.copy() if isinstance(value, np.ndarray) else value  # a student may mutate it
    return standins.decode_value(message)


def _encode_arg(value: Any) -> dict[str, Any]:
    return wire.encode_result(value)


class Session:
    """Answers one check's requests on the channel until the grader ends it."""

    def __init__(self, sock: socket.socket, namespace: dict[str, Any]) -> None:
        self.sock = sock
        self.namespace = namespace
        self.kept: list[Any] = []  # arguments the grader sends once per session (X, y) and then names

    def _function(self, name: str) -> Any:
        if name not in self.namespace:
            raise LookupError(name)
        return self.namespace[name]

    def _invoke(self, name: str, args: list[Any]) -> dict[str, Any]:
        reply, value = self._call(name, args)
        if reply is None:
            return {"op": "returned", "value": wire.encode_result(value)}
        return reply

    def _call(self, name: str, args: list[Any]) -> tuple[dict[str, Any] | None, Any]:
        """(None, what it returned), or (the reply that says why nothing was returned, None)."""
        try:
            function = self._function(name)
        except LookupError:
            return {"op": "missing", "name": name}, None
        try:
            return None, function(*[_decode_arg(a, self.kept) for a in args])
        except BaseException as error:
            return _error_reply(error), None

    def _asker(self, variant: int, position: list[int]) -> Callable[[str, tuple[Any, ...]], Any]:
        """Answers for an "ask" stand-in: the grader computes each one (the reference never comes here)."""

        def ask(name: str, bound: tuple[Any, ...]) -> Any:
            wire.send(self.sock, {"op": "callback", "name": name, "variant": variant, "index": position[0],
                                  "args": [wire.encode_result(value) for value in bound]})
            reply = wire.recv(self.sock)
            if reply.get("op") == "own":
                return standins.OWN
            if reply.get("op") == "raise":
                raise TypeError(str(reply.get("message", ""))[:wire.MAX_TEXT])
            return standins.decode_value(reply.get("value"))

        return ask

    def _map(self, name: str, argsets: list[Any], stand_ins: dict[str, Any] | None = None) -> dict[str, Any]:
        """One call per argument set, with the stand-ins (if any) in place; when every call returned
        a float, or a float64 array of one shape, the answers go back as one array."""
        position = [0]
        installed, saved = standins.install(self.namespace, stand_ins or {}, self._asker(0, position))
        calls = []
        try:
            for index, args in enumerate(argsets):
                position[0] = index
                reply, value = self._call(name, args)
                if reply is None and type(value) not in _FLOAT_TYPES:
                    # taken as it is now (the function may change it in a later call): a copy, or else
                    # its description
                    copied = _packable_copy(value)
                    if copied is None:
                        reply = {"op": "returned", "value": wire.encode_result(value)}
                    value = copied
                calls.append((reply, value))
        finally:
            standins.restore(self.namespace, saved)
        del installed
        packed = _pack_answers([value for reply, value in calls]) if all(r is None for r, _ in calls) else None
        if packed is not None:
            return {"op": "mapped", "packed": packed}
        return {"op": "mapped", "results": [reply if reply is not None else
                                            {"op": "returned", "value": wire.encode_result(value)}
                                            for reply, value in calls]}

    def _run(self, message: dict[str, Any]) -> dict[str, Any]:
        """Call `name` once per variant, each with its own stand-ins; every stand-in call is recorded."""
        name = str(message["name"])
        args = message.get("args", [])
        capture = message.get("capture") is True
        results = []
        for index, specs in enumerate(message.get("variants", [{}])):
            installed, saved = standins.install(self.namespace, specs, self._asker(index, [0]))
            printed = _CapturedOutput() if capture else None
            real_stdout = sys.stdout
            try:
                if printed is not None:
                    sys.stdout = printed
                reply = self._invoke(name, args)
            finally:
                sys.stdout = real_stdout
                standins.restore(self.namespace, saved)
            reply["records"] = standins.records_of(installed)
            if printed is not None:
                reply["printed"] = printed.text()
            results.append(reply)
        return {"op": "ran", "results": results}

    def _descend(self, message: dict[str, Any]) -> dict[str, Any]:
        """Gradient descent on the function's own answers, here: x <- x - rate * f(*x, *kept).

        Every point is the previous point and the function's own answer, so nothing but the
        start and the rate enters this process (a path sent from outside would give away the
        answers checked along it). The answers go back as one float64 array, and the grader
        redoes the same double arithmetic. An answer that is not a plain array, list or tuple
        of `len(start)` numbers stops the descent and goes back as an ordinary reply."""
        name = str(message.get("name"))
        point = [float(v) for v in wire.decode_array(message.get("start")).ravel()]
        rate = float(message.get("rate", 0.0))
        steps = int(message.get("steps", 0))
        size = len(point)
        kept = [_decode_arg({"t": "kept", "i": i}, self.kept) for i in message.get("kept", [])]
        answers: list[float] = []
        stopped: dict[str, Any] | None = None
        _, saved = standins.install(self.namespace, message.get("stand_ins") or {}, self._asker(0, [0]))
        try:
            function = self._function(name)
        except LookupError:
            function, stopped = None, {"op": "missing", "name": name}
        try:
            answers, stopped = self._walk(function, point, rate, steps, kept, stopped)
        finally:
            standins.restore(self.namespace, saved)
        table = np.array(answers, dtype=np.float64).reshape(-1, max(size, 1))
        return {"op": "descended", "answers": wire.encode_array(table), "stopped": stopped}

    @staticmethod
    def _walk(function: Any, point: list[float], rate: float, steps: int, kept: list[Any],
              stopped: dict[str, Any] | None) -> tuple[list[float], dict[str, Any] | None]:
        size = len(point)
        answers: list[float] = []
        for _ in range(steps if function is not None else 0):
            try:
                # each call gets its own copies, as with any call: a student may change them
                value = function(*point, *[v.copy() if type(v) is np.ndarray else v for v in kept])
            except BaseException as error:
                stopped = _error_reply(error)
                break
            answer = _plain_numbers(value, size)
            if answer is None:
                stopped = {"op": "returned", "value": wire.encode_result(value)}
                break
            answers += answer
            point = [p - rate * g for p, g in zip(point, answer, strict=True)]
        return answers, stopped

    def serve(self) -> None:
        # Once per session rather than per call: numpy's warnings never cost points (they go to
        # stderr at most), and entering these contexts 1000 times a check is measurable.
        warnings.simplefilter("ignore")
        np.seterr(all="ignore")
        while True:
            try:
                # Exact reads, never read-ahead: the channel passes back to the submission process
                # when this session ends, and the next frame may already be waiting behind "end".
                message = wire.recv(self.sock)
            except (EOFError, OSError, wire.WireError):
                return
            op = message.get("op")
            if op == "keep":
                self.kept = [_decode_arg(v) for v in message.get("values", [])][:16]
                reply = {"op": "kept", "count": len(self.kept)}
            elif op == "call":
                if message.get("stand_ins"):
                    mapped = self._map(str(message["name"]), [message.get("args", [])], message["stand_ins"])
                    reply = mapped["results"][0]
                else:
                    reply = self._invoke(str(message["name"]), message.get("args", []))
            elif op == "map":
                reply = self._map(str(message["name"]), message.get("argsets", []), message.get("stand_ins"))
            elif op == "run":
                reply = self._run(message)
            elif op == "descend":
                reply = self._descend(message)
            elif op == "end":
                return
            else:
                reply = {"op": "unknown"}
            wire.send(self.sock, reply)


_NUMBER_TYPES = (float, int, np.float64, np.float32, np.int64, np.int32)
_FLOAT64 = np.dtype(np.float64)


def _plain_numbers(value: Any, size: int) -> list[float] | None:
    """`size` floats from a numeric ndarray or a list/tuple of plain numbers; None for anything
    else (which the grader then judges from the ordinary reply)."""
    if type(value) is np.ndarray and value.dtype is _FLOAT64 and value.size == size:
        return value.ravel().tolist()  # the usual answer: float64 to Python floats, one call
    if type(value) is np.ndarray and value.dtype.kind in "fiu" and value.size == size:
        flat = value.ravel()
        return [float(flat[i]) for i in range(size)]
    if type(value) in (list, tuple) and len(value) == size and all(type(v) in _NUMBER_TYPES for v in value):
        try:
            return [float(v) for v in value]
        except OverflowError:  # an int beyond float64: the grader describes it
            return None
    return None


_FLOAT_TYPES = (float, np.float64)


def _packable_copy(value: Any) -> np.ndarray | None:
    """A copy of a float64 array that can go in a packed reply (None for anything else)."""
    if type(value) is not np.ndarray or value.dtype is not _FLOAT64 or value.ndim >= wire.MAX_DIMS or \
            value.size > wire.MAX_PACKED:
        return None
    try:
        return value.copy()
    except MemoryError:
        return None


def _pack_answers(values: list[Any]) -> dict[str, Any] | None:
    """Answers that are all Python floats, all numpy float64 scalars, or all float64 arrays of
    one shape: what each looks like, and all of their numbers as one array. None otherwise."""
    if len(values) < 2:
        return None
    kind = type(values[0])
    if any(type(v) is not kind for v in values):
        return None
    if kind is float or kind is np.float64:
        return {"like": {"t": "number", "type": kind.__name__, "dtype": "float64"},
                "rows": wire.encode_array(np.array(values, dtype=np.float64))}
    if kind is np.ndarray:
        shape = values[0].shape
        if values[0].size * len(values) > wire.MAX_PACKED or len(shape) >= wire.MAX_DIMS or \
                any(v.dtype is not _FLOAT64 or v.shape != shape for v in values):
            return None  # (big ones go alone, where each answer's own size limit applies)
        try:
            rows = np.stack(values)
        except MemoryError:
            return None
        return {"like": {"t": "array", "type": "ndarray", "dtype": "float64", "orig_dtype": "float64",
                         "shape": list(shape)},
                "rows": wire.encode_array(rows)}
    return None


def serve_submission(sock: socket.socket, load_message: dict[str, Any], own_namespace: bool, own_uid: bool = False,
                     output_limit: int = OUTPUT_LIMIT, forks: bool = True,
                     offered: frozenset[str] | None = None) -> None:
    """Load once, then fork a fresh session per part so that parts cannot share state (the last
    part, asked for as "final", is served by this process itself, which then ends).

    own_namespace: only this process and the namespace's init live in the submission's PID
    namespace; own_uid: it runs under a uid no other process uses. Either way kill(-1) reaches
    exactly what it started. forks=False (the portable runner: no fork on every platform): the
    first session is served here, and the grader starts a fresh process for the next part."""
    # A courtesy that keeps a chatty loop cheap; the bound that holds is the grader's (it keeps
    # output_kb of whatever arrives, os.write and children included).
    sys.stdout = _BoundedWriter(1, output_limit)
    sys.stderr = _BoundedWriter(2, output_limit)
    with _silenced(load_message.get("quiet") is True):
        namespace, outcome = load(list(load_message.get("units", [])), str(load_message.get("top_level", "run")),
                                  str(load_message.get("kind", "python")), float(load_message.get("seconds", 10.0)),
                                  "signal" if forks else "thread", offered, load_message.get("halts"))
    timers_cleared = _clear_timers() if forks else True
    # Everything alive now is shared with each session's fork: frozen, the sessions' garbage
    # collections never walk (and so never copy) those pages. The loading's own garbage goes first.
    gc.collect()
    gc.freeze()
    defined = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("_"))[:200]
    wire.send(sock, {"op": "loaded", "notes": outcome.notes[:50], "defined": defined, "stopped": outcome.stopped,
                     "halts": outcome.halts[:MAX_HALTS]})
    while True:
        try:
            message = wire.recv(sock)
        except (EOFError, OSError, wire.WireError):
            return
        if message.get("op") == "end":
            continue  # meant for a session the sandbox killed before it read it (only the grader writes here)
        if message.get("op") != "session":
            return
        # Written before the fork, while no student process is alive: the grader skips every
        # frame up to this one, so nothing an earlier session forged can pass for this one's.
        wire.send(sock, {"op": "session_start", "nonce": str(message.get("nonce", ""))[:64]})
        if not forks or (message.get("final") is True and timers_cleared and _fresh()):
            _serve_last(sock, namespace, linger=not forks)
        pid = os.fork()
        if pid == 0:
            try:
                if not own_namespace:
                    os.setpgid(0, 0)
                _die_with_parent()
                Session(sock, namespace).serve()
            finally:
                _exit(0)
        status = _wait_for(pid)
        _clear_leftovers(own_namespace or own_uid, pid)
        wire.send(sock, {"op": "session_end", "status": status})


class _silenced:
    """A reload's own output goes nowhere: what the submission prints while loading is shown once,
    from its first load (a part after a timeout, or every part in the portable runner, loads again).
    At the descriptors, so that os.write and child processes are silenced too."""

    def __init__(self, quiet: bool) -> None:
        self._quiet = quiet
        self._saved: list[int] = []

    def __enter__(self) -> None:
        if self._quiet:
            null = os.open(os.devnull, os.O_WRONLY)
            self._saved = [os.dup(1), os.dup(2)]
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.close(null)

    def __exit__(self, *exc: object) -> None:
        for fd, saved in zip((1, 2), self._saved, strict=False):
            os.dup2(saved, fd)
            os.close(saved)


def _clear_timers() -> bool:
    """A timer the loading set would end this process later, in the middle of some part (a fork
    starts without timers, this process would not): the loading is over, so are its timers."""
    for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
        signal.setitimer(timer, 0)
    return _delete_posix_timers()


def _delete_posix_timers() -> bool:
    """Delete the POSIX timers (timer_create) the loading left: setitimer does not reach them, and
    one would fire in the last part, which this process serves itself. False when they cannot be
    listed: that part is then served by a fork, which starts without timers."""
    try:
        import ctypes

        with open("/proc/self/timers") as listing:
            ids = [int(line.split()[1]) for line in listing if line.startswith("ID:")]
        number = {"x86_64": 226, "aarch64": 111}[os.uname().machine]  # timer_delete, by the kernel's id
        libc = ctypes.CDLL(None, use_errno=True)
        return all(libc.syscall(number, ctypes.c_int(ident)) == 0 for ident in ids)
    except (OSError, ValueError, IndexError, AttributeError, KeyError):
        return False


def _fresh() -> bool:
    """This process can serve a session as a fork of it would: only this thread runs here (a
    thread the loading started would live on; a fork copies only the calling thread), and the
    loading used little CPU (the CPU limit counts from a process's start)."""
    import resource  # (POSIX only, as fork is)

    try:
        used = resource.getrusage(resource.RUSAGE_SELF)
        return len(os.listdir("/proc/self/task")) == 1 and used.ru_utime + used.ru_stime < 0.5
    except OSError:
        return False


def _serve_last(sock: socket.socket, namespace: dict[str, Any], linger: bool = False) -> None:
    """The last session, served by the loaded process itself and then its end: nothing runs here
    after it, so it needs no fork of its own (one fork fewer per submission). `linger` (the
    portable runner): it ends when the grader ends it, not before, so that the grader finds
    every process the part started still under it (an orphan would leave its tree)."""
    try:
        Session(sock, namespace).serve()
        wire.send(sock, {"op": "session_end", "status": 0})
        while linger:
            wire.recv(sock)
    finally:
        _exit(0)


def _die_with_parent() -> None:
    """Without a PID namespace nothing else ends a session whose submission process was killed."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (ImportError, OSError, AttributeError):
        pass


def _wait_for(pid: int) -> int:
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status)
        except ChildProcessError:
            return -1
        except InterruptedError:
            continue


def _clear_leftovers(everything: bool, session_pid: int) -> None:
    """Whatever a session started dies with it, so that the next check starts clean."""
    try:
        if everything:
            os.kill(-1, signal.SIGKILL)  # every other process of this namespace / this uid, not us
        else:
            os.killpg(session_pid, signal.SIGKILL)
    except OSError:
        pass
    reap()


def reap(exited: dict[int, int] | None = None) -> None:
    """Collect every child that has ended, without waiting for the others (noting in `exited`
    how each ended)."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if exited is not None:
            exited[pid] = os.waitstatus_to_exitcode(status)
