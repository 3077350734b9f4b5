"""Which exercise a command is about: named with --assignment, else found from the folders upward.

An exercise is a folder holding its `spec.toml`. Without `--assignment` (or `$GRADER_SPEC`), the
search starts in the submission's folder, then in the current folder, and climbs toward the root,
as pytest finds its rootdir. In each folder it climbs through, the first of these that applies wins:

1. the folder holds `spec.toml`: it is the exercise (a student's bundle, an exercise's own folder);
2. the folder holds exercises in `assignments/*/spec.toml`: the one whose stub has the submission's
   name (`hw2.ipynb` -> the exercise whose stub is `hw2.py`), else the one named by
   `[tool.grader] assignment = "..."` in the folder's `pyproject.toml`, else the only one;
3. otherwise climb on.

Finding none, or several with nothing to choose between them, is a one-line error that lists what
was found and says how to name one.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.errors import UsageError

SPEC_NAME = "spec.toml"
HOW_TO_NAME = "name it with --assignment PATH (the exercise's folder, or its spec.toml)"


def named_spec(given: Path) -> Path:
    """The spec file of an exercise named on the command line: its folder or its spec.toml."""
    path = given / SPEC_NAME if given.is_dir() else given
    if not path.is_file():
        where = "no such folder or file" if not given.exists() else f"no {SPEC_NAME} there"
        raise UsageError(f"{given}: {where}; {HOW_TO_NAME}")
    return path


def find_spec(given: Path | None = None, *, near: Sequence[Path] = (), stem: str | None = None) -> Path:
    """The spec of the exercise: `given`, else `$GRADER_SPEC`, else the one found upward from the
    folders `near` (the submission's) and then from the current folder. `stem` is the submission's
    name without its suffix, to choose among several exercises by their stubs."""
    if given is not None:
        return named_spec(given)
    environment = os.environ.get("GRADER_SPEC")
    if environment:
        return named_spec(Path(environment))
    starts = list(dict.fromkeys([*(folder.resolve() for folder in near), Path.cwd().resolve()]))
    for folder in starts:
        found = _climb(folder, stem)
        if found is not None:
            return found
    searched = " and ".join(str(s) for s in starts)
    raise UsageError(f"no exercise ({SPEC_NAME}) found in {searched} or any folder above; {HOW_TO_NAME}")


def _climb(folder: Path, stem: str | None) -> Path | None:
    for current in (folder, *folder.parents):
        if (current / SPEC_NAME).is_file():
            return current / SPEC_NAME
        candidates = sorted((current / "assignments").glob(f"*/{SPEC_NAME}"))
        if candidates:
            return _choose(current, candidates, stem)
    return None


def _choose(root: Path, candidates: list[Path], stem: str | None) -> Path:
    if len(candidates) == 1:
        return candidates[0]
    if stem is not None:
        by_stub = [spec for spec in candidates if _stub_stem(spec) == stem]
        if len(by_stub) == 1:
            return by_stub[0]
    default = _configured(root)
    if default is not None:
        return default
    names = ", ".join(str(spec.parent) for spec in candidates)
    raise UsageError(f"several exercises found ({names}); {HOW_TO_NAME}")


def _stub_stem(spec: Path) -> str:
    """The stem of the exercise's stub (`stub = "hw2.py"` -> "hw2"), else the folder's name."""
    stub = _table(spec).get("assignment", {}).get("stub")
    return Path(stub).stem if isinstance(stub, str) else spec.parent.name


def _configured(root: Path) -> Path | None:
    """`[tool.grader] assignment` in the folder's pyproject.toml, as a spec path."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return None
    named = _table(pyproject).get("tool", {}).get("grader", {}).get("assignment")
    if not isinstance(named, str):
        return None
    try:
        return named_spec(root / named)
    except UsageError as problem:
        raise UsageError(f"{pyproject}, [tool.grader] assignment: {problem.message}") from None


def _table(path: Path) -> dict[str, Any]:
    """A TOML file's table, or {} when it cannot be read: a broken spec is reported when it is loaded."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}

