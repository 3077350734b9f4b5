"""Attack (linreg): send the grader records that are malformed or inconsistent.

main() is wrong (+ instead of -): honest code earns 7/10. It replaces `standins.records_of` in
its own process (the harness then sends whatever it returns, as a forged frame would) with
records broken in one way (CONFIG["variant"]): wrong types, negative or huge call counts, columns
of the wrong length or dtype, indexes out of range, too many tables, columns or values, values
nested too deep, arrays whose shape does not match their bytes, a column that claims to be one
value but holds two, a lie about arrays changed in place. Each must be refused (the check fails
or its session is lost), never raise in the grader, and never pass.
"""

import sys

import numpy as np

CONFIG = {}  # replaced by the test
VARIANT = CONFIG.get("variant", "not_dict")


def _base(wire):
    """Plausible records of the wrong run: 1000 calls, w0/w1 as floats, X and y one value each."""
    w = wire.encode_array(np.linspace(0.0, 1.0, 1000))
    X = {"v": [wire.encode_result(np.array([[1], [2], [3], [4]]))], "overflow": False, "changed": False,
         "same": True}
    y = {"v": [wire.encode_result(np.array([[3.1], [4.9], [7.2], [8.9]]))], "overflow": False, "changed": False,
         "same": True}
    return {"calls": 1000, "overflow": False, "columns": {"w0": {"f": w}, "w1": {"f": w}, "X": X, "y": y}}


def _broken(installed):
    wire = sys.modules["wire"]
    table = _base(wire)
    columns = table["columns"]
    index = wire.encode_array(np.zeros(1000, dtype=np.int64))
    one = wire.encode_result(1.0)
    v = VARIANT
    if v == "not_dict":
        return [1, 2, 3]
    if v == "table_not_dict":
        return {"gradient_descent": 5}
    if v == "calls_bool":
        table["calls"] = True
    elif v == "calls_negative":
        table["calls"] = -1
    elif v == "calls_float":
        table["calls"] = 1000.0
    elif v == "calls_huge":
        table["calls"] = 10**40
    elif v == "calls_many_digits":
        table["calls"] = int("9" * 4000)
    elif v == "columns_list":
        table["columns"] = [columns["w0"]]
    elif v == "too_many_tables":
        return {f"t{i}": _base(wire) for i in range(65)}
    elif v == "too_many_columns":
        columns.update({f"c{i}": columns["w0"] for i in range(61)})
    elif v == "floats_int_dtype":
        columns["w0"] = {"f": wire.encode_array(np.zeros(1000, dtype=np.int64))}
    elif v == "floats_wrong_shape":
        columns["w0"] = {"f": wire.encode_array(np.zeros(999))}
    elif v == "floats_2d":
        columns["w0"] = {"f": wire.encode_array(np.zeros((1000, 1)))}
    elif v == "index_out_of_range":
        columns["w0"] = {"v": [one], "i": wire.encode_array(np.ones(1000, dtype=np.int64))}
    elif v == "index_minus_two":
        columns["w0"] = {"v": [one], "i": wire.encode_array(np.full(1000, -2, dtype=np.int64))}
    elif v == "index_minus_one":
        columns["w0"] = {"v": [one], "i": wire.encode_array(np.full(1000, -1, dtype=np.int64)), "overflow": False}
    elif v == "index_float":
        columns["w0"] = {"v": [one], "i": wire.encode_array(np.zeros(1000))}
    elif v == "index_missing":
        columns["w0"] = {"v": [one]}
    elif v == "same_two_values":
        columns["w0"] = {"v": [one, one], "same": True}
    elif v == "same_no_value":
        columns["w0"] = {"v": [], "same": True}
    elif v == "values_too_many":
        columns["w0"] = {"v": [one] * 10_001, "i": index}
    elif v == "value_bad_kind":
        columns["w0"] = {"v": [{"t": "function", "text": "lambda: True"}], "i": index}
    elif v == "value_deep":
        deep = one
        for _ in range(8):
            deep = {"t": "seq", "type": "list", "items": [deep]}
        columns["w0"] = {"v": [deep], "i": index}
    elif v == "array_bytes_mismatch":
        columns["X"] = {"v": [{"t": "array", "dtype": "float64", "shape": [4, 1], "b64": "AAAA"}], "same": True}
    elif v == "array_shape_overflow":
        columns["X"] = {"v": [{"t": "array", "dtype": "float64", "shape": [0, 2**62, 2**62, 2**62], "b64": ""}],
                        "same": True}
    elif v == "array_bad_dtype":
        columns["X"] = {"v": [{"t": "array", "dtype": "object", "shape": [1], "b64": "AAAAAAAAAAA="}], "same": True}
    elif v == "number_bad_payload":
        columns["w0"] = {"v": [{"t": "number", "b64": "AAAA"}], "i": index}
    elif v == "number_huge_int":
        columns["w0"] = {"v": [{"t": "number", "f": 2**70}], "i": index}
    elif v == "missing_param":
        del columns["X"]
    elif v == "changed_lie":
        columns["X"]["changed"] = True
    elif v == "nan_floats":
        columns["w0"] = {"f": wire.encode_array(np.full(1000, np.nan))}
    elif v == "column_not_dict":
        columns["w0"] = "0.0"
    elif v == "empty_table":
        table = {"calls": 0, "overflow": False, "columns": {}}
    elif v == "no_table":
        return {}
    elif v == "long_names":
        return {"gradient_descent" + "x" * 10_000: table}
    return {"gradient_descent": table}


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def main():
    standins = sys.modules.get("standins")
    if standins is not None:
        standins.records_of = _broken
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    for i in range(1000):
        gd = gradient_descent(w0, w1, X, y)
        w0 = w0 + lr * gd[0]  # wrong: + instead of -
        w1 = w1 + lr * gd[1]
    return w0, w1
