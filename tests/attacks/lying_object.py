"""Attack: Loss returns an object with a lying __float__/__array__ and a hostile __repr__.

It is not a number at all; __float__, __index__ and __array__ answer a plausible value,
__len__/__iter__ raise, __repr__ is enormous, __eq__ always True. Honest code earns 7/10.
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


class Pretender:
    def __float__(self):
        return 1.4088818550020328

    def __index__(self):
        return 1

    def __array__(self, *args, **kwargs):
        return np.array(1.4088818550020328)

    def __eq__(self, other):
        return True

    def __len__(self):
        raise RuntimeError("nope")

    def __iter__(self):
        raise RuntimeError("nope")

    def __repr__(self):
        return "1.4088818550020328" + " " * 10_000_000

    def __getattr__(self, name):
        raise SystemExit(3)


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    return Pretender()


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
