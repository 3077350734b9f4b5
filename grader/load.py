"""A path -> a Submission (its code as units: the file, or one unit per notebook cell).

Loading never executes anything. Bad input raises SubmissionError with a message
that names the file and, where there is one, the cell and line.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import json
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import SubmissionError

MAX_BYTES = 2 * 1024 * 1024
KINDS = {".py": "python", ".ipynb": "notebook"}


@dataclass(frozen=True)
class Unit:
    """A piece of code compiled on its own: the whole .py file, or one notebook cell."""

    label: str
    source: str

    def for_sandbox(self) -> dict[str, str]:
        return {"label": self.label, "source": self.source}


@dataclass(frozen=True)
class Submission:
    path: Path
    kind: str
    units: tuple[Unit, ...]
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.path.name


def load_submission(path: Path) -> Submission:
    path = Path(path)
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise SubmissionError(f"{path.name}: not a .py or .ipynb file (extension '{path.suffix or 'none'}')")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SubmissionError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise SubmissionError(f"{path}: is a folder, not a file") from None
    except OSError as error:
        raise SubmissionError(f"{path}: cannot be read ({error.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise SubmissionError(f"{path.name}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        raise SubmissionError(f"{path.name}: binary data (a NUL byte at offset {offset}), not source code")
    if kind == "python":
        return _load_python(path, _decode_source(path, raw))
    return _load_notebook(path, _decode(path, raw, "utf-8-sig"))


def _decode_source(path: Path, raw: bytes) -> str:
    """Python's own rules: a UTF-8 BOM, or a PEP 263 coding line (a Korean Windows editor saves cp949
    with `# -*- coding: cp949 -*-`), else UTF-8. The text keeps its coding line: compiling a str ignores it."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as error:  # an unknown codec, or a BOM with another coding line
        line = f", line {error.lineno}" if error.lineno else ""
        raise SubmissionError(f"{path.name}{line}: {error.msg}") from None
    return _decode(path, raw, encoding)


def _decode(path: Path, raw: bytes, encoding: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        byte = raw[error.start]
        name = "UTF-8" if encoding.startswith("utf-8") else encoding
        raise SubmissionError(f"{path.name}, line {line}: not valid {name} text (byte 0x{byte:02x})") from None


def _syntax_message(label: str, error: SyntaxError) -> str:
    where = f"{label}, line {error.lineno}" if error.lineno else label
    detail = f"{error.msg}"
    if error.text:
        detail += f": {error.text.strip()[:120]}"
    return f"{where}: SyntaxError: {detail}"


def _load_python(path: Path, text: str) -> Submission:
    if not text.strip():
        raise SubmissionError(f"{path.name}: the file is empty")
    try:
        ast.parse(text, filename=path.name)
    except SyntaxError as error:
        raise SubmissionError(_syntax_message(path.name, error)) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise SubmissionError(f"{path.name}: cannot be parsed ({type(error).__name__})") from None
    return Submission(path, "python", (Unit(path.name, text),))


def _cell_source(cell: dict[str, object]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(str(s) for s in source)
    return str(source)


def _load_notebook(path: Path, text: str) -> Submission:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(f"{path.name}, line {error.lineno}: not valid notebook JSON ({error.msg})") from None
    except RecursionError:
        raise SubmissionError(f"{path.name}: not valid notebook JSON (nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        major = data.get("nbformat") if isinstance(data, dict) else None
        if major in (1, 2, 3):
            return _load_old_notebook(path, text)
        raise SubmissionError(f"{path.name}: not a Jupyter notebook (no 'cells' list)")
    if data.get("nbformat") != 4:
        raise SubmissionError(f"{path.name}: notebook format {data.get('nbformat')!r} is not supported (expected 4)")
    units: list[Unit] = []
    notes: list[str] = []
    code_cells = 0
    for index, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict):
            raise SubmissionError(f"{path.name}, cell {index}: not a notebook cell")
        if cell.get("cell_type") != "code":
            continue
        code_cells += 1
        label = f"{path.name} [cell {index}]"
        source = _neutralise(_cell_source(cell))
        try:
            ast.parse(source, filename=label)
        except SyntaxError as error:
            notes.append(_syntax_message(label, error) + " (this cell was not run)")
            continue
        except (ValueError, RecursionError, MemoryError) as error:
            notes.append(f"{label}: cannot be parsed ({type(error).__name__}); this cell was not run")
            continue
        units.append(Unit(label, source))
    if code_cells == 0:
        raise SubmissionError(f"{path.name}: the notebook has no code cells")
    if not units:
        raise SubmissionError(f"{path.name}: no code cell could be parsed; " + notes[0])
    return Submission(path, "notebook", tuple(units), tuple(notes))


def _load_old_notebook(path: Path, text: str) -> Submission:
    """nbformat 3 and older: upgraded by nbformat itself, then read like version 4."""
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises many kinds for bad files
        raise SubmissionError(f"{path.name}: cannot be upgraded to notebook format 4 ({error})") from None
    return _load_notebook(path, json.dumps(notebook))


def _neutralise(source: str) -> str:
    """IPython magics and !shell lines become calls on a do-nothing get_ipython().

    Valid Python is left untouched; only a cell that does not parse goes through
    IPython's own input transformer (which understands strings and line continuations).
    """
    try:
        ast.parse(source)
        return source
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    try:
        transformed: str = _transformer().transform_cell(source)
        return transformed
    except Exception:  # an unfinished cell: the caller reports its SyntaxError
        return source


_TRANSFORMER: Any = None


def _transformer() -> Any:
    """IPython's TransformerManager, without paying for the whole of IPython (~0.5 s) when we can.

    inputtransformer2 needs only the standard library, so its file is loaded on its own unless
    IPython is already imported (inside Jupyter) or its layout differs, when the normal import is used.
    """
    global _TRANSFORMER
    if _TRANSFORMER is None:
        module: Any = None
        if "IPython" not in sys.modules:
            package = importlib.util.find_spec("IPython")
            locations = list(package.submodule_search_locations or []) if package else []
            path = Path(locations[0]) / "core" / "inputtransformer2.py" if locations else None
            if path is not None and path.is_file():
                spec = importlib.util.spec_from_file_location("_grader_inputtransformer2", path)
                if spec is not None and spec.loader is not None:
                    module = importlib.util.module_from_spec(spec)
                    try:
                        spec.loader.exec_module(module)
                    except ImportError:
                        module = None
        if module is None:
            from IPython.core import inputtransformer2 as module
        _TRANSFORMER = module.TransformerManager()
    return _TRANSFORMER
