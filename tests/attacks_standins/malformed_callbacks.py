"""Attack (linreg or logreg): malformed callback frames on the result channel.

Inside the function under check (main() for linreg, gradient_step for logreg, where sigmoid is
an "ask" stand-in) the submission finds its socket and writes one frame the grader may take for
an ask stand-in's question (CONFIG["variant"]): a variant or index of the wrong type or out of
range, another function's name, no name, arguments that are not a list, too few, of an unknown
kind, nested too deep (in the value, or in the JSON itself), arrays past the 100 000-number bound
inside a list, a shape that does not match its bytes, a frame that is not JSON, a header
announcing 4 GB, a frame cut short, a forged batch reply; for linreg, a perfectly formed
question while no function is asked at all. Each must be refused or answered with an error
(the check fails, or its session is lost), never raise in the grader, and take no longer than
the check's time limit.

Honest code: linreg's main() is wrong (+ instead of -): 7/10; logreg's gradient_step is wrong
(the 1/n is missing): 5/10.
"""

import json
import os
import stat
import struct
import time

import numpy as np

CONFIG = {}  # replaced by the test
VARIANT = CONFIG.get("variant", "variant_negative")
_done = [False]


def _socket_fd():
    for fd in range(3, 64):
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                return fd
        except OSError:
            continue
    return None


def _frame(message):
    body = json.dumps(message, separators=(",", ":")).encode()
    return struct.pack(">I", len(body)) + body


def _array(n, shape=None):
    import base64
    return {"t": "array", "dtype": "float64", "shape": list(shape or [n]),
            "b64": base64.b64encode(np.zeros(n).tobytes()).decode()}


def _payload():
    number = {"t": "number", "f": 0.5}
    good = {"op": "callback", "name": "sigmoid", "variant": 0, "index": 0, "args": [number]}
    v = VARIANT
    if v == "variant_negative":
        return _frame({**good, "variant": -1})
    if v == "variant_bool":
        return _frame({**good, "variant": True})
    if v == "variant_huge":
        return _frame({**good, "variant": 10**30})
    if v == "variant_null":
        return _frame({**good, "variant": None})
    if v == "index_float":
        return _frame({**good, "index": 1.5})
    if v == "index_huge":
        return _frame({**good, "index": -10**30})
    if v == "name_other":
        return _frame({**good, "name": "gradient_step"})
    if v == "name_reference_only":
        return _frame({**good, "name": "bce_loss"})
    if v == "name_missing":
        return _frame({k: val for k, val in good.items() if k != "name"})
    if v == "name_object":
        return _frame({**good, "name": {"sigmoid": 1}})
    if v == "args_not_list":
        return _frame({**good, "args": {"z": number}})
    if v == "args_empty":
        return _frame({**good, "args": []})
    if v == "args_unknown_kind":
        return _frame({**good, "args": [{"t": "function", "text": "lambda: 1"}]})
    if v == "args_nested_seq":
        deep = number
        for _ in range(7):
            deep = {"t": "seq", "type": "list", "items": [deep]}
        return _frame({**good, "args": [deep]})
    if v == "args_json_deep":
        body = b'{"op":"callback","name":"sigmoid","variant":0,"index":0,"args":[' + b"[" * 200_000 + \
            b"]" * 200_000 + b"]}"
        return struct.pack(">I", len(body)) + body
    if v == "args_nested_arrays":
        return _frame({**good, "args": [{"t": "seq", "type": "list", "items": [_array(60_000)] * 20}]})
    if v == "args_array_too_big":
        return _frame({**good, "args": [_array(200_000)]})
    if v == "args_shape_mismatch":
        return _frame({**good, "args": [_array(4, [1000, 1000])]})
    if v == "args_zero_size_huge_shape":
        return _frame({**good, "args": [{"t": "array", "dtype": "float64", "shape": [0, 2**62, 2**62], "b64": ""}]})
    if v == "not_json":
        return struct.pack(">I", 12) + b"\xff\xfe not json"
    if v == "huge_header":
        return struct.pack(">I", 0xFFFFFFFF) + b"{}"
    if v == "cut_short":
        return struct.pack(">I", 1000) + b'{"op":"callback"'
    if v == "forged_batch":
        return _frame({"op": "mapped", "results": [{"op": "returned", "value": number}]})
    if v == "well_formed":
        return _frame(good)
    raise ValueError(v)


def _attack():
    if _done[0]:
        return
    _done[0] = True
    fd = _socket_fd()
    if fd is not None:
        os.write(fd, _payload())
        time.sleep(0.2)  # let the grader read it while this call is still under way


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def bce_loss(p, y):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradient_step(w, b, X, y, lr):
    _attack()
    p = sigmoid(X @ w + b)
    error = p - y
    grad_w = X.T @ error  # wrong: the 1/n is missing
    grad_b = np.sum(error)
    return w - lr * grad_w, b - lr * grad_b


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def main():
    _attack()
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
