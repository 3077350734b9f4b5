"""The student stubs of the linreg exercise, and the reference against the document."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from .conftest import EXERCISES

ROOT = Path(__file__).resolve().parent.parent
EXERCISE = ROOT / "assignments" / "linreg"
STUB = EXERCISE / "linreg.py"
NOTEBOOK = EXERCISE / "linreg.ipynb"
REFERENCE = ROOT / "solutions" / "linreg.py"
DOCUMENT_OUTPUT = Path(__file__).resolve().parent / "data" / "document_output.txt"


def _printed_lines(text: str) -> list[str]:
    """The lines that carry text, without trailing whitespace (print(..., '\\n') adds some)."""
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def _notebook_code(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")


def _top_level_strings(source: str) -> list[str]:
    return [node.value.value for node in ast.parse(source).body
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)]


def _function(source: str, name: str) -> ast.FunctionDef:
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise AssertionError(f"no function {name}")


def _run(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, encoding="utf-8",
                          cwd=path.parent, timeout=120, stdin=subprocess.DEVNULL)


def test_notebook_holds_the_same_code_as_the_stub() -> None:
    script = STUB.read_text(encoding="utf-8")
    assert ast.dump(ast.parse(_notebook_code(NOTEBOOK))) == ast.dump(ast.parse(script))


def test_notebook_code_cells_are_split_per_function() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cells = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert len(cells) == 5
    assert cells[0].startswith("import numpy as np") and "def linear_model(" in cells[0]
    for cell, name in zip(cells[1:4], ["Loss", "gradient_descent", "main"], strict=True):
        assert f"def {name}(" in cell
        assert cell.startswith("'''")  # the instruction text travels with its function
    assert cells[4].startswith("if __name__ == '__main__':")


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_stubs_are_what_grade_assign_writes(exercise: str) -> None:
    """Stubs are never edited by hand: `grade assign solutions/<exercise>.py` writes both from the marked
    reference, so the script, the notebook and the reference never drift apart."""
    from grader.authoring.assign import parse_source, stub_code, stub_notebook

    marked = parse_source(ROOT / "solutions" / f"{exercise}.py")
    folder = ROOT / "assignments" / exercise
    assert (folder / f"{exercise}.py").read_text(encoding="utf-8") == stub_code(marked), \
        f"run: grade assign solutions/{exercise}.py"
    assert (folder / f"{exercise}.ipynb").read_text(encoding="utf-8") == stub_notebook(marked, exercise), \
        f"run: grade assign solutions/{exercise}.py"


def test_notebook_validates() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "attachment:" not in markdown
    for formula in [r"W \leftarrow W - \alpha \nabla Loss(W)", r"\cdot(-1)", r"\cdot(-x_i)",
                    r"w_0 \leftarrow w_0 - \alpha", r"w_1 \leftarrow w_1 - \alpha"]:
        assert formula in markdown


@pytest.mark.parametrize("path", [STUB, NOTEBOOK], ids=["py", "ipynb"])
def test_stub_keeps_the_documents_instructions(path: Path) -> None:
    reference = REFERENCE.read_text(encoding="utf-8")
    source = STUB.read_text(encoding="utf-8") if path.suffix == ".py" else _notebook_code(path)
    assert _top_level_strings(source) == _top_level_strings(reference)
    assert len(_top_level_strings(source)) == 3
    assert ast.dump(_function(source, "linear_model")) == ast.dump(_function(reference, "linear_model"))
    assert source.count("# TODO") >= 5
    for name in ["Loss", "gradient_descent", "main"]:
        assert ast.dump(_function(source, name).args) == ast.dump(_function(reference, name).args)


def test_stub_main_keeps_the_documents_loop() -> None:
    main = ast.unparse(_function(STUB.read_text(encoding="utf-8"), "main"))
    for fragment in ["lr = 0.001", "for i in range(1000):", "if i % 100 == 0:", "return (w0, w1)",
                     "np.array([1, 2, 3, 4]).reshape((-1, 1))", "np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))"]:
        assert fragment in main


def test_stub_runs_to_completion() -> None:
    result = _run(STUB)
    assert result.returncode == 0, result.stderr
    assert len(_printed_lines(result.stdout)) == 20
    assert "Traceback" not in result.stderr


def test_stub_functions_return_placeholders() -> None:
    spec = importlib.util.spec_from_file_location("linreg_stub", STUB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import numpy as np

    X = np.array([1.0, 2.0]).reshape((-1, 1))
    assert module.Loss(X, X) is None
    assert list(module.gradient_descent(0, 0, X, X)) == [None, None]
    assert module.main() == (0, 0)


def test_document_output_file_has_the_ten_checkpoints() -> None:
    lines = _printed_lines(DOCUMENT_OUTPUT.read_text(encoding="utf-8"))
    assert len(lines) == 20
    for index, line in enumerate(lines):
        step = 100 * (index // 2)
        label = "loss :" if index % 2 == 0 else "w0, w1 :"
        assert line.startswith(f"{step}번째 {label} ")


def test_reference_prints_the_documents_numbers() -> None:
    result = _run(REFERENCE)
    assert result.returncode == 0, result.stderr
    expected = _printed_lines(DOCUMENT_OUTPUT.read_text(encoding="utf-8"))
    assert _printed_lines(result.stdout) == expected
