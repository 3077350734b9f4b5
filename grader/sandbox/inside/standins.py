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
Records are columns per parameter: plain floats while every value is a number, else distinct values
(a value equal to the previous call's is stored once) with an index per call.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
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


def _key(value: Any) -> Any:
    """Equal keys: equal values (the same bytes); used to merge repeated calls."""
    kind = type(value)
    if kind is np.ndarray:
        try:
            return (value.dtype.str, value.shape, value.tobytes())
        except BaseException:
            return ("?", id(value))
    if kind in _NUMBERS:
        return ("n", np.float64(value).tobytes()) if kind is not int or abs(value) < 2**53 else ("i", value)
    try:
        return ("o", repr(wire.encode_result(value)))
    except BaseException:
        return ("?", id(value))


class Column:
    """One parameter's values over the calls."""

    __slots__ = ("floats", "values", "index", "last_key", "overflow")

    def __init__(self) -> None:
        self.floats: list[float] | None = []
        self.values: list[dict[str, Any]] = []
        self.index: list[int] = []
        self.last_key: Any = _UNSET
        self.overflow = False

    def add(self, value: Any) -> bool:
        """Record one value; True when it equals the previous call's value."""
        floats = self.floats
        kind = type(value)
        if floats is not None and (kind in _FLOATS or (kind in _INTS and -2**53 < value < 2**53)):
            number = float(value)
            same = bool(floats) and (floats[-1] == number or (number != number and floats[-1] != floats[-1]))
            floats.append(number)
            return same
        if floats is not None:
            self._to_values()
        key = _key(value)
        if key == self.last_key and self.index:
            self.index.append(self.index[-1])
            return True
        self.last_key = key
        if len(self.values) >= MAX_DISTINCT:
            self.overflow = True
            self.index.append(-1)
            return False
        self.values.append(wire.encode_result(value))
        self.index.append(len(self.values) - 1)
        return False

    def _to_values(self) -> None:
        assert self.floats is not None
        for number in self.floats:
            key = _key(number)
            if key != self.last_key or not self.index:
                self.values.append(wire.encode_result(number))
                self.last_key = key
            self.index.append(len(self.values) - 1)
        self.floats = None

    def pack(self) -> dict[str, Any]:
        if self.floats is not None:
            return {"f": wire.encode_array(np.array(self.floats, dtype=np.float64))}
        if len(self.values) == 1 and not self.overflow:
            return {"v": self.values, "same": True}  # one value in every call (the data, say)
        return {"v": self.values, "i": wire.encode_array(np.array(self.index, dtype=np.int64)),
                "overflow": self.overflow}


class StandIn:
    """One stood-in function of one run."""

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
        self.columns = [Column() for _ in self.params]
        self.calls = 0
        self.position = 0
        self.last_value: Any = None

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
        """Record the call; True when every argument equals the previous call's."""
        if self.calls >= MAX_CALLS:
            self.calls += 1
            return False
        same = True
        for column, value in zip(self.columns, bound, strict=False):
            same = column.add(value) and same
        self.calls += 1
        return same and self.calls > 1

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = self._bind(args, kwargs)
        same = self._record(bound)
        if self.mode == "script":
            if same:
                value = self.last_value
            else:
                value = self.script[self.position % len(self.script)] if self.script else None
                self.position += 1
                self.last_value = value
            # a fresh copy each time, as a real function returns: `gd *= lr` must not change the next answer
            return value.copy() if type(value) is np.ndarray else copy.deepcopy(value)
        if self.mode == "ask" and self.ask is not None:
            answer = self.ask(self.name, bound)
            if answer is not OWN:
                return answer
        if not callable(self.own):
            raise NameError(f"name '{self.name}' is not defined")
        return self.own(*bound)

    def records(self) -> dict[str, Any]:
        return {"calls": self.calls, "overflow": self.calls > MAX_CALLS,
                "columns": {param: column.pack() for param, column in zip(self.params, self.columns, strict=True)}}


def install(namespace: dict[str, Any], specs: Mapping[str, Any],
            ask: Callable[[str, tuple[Any, ...]], Any] | None = None) -> tuple[dict[str, StandIn], dict[str, Any]]:
    """Put a stand-in in the namespace for each function in `specs`; returns them and what they replaced."""
    saved = {name: namespace.get(name, _UNSET) for name in specs}
    made = {}
    for name, spec in specs.items():
        made[name] = StandIn(str(name), spec, own=saved[name] if saved[name] is not _UNSET else None, ask=ask)
    for name, stand_in in made.items():
        namespace[name] = stand_in
    return made, saved


def restore(namespace: dict[str, Any], saved: Mapping[str, Any]) -> None:
    for name, value in saved.items():
        if value is _UNSET:
            namespace.pop(name, None)
        else:
            namespace[name] = value


def records_of(stand_ins: Mapping[str, StandIn]) -> dict[str, Any]:
    return {name: s.records() for name, s in stand_ins.items() if s.recording}
