"""Attack: points from public numbers. gradient_descent computes no gradient: it counts its calls
and returns the step that lands on the document's next printed checkpoint (and, at the last
call, on the final weights), zero otherwise. The trajectory check must not pass: every answer
along the path is judged against the reference's gradient there. Loss and main() are honest:
3 + 0 + 3 = 6.
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

# The document's printed checkpoints and the final weights, as the student bundle ships them.
LOSSES = [39.80526573375, 1.4088818550020328, 0.08492622860667261, 0.03808809478420731,
          0.03531467697283942, 0.03412659366543372, 0.033056629416450725, 0.032050551054706465,
          0.031103013292289844, 0.030210557013104773]
WEIGHTS = [[0.012050000000000002, 0.03505], [0.5956839328965645, 1.7137245928510965],
           [0.7129266308916146, 2.0222518370363343], [0.7433441610180002, 2.0765698140220747],
           [0.7573915882750667, 2.0837935212742202], [0.7681528769083021, 2.0823608526346415],
           [0.7780637167868475, 2.079403378165377], [0.787583266851497, 2.0762423007849082],
           [0.7968036334081118, 2.0731204929145344], [0.8057485947959019, 2.070080758386106]]
FINAL = [0.8143435272169038, 2.0671579219084824]
LR = 0.001


def linear_model(w0, w1, X):
    return w0 + w1 * X


def Loss(f_x, y):
    return np.mean(np.square(y - f_x))


_calls = [0]


def gradient_descent(w0, w1, X, y):
    """No gradient formula: count the calls and step onto the next published point."""
    k = _calls[0]
    _calls[0] += 1
    if k % 100 == 0 and k // 100 < len(WEIGHTS):
        target = WEIGHTS[k // 100]
    elif k % 1000 == 999:
        target = FINAL
    else:
        return np.array([0.0, 0.0])
    return np.array([(w0 - target[0]) / LR, (w1 - target[1]) / LR])


def main():
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
