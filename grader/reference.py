"""The reference solution, in the grader's process only, and its mutants: the exercise's mistakes.

A mistake is a variant of one reference function: an expression of its arguments (`expr`), edits
of its source (`replace`: old text -> new text) or a whole new function (`code`). Each is built
from the reference's own module, so it calls the reference's other functions and numpy as the
reference does. None of this ever enters a student's process.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import inspect
import io
import itertools
import sys
from collections.abc import Callable
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from grader.errors import SpecError
from grader.spec import Variant

_ids = itertools.count(1)


class Reference:
    """A loaded reference module: its functions, their parameters, and mistakes built from them."""

    def __init__(self, path: Path) -> None:
        self.path = _shown(path)
        try:
            self.source = path.read_text(encoding="utf-8")
        except OSError as error:
            raise SpecError(f"{path}: the reference solution cannot be read ({error.strerror})") from None
        self.module = _load(path)
        self._tree = ast.parse(self.source)

    def has(self, name: str) -> bool:
        return callable(getattr(self.module, name, None))

    def function(self, name: str) -> Callable[..., Any]:
        found = getattr(self.module, name, None)
        if not callable(found):
            raise SpecError(f"{self.path}: the reference defines no function '{name}'")
        return found  # type: ignore[no-any-return]

    def params(self, name: str) -> tuple[str, ...]:
        """The function's parameter names, in order (plain parameters only: what stand-ins bind)."""
        signature = inspect.signature(self.function(name))
        kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.POSITIONAL_ONLY)
        odd = [p.name for p in signature.parameters.values() if p.kind not in kinds]
        if odd:
            raise SpecError(f"{self.path}: {name}() has *args, **kwargs or keyword-only parameters ({', '.join(odd)}); "
                            "a checked function takes plain parameters")
        return tuple(signature.parameters)

    def defaults(self, name: str) -> dict[str, Any]:
        signature = inspect.signature(self.function(name))
        return {p.name: p.default for p in signature.parameters.values() if p.default is not inspect.Parameter.empty}

    def namespace(self) -> dict[str, Any]:
        """A fresh copy of the module's globals: stand-ins installed in it never touch the module."""
        return dict(vars(self.module))

    def rebound(self, name: str, namespace: dict[str, Any]) -> Callable[..., Any]:
        """The reference function `name`, looking its globals up in `namespace`."""
        original = self.function(name)
        if not isinstance(original, FunctionType):
            return original
        return FunctionType(original.__code__, namespace, original.__name__, original.__defaults__,
                            original.__closure__)

    def mutant(self, name: str, variant: Variant, where: str,
               namespace: dict[str, Any] | None = None) -> Callable[..., Any]:
        """The mistake's version of function `name` (in `namespace`, a copy of the module's globals)."""
        scope = self.namespace() if namespace is None else namespace
        params = self.params(name)
        if variant.expr is not None:
            code = f"def {name}({', '.join(params)}):\n    return ({variant.expr})\n"
        elif variant.code is not None:
            code = variant.code
        else:
            code = self._edited(name, variant.replace, where)
        try:
            exec(compile(code, f"<mistake {where}>", "exec"), scope)  # noqa: S102 - the author's own code
        except Exception as error:
            raise SpecError(f"{where}: the mistake's code does not run ({type(error).__name__}: {error})") from None
        function = scope.get(name)
        if not callable(function):
            raise SpecError(f"{where}: the mistake's code defines no function '{name}'")
        return function  # type: ignore[no-any-return]

    def function_source(self, name: str) -> str:
        for node in self._tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
                lines = self.source.splitlines(keepends=True)[start:node.end_lineno]
                return "".join(lines)
        raise SpecError(f"{self.path}: no top-level 'def {name}' to edit")

    def _edited(self, name: str, pairs: tuple[tuple[str, str], ...], where: str) -> str:
        source = self.function_source(name)
        for old, new in pairs:
            found = source.count(old)
            if found != 1:
                times = "does not occur" if not found else f"occurs {found} times"
                raise SpecError(f"{where}: the text {old!r} {times} in the reference's {name}(); "
                                "each old text must occur exactly once")
            source = source.replace(old, new)
        return source


def _shown(path: Path) -> Path:
    """The reference's path as messages show it: relative to the current folder when below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _load(path: Path) -> ModuleType:
    if not path.is_file():
        raise SpecError(f"{path}: the reference solution is missing")
    module_name = f"_reference_{next(_ids)}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise SpecError(f"{path}: cannot load the reference solution")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module  # inspect and dataclasses look a module up by its name
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            module_spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise SpecError(f"{path}: the reference solution does not load ({type(error).__name__}: {error})") from None
    return module
