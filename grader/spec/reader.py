"""Reading a spec's TOML tables strictly: every key is checked, and every problem names the place.

A `Table` hands out the keys a reader asks for, each converted to the type it needs; `done()`
then refuses whatever is left (a misspelt key is an error with a suggestion, never silently
ignored). Errors carry the file, the line where the key (or its table) is written, and the path
of keys, so that an author sees `spec.toml, line 23: parts[2] (bce_loss) checks[1]: rtol must be a
number, not a string`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from grader.errors import SpecError

T = TypeVar("T")
_MISSING: Any = object()

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


@dataclass(frozen=True)
class Source:
    """The spec file and its text, to find the line of a key."""

    path: Path
    text: str

    def line_of(self, keys: tuple[str | int, ...]) -> int | None:
        """The line where a key path is written (best effort: headers, dotted keys, inline tables)."""
        lines = self.text.splitlines()
        start, end, header = 0, len(lines), ""
        depth = 0
        # walk the array-of-table and table headers for the leading part of the path
        while depth < len(keys):
            key = keys[depth]
            if depth + 1 < len(keys) and isinstance(keys[depth + 1], int):
                name = f"{header}.{key}" if header else str(key)
                found = self._nth_header(lines, start, end, name, int(keys[depth + 1]), array=True)
                if found is None:
                    break
                start, end = found
                header, depth = name, depth + 2
                continue
            name = f"{header}.{key}" if header else str(key)
            found = self._nth_header(lines, start, end, name, 0, array=False)
            if found is None:
                break
            start, end = found
            header, depth = name, depth + 1
        rest = [str(k) for k in keys[depth:] if not isinstance(k, int)]
        if not rest:
            return start if start else None
        for length in range(len(rest), 0, -1):  # the longest dotted key written: args.b.float, args.b, args
            dotted = r"\s*\.\s*".join(re.escape(k) for k in rest[:length])
            for index in range(start, end):
                if re.match(rf"^{dotted}\s*(=|\.)", lines[index].strip()):
                    return index + 1
        return start if start else None

    @staticmethod
    def _nth_header(lines: list[str], start: int, end: int, name: str, nth: int,
                    array: bool) -> tuple[int, int] | None:
        """The 1-based line of the nth `[[name]]` (or `[name]`) header between start and end, and the
        index where its table ends (the next header of the same or a higher level)."""
        seen = -1
        for index in range(start, end):
            match = _HEADER.match(lines[index])
            if not match or match.group(2).replace(" ", "") != name:
                continue
            if (match.group(1) == "[[") != array:
                continue
            seen += 1
            if seen == nth:
                stop = end
                for later in range(index + 1, end):
                    other = _HEADER.match(lines[later])
                    if other and not other.group(2).replace(" ", "").startswith(name + "."):
                        stop = later
                        break
                return index + 1, stop
        return None


@dataclass(frozen=True)
class Where:
    """A place in a spec: the file, the path of keys to it, and a label per array item."""

    source: Source
    keys: tuple[str | int, ...] = ()
    labels: tuple[tuple[int, str], ...] = ()  # (position in keys, label), e.g. a part's name

    def key(self, key: str | int, label: str | None = None) -> Where:
        labels = self.labels + (((len(self.keys), label),) if label else ())
        return Where(self.source, self.keys + (key,), labels)

    def path_text(self) -> str:
        out = ""
        names = dict(self.labels)
        for position, key in enumerate(self.keys):
            if isinstance(key, int):
                out += f"[{key + 1}]"
                if position in names:
                    out += f" ({names[position]})"
            else:
                out += ("." if out and not out.endswith(")") else " " if out else "") + key
        return out.strip()

    def error(self, message: str) -> SpecError:
        line = self.source.line_of(self.keys)
        place = f"{self.source.path}, line {line}" if line else str(self.source.path)
        path = self.path_text()
        return SpecError(f"{place}: {path}: {message}" if path else f"{place}: {message}")


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


class Table:
    """One TOML table being read; `done()` refuses the keys nobody asked for."""

    def __init__(self, data: Any, where: Where) -> None:
        if not isinstance(data, dict):
            raise where.error(f"must be a table, not {type_name(data)}")
        self.data = data
        self.where = where
        self._taken: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def keys(self) -> Iterator[str]:
        return iter(self.data)

    def at(self, key: str) -> Where:
        return self.where.key(key)

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self._taken.add(key)
        if key not in self.data:
            if default is _MISSING:
                close = difflib.get_close_matches(key, [k for k in self.data if k not in self._taken], n=1)
                hint = f" (is '{close[0]}' it, misspelt?)" if close else ""
                raise self.where.error(f"the key '{key}' is missing{hint}")
            return default
        return self.data[key]

    def get(self, key: str, convert: Callable[[Any, Where], T], default: Any = _MISSING) -> T:
        if key not in self.data and default is not _MISSING:
            self._taken.add(key)
            return default  # type: ignore[no-any-return]
        return convert(self.raw(key), self.at(key))

    def table(self, key: str, default_empty: bool = True) -> Table:
        if key not in self.data and default_empty:
            self._taken.add(key)
            return Table({}, self.at(key))
        return Table(self.raw(key), self.at(key))

    def tables(self, key: str, label: str | None = "name") -> list[Table]:
        """An array of tables, each labelled in messages by its `label` key (a part's name, say)."""
        items = self.raw(key, [])
        if not isinstance(items, list):
            raise self.at(key).error(f"must be a list of tables ([[{key}]]), not {type_name(items)}")
        out = []
        for index, item in enumerate(items):
            name = item.get(label) if isinstance(item, dict) and label else None
            out.append(Table(item, self.where.key(key).key(index, str(name) if isinstance(name, str) else None)))
        return out

    def done(self) -> None:
        left = [key for key in self.data if key not in self._taken]
        if left:
            key = left[0]
            close = difflib.get_close_matches(key, sorted(self._taken), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            known = ", ".join(sorted(self._taken))
            raise self.at(key).error(f"unknown key '{key}'{hint}; known here: {known}")


# ------------------------------------------------------------------ converters


def string(value: Any, where: Where) -> str:
    if not isinstance(value, str):
        raise where.error(f"must be a string, not {type_name(value)}")
    return value


def name(value: Any, where: Where) -> str:
    text = string(value, where)
    if not text.isidentifier():
        raise where.error(f"'{text}' is not a valid Python name")
    return text


def number(value: Any, where: Where) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(f"must be a number, not {type_name(value)}")
    return float(value)


def positive(value: Any, where: Where) -> float:
    result = number(value, where)
    if not result > 0:
        raise where.error(f"must be greater than 0, not {value}")
    return result


def integer(value: Any, where: Where) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(f"must be an integer, not {type_name(value)}")
    return value


def count(value: Any, where: Where) -> int:
    result = integer(value, where)
    if result < 1:
        raise where.error(f"must be at least 1, not {value}")
    return result


def boolean(value: Any, where: Where) -> bool:
    if not isinstance(value, bool):
        raise where.error(f"must be true or false, not {type_name(value)}")
    return value


def names(value: Any, where: Where) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise where.error(f"must be a list of names, not {type_name(value)}")
    return tuple(name(item, where.key(index)) for index, item in enumerate(value))


def one_of(*choices: str) -> Callable[[Any, Where], str]:
    def convert(value: Any, where: Where) -> str:
        text = string(value, where)
        if text not in choices:
            close = difflib.get_close_matches(text, choices, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise where.error(f"'{text}' is not one of {', '.join(repr(c) for c in choices)}{hint}")
        return text

    return convert
