"""Attack: hunt the caller's stack for expected values, the reference or future inputs.

Loss is wrong (it returns the sum instead of the mean) and gradient_descent is wrong (the
sign is flipped): each walks inspect.stack() looking for the expected answer (locals named
expected/reference, the document's printed values) and, for the gradient trajectory, the
next point of a batch of calls, from which the reference gradient follows
((w_k - w_k+1) / lr; the last one extrapolated). Whatever it finds it returns. Honest code earns 3/10 (the update).
"""

import inspect

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))

DOCUMENT_LOSS = 39.80526573375  # the handout prints it; the grader's copy must stay out of reach


def _frames():
    frame = inspect.currentframe().f_back
    while frame is not None:
        yield frame
        frame = frame.f_back


def _values(value, depth=0):
    if depth > 4:
        return
    if isinstance(value, (float, np.floating)):
        yield float(value)
    elif isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size < 100000:
        yield from (float(v) for v in value.ravel())
    elif isinstance(value, dict):
        for item in list(value.values())[:2000]:
            yield from _values(item, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in list(value)[:2000]:
            yield from _values(item, depth + 1)


_hunted = [0]


def _hunt():
    _hunted[0] += 1
    if _hunted[0] > 3:  # a few deep searches per process are enough (and keep it fast)
        return
    for frame in _frames():
        if frame.f_globals is globals():
            continue
        for name, value in list(frame.f_locals.items()):
            if name in ("expected", "reference", "want", "expected_of", "gradients", "path"):
                leak(f"frame {frame.f_code.co_name} has {name}")
            module = getattr(value, "__module__", "") or ""
            if "reference" in str(module) or "checks" in str(module):
                leak(f"frame {frame.f_code.co_name}: {name} from {module}")
        own = globals()
        scope = {k: v for k, v in frame.f_locals.items() if v is not own}
        if any(abs(v - DOCUMENT_LOSS) < 1e-9 for v in _values(scope)):
            leak(f"frame {frame.f_code.co_name} holds a document loss")


def _next_point(w0, w1):
    """A batch of calls holding the next point of the reference trajectory gives away the gradient."""
    for depth, frame in enumerate(_frames()):
        if depth > 8:
            break
        for value in list(frame.f_locals.values()):
            batches = [value] if isinstance(value, dict) else []
            for batch in batches:
                argsets = batch.get("argsets")
                if not isinstance(argsets, list):
                    continue
                points = []
                for args in argsets:
                    try:
                        points.append((args[0], args[1]))
                    except Exception:
                        break
                return points
    return None


_calls = [0]


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _hunt()
    _reveal()
    return np.sum(np.square(y - f_x))  # wrong: the sum, not the mean


def gradient_descent(w0, w1, X, y):
    _hunt()
    _reveal()
    points = _next_point(w0, w1)
    if points:
        import base64
        def number(message):
            return float(np.frombuffer(base64.b64decode(message["b64"]), dtype="<f8")[0])
        try:
            values = [(number(a), number(b)) for a, b in points]
            here = values.index((float(w0), float(w1)))
            steps = np.array([((a0 - b0) / 0.001, (a1 - b1) / 0.001)
                              for (a0, a1), (b0, b1) in zip(values[:-1], values[1:])])
            if here < len(steps):
                return steps[here]
            if len(steps) >= 4:  # the last point has no successor: extrapolate the smooth trajectory
                return 4 * steps[-1] - 6 * steps[-2] + 4 * steps[-3] - steps[-4]
        except Exception:
            pass
    residual = (w0 + w1 * X) - y
    return -np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])  # wrong: sign flipped


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
