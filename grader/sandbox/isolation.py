"""How the sandbox's warm worker (the zygote) is started: under bubblewrap or not.

With bubblewrap the worker sees a read-only view of the Python runtime, numpy and
the harness only: no solutions/, no grader package, no other submission, no
results folder, no network, and its own PID/IPC/UTS namespaces. Without it the
fallback does what the kernel allows and every report says so.
"""

from __future__ import annotations

import importlib.util
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

HARNESS_DIR = Path(__file__).resolve().parent / "inside"
SANDBOX_PACKAGES = ("numpy",)
ISOLATION_ENV = "GRADER_ISOLATION"  # "bubblewrap", "fallback" or "portable": that mode, never another

FALLBACK_NOTE = ("weaker isolation: bubblewrap is not available, so the submission ran with resource limits, "
                 "its own session and a scratch folder, but without private namespaces (it could read "
                 "world-readable files, see other processes and reach the network)")

Mode = Literal["bubblewrap", "fallback", "portable"]
# The self-check may use the portable runner by itself; the official grade only when asked to.
Purpose = Literal["official", "self-check"]


@dataclass(frozen=True)
class Isolation:
    mode: Mode
    note: str | None


NO_CGROUP_NOTE = ("memory and processes were limited per process (rlimits) only: no cgroup could be made "
                  "here, so a submission's processes together could use more than its memory limit")
CGROUP_NOTE = "memory and processes were limited per submission ({hierarchy}) and per process (rlimits)"
NO_FILTER_NOTE = "no system-call filter (seccomp) was available here"


def note(isolation: Isolation, cgroup: str | None, seccomp: bool) -> str | None:
    """The report's isolation note: None when every layer held (bubblewrap, a cgroup per
    submission, the system-call filter); otherwise the mode's note and which limits applied."""
    if isolation.note is None and cgroup is not None and seccomp:
        return None
    parts = [isolation.note] if isolation.note else []
    parts.append(CGROUP_NOTE.format(hierarchy=cgroup) if cgroup else NO_CGROUP_NOTE)
    if not seccomp:
        parts.append(NO_FILTER_NOTE)
    return "; ".join(parts)


def package_dirs() -> tuple[list[str], list[str]]:
    """The directories to expose for the sandbox's packages, and their parents for sys.path."""
    dirs: list[str] = []
    parents: list[str] = []
    for name in SANDBOX_PACKAGES:
        found = importlib.util.find_spec(name)  # located, not imported: the worker starts before numpy loads here
        if found is None or found.origin is None:
            raise ModuleNotFoundError(f"the sandbox needs {name}, which is not installed", name=name)
        package = Path(found.origin).resolve().parent
        parent = package.parent
        parents.append(str(parent))
        dirs.append(str(package))
        for sibling in parent.iterdir():
            if sibling.name.startswith(f"{package.name}.libs") or sibling.name.startswith(f"{package.name}_libs"):
                dirs.append(str(sibling))
    return dirs, sorted(set(parents))


def _bwrap_usable(bwrap: str) -> bool:
    try:
        # --as-pid-1: bwrap's own init would report `true`'s exit and bwrap return before that init
        # is gone, leaving it to die (and be reaped) after the grader, in the grader's session.
        probe = subprocess.run([bwrap, "--unshare-all", "--as-pid-1", "--ro-bind", "/", "/", "--die-with-parent",
                                "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


_help: list[str] = []


def _bwrap_offers(option: str) -> bool:
    """This bubblewrap knows `option` (--disable-userns came with 0.8)."""
    if not _help:
        try:
            _help.append(subprocess.run(["bwrap", "--help"], capture_output=True, text=True, timeout=10).stdout)
        except (OSError, subprocess.TimeoutExpired):
            _help.append("")
    return option in _help[0]


def detect(purpose: Purpose = "official") -> Isolation:
    """The mode a grade runs in: the one $GRADER_ISOLATION names, else bubblewrap where it is
    installed and works here; without it the self-check uses the portable runner, and the official
    grade the Linux fallback (with its note), or stops where there is no Linux: it is never given
    the portable runner's weaker limits unless the instructor asks for them."""
    from grader.errors import SandboxError

    asked = os.environ.get(ISOLATION_ENV, "").strip().lower()
    if asked not in ("", "bubblewrap", "fallback", "portable"):
        raise SandboxError(f"{ISOLATION_ENV}={asked!r} is not a mode: use bubblewrap, fallback or portable")
    if asked == "portable":
        return Isolation("portable", None)
    if asked == "fallback":
        if sys.platform != "linux":
            raise SandboxError(f"{ISOLATION_ENV}=fallback needs Linux: use {ISOLATION_ENV}=portable here")
        return Isolation("fallback", FALLBACK_NOTE)
    if _strong_usable():
        return Isolation("bubblewrap", None)
    if asked == "bubblewrap":
        raise SandboxError(f"{ISOLATION_ENV}=bubblewrap, but bubblewrap is not installed or cannot make "
                           "namespaces here")
    if purpose == "self-check":
        return Isolation("portable", None)
    if sys.platform == "linux":
        return Isolation("fallback", FALLBACK_NOTE)
    raise SandboxError(f"the official grade needs Linux (bubblewrap, or the fallback's Linux facilities), and "
                       f"this is {sys.platform}: set {ISOLATION_ENV}=portable to grade with the portable runner, "
                       "whose weaker limits every report then names, or grade on Linux")


_strong: list[bool] = []


def _strong_usable() -> bool:
    """bubblewrap is installed and works here (probed once per process)."""
    if not _strong:
        bwrap = shutil.which("bwrap")
        _strong.append(bwrap is not None and sys.platform == "linux" and _bwrap_usable(bwrap))
    return _strong[0]


SANDBOX_SITE = "/site"  # where the offered packages appear inside bubblewrap, whatever their real path


def zygote_command(isolation: Isolation, control_fd: int) -> list[str]:
    python = os.path.realpath(sys.executable)
    exposed, parents = package_dirs()
    if isolation.mode != "bubblewrap":
        # (the folders that hold the packages hold others too: only these may be imported)
        config: dict[str, object] = {"mode": isolation.mode, "paths": parents, "offered": list(SANDBOX_PACKAGES)}
        return [python, "-I", "-S", str(HARNESS_DIR / "zygote.py"), str(control_fd), json.dumps(config)]
    # The packages are mounted side by side under one fixed folder (numpy's extensions find
    # numpy.libs next to them): a virtual environment may live anywhere, /tmp included, which
    # the sandbox replaces with its own.
    config = {"mode": isolation.mode, "paths": [SANDBOX_SITE]}
    prefix = os.path.realpath(sys.base_prefix)
    # --as-pid-1: the zygote itself is the init of the sandbox's PID namespace. With bwrap's own
    # init in between, bwrap returns as soon as that init reports the zygote's exit, while the init
    # and whatever else lives in the namespace are still dying: `grade` could return before them.
    # Now bwrap returns once the zygote is reaped, and the kernel reaps it only after every other
    # process of the namespace (nested ones included) is gone.
    command = ["bwrap", "--unshare-pid", "--as-pid-1", "--unshare-net", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session",
               "--ro-bind", "/usr", "/usr", "--tmpfs", "/usr/local",
               "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
               "--symlink", "usr/bin", "/bin"]
    # bwrap creates missing parents of a mount point with mode 0700: a runtime installed under
    # /root or a home directory would then be unreadable once the submission runs as nobody.
    # (Inside the runtime's own tree the real directories show, with their real modes.)
    for directory in _ancestors([prefix, python]):
        if not directory.startswith(prefix + os.sep):
            command += ["--perms", "0755", "--dir", directory]
    if not (prefix == "/usr" or prefix.startswith("/usr/") and not prefix.startswith("/usr/local")):
        command += ["--ro-bind", prefix, prefix]  # (under /usr it shows already; /usr/local stays hidden)
    # Hide every package installed with the runtime: the sandbox offers only its own, below.
    hidden = [p for p in _site_dirs() if p.startswith(prefix + os.sep) and os.path.isdir(p)]
    for site_dir in hidden:
        command += ["--tmpfs", site_dir]
    for site_dir in hidden:
        command += ["--remount-ro", site_dir]
    command += ["--perms", "0755", "--dir", SANDBOX_SITE]
    for directory in exposed:
        command += ["--ro-bind", directory, f"{SANDBOX_SITE}/{os.path.basename(directory)}"]
    if not python.startswith(prefix + os.sep):
        command += ["--ro-bind", python, python]
    command += ["--ro-bind", str(HARNESS_DIR), "/harness",
                "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
                "--chdir", "/tmp"]
    if os.geteuid() == 0:
        command += ["--cap-drop", "ALL"]
        for capability in ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL"):
            command += ["--cap-add", capability]
    else:
        # Capabilities inside the new user namespace only (never over the host): the zygote needs
        # them to give each submission its own PID and mount namespaces; the submission drops them.
        # No user namespace can be made inside it (the submissions' seccomp filter refuses them too).
        command += ["--unshare-user"]
        if _bwrap_offers("--disable-userns"):
            command += ["--disable-userns", "--assert-userns-disabled"]
        command += ["--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"]
    command += [python, "-I", "-S", "/harness/zygote.py", str(control_fd), json.dumps(config)]
    return command


def _ancestors(paths: list[str]) -> list[str]:
    """The directories above `paths` that the sandbox's root does not already provide, outermost first."""
    found: set[str] = set()
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in ("/", "") and not parent.startswith("/usr/") and parent != "/usr":
            found.add(parent)
            parent = os.path.dirname(parent)
    return sorted(found, key=lambda p: (p.count(os.sep), p))


def _site_dirs() -> list[str]:
    import site
    import sysconfig

    found = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    try:
        found.update(site.getsitepackages())
    except AttributeError:
        pass
    return sorted(os.path.realpath(p) for p in found)


GRACE_SECONDS = 5.0  # for the zygote to end by itself once its control socket is closed
KILL_SECONDS = 10.0  # for the kernel to empty a killed sandbox (a process in uninterruptible sleep)


class ZygoteProcess(subprocess.Popen[bytes]):
    """The sandbox's process (bwrap, or the zygote itself in the fallback). Ending it ends its whole
    tree, and `stop()`, `kill()` and `terminate()` return only once nothing of that tree is left
    (so `grade` never exits ahead of a process it started)."""

    bubblewrap = False
    info_fd = -1  # bubblewrap: where bwrap writes the zygote's pid (the init of its PID namespace)

    def stop(self, grace: float = GRACE_SECONDS) -> None:
        """Wait up to `grace` seconds for the zygote to end by itself (its control socket closed:
        it kills its submissions' processes first), then end it."""
        try:
            self.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_info()

    def kill(self) -> None:
        """End the whole tree and wait for it. Under bubblewrap the zygote (the namespace's init) is
        killed, not bwrap: the kernel then kills every process of the namespace, and bwrap exits
        once the zygote is reaped, which is only after all of them. (Killing bwrap first would make
        the zygote an orphan dying after the grader, reaped by whatever init the machine has.) In
        the fallback the zygote is asked with SIGTERM to kill and reap its submissions' processes."""
        if self.poll() is None:
            if self.bubblewrap:
                self._signal_init(signal.SIGKILL)
            else:
                _signal(self.pid, signal.SIGTERM)
            try:
                self.wait(timeout=KILL_SECONDS)
            except subprocess.TimeoutExpired:
                _signal(-self.pid, signal.SIGKILL)  # its own process group: the last resort
                super().kill()
                self.wait()
        self._close_info()

    terminate = kill

    def _signal_init(self, signum: int) -> None:
        pid = self._init_pid()
        if pid is None:
            super().kill()  # bwrap never started the zygote: there is no namespace to end
            return
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            return  # gone already: bwrap exits on its own
        try:
            if _parent_of(pid) == self.pid and self.poll() is None:  # still bwrap's child, not a reused pid
                signal.pidfd_send_signal(pidfd, signum)
        except OSError:
            pass
        finally:
            os.close(pidfd)

    def _init_pid(self) -> int | None:
        """The zygote's pid as bwrap reported it (written right after the namespace is made)."""
        if self.info_fd < 0:
            return None
        data = b""
        deadline = time.monotonic() + KILL_SECONDS
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.info_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(self.info_fd, 4096) if ready else b""
            if not chunk:
                break
            data += chunk
        try:
            pid = json.loads(data).get("child-pid")
        except (ValueError, AttributeError):
            return None
        return pid if type(pid) is int and pid > 0 else None

    def _close_info(self) -> None:
        if self.info_fd >= 0:
            os.close(self.info_fd)
            self.info_fd = -1


def _signal(target: int, signum: int) -> None:
    try:
        os.kill(target, signum)
    except OSError:
        pass


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Started:
    """A zygote on its way up: the process, and the grader's end of its control socket."""

    isolation: Isolation
    process: ZygoteProcess
    control: socket.socket


def start_zygote(isolation: Isolation | None = None) -> Started:
    """Start the warm worker; it imports numpy and tests its isolation while the grader goes on
    (a `grade` call starts it first thing, before its own imports)."""
    from grader.errors import SandboxError

    isolation = isolation or detect()
    if isolation.mode != "bubblewrap" and os.geteuid() != 0:
        _not_dumpable()
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    command = zygote_command(isolation, child.fileno())
    passed = [child.fileno()]
    info_r, info_w = -1, -1
    if isolation.mode == "bubblewrap":
        info_r, info_w = os.pipe()
        command[1:1] = ["--info-fd", str(info_w)]
        passed.append(info_w)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    try:
        # A process group of its own: a Ctrl-C at the terminal (SIGINT to the foreground group) or
        # a signal to grade's group would otherwise kill bwrap at once, and its namespace would die
        # after grade. The grader ends the sandbox itself, and waits for it (still in its session).
        process = ZygoteProcess(command, pass_fds=passed, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=env, close_fds=True, process_group=0)
    except OSError as error:
        parent.close()
        if info_r >= 0:
            os.close(info_r)
        raise SandboxError(f"cannot start the sandbox: {error}") from None
    finally:
        child.close()
        if info_w >= 0:
            os.close(info_w)
    process.bubblewrap, process.info_fd = isolation.mode == "bubblewrap", info_r
    return Started(isolation, process, parent)


def _not_dumpable() -> None:
    """In the fallback without root, the submission runs as the grader's own user: make this
    process's /proc entries (environ, mem, cwd) root's and refuse ptrace, so that it cannot read
    the grader's environment or memory. (Its other processes stay visible: see SECURITY.md.)"""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE
    except (OSError, AttributeError):
        pass
