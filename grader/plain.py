"""Values as plain JSON, exactly: what `grade build` stores (drawn inputs, the reference's answers).

Every float keeps every bit (finite ones as JSON numbers, which Python writes and reads exactly;
NaN and the infinities tagged), arrays keep their dtype and shape (raw little-endian bytes in
base64), and tuples stay tuples. Decoding is strict: a damaged build is an error, never a value.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from grader.errors import SpecError

_SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_DTYPES = {"<f8", "<f4", "<i8", "<i4", "|b1", "<u8"}


def encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isfinite(number):
            return number
        return {"float": "nan" if math.isnan(number) else "inf" if number > 0 else "-inf"}
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.ndarray):
        array = np.array(value, order="C")  # (not ascontiguousarray: it makes a 0-d array 1-d)
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        if dtype.str not in _DTYPES:
            array = array.astype(np.float64)
            dtype = array.dtype
        return {"array": dtype.str, "shape": list(array.shape),
                "b64": base64.b64encode(array.astype(dtype).tobytes()).decode("ascii")}
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        if len(value) > 1 and all(type(v) is np.ndarray and v.dtype == value[0].dtype and v.shape == value[0].shape
                                  for v in value):
            return {"arrays": encode(np.stack(value))}  # many answers of one shape: one array
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {"dict": {str(k): encode(v) for k, v in value.items()}}
    raise TypeError(f"cannot store a {type(value).__name__}")


def decode(data: Any) -> Any:
    try:
        return _decode(data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SpecError(f"a build file holds a value it cannot read ({type(error).__name__}: {error}); "
                        "run grade build again") from None


def _decode(data: Any) -> Any:
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [_decode(item) for item in data]
    if not isinstance(data, dict):
        raise TypeError(type(data).__name__)
    if "array" in data:
        dtype = data["array"]
        if dtype not in _DTYPES:
            raise ValueError(f"dtype {dtype}")
        raw = base64.b64decode(data["b64"], validate=True)
        return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape([int(n) for n in data["shape"]]).copy()
    if "float" in data:
        return _SPECIAL[data["float"]]
    if "tuple" in data:
        return tuple(_decode(item) for item in data["tuple"])
    if "arrays" in data:
        stacked = _decode(data["arrays"])
        return [stacked[i, ...].copy() for i in range(len(stacked))]  # (a[i, ...] of a 1-d array is 0-d)
    if "dict" in data:
        return {str(k): _decode(v) for k, v in data["dict"].items()}
    raise ValueError("unknown tag")


def numbers(value: Any) -> np.ndarray | None:
    """Every number of an answer (a number, an array, a tuple or list of them), flattened as float64;
    None when it holds anything else."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return np.array([float(value)], dtype=np.float64)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            return None
        return value.astype(np.float64).ravel()
    if isinstance(value, (tuple, list)):
        parts = [numbers(item) for item in value]
        if any(part is None for part in parts):
            return None
        return np.concatenate([p for p in parts if p is not None]) if parts else np.zeros(0)
    return None


def normalize(value: Any) -> Any:
    """The reference's answer as plain data: numpy scalars as floats, arrays as float64 (int answers
    stay exact as float64 up to 2**53), tuples and lists kept; None when it is not numeric."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "iuf":
            return None
        return float(value) if value.ndim == 0 else value.astype(np.float64)
    if isinstance(value, (tuple, list)):
        items = [normalize(item) for item in value]
        if any(item is None for item in items):
            return None
        return tuple(items) if isinstance(value, tuple) else list(items)
    return None
