"""The tolerance test in plain floats (the fast path for small replies) agrees with numpy's."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader.values import _close_arrays, _close_small, close

FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)
ANY = st.floats(width=64)


@st.composite
def cases(draw: st.DrawFn, elements: st.SearchStrategy[float]) -> tuple[np.ndarray, np.ndarray, object, float]:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=2))  # up to 4 numbers
    expected = draw(hnp.arrays(np.float64, shape, elements=elements))
    # near misses as well as far ones: the expected value moved by a few ulps or by a lot
    nudge = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1e-16, -1e-15, 1e-7, -1e-6, 1.0])))
    with np.errstate(all="ignore"):
        got = np.asarray(expected + nudge * np.abs(expected) + draw(st.sampled_from([0.0, 1e-300, -1e-12])))
    scale: object = draw(st.one_of(st.just(0.0), FINITE.map(abs),
                                   hnp.arrays(np.float64, shape, elements=FINITE.map(abs))))
    rtol = draw(st.sampled_from([1e-7, 1e-6, 0.0]))
    return got, expected, scale, rtol


@settings(max_examples=300, deadline=None)
@given(cases(FINITE))
def test_plain_floats_agree_with_numpy(case: tuple[np.ndarray, np.ndarray, object, float]) -> None:
    got, expected, scale, rtol = case
    small = _close_small(got, expected, rtol, scale)
    if np.isfinite(got).all():  # (a nudge may overflow to infinity: then the general rules)
        assert small is not None
        assert small == _close_arrays(got, expected, rtol, scale)


@settings(max_examples=200, deadline=None)
@given(cases(ANY))
def test_nan_and_infinity_keep_the_general_rules(case: tuple[np.ndarray, np.ndarray, object, float]) -> None:
    got, expected, scale, rtol = case
    assert close(got, expected, rtol, scale) == _close_arrays(got, expected, rtol, scale)


def test_the_fast_path_is_taken_for_a_replys_usual_size() -> None:
    assert _close_small(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), 1e-7, 0.0) is True
    assert _close_small(np.array([1.0]), np.array([1.1]), 1e-7, np.array([0.5])) is False
    assert _close_small(np.array([np.nan]), np.array([np.nan]), 1e-7, 0.0) is None  # the general rules
    assert _close_small(np.zeros(20), np.zeros(20), 1e-7, 0.0) is None  # large: numpy
