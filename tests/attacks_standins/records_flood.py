"""Attack (linreg): a reply at the frame limit whose records cost the grader the most to read.

main() is wrong (+ instead of -): honest code earns 7/10. Just before the check's time is up it
returns, with records (through `standins.records_of`, in its own process) that fill one frame
(16 MiB) in the way most costly for the grader, CONFIG["variant"]:

  values       720 000 tiny values in record columns (10 000 per column, the most a column may
               hold; the index refers to one): each becomes a Value and a numpy array in the
               grader (grader/sandbox/records.py decodes every value, referenced or not)
  fingerprint  the X column alternates between an array of 1 000 000 numbers and a small one:
               naming the mistake (checks/calls.py, fingerprint) turns the big array into a
               Python list of floats once per picked call, six times
  baseline     the same number of tiny values in an ignored field of the reply: what any frame
               of that size costs the grader (JSON), for comparison

The attack runs in the update-trajectory check only (the first run of the part).
"""

import sys
import time

import numpy as np

CONFIG = {}  # replaced by the test
VARIANT = CONFIG.get("variant", "values")
DELAY = CONFIG.get("delay", 2.4)
_done = [False]


def _right_shape(wire):
    w = wire.encode_array(np.linspace(0.0, 1.0, 1000))
    X = {"v": [wire.encode_result(np.array([[1], [2], [3], [4]]))], "same": True}
    y = {"v": [wire.encode_result(np.array([[3.1], [4.9], [7.2], [8.9]]))], "same": True}
    return {"calls": 1000, "columns": {"w0": {"f": w}, "w1": {"f": w}, "X": X, "y": y}}


def _flood(installed):
    wire = sys.modules["wire"]
    records = {"gradient_descent": _right_shape(wire)}
    if VARIANT == "values":
        index = wire.encode_array(np.zeros(1000, dtype=np.int64))
        column = {"v": [{"t": "number", "f": 0}] * 10_000, "i": index}
        flood = {"calls": 1000, "columns": {f"c{i}": column for i in range(36)}}
        records.update(flood0=flood, flood1=flood)
    elif VARIANT == "fingerprint":
        big = wire.encode_result(np.zeros(1_000_000))
        small = wire.encode_result(np.array([[1], [2], [3], [4]]))
        index = wire.encode_array(np.arange(1000, dtype=np.int64) % 2)
        records["gradient_descent"]["columns"]["X"] = {"v": [big, small], "i": index}
    return records


def _install():
    standins = sys.modules["standins"]
    wire = sys.modules["wire"]
    if VARIANT == "baseline":
        original = wire.send

        def send(sock, message):
            if message.get("op") == "ran" and not _done[0]:
                _done[0] = True
                message = {**message, "junk": [{"t": "number", "f": 0}] * 720_000}
            return original(sock, message)

        wire.send = send
        return
    original = standins.records_of

    def records_of(installed):
        if _done[0]:
            return original(installed)
        _done[0] = True
        return _flood(installed)

    standins.records_of = records_of


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def main():
    first = not _done[0]
    if first:
        _install()
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    for i in range(1000):
        gd = gradient_descent(w0, w1, X, y)
        w0 = w0 + lr * gd[0]  # wrong: + instead of -
        w1 = w1 + lr * gd[1]
    if first:
        time.sleep(DELAY)
    return w0, w1
