"""The portable runner's process: a fresh interpreter that loads one submission and serves one part.

Started as a new program (no fork), it uses only what Python offers on Windows, macOS and Linux.
The grader (grader/sandbox/portable.py) starts it ahead of need: it imports numpy, connects back
over loopback TCP with the token it read on stdin, then waits for its limits and the student's
code, and speaks the sandbox's wire protocol from there on, exactly as a forked submission does.
Usage: portable.py CONFIG_JSON   (the token on the first line of stdin)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
from typing import Any

config: dict[str, Any] = json.loads(sys.argv[1])
token = sys.stdin.readline().strip()
sys.path[:0] = [os.path.dirname(os.path.abspath(__file__))] + list(config.get("paths", []))
os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
# A Ctrl-C at the terminal reaches this process too: the grader ends it (the load's timer sets its own handler).
signal.signal(signal.SIGINT, signal.SIG_IGN)

import harness  # noqa: E402
import numpy  # noqa: E402  (imported before the grader needs this process: no part waits for it)
import wire  # noqa: E402


def _address_space_limit(total: int) -> bool:
    """An address-space limit of `total` bytes where the platform has one (Linux; not Windows, and
    macOS refuses it): a submission that asks for more gets MemoryError, as in the sandbox."""
    try:
        import resource
    except ImportError:
        return False
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            total = min(total, hard)
        resource.setrlimit(resource.RLIMIT_AS, (total, hard))
    except (ValueError, OSError):
        return False
    return True


def _end_with_the_grader(lifeline: int) -> None:
    """Nothing ties a process to its parent on every platform: this one ends when the grader's end
    of the pipe closes (the grader ended it, or died), whatever the student's code is doing."""
    try:
        while os.read(lifeline, 64):
            pass
    except OSError:
        pass
    os._exit(0)


def main() -> None:
    sock = socket.create_connection(("127.0.0.1", int(config["port"])))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lifeline = os.dup(0)  # the grader's end of stdin: closed when the grader ends this process, or dies
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    threading.Thread(target=_end_with_the_grader, args=(lifeline,), name="lifeline", daemon=True).start()
    wire.send(sock, {"op": "hello", "token": token, "numpy": numpy.__version__, "python": sys.version.split()[0]})
    limits = wire.recv(sock)
    if limits.get("op") != "limits":
        return
    total = limits.get("address_space")
    limited = type(total) is int and total > 0 and _address_space_limit(total)
    wire.send(sock, {"op": "limited", "address_space": limited})
    first = wire.recv(sock)
    harness.serve_submission(sock, first, own_namespace=False, output_limit=int(limits.get("output_kb", 64)) * 1024,
                             forks=False, offered=frozenset(config.get("offered", ())))


if __name__ == "__main__":
    try:
        main()
    except (OSError, EOFError, wire.WireError):
        pass  # the grader went away, or ended this process's part: nothing to tell it
    os._exit(0)
