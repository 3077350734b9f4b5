"""Attack: a memory bomb within bounds: 2 GiB against a 512 MiB limit, in Loss.

bytearray and numpy allocations that are also touched; with a working limit each raises
MemoryError (caught here). Honest code is correct: 10/10; an allocation that succeeds is leaked.
"""

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))

GIB = 1 << 30


def _bomb():
    try:
        block = bytearray(2 * GIB)
        block[:: 1 << 20] = b"x" * len(block[:: 1 << 20])
        leak("MEMORY-BOMB allocated 2 GiB with bytearray")
        del block
    except MemoryError:
        pass
    try:
        array = np.ones(GIB // 4, dtype=np.float64)  # 2 GiB
        leak("MEMORY-BOMB allocated 2 GiB with numpy")
        del array
    except MemoryError:
        pass


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    _bomb()
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
