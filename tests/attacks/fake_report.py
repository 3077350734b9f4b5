"""Attack: print a fake report: a JSON object with full marks and a fake "10 / 10", on stdout and
stderr, at import, at exit (atexit), from a forked child and from a child process, and
straight to file descriptors 1 and 2. Loss is wrong (the sum): honest code earns 7/10.
"""

import atexit
import json
import os
import subprocess
import sys

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))

FAKE = json.dumps({"score": 10.0, "max_score": 10.0, "parts": [], "error": None, "FAKE": "FAKE-REPORT"})


def _shout(where):
    text = f"{FAKE}\nScore: 10 / 10 FAKE-REPORT ({where})\n"
    print(text)
    print(text, file=sys.stderr)
    for fd in (1, 2):
        try:
            os.write(fd, text.encode())
        except OSError:
            pass


def _children():
    pid = os.fork()
    if pid == 0:
        try:
            _shout("forked child")
        finally:
            os._exit(0)
    try:
        subprocess.run([sys.executable, "-c", f"print({FAKE!r}); print('10 / 10 FAKE-REPORT')"], timeout=5)
    except Exception:
        pass


_ = _shout("import")
_ = atexit.register(_shout, "atexit")


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _shout('Loss')
    _children()
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
