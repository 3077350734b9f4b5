"""Attack (linreg): records that are tiny on the wire and enormous in the grader.

A record column may say "same": one value in every call. The grader's decoder
(grader/sandbox/records.py) then allocates an index of `calls` int64 (up to 200 000, 1.6 MB)
for it. 64 tables of 64 such columns, each about 40 bytes of JSON, make one reply of some
160 KB that asks the grader for 4 096 x 1.6 MB = 6.5 GB; the update-property check has five
runs in one reply (33 GB), and a failing drawn check shrinks with more runs, each decoded.

main() is wrong (+ instead of -): honest code earns 7/10. It replaces `standins.records_of` in
its own process (the harness sends what it returns, as a forged frame would).
"""

import sys

import numpy as np

CONFIG = {}  # replaced by the test
TABLES = CONFIG.get("tables", 64)
CALLS = CONFIG.get("calls", 200_000)


def _bomb(installed):
    column = {"v": [{"t": "none", "type": "NoneType"}], "overflow": False, "changed": False, "same": True}
    table = {"calls": CALLS, "overflow": False, "columns": {f"c{i}": column for i in range(64)}}
    compared = {"calls": CALLS, "overflow": False,
                "columns": {**{p: column for p in ("w0", "w1", "X", "y")}, **{f"c{i}": column for i in range(60)}}}
    return {"gradient_descent": compared, **{f"t{j}": table for j in range(TABLES - 1)}}


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def main():
    sys.modules["standins"].records_of = _bomb
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    for i in range(1000):
        gd = gradient_descent(w0, w1, X, y)
        w0 = w0 + lr * gd[0]  # wrong: + instead of -
        w1 = w1 + lr * gd[1]
    return w0, w1
