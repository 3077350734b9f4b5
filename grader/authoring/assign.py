"""Student stubs from an instructor's marked reference solution (`grade assign`).

The instructor keeps one file, the working solution (a `.py`, optionally in the percent cell
format, or a notebook), and marks in it what students must write: the code between
`### BEGIN SOLUTION` and `### END SOLUTION` (otter's `# BEGIN SOLUTION` and its `# SOLUTION`
line suffix work too), and what students see instead on `### PROMPT <code>` lines. From that
one file come the stub module, the stub notebook and, for a notebook, the reference module the
grader imports, so the three never drift apart. Everything is built and checked in memory
before a single file is written.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import nbformat
from nbformat import v4

from grader.atomic import atomic_write_text
from grader.errors import GraderError

CellKind = Literal["code", "markdown", "raw"]
SourceFormat = Literal["py", "ipynb"]
LineKind = Literal["code", "begin", "end", "prompt", "inline"]
Marker = Literal["begin", "end", "prompt"]

DEFAULT_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
NOTEBOOK_METADATA: dict[str, Any] = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
NO_REGION = "no solution region found; mark the code students write with ### BEGIN SOLUTION / ### END SOLUTION"

_BEGIN = re.compile(r"#+\s*BEGIN SOLUTION(?:\s.*)?")
_END = re.compile(r"#+\s*END SOLUTION(?:\s.*)?")
_PROMPT = "### PROMPT"
_INLINE = re.compile(r"(?P<code>.*?\S)\s*#\s*SOLUTION\s*")
_CELL_LINE = re.compile(r"# %%(?: (?P<title>.*))?")
_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_KINDS: dict[str, CellKind] = {"code": "code", "markdown": "markdown", "raw": "raw"}
_MARKERS = ("begin", "end", "prompt")


class AssignError(GraderError):
    """The marked source cannot become stubs; the message names the file, the cell and the line."""


@dataclass(frozen=True)
class Cell:
    """One source cell; `first_line` is the line (of the file, or of the notebook cell) its text starts on.

    Code cells of a `.py` keep their lines exactly, each ending in a newline, so the reference can
    reproduce the file byte for byte; `attachments` keeps a markdown cell's pasted images (as JSON).
    """

    kind: CellKind
    text: str
    cell_id: str | None = None
    first_line: int = 1
    attachments: str | None = None


@dataclass(frozen=True)
class Marked:
    """A parsed marked source: where it came from (for messages) and its cells, in order."""

    path: Path
    source_format: SourceFormat
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class _Line:
    """A code line, what kind of marker it is, and whether it lies strictly inside a solution region."""

    text: str
    kind: LineKind
    inside: bool


# ---------------------------------------------------------------------------------------------
# Reading


def parse_source(path: Path) -> Marked:
    """Read a `.py` (percent format or plain) or a `.ipynb` source; anything else is refused."""
    suffix = path.suffix.lower()
    if suffix == ".py":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise AssignError(f"{path}: cannot read: {exc}") from exc
        return parse_percent(text, path)
    if suffix == ".ipynb":
        return _parse_notebook(path)
    raise AssignError(f"{path}: a marked source must be a .py or an .ipynb file")


def parse_percent(text: str, path: Path) -> Marked:
    """Cut percent-format text into cells; `path` only names the file in messages."""
    lines = _split(text.replace("\r\n", "\n").replace("\r", "\n"))
    heads = [i for i, line in enumerate(lines) if _CELL_LINE.fullmatch(line)]
    cells: list[Cell] = []
    leading = lines[: heads[0]] if heads else lines
    if any(line.strip() for line in leading):
        cells.append(Cell("code", _joined(leading), first_line=1))
    for n, head in enumerate(heads):
        body = lines[head + 1 : heads[n + 1] if n + 1 < len(heads) else len(lines)]
        match = _CELL_LINE.fullmatch(lines[head])
        title = (match["title"] if match else None) or ""
        if title.strip().endswith("[markdown]"):
            cells.append(_markdown_cell(body, head + 2, path))
        else:
            cells.append(Cell("code", _joined(body), first_line=head + 2))
    return Marked(path, "py", tuple(cells))


def _markdown_cell(body: list[str], first: int, path: Path) -> Cell:
    """Uncomment a percent-format markdown cell; a line of code in it would be lost, so it is an error."""
    text: list[str] = []
    for i, line in enumerate(body):
        stripped = line.strip()
        if not stripped:
            text.append("")
            continue
        if not stripped.startswith("#"):
            raise AssignError(f"{path}, line {first + i}: a markdown cell holds a line that is not a comment; "
                              "start it with '# ' or put a '# %%' line before it")
        if _marker(stripped):
            raise AssignError(f"{path}, line {first + i}: solution marker {stripped!r} inside a markdown cell; "
                              "markers belong in code cells")
        rest = line.lstrip()[1:]
        text.append(rest[1:] if rest.startswith(" ") else rest)
    lo = next((i for i, line in enumerate(text) if line.strip()), len(text))
    hi = len(text) - next((i for i, line in enumerate(reversed(text)) if line.strip()), 0)
    return Cell("markdown", "\n".join(text[lo:hi]), first_line=first + lo)


def _parse_notebook(path: Path) -> Marked:
    """Read a notebook's cells (text, id, attachments); outputs and metadata are not the stub's business."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's notes on missing ids: we handle those below
            notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises OSError, JSON and schema errors alike
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AssignError(f"{path}: cannot read the notebook: {first}") from exc
    # nbformat gives a cell without an id a random one; only the ids in the file itself are kept (determinism)
    raw_cells = raw.get("cells") if isinstance(raw, dict) and raw.get("nbformat") == 4 else None
    ids: list[Any] = [None] * len(notebook.cells)
    if isinstance(raw_cells, list) and len(raw_cells) == len(notebook.cells):
        ids = [cell.get("id") if isinstance(cell, dict) else None for cell in raw_cells]
    cells: list[Cell] = []
    for number, (cell, cell_id) in enumerate(zip(notebook.cells, ids, strict=True), start=1):
        kind = _KINDS.get(cell.get("cell_type", ""))
        if kind is None:
            raise AssignError(f"{path}, cell {number}: unknown cell type {cell.get('cell_type')!r}")
        attachments = cell.get("attachments")
        cells.append(Cell(kind, str(cell.get("source", "")), cell_id if isinstance(cell_id, str) else None, 1,
                          json.dumps(attachments, sort_keys=True) if attachments else None))
    return Marked(path, "ipynb", tuple(cells))


# ---------------------------------------------------------------------------------------------
# Markers


def _marker(stripped: str) -> Marker | None:
    """Which marker a stripped line is, if any."""
    if _BEGIN.fullmatch(stripped):
        return "begin"
    if _END.fullmatch(stripped):
        return "end"
    if stripped == _PROMPT or stripped.startswith(_PROMPT + " "):
        return "prompt"
    return None


def _where(marked: Marked, index: int, i: int) -> str:
    """`file, line N` for a `.py`, `file, cell C, line N` for a notebook (all counted from 1)."""
    line = marked.cells[index].first_line + i
    if marked.source_format == "ipynb":
        return f"{marked.path}, cell {index + 1}, line {line}"
    return f"{marked.path}, line {line}"


def _scan(marked: Marked) -> list[tuple[int, list[_Line]]]:
    """Classify every code line, and refuse unbalanced regions and markers outside code cells."""
    scanned: list[tuple[int, list[_Line]]] = []
    for index, cell in enumerate(marked.cells):
        if cell.kind != "code":
            for i, line in enumerate(_split(cell.text)):
                if _marker(line.strip()):
                    raise AssignError(f"{_where(marked, index, i)}: solution marker {line.strip()!r} inside a "
                                      f"{cell.kind} cell; markers belong in code cells")
            continue
        scanned.append((index, _scan_cell(marked, index)))
    if not any(line.kind in ("begin", "inline") for _, lines in scanned for line in lines):
        raise AssignError(f"{marked.path}: {NO_REGION}")
    return scanned


def _scan_cell(marked: Marked, index: int) -> list[_Line]:
    cell = marked.cells[index]
    out: list[_Line] = []
    opened: int | None = None
    for i, text in enumerate(_split(cell.text)):
        stripped = text.strip()
        kind: LineKind = _marker(stripped) or "code"
        if kind == "begin":
            if opened is not None:
                raise AssignError(f"{_where(marked, index, i)}: BEGIN SOLUTION inside the solution region "
                                  f"opened at line {cell.first_line + opened}")
            opened = i
            out.append(_Line(text, kind, False))
            continue
        if kind == "end":
            if opened is None:
                raise AssignError(f"{_where(marked, index, i)}: END SOLUTION without a BEGIN SOLUTION")
            opened = None
        elif kind == "prompt" and opened is not None:
            raise AssignError(f"{_where(marked, index, i)}: ### PROMPT inside a solution region; put it directly "
                              "before BEGIN SOLUTION or after END SOLUTION")
        elif kind == "code" and not stripped.startswith("#") and _INLINE.fullmatch(text.rstrip()):
            kind = "inline"
        out.append(_Line(text, kind, opened is not None))
    if opened is not None:
        end = "notebook cell" if marked.source_format == "ipynb" else "cell"
        raise AssignError(f"{_where(marked, index, opened)}: BEGIN SOLUTION is never closed by an END SOLUTION "
                          f"before the end of its {end}")
    return out


def _has_prompt(lines: list[_Line], begin: int) -> bool:
    """A region has a prompt when a PROMPT line touches its BEGIN line (above) or its END line (below)."""
    end = next(i for i in range(begin + 1, len(lines)) if lines[i].kind == "end")
    before = begin > 0 and lines[begin - 1].kind == "prompt"
    return before or (end + 1 < len(lines) and lines[end + 1].kind == "prompt")


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _stub_lines(lines: list[_Line]) -> list[str]:
    """A code cell as students get it: regions out, prompts in (or the default two lines)."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.kind == "begin":
            if not _has_prompt(lines, i):
                out.extend(_indent(line.text) + text for text in DEFAULT_STUB)
        elif line.inside or line.kind == "end":
            continue
        elif line.kind == "prompt":
            rest = line.text.strip()[len(_PROMPT) + 1 :]
            out.append(_indent(line.text) + rest if rest else "")
        elif line.kind == "inline":
            out.append(_inline_stub(line.text))
        else:
            out.append(line.text)
    return out


def _inline_stub(text: str) -> str:
    """Otter's `x = compute(y)  # SOLUTION` becomes `x = ...`; any other such line becomes `...`."""
    match = _INLINE.fullmatch(text.rstrip())
    statement = match["code"].strip() if match else ""
    indent = _indent(text)
    try:
        body = _parse(statement).body
    except (SyntaxError, ValueError):
        return indent + "..."
    node = body[0] if len(body) == 1 else None
    if isinstance(node, ast.Assign):
        targets = [ast.get_source_segment(statement, target) or "_" for target in node.targets]
        return indent + " = ".join([*targets, "..."])
    if isinstance(node, ast.AnnAssign) and node.value is not None:
        target = ast.get_source_segment(statement, node.target)
        annotation = ast.get_source_segment(statement, node.annotation)
        return f"{indent}{target}: {annotation} = ..."
    return indent + "..."


# ---------------------------------------------------------------------------------------------
# Outputs


def reference_code(marked: Marked) -> str:
    """The reference as a plain module: marker lines out, solution code in, cell lines and markdown gone."""
    cells = [(index, [line.text for line in lines if line.kind not in _MARKERS]) for index, lines in _scan(marked)]
    return _module(marked, cells)


_TAG = "  # <solution region>"


def solution_code(marked: Marked) -> tuple[str, frozenset[int]]:
    """The reference as a plain module (as reference_code) and the numbers of its lines (from 1)
    that the solution regions wrote: the code an author's tool may change (`grade mutants`)."""
    cells = []
    for index, lines in _scan(marked):
        texts = []
        for line in lines:
            if line.kind in _MARKERS:
                continue
            tagged = (line.inside or line.kind == "inline") and line.text.strip() and \
                not line.text.rstrip().endswith("\\")
            texts.append(line.text + _TAG if tagged else line.text)
        cells.append((index, texts))
    rows = _module(marked, cells).split("\n")
    numbers = frozenset(i + 1 for i, row in enumerate(rows) if row.endswith(_TAG))
    code = "\n".join(row[: -len(_TAG)] if row.endswith(_TAG) else row for row in rows)
    plain = reference_code(marked)
    if ast.dump(_parse(code)) != ast.dump(_parse(plain)):  # a tag inside a multi-line string, say
        raise AssignError(f"{marked.path}: the solution regions' lines cannot be told apart from the rest")
    return code, numbers


def stub_code(marked: Marked) -> str:
    """The student's module: the reference's line rules, with every solution replaced."""
    return _module(marked, _stub_cells(marked))


def stub_notebook(marked: Marked, stem: str) -> str:
    """The student's notebook, byte for byte the same for the same input (ids never random)."""
    stubs = dict(_stub_cells(marked))
    cells: list[Any] = []
    used: set[str] = set()
    for index, cell in enumerate(marked.cells):
        text = "\n".join(_trimmed(stubs[index])) if cell.kind == "code" else cell.text
        if cell.kind == "code" and not text:
            continue
        position = len(cells) + 1
        cell_id = cell.cell_id
        if not cell_id or not _CELL_ID.fullmatch(cell_id) or cell_id in used:
            cell_id = _generated_id(stem, position)
        used.add(cell_id)
        if cell.kind == "code":
            node = v4.new_code_cell(text, id=cell_id)
        elif cell.kind == "markdown":
            node = v4.new_markdown_cell(text, id=cell_id)
        else:
            node = v4.new_raw_cell(text, id=cell_id)
        if cell.attachments and cell.kind != "code":
            node["attachments"] = json.loads(cell.attachments)
        cells.append(node)
    notebook = v4.new_notebook(cells=cells, metadata=json.loads(json.dumps(NOTEBOOK_METADATA)))
    try:
        nbformat.validate(notebook)
    except nbformat.ValidationError as exc:
        raise AssignError(f"{marked.path}: the stub notebook is not valid: {exc.message}") from exc
    return str(nbformat.writes(notebook)) + "\n"


def _generated_id(stem: str, position: int) -> str:
    """`<stem>-NN`, with characters a cell id may not hold replaced, and short enough to be valid."""
    suffix = f"-{position:02d}"
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", stem) or "cell"
    return base[: 64 - len(suffix)] + suffix


def _stub_cells(marked: Marked) -> list[tuple[int, list[str]]]:
    """Each code cell's stub lines; a cell whose stub does not parse is an error (students could not run it)."""
    cells: list[tuple[int, list[str]]] = []
    for index, lines in _scan(marked):
        stub = _stub_lines(lines)
        checked = _comment_magics(_trimmed(stub)) if marked.source_format == "ipynb" else stub
        try:
            _parse("\n".join(checked))
        except (SyntaxError, ValueError) as exc:
            cell = marked.cells[index]
            where = f"{marked.path}, cell {index + 1}"
            if marked.source_format == "py":
                where += f" (from line {cell.first_line})"
            detail = f"{exc.msg} (line {exc.lineno} of the cell's stub)" if isinstance(exc, SyntaxError) else str(exc)
            raise AssignError(f"{where}: the stub of this cell does not parse: {detail}") from exc
        cells.append((index, stub))
    return cells


def _module(marked: Marked, cells: list[tuple[int, list[str]]]) -> str:
    """A `.py` keeps its lines as they are; notebook cells are joined by one blank line, magics commented out."""
    if marked.source_format == "py":
        text = "\n".join(line for _, lines in cells for line in lines)
    else:
        parts = [_comment_magics(_trimmed(lines)) for _, lines in cells]
        text = "\n".join("\n".join(part) + "\n" for part in parts if part)
    return text.rstrip("\n") + "\n"


def _comment_magics(lines: list[str]) -> list[str]:
    """Comment out IPython-only lines so the module imports; a cell that parses already has none."""
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("%%"):
        return [_commented(line) for line in lines]
    try:
        _parse("\n".join(lines))
        return lines
    except (SyntaxError, ValueError):
        return [_commented(line) if line.lstrip().startswith(("%", "!")) else line for line in lines]


def _commented(line: str) -> str:
    return _indent(line) + "# " + line.lstrip() if line.strip() else line


def _trimmed(lines: list[str]) -> list[str]:
    """Without leading and trailing blank lines."""
    lo = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    hi = len(lines) - next((i for i, line in enumerate(reversed(lines)) if line.strip()), 0)
    return lines[lo:hi]


def _parse(text: str) -> ast.Module:
    """`ast.parse` without the SyntaxWarnings (invalid escapes and such) that are not ours to report."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text)


def _split(text: str) -> list[str]:
    """Lines without their newline; a final newline does not start another, empty, line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _joined(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


# ---------------------------------------------------------------------------------------------
# Checks and writing


def _check_outputs(marked: Marked, reference: str, stub: str) -> None:
    """Last line of defence: no prompt or marker live in the reference, no solution line in the stub."""
    inside: dict[str, str] = {}
    outside: set[str] = set()
    code: set[str] = set()
    prompts: dict[str, str] = {}
    for index, lines in _scan(marked):
        for i, line in enumerate(lines):
            stripped = line.text.strip()
            if not stripped:
                continue
            if line.kind not in _MARKERS:
                code.add(stripped)
            if line.inside:
                inside.setdefault(stripped, _where(marked, index, i))
                continue
            outside.add(stripped)
            prompt = stripped[len(_PROMPT) + 1 :].strip() if line.kind == "prompt" else ""
            if prompt:
                prompts.setdefault(prompt, _where(marked, index, i))
    stub_lines = {line.strip() for line in stub.split("\n")}
    for stripped, where in inside.items():
        if stripped in stub_lines and stripped not in outside:
            raise AssignError(f"{where}: the stub would show this solution line to students: {stripped}")
    reference_lines = {line.strip() for line in reference.split("\n")}
    for stripped in reference_lines:
        if _marker(stripped):
            raise AssignError(f"{marked.path}: the reference still holds the marker line {stripped!r}")
    for prompt, where in prompts.items():
        if prompt in reference_lines and prompt not in code:
            raise AssignError(f"{where}: the reference would run this prompt as code: {prompt}")


def _header(source: Path) -> str:
    return f"# Written by grade assign from {source.name}; edit the notebook, not this file."


def assign(source: Path, exercise_dir: Path, stub_name: str) -> list[Path]:
    """Write the stub module and notebook (and a notebook's reference module); return the paths written."""
    if Path(stub_name).name != stub_name or not stub_name.endswith(".py") or stub_name == ".py":
        raise AssignError(f"{stub_name}: the stub name must be a plain file name ending in .py")
    marked = parse_source(source)
    stem = Path(stub_name).stem
    stub = stub_code(marked)
    notebook = stub_notebook(marked, stem)
    reference = reference_code(marked)
    _check_outputs(marked, reference, stub)
    outputs = {exercise_dir / stub_name: stub, exercise_dir / f"{stem}.ipynb": notebook}
    if marked.source_format == "ipynb":
        outputs[source.with_suffix(".py")] = f"{_header(source)}\n{reference}"
    resolved = [path.resolve() for path in outputs]
    if len(set(resolved)) != len(resolved) or source.resolve() in resolved:
        raise AssignError(f"{source}: writing the stubs to {exercise_dir} would overwrite the source or the reference; "
                          "choose another folder or stub name")
    if marked.source_format == "ipynb":
        _refuse_foreign(source.with_suffix(".py"), _header(source))
    try:
        exercise_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AssignError(f"{exercise_dir}: cannot create the folder: {exc}") from exc
    for path, text in outputs.items():
        _write_atomic(path, text)
    return list(outputs)


def _refuse_foreign(target: Path, header: str) -> None:
    """Never overwrite a reference module someone wrote by hand; our own carries `header` on line 1."""
    if not target.exists() and not target.is_symlink():
        return
    try:
        with target.open(encoding="utf-8", errors="replace") as handle:
            first = handle.readline().rstrip("\r\n")
    except OSError as exc:
        raise AssignError(f"{target}: cannot read the existing reference: {exc}") from exc
    if first != header:
        raise AssignError(f"{target}: exists and was not written by grade assign; move it away (the notebook's "
                          "reference would replace it)")


def _write_atomic(path: Path, text: str) -> None:
    """A reader never sees half a file (grader.atomic); a failure is the author's to read."""
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise AssignError(f"{path}: cannot write: {exc}") from exc
