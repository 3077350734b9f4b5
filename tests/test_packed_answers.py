"""A batch's answers sent as one array read back as exactly the replies sent one by one."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.sandbox import isolation
from grader.sandbox.client import _decode_reply, unpack_answers
from grader.sandbox.inside import wire

sys.path.insert(0, str(isolation.HARNESS_DIR))
import harness  # noqa: E402  (the student's side, as the sandbox imports it)

FLOATS = st.floats(width=64)  # NaN, infinities and -0.0 included


@st.composite
def homogeneous(draw: st.DrawFn) -> list[Any]:
    count = draw(st.integers(2, 6))
    kind = draw(st.sampled_from(["float", "float64", "array"]))
    if kind == "float":
        return draw(st.lists(FLOATS, min_size=count, max_size=count))
    if kind == "float64":
        return [np.float64(x) for x in draw(st.lists(FLOATS, min_size=count, max_size=count))]
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    return [draw(hnp.arrays(np.float64, shape, elements=FLOATS)) for _ in range(count)]


def _over_the_wire(message: dict[str, Any]) -> Any:
    return wire.parse(wire.pack(message)[4:])


def _fields(reply: Any) -> tuple[Any, ...]:
    value = reply.value
    return (reply.kind, value.kind, value.type_name, value.dtype, value.shape, value.data.tobytes(),
            reply.records, reply.printed)


@settings(max_examples=200, deadline=None)
@given(homogeneous())
def test_packed_answers_are_the_replies_one_by_one(values: list[Any]) -> None:
    packed = harness._pack_answers(values)
    assert packed is not None
    one_by_one = [_decode_reply(_over_the_wire({"op": "returned", "value": wire.encode_result(v)})) for v in values]
    unpacked = unpack_answers(_over_the_wire({"packed": packed})["packed"], len(values))
    assert [_fields(r) for r in unpacked] == [_fields(r) for r in one_by_one]


@pytest.mark.parametrize("values", [
    [1.0],  # one answer goes as it is
    [1.0, np.float64(2.0)],  # two kinds of number
    [1.0, 2],  # an int
    [np.zeros(2), np.zeros(3)],  # two shapes
    [np.zeros(2), np.zeros(2, dtype=np.float32)],  # another dtype
    [np.zeros(2), [0.0, 0.0]],  # a list
    [np.zeros(600_000), np.zeros(600_000)],  # too many numbers for one array: each alone, with its own limit
    [np.zeros((1,) * 8), np.zeros((1,) * 8)],  # one dimension more would be more than an array may have
])
def test_anything_else_goes_one_by_one(values: list[Any]) -> None:
    assert harness._pack_answers(values) is None


def test_answers_with_the_most_dimensions_a_packed_reply_allows() -> None:
    values = [np.full((1,) * 7, 2.5), np.full((1,) * 7, -1.0)]
    packed = harness._pack_answers(values)
    assert packed is not None
    unpacked = unpack_answers(_over_the_wire({"packed": packed})["packed"], 2)
    one_by_one = [_decode_reply(_over_the_wire({"op": "returned", "value": wire.encode_result(v)})) for v in values]
    assert [_fields(r) for r in unpacked] == [_fields(r) for r in one_by_one]


def test_an_answer_too_big_to_copy_is_described_at_once() -> None:
    assert harness._packable_copy(np.zeros(wire.MAX_PACKED + 1)) is None
    assert harness._packable_copy(np.zeros((1,) * 8)) is None
    assert harness._packable_copy([1.0]) is None
    original = np.ones(3)
    copied = harness._packable_copy(original)
    assert copied is not None and copied is not original and copied.tolist() == [1.0, 1.0, 1.0]


def test_a_packed_reply_that_does_not_fit_is_refused() -> None:
    packed = _over_the_wire({"packed": harness._pack_answers([np.zeros(2), np.ones(2)])})["packed"]
    with pytest.raises(wire.WireError):
        unpack_answers(packed, 3)  # three were asked
    forged = json.loads(json.dumps(packed))
    forged["like"]["shape"] = [3]
    with pytest.raises(wire.WireError):
        unpack_answers(forged, 2)
    with pytest.raises(KeyError):  # (the client takes any of these for a malformed reply)
        unpack_answers({}, 2)
