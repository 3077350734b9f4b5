"""Comparing a driver's run with the reference driver's: call by call, argument by argument.

Both runs come as CallTables (grader/sandbox/records.py) made by the same stand-in code. A call
repeated with the very same arguments counts once (asking for gd[0] and gd[1] in two calls at one
point is one step); after that, calls are compared in order, every argument by name, numbers with
|got - expected| <= rtol * (|expected| + scale) + atol, where scale is the largest magnitude of
that argument over the reference's calls (so that a value crossing zero is judged fairly).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from grader.messages import t
from grader.sandbox.records import CallTable, Column
from grader.values import Value, close, format_number, numbers_of

FINGERPRINT_CALLS = 10  # the calls (from the start) that, with the count, the last call and the result,
# tell one way of writing a driver from another when naming a mistake


@dataclass(frozen=True)
class Difference:
    """The first place where a run's calls leave the reference's."""

    text: str


def _shown(value: Value | None) -> str:
    if value is None:
        return "?"
    if value.kind == "number":
        return format_number(value.scalar())
    return value.describe()


def _column_scale(column: Column, calls: np.ndarray) -> float:
    if column.floats is not None:
        values = np.abs(column.floats[calls]) if calls.size else np.zeros(0)
        finite = values[np.isfinite(values)]
        return float(finite.max()) if finite.size else 0.0
    return 0.0


def _value_close(got: Value | None, expected: Value | None, rtol: float, atol: float) -> bool:
    if got is None or expected is None:
        return False
    if expected.kind in ("number", "array") and got.kind in ("number", "array"):
        if expected.kind == "array" and (got.kind != "array" or got.shape != expected.shape or
                                         _narrowed(got, expected)):
            return False
        if expected.kind == "number" and got.kind != "number":
            return False
        assert got.data is not None and expected.data is not None
        finite = np.abs(expected.data[np.isfinite(expected.data)])
        scale = float(finite.max()) if finite.size else 0.0
        return close(got.data, expected.data, rtol, scale, atol)
    if expected.kind != got.kind:
        return False
    if expected.kind == "seq":
        return len(got.items) == len(expected.items) and all(
            _value_close(g, e, rtol, atol) for g, e in zip(got.items, expected.items, strict=True))
    return (got.text, got.kind) == (expected.text, expected.kind)


def _narrowed(got: Value, expected: Value) -> bool:
    """float32 where the given code has float64: the same data, with half its digits."""
    return got.dtype == "float32" and expected.dtype == "float64"


def _float32(column: Column, value: Value | None) -> bool:
    return column.float32 or (value is not None and value.dtype == "float32")


def _same_as_other(student_value: Value | None, expected: CallTable, call: int, param: str,
                   rtol: float, atol: float) -> str | None:
    """The other argument whose value (in the reference's call) a wrong array argument holds:
    `y` given as `X`, say. Numbers are left out: two weights are often equal by chance."""
    if student_value is None or student_value.kind not in ("array", "seq"):
        return None
    for other, column in expected.columns.items():
        if other != param and _value_close(student_value, column.value(call), rtol, atol):
            return other
    return None


def _first_bad(student: Column, expected: Column, mine: np.ndarray, theirs: np.ndarray, rtol: float,
               atol: float) -> int | None:
    """The first of the compared calls where this argument differs (None: it never does)."""
    if student.floats is not None and expected.floats is not None:
        got, want = student.floats[mine], expected.floats[theirs]
        scale = _column_scale(expected, theirs)
        with np.errstate(all="ignore"):
            ok = (np.abs(got - want) <= rtol * (np.abs(want) + scale) + atol) | (got == want) | (
                np.isnan(got) & np.isnan(want))
        bad = np.flatnonzero(~ok)
        return int(bad[0]) if bad.size else None
    # distinct pairs of values (the data arguments: one value in every call), each compared once; the
    # first call with a pair that differs is the first place where this argument does
    mine_keys, their_keys = student.keys()[mine], expected.keys()[theirs]
    if not mine_keys.size:
        return None
    if (mine_keys == mine_keys[0]).all() and (their_keys == their_keys[0]).all():
        first_seen: list[int] = [0]  # one value on each side in every call: one pair
    else:
        first_seen = np.unique(np.stack([mine_keys, their_keys]), axis=1, return_index=True)[1].tolist()
    wrong = [int(position) for position in first_seen
             if not _value_close(student.value(int(mine[position])), expected.value(int(theirs[position])), rtol,
                                 atol)]
    return min(wrong) if wrong else None


def compare_calls(function: str, driver: str, student: CallTable | None, expected: CallTable,
                  rtol: float, atol: float) -> Difference | None:
    """How the student's calls of `function` differ from the reference's (None: they do not)."""
    if student is None:
        return Difference(t("driver.unreadable", function=function))
    if student.overflow:
        return Difference(t("driver.too_many_calls", driver=driver, function=function, calls=student.calls))
    mine, theirs = student.merged(), expected.merged()
    shared = min(len(mine), len(theirs))
    first: tuple[int, str] | None = None
    for param, column in expected.columns.items():
        other = student.columns.get(param)
        if other is None or len(other) != student.calls:
            return Difference(t("driver.unreadable", function=function))
        if other.changed and not column.changed:
            return Difference(t("driver.changed", driver=driver, function=function, param=param))
        bad = _first_bad(other, column, mine[:shared], theirs[:shared], rtol, atol)
        if bad is not None and (first is None or bad < first[0]):
            first = (bad, param)
    if first is not None:
        call, param = first
        column = expected.columns[param]
        got = student.columns[param].value(int(mine[call]))
        want = column.value(int(theirs[call]))
        given_as = _same_as_other(got, expected, int(theirs[call]), param, rtol, atol)
        if given_as is not None:
            text = t("driver.argument_other", call=call + 1, function=function, param=param, other=given_as,
                     expected=_shown(want))
        else:
            text = t("driver.argument", call=call + 1, function=function, param=param, got=_shown(got),
                     expected=_shown(want))
        if _float32(student.columns[param], got) and not _float32(column, want):
            text = f"{text} ({t('value.float32')})"
        return Difference(text)
    if len(mine) != len(theirs):
        # in words, the calls as the code made them (a call repeated at one point is still a call),
        # unless only the distinct calls differ
        calls, wanted = (student.calls, expected.calls) if student.calls != expected.calls else (len(mine), len(theirs))
        if not calls:
            return Difference(t("driver.never_called", driver=driver, function=function, expected=_times(wanted)))
        return Difference(t("driver.calls", driver=driver, function=function, calls=_times(calls),
                            expected=_times(wanted)))
    return None


def _times(count: int) -> str:
    return t("driver.once") if count == 1 else t("driver.times", count=count)


def _call_numbers(table: CallTable, call: int, previous: int | None) -> list[float]:
    """A call's numbers: every number argument; an array argument only where it changed."""
    out: list[float] = []
    for column in table.columns.values():
        if column.floats is None and previous is not None and column.keys()[call] == column.keys()[previous]:
            continue
        value = column.value(call)
        found = numbers_of(value) if value is not None else None
        out += [float("nan")] if found is None else [float(v) for v in found]
    return out


def fingerprint(tables: Mapping[str, CallTable | None], compared: Sequence[str],
                returned: np.ndarray | None) -> np.ndarray | None:
    """A run in a few numbers, to tell one way of writing a driver from another: per compared
    function the number of calls, the first calls, the last call; then what the driver returned."""
    out: list[float] = []
    for name in compared:
        table = tables.get(name)
        if table is None or table.overflow:
            return None
        merged = table.merged()
        picked = list(merged[:FINGERPRINT_CALLS]) + ([merged[-1]] if len(merged) > FINGERPRINT_CALLS else [])
        out.append(float(len(merged)))
        previous = None
        for call in picked:
            out += _call_numbers(table, int(call), previous)
            previous = int(call)
    if returned is not None:
        out += [float(v) for v in returned]
    return np.array(out, dtype=np.float64)


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)")


def _numbers_of_line(line: str) -> np.ndarray:
    return np.array([float(v) for v in _NUMBER.findall(line)], dtype=np.float64)


def compare_printed(got: str, expected: str, rtol: float) -> tuple[int, str, str] | None:
    """The first of the reference's printed lines that the student's output does not show, in
    order, with the same numbers: (its line number, the student's line in its place, the line).
    Lines of the student's own (a debugging print) in between are allowed."""
    mine = [line for line in got.splitlines() if line.strip()]
    theirs = [line for line in expected.splitlines() if line.strip()]
    position = 0
    for index, line in enumerate(theirs):
        wanted = _numbers_of_line(line)
        start = position
        while position < len(mine):
            found = _numbers_of_line(mine[position])
            position += 1
            if found.shape == wanted.shape and close(found, wanted, rtol):
                break
        else:
            shown = mine[start].strip() if start < len(mine) else ""
            return index + 1, shown, line.strip()
    return None
