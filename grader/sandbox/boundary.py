"""The one decoder of what the student's process sends: any bytes -> a clean JSON object, or WireError.

Total by construction: every failure of the parse (bad UTF-8, bad JSON, a `\\u` escape without
its four hex digits, a 5000-digit integer, nesting past any real reply) is a WireError, which
the client turns into a lost session that fails the check it belongs to. What comes out is
valid Unicode: lone surrogates (a `\\ud800` escape parses to one, and no UTF-8 encoder takes it),
control characters (ESC sequences that redraw a terminal, CR, C1) and bidirectional overrides
are replaced by U+FFFD, in keys and values alike; newline and tab stay.

The cost is proportional to the frame's size: the frame is capped (wire.MAX_FRAME_BYTES), its
values are counted before parsing (a cheap byte count) so that a frame of a million empty lists
is refused before it becomes a million objects, and the parse and the cleaning are linear.
"""

from __future__ import annotations

import json
import re
from typing import Any

from grader.sandbox.inside import wire

MAX_VALUES = 500_000  # JSON values in one frame: far above any real reply (arrays travel as base64 text)
MAX_DEPTH = 32  # nesting of one frame: a real reply is a handful of levels deep
_UNSAFE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SEPARATORS = (b",", b"[", b"{")


def clean_text(text: str) -> str:
    """Student text as valid, printable Unicode: newline and tab kept, every other control
    character, bidirectional override and lone surrogate replaced by U+FFFD."""
    return _UNSAFE.sub("\ufffd", text) if _UNSAFE.search(text) else text


def decode_frame(payload: bytes) -> dict[str, Any]:
    """A frame's payload -> a JSON object whose every string is clean; WireError otherwise."""
    if len(payload) > wire.MAX_FRAME_BYTES:
        raise wire.WireError("frame too large")
    if sum(payload.count(mark) for mark in _SEPARATORS) > MAX_VALUES:
        raise wire.WireError("frame holds too many values")
    try:
        message = json.loads(payload.decode("utf-8"))
    except (ValueError, RecursionError, MemoryError) as error:  # (UnicodeDecodeError is a ValueError)
        raise wire.WireError(f"malformed frame: {error.__class__.__name__}") from None
    if not isinstance(message, dict):
        raise wire.WireError("frame is not an object")
    cleaned: dict[str, Any] = _clean(message, 0)
    return cleaned


def _clean(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise wire.WireError("frame nested too deeply")
        return [_clean(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise wire.WireError("frame nested too deeply")
        return {clean_text(key): _clean(item, depth + 1) for key, item in value.items()}
    return value  # None, bool, int (at most 4300 digits: json refuses more), float (inf for 1e999)


def texts(value: Any, limit: int, length: int) -> list[str]:
    """A field that must be a list of strings: at most `limit` of them, each cut to `length`;
    anything else raises WireError (a frame is checked against its schema before it is used)."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise wire.WireError("expected a list of strings")
    return [item[:length] for item in value[:limit]]


def optional_text(value: Any, length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise wire.WireError("expected a string")
    return value[:length]


def halts(value: Any, limit: int) -> list[list[Any]]:
    """Where a load stopped (see the harness's toplevel.Outcome): at most `limit` entries of
    [unit, statement, ended everything], two small non-negative ints and a bool; else WireError."""
    if not isinstance(value, list) or len(value) > limit:
        raise wire.WireError("expected a list of halts")
    for item in value:
        if not (isinstance(item, list) and len(item) == 3 and all(type(n) is int and 0 <= n < 1 << 20 for n in item[:2])
                and type(item[2]) is bool):
            raise wire.WireError("expected [unit, statement, ended] halts")
    return [list(item) for item in value]
