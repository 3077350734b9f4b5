"""Attack (linreg): pass the stand-in arguments (or return values) that lie about what they are.

main() updates the weights correctly, but it passes gradient_descent (or returns) something that
is not what the given code passes (or returns), wrapped in an object that claims to be the right
thing: honest code (whatever the lie says) earns 7/10, since the update part's calls or result
are wrong. CONFIG["variant"]:

  liar_floats       w0, w1 passed as float subclasses holding w + 1, whose ==, hash, repr and
                    float() claim the right w
  liar_floats_eq    the same, but the values are w + 1e-3 and __eq__/__ne__ always agree
  lying_X_subclass  X passed as an ndarray subclass holding 2*X whose tobytes, __array__, astype,
                    copy, __eq__, __repr__, dtype, shape and size claim the real X
  lying_X_object    X passed as a plain object whose __array__, __eq__, __repr__ claim the real X
  object_array_X    X passed as an object-dtype array of lying numbers
  raising_X         X passed as an object whose __repr__, __eq__, __hash__, __len__ raise
                    KeyboardInterrupt / SystemExit
  recursive_X       X passed as a list that contains itself, nested deep
  huge_int_w        w0 passed as an int of 400 digits
  liar_return       the right calls, then (w0 + 1, w1 + 1) returned as float subclasses claiming w
  lying_return_array the right calls, then 0-d ndarray subclasses holding w + 1 returned, whose
                    tobytes, __array__, astype, tolist, float and repr claim w

Found: liar_floats, liar_floats_eq and liar_return pass. wire.encode_result reads a float
subclass through np.asarray, which calls its __float__: what is recorded (and judged) is the
value the object claims, not the one it holds and the student's code computed with. A claim
costs the student the right value (main() computes it here), so this earns nothing a correct
main() would not; it contradicts SECURITY.md's "lying __float__" row all the same.
"""

import numpy as np

CONFIG = {}  # replaced by the test
VARIANT = CONFIG.get("variant", "liar_floats")
X_RIGHT = np.array([1, 2, 3, 4]).reshape((-1, 1))


class Liar(float):
    claimed = 0.0

    def __new__(cls, value, claimed):
        obj = super().__new__(cls, value)
        obj.claimed = claimed
        return obj

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return hash(self.claimed)

    def __repr__(self):
        return repr(self.claimed)

    __str__ = __repr__

    def __float__(self):
        return float(self.claimed)

    def __reduce__(self):
        return (float, (self.claimed,))


class LyingArray(np.ndarray):
    def tobytes(self, *args, **kwargs):
        return X_RIGHT.tobytes()

    def __array__(self, *args, **kwargs):
        return X_RIGHT.copy()

    def astype(self, *args, **kwargs):
        return X_RIGHT.astype(*args, **kwargs)

    def copy(self, *args, **kwargs):
        return X_RIGHT.copy()

    def __eq__(self, other):
        return np.ones(X_RIGHT.shape, dtype=bool)

    def __repr__(self):
        return repr(X_RIGHT)

    @property
    def dtype(self):
        return X_RIGHT.dtype

    @property
    def shape(self):
        return X_RIGHT.shape

    @property
    def size(self):
        return X_RIGHT.size


class ReturnLiar(np.ndarray):
    claimed = np.zeros(2)

    def tobytes(self, *args, **kwargs):
        return self.claimed.tobytes()

    def __array__(self, *args, **kwargs):
        return self.claimed.copy()

    def astype(self, *args, **kwargs):
        return self.claimed.astype(*args, **kwargs)

    def tolist(self):
        return self.claimed.tolist()

    def __iter__(self):
        return iter(self.claimed.tolist())

    def __getitem__(self, index):
        return self.claimed[index]

    def __eq__(self, other):
        return True

    def __float__(self):
        return float(self.claimed)

    def __repr__(self):
        return repr(self.claimed)


class LyingObject:
    def __array__(self, *args, **kwargs):
        return X_RIGHT.copy()

    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0

    def __repr__(self):
        return repr(X_RIGHT)

    def __mul__(self, other):
        return X_RIGHT * other

    __rmul__ = __mul__


class Raising:
    def __repr__(self):
        raise KeyboardInterrupt("repr")

    def __eq__(self, other):
        raise SystemExit(3)

    def __hash__(self):
        raise KeyboardInterrupt("hash")

    def __len__(self):
        raise SystemExit(4)

    def __mul__(self, other):
        return X_RIGHT * other

    __rmul__ = __mul__


def _recursive():
    outer = []
    inner = outer
    for _ in range(5000):
        nxt = []
        inner.append(nxt)
        inner = nxt
    inner.append(outer)
    return outer


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def _x_argument():
    if VARIANT == "lying_X_subclass":
        return (X_RIGHT * 2).view(LyingArray)
    if VARIANT == "lying_X_object":
        return LyingObject()
    if VARIANT == "object_array_X":
        values = np.empty((4, 1), dtype=object)
        for i in range(4):
            values[i, 0] = Liar(2.0 * (i + 1), float(i + 1))
        return values
    if VARIANT == "raising_X":
        return Raising()
    if VARIANT == "recursive_X":
        return _recursive()
    return X_RIGHT


def main():
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    x_argument = _x_argument()
    for i in range(1000):
        if VARIANT == "liar_floats":
            gd = gradient_descent(Liar(w0 + 1.0, w0), Liar(w1 + 1.0, w1), x_argument, y)
        elif VARIANT == "liar_floats_eq":
            gd = gradient_descent(Liar(w0 + 1e-3, w0), Liar(w1 + 1e-3, w1), x_argument, y)
        elif VARIANT == "huge_int_w":
            gd = gradient_descent(10**400 if i == 0 else w0, w1, x_argument, y)
        else:
            gd = gradient_descent(w0, w1, x_argument, y)
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
    if VARIANT == "liar_return":
        return Liar(w0 + 1.0, w0), Liar(w1 + 1.0, w1)
    if VARIANT == "lying_return_array":
        first, second = np.array(w0 + 1.0).view(ReturnLiar), np.array(w1 + 1.0).view(ReturnLiar)
        first.claimed, second.claimed = np.array(float(w0)), np.array(float(w1))
        return first, second
    return w0, w1
