"""The input vocabulary: how a spec declares the inputs Hypothesis draws for a check.

    n = { int = [1, 12] }                                   an integer in a range
    lr = { float = [1e-4, 1.0] }                            a finite float in a range
    g = { float = [-1000, 1000], min_magnitude = 1e-3 }     0, or |g| >= 1e-3
    column = { one_of = [["n", 1], ["n"]] }                 one of these values (names resolved)
    X = { array = ["n", "d"], float = [-5, 5] }             an array of that shape (sizes shared by name)
    y = { array = "column", int = [0, 1] }                  the shape of another draw
    p = { array = ["n"], float = [0, 1], include = [0.0, 1.0] }   those values are drawn too
    f_x = { array = "column", float = [-10, 10], times = "size" } times another draw (a magnitude)
    script = { list = [1, 3], of = { array = [2], float = [-1, 1] } }   a list of 1 to 3 draws

Draws are made in the order they are declared (`let` first, then the arguments), so a size or a
shape drawn once is shared by every argument that names it. Arrays are drawn as lists (fast to
draw and to shrink), then shaped.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.spec.reader import Table, Where, integer, number, type_name

if TYPE_CHECKING:
    from hypothesis import strategies as st

MAX_ELEMENTS = 10_000
_VOCABULARY = ("int", "float", "min_magnitude", "include", "times", "one_of", "array", "dtype", "list", "of")
_DTYPES = {"float64", "int64"}  # what crosses to the student's process unchanged


@dataclass(frozen=True)
class IntDraw:
    low: int
    high: int
    times: str | float | None = None


@dataclass(frozen=True)
class FloatDraw:
    low: float
    high: float
    min_magnitude: float = 0.0
    include: tuple[float, ...] = ()
    times: str | float | None = None


@dataclass(frozen=True)
class OneOfDraw:
    options: tuple[Any, ...]


@dataclass(frozen=True)
class ArrayDraw:
    shape: str | tuple[str | int, ...]  # a draw's name, or dimensions (sizes or names of int draws)
    element: IntDraw | FloatDraw
    dtype: str
    times: str | float | None = None


@dataclass(frozen=True)
class ListDraw:
    low: int
    high: int
    of: Draw


Draw = IntDraw | FloatDraw | OneOfDraw | ArrayDraw | ListDraw


def _bounds(table: Table, key: str, convert: Any) -> tuple[Any, Any]:
    value = table.raw(key)
    where = table.at(key)
    if not isinstance(value, list) or len(value) != 2:
        raise where.error(f"must be a range [low, high], not {type_name(value)}")
    low, high = convert(value[0], where.key(0)), convert(value[1], where.key(1))
    if low > high:
        raise where.error(f"the range [{value[0]}, {value[1]}] is empty (low > high)")
    return low, high


def _times(table: Table, known: Sequence[str]) -> str | float | None:
    if "times" not in table:
        return None
    value = table.raw("times")
    if isinstance(value, str):
        if value not in known:
            raise table.at("times").error(f"'{value}' is not a draw declared before it (known: {', '.join(known)})")
        return value
    return number(value, table.at("times"))


def _element(table: Table, known: Sequence[str]) -> IntDraw | FloatDraw:
    if "int" in table and "float" in table:
        raise table.where.error("give either int = [low, high] or float = [low, high], not both")
    if "int" in table:
        low, high = _bounds(table, "int", integer)
        return IntDraw(low, high, _times(table, known))
    if "float" not in table:
        raise table.where.error("needs a range of values: int = [low, high] or float = [low, high]")
    low, high = _bounds(table, "float", number)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise table.at("float").error("the range must be finite")
    magnitude = table.get("min_magnitude", number, 0.0)
    if magnitude < 0 or (magnitude > 0 and magnitude > max(abs(low), abs(high))):
        raise table.at("min_magnitude").error(f"{magnitude} leaves nothing to draw in [{low}, {high}]")
    include = table.get("include", _numbers, ())
    return FloatDraw(low, high, magnitude, include, _times(table, known))


def _numbers(value: Any, where: Where) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise where.error(f"must be a list of numbers, not {type_name(value)}")
    return tuple(number(item, where.key(index)) for index, item in enumerate(value))


def _shape(value: Any, where: Where, known: Mapping[str, Draw]) -> str | tuple[str | int, ...]:
    if isinstance(value, str):
        if value not in known:
            raise where.error(f"'{value}' is not a draw declared before it")
        return value
    if not isinstance(value, list):
        raise where.error(f"must be a list of sizes (numbers or names), or a draw's name, not {type_name(value)}")
    dims: list[str | int] = []
    for index, dim in enumerate(value):
        if isinstance(dim, str):
            if not isinstance(known.get(dim), (IntDraw, OneOfDraw)):
                raise where.key(index).error(f"'{dim}' is not an integer draw declared before it")
            dims.append(dim)
        else:
            size = integer(dim, where.key(index))
            if size < 0:
                raise where.key(index).error("a size cannot be negative")
            dims.append(size)
    return tuple(dims)


def parse_draw(value: Any, where: Where, known: Mapping[str, Draw]) -> Draw:
    """One declaration -> a Draw; every mistake an author can make here is a SpecError at its key."""
    table = Table(value, where)
    for key in table.keys():  # a misspelt key is named against the whole vocabulary, not what was read
        if key not in _VOCABULARY:
            close = difflib.get_close_matches(key, _VOCABULARY, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise table.at(key).error(f"unknown key '{key}'{hint}; a draw knows {', '.join(_VOCABULARY)}")
    kinds = [key for key in ("array", "list", "one_of", "int", "float") if key in table]
    if not kinds:
        raise where.error("declare what to draw: int, float, one_of, array or list")
    if "array" in table:
        shape = _shape(table.raw("array"), table.at("array"), known)
        element = _element(table, list(known))
        default = "int64" if isinstance(element, IntDraw) else "float64"
        dtype = table.get("dtype", _dtype, default)
        if isinstance(element, FloatDraw) and dtype.startswith("int"):
            raise table.at("dtype").error("float elements need a float dtype")
        times = element.times
        element = IntDraw(element.low, element.high) if isinstance(element, IntDraw) else FloatDraw(
            element.low, element.high, element.min_magnitude, element.include)
        draw: Draw = ArrayDraw(shape, element, dtype, times)
    elif "list" in table:
        low, high = _bounds(table, "list", integer)
        if low < 0:
            raise table.at("list").error("a list cannot be shorter than 0")
        draw = ListDraw(low, high, parse_draw(table.raw("of"), table.at("of"), known))
    elif "one_of" in table:
        options = table.raw("one_of")
        if not isinstance(options, list) or not options:
            raise table.at("one_of").error("must be a non-empty list of values")
        draw = OneOfDraw(tuple(_freeze(option) for option in options))
    else:
        draw = _element(table, list(known))
    table.done()
    return draw


def _dtype(value: Any, where: Where) -> str:
    if value not in _DTYPES:
        raise where.error(f"'{value}' is not one of {', '.join(sorted(_DTYPES))}")
    return str(value)


def _freeze(value: Any) -> Any:
    return tuple(_freeze(item) for item in value) if isinstance(value, list) else value


def parse_draws(table: Table, known: Mapping[str, Draw] | None = None) -> dict[str, Draw]:
    """A table of named draws, in order; each may name those declared before it."""
    draws: dict[str, Draw] = dict(known or {})
    declared: dict[str, Draw] = {}
    for key in list(table.keys()):
        if not key.isidentifier():
            raise table.at(key).error(f"'{key}' is not a valid name")
        declared[key] = draws[key] = parse_draw(table.raw(key), table.at(key), draws)
    return declared


# ------------------------------------------------------------------ drawing


def _resolve(value: Any, drawn: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value in drawn:
        return drawn[value]
    if isinstance(value, tuple):
        return tuple(_resolve(item, drawn) for item in value)
    return value


def _scalar_strategy(element: IntDraw | FloatDraw) -> st.SearchStrategy[Any]:
    from hypothesis import strategies as st

    if isinstance(element, IntDraw):
        return st.integers(element.low, element.high)
    low, high, magnitude = element.low, element.high, element.min_magnitude
    parts: list[st.SearchStrategy[float]] = []
    if magnitude > 0:
        if low <= 0 <= high:
            parts.append(st.just(0.0))
        if high >= magnitude:
            parts.append(st.floats(max(low, magnitude), high, allow_nan=False, allow_infinity=False))
        if low <= -magnitude:
            parts.append(st.floats(low, min(high, -magnitude), allow_nan=False, allow_infinity=False))
    else:
        parts.append(st.floats(low, high, allow_nan=False, allow_infinity=False))
    if element.include:
        parts.insert(0, st.sampled_from(element.include))
    return parts[0] if len(parts) == 1 else st.one_of(*parts)


def _scale(value: Any, times: str | float | None, drawn: Mapping[str, Any]) -> Any:
    if times is None:
        return value
    factor = drawn[times] if isinstance(times, str) else times
    with np.errstate(all="ignore"):
        return value * factor


def _draw(draw: Any, spec: Draw, drawn: Mapping[str, Any]) -> Any:
    from hypothesis import strategies as st

    if isinstance(spec, IntDraw):
        return _scale(draw(_scalar_strategy(spec)), spec.times, drawn)
    if isinstance(spec, FloatDraw):
        return _scale(float(draw(_scalar_strategy(spec))), spec.times, drawn)
    if isinstance(spec, OneOfDraw):
        return _resolve(draw(st.sampled_from(spec.options)), drawn)
    if isinstance(spec, ListDraw):
        size = draw(st.integers(spec.low, spec.high))
        return [_draw(draw, spec.of, drawn) for _ in range(size)]
    shape = _resolve(spec.shape, drawn)
    dims = tuple(int(d) for d in (shape if isinstance(shape, tuple) else (shape,)))
    size = int(np.prod(dims)) if dims else 1
    if size > MAX_ELEMENTS or any(d < 0 for d in dims):
        raise ValueError(f"an array of shape {dims} is too large to draw")
    values = draw(st.lists(_scalar_strategy(spec.element), min_size=size, max_size=size))
    array = np.array(values, dtype=spec.dtype).reshape(dims)
    return _scale(array, spec.times, drawn)


def strategy(let: Mapping[str, Draw], args: Mapping[str, Draw]) -> st.SearchStrategy[tuple[Any, ...]]:
    """Hypothesis's strategy for one call's arguments (in the order of `args`)."""
    from hypothesis import strategies as st

    @st.composite
    def arguments(draw: Any) -> tuple[Any, ...]:
        drawn: dict[str, Any] = {}
        for key, spec in let.items():
            drawn[key] = _draw(draw, spec, drawn)
        values = []
        for key, spec in args.items():
            drawn[key] = _draw(draw, spec, drawn)
            values.append(drawn[key])
        return tuple(values)

    return arguments()


def convert_fixed(value: Any, spec: Draw | None, where: Where) -> Any:
    """A fixed example's value written in the spec, in the type its draw would have."""
    if isinstance(spec, ArrayDraw):
        try:
            return np.array(value, dtype=spec.dtype)
        except (TypeError, ValueError):
            raise where.error(f"cannot be read as an array of {spec.dtype}") from None
    if isinstance(spec, FloatDraw) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, list):
        try:
            return np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            return value
    return value
