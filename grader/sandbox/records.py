"""Stand-in records, decoded: every call a stood-in function received, argument by argument.

The submission's process (and the reference driver, through the same code) sends records as
columns per parameter (see inside/standins.py); this is the one strict decoder for them. It reads
only the functions and parameters the grader asked for, and what it builds is bounded by what the
frame holds (a column of one value repeated is never expanded). Anything malformed raises
wire.WireError, which the client turns into a lost session: a check that cannot read its records
cannot pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.sandbox.inside import wire
from grader.values import Value, from_wire

MAX_CALLS = 200_000  # as the stand-ins keep them (standins.MAX_CALLS)
MAX_DISTINCT = 4_000  # distinct values of one column (standins.MAX_DISTINCT)
MAX_VALUES = 20_000  # distinct values in all the columns of one reply


@dataclass(frozen=True)
class Column:
    """One parameter over the calls: `floats` (one number per call), or distinct `values` and,
    per call, the `index` of its value (-1: past the number of distinct values kept); with
    `index` None, the one value of every call."""

    calls: int
    floats: np.ndarray | None = None
    values: tuple[Value, ...] = ()
    index: np.ndarray | None = None
    changed: bool = False  # an array argument was changed in place while the run went on
    float32: bool = False  # numbers that were float32 when the driver passed them

    def __len__(self) -> int:
        return self.calls

    def value(self, call: int) -> Value | None:
        """The argument of one call as a Value (None: not kept)."""
        if self.floats is not None:
            return Value("number", "float", dtype="float64", shape=(), data=self.floats[call:call + 1])
        if self.index is None:
            return self.values[0]
        position = int(self.index[call])
        return self.values[position] if position >= 0 else None

    def keys(self) -> np.ndarray:
        """Per call, something equal exactly when two calls' values are the same (bit for bit)."""
        if self.floats is not None:
            return self.floats.view(np.int64)
        if self.index is None:
            return np.broadcast_to(np.int64(0), (self.calls,))  # no memory of its own
        return self.index


@dataclass(frozen=True)
class CallTable:
    """Every call one stood-in function received during one run."""

    calls: int
    overflow: bool
    columns: dict[str, Column]

    def merged(self) -> np.ndarray:
        """The calls that differ from the call before them (a call repeated with the very same
        arguments, such as gd[0] and gd[1] asked in turn, is one call)."""
        if self.calls == 0:
            return np.zeros(0, dtype=np.int64)
        fresh = np.ones(self.calls, dtype=bool)
        if self.calls > 1 and self.columns:
            same = np.ones(self.calls - 1, dtype=bool)
            for column in self.columns.values():
                keys = column.keys()
                same &= keys[1:] == keys[:-1]
            fresh[1:] = ~same
        return np.flatnonzero(fresh)


def _column(message: Any, calls: int, budget: list[int]) -> Column:
    if not isinstance(message, dict):
        raise wire.WireError("bad record column")
    if "f" in message:
        floats = wire.decode_array(message["f"])
        if floats.dtype != np.float64 or floats.shape != (calls,) or message.get("f32", False) not in (True, False):
            raise wire.WireError("bad record floats")
        return Column(calls, floats=floats, float32=message.get("f32") is True)
    values = message.get("v")
    if not isinstance(values, list) or not 0 < len(values) <= MAX_DISTINCT or len(values) > budget[0]:
        raise wire.WireError("bad record values")
    budget[0] -= len(values)
    decoded = tuple(from_wire(v) for v in values)
    changed = message.get("changed") is True or message.get("overflow") is True
    if message.get("same") is True:
        if len(decoded) != 1:
            raise wire.WireError("bad record values")
        return Column(calls, values=decoded, changed=changed)
    index = wire.decode_array(message.get("i"))
    if index.dtype != np.int64 or index.shape != (calls,) or (index.size and (
            index.min() < -1 or index.max() >= len(decoded))):
        raise wire.WireError("bad record index")
    return Column(calls, values=decoded, index=index, changed=changed)


def decode_records(message: Any, wanted: Mapping[str, Sequence[str]]) -> dict[str, CallTable]:
    """A reply's records of the stood-in functions the request recorded (`wanted`: each one's
    parameters) -> one CallTable each. What was not asked for is not read; what was asked for is
    decoded strictly (WireError otherwise)."""
    if not wanted:
        return {}
    if not isinstance(message, dict):
        raise wire.WireError("bad records")
    tables = {}
    budget = [MAX_VALUES]
    for name, params in wanted.items():
        table = message.get(name)
        if table is None:
            continue  # the check says the calls could not be read
        if not isinstance(table, dict):
            raise wire.WireError("bad record table")
        calls, overflow, columns = table.get("calls"), table.get("overflow"), table.get("columns")
        if type(calls) is not int or calls < 0 or not isinstance(columns, dict) or set(columns) != set(params):
            raise wire.WireError("bad record table")
        kept = min(calls, MAX_CALLS)
        tables[name] = CallTable(calls=kept, overflow=bool(overflow) or calls > kept,
                                 columns={param: _column(columns[param], kept, budget) for param in params})
    return tables
