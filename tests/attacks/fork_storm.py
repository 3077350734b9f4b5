"""Attack: a bounded fork storm: up to 200 sleeping children from inside Loss.

Bounded on purpose (each child sleeps, then exits): with a working process limit it stops
at the spec's limit; without one it stays harmless. Every child must be gone after grading.
Honest code is correct: 10/10; the number of children that started is leaked when it is
above the limit.
"""

import os
import resource
import time

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


def _storm():
    limit = int(CONFIG.get("processes", 32))
    marker = CONFIG.get("marker", "attack-fork-storm")
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        leak("raised RLIMIT_NPROC")
    except (ValueError, OSError):
        pass
    started = 0
    for _ in range(200):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                import ctypes
                ctypes.CDLL(None).prctl(15, marker[:15].encode(), 0, 0, 0)
                time.sleep(20)
            finally:
                os._exit(0)
        started += 1
    print(f"fork storm: {started} children started")
    if started > limit:
        leak(f"FORK-STORM started {started} children, above the limit of {limit}")


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
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
