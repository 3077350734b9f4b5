"""Run a program with the facilities Windows lacks made unavailable, in it and in the portable runner's processes.

    python tests/portable/without_posix.py grade --self-check FILE ...   (the grade command)
    python tests/portable/without_posix.py --child SCRIPT ARGS...        (the runner's process, see below)

What goes: os.fork and the other process-group, session, uid and affinity calls, os.uname and
os.sysconf; signal's timers, alarms, masks and waits (SIGALRM and the itimers with them); the
resource module; the C library through ctypes (ctypes cannot be imported); /proc (open, os.open,
os.listdir, os.scandir and os.stat refuse it); AF_UNIX sockets and descriptor passing; select.poll
and epoll, and select.select on anything but a socket; and Popen's pass_fds, start_new_session,
process_group and preexec_fn. numpy and psutil are imported first, and psutil's own calls may still
read /proc: they are the platform layers, whose Linux halves use Linux as their Windows halves use
Windows (numpy asks os.uname only while it is imported, and only on Linux).

The parent's Popen starts the runner's processes through this file (--child), so that they run
without these facilities too.
"""

from __future__ import annotations

import builtins
import io
import os
import runpy
import select
import signal
import socket
import stat
import subprocess
import sys
from typing import Any

HERE = os.path.abspath(__file__)
GRADER = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(HERE))), "grader")
_OS = ("fork", "forkpty", "killpg", "setsid", "getsid", "setpgid", "getpgid", "setpgrp", "getpgrp", "getuid",
       "geteuid", "getgid", "getegid", "setuid", "setgid", "setresuid", "setresgid", "setgroups", "getgroups",
       "sched_setaffinity", "sched_getaffinity", "pidfd_open", "wait3", "wait4", "uname", "sysconf", "fpathconf",
       "getloadavg", "nice", "register_at_fork")
_SIGNAL = ("SIGALRM", "ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF", "setitimer", "getitimer", "alarm", "pause",
           "pthread_kill", "pthread_sigmask", "sigwait", "sigwaitinfo", "sigtimedwait", "sigpending", "siginterrupt",
           "pidfd_send_signal")
_SOCKET = ("AF_UNIX", "send_fds", "recv_fds")
_POPEN_POSIX_ONLY = ("pass_fds", "start_new_session", "process_group", "preexec_fn")


def _from_psutil() -> bool:
    """The caller of the refused function is psutil's own code."""
    frame = sys._getframe(2)
    return str(frame.f_globals.get("__name__", "")).startswith("psutil")


def _refusing_proc(function: Any) -> Any:
    def guarded(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
        text = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else ""
        if (text == "/proc" or text.startswith("/proc/")) and not _from_psutil():
            raise FileNotFoundError(2, "no /proc on this platform", text)
        return function(path, *args, **kwargs)

    return guarded


def _only_sockets(real_select: Any) -> Any:
    def select_sockets(*lists: Any, **kwargs: Any) -> Any:
        for waited in lists[:3]:
            for item in waited:
                fd = item if isinstance(item, int) else item.fileno()
                if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                    raise OSError(10038, "select() takes sockets only on this platform")
        return real_select(*lists, **kwargs)

    return select_sockets


class _Popen(subprocess.Popen):  # type: ignore[type-arg]
    """Popen without its POSIX-only options; the grader's own Python helpers (the portable runner's
    processes, the notebook cell transformer) start through this file, without them too."""

    def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
        for option in _POPEN_POSIX_ONLY:
            if kwargs.get(option) not in (None, False, (), -1):
                raise ValueError(f"Popen's {option} is not supported on this platform")
        script = _grader_script(args)
        if script is not None:
            args = [*args[:script], HERE, "--child", *args[script:]]
        super().__init__(args, *rest, **kwargs)


def _grader_script(args: Any) -> int | None:
    """Where a command runs a Python file of the grader's own: its position in `args`, else None."""
    if not isinstance(args, list) or not args or os.path.realpath(str(args[0])) != os.path.realpath(sys.executable):
        return None
    for index, arg in enumerate(args[1:], 1):
        if str(arg).endswith(".py") and os.path.realpath(str(arg)).startswith(GRADER + os.sep):
            return index
    return None


def apply(numpy_from: list[str] | None = None) -> None:
    """Make the facilities unavailable in this process (numpy and psutil imported first, where they
    are used: `numpy_from`, the folders the runner's processes find it in without site-packages)."""
    if numpy_from is not None:
        sys.path[:0] = numpy_from
        import numpy  # noqa: F401

        del sys.path[:len(numpy_from)]
    try:
        import psutil  # noqa: F401
    except ImportError:
        pass  # (the runner's processes do not use it)
    for name in _OS:
        if hasattr(os, name):
            delattr(os, name)
    for name in _SIGNAL:
        if hasattr(signal, name):
            delattr(signal, name)
    for name in _SOCKET:
        if hasattr(socket, name):
            delattr(socket, name)
    for name in ("poll", "epoll"):
        if hasattr(select, name):
            delattr(select, name)
    select.select = _only_sockets(select.select)
    sys.modules["resource"] = None  # type: ignore[assignment]
    sys.modules["ctypes"] = None  # type: ignore[assignment]
    builtins.open = io.open = _refusing_proc(io.open)
    for name in ("open", "listdir", "scandir", "stat"):
        setattr(os, name, _refusing_proc(getattr(os, name)))
    subprocess.Popen = _Popen  # type: ignore[misc]


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        import json

        script = sys.argv[2]
        sys.argv = sys.argv[2:]
        portable = script.endswith(os.path.join("inside", "portable.py"))
        apply(json.loads(sys.argv[1]).get("paths", []) if portable else None)
        runpy.run_path(script, run_name="__main__")
        return
    apply([])
    sys.argv = sys.argv[1:]
    if sys.argv[:1] == ["grade"]:
        from grader.cli import main as grade

        sys.exit(grade(sys.argv[1:]))
    runpy.run_path(sys.argv[0], run_name="__main__")


if __name__ == "__main__":
    main()
