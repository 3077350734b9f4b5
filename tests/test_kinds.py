"""The check kinds' judgement, without a sandbox where that is honest: the stand-ins are the same
code on both sides of the boundary, so their records are compared here as the grader compares
a submission's with the reference driver's; mistakes are named only when they explain the answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from grader.checks.calls import compare_calls, compare_printed, fingerprint
from grader.checks.judge import judge
from grader.checks.mistakes import explains, informative
from grader.sandbox.client import Reply
from grader.sandbox.inside import standins, wire
from grader.sandbox.records import CallTable, decode_records
from grader.spec.kinds import Tolerance
from grader.values import from_wire

X = np.array([1, 2, 3, 4]).reshape((-1, 1))
Y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
PARAMS = ["w0", "w1", "X", "y"]


def _run(main: Callable[[Callable[..., Any]], Any], script: list[Any]) -> tuple[CallTable, Any]:
    """main under a script stand-in for gradient_descent, recorded; as the grader reads it."""
    namespace: dict[str, Any] = {}
    spec = {"mode": "script", "params": PARAMS, "values": [wire.encode_array(np.array(v)) for v in script]}
    made, saved = standins.install(namespace, {"gradient_descent": spec})
    returned = main(namespace["gradient_descent"])
    standins.restore(namespace, saved)
    records = decode_records(wire.parse(wire.pack({"r": standins.records_of(made)})[4:])["r"],
                             {"gradient_descent": PARAMS})
    return records["gradient_descent"], returned


def reference(gd: Callable[..., Any]) -> Any:
    w0, w1 = 0, 0
    for _ in range(50):
        g = gd(w0, w1, X, Y)
        w0, w1 = w0 - 0.01 * g[0], w1 - 0.01 * g[1]
    return w0, w1


def by_keywords(gd: Callable[..., Any]) -> Any:
    w0, w1 = 0, 0
    for _ in range(50):
        g0 = gd(y=Y, X=X, w1=w1, w0=w0)[0]  # asked twice at one point: one step
        g1 = gd(w0, w1, X, Y)[1]
        w0, w1 = w0 - 0.01 * g0, w1 - 0.01 * g1
    return w0, w1


def wrong_data(gd: Callable[..., Any]) -> Any:
    w0, w1 = 0, 0
    for _ in range(50):
        g = gd(w0, w1, X, X)
        w0, w1 = w0 - 0.01 * g[0], w1 - 0.01 * g[1]
    return w0, w1


def fewer_steps(gd: Callable[..., Any]) -> Any:
    w0, w1 = 0, 0
    for _ in range(25):
        g = gd(w0, w1, X, Y)
        w0, w1 = w0 - 0.01 * g[0], w1 - 0.01 * g[1]
    return w0, w1


def changes_its_data(gd: Callable[..., Any]) -> Any:
    w0, w1 = 0, 0
    data = X.astype(float)
    for _ in range(50):
        g = gd(w0, w1, data, Y)
        data *= 1.0001  # the same array, changed in place
        w0, w1 = w0 - 0.01 * g[0], w1 - 0.01 * g[1]
    return w0, w1


def float32_weights(gd: Callable[..., Any]) -> Any:
    w0, w1 = np.float32(0), np.float32(0)
    for _ in range(50):
        g = gd(w0, w1, X, Y)
        w0, w1 = np.float32(w0 - 0.01 * g[0]), np.float32(w1 - 0.01 * g[1])
    return w0, w1


def float32_data(gd: Callable[..., Any]) -> Any:
    w0, w1 = 0, 0
    for _ in range(50):
        g = gd(w0, w1, X, Y.astype(np.float32))
        w0, w1 = w0 - 0.01 * g[0], w1 - 0.01 * g[1]
    return w0, w1


def returns_in_the_loop(gd: Callable[..., Any]) -> Any:
    w0, w1 = 0, 0
    for _ in range(50):
        g = gd(w0, w1, X, Y)
        w0, w1 = w0 - 0.01 * g[0], w1 - 0.01 * g[1]
        return w0, w1
    return w0, w1


def never_calls(gd: Callable[..., Any]) -> Any:
    return 0.5, 0.5


SCRIPT = [[1.5, -2.0], [0.25, 4.0]]


def test_the_same_calls_in_another_form_are_the_same_calls() -> None:
    expected, _ = _run(reference, SCRIPT)
    got, _ = _run(by_keywords, SCRIPT)
    assert got.calls == 100 and len(got.merged()) == expected.calls == 50
    assert compare_calls("gradient_descent", "main", got, expected, 1e-7, 0.0) is None


@pytest.mark.parametrize("main, words", [
    (fewer_steps, "main() called gradient_descent 25 times; with the given code it calls it 50 times"),
    (returns_in_the_loop, "main() called gradient_descent once; with the given code it calls it 50 times"),
    (never_calls, "main() never called gradient_descent (it must use gradient_descent(...) as the given code "
                  "does); with the given code it calls it 50 times"),
    (wrong_data, "at call 1 of gradient_descent, y = X (the value the given code passes as X)"),
    (float32_weights, "float32"),
    (float32_data, "at call 1 of gradient_descent, y = an array of shape (4, 1) and dtype float32"),
    (changes_its_data, "changed the array it passes gradient_descent as X in place"),
])
def test_a_different_call_is_named_by_its_argument(main: Callable[..., Any], words: str) -> None:
    expected, _ = _run(reference, SCRIPT)
    got, _ = _run(main, SCRIPT)
    difference = compare_calls("gradient_descent", "main", got, expected, 1e-7, 0.0)
    assert difference is not None and words in difference.text, difference


def test_a_call_repeated_at_one_point_is_counted_as_the_code_made_it() -> None:
    """Under a constant answer the weights never move, so the reference's 50 calls are one distinct
    call; a student who never calls is still told 50, as the code makes them."""
    expected, _ = _run(reference, [[0.0, 0.0]])
    got, _ = _run(never_calls, [[0.0, 0.0]])
    difference = compare_calls("gradient_descent", "main", got, expected, 1e-7, 0.0)
    assert difference is not None and difference.text.endswith("it calls it 50 times"), difference


def test_a_run_and_its_fingerprint_tell_ways_of_writing_a_driver_apart() -> None:
    expected, returned = _run(reference, SCRIPT)
    same, _ = _run(by_keywords, SCRIPT)
    other, other_returned = _run(fewer_steps, SCRIPT)
    prints = [fingerprint({"gd": t}, ["gd"], np.array(r, dtype=float)) for t, r in
              ((expected, returned), (same, returned), (other, other_returned))]
    assert prints[0] is not None and prints[1] is not None and prints[2] is not None
    np.testing.assert_array_equal(prints[0], prints[1])
    assert prints[0].shape != prints[2].shape or not np.array_equal(prints[0], prints[2])


def test_printed_numbers_are_compared_with_a_tolerance() -> None:
    assert compare_printed("0번째 loss : 1.0000000001\nw 2\n", "0번째 loss : 1.0\nw 2\n", 1e-7) is None
    assert compare_printed("loss : 1.5\n", "loss : 1.0\n", 1e-7) == (1, "loss : 1.5", "loss : 1.0")
    assert compare_printed("a 1\n", "a 1\nb 2\n", 1e-7) == (2, "", "b 2")
    # a debugging print of the student's own in between is allowed; a stale value is not
    assert compare_printed("w 1 2\ndebug 7\nw 3 4\n", "w 1 2\nw 3 4\n", 1e-7) is None
    assert compare_printed("w 1 0\nw 3 4\n", "w 1 2\nw 3 4\n", 1e-7) == (1, "w 1 0", "w 1 2")


# ------------------------------------------------------------------ naming a mistake


def _answers(*values: float | None) -> list[np.ndarray | None]:
    return [None if v is None else np.array([v]) for v in values]


def test_a_mistake_is_named_only_when_it_explains_every_wrong_answer() -> None:
    right = _answers(1.0, 2.0, 3.0, 4.0)
    wrong = _answers(2.0, 4.0, 3.0, 8.0)  # doubles, but where the answer is 3
    where = informative(right, wrong, 1e-6, [0.0] * 4)
    assert where == [0, 1, 3]
    student = _answers(2.0, 4.0, 3.0, 8.0)
    assert explains(student, wrong, [0, 1, 3], where, 1e-6, [0.0] * 4, 2)
    other = _answers(2.0, 4.0, 9.0, 8.0)  # a wrong answer (9) the mistake does not give
    assert not explains(other, wrong, [0, 1, 2, 3], where, 1e-6, [0.0] * 4, 2)
    partly = _answers(2.0, 2.0, 3.0, 4.0)  # wrong once only: right where the mistake shows otherwise
    assert not explains(partly, wrong, [0], where, 1e-6, [0.0] * 4, 2)


def test_a_mistake_that_shows_on_one_input_only_is_not_enough_for_values() -> None:
    right, wrong = _answers(1.0, 2.0), _answers(1.0, 5.0)
    where = informative(right, wrong, 1e-6, [0.0, 0.0])
    assert not explains(_answers(1.0, 5.0), wrong, [1], where, 1e-6, [0.0, 0.0], 2)
    assert explains(_answers(1.0, 5.0), wrong, [1], where, 1e-6, [0.0, 0.0], 1)  # a driver's run counts whole


# ------------------------------------------------------------------ judging one answer


def _reply(value: Any) -> Reply:
    return Reply("returned", value=from_wire(wire.parse(wire.pack({"v": wire.encode_result(value)})[4:])["v"]))


TOLERANCE = Tolerance(rtol=1e-7)


@pytest.mark.parametrize("value, expected, returns, words", [
    (np.array([1.0, 2.0]), np.array([1.0, 2.0]), "like", None),
    ([1.0, 2.0], np.array([1.0, 2.0]), "like", None),  # a list where an array is expected
    (np.array([[1.0], [2.0]]), np.array([1.0, 2.0]), "like", "shape (2, 1); expected shape (2,)"),
    (np.array([[1.0], [2.0]]), np.array([1.0, 2.0]), "numbers", None),
    ((np.array([1.0]), 0.5), (np.array([1.0]), 0.5), "like", None),
    ([np.array([1.0]), np.array(0.5)], (np.array([1.0]), 0.5), "like", None),  # a list; a 0-d b
    (np.array([1.0, 0.5]), (np.array([1.0]), 0.5), "like", "expected a tuple of 2 values"),
    ((np.array([1.0]), 0.25), (np.array([1.0]), 0.5), "like", "returned ([1.0], 0.25); expected ([1.0], 0.5)"),
    (np.float32(0.1), 0.1, "like", None),  # float32 rounding is within rtol = 1e-7 here
    (np.float32(1 / 3), 1 / 3, "strict", "float32"),
    (float("nan"), 0.1, "like", "NaN"),
    (None, 0.1, "like", "None instead of a number"),
])
def test_an_answer_is_judged_by_its_layout_and_numbers(value: Any, expected: Any, returns: str,
                                                       words: str | None) -> None:
    strict = returns == "strict"  # a tolerance float32 cannot meet: the note says why
    problem = judge(_reply(value), expected, "like" if strict else returns, Tolerance(1e-10) if strict else TOLERANCE)
    if words is None:
        assert problem is None
    else:
        assert problem is not None and words in problem.text, problem
