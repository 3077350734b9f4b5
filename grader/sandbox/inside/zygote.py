"""A warm worker inside the sandbox: numpy is imported once, each submission is a fork.

The zygote never runs student code. For each submission it forks a process that
(under bubblewrap) enters fresh PID and mount namespaces with a private /tmp and
/proc, applies resource limits, drops every privilege, and only then loads the
student's code. Usage: zygote.py CONTROL_FD CONFIG_JSON
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
from typing import Any

config: dict[str, Any] = json.loads(sys.argv[2])
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__))] + list(config.get("paths", []))
os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})

import numpy  # noqa: E402  (preloaded here so that no submission pays for it)

import harness  # noqa: E402
import wire  # noqa: E402

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 0x4000, 1 << 18
PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 38, 36, 4, 24
PR_SET_PDEATHSIG = 1
NOBODY = 65534

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str, target: str, fstype: str, flags: int, data: str) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode(), flags,
                       data.encode() if data else None), f"mount {target}")


def _apply_limits(limits: dict[str, int]) -> None:
    def cap(which: int, value: int) -> None:
        soft, hard = resource.getrlimit(which)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (value, value))

    with open("/proc/self/status") as status:
        mapped_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    cap(resource.RLIMIT_AS, mapped_kb * 1024 + limits["memory_mb"] * 1024 * 1024)
    cap(resource.RLIMIT_CPU, limits["cpu_seconds"])
    cap(resource.RLIMIT_FSIZE, limits["file_mb"] * 1024 * 1024)
    cap(resource.RLIMIT_NOFILE, 64)
    cap(resource.RLIMIT_CORE, 0)
    if os.geteuid() == 0 or config["mode"] == "bubblewrap":
        cap(resource.RLIMIT_NPROC, limits["processes"])


def _drop_privileges() -> None:
    """Become nobody (when started as root) and give up every capability for good."""
    if os.geteuid() == 0 and config.get("uid_switch", True):
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    else:
        for capability in range(64):
            _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def _close_other_fds(keep: set[int]) -> None:
    for fd in range(3, 1024):
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def _become_submission(sock_fd: int, out_fd: int, limits: dict[str, int], scratch: str | None) -> None:
    """In the forked child: isolate, limit, drop privileges, then load and serve."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    _close_other_fds({sock_fd})
    pid_one = config["mode"] == "bubblewrap"
    if pid_one:
        _mount("none", "/", "", MS_REC | MS_PRIVATE, "")
        _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={limits['scratch_mb']}m,mode=1777,nr_inodes=4096")
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "")
        os.chdir("/tmp")
    else:
        os.setsid()
        os.chdir(scratch or "/")
    _apply_limits(limits)
    _drop_privileges()
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": os.getcwd(), "LANG": "C.UTF-8",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    sock = socket.socket(fileno=sock_fd)
    first = wire.recv(sock)
    harness.serve_submission(sock, list(first.get("units", [])), pid_one)


def _fork_submission(sock_fd: int, out_fd: int, limits: dict[str, int]) -> tuple[int, str | None]:
    """Returns the pid to kill for this submission (the init of its namespace, or its group)."""
    scratch = None
    if config["mode"] != "bubblewrap":
        scratch = tempfile.mkdtemp(prefix="grade-scratch-")
        if os.geteuid() == 0:
            os.chown(scratch, NOBODY, NOBODY)
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(report_r)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            if config["mode"] == "bubblewrap":
                _check(_libc.unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC), "unshare")
                inner = os.fork()
                if inner:
                    os.write(report_w, str(inner).encode())
                    os.close(report_w)
                    _close_other_fds(set())
                    os._exit(max(0, harness._wait_for(inner)))
            os.close(report_w)
            _become_submission(sock_fd, out_fd, limits, scratch)
        except BaseException as error:  # report set-up failures on the output pipe
            try:
                os.write(2, f"sandbox set-up failed: {error}\n".encode())
            except OSError:
                pass
            code = 70
        os._exit(code)
    os.close(report_w)
    target = pid
    if config["mode"] == "bubblewrap":
        data = os.read(report_r, 32)
        target = int(data) if data.strip().isdigit() else pid
    os.close(report_r)
    return target, scratch


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    live: dict[str, tuple[int, str | None]] = {}
    control.send(json.dumps({"op": "ready", "numpy": numpy.__version__,
                             "python": sys.version.split()[0]}).encode())
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, 65536, 4)
        except OSError:
            break
        if not data:
            break
        message = json.loads(data)
        op = message.get("op")
        if op == "start" and len(fds) == 2:
            target, scratch = _fork_submission(fds[0], fds[1], message["limits"])
            for fd in fds:
                os.close(fd)
            live[message["id"]] = (target, scratch)
            reply = {"op": "started", "id": message["id"]}
        elif op == "kill":
            target, scratch = live.pop(message.get("id"), (0, None))
            _kill(target, scratch, live)
            reply = {"op": "killed", "id": message.get("id")}
        else:
            for fd in fds:
                os.close(fd)
            reply = {"op": "unknown"}
        _reap()
        control.send(json.dumps(reply).encode())
    for target, scratch in list(live.values()):
        _kill(target, scratch, {})


def _kill(target: int, scratch: str | None, live: dict[str, tuple[int, str | None]]) -> None:
    if target <= 0:
        return
    for kill in (os.killpg, os.kill):
        try:
            kill(target, signal.SIGKILL)
        except OSError:
            pass
    if config["mode"] != "bubblewrap":
        _sweep_orphans(spare={pid for pid, _ in live.values()})
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    _reap()


def _sweep_orphans(spare: set[int]) -> None:
    """Without a PID namespace, escaped daemons are re-parented to us (a subreaper): kill them."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and int(entry) not in spare:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass


if __name__ == "__main__":
    main()
