"""The small expressions an author writes in a spec (`"w0 + w1 * X"`, `"document_losses"`).

They are the instructor's own data, evaluated in the grader's process with numpy as `np`, the
spec's `[data]` and, where a check says so, the arguments of one call. This is not a sandbox (the
spec is trusted); the narrow set of builtins only keeps expressions what they are meant to be.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

import numpy as np

from grader.spec.reader import Where

_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "len", "list", "max", "min", "range",
    "reversed", "round", "sorted", "sum", "tuple", "zip", "True", "False", "None")}


_COMPILED: dict[str, Any] = {}


def compile_expression(text: str, where: Where) -> Any:
    """Compiled once per text (a spec's few expressions are evaluated on every grading); a syntax
    error is the author's, reported at the key that holds it."""
    code = _COMPILED.get(text)
    if code is None:
        try:
            code = compile(text, "<spec>", "eval")
        except SyntaxError as error:
            raise where.error(f"'{text}' is not a valid expression ({error.msg})") from None
        if len(_COMPILED) >= 4096:  # specs hold dozens; a long-lived worker must not grow without end
            _COMPILED.clear()
        _COMPILED[text] = code
    return code


def evaluate(text: str, scope: Mapping[str, Any], where: Where) -> Any:
    """The value of an expression over `scope` (and np); any failure names the key and the expression."""
    code = compile_expression(text, where)
    try:
        with np.errstate(all="ignore"):
            # one namespace, so that a comprehension sees the names too
            return eval(code, {**scope, "__builtins__": _BUILTINS, "np": np})  # noqa: S307 - the author's data
    except Exception as error:
        raise where.error(f"cannot evaluate '{text}': {type(error).__name__}: {error}") from None


def literal(value: Any) -> Any:
    """A TOML value as the grader uses it: a (nested) list of numbers becomes a numpy array."""
    if isinstance(value, list):
        try:
            array = np.array(value)
        except ValueError:
            return [literal(item) for item in value]
        if array.dtype.kind in "iuf" and array.size:
            return array
        return [literal(item) for item in value]
    return value


def resolve(value: Any, scope: Mapping[str, Any], where: Where) -> Any:
    """A spec value that may be an expression (a string) or a literal."""
    if isinstance(value, str):
        return evaluate(value, scope, where)
    return literal(value)
