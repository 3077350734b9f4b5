"""The portable runner: the self-check on Windows, macOS, and Linux without bubblewrap.

Each part of a submission runs in a fresh Python interpreter started as a new program (no fork),
which speaks the sandbox's wire protocol over loopback TCP and sends the same plain data as a
sandboxed submission (see inside/portable.py). The grader holds each check's time limit and the
output limit as it does for the sandbox, ends the process's whole tree after each part and on a
timeout, and watches the tree's memory and size. A self-check runs the student's own code on
the student's own machine: it needs limits and a clean end, not a fortress, and its report says
exactly which limits held. The next part's interpreter starts while this part runs.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil

from grader.errors import SandboxError
from grader.sandbox import client
from grader.sandbox import isolation as isolation_mod
from grader.sandbox.inside import wire
from grader.spec import Limits

CHILD = isolation_mod.HARNESS_DIR / "portable.py"
CONNECT_SECONDS = 60.0  # for a fresh interpreter to import numpy and call back (a cold laptop disk)
REPLY_SECONDS = 10.0
WATCH_SECONDS = 0.1  # how often the memory and the number of processes are looked at
KILL_SECONDS = 10.0
MB = 1024 * 1024
# Passed on to the student's interpreter: what Python itself needs on each platform, nothing else
# (no token, key or path of the grader's).
_ENVIRONMENT = ("PATH", "SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "TEMP", "TMP", "TMPDIR", "HOME", "USERPROFILE",
                "LANG", "LC_ALL")
_ids = itertools.count(1)


@dataclass
class _Child:
    """One interpreter: started, then connected, then given to a submission."""

    process: subprocess.Popen[bytes]
    root: psutil.Process | None  # the same process, known by its start time too (a reused pid is never it)
    token: str
    output: int  # the read end of its stdout and stderr
    scratch: str  # its working folder, removed with it
    sock: socket.socket | None = None
    hello: dict[str, Any] = field(default_factory=dict)
    memory_mb: int = 0
    processes: int = 0
    seen: dict[int, psutil.Process] = field(default_factory=dict)  # every process the watch found under it


class PortableSandbox(client.Runner):
    """Fresh interpreters, one per part of a submission, one of them always warm."""

    forks = False

    def __init__(self, isolation: isolation_mod.Isolation | None = None) -> None:
        self.isolation = isolation or isolation_mod.Isolation("portable", None)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._port = self._listener.getsockname()[1]
        self._packages = isolation_mod.package_dirs()[1]
        self._lock = threading.RLock()  # (re-entrant: close() on SIGTERM may interrupt this thread holding it)
        self._live: dict[str, _Child] = {}
        self._arrived: dict[str, tuple[socket.socket, dict[str, Any]]] = {}  # connected, by token
        self._versions: dict[str, str] | None = None
        self._address_space: bool | None = None  # every process had the address-space limit (None: none yet)
        self._limits: Limits | None = None
        self._closed = threading.Event()
        self._watcher: threading.Thread | None = None
        self._spare: _Child | None = self._spawn()
        client._open.add(self)
        client._close_on_sigterm()

    # ---------------------------------------------------------------- processes

    def _spawn(self) -> _Child:
        token = secrets.token_hex(16)
        scratch = tempfile.mkdtemp(prefix="grade-portable-")
        read, write = os.pipe()
        config = {"port": self._port, "paths": self._packages, "offered": list(isolation_mod.SANDBOX_PACKAGES)}
        command = [_interpreter(), "-I", "-S", str(CHILD), json.dumps(config)]
        environment = {key: os.environ[key] for key in _ENVIRONMENT if key in os.environ}
        try:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=write, stderr=write, cwd=scratch,
                                       env=environment, close_fds=True,
                                       creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as error:
            os.close(read)
            shutil.rmtree(scratch, ignore_errors=True)
            raise SandboxError(f"cannot start Python for the submission: {error}") from None
        finally:
            os.close(write)
        assert process.stdin is not None
        try:
            # The token, then nothing: the pipe stays open as the process's lifeline (it ends itself
            # when this end closes, the grader's own death included).
            process.stdin.write(f"{token}\n".encode())
            process.stdin.flush()
        except OSError:
            pass  # it died already: _connect says why
        try:
            root: psutil.Process | None = psutil.Process(process.pid)
        except psutil.Error:
            root = None  # gone already: _connect says why
        return _Child(process, root, token, read, scratch)

    def _connect(self, child: _Child) -> None:
        """Wait for `child` to call back: connections that do not bring a token of ours are dropped."""
        deadline = time.monotonic() + CONNECT_SECONDS
        while child.token not in self._arrived:
            if child.process.poll() is not None or time.monotonic() > deadline:
                end_tree(child.process)
                raise SandboxError("the portable runner's Python did not start: " + _said(child.output))
            self._listener.settimeout(0.2)
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(REPLY_SECONDS)
            try:
                hello = wire.recv(sock)
            except (OSError, EOFError, wire.WireError):
                sock.close()
                continue
            if hello.get("op") == "hello" and isinstance(hello.get("token"), str):
                self._arrived[hello["token"]] = (sock, hello)
            else:
                sock.close()
        child.sock, child.hello = self._arrived.pop(child.token)
        if self._versions is None:
            self._versions = {key: str(child.hello.get(key))[:40] for key in ("numpy", "python")}

    def _connected_spare(self) -> _Child:
        """The warm interpreter, connected (started now if there was none)."""
        if self._spare is None:
            self._spare = self._spawn()
        if self._spare.sock is None:
            try:
                self._connect(self._spare)
            except SandboxError:
                self._end(self._spare)
                self._spare = None
                raise
        return self._spare

    def _take_spare(self) -> _Child:
        child = self._connected_spare()
        self._spare = None
        try:
            self._spare = self._spawn()  # the next part's, starting while this one runs
        except SandboxError:
            pass  # this part goes on; the next one starts its own, or says why it cannot
        return child

    def _start(self, limits: Limits) -> tuple[str, socket.socket, client.OutputCollector]:
        with self._lock:
            child = self._take_spare()
        assert child.sock is not None
        self._limits = limits
        try:
            if child.root is None:
                raise psutil.NoSuchProcess(child.process.pid)
            baseline = child.root.memory_info().vms
            wire.send(child.sock, {"op": "limits", "address_space": baseline + limits.memory_mb * MB,
                                   "output_kb": limits.output_kb})
            limited = wire.recv(child.sock)
        except (OSError, EOFError, wire.WireError, psutil.Error) as error:
            self._end(child)
            raise SandboxError(f"the portable runner's Python stopped answering: {error}") from None
        applied = limited.get("address_space") is True
        self._address_space = applied if self._address_space is None else self._address_space and applied
        child.memory_mb, child.processes = limits.memory_mb, limits.processes
        ident = f"p{next(_ids)}"
        with self._lock:
            self._live[ident] = child
        self._watch()
        return ident, child.sock, client.OutputCollector(child.output, limits.output_kb * 1024)

    def _kill(self, ident: str, status: bool = False) -> int | None:
        with self._lock:
            child = self._live.pop(ident, None)
        if child is None:
            return None
        code = None
        if status:
            try:
                code = child.process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                code = None
        self._end(child, keep_output=True)
        return code

    def _end(self, child: _Child, keep_output: bool = False) -> None:
        """End the interpreter and everything it started, and wait for them; remove its folder.
        (The output's read end belongs to its OutputCollector once the child was given out.)"""
        end_tree(child.process, list(child.seen.values()))
        if child.process.stdin is not None:
            child.process.stdin.close()
        if child.sock is not None:
            child.sock.close()
        if not keep_output:
            os.close(child.output)
        shutil.rmtree(child.scratch, ignore_errors=True)

    # ---------------------------------------------------------------- limits the grader holds

    def _watch(self) -> None:
        if self._watcher is None:
            self._watcher = threading.Thread(target=self._watch_loop, name="portable-watch", daemon=True)
            self._watcher.start()

    def _watch_loop(self) -> None:
        """Every WATCH_SECONDS: a process tree past its memory or its number of processes is ended
        (its part then fails as a process that exited)."""
        while not self._closed.wait(WATCH_SECONDS):
            with self._lock:
                live = list(self._live.values())
            for child in live:
                tree = tree_of(child.root) if child.root is not None else []
                child.seen.update((member.pid, member) for member in tree)
                if over_limits(tree, child.memory_mb * MB, child.processes):
                    end_tree(child.process, list(child.seen.values()))

    # ---------------------------------------------------------------- what the report says

    @property
    def versions(self) -> dict[str, str]:
        if self._versions is None:
            with self._lock:
                self._connected_spare()
        assert self._versions is not None
        return self._versions

    @property
    def note(self) -> str | None:
        limits = self._limits or Limits()
        memory = (f"{limits.memory_mb} MB of address space per process, and {limits.memory_mb} MB for all its "
                  f"processes together (looked at every {WATCH_SECONDS:g} s)" if self._address_space else
                  f"{limits.memory_mb} MB for all its processes together, looked at every {WATCH_SECONDS:g} s "
                  "(this platform has no per-process limit)")
        return ("portable runner: the submission ran in a separate Python process, with each check's time limit, "
                f"{limits.output_kb} KB of output kept, its processes ended after each part, at most "
                f"{limits.processes} processes and {memory}; without the sandbox's private namespaces or "
                "system-call filter (it could read and write this user's files and reach the network)")

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            children = list(self._live.values())
            self._live.clear()
            spare, self._spare = self._spare, None
        for child in children:
            self._end(child, keep_output=True)
        if spare is not None:
            self._end(spare)
        for sock, _ in self._arrived.values():
            sock.close()
        self._arrived.clear()
        self._listener.close()
        if self._watcher is not None:
            self._watcher.join()
        client._open.discard(self)


def tree_of(root: psutil.Process) -> list[psutil.Process]:
    """The process and every process under it, as psutil finds them now (empty once it is gone,
    or when its pid now names another process)."""
    try:
        if not root.is_running():
            return []
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def end_tree(process: subprocess.Popen[bytes], seen: Sequence[psutil.Process] = ()) -> None:
    """Kill a process, every process under it, and every one `seen` under it before (an orphan
    leaves the tree: psutil's Process knows its start time, so a reused pid is never hit), and
    wait for them all. psutil: the same on every platform."""
    try:
        tree = tree_of(psutil.Process(process.pid)) if process.returncode is None else []
    except psutil.Error:
        tree = []
    tree += list(seen)
    for member in tree:
        try:
            member.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(tree, timeout=KILL_SECONDS)
    try:
        process.wait(timeout=KILL_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def over_limits(tree: list[psutil.Process], memory_bytes: int, processes: int) -> bool:
    """The tree holds more than `memory_bytes` of memory, or more than `processes` processes."""
    if len(tree) > processes:
        return True
    held = 0
    for member in tree:
        try:
            held += member.memory_info().rss
        except psutil.Error:
            continue
    return held > memory_bytes


def _interpreter() -> str:
    """The Python to start: the base interpreter where this one is a virtual environment's (on
    Windows a venv's python.exe is a launcher that starts it as a second process); the packages'
    folders are given to it explicitly."""
    base = getattr(sys, "_base_executable", None)
    return os.path.realpath(base if base and os.path.isfile(base) else sys.executable)


def _said(fd: int) -> str:
    """What a process that failed to start wrote (it has ended: the read cannot wait)."""
    try:
        text = os.read(fd, 4000).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text[-500:] or "it exited without a word"
