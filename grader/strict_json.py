"""JSON as RFC 8259 defines it, for every file and line the grader writes.

Python's json writes NaN and Infinity bare by default, which JavaScript's and Go's parsers
reject: an LMS script in another language could not read a report. Here a non-finite number
becomes null, and where it sits under a key, its value is written beside it as text
(`"got": null, "got_text": "nan"`; a row of numbers holding one is written beside it as a row
of texts), so that nothing is lost. A lone surrogate (which no UTF-8
encoder takes) becomes U+FFFD, so that the text can always be written.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

TEXT_SUFFIX = "_text"
_SURROGATE = re.compile("[\ud800-\udfff]")


def _number_text(number: float) -> str:
    return "nan" if math.isnan(number) else "inf" if number > 0 else "-inf"


def _non_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _text(value: Any) -> Any:
    return _number_text(value) if _non_finite(value) else repr(value) if isinstance(value, float) else strict(value)


def strict(value: Any) -> Any:
    """A copy of plain JSON data with no non-finite number and no lone surrogate."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = strict(str(key))
            out[name] = strict(item)
            if isinstance(item, float) and not math.isfinite(item):
                out.setdefault(name + TEXT_SUFFIX, _number_text(item))
            elif isinstance(item, (list, tuple)) and any(_non_finite(x) for x in item):
                out.setdefault(name + TEXT_SUFFIX, [_text(x) for x in item])  # a row of numbers, each as text
        return out
    if isinstance(value, (list, tuple)):
        return [strict(item) for item in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """json.dumps of strict(value): always valid RFC 8259 JSON, always encodable as UTF-8."""
    return json.dumps(strict(value), allow_nan=False, **options)
