"""Attack: a lone surrogate in the __repr__ of a returned object.

Loss returns an object whose repr holds "\\ud800": the report quotes it. Honest code (all
but Loss) earns 7/10.
"""

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))



def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


class _Loud:
    def __repr__(self):
        return "x\ud800y\x1b[2J"


def Loss(f_x, y):
    _reveal()
    return _Loud()


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
