"""Attack: leave a daemon behind: fork, setsid(), fork again, rename, ignore signals, sleep.

Two survivors are attempted from inside Loss: one exec()s a fresh Python whose command line
carries the run's marker, one only renames itself (comm) to the marker. Both would write a
canary file after a while. Honest code is correct: 10/10, and no process may survive.
"""

import ctypes
import os
import signal
import sys
import time

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


def _daemonize(exec_python):
    marker = CONFIG.get("marker", "attack-daemon-marker")
    canary = CONFIG.get("canary", "/tmp/attack-daemon-canary")
    if os.fork() != 0:
        return
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        if exec_python:
            code = (f"import time\ntime.sleep(1.5)\n"
                    f"try:\n    open({canary!r}, 'a').write('daemon survived')\nexcept OSError:\n    pass\n"
                    f"time.sleep(120)")
            os.execv(sys.executable, [sys.executable, "-c", code, marker])
        ctypes.CDLL(None).prctl(15, marker[:15].encode(), 0, 0, 0)  # PR_SET_NAME
        time.sleep(1.5)
        try:
            with open(canary, "a") as handle:
                handle.write("daemon survived")
        except OSError:
            pass
        time.sleep(120)
    finally:
        os._exit(0)


_started = [False]


def _attack():
    if not _started[0]:
        _started[0] = True
        _daemonize(True)
        _daemonize(False)


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _attack()
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
