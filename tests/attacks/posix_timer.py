"""Attack: a POSIX timer (timer_create) armed while loading, firing every 20 ms: setitimer(0)
does not reach it, and the last part is served by the loaded process itself. Its handler leaks
when it runs after the loading. Honest code is correct: 10/10.
"""

import ctypes
import signal

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


_loading = [True]


def _fired(signum, frame):
    if not _loading[0]:
        leak("POSIX-TIMER a timer set while loading fired in a part")


def _arm():
    libc = ctypes.CDLL(None, use_errno=True)

    class Spec(ctypes.Structure):
        _fields_ = [("interval", ctypes.c_long * 2), ("value", ctypes.c_long * 2)]

    signal.signal(signal.SIGUSR2, _fired)
    event = (ctypes.c_int * 16)()  # struct sigevent: an 8-byte sigval, then sigev_signo, sigev_notify
    event[2] = int(signal.SIGUSR2)
    event[3] = 0  # SIGEV_SIGNAL
    timer = ctypes.c_void_p()
    if libc.timer_create(1, ctypes.byref(event), ctypes.byref(timer)) != 0:
        return
    every = Spec((0, 20_000_000), (0, 20_000_000))
    libc.timer_settime(timer, 0, ctypes.byref(every), None)


_arm()
_loading[0] = False


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    pass
    _reveal()
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    _reveal()
    pass
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
