"""Attack (linreg): the replay stand-in's answers, shipped in the self-check, as a lookup table.

The update part's trajectory check answers main()'s calls of gradient_descent with the
reference's gradients along the document's path ("replay"). grade build stores those 1000
gradients in the check's settings, in the official build and also in the self-check build
(build/selfcheck.json) that every student receives in the bundle: the path is the document's,
the same for every seed. This gradient_descent is wrong (a sum instead of the mean: honest code
earns 6/10), but at any point of the document's path it answers from the table taken from
selfcheck.json (CONFIG["gradients"], filled in by the test from the student bundle's file), so
the gradient part's trajectory check (2 points), which walks exactly that path, should not pass.
"""

import numpy as np

CONFIG = {}  # replaced by the test
_TABLE = {}


def _build_table():
    w0, w1, lr = 0, 0, 0.001
    for g0, g1 in CONFIG.get("gradients", []):
        _TABLE[(float(w0), float(w1))] = np.array([g0, g1])
        w0 = w0 - lr * np.float64(g0)
        w1 = w1 - lr * np.float64(g1)
    return len(_TABLE)


_entries = _build_table()


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    known = _TABLE.get((float(w0), float(w1)))
    if known is not None and np.shape(X) == (4, 1):
        return known.copy()
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.sum(residual), 2 * np.sum(residual * X)])  # wrong: the sum, not the mean


def main():
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
