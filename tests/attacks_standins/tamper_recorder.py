"""Attack (linreg): tamper with the stand-in's recorder from inside main().

main() is wrong (the weights move up the gradient: + instead of -), so the update part earns
nothing honestly: 7/10. Each strategy (CONFIG["strategy"]) reaches the gradient_descent
stand-in's StandIn object or its closure and changes what it will report, without computing
the right update, hoping the driver comparison accepts the run:

  clear_rows       the recorded calls emptied (through the closure's `rows` cell)
  repeat_first     every recorded call replaced by the first (all merge into one)
  negative_extra   extra_calls set to -10**9 (a negative call count)
  huge_extra       extra_calls set to 10**30
  nan_rows         w0 and w1 of every call replaced by NaN
  liar_rows        w0 and w1 replaced by float subclasses whose ==, hash, repr, float lie
  params_cut       the StandIn's params cut to ("w0",) (found with gc)
  rows_short       every recorded call cut to two arguments
  snapshot_garbage the snapshot of X replaced by bytes of another length
  snapshot_swap    the snapshot of X replaced by the bytes of another array of its shape
  swap_namespace   gradient_descent replaced in the namespace by the student's own function
  frame_records    the harness's `installed` (found through sys._getframe) replaced by a fake
                   StandIn whose records() claims one call per iteration with the wrong weights
  patch_column     standins._column patched to report every column as "same" with one value
  patch_numpy      numpy.array patched (inside records()) to return zeros
  patch_operator   operator.is_ patched to always say True
  rows_of_script   the rows replaced by the scripted gradients themselves
"""

import gc
import operator
import sys

import numpy as np

CONFIG = {}  # replaced by the test
STRATEGY = CONFIG.get("strategy", "clear_rows")


class Liar(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0

    def __repr__(self):
        return "0.8143435272169038"

    def __float__(self):
        return 0.8143435272169038


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def _own_gradient(w0, w1, X, y):
    return np.array([0.0, 0.0])


def _cells(function):
    names = function.__code__.co_freevars
    return {name: cell for name, cell in zip(names, function.__closure__ or ())}


def _stand_in_object(function):
    cells = _cells(function)
    for name in ("first", "compare", "bind"):
        bound = cells.get(name)
        if bound is not None and hasattr(bound.cell_contents, "__self__"):
            return bound.cell_contents.__self__
    for obj in gc.get_objects():
        if type(obj).__name__ == "StandIn" and getattr(obj, "name", None) == "gradient_descent":
            return obj
    return None


def _tamper(stand_in_function):
    standins = sys.modules.get("standins")
    target = _stand_in_object(stand_in_function)
    rows = target.rows if target is not None else []
    if STRATEGY == "clear_rows":
        rows.clear()
    elif STRATEGY == "repeat_first" and rows:
        rows[:] = [rows[0]] * len(rows)
    elif STRATEGY == "negative_extra":
        target.extra_calls = -10**9
    elif STRATEGY == "huge_extra":
        target.extra_calls = 10**30
    elif STRATEGY == "nan_rows":
        rows[:] = [(float("nan"), float("nan")) + tuple(row[2:]) for row in rows]
    elif STRATEGY == "liar_rows":
        rows[:] = [(Liar(row[0]), Liar(row[1])) + tuple(row[2:]) for row in rows]
    elif STRATEGY == "params_cut":
        target.params = ("w0",)
    elif STRATEGY == "rows_short":
        rows[:] = [tuple(row[:2]) for row in rows]
    elif STRATEGY == "snapshot_garbage":
        for key, (value, raw) in list(target.snapshots.items()):
            target.snapshots[key] = (value, b"\x01\x02\x03")
    elif STRATEGY == "snapshot_swap":
        for key, (value, raw) in list(target.snapshots.items()):
            target.snapshots[key] = (value, np.full(value.shape, 7, dtype=value.dtype).tobytes())
    elif STRATEGY == "frame_records":
        frame = sys._getframe()
        while frame is not None and "installed" not in frame.f_locals:
            frame = frame.f_back
        if frame is not None:
            class Fake:
                recording = True

                def records(self):
                    wire = sys.modules["wire"]
                    path = np.cumsum(np.full(1000, 0.001))
                    same = {"v": [wire.encode_result(np.array([[1], [2], [3], [4]]))], "overflow": False,
                            "changed": False, "same": True}
                    return {"calls": 1000, "overflow": False,
                            "columns": {"w0": {"f": wire.encode_array(path)}, "w1": {"f": wire.encode_array(path)},
                                        "X": same, "y": same}}

            frame.f_locals["installed"]["gradient_descent"] = Fake()
    elif STRATEGY == "patch_column" and standins is not None:
        def column(values, snapshots, changed):
            wire = sys.modules["wire"]
            return {"v": [wire.encode_result(0.5)], "overflow": False, "changed": False, "same": True}

        standins._column = column
    elif STRATEGY == "patch_numpy" and standins is not None:
        original = standins.StandIn.records

        def records(self):
            real = np.array
            np.array = lambda *a, **k: np.zeros(len(a[0]) if a and hasattr(a[0], "__len__") else 1)
            try:
                return original(self)
            finally:
                np.array = real

        standins.StandIn.records = records
    elif STRATEGY == "patch_operator":
        operator.is_ = lambda a, b: True
    elif STRATEGY == "rows_of_script" and target is not None:
        script = list(target.script) or [np.zeros(2)]
        rows[:] = [(float(script[i % len(script)][0]), float(script[i % len(script)][1])) + tuple(row[2:])
                   for i, row in enumerate(rows)]


def main():
    namespace = globals()
    stand_in = namespace["gradient_descent"]
    if STRATEGY == "swap_namespace":
        namespace["gradient_descent"] = _own_gradient
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    for i in range(1000):
        gd = namespace["gradient_descent"](w0, w1, X, y)
        w0 = w0 + lr * gd[0]  # wrong: + instead of -
        w1 = w1 + lr * gd[1]
        if i % 100 == 0:
            loss = Loss(linear_model(w0, w1, X), y)
    _tamper(stand_in)
    return w0, w1
