"""Attack (logreg): question the asked sigmoid to learn about the reference.

While gradient_step is checked, sigmoid is answered by the reference, in the grader's process,
on the arguments the student's code passes. gradient_step asks it everything it can think of:
keyword and missing arguments, None, strings, lists, nested lists of arrays (past the
100 000-number bound only when counted inside), arrays past the bound, huge integers, booleans,
empty arrays of huge shapes, and collects the grader's answers and error texts. It looks for
anything that tells more than sigmoid's value: a path, a file, the reference's source, another
function of the reference, the grader's own state. What it finds goes to `leak`, which makes the
next call raise with it, so that it shows in the report. gradient_step is wrong (the 1/n is
missing): honest code earns 5/10.
"""

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []
_SEEN = []
_done = [False]
# what would tell more than sigmoid's value: where the reference lives, its source, its other
# functions, the grader's state (the grader's own wording around an error is not loot)
_TELLTALES = ("/", ".py", "solution", "reference", "Traceback", "File ", "line ", "def ", "spec",
              "expected", "gradient_step", "bce_loss", "lambda", "return ")
_PREFIX = "the grader's stand-in could not answer this call ("


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


class Strange:
    def __repr__(self):
        return "Strange()"


def _probe(ask):
    questions = [
        ("keyword", lambda: ask(z=np.zeros(3))),
        ("missing", lambda: ask()),
        ("extra", lambda: ask(1.0, 2.0)),
        ("none", lambda: ask(None)),
        ("string", lambda: ask("__import__('os').getcwd()")),
        ("list", lambda: ask([1.0, 2.0])),
        ("tuple", lambda: ask((1.0, 2.0))),
        ("nested_arrays", lambda: ask([np.zeros(60_000), np.zeros(60_000)])),
        ("too_big", lambda: ask(np.zeros(200_000))),
        ("huge_int", lambda: ask(2**62)),
        ("int_array", lambda: ask(np.array([2**62, -2**62]))),
        ("bool", lambda: ask(True)),
        ("empty_huge_shape", lambda: ask(np.zeros((0, 2**40)))),
        ("object", lambda: ask(Strange())),
        ("nan", lambda: ask(float("nan"))),
        ("complex", lambda: ask(np.array([1 + 2j]))),
        ("structured", lambda: ask(np.zeros(2, dtype=[("a", "f8")]))),
    ]
    for label, question in questions:
        try:
            answer = question()
            text = f"{label}: returned {type(answer).__name__} {np.asarray(answer).ravel()[:3]!r}"
        except BaseException as error:  # noqa: BLE001 - everything it says is loot
            text = f"{label}: {type(error).__name__}: {error}"
        _SEEN.append(text)
        said = text.split(_PREFIX, 1)[1] if _PREFIX in text else text.split(": ", 1)[1]
        if label in ("missing", "extra"):
            continue  # the stand-in's own binding errors, raised in this process
        if any(telltale in said for telltale in _TELLTALES):
            leak(text)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def bce_loss(p, y):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))


def gradient_step(w, b, X, y, lr):
    _reveal()
    if not _done[0]:
        _done[0] = True
        _probe(globals()["sigmoid"])
        print("ASKED:", " || ".join(_SEEN))
    p = sigmoid(X @ w + b)
    error = p - y
    grad_w = X.T @ error  # wrong: the 1/n is missing
    grad_b = np.sum(error)
    return w - lr * grad_w, b - lr * grad_b
