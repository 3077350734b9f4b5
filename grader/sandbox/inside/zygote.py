"""A warm worker inside the sandbox: numpy is imported once, each submission is a fork.

The zygote never runs student code. For each submission it forks a process that
(under bubblewrap) enters fresh PID and mount namespaces with a private /tmp and
/proc, applies resource limits, drops every privilege, and only then loads the
student's code. Usage: zygote.py CONTROL_FD CONFIG_JSON
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import resource
import secrets
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

config: dict[str, Any] = json.loads(sys.argv[2])
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__))] + list(config.get("paths", []))
os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})

import harness  # noqa: E402
import numpy  # noqa: E402  (preloaded here so that no submission pays for it)
import syscalls  # noqa: E402
import wire  # noqa: E402

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 0x4000, 1 << 18
MS_REMOUNT, MS_BIND, MS_RELATIME = 32, 4096, 1 << 21
PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 38, 36, 4, 24
PR_SET_PDEATHSIG = 1
# When started as root, every submission runs under a uid and gid of its own, drawn from a range
# no real account uses: the process limit then counts its processes only, kill(-1) from it reaches
# its own processes only, and whatever it leaves behind can be found and killed by that uid.
UID_BASE, UID_SPAN = 1_700_000_000, 100_000_000

_libc = ctypes.CDLL(None, use_errno=True)
# The seccomp filter of syscalls.py, on every submission, where this kernel and architecture have it.
SECCOMP = syscalls.program() is not None and _libc.prctl(21, 0, 0, 0, 0) >= 0  # PR_GET_SECCOMP


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str, target: str, fstype: str, flags: int, data: str) -> None:
    _check(_libc.mount(source.encode(), target.encode(), fstype.encode(), flags,
                       data.encode() if data else None), f"mount {target}")


_MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "relatime": MS_RELATIME,
                "noatime": 1024, "nodiratime": 2048, "strictatime": 1 << 24}


def _lock_down_mounts() -> None:
    """Read-only bind remounts of every writable directory mount but this submission's own /tmp and
    /proc, in its mount namespace only. Each mount keeps its other flags: in a user namespace,
    dropping one of them is refused."""
    with open("/proc/self/mountinfo") as mountinfo:
        mounts = [line.split() for line in mountinfo]
    for fields in mounts:
        target, options = fields[4], set(fields[5].split(","))
        if "rw" not in options or target == "/tmp" or target == "/proc" or target.startswith("/proc/"):
            continue
        if not os.path.isdir(target):  # /dev/null and the other device nodes bound as files
            continue
        flags = sum(_MOUNT_FLAGS.get(option, 0) for option in options)
        _mount("none", target, "", MS_REMOUNT | MS_BIND | MS_RDONLY | flags, "")


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
    else:
        # Without a uid of its own the limit counts every process of the grader's user: allow
        # the ones that exist now plus the spec's number (racy, but bounds a fork storm).
        cap(resource.RLIMIT_NPROC, _tasks_of(os.getuid()) + limits["processes"])


def _tasks_of(uid: int) -> int:
    """How many tasks (threads included, as RLIMIT_NPROC counts them) `uid` runs now."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as status:
                    fields = dict(line.split(":", 1) for line in status if ":" in line)
                if int(fields["Uid"].split()[0]) == uid:
                    count += int(fields.get("Threads", "1"))
            except (OSError, ValueError, KeyError):
                continue
    return count


def _drop_privileges(uid: int | None) -> None:
    """Become the submission's own uid (when started as root) and give up every capability for good."""
    for capability in range(64):  # no capability can ever come back, not even through exec
        _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    _clear_capabilities()
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _clear_capabilities() -> None:
    """Effective, permitted, inheritable and ambient sets emptied: without a uid change (bwrap as an
    ordinary user) the process would otherwise keep the capabilities the zygote has in its namespace."""
    PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def _close_other_fds(keep: set[int]) -> None:
    """Close every descriptor from 3 up but `keep` (closerange: one system call, not a thousand)."""
    low = 3
    for fd in sorted(keep) + [max(1024, os.sysconf("SC_OPEN_MAX"))]:
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1


def _submission_uid() -> int | None:
    if os.geteuid() == 0 and config.get("uid_switch", True):
        return UID_BASE + secrets.randbelow(UID_SPAN)
    return None


def _become_submission(sock_fd: int, out_fd: int, limits: dict[str, int], scratch: str | None,
                       uid: int | None) -> None:
    """In the forked child: isolate, limit, drop privileges, then load and serve."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    _close_other_fds({sock_fd})
    own_namespace = config["mode"] == "bubblewrap"
    if own_namespace:
        _mount("none", "/", "", MS_REC | MS_PRIVATE, "")
        _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV,
               f"size={limits['scratch_mb']}m,mode=1777,nr_inodes=4096")
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "")
        # Nothing the worker's submissions share stays writable: bwrap's root, /dev and tmpfs
        # mounts belong to the user running the grader (writable when that is not root), so every
        # mount becomes read-only in this namespace, and /dev/shm is a fresh one.
        _lock_down_mounts()
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
               f"size={limits['scratch_mb']}m,mode=1777,nr_inodes=1024")
        os.chdir("/tmp")
    else:
        os.chdir(scratch or "/")
    # A session and process group of its own, in both modes: otherwise it would share the
    # zygote's group, and kill(0) would reach the zygote whenever they share a uid.
    os.setsid()
    _apply_limits(limits)  # before dropping privileges: RLIMIT_NPROC binds the uid we become
    _drop_privileges(uid)
    if SECCOMP:
        syscalls.install()  # after no_new_privs (which it needs), before any student code
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after the uid change, which clears it
    os.environ.clear()
    os.environ.update({"PATH": "/usr/bin:/bin", "HOME": os.getcwd(), "LANG": "C.UTF-8",
                       "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    sock = socket.socket(fileno=sock_fd)
    first = wire.recv(sock)
    harness.serve_submission(sock, first, own_namespace, own_uid=uid is not None,
                             output_limit=int(limits.get("output_kb", 64)) * 1024,
                             offered=frozenset(config["offered"]) if "offered" in config else None)


@dataclass
class Live:
    """A started submission: what to kill, and how to learn how it ended (a child of this process
    in both modes)."""

    target: int  # the pid to kill: the init of its namespace, or the leader of its group
    scratch: str | None = None  # its scratch folder (fallback)
    uid: int | None = None  # its uid (when started as root)
    report: int = -1  # bubblewrap: where the namespace's init writes how the submission's process ended


_home: list[int] = []  # this process's own PID namespace, to come back to after each submission's


def _fork_submission(sock_fd: int, out_fd: int, limits: dict[str, int], groups: list[int] | None = None) -> Live:
    """Start one submission's process: a child of this one (fallback), or the child of the init
    of a PID namespace of its own (bubblewrap). It isolates itself, then waits for the code.
    `groups`: the `cgroup.procs` files of the cgroups the grader made for this submission (memory
    and processes counted for the submission as a whole): the child joins them first thing."""
    scratch = None
    uid = _submission_uid()
    isolated = config["mode"] == "bubblewrap"
    if not isolated:
        scratch = tempfile.mkdtemp(prefix="grade-scratch-")
        if uid is not None:
            os.chown(scratch, uid, uid)
    else:
        # The next child is the init of a PID namespace of its own; this process stays where it is
        # and comes back to its own namespace for its later children (no go-between process).
        try:
            if not _home:
                _home.append(os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC))
            _check(_libc.unshare(CLONE_NEWPID), "unshare")
        except OSError as error:  # no submission then: the grader reads why on its output
            _set_up_failed(out_fd, error)
            return Live(0, scratch, uid)
    report_r, report_w = os.pipe() if isolated else (-1, -1)
    try:
        pid = os.fork()
    except BaseException:
        _come_home(isolated)
        for fd in (report_r, report_w):
            if fd >= 0:
                os.close(fd)
        raise
    if pid == 0:
        code = 0
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)  # (the zygote's own handler is for the zygote)
            _join_groups(groups or [])  # before anything else is forked: every process of it is counted
            if isolated:
                os.close(report_r)
                _be_init(report_w)  # returns in the submission's process only
                _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
            _become_submission(sock_fd, out_fd, limits, scratch, uid)
        except BaseException as error:
            _set_up_failed(out_fd, error)
            code = 70
        os._exit(code)
    _come_home(isolated)
    if isolated:
        os.close(report_w)
    return Live(pid, scratch, uid, report_r)


def _join_groups(groups: list[int]) -> None:
    """Move this process into the submission's cgroups ("0" is the writer itself); a failure
    stops the set-up, so that no submission runs outside the limits the grader asked for."""
    for fd in groups:
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)


def _be_init(report_w: int) -> None:
    """The init of the submission's PID namespace forks the submission's process, then only reaps
    (orphans included) until that process ends, writes how it ended and exits, which ends the
    namespace. The submission's process is not the init itself: the kernel would ignore the
    signals it sends itself, and the part it serves last would outlive an os.kill(os.getpid())."""
    inner = os.fork()
    if inner == 0:
        os.close(report_w)
        return
    _close_other_fds({report_w})
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # no handler: the kernel keeps the namespace's signals from its init
    status = -1
    while True:
        try:
            pid, raw = os.wait()
        except InterruptedError:
            continue
        except ChildProcessError:
            break
        if pid == inner:
            status = os.waitstatus_to_exitcode(raw)
            break
    try:
        os.write(report_w, f"{status}\n".encode())
    except OSError:
        pass
    os._exit(0)


def _set_up_failed(out_fd: int, error: BaseException) -> None:
    """Set-up failures go on the submission's output pipe, where the grader reads them."""
    for fd in (out_fd, 2):  # (out_fd is not yet stdout when unshare itself failed)
        try:
            os.write(fd, f"sandbox set-up failed: {error}\n".encode())
            break
        except OSError:
            pass


def _come_home(isolated: bool) -> None:
    if isolated:
        _check(_libc.setns(_home[0], CLONE_NEWPID), "setns")


def _exit_status(live: Live, exited: dict[int, int], seconds: float = 0.5) -> int | None:
    """How the submission's process ended (an exit code, or minus the signal), if it did within
    `seconds`: the grader asks when the process closed its channel in the middle of a session."""
    if live.report >= 0:
        ready, _, _ = select.select([live.report], [], [], seconds)
        line = os.read(live.report, 32).decode("ascii", "replace").strip() if ready else ""
        return int(line) if line.lstrip("-").isdigit() else None
    deadline = time.monotonic() + seconds
    while live.target not in exited and time.monotonic() < deadline:
        harness.reap(exited)
        time.sleep(0.001)
    return exited.pop(live.target, None)


SELF_TEST_LIMITS = {"memory_mb": 256, "cpu_seconds": 10, "file_mb": 1, "scratch_mb": 1, "processes": 8,
                    "output_kb": 4}


def _self_test() -> str:
    """Isolate and load one empty submission, exactly as a real one: "ok", or why it failed. A
    sandbox that cannot isolate must stop the grading, not give every student a load error."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    out_r, out_w = os.pipe()
    started = _fork_submission(theirs.fileno(), out_w, SELF_TEST_LIMITS)
    theirs.close()
    os.close(out_w)
    try:
        mine.settimeout(20)
        wire.send(mine, {"op": "load", "units": [{"label": "self-test", "source": "x = 1\n"}]})
        reply = wire.recv(mine)
        wire.send(mine, {"op": "exit"})
        return "ok" if reply.get("op") == "loaded" else f"unexpected reply {str(reply.get('op'))[:40]}"
    except (OSError, EOFError, wire.WireError) as error:
        _kill(started, {})
        os.set_blocking(out_r, False)
        try:
            said = os.read(out_r, 2000).decode("utf-8", "replace").strip()
        except OSError:
            said = ""
        return said or f"no answer ({type(error).__name__})"
    finally:
        mine.close()
        _kill(started, {})
        os.close(out_r)


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    live: dict[str, Live] = {}
    gc.collect()
    gc.freeze()  # numpy and the harness are shared with every fork: no collection there copies them
    # The grader ends the zygote by closing the control socket or, if it must, with SIGTERM (the
    # fallback) or SIGKILL (under bubblewrap, where the kernel then empties the namespace): either
    # way the submissions' processes are killed and reaped before it is gone.
    signal.signal(signal.SIGTERM, _stop)
    try:
        _serve(control, live)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for started in list(live.values()):
            _kill(started, {})
        _reap_everything()


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _reap_everything() -> None:
    """Kill every child left (orphans re-parented to this subreaper included) and wait for each,
    until none is left: the grader waits for this process, so nothing outlives the grading. (Under
    bubblewrap this process is the init of the namespace: its exit ends all of them anyway.)"""
    while True:
        _sweep(set(), None)
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def _serve(control: socket.socket, live: dict[str, Live]) -> None:
    exited: dict[int, int] = {}  # how the children that ended did, until the grader asks (or the next start)
    control.send(json.dumps({"op": "ready", "numpy": numpy.__version__, "python": sys.version.split()[0],
                             "self_test": _self_test(), "seccomp": SECCOMP}).encode())
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, 65536, 8)
        except OSError:
            break
        if not data:
            break
        message = json.loads(data)
        op = message.get("op")
        if op == "start" and 2 <= len(fds) <= 4:
            exited.clear()
            try:
                live[message["id"]] = _fork_submission(fds[0], fds[1], message["limits"], fds[2:])
            finally:
                for fd in fds:
                    os.close(fd)
            reply = {"op": "started", "id": message["id"]}
        elif op == "sweep":
            started = live.get(str(message.get("id")))
            reply = {"op": "swept", "found": _sweep_part(started, live) if started is not None else 0}
        elif op == "kill":
            ended = live.pop(str(message.get("id")), None)
            status = _exit_status(ended, exited) if ended is not None and message.get("status") is True else None
            if ended is not None:
                _kill(ended, live)
            reply = {"op": "killed", "id": message.get("id"), "status": status}
        elif op == "pin":
            try:  # submissions forked from now on run on the grader's CPU: no cross-CPU wake-ups per call
                os.sched_setaffinity(0, {int(message.get("cpu", 0))})
                reply = {"op": "pinned"}
            except (OSError, ValueError, TypeError) as error:
                reply = {"op": "unpinned", "why": str(error)[:200]}
        else:
            for fd in fds:
                os.close(fd)
            reply = {"op": "unknown"}
        harness.reap(exited)
        control.send(json.dumps(reply).encode())


def _kill(started: Live, live: dict[str, Live]) -> None:
    if started.report >= 0:
        os.close(started.report)
        started.report = -1
    if started.target <= 0:
        return
    for kill in (os.killpg, os.kill):
        try:
            kill(started.target, signal.SIGKILL)
        except OSError:
            pass
    if config["mode"] != "bubblewrap":
        # No PID namespace: hunt down whatever escaped the process group (setsid, double fork).
        spare = {entry.target for entry in live.values()}
        for _ in range(200):
            found = _sweep(spare, started.uid)
            harness.reap()
            if not found:
                break
    if started.scratch:
        shutil.rmtree(started.scratch, ignore_errors=True)
    started.target = 0
    harness.reap()


def _status_fields(pid: str) -> tuple[int, list[str]]:
    """A process's parent and its pid in each PID namespace from ours down (NSpid)."""
    parent, nspid = -1, []
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("PPid:"):
                parent = int(line.split()[1])
            elif line.startswith("NSpid:"):
                nspid = line.split()[1:]
    return parent, nspid


def _sweep_part(started: Live, live: dict[str, Live]) -> int:
    """Kill every process a part left behind, from here (the submission's own kill(-1) at the end
    of a part runs under its own seccomp filters, which can make it a no-op): every process of the
    submission but its loaded process and, under bubblewrap, its namespace's init. Repeated until
    none is found (a process can fork while the sweep runs; the process limit bounds it)."""
    total = 0
    for _ in range(200):
        found = 0
        if config["mode"] == "bubblewrap":
            found = _kill_descendants(started.target, keep_inner=True)
        elif started.uid is not None:
            found = _sweep({entry.target for entry in live.values()}, started.uid)
        else:  # under it, and the orphans re-parented to this subreaper (a double fork)
            found = _kill_descendants(started.target, keep_inner=False)
            found += _sweep({entry.target for entry in live.values()}, None)
        harness.reap()
        total += found
        if not found:
            break
    return total


def _kill_descendants(root: int, keep_inner: bool) -> int:
    """SIGKILL every descendant of `root` (orphans of a PID namespace are re-parented to its init,
    so under bubblewrap that is the whole namespace); `keep_inner`: but the init's first child (pid 2
    in the namespace: the loaded process). Returns how many were signalled."""
    if root <= 0:
        return 0
    parents: dict[int, tuple[int, list[str]]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = _status_fields(entry)
            except (OSError, ValueError):
                continue
    inside = {root}
    grew = True
    while grew:
        grew = False
        for pid, (parent, _) in parents.items():
            if parent in inside and pid not in inside:
                inside.add(pid)
                grew = True
    found = 0
    for pid in inside - {root}:
        if keep_inner and parents[pid][0] == root and parents[pid][1][-1:] == ["2"]:
            continue
        found += 1
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return found


def _real_uid(pid: str) -> int:
    # not os.stat(/proc/pid): a process that changed uid is not dumpable and /proc shows it as root's
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    raise ValueError("no Uid line")


def _sweep(spare: set[int], uid: int | None) -> int:
    """Kill every process of the submission's own uid, and every orphan re-parented to us (we are a
    subreaper), but the other live submissions. Returns how many were found: the caller repeats
    until none is left, since a process can fork while the sweep runs."""
    me = str(os.getpid())
    found = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in spare or entry == me:
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            owner = _real_uid(entry) if uid is not None else None
        except (OSError, IndexError, ValueError):
            continue
        if fields[0] == "Z":  # a zombie is dead already; harness.reap collects ours
            continue
        if fields[1] == me or (uid is not None and owner == uid):
            found += 1
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
    return found


if __name__ == "__main__":
    main()
