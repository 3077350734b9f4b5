"""Run a submission's top-level code as Python runs it: a .py as an imported module, a notebook
cell by cell like Jupyter's "Run All" with errors allowed.

A .py stops at the first top-level statement that raises, exits, runs past the load time or
exhausts memory: what it defined before stays, nothing below it runs (`stopped` says where and
why). A notebook cell that fails stops that cell only; the next cells still run. The instructor's
opt-in `top_level = "salvage"` keeps the old leniency instead: statements that only do work nobody
asked for are skipped, and so is every statement that fails, each one listed in a note.

Runs in the submission's process, next to the student's code: nothing here is trusted to stop
that code. Whatever escapes (a timer it disarmed, an exit through ctypes) ends in the grader's
hard kill, which grades nothing.
"""

from __future__ import annotations
import __future__

import _thread
import ast
import builtins
import dis
import importlib.util
import linecache
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# The statement kinds that "salvage" skips: work nobody asked for at import time (a call to main(),
# a plot, a training loop, input()).
_SALVAGE_SKIPS = (ast.Expr, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Assert, ast.Raise,
                  ast.Pass)
_REPEAT = 0.05  # after the load time, the timer fires again this often: code that catches it once is stopped again
_TOTAL_CELL_FACTOR = 2  # a notebook's cells get load_seconds each, and twice that in all
_MAX_TEXT = 240

_real_exit = os._exit  # the harness's own way out, kept before the load replaces os._exit


class LoadTimeout(BaseException):
    """Raised in the main thread when the top-level code runs past its time (not an Exception:
    an `except Exception` of the student's lets it through)."""


class ProcessExit(BaseException):
    """os._exit() called while the submission loads: the process would end here."""

    def __init__(self, status: object) -> None:
        super().__init__(status)
        self.status = status


# --------------------------------------------------------------------------- placeholders


def _unpacking(frame: types.FrameType | None) -> int:
    """How many values the caller unpacks from the object being iterated (`fig, ax = ...`), or 0."""
    if frame is None:
        return 0
    for instruction in dis.get_instructions(frame.f_code):
        if instruction.offset == frame.f_lasti:
            if instruction.opname == "UNPACK_SEQUENCE" and isinstance(instruction.arg, int):
                return min(instruction.arg, 64)
            return 0
    return 0


class Absent(types.ModuleType):
    """Stands for a module the sandbox does not offer (matplotlib, pandas...), and for everything
    reached through it: attributes and calls give placeholders, so `plt.scatter(...)`, `plt.show()`,
    `fig, ax = plt.subplots()` do nothing instead of failing. The grading machine's environment is
    not the student's fault."""

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return Absent(f"{self.__name__}.{attribute}")

    def __call__(self, *args: Any, **kwargs: Any) -> Absent:
        return Absent(f"{self.__name__}()")

    def __getitem__(self, key: Any) -> Absent:
        return Absent(f"{self.__name__}[]")

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def __iter__(self) -> Any:
        return iter([Absent(self.__name__) for _ in range(_unpacking(sys._getframe(1)))])

    def __enter__(self) -> Absent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def __repr__(self) -> str:
        return f"<{self.__name__}: not available while grading>"


def _absorbing(name: str) -> Callable[..., Absent]:
    def operator(self: Absent, *other: Any) -> Absent:
        return Absent(self.__name__)

    operator.__name__ = name
    return operator


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "radd", "rsub", "rmul",
              "rtruediv", "rfloordiv", "rmod", "rpow", "rmatmul", "neg", "pos", "abs"):
    setattr(Absent, f"__{_name}__", _absorbing(_name))


class ShellOutput(list[str]):
    """What `x = !cmd` gives in Jupyter (IPython's SList): here, no lines."""

    @property
    def s(self) -> str:
        return " ".join(self)

    @property
    def n(self) -> str:
        return "\n".join(self)

    @property
    def l(self) -> list[str]:  # noqa: E743 (IPython's name)
        return list(self)

    p = l


class NoIPython:
    """What get_ipython() returns outside Jupyter: `%matplotlib inline`, `!pip install ...` and
    `x = !cmd` become calls on it that do nothing and return what IPython's would in type
    (None, or an empty list of output lines); any other attribute is a callable doing nothing."""

    def system(self, command: object = "", *args: Any, **kwargs: Any) -> None:
        return None

    def getoutput(self, command: object = "", *args: Any, **kwargs: Any) -> ShellOutput:
        return ShellOutput()

    def run_line_magic(self, name: object = "", line: object = "", *args: Any, **kwargs: Any) -> None:
        return None

    def run_cell_magic(self, name: object = "", line: object = "", cell: object = "", *args: Any,
                       **kwargs: Any) -> None:
        return None

    def magic(self, line: object = "", *args: Any, **kwargs: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


# --------------------------------------------------------------------------- the loader


@dataclass
class Outcome:
    """What loading found: notes for the report, and for a .py that stopped, where and why."""

    notes: list[str] = field(default_factory=list)
    stopped: str | None = None
    # Where each unit stopped early: [unit, statement, whether nothing after it ran]. A reload
    # (the next part where the runner does not fork, a restart after a timeout) stops there again
    # without running that statement: it ends as the first load did, and never waits out its timer twice.
    halts: list[list[Any]] = field(default_factory=list)


class _Clock:
    """SIGALRM raising LoadTimeout in the main thread while student code runs (and only then)."""

    signum = getattr(signal, "SIGALRM", signal.SIGINT)

    def __init__(self) -> None:
        self.armed = False
        self.expired = False

    def handler(self, signum: int, frame: Any) -> None:
        self.expired = True
        if self.armed:
            raise LoadTimeout()

    def start(self, seconds: float) -> None:
        self.expired = False
        signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001), _REPEAT)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)


class _ThreadClock(_Clock):
    """The same timer without SIGALRM (Windows has none; the portable runner uses it everywhere):
    a thread sends SIGINT to the main thread, whose handler raises LoadTimeout. Where the platform
    lets a thread signal another (POSIX: pthread_kill), a blocking call such as time.sleep is
    woken too; on Windows, raise_signal runs Python's handler, which also sets the event that
    time.sleep and waits in the main thread listen to; elsewhere _thread.interrupt_main asks
    between two bytecodes. A call into C that never returns is ended by the grader's hard kill.
    Each start is a new round: a request of an earlier round that arrives late is ignored."""

    signum = signal.SIGINT

    def __init__(self) -> None:
        super().__init__()
        self._round = 0
        self._due = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def handler(self, signum: int, frame: Any) -> None:
        if self._due != self._round:
            return
        super().handler(signum, frame)

    def start(self, seconds: float) -> None:
        self.stop()
        self.expired = False
        self._round += 1
        stop, this_round = threading.Event(), self._round
        self._stop = stop

        def ring() -> None:
            if stop.wait(max(seconds, 0.001)):
                return
            while not stop.is_set():
                self._due = this_round
                _interrupt_main(self.signum)
                stop.wait(_REPEAT)

        self._thread = threading.Thread(target=ring, name="load-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._due = -1


def _interrupt_main(signum: int) -> None:
    """Have the main thread run `signum`'s handler now, out of a blocking call where the platform allows."""
    if hasattr(signal, "pthread_kill"):
        signal.pthread_kill(threading.main_thread().ident or 0, signum)
    elif sys.platform == "win32":
        signal.raise_signal(signum)
    else:
        _thread.interrupt_main(signal.Signals(signum))


def _text(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:
        text = "<unprintable>"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _module_line(error: BaseException, label: str) -> int | None:
    """The line of the unit's own top-level code where the error passed (the statement running)."""
    trace = error.__traceback__
    while trace is not None:
        code = trace.tb_frame.f_code
        if code.co_filename == label and code.co_name == "<module>":
            return trace.tb_lineno
        trace = trace.tb_next
    return None


class Loader:
    """Runs the units in one namespace; `mode` is "run" (as Python runs it) or "salvage"."""

    def __init__(self, namespace: dict[str, Any], mode: str, kind: str, seconds: float, timer: str = "signal",
                 offered: frozenset[str] | None = None) -> None:
        self.namespace = namespace
        self.mode = mode
        self.kind = kind
        self.seconds = seconds
        self.outcome = Outcome()
        self.clock = _ThreadClock() if timer == "thread" else _Clock()
        # The third-party packages the sandbox offers: None where nothing else can be found anyway
        # (bubblewrap shows only those); else a module outside them and the standard library is
        # missing too, as it is under bubblewrap, whatever the machine has installed.
        self.offered = offered
        self.skipped = 0
        self._absent: dict[str, Absent] = {}
        self._asked_input = False
        self._real_import = builtins.__import__

    # ---------------------------------------------------------------- what the code sees

    def builtins(self) -> dict[str, Any]:
        """The builtins the student's code runs with: input() answers an empty line, and an import
        of a module the sandbox does not offer gives a placeholder."""
        own = dict(builtins.__dict__)
        own["__import__"] = self._import
        own["input"] = self._input
        return own

    def _input(self, prompt: object = "") -> str:
        if not self._asked_input:
            self._asked_input = True
            self.outcome.notes.append("input() was answered with an empty line")
        return ""

    def _import(self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
                level: int = 0) -> Any:
        top = name.partition(".")[0]
        if level == 0 and top and top not in sys.modules:
            if top in self._absent:
                return self._absent[top]
            try:
                missing = (self.offered is not None and top not in self.offered
                           and top not in sys.stdlib_module_names) or importlib.util.find_spec(top) is None
            except (ImportError, ValueError):
                missing = True
            if missing:
                self._absent[top] = Absent(top)
                self.outcome.notes.append(f"the module {top} is not available while grading: a placeholder "
                                          "that does nothing stands in for it")
                return self._absent[top]
        return self._real_import(name, globals, locals, fromlist, level)

    # ---------------------------------------------------------------- running

    def run(self, units: list[dict[str, Any]], halts: list[list[Any]] | None = None) -> Outcome:
        previous = signal.signal(self.clock.signum, self.clock.handler)
        _replace_exit(_fake_exit)
        total = self.seconds * (_TOTAL_CELL_FACTOR if self.kind == "notebook" else 1)
        budget = total
        replayed = {(unit, position) for unit, position, ends in halts or [] if ends}
        try:
            for index, unit in enumerate(units):
                if budget <= 0 or (index, 0) in replayed:
                    if budget <= 0:
                        self.outcome.notes.append(f"{len(units) - index} more cell(s) did not run: the notebook "
                                                  f"used up its load time ({total:g} s)")
                    self.outcome.halts.append([index, 0, True])  # a reload stops here too, however fast it was
                    break
                started = time.monotonic()
                ended_all = self._run_unit(index, str(unit["label"]), str(unit["source"]), min(self.seconds, budget),
                                           _halts_of(halts or [], index))
                budget -= time.monotonic() - started
                if ended_all:
                    if index + 1 < len(units):
                        self.outcome.notes.append(f"{len(units) - index - 1} more cell(s) did not run")
                    break
        finally:
            self.clock.stop()
            _replace_exit(_real_exit)
            signal.signal(self.clock.signum, previous)
        if self.skipped:
            self.outcome.notes.append(f"the file does not run as written: {self.skipped} top-level statement(s) "
                                      'were skipped (top_level = "salvage")')
        return self.outcome

    def _run_unit(self, index: int, label: str, source: str, seconds: float, halts: dict[int, bool]) -> bool:
        """One file or cell; True when nothing after it may run (a .py stopped, the process exited)."""
        linecache.cache[label] = (len(source), None, source.splitlines(True), label)
        try:
            tree = ast.parse(source, filename=label)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            self.outcome.notes.append(f"{label}: not run ({type(error).__name__})")
            return self.kind == "python"
        flags = 0
        try:
            try:
                self.clock.start(seconds)
            except RuntimeError as error:  # no thread left for the timer (memory): nothing more may run
                self.outcome.notes.append(f"{label}: not run (the load timer could not start: {_text(error)})")
                self.outcome.halts.append([index, 0, True])
                return True
            for position, node in enumerate(tree.body):
                if position in halts:  # where the first load stopped: so does this one, without running it
                    self.outcome.halts.append([index, position, halts[position]])
                    return halts[position]
                flags |= _future_flags(node)
                if self.mode == "salvage" and self._salvage_skips(label, source, node):
                    continue
                stop = self._run_statement(label, source, node, flags)
                if stop is not None:
                    self.outcome.halts.append([index, position, stop])
                    return stop
        finally:
            self.clock.stop()
        return False

    def _run_statement(self, label: str, source: str, node: ast.stmt, flags: int) -> bool | None:
        """None when the statement ran; else whether everything after the unit stops too."""
        before = dict(self.namespace)
        error = self._execute(label, node, flags)
        if self.clock.expired:
            # the statement ran past the time: whatever it bound after that (it may have caught the
            # timeout and gone on) is undone, as if it were still running
            self.namespace.clear()
            self.namespace.update(before)
            error = LoadTimeout()
        if error is None:
            return None
        line = node.lineno if isinstance(error, LoadTimeout) else (_module_line(error, label) or node.lineno)
        what = self._describe(error, source, line)
        if self.mode == "salvage" and not isinstance(error, LoadTimeout):
            self.skipped += 1
            self.outcome.notes.append(f"{label}, line {line}: skipped ({what})")
            return None
        if self.kind == "notebook" and not isinstance(error, ProcessExit):
            self.outcome.notes.append(f"{label}, line {line}: {what}; the rest of this cell did not run")
            return False
        where = "" if isinstance(error, LoadTimeout) else " at the top level"
        self.outcome.stopped = f"{label}, line {line}: {what}{where}: nothing below it runs"[:300]
        if self.kind == "notebook":
            self.outcome.notes.append(self.outcome.stopped)
            self.outcome.stopped = None
        return True

    def _execute(self, label: str, node: ast.stmt, flags: int) -> BaseException | None:
        """Run one top-level statement; the exception that ended it, if any. The timer raises only
        while the student's code runs, never in the harness's own lines."""
        try:
            code = compile(ast.Module(body=[node], type_ignores=[]), label, "exec", flags=flags, dont_inherit=True)
            self.clock.armed = True
            try:
                exec(code, self.namespace)
            finally:
                self.clock.armed = False
        except BaseException as error:
            return error
        return None

    def _describe(self, error: BaseException, source: str, line: int) -> str:
        lines = source.splitlines()
        text = lines[line - 1].strip()[:80] if 0 < line <= len(lines) else ""
        if isinstance(error, LoadTimeout):
            limit = "time limit of a cell" if self.kind == "notebook" else "load limit"
            return f"the top-level code ran past the {self.seconds:g} s {limit}"
        if isinstance(error, ProcessExit):
            return f"{text or 'os._exit()'} ends the process (os._exit({error.status!r}))"
        if isinstance(error, SystemExit):
            return f"{text or 'the code'} exits the program (SystemExit: {error.code!r})"
        return _text(error)[:_MAX_TEXT]

    def _salvage_skips(self, label: str, source: str, node: ast.stmt) -> bool:
        """Skipped by "salvage": listed, except what Python would not run either (the __main__
        guard), docstrings and IPython's magics."""
        guard = _is_main_guard(node)
        if not guard and not isinstance(node, _SALVAGE_SKIPS):
            return False
        if not guard and not _is_quiet(node):
            self.skipped += 1
            text = source.splitlines()[node.lineno - 1].strip()[:80]
            self.outcome.notes.append(f"{label}, line {node.lineno}: skipped ({text})")
        return True


def _halts_of(halts: list[list[Any]], unit: int) -> dict[int, bool]:
    """The statements of `unit` where an earlier load stopped, and whether it stopped everything."""
    return {position: bool(ends) for index, position, ends in halts if index == unit}


def _fake_exit(status: object = 0) -> None:
    raise ProcessExit(status)


def _replace_exit(function: Callable[..., Any]) -> None:
    """os._exit during the load: an exception that stops the top-level code where it is, so that
    what it defined before stays (the grader's hard kill still ends any other way out)."""
    for module in (os, sys.modules.get(os.name)):  # (posix, or nt on Windows: os._exit is theirs)
        if module is not None:
            module._exit = function  # type: ignore[attr-defined]


def _future_flags(node: ast.stmt) -> int:
    if isinstance(node, ast.ImportFrom) and node.module == "__future__":
        flags = 0
        for alias in node.names:
            feature = getattr(__future__, alias.name, None)
            flags |= getattr(feature, "compiler_flag", 0)
        return flags
    return 0


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    return "__name__" in {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}


def _is_quiet(node: ast.stmt) -> bool:
    """A docstring, or a magic turned into a get_ipython() call: nothing worth listing."""
    if not isinstance(node, ast.Expr):
        return False
    if isinstance(node.value, ast.Constant):
        return True
    call = node.value
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
        isinstance(call.func.value, ast.Call) and isinstance(call.func.value.func, ast.Name) and \
        call.func.value.func.id == "get_ipython"
