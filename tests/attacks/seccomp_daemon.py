"""Attack: a process that outlives its part. At load time the submission installs its own
seccomp filter that turns kill(-1, ...) into a silent no-op, so the harness's end-of-part
kill(-1) (run by the loaded process, under that filter) reaches nothing; Loss then leaves a
child behind. The child keeps touching a file in the submission's /tmp; gradient_descent (a
later part) leaks it when the file is still being touched. Honest code is correct: 10/10.
"""

import ctypes
import os
import platform
import struct
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


BEAT = "/tmp/heartbeat-of-a-survivor"


def _block_kill_minus_one():
    """seccomp: kill(-1, sig) returns 0 and does nothing (x86_64 only; elsewhere no attack)."""
    if platform.machine() != "x86_64":
        return
    code = [
        (0x20, 0, 0, 4), (0x15, 1, 0, 0xC000003E), (0x06, 0, 0, 0x7FFF0000),  # other arch: allow
        (0x20, 0, 0, 0), (0x15, 1, 0, 62), (0x06, 0, 0, 0x7FFF0000),          # not kill: allow
        (0x20, 0, 0, 16), (0x15, 1, 0, 0xFFFFFFFF), (0x06, 0, 0, 0x7FFF0000),  # pid != -1: allow
        (0x06, 0, 0, 0x00050000),                                              # kill(-1): "success"
    ]
    packed = b"".join(struct.pack("=HBBI", *c) for c in code)

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)  # no_new_privs (set already by the sandbox)
    libc.prctl(22, 2, ctypes.byref(Prog(len(code), packed)), 0, 0)


_block_kill_minus_one()
_started = [False]


def _survivor():
    if _started[0]:
        return
    _started[0] = True
    if os.fork() != 0:
        return
    try:
        os.setsid()
        end = time.monotonic() + 30
        while time.monotonic() < end:
            try:
                with open(BEAT, "w") as handle:
                    handle.write(str(time.time()))
            except OSError:
                pass
            time.sleep(0.02)
    finally:
        os._exit(0)


_checked = [False]


def _check_survivor():
    if _checked[0]:
        return
    _checked[0] = True
    time.sleep(0.1)
    try:
        age = time.time() - os.stat(BEAT).st_mtime
    except OSError:
        return
    if age < 0.08:
        leak(f"SURVIVOR a process of an earlier part is still running ({age:.3f} s)")


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _survivor()
    _reveal()
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    _reveal()
    _check_survivor()
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
