"""Attack (linreg): call the stood-in function far more than MAX_CALLS times.

main() is right except that it asks gradient_descent for its gradient 250 times per iteration
(with the same arguments, so the calls merge into one step each): 250 000 calls, past the
recorder's MAX_CALLS (200 000). The grader must say "too many calls" (a run past the bound cannot
pass), without its time or memory growing with the calls. CONFIG["repeat"] sets the count per
iteration; with "fresh" (CONFIG["fresh"]) every call has new arguments (a new float each time),
so nothing merges. Honest code earns 7/10 (the update part fails on the call count).
"""

import numpy as np

CONFIG = {}  # replaced by the test
REPEAT = CONFIG.get("repeat", 250)
FRESH = CONFIG.get("fresh", False)


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
    for i in range(1000):
        for k in range(REPEAT):
            gd = gradient_descent(w0 + k * 1e-300 if FRESH else w0, w1, X, y)
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
    return w0, w1
