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
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HARNESS_DIR = Path(__file__).resolve().parent / "inside"
SANDBOX_PACKAGES = ("numpy",)
ISOLATION_ENV = "GRADER_ISOLATION"  # "fallback" forces the weaker mode (for tests)

FALLBACK_NOTE = ("weaker isolation: bubblewrap is not available, so the submission ran with resource limits, "
                 "its own session and a scratch folder, but without private namespaces (it could read "
                 "world-readable files, see other processes and reach the network)")


@dataclass(frozen=True)
class Isolation:
    mode: str  # "bubblewrap" or "fallback"
    note: str | None


def _package_dirs() -> tuple[list[str], list[str]]:
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
        probe = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/", "/", "--die-with-parent", "true"],
                               capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


_detected: Isolation | None = None


def detect() -> Isolation:
    """bubblewrap when it is installed and works here; the fallback otherwise."""
    global _detected
    if os.environ.get(ISOLATION_ENV) == "fallback":
        return Isolation("fallback", FALLBACK_NOTE)
    if _detected is None:
        bwrap = shutil.which("bwrap")
        usable = bwrap is not None and sys.platform == "linux" and _bwrap_usable(bwrap)
        _detected = Isolation("bubblewrap", None) if usable else Isolation("fallback", FALLBACK_NOTE)
    return _detected


SANDBOX_SITE = "/site"  # where the offered packages appear inside bubblewrap, whatever their real path


def zygote_command(isolation: Isolation, control_fd: int) -> list[str]:
    python = os.path.realpath(sys.executable)
    package_dirs, parents = _package_dirs()
    if isolation.mode != "bubblewrap":
        config = {"mode": isolation.mode, "paths": parents}
        return [python, "-I", "-S", str(HARNESS_DIR / "zygote.py"), str(control_fd), json.dumps(config)]
    # The packages are mounted side by side under one fixed folder (numpy's extensions find
    # numpy.libs next to them): a virtual environment may live anywhere, /tmp included, which
    # the sandbox replaces with its own.
    config = {"mode": isolation.mode, "paths": [SANDBOX_SITE]}
    prefix = os.path.realpath(sys.base_prefix)
    command = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
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
    for directory in package_dirs:
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
        command += ["--unshare-user", "--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_SETPCAP"]
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


@dataclass(frozen=True)
class Started:
    """A zygote on its way up: the process, and the grader's end of its control socket."""

    isolation: Isolation
    process: subprocess.Popen[bytes]
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
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    try:
        # A session of its own: a terminal's Ctrl-C reaches the grader, which stops the worker
        # itself after the work in hand, instead of the worker dying under a submission.
        process = subprocess.Popen(command, pass_fds=[child.fileno()], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, close_fds=True,
                                   start_new_session=True)
    except OSError as error:
        parent.close()
        raise SandboxError(f"cannot start the sandbox: {error}") from None
    finally:
        child.close()
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
