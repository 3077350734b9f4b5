"""Attack: gradient_descent returns an ndarray subclass that lies about everything.

The data underneath is wrong (the sign is flipped); __eq__, __ne__, __array__, __array_ufunc__,
__getitem__, tolist, astype, tobytes, __float__ and __len__ lie or raise. Honest code earns 6/10.
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


class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other) or (2,), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(other) or (2,), dtype=bool)

    def __array__(self, *args, **kwargs):
        return np.array([0.0, 0.0])

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(2)

    def tolist(self):
        return [0.0, 0.0]

    def astype(self, *args, **kwargs):
        return np.zeros(2)

    def tobytes(self, *args, **kwargs):
        return np.zeros(2).tobytes()

    def __float__(self):
        return 0.0

    def __len__(self):
        raise RuntimeError("no length for you")


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    _reveal()
    residual = (w0 + w1 * X) - y
    return (-np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])).view(LyingArray)


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
