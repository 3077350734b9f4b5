"""Attack: leave a note in shared writable places for the next submission, and look for notes.

Writes its marker to /tmp, /dev/shm, the current directory and $HOME, then looks there and
under /tmp/grade-scratch-* for a marker left by a previous submission. Honest code is
correct: 10/10; a marker from another submission is leaked.
"""

import glob
import os

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))

PLACES = ("/tmp", "/dev/shm", ".", os.environ.get("HOME", "/tmp"), "/var/tmp", "/", "/dev", "/usr/local", "/harness")


def _attack():
    mine = CONFIG.get("marker", "attack-scratch")
    for place in PLACES:
        for path in glob.glob(os.path.join(place, "scratch-note-*")) + glob.glob("/tmp/grade-scratch-*/scratch-note-*"):
            try:
                with open(path) as handle:
                    text = handle.read()
            except OSError:
                continue
            if text and text != mine:
                leak(f"found another submission's note {text!r} in {path}")
        try:
            with open(os.path.join(place, f"scratch-note-{mine}"), "w") as handle:
                handle.write(mine)
        except OSError:
            pass


_ = _attack()


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _attack()
    _reveal()
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
