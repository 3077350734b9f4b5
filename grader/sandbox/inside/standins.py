"""Stand-ins: a submission's functions replaced while another one is checked, every call recorded.

The same code runs on both sides of the boundary. In the submission's process the harness puts
stand-ins in the student's namespace; in the grader's process the reference driver runs under the
very same stand-ins. Both therefore bind, answer and record calls in exactly the same way, and the
grader compares their records call by call.

A stand-in binds each call to the stood-in function's parameters (positional and keyword, with
its defaults, failing as Python would), records every argument by name, and answers:
  script  the next of its values for a call with new arguments, and the previous answer again for
          a call with the same arguments as the previous one (a function of its arguments);
  own     the submission's own function (a spy);
  ask     whatever `ask` answers (the grader computes it; it may say: use the own function).
Records are columns per parameter: plain floats while every value is a number (marked when some
were float32), else distinct values
(a value equal to the previous call's is stored once) with an index per call. An array is recorded
as it was when first passed; one changed in place while the run went on is marked as such.
"""

from __future__ import annotations

import copy
import operator
from collections.abc import Callable, Mapping
from itertools import repeat
from typing import Any

import numpy as np

try:  # imported as grader.sandbox.inside.standins by the grader, as a top-level module in the sandbox
    from . import wire
except ImportError:  # pragma: no cover - the sandbox's flat layout
    import wire  # type: ignore[no-redef]

MAX_CALLS = 200_000  # recorded per stand-in and run; past it the record says so and the run cannot pass
MAX_DISTINCT = 4_000  # distinct values per argument column
OWN = object()  # what `ask` returns to mean: answer with the submission's own function

_FLOATS = (float, np.float64)
_INTS = (int, np.int64, np.int32)
_NUMBERS = (float, int, np.float64, np.float32, np.int64, np.int32)
_UNSET = object()
_FLOAT_SET = {float, np.float64}
_NUMBER_SET = set(_NUMBERS)


def decode_value(message: Any, depth: int = 0) -> Any:
    """A value the grader sent (a script's answer, a default, an asked answer) as a Python value."""
    if not isinstance(message, dict) or depth > 4:
        raise wire.WireError("bad value")
    kind = message.get("t")
    if kind == "number":
        return wire.decode_number(message)
    if kind == "array":
        return wire.decode_array(message)
    if kind == "none":
        return None
    if kind == "bool":
        return bool(message.get("v"))
    if kind == "seq":
        items = message.get("items")
        if not isinstance(items, list) or len(items) > wire.MAX_ITEMS:
            raise wire.WireError("bad sequence")
        values = [decode_value(item, depth + 1) for item in items]
        return tuple(values) if message.get("type") == "tuple" else values
    raise wire.WireError("not a value the grader sends")


def _key(value: Any, snapshot: bytes | None = None) -> Any:
    """Equal keys: equal values (the same bytes); used to merge repeated calls."""
    kind = type(value)
    if kind is np.ndarray:
        try:
            return (value.dtype.str, value.shape, value.tobytes() if snapshot is None else snapshot)
        except BaseException:
            return ("?", id(value))
    if kind in _NUMBERS:
        return ("n", np.float64(value).tobytes()) if kind is not int or abs(value) < 2**53 else ("i", value)
    try:
        return ("o", repr(wire.encode_result(value)))
    except BaseException:
        return ("?", id(value))


def _column(values: list[Any], snapshots: Mapping[int, tuple[Any, bytes]], changed: set[int]) -> dict[str, Any]:
    """One parameter over the calls: plain floats while every value is a number, else the distinct
    values (one stored while the value repeats) and an index per call. An array is taken as it was
    when first passed (its snapshot); `changed` holds the arrays changed in place since."""
    kinds = set(map(type, values))
    if kinds <= _NUMBER_SET:
        try:
            column: dict[str, Any] = {"f": wire.encode_array(np.array(values, dtype=np.float64))}
            if np.float32 in kinds:
                column["f32"] = True  # kept as float64 here, but the driver computed in float32
            return column
        except (OverflowError, ValueError, TypeError):
            pass  # an int beyond float64: kept as a value
    first = values[0] if values else None
    if type(first) is np.ndarray and id(first) not in changed and all(map(operator.is_, values, repeat(first))):
        raw = snapshots[id(first)][1]  # one array in every call (the data, say)
        shown = np.frombuffer(raw, dtype=first.dtype).reshape(first.shape)
        return {"v": [wire.encode_result(shown)], "overflow": False, "changed": False, "same": True}
    distinct: list[dict[str, Any]] = []
    index: list[int] = []
    last_key: Any = _UNSET
    last_value: Any = _UNSET
    for value in values:
        if value is last_value and index:
            index.append(index[-1])  # the same object again (the data): its snapshot is the same
            continue
        last_value = value
        snapshot: tuple[Any, bytes] | None = snapshots.get(id(value)) if type(value) is np.ndarray else None
        key = _key(value, None if snapshot is None else snapshot[1])
        if key == last_key and index:
            index.append(index[-1])
            continue
        last_key = key
        if len(distinct) >= MAX_DISTINCT:
            index.append(-1)
            continue
        if snapshot is not None and id(value) in changed:
            distinct.append({"t": "other", "type": "ndarray", "text": "an array changed in place while it was used"})
        elif snapshot is not None:
            distinct.append(wire.encode_result(np.frombuffer(snapshot[1], dtype=value.dtype).reshape(value.shape)))
        else:
            distinct.append(wire.encode_result(value))
        index.append(len(distinct) - 1)
    packed: dict[str, Any] = {"v": distinct, "overflow": -1 in index, "changed": any(
        id(v) in changed for v in {id(v): v for v in values if type(v) is np.ndarray}.values())}
    if len(distinct) == 1 and not packed["overflow"]:
        packed["same"] = True  # one value in every call (the data, say)
    else:
        packed["i"] = wire.encode_array(np.array(index, dtype=np.int64))
    return packed


class StandIn:
    """One stood-in function of one run: its spec, and the calls it received."""

    def __init__(self, name: str, spec: Mapping[str, Any], own: Any = None,
                 ask: Callable[[str, tuple[Any, ...]], Any] | None = None) -> None:
        self.name = name
        self.params = tuple(str(p) for p in spec.get("params", []))
        self.defaults = {str(k): decode_value(v) for k, v in dict(spec.get("defaults") or {}).items()}
        self.mode = spec.get("mode")
        if self.mode not in ("script", "own", "ask"):
            raise wire.WireError("unknown stand-in mode")
        if "rows" in spec:  # many values of one shape (a trajectory's answers): one array, split here
            self.script = list(wire.decode_array(spec["rows"]))
        else:
            self.script = [decode_value(v) for v in spec.get("values", [])]
        self.recording = bool(spec.get("record", True))
        self.own = own
        self.ask = ask
        self.rows: list[tuple[Any, ...]] = []  # every call's arguments, bound by parameter
        self.snapshots: dict[int, tuple[Any, bytes]] = {}  # each array passed, as it was when first passed
        self.extra_calls = 0  # past MAX_CALLS: counted, not kept

    def _bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """The call's arguments in parameter order, or the TypeError Python would raise."""
        params = self.params
        if not kwargs and len(args) == len(params):
            return args
        if len(args) > len(params):
            raise TypeError(f"{self.name}() takes {len(params)} positional arguments but {len(args)} were given")
        values = list(args) + [_UNSET] * (len(params) - len(args))
        for key, value in kwargs.items():
            if key not in params:
                raise TypeError(f"{self.name}() got an unexpected keyword argument '{key}'")
            position = params.index(key)
            if values[position] is not _UNSET:
                raise TypeError(f"{self.name}() got multiple values for argument '{key}'")
            values[position] = value
        for position, value in enumerate(values):
            if value is _UNSET:
                if params[position] not in self.defaults:
                    raise TypeError(f"{self.name}() missing required argument: '{params[position]}'")
                values[position] = copy.deepcopy(self.defaults[params[position]])
        return tuple(values)

    def _record(self, bound: tuple[Any, ...]) -> bool:
        """Keep the call's arguments; True when they are those of the previous call. Only what must be
        done now is done now (an array's bytes when it is first passed); the columns are made when
        the run ends. (The script stand-in, the hot one, has this in line: see _scripted.)"""
        rows = self.rows
        if len(rows) >= MAX_CALLS:
            self.extra_calls += 1
            return False
        previous = rows[-1] if rows else None
        rows.append(bound)
        if previous is None:
            self._first(bound)
            return False
        return all(map(operator.is_, bound, previous)) or self._compare(bound, previous)

    def _first(self, bound: tuple[Any, ...]) -> None:
        for value in bound:
            if type(value) is np.ndarray:
                self._snapshot(value)

    def _compare(self, bound: tuple[Any, ...], previous: tuple[Any, ...]) -> bool:
        """Whether a call's arguments equal the previous call's (those that are not the same objects)."""
        same = True
        for value, before in zip(bound, previous):  # noqa: B905 - both are bound to the same parameters
            if value is before:
                continue
            kind = type(value)
            if kind is np.ndarray:
                raw = self._snapshot(value)
                if same and not (type(before) is np.ndarray and value.shape == before.shape and
                                 value.dtype == before.dtype and raw == self.snapshots[id(before)][1]):
                    same = False
            elif same and not (kind in _NUMBERS and type(before) in _NUMBERS and value == before):
                same = False
        return same

    def _snapshot(self, value: np.ndarray) -> bytes:
        known = self.snapshots.get(id(value))
        if known is None or known[0] is not value:
            known = self.snapshots[id(value)] = (value, _bytes(value))
        return known[1]

    def function(self) -> Callable[..., Any]:
        """The function put in the submission's namespace."""
        if self.mode == "script":
            return self._scripted()
        name, record, own = self.name, self._record, self.own
        ask = self.ask if self.mode == "ask" else None
        n, bind = len(self.params), self._bind

        def stand_in(*args: Any, **kwargs: Any) -> Any:
            bound = args if not kwargs and len(args) == n else bind(args, kwargs)
            record(bound)
            if ask is not None:
                answer = ask(name, bound)
                if answer is not OWN:
                    return answer
            if not callable(own):
                raise NameError(f"name '{name}' is not defined")
            return own(*bound)

        stand_in.__name__ = name
        return stand_in

    def _scripted(self) -> Callable[..., Any]:
        """A script stand-in answers once per iteration of a student's loop (thousands of times a
        run): what it needs is a local of this closure, and the usual call is handled in line."""
        rows, script, n, bind, compare, first = self.rows, self.script, len(self.params), self._bind, \
            self._compare, self._first
        count, array, numbers, deepcopy, limit = len(script), np.ndarray, _NUMBERS, copy.deepcopy, MAX_CALLS
        position, last = 0, None

        def scripted(*args: Any, **kwargs: Any) -> Any:
            nonlocal position, last
            bound = args if not kwargs and len(args) == n else bind(args, kwargs)
            if len(rows) < limit:
                previous = rows[-1] if rows else None
                rows.append(bound)
                if previous is None:
                    first(bound)
                    same = False
                else:  # _compare in line for the usual call: new numbers, the same data arrays
                    same = True
                    for value, before in zip(bound, previous):  # noqa: B905 - bound to the same parameters
                        if value is before:
                            continue
                        kind = type(value)
                        if kind is array or kind not in numbers or type(before) not in numbers:
                            same = compare(bound, previous)
                            break
                        if same and value != before:
                            same = False
            else:
                self.extra_calls += 1
                same = False
            if not same:  # a function of its arguments: the same call gets the same answer
                last = script[position % count] if count else None
                position += 1
            # a fresh copy each time, as a real function returns: `gd *= lr` must not change the next answer
            return last.copy() if type(last) is array else deepcopy(last)

        scripted.__name__ = self.name
        return scripted

    def records(self) -> dict[str, Any]:
        changed = {key for key, (value, raw) in self.snapshots.items() if _bytes(value) != raw}
        by_param = list(zip(*self.rows)) if self.rows else [() for _ in self.params]  # noqa: B905 - same lengths
        columns = {param: _column(list(values), self.snapshots, changed)
                   for param, values in zip(self.params, by_param)}  # noqa: B905 - one per parameter
        calls = len(self.rows) + self.extra_calls
        return {"calls": calls, "overflow": calls > MAX_CALLS, "columns": columns}


def _bytes(value: np.ndarray) -> bytes:
    try:
        return value.tobytes()
    except BaseException:
        return b"?"


def install(namespace: dict[str, Any], specs: Mapping[str, Any],
            ask: Callable[[str, tuple[Any, ...]], Any] | None = None) -> tuple[dict[str, StandIn], dict[str, Any]]:
    """Put a stand-in in the namespace for each function in `specs`; returns them and what they replaced."""
    saved = {name: namespace.get(name, _UNSET) for name in specs}
    made = {}
    for name, spec in specs.items():
        made[name] = StandIn(str(name), spec, own=saved[name] if saved[name] is not _UNSET else None, ask=ask)
    for name, stand_in in made.items():
        namespace[name] = stand_in.function()
    return made, saved


def restore(namespace: dict[str, Any], saved: Mapping[str, Any]) -> None:
    for name, value in saved.items():
        if value is _UNSET:
            namespace.pop(name, None)
        else:
            namespace[name] = value


def records_of(stand_ins: Mapping[str, StandIn]) -> dict[str, Any]:
    return {name: s.records() for name, s in stand_ins.items() if s.recording}
