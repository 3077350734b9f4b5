"""What a student's function returned, decoded from plain data into plain float64.

The grader compares only these values: a float subclass whose `==` always says yes,
an ndarray with a lying `__array__` or a monkeypatched numpy in the student's process
never reach this side. Messages here are numpy-aware: they name the shape, dtype,
scalar-vs-array or NaN problem plainly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.sandbox.inside import wire


@dataclass(frozen=True)
class Value:
    kind: str  # "none" | "bool" | "number" | "array" | "seq" | "other"
    type_name: str
    dtype: str | None = None
    shape: tuple[int, ...] | None = None
    data: np.ndarray | None = None  # float64, flattened
    items: tuple[Value, ...] = ()
    text: str = ""

    def describe(self) -> str:
        """A short, student-readable description of the value and its type."""
        if self.kind == "none":
            return "None"
        if self.kind == "bool":
            return f"a bool ({self.text})"
        if self.kind == "number":
            return f"{format_number(self.scalar())} ({self.type_name})"
        if self.kind == "array":
            return f"an array of shape {self.shape} and dtype {self.dtype}: {format_array(self.array())}"
        if self.kind == "seq":
            inner = ", ".join(item.describe_short() for item in self.items[:4])
            more = ", …" if len(self.items) > 4 else ""
            return f"a {self.type_name} of {len(self.items)} items ({inner}{more})"
        return f"a {self.type_name} ({self.text[:80]})"

    def describe_short(self) -> str:
        if self.kind == "number":
            return format_number(self.scalar())
        if self.kind == "array":
            return f"array{self.shape}"
        return self.type_name

    def scalar(self) -> float:
        assert self.data is not None
        return float(self.data[0])

    def array(self) -> np.ndarray:
        assert self.data is not None and self.shape is not None
        return self.data.reshape(self.shape)


def from_wire(message: Any, depth: int = 0) -> Value:
    """Strict decoding: anything malformed raises wire.WireError (the check then fails)."""
    if not isinstance(message, dict) or depth > 4:
        raise wire.WireError("bad value")
    kind = message.get("t")
    type_name = str(message.get("type", "?"))[: wire.MAX_TEXT]
    if kind == "none":
        return Value("none", "NoneType")
    if kind == "bool":
        return Value("bool", type_name, text=str(bool(message.get("v"))))
    if kind == "number":
        number = wire.decode_number(message)
        return Value("number", type_name, dtype=str(message.get("dtype", ""))[:40], shape=(),
                     data=np.array([float(number)], dtype=np.float64))
    if kind == "array":
        array = wire.decode_array(message).astype(np.float64)
        return Value("array", type_name, dtype=str(message.get("orig_dtype", message.get("dtype")))[:40],
                     shape=tuple(array.shape), data=array.ravel())
    if kind == "seq":
        items = message.get("items")
        if not isinstance(items, list) or len(items) > wire.MAX_ITEMS:
            raise wire.WireError("bad sequence")
        return Value("seq", type_name, items=tuple(from_wire(item, depth + 1) for item in items))
    if kind == "other":
        return Value("other", type_name, text=str(message.get("text", ""))[: wire.MAX_TEXT])
    raise wire.WireError("unknown value kind")


def format_number(x: float) -> str:
    if np.isnan(x):
        return "nan"
    return repr(float(x))


def format_array(array: np.ndarray, limit: int = 6) -> str:
    flat = array.ravel()
    body = ", ".join(format_number(v) for v in flat[:limit])
    more = ", …" if flat.size > limit else ""
    return f"[{body}{more}]"


@dataclass(frozen=True)
class Coerced:
    """A value brought to the shape a check expects, or the reason it could not be."""

    values: np.ndarray | None
    problem: str | None = None


def numbers_of(value: Value) -> np.ndarray | None:
    """All numbers in a value, flattened; None when it holds something that is not a number."""
    if value.kind in ("number", "array"):
        assert value.data is not None
        return value.data
    if value.kind == "seq":
        parts = [numbers_of(item) for item in value.items]
        if any(part is None for part in parts):
            return None
        return np.concatenate([p for p in parts if p is not None]) if parts else np.zeros(0)
    return None


def as_scalar(value: Value) -> Coerced:
    """A number: a float, a numpy scalar, a 0-d array or an array holding a single number."""
    if value.kind == "number":
        return Coerced(value.data)
    if value.kind == "array":
        if value.data is not None and value.data.size == 1:
            return Coerced(value.data)
        return Coerced(None, f"returned an array of shape {value.shape} instead of a single number "
                             "(did you forget to average over the samples?)")
    if value.kind == "none":
        return Coerced(None, "returned None instead of a number (is a `return` missing?)")
    if value.kind == "seq":
        return Coerced(None, f"returned a {value.type_name} of {len(value.items)} items instead of a single number")
    return Coerced(None, f"returned {value.describe()} instead of a number")


def as_vector(value: Value, size: int) -> Coerced:
    """`size` numbers, in an array of any shape or a list/tuple of numbers or 1-element arrays."""
    if value.kind == "none":
        return Coerced(None, "returned None instead of an array (is a `return` missing?)")
    numbers = numbers_of(value)
    if numbers is None:
        return Coerced(None, f"returned {value.describe()}, which is not an array of {size} numbers")
    if numbers.size != size:
        where = f"shape {value.shape}" if value.kind == "array" else f"{numbers.size} numbers"
        return Coerced(None, f"returned {where} ({numbers.size} numbers); expected {size} numbers")
    return Coerced(numbers)



def _close_small(got: Any, expected: Any, rtol: float, scale: Any, atol: float = 0.0) -> bool | None:
    """`close` for a few finite float64 numbers (a reply's usual size) in plain floats: the same
    IEEE operations in the same order, without numpy's per-call cost. None: not such a case."""
    if not (type(got) is np.ndarray and type(expected) is np.ndarray and got.dtype == np.float64
            and expected.dtype == np.float64 and got.shape == expected.shape and got.size <= 8):
        return None
    if type(scale) is np.ndarray:
        if scale.dtype != np.float64 or scale.shape != got.shape:
            return None
        scales = scale.ravel().tolist()
    elif type(scale) in (float, np.float64, int):
        scales = [float(scale)] * got.size
    else:
        return None
    mine, wanted = got.ravel().tolist(), expected.ravel().tolist()
    if not all(math.isfinite(v) for v in mine + wanted + scales):
        return None  # NaN and infinity: the general rules below
    return all(abs(g - e) <= rtol * (abs(e) + abs(s)) + atol for g, e, s in zip(mine, wanted, scales, strict=True))


def close(got: np.ndarray, expected: np.ndarray, rtol: float, scale: np.ndarray | float = 0.0,
          atol: float = 0.0) -> bool:
    """|got - expected| <= rtol * (|expected| + scale) + atol, elementwise; NaN matches only NaN (and an
    infinity only the same infinity) where the expected answer has one.

    `scale` is the magnitude of the terms that were summed, so that rounding in a sum that
    cancels to nearly zero (np.mean vs a Python loop) is not mistaken for a wrong answer.
    """
    small = _close_small(got, expected, rtol, scale, atol)
    return small if small is not None else _close_arrays(got, expected, rtol, scale, atol)


def _close_arrays(got: Any, expected: Any, rtol: float, scale: Any, atol: float = 0.0) -> bool:
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape or not np.isfinite(got).all():
        same_specials = np.array_equal(np.isnan(got), np.isnan(expected)) and np.array_equal(
            got[np.isinf(got)], expected[np.isinf(expected)]) if got.shape == expected.shape else False
        if not same_specials:
            return False
        finite = np.isfinite(expected)
        got, expected = got[finite], expected[finite]
        scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), finite.shape)[finite]
    with np.errstate(all="ignore"):
        bound = rtol * (np.abs(expected) + np.abs(scale)) + atol
        return bool(np.all(np.abs(got - expected) <= bound))
