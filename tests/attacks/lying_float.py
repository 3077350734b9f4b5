"""Attack: Loss returns a float subclass whose comparisons always say yes and whose __float__ lies.

The value underneath is wrong (the sum instead of the mean); ==, !=, <, <=, abs(), -, __float__,
__index__, __bool__ and __array__ all lie. Honest code earns 7/10.
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


class Liar(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __lt__(self, other):
        return True

    def __le__(self, other):
        return True

    def __gt__(self, other):
        return False

    def __ge__(self, other):
        return True

    def __abs__(self):
        return 0.0

    def __sub__(self, other):
        return 0.0

    def __rsub__(self, other):
        return 0.0

    def __float__(self):
        return 1.4088818550020328

    def __array__(self, *args, **kwargs):
        return np.array(1.4088818550020328)

    def __hash__(self):
        return 0

    def __repr__(self):
        return "1.4088818550020328"


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    return Liar(float(np.sum(np.square(y - f_x))))


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
