"""A path -> a Submission (its code as units: the file, or one unit per notebook cell).

Loading never executes anything. Bad input raises SubmissionError with a message
that names the file and, where there is one, the cell and line.
"""

from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

from grader.errors import SubmissionError
from grader.sandbox.boundary import clean_text

MAX_BYTES = 2 * 1024 * 1024
TRANSFORM_SECONDS = 10.0  # IPython's transformation of a notebook's cells, all of them (see load_submission)
TRANSFORM_MEMORY_MB = 512
_SURROGATE = re.compile("[\ud800-\udfff]")
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


def load_submission(path: Path, transform_seconds: float = TRANSFORM_SECONDS) -> Submission:
    """`transform_seconds`: the most a notebook's IPython syntax (magics, !commands) may cost to
    transform, in a child process; cells not done by then are not run (a note says so)."""
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
    return _load_notebook(path, _decode(path, raw, "utf-8-sig"), transform_seconds)


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
    return clean_text(f"{where}: SyntaxError: {detail}")  # the student's line, quoted: no terminal escapes


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
    """A cell's code as valid Unicode: a notebook's JSON may hold a lone surrogate (a "\\ud800"
    escape), which no report could encode; it becomes U+FFFD, as on the reply channel."""
    source = cell.get("source", "")
    text = "".join(str(s) for s in source) if isinstance(source, list) else str(source)
    return _SURROGATE.sub("\ufffd", text)


def _load_notebook(path: Path, text: str, transform_seconds: float = TRANSFORM_SECONDS) -> Submission:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(f"{path.name}, line {error.lineno}: not valid notebook JSON ({error.msg})") from None
    except RecursionError:
        raise SubmissionError(f"{path.name}: not valid notebook JSON (nested too deeply)") from None
    except ValueError as error:  # an integer of more digits than Python converts, say
        raise SubmissionError(f"{path.name}: not valid notebook JSON ({str(error)[:80]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        major = data.get("nbformat") if isinstance(data, dict) else None
        if major in (1, 2, 3):
            return _load_old_notebook(path, text, transform_seconds)
        raise SubmissionError(f"{path.name}: not a Jupyter notebook (no 'cells' list)")
    if data.get("nbformat") != 4:
        raise SubmissionError(f"{path.name}: notebook format {str(data.get('nbformat'))[:20]!r} is not supported "
                              "(expected 4)")
    cells: list[tuple[str, str]] = []
    for index, cell in enumerate(data["cells"], start=1):
        if not isinstance(cell, dict):
            raise SubmissionError(f"{path.name}, cell {index}: not a notebook cell")
        if cell.get("cell_type") == "code":
            cells.append((f"{path.name} [cell {index}]", _cell_source(cell)))
    if not cells:
        raise SubmissionError(f"{path.name}: the notebook has no code cells")
    sources = _neutralise([source for _, source in cells], transform_seconds)
    units: list[Unit] = []
    notes: list[str] = []
    late = [label for (label, _), source in zip(cells, sources, strict=True) if source is None]
    if late:
        more = f" and {len(late) - 1} more cell(s)" if len(late) > 1 else ""
        notes.append(f"{late[0]}{more}: the IPython syntax could not be transformed within "
                     f"{transform_seconds:g} s; not run")
    for (label, _), source in zip(cells, sources, strict=True):
        if source is None:
            continue
        try:
            ast.parse(source, filename=label)
        except SyntaxError as error:
            notes.append(_syntax_message(label, error) + " (this cell was not run)")
            continue
        except (ValueError, RecursionError, MemoryError) as error:
            notes.append(f"{label}: cannot be parsed ({type(error).__name__}); this cell was not run")
            continue
        units.append(Unit(label, source))
    if not units:
        raise SubmissionError(f"{path.name}: no code cell could be parsed; " + notes[0])
    return Submission(path, "notebook", tuple(units), tuple(notes))


def _load_old_notebook(path: Path, text: str, transform_seconds: float) -> Submission:
    """nbformat 3 and older: upgraded by nbformat itself, then read like version 4."""
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception as error:  # nbformat raises many kinds for bad files
        raise SubmissionError(f"{path.name}: cannot be upgraded to notebook format 4 ({str(error)[:200]})") from None
    return _load_notebook(path, json.dumps(notebook), transform_seconds)


# Cell magics whose body Jupyter runs in the notebook's namespace, as if the line were not there:
# the body is graded. Every other cell magic (%%bash, %%writefile, %%html, %%timeit, whose body
# runs elsewhere or not as Python) becomes a do-nothing call, as IPython's transformer writes it.
RUN_BODY_MAGICS = frozenset({"time", "capture", "prun"})
_CELL_MAGIC = re.compile(r"%%([A-Za-z_]\w*)")


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _magic_body(source: str) -> str:
    """A cell headed by a cell magic that runs its body: the body, the magic's line left blank so
    that line numbers stay those of the notebook."""
    lines = source.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return source
    head = _CELL_MAGIC.match(lines[first])
    if head is None or head.group(1) not in RUN_BODY_MAGICS:
        return source
    return "\n" * (first + 1) + "".join(lines[first + 1:])


_LINE_COMMAND = re.compile(r"([ \t]*)([%!])([^%].*)?$")


def _quick(source: str) -> str | None:
    """The common case without IPython: whole lines that are a line magic (`%matplotlib inline`)
    or a shell command (`!pip install numpy`) become the calls IPython writes for them. None when
    anything else needs IPython (`x = !ls`, `obj?`, a continued line), or a replaced line was not
    a statement of its own (inside a string or brackets): then IPython's transformer decides."""
    lines = source.splitlines(keepends=True)
    replaced: list[int] = []
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        found = _LINE_COMMAND.match(text)
        if found is None or text.endswith("\\"):
            continue
        indent, mark, rest = found.group(1), found.group(2), (found.group(3) or "").strip()
        if mark == "%":
            name, _, arguments = rest.partition(" ")
            if not name.isidentifier():
                return None
            call = f"get_ipython().run_line_magic({name!r}, {arguments.strip()!r})"
        else:
            call = f"get_ipython().system({rest!r})"
        lines[number - 1] = indent + call + "\n"
        replaced.append(number)
    if not replaced:
        return None
    quick = "".join(lines)
    try:
        tree = ast.parse(quick)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    statements = {node.lineno for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return quick if all(number in statements for number in replaced) else None


def _neutralise(sources: list[str], seconds: float) -> list[str | None]:
    """IPython magics and !shell lines become calls on the sandbox's do-nothing get_ipython();
    a cell magic that runs its body gives its body. Valid Python is left untouched; a cell that
    does not parse goes through IPython's own transformer, in a child process limited to
    `seconds` for all the cells (None: the cell was not done in time)."""
    cells: list[str | None] = [_magic_body(source) for source in sources]
    for index, source in enumerate(cells):
        if source is not None and not _parses(source):
            cells[index] = _quick(source) or source
    pending = [i for i, source in enumerate(cells) if source is not None and not _parses(source)]
    if not pending:
        return cells
    done = transform_cells([str(cells[i]) for i in pending], seconds)
    for position, index in enumerate(pending):
        if position >= len(done):
            cells[index] = None  # the time ran out before this cell
        elif done[position] is not None:
            cells[index] = done[position]
    return cells


def transform_cells(sources: list[str], seconds: float, memory_mb: int = TRANSFORM_MEMORY_MB) -> list[str | None]:
    """IPython's transform of each source, in a child process that ends within `seconds`: one
    entry per cell transformed in time (None where IPython could not transform it); the list is
    cut short where the time ran out. IPython runs on student text, never in the grader's process."""
    script = Path(__file__).with_name("cell_transform.py")
    seconds = max(0.1, seconds)
    try:
        child = subprocess.Popen([sys.executable, "-I", str(script), f"{seconds:.3f}", str(memory_mb)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return []
    data = json.dumps(sources).encode("utf-8", "surrogatepass")
    try:
        output, _ = child.communicate(data, timeout=seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        output, _ = child.communicate()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    results: list[str | None] = []
    for line in output.splitlines()[: len(sources)]:
        try:
            value = json.loads(line)
        except ValueError:
            break  # a line cut by the kill
        results.append(value if isinstance(value, str) else None)
    return results
