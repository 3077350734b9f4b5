"""Attack: memory through many processes: twenty forked children of Loss take 64 MiB each.

Each child stays within the per-process address-space limit; together they would hold 1.25 GiB
against the spec's 512 MiB per submission. Every child touches its memory, reports it on a
pipe and holds it for a few seconds; the parent counts how many held theirs at once and leaks
the total when it is above the limit. With a cgroup per submission the kernel ends the
children past the limit (out of memory in the group); the parent and the honest code go on.
Honest code is correct: 10/10.
"""

import os
import select
import signal
import time

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []
MIB = 1 << 20


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


def _storm():
    limit_mb = int(CONFIG.get("memory_mb", 512))
    each_mb, count = 64, 20
    read_end, write_end = os.pipe()
    children = []
    for _ in range(count):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                block = bytearray(each_mb * MIB)
                block[::4096] = b"x" * len(block[::4096])  # every page touched: really held
                os.write(write_end, f"{os.getpid()} ".encode())
                time.sleep(3)
            finally:
                os._exit(0)
        children.append(pid)
    os.close(write_end)
    reported, deadline = set(), time.monotonic() + 1.0
    while time.monotonic() < deadline and len(reported) < len(children):
        ready, _, _ = select.select([read_end], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        data = os.read(read_end, 4096)
        if not data:  # every child ended (or was ended)
            break
        reported.update(int(p) for p in data.split() if p.isdigit())
    os.close(read_end)
    # The children that reported and still run hold their memory now, together.
    held = 0
    for pid in children:
        if pid in reported and os.waitpid(pid, os.WNOHANG) == (0, 0):
            held += 1
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
    print(f"memory fork storm: {held} of {len(children)} children held {each_mb} MiB at once")
    if held * each_mb > limit_mb:
        leak(f"MEMORY-FORK-STORM {held} children held {held * each_mb} MiB together, above {limit_mb} MiB")


_done = [False]


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    if not _done[0]:  # once per part: the storm is about memory, not about time
        _done[0] = True
        _storm()
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
