"""Is one reply the expected answer? Shape-, type- and NaN-aware, in words a student can act on.

`returns = "like"` (the default) asks for an answer laid out like the reference's: one number
(a float, a numpy scalar or a one-element array), an array of the reference's shape, or a tuple
or list of those. `returns = "numbers"` only asks for the same numbers in any container (a list,
a tuple or an array of two numbers for a gradient, say). Numbers are compared with
|got - expected| <= rtol * (|expected| + scale) + atol.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.messages import t
from grader.plain import numbers
from grader.sandbox.client import Reply
from grader.spec.expressions import evaluate
from grader.spec.kinds import Tolerance
from grader.spec.reader import Where
from grader.values import Value, close, format_array, format_number, numbers_of


@dataclass(frozen=True)
class Problem:
    """Why one reply is wrong, in words a student can act on."""

    text: str


def describe_reply(reply: Reply) -> str | None:
    """The problem with a reply that did not return at all (raised / missing), else None."""
    if reply.kind == "raised" and reply.error is not None:
        return t("reply.raised", error=reply.error.render())
    if reply.kind == "missing":
        return t("reply.missing")
    return None


def reply_numbers(reply: Reply) -> np.ndarray | None:
    """Every number a reply returned, flattened (None when it raised or returned something else)."""
    if reply.kind != "returned" or reply.value is None:
        return None
    found = numbers_of(reply.value)
    return None if found is None else np.asarray(found, dtype=np.float64).ravel()


def render_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        body = np.array2string(value, separator=", ", precision=6, threshold=12, max_line_width=200)
        return body.replace("\n", "")
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, tuple):
        return "(" + ", ".join(render_value(item) for item in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(render_value(item) for item in value) + "]"
    return repr(value)


def render_call(function: str, names: Sequence[str], args: Sequence[Any]) -> str:
    rendered = ", ".join(f"{name}={render_value(arg)}" for name, arg in zip(names, args, strict=False))
    return f"{function}({rendered})"


def scale_of(tolerance: Tolerance, names: Sequence[str], args: Sequence[Any], data: Mapping[str, Any],
             where: Where) -> Any:
    """The magnitude of the terms summed, from the spec's `scale` expression over this call's arguments."""
    if tolerance.scale is None:
        return 0.0
    scope = {**data, **dict(zip(names, args, strict=False))}
    value = evaluate(tolerance.scale, scope, where)
    found = numbers(value)
    return 0.0 if found is None else (found if found.size > 1 else float(found[0]))


# ------------------------------------------------------------------ laying the answer out


def value_problem(value: Value | None, expected: Any) -> str:
    """Why a returned value is not laid out like `expected`, in the current language."""
    if value is None:
        return t("value.not_a_number")
    if value.kind == "none":
        return t("value.none_number" if _is_number(expected) else "value.none_array")
    if _is_number(expected):
        if value.kind == "array":
            return t("value.array_not_number", shape=value.shape)
        if value.kind == "seq":
            return t("value.seq_not_number", type=value.type_name, count=len(value.items))
        return t("value.other_not_number", value=value.describe())
    size = numbers(expected)
    count = 0 if size is None else size.size
    found = numbers_of(value)
    if found is None:
        return t("value.not_numbers", value=value.describe(), size=count)
    return t("value.wrong_count", count=found.size, size=count)


def _is_number(expected: Any) -> bool:
    return isinstance(expected, float)


def _laid_out(value: Value, expected: Any) -> tuple[np.ndarray | None, str | None]:
    """The student's numbers in the layout of `expected` (flattened), or why they are not."""
    if _is_number(expected):
        if value.kind == "number" or (value.kind == "array" and value.data is not None and value.data.size == 1):
            assert value.data is not None
            return value.data[:1], None
        return None, value_problem(value, expected)
    if isinstance(expected, np.ndarray):
        if value.kind == "array" and value.shape == expected.shape:
            assert value.data is not None
            return value.data, None
        if value.kind == "array":
            return None, t("value.wrong_shape", shape=value.shape, expected=expected.shape)
        if value.kind == "number" and expected.size == 1:
            assert value.data is not None
            return value.data, None
        found = numbers_of(value)
        if value.kind == "seq" and found is not None and found.size == expected.size and expected.ndim <= 1:
            return found, None
        return None, value_problem(value, expected)
    if isinstance(expected, (tuple, list)):
        if value.kind != "seq":
            return None, t("value.not_a_tuple", value=value.describe(), count=len(expected))
        if len(value.items) != len(expected):
            return None, t("value.tuple_length", count=len(value.items), expected=len(expected))
        parts = []
        for index, (item, wanted) in enumerate(zip(value.items, expected, strict=True)):
            found, problem = _laid_out(item, wanted)
            if problem is not None:
                return None, t("value.item", index=index + 1, problem=problem)
            assert found is not None
            parts.append(found)
        return (np.concatenate(parts) if parts else np.zeros(0)), None
    return None, value_problem(value, expected)


def student_numbers(reply: Reply, expected: Any, returns: str) -> tuple[np.ndarray | None, str | None]:
    """The reply's numbers, flattened in the expected layout, or the problem that stops judging it."""
    problem = describe_reply(reply)
    if problem is not None:
        return None, problem
    if reply.value is None:
        return None, t("value.not_a_number")
    if returns == "numbers":
        wanted = numbers(expected)
        found = numbers_of(reply.value)
        if reply.value.kind == "none" or found is None or wanted is None or found.size != wanted.size:
            return None, value_problem(reply.value, expected)
        return found, None
    return _laid_out(reply.value, expected)


def judge(reply: Reply, expected: Any, returns: str, tolerance: Tolerance, scale: Any = 0.0,
          wanted: np.ndarray | None = None) -> Problem | None:
    """None when the reply is the expected answer within the tolerance; else what is wrong.
    (`wanted`: the expected answer's numbers, when the caller has them already.)"""
    got, problem = student_numbers(reply, expected, returns)
    if problem is not None:
        return Problem(problem)
    assert got is not None
    wanted = numbers(expected) if wanted is None else wanted
    assert wanted is not None, "expected answers are numeric (checked by grade build)"
    if got.shape == wanted.shape and close(got, wanted, tolerance.rtol, scale, tolerance.atol):
        return None
    text = t("value.returned_expected", got=_shown(got, expected), expected=_shown(wanted, expected))
    notes = [note for note in (special_problem(got, wanted), _float32_note(reply, got, wanted)) if note]
    return Problem(f"{text} ({'; '.join(notes)})" if notes else text)


def _shown(flat: np.ndarray, expected: Any) -> str:
    """Numbers laid out like the expected answer: a number, an array, or a tuple of them."""
    if isinstance(expected, (tuple, list)):
        items, start = [], 0
        for item in expected:
            size = 1 if _is_number(item) else int(np.size(item))
            items.append(_shown(flat[start:start + size], item))
            start += size
        return ("(" if isinstance(expected, tuple) else "[") + ", ".join(items) + (
            ")" if isinstance(expected, tuple) else "]")
    return format_number(flat[0]) if _is_number(expected) and flat.size == 1 else format_array(flat)


def special_problem(got: np.ndarray, expected: np.ndarray) -> str | None:
    """NaN or infinity where the expected answer is finite, in the current language."""
    if np.isnan(got).any() and not np.isnan(expected).any():
        return t("value.nan")
    if np.isinf(got).any() and not np.isinf(expected).any():
        return t("value.inf")
    return None


def _float32_note(reply: Reply, got: np.ndarray, wanted: np.ndarray) -> str | None:
    """A float32 answer that is right to float32's precision: say so, not just 'wrong'."""
    value = reply.value
    dtypes = [value.dtype] if value is not None and value.kind in ("array", "number") else [
        item.dtype for item in (value.items if value is not None else ())]
    if "float32" not in [str(d) for d in dtypes]:
        return None
    if got.shape == wanted.shape and close(got, wanted, 1e-5, 0.0, 1e-30):
        return t("value.float32")
    return None
