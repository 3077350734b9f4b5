"""Framing and value encoding shared by the grader and the sandboxed harness.

This file is imported on both sides of the process boundary, so it uses only the
standard library and numpy. Everything that crosses is JSON in length-prefixed
frames; numbers travel as raw little-endian float64/int64 bytes (base64) so that
NaN, infinities and every bit of a float survive. Nothing is ever pickled.
"""

from __future__ import annotations

import base64
import json
import socket
import struct
from typing import Any

import numpy as np

MAX_FRAME_BYTES = 16 * 1024 * 1024
MAX_ITEMS = 64
MAX_TEXT = 300
MAX_PACKED = 1_000_000  # numbers in a batch's answers sent as one array
MAX_DIMS = 8  # of an encoded array
_HEADER = struct.Struct(">I")


class WireError(Exception):
    """The peer sent something that is not a well-formed frame."""


def pack(message: dict[str, Any]) -> bytes:
    data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(data) > MAX_FRAME_BYTES:
        raise WireError(f"frame of {len(data)} bytes exceeds the limit")
    return _HEADER.pack(len(data)) + data


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.sendall(pack(message))


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    if size == 0:
        return b""
    chunks = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the channel")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def recv_payload(sock: socket.socket) -> bytes:
    """Blocking read of one frame's bytes (inside the sandbox, where blocking is fine)."""
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if size > MAX_FRAME_BYTES:
        raise WireError("frame too large")
    return _recv_exact(sock, size)


def recv(sock: socket.socket) -> dict[str, Any]:
    return parse(recv_payload(sock))


class FrameReader:
    """Reads frames with as few system calls as possible (one recv usually holds a whole frame).

    Only for a reader that owns every byte arriving on its socket: the grader. (Inside the
    sandbox the channel is shared between a session and the process it was forked from.)"""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()
        self._scratch = bytearray(1 << 16)
        self._view = memoryview(self._scratch)

    def fill(self) -> None:
        count = self.sock.recv_into(self._scratch)  # no fresh allocation per read
        if not count:
            raise EOFError("peer closed the channel")
        self.buffer += self._view[:count]

    def take(self) -> bytes | None:
        """The next complete frame's payload, if the buffer holds one."""
        if len(self.buffer) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(self.buffer)
        if size > MAX_FRAME_BYTES:
            raise WireError("frame too large")
        end = _HEADER.size + size
        if len(self.buffer) < end:
            return None
        payload = bytes(self.buffer[_HEADER.size:end])
        del self.buffer[:end]
        return payload

    def recv(self) -> dict[str, Any]:
        while True:
            payload = self.take()
            if payload is not None:
                return parse(payload)
            self.fill()


def parse(payload: bytes) -> dict[str, Any]:
    try:
        message = json.loads(payload.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise WireError(f"malformed frame: {error.__class__.__name__}") from None
    if not isinstance(message, dict):
        raise WireError("frame is not an object")
    return message


# ---------------------------------------------------------------- values


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def encode_array(array: np.ndarray) -> dict[str, Any]:
    """Encode a real numeric array as raw bytes; ints stay ints (X is int64 in the document)."""
    if array.dtype.kind in "iub":
        raw = array.astype("<i8")
        dtype = "int64"
    else:
        raw = array.astype("<f8")
        dtype = "float64"
    return {"t": "array", "dtype": dtype, "shape": list(array.shape), "b64": _b64(raw)}


def decode_array(message: Any) -> np.ndarray:
    """Strictly decode an encoded array; anything malformed raises WireError."""
    if not isinstance(message, dict) or message.get("t") != "array":
        raise WireError("not an encoded array")
    dtype = {"int64": "<i8", "float64": "<f8"}.get(message.get("dtype"))  # type: ignore[arg-type]
    shape = message.get("shape")
    if dtype is None or not isinstance(shape, list) or len(shape) > MAX_DIMS:
        raise WireError("bad array header")
    if not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape):
        raise WireError("bad array shape")
    try:
        raw = base64.b64decode(message.get("b64", ""), validate=True)
    except (ValueError, TypeError):
        raise WireError("bad array payload") from None
    count = 1
    for n in shape:
        count *= n
    if len(raw) != count * 8:
        raise WireError("array payload does not match its shape")
    try:
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    except (ValueError, MemoryError):  # an empty array of absurd dimensions, say
        raise WireError("bad array shape") from None


def encode_result(value: Any, depth: int = 0) -> dict[str, Any]:
    """Describe whatever a student's function returned as plain data.

    Runs inside the sandbox on hostile objects: every conversion is guarded and
    anything unusual degrades to a short textual description.
    """
    try:
        return _encode_result(value, depth)
    except BaseException as error:  # a lying __float__/__array__/__len__ ends here
        return {"t": "other", "type": _type_name(value), "text": f"<unreadable: {_type_name(error)}>"}


def _type_name(value: Any) -> str:
    try:
        return str(type(value).__name__)[:MAX_TEXT]
    except BaseException:
        return "?"


_PLAIN_FLOATS = (float, np.float64)
_INF = float("inf")
_DTYPE_NAMES: dict[Any, str] = {}


def _dtype_name(dtype: Any) -> str:
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)[:40]
    return name


def _encode_result(value: Any, depth: int) -> dict[str, Any]:
    type_name = _type_name(value)
    if value is None:
        return {"t": "none", "type": "NoneType"}
    if isinstance(value, (bool, np.bool_)):
        return {"t": "bool", "type": type_name, "v": bool(value)}
    if type(value) in _PLAIN_FLOATS and value == value and abs(value) != _INF:
        return {"t": "number", "type": type_name, "dtype": "float64", "f": float(value)}
    if isinstance(value, (int, float, np.integer, np.floating)):
        if isinstance(value, float) and type(value) is not float:
            value = float.__float__(value)  # what the object holds, not what an override of __float__ says
        elif isinstance(value, int) and type(value) is not int:
            value = int.__index__(value)
        scalar = np.asarray(value)
        kind = "int64" if scalar.dtype.kind in "iu" else "float64"
        try:
            raw = scalar.astype("<i8" if kind == "int64" else "<f8")
        except OverflowError:
            raw, kind = scalar.astype("<f8"), "float64"
        return {"t": "number", "type": type_name, "dtype": str(scalar.dtype)[:40],
                "b64": _b64(raw.reshape(1)), "raw": kind}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iuf" and value.size <= 1_000_000:
            encoded = encode_array(np.asarray(value))
            encoded.update(type=type_name, orig_dtype=_dtype_name(value.dtype))
            return encoded
        return {"t": "other", "type": type_name,
                "text": f"array of dtype {str(value.dtype)[:40]} and shape {tuple(value.shape)}"[:MAX_TEXT]}
    if isinstance(value, (list, tuple)) and depth < 3:
        items = list(value)
        if len(items) <= MAX_ITEMS:
            return {"t": "seq", "type": type_name,
                    "items": [encode_result(item, depth + 1) for item in items]}
        return {"t": "other", "type": type_name, "text": f"{type_name} of {len(items)} items"}
    try:
        text = repr(value)
    except BaseException:
        text = "<unprintable>"
    return {"t": "other", "type": type_name, "text": text[:MAX_TEXT]}


def decode_number(message: dict[str, Any]) -> float | int:
    if "f" in message:  # a finite float sent as a JSON number (exact: JSON keeps repr's 17 digits)
        number = message["f"]
        if type(number) not in (int, float) or type(number) is int and abs(number) >= 2**63:
            raise WireError("bad number")
        return float(number)
    try:
        raw = base64.b64decode(message.get("b64", ""), validate=True)
    except (ValueError, TypeError):
        raise WireError("bad number payload") from None
    if len(raw) != 8:
        raise WireError("bad number payload")
    dtype = "<i8" if message.get("raw") == "int64" else "<f8"
    value = np.frombuffer(raw, dtype=dtype)[0]
    return int(value) if dtype == "<i8" else float(value)
