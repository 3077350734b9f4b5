"""Attack (linreg, with the update part graded before the gradient part): keep the replayed answers.

The spec refuses `uses` of a function whose part is graded later (grader/spec, _validate_uses),
so that the reference's answers never reach a student before their own answers to that function
are graded. A driver's stand-ins in "replay" or "reference" mode hand the student the
reference's answers just the same, but they are not `uses`: a spec that grades the update part
(main() with gradient_descent replayed) before the gradient part is accepted.

With such a spec (the test builds it: linreg's spec with the update part moved up), main()
writes the gradients it is handed (the reference's, along the document's path) to its scratch
folder, which persists across the parts of a submission, and gradient_descent, checked later,
answers from them on that path. gradient_descent is wrong (the sum, not the mean): honest code
earns 6/10; the trajectory check of the gradient part must not pass.
"""

import json
import os

import numpy as np

CONFIG = {}  # replaced by the test
STASH = "replayed-gradients.json"  # in the working directory: the submission's private scratch folder
_TABLE = {}
_loaded = [False]


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    if not _loaded[0]:
        _loaded[0] = True
        try:
            with open(STASH) as handle:
                for k0, k1, g0, g1 in json.load(handle):
                    _TABLE[(k0, k1)] = (g0, g1)
        except (OSError, ValueError):
            pass
    known = _TABLE.get((float(w0), float(w1)))
    if known is not None and np.shape(X) == (4, 1):
        return np.array(known)
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.sum(residual), 2 * np.sum(residual * X)])  # wrong: the sum, not the mean


def main():
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    seen = []
    for i in range(1000):
        gd = gradient_descent(w0, w1, X, y)
        seen.append([float(w0), float(w1), float(gd[0]), float(gd[1])])
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
    if not os.path.exists(STASH):
        try:
            with open(STASH, "w") as handle:
                json.dump(seen, handle)
        except OSError:
            pass
    return w0, w1
