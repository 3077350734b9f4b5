"""Attack: read the reference solution, the spec and the checks, by every path a student could guess.

Absolute guesses (the repository path, common checkouts), a walk up from the harness's own
__file__, /proc/<pid>/cwd and /proc/<pid>/root of every visible process, and a search of
the usual roots. Honest code is correct: it earns 10/10 only if nothing was found.
"""

import os
import sys

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []
SECRET_LINES = ("gradient1 = 2 * np.mean((y - (w0 + w1 * X)) * -1 * X)", "[[parts.checks]]",
                "def loss_matches_reference", "final_weights")


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


def _try(path):
    try:
        with open(path, errors="replace") as handle:
            text = handle.read(200000)
    except (OSError, ValueError):
        return
    for line in SECRET_LINES:
        if line in text:
            leak(f"read {path}: {line}")
            return


def _candidates():
    repo = CONFIG.get("repo", "/srv/grader")
    names = ["solutions/linreg.py", "assignments/linreg/spec.toml", "assignments/linreg/checks.py"]
    roots = [repo, "/srv/grader", "/opt/grader", "/app", os.path.expanduser("~"),
             "/home", "/root", "/grader", "/"]
    for root in roots:
        for name in names:
            yield os.path.join(root, name)
    here = os.path.abspath(getattr(sys.modules.get("harness"), "__file__", None) or os.getcwd())
    for _ in range(8):
        here = os.path.dirname(here)
        for name in names:
            yield os.path.join(here, name)
            yield os.path.join(here, "..", name)
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            for link in ("cwd", "root"):
                for name in names:
                    yield f"/proc/{pid}/{link}/{name}"
                    yield f"/proc/{pid}/{link}{repo}/{name}"


def _walk():
    for top in ("/home", "/root", "/srv", "/opt", "/var", "/tmp"):
        for dirpath, dirnames, filenames in os.walk(top):
            if dirpath.count(os.sep) > 6:
                dirnames[:] = []
            for filename in filenames:
                if filename in ("linreg.py", "spec.toml", "checks.py"):
                    yield os.path.join(dirpath, filename)


def _attack():
    for path in _candidates():
        _try(path)
    for path in _walk():
        _try(path)


_ = _attack()


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
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
