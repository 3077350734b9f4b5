"""Attack: write canary files outside the scratch directory.

Into the repository (its root and solutions/), the host's /tmp, /dev/shm, the results
location and over the results file, at import and inside Loss; it also writes its own
scratch directory, which is allowed. Honest code is correct: 10/10.
"""

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


def _targets():
    marker = CONFIG.get("marker", "attack-canary")
    repo = CONFIG.get("repo", "/srv/grader")
    yield os.path.join(repo, marker + ".txt")
    yield os.path.join(repo, "solutions", marker + ".txt")
    yield os.path.join(repo, "grader", marker + ".txt")
    for directory in CONFIG.get("dirs", ["/tmp"]):
        yield os.path.join(directory, marker + ".txt")
    yield os.path.join("/dev/shm", marker + ".txt")
    yield os.path.join("/var/tmp", marker + ".txt")
    for path in CONFIG.get("files", []):
        yield path


def _attack():
    for path in _targets():
        try:
            with open(path, "a") as handle:
                handle.write("CANARY written by a submission\n")
        except OSError:
            pass
    with open("scratch-file.txt", "w") as handle:  # the scratch directory is the student's
        handle.write("fine")


_ = _attack()


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
