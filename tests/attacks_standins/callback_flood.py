"""Attack (logreg): ask the grader as much as it will answer, as fast as possible.

While gradient_step is checked, sigmoid is answered by the grader. gradient_step asks it, in a
loop that never ends, the costliest question it may (CONFIG["size"] numbers, 100 000 by
default: the bound), so that the grader spends the whole check computing and sending answers.
The check must still end at its time limit (the loop is the student's: a timeout), the grader's
memory must stay flat, and the other checks must be graded as usual.

gradient_step is wrong (the 1/n is missing) anyway: honest code earns 5/10.
"""

import numpy as np

CONFIG = {}  # replaced by the test
SIZE = CONFIG.get("size", 100_000)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def bce_loss(p, y):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradient_step(w, b, X, y, lr):
    z = np.linspace(-5.0, 5.0, SIZE)
    while True:
        sigmoid(z)
