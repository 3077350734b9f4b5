"""Attack: flood the output: 20 MB through print, straight to fd 1 and 2, and from a child, in
each process that answers Loss (once: on each of a check's hundred calls, it would measure the
machine's speed against the check's time limit, not the grader's bound on output).

The grader keeps only the spec's output_kb of it and the report stays small. Honest code is
correct: 10/10.
"""

import os
import sys

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


_FLOODED = set()  # the processes that flooded already: once each (the first call of each part's process)


def _flood():
    if os.getpid() in _FLOODED:
        return
    _FLOODED.add(os.getpid())
    line = "FLOOD " * 1000 + "\n"
    for _ in range(1000):
        print(line, end="")
    for fd in (1, 2):
        for _ in range(1000):
            try:
                os.write(fd, line.encode())
            except OSError:
                break
    pid = os.fork()
    if pid == 0:
        try:
            for _ in range(1000):
                os.write(1, line.encode())
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _flood()
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
