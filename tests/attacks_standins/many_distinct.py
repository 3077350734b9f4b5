"""Attack (linreg): pass the stood-in function more distinct values than the recorder keeps.

main() updates the weights correctly, but passes gradient_descent a new X in every call (the
data plus a different tiny offset, or a new array of growing size with CONFIG["grow"]), past
MAX_DISTINCT (4 000) distinct values per argument: 5 000 iterations. The recorder keeps 4 000
and marks the rest as not kept; the grader must fail the check (the given code passes one X)
without its time or memory growing. Honest code earns 7/10.
"""

import numpy as np

CONFIG = {}  # replaced by the test
GROW = CONFIG.get("grow", False)


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def main():
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    for i in range(5000):
        if GROW:
            data = np.arange(4 + i % 200, dtype=np.float64).reshape((-1, 1))
        else:
            data = X + i * 1e-12
        gd = gradient_descent(w0, w1, data, y)
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
    return w0, w1
