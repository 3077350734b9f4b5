"""Total decoding at the boundary: whatever the student's process sends, the decoder and every
frame handler give a value or a malformed reply (SessionLost / WireError), never another
exception; and every string that leaves the boundary is valid, printable Unicode.

10,000 Hypothesis examples in all (the counts below), each test shaped so that the whole file
runs in seconds.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.sandbox import client
from grader.sandbox.boundary import decode_frame
from grader.sandbox.client import Reply, Session, SessionLost, StandIn, read_loaded, unpack_answers
from grader.sandbox.inside import wire
from grader.values import Value

UNSAFE = re.compile("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
FAST = settings(deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _strings(value: Any) -> list[str]:
    """Every string in a decoded value, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [*_strings(key), *_strings(item)]]
    if isinstance(value, (Reply, Value)):
        return _strings([getattr(value, name) for name in value.__dataclass_fields__])
    if value is not None and hasattr(value, "__dataclass_fields__"):
        return _strings([getattr(value, name) for name in value.__dataclass_fields__])
    return []


def _assert_clean(value: Any) -> None:
    for text in _strings(value):
        text.encode("utf-8")  # strict: a lone surrogate raises here
        assert not UNSAFE.search(text), repr(text)


# ------------------------------------------------------------------ the decoder: arbitrary bytes

ESCAPES = st.sampled_from([b"\\u", b"\\ud800", b"\\udfff", b"\\ud83d\\ude00", b"\\u001b", b"\\u202e", b"\\\\",
                           b"\\uZZZZ", b"\\u12", b"\\", b'\\"', b"\\b", b"\\r", b"\xc2\x9b", b"\xe2\x80\xae",
                           b"\xed\xa0\x80", b"\xff", b"9" * 5000, b"[" * 40, b"1e999", b"NaN", b"-Infinity"])
PIECES = st.one_of(st.binary(max_size=12), ESCAPES, st.sampled_from([b'"', b"{", b"}", b"[", b"]", b",", b":",
                                                                      b'"op"', b'"returned"', b"null"]))


@settings(FAST, max_examples=3000)
@given(st.lists(PIECES, max_size=20).map(b"".join))
def test_any_bytes_are_a_clean_object_or_a_wire_error(payload: bytes) -> None:
    for candidate in (payload, b'{"op": "x", "s": "' + payload + b'"}'):
        try:
            message = decode_frame(candidate)
        except wire.WireError:
            continue
        assert isinstance(message, dict)
        _assert_clean(message)


@settings(FAST, max_examples=3000)
@given(st.text(), st.booleans())
def test_any_text_is_decoded_clean(text: str, ascii_only: bool) -> None:
    """Text as json.dumps writes it (escaped or raw; lone surrogates only as escapes)."""
    payload = json.dumps({"op": "raised", "message": text, text[:5]: [text]}, ensure_ascii=ascii_only)
    try:
        message = decode_frame(payload.encode("utf-8", "surrogatepass"))
    except wire.WireError:
        assert not ascii_only  # escaped text always parses; raw surrogates are not UTF-8
        return
    _assert_clean(message)
    if not UNSAFE.search(text):
        assert message["message"] == text  # clean text passes unchanged


def test_the_crashes_of_the_issue_are_wire_errors_or_clean_values() -> None:
    assert decode_frame(b'{"m": "a\\ud800b"}') == {"m": "a\ufffdb"}
    assert decode_frame(b'{"m": "\\ud83d\\ude00"}') == {"m": "\U0001f600"}  # a real pair stays
    assert decode_frame(b'{"m": "\\u001b[2J"}') == {"m": "\ufffd[2J"}
    for bad in (b'{"m": "\\uZZ"}', b'{"m": "\\u"}', b'{"n": ' + b"7" * 5000 + b"}", b"[" * 5000,
                b"{}" + b"," * (600_000), b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}"):
        with pytest.raises(wire.WireError):
            decode_frame(bad)


# ------------------------------------------------------------------ the frame handlers: arbitrary JSON

KEYS = st.sampled_from(["op", "t", "type", "value", "b64", "f", "raw", "dtype", "shape", "items", "text", "v",
                        "records", "calls", "overflow", "columns", "same", "i", "message", "traceback",
                        "printed", "notes", "defined", "stopped", "like", "rows", "orig_dtype", "packed",
                        "results", "answers", "count", "status", "gd", "x"])
OPS = st.sampled_from(["returned", "raised", "missing", "loaded", "mapped", "descended", "kept", "ran",
                       "session_end", "callback", "number", "array", "seq", "other", "none", "bool"])
B64 = st.binary(max_size=24).map(lambda b: __import__("base64").b64encode(b).decode())
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=8),
                   OPS, B64, st.sampled_from(["float64", "int64", "\ud800", "\x1b[31m"]))


def _nest(inner: st.SearchStrategy[Any], size: int) -> st.SearchStrategy[Any]:
    return st.one_of(LEAVES, st.lists(inner, max_size=size), st.dictionaries(KEYS, inner, max_size=size))


# JSON up to four levels deep (a reply's value, a sequence's items, an item's fields), built by
# hand: twice as fast to draw as st.recursive, so the examples go to shapes
JSONISH = _nest(_nest(_nest(LEAVES, 3), 3), 2)
FRAMES = st.dictionaries(KEYS, JSONISH, max_size=4)
WANTED = {"gd": ("w0", "w1")}


@settings(FAST, max_examples=3500)
@given(FRAMES, st.integers(0, 4))
def test_a_frame_of_any_shape_is_a_value_or_a_malformed_reply(message: dict[str, Any], count: int) -> None:
    """Each frame goes through every handler of a reply (one example, several handlers: the
    examples are spent on shapes, not on generating them again)."""
    for wanted in (None, WANTED):
        try:
            reply = client._decode_reply(message, wanted)
        except SessionLost as lost:
            assert lost.kind == "protocol"
        else:
            assert reply.kind in ("returned", "raised", "missing")
            _assert_clean(reply)
    try:
        loaded = read_loaded(message)
    except SessionLost as lost:
        assert lost.kind == "protocol"
    else:
        assert all(isinstance(n, str) for n in loaded.notes + loaded.defined)
        assert loaded.stopped is None or isinstance(loaded.stopped, str)
        assert all(type(a) is int and type(b) is int and type(c) is bool for a, b, c in loaded.halts)
    for packed in (message, message.get("packed")):
        try:  # what the caller maps to a malformed reply (Session.map)
            unpack_answers(packed, count)
        except (wire.WireError, ValueError, TypeError, AttributeError, KeyError, IndexError):
            pass


class _Owner:
    """The session's owner, reduced to what a session asks of it (alive, kill, sweep)."""

    alive = True

    def kill(self, status: bool = False) -> int | None:
        return None

    def sweep(self) -> None:
        pass


def _frame(payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + payload


def _session_answering(payload: bytes) -> tuple[Session, socket.socket]:
    mine, theirs = socket.socketpair()
    theirs.sendall(_frame(payload))
    session = Session(_Owner(), mine, wire.FrameReader(mine), deadline=float("inf"))  # type: ignore[arg-type]
    return session, theirs


ASK = StandIn("ask", ("w0", "w1"), answer=lambda index, args: 1.0)


@settings(FAST, max_examples=500)
@given(FRAMES, st.sampled_from(["call", "map", "descend", "keep", "run", "end"]))
def test_each_request_survives_a_reply_of_any_shape(message: dict[str, Any], request: str) -> None:
    session, theirs = _session_answering(json.dumps(message).encode())
    session.deadline = __import__("time").monotonic() + 5
    try:
        with theirs:
            drain = threading.Thread(target=lambda: _drain(theirs), daemon=True)
            drain.start()
            try:
                if request == "call":
                    result: Any = session.call("f", 1.0, stand_ins={"gd": ASK})
                elif request == "map":
                    result = session.map("f", [[1.0], [2.0]], independent=True)
                elif request == "descend":
                    result = session.descend("f", [0.0, 0.0], 0.1, 3)
                elif request == "keep":
                    result = session.keep(np.zeros(2))
                elif request == "run":
                    result = session.run("f", [1.0], [{}])
                else:
                    result = session.end()
            except SessionLost:
                return
            _assert_clean(result)
    finally:
        session._sock.close()


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


@pytest.mark.parametrize("payload", [b'{"op": "session_end", "s": "\\uZZ"}', b'{"op": "loaded", "notes": null}',
                                     b'{"op": "session_end", "status": "\\ud800"}', b"\xff\xfe", b"[" * 100])
def test_the_end_of_a_part_survives_any_frame(payload: bytes) -> None:
    """Session.end runs in _grade_part's finally: an exception there would lose the whole result."""
    session, theirs = _session_answering(payload)
    with theirs:
        drain = threading.Thread(target=lambda: _drain(theirs), daemon=True)
        drain.start()
        session.end()
    assert not session.open
    session._sock.close()
