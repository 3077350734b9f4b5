"""Attack: sys.exit() and raise SystemExit while the submission is being loaded, and at exit.

Python stops at the first sys.exit(): nothing below it is defined, so the honest code below
never exists and earns 0/10; the exit is the result's error. (The later `raise SystemExit`
and the atexit hook are never reached.)
"""

import atexit
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

_ = sys.exit("SYS-EXIT-AT-IMPORT")

if True:
    raise SystemExit(3)

_ = atexit.register(os._exit, 0)


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
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
