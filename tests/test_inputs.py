"""The input vocabulary draws what it declares (ranges, shared sizes, magnitudes, included values),
and what a build stores comes back exactly (every bit of every float, dtypes, shapes, tuples)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import hypo
from grader.errors import SpecError
from grader.plain import decode, encode
from grader.spec.inputs import ArrayDraw, FloatDraw, parse_draws, strategy
from grader.spec.reader import Source, Table, Where


def _draws(table: dict[str, Any]) -> dict[str, Any]:
    return parse_draws(Table(table, Where(Source(Path("spec.toml"), ""))))


def _draw(let: dict[str, Any], args: dict[str, Any], count: int = 60, seed: int = 7) -> list[tuple[Any, ...]]:
    known = _draws(let)
    declared = parse_draws(Table(args, Where(Source(Path("spec.toml"), ""))), known)
    return hypo.draw_examples(strategy(known, declared), seed, count)


def test_shapes_share_their_sizes_and_ranges_hold() -> None:
    examples = _draw({"n": {"int": [2, 9]}, "d": {"int": [1, 4]}},
                     {"X": {"array": ["n", "d"], "float": [-5, 5]}, "w": {"array": ["d"], "float": [-3, 3]},
                      "y": {"array": ["n"], "int": [0, 1]}, "lr": {"float": [1e-4, 1.0]}})
    for X, w, y, lr in examples:
        assert X.shape == (y.shape[0], w.shape[0]) and 2 <= X.shape[0] <= 9 and 1 <= X.shape[1] <= 4
        assert X.dtype == np.float64 and y.dtype == np.int64 and isinstance(lr, float)
        assert np.all(np.abs(X) <= 5) and np.all(np.abs(w) <= 3) and set(np.unique(y)) <= {0, 1}
        assert 1e-4 <= lr <= 1.0


def test_a_drawn_shape_and_magnitude_apply_to_every_argument_that_names_them() -> None:
    examples = _draw({"n": {"int": [1, 12]}, "column": {"one_of": [["n", 1], ["n"]]},
                      "size": {"one_of": [1.0, 1e-3, 1e6]}},
                     {"f_x": {"array": "column", "float": [-10, 10], "times": "size"},
                      "y": {"array": "column", "float": [-10, 10], "times": "size"}}, count=100)
    shapes = {f_x.shape[1:] for f_x, _ in examples}
    assert shapes == {(1,), ()}  # both layouts are drawn
    for f_x, y in examples:
        assert f_x.shape == y.shape
        bound = 10 * max(1.0, 1e6 if np.max(np.abs(np.r_[f_x.ravel(), y.ravel()])) > 10 * 1.0 + 1e-9 else 1.0)
        assert np.all(np.abs(f_x) <= bound)
    assert max(float(np.max(np.abs(f_x))) for f_x, _ in examples) > 10  # the large magnitude is drawn


def test_included_values_are_drawn_and_small_magnitudes_are_not() -> None:
    examples = _draw({"n": {"int": [1, 30]}},
                     {"p": {"array": ["n"], "float": [0, 1], "include": [0.0, 1.0]},
                      "g": {"array": [3], "float": [-1000, 1000], "min_magnitude": 1e-3}}, count=100)
    values = np.concatenate([p for p, _ in examples])
    assert 0.0 in values and 1.0 in values and np.all((values >= 0) & (values <= 1))
    gradients = np.concatenate([g for _, g in examples])
    assert np.all((gradients == 0) | (np.abs(gradients) >= 1e-3))


@pytest.mark.parametrize("low, high", [(-1e6, 1e6), (0.0, 0.0), (-5e-324, 5e-324), (1e-4, 1.0), (-3.5, -3.25),
                                       (123456.0, 123456.5)])
def test_a_float_range_is_kept_for_any_bounds(low: float, high: float) -> None:
    (spec,) = _draws({"x": {"float": [low, high]}}).values()
    assert isinstance(spec, FloatDraw)
    examples = hypo.draw_examples(strategy({}, {"x": spec}), 3, 40)
    assert all(low <= x <= high for (x,) in examples)


@pytest.mark.parametrize("declaration, message", [
    ({"x": {"float": [1, 0]}}, "the range [1, 0] is empty"),
    ({"x": {"array": ["n"], "float": [0, 1]}}, "'n' is not an integer draw declared before it"),
    ({"x": {"flot": [0, 1]}}, "unknown key 'flot' (did you mean 'float'?)"),
    ({"x": {"float": [-1, 1], "min_magnitude": 5}}, "leaves nothing to draw"),
    ({"x": {"array": [2], "float": [0, 1], "dtype": "int64"}}, "float elements need a float dtype"),
    ({"x": {"one_of": []}}, "must be a non-empty list"),
    ({"x": {"list": [1, 3]}}, "the key 'of' is missing"),
    ({"x": {"int": [0, 1], "float": [0, 1]}}, "either int"),
])
def test_a_declaration_that_cannot_be_drawn_is_refused_at_its_key(declaration: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as raised:
        _draws(declaration)
    assert message in raised.value.message and "x" in raised.value.message


def test_an_array_draw_has_a_dtype_the_student_receives_unchanged() -> None:
    (spec,) = _draws({"z": {"array": [3], "int": [0, 5], "dtype": "int64"}}).values()
    assert isinstance(spec, ArrayDraw)
    (z,), *_ = hypo.draw_examples(strategy({}, {"z": spec}), 1, 3)
    assert z.dtype == np.int64 and z.shape == (3,)
    with pytest.raises(SpecError, match="'float32' is not one of float64, int64"):
        _draws({"z": {"array": [3], "float": [0, 1], "dtype": "float32"}})


# ------------------------------------------------------------------ what a build stores


values = st.recursive(
    st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2**62, 2**62), st.booleans(), st.none(),
              hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_]),
                         hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner)), max_leaves=8)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float):
        return isinstance(b, float) and (math.isnan(a) and math.isnan(b) or a == b and math.copysign(1, a) ==
                                         math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=200, deadline=None)
@given(values)
def test_stored_values_come_back_exactly(value: Any) -> None:
    import json

    assert _same(decode(json.loads(json.dumps(encode(value), allow_nan=False))), value)


def test_a_damaged_stored_value_is_an_error_not_a_value() -> None:
    with pytest.raises(SpecError, match="run grade build again"):
        decode({"array": "<f8", "shape": [3], "b64": "AAAA"})
