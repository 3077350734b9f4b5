"""`grade assign`: stubs and reference from one marked solution (.py in percent format, or .ipynb)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat import v4

from grader.authoring import assign as assign_module
from grader.authoring.assign import (
    AssignError,
    Marked,
    assign,
    parse_percent,
    parse_source,
    reference_code,
    stub_code,
    stub_notebook,
)
from grader.errors import GraderError

PERCENT = '''\
# %% [markdown]
# # Loss and gradient
#
# Write `loss` and `gradient`.

# %% setup
import numpy as np


# %%
def loss(y, y_pred):
    """Mean squared error."""
    ### PROMPT ls = None  # TODO: finish the loss
    ### BEGIN SOLUTION
    ls = np.mean((y - y_pred) ** 2)
    ### END SOLUTION
    return ls


# %% Gradient [markdown]
# The gradient, **both** parts:
#   - w0

# %%
def gradient(x, y):
    """Both partial derivatives."""
    # BEGIN SOLUTION
    g0 = -2 * np.mean(y - x)
    g1 = -2 * np.mean((y - x) * x)
    return g0, g1
    # END SOLUTION
'''

REFERENCE = '''\
import numpy as np


def loss(y, y_pred):
    """Mean squared error."""
    ls = np.mean((y - y_pred) ** 2)
    return ls


def gradient(x, y):
    """Both partial derivatives."""
    g0 = -2 * np.mean(y - x)
    g1 = -2 * np.mean((y - x) * x)
    return g0, g1
'''

STUB = '''\
import numpy as np


def loss(y, y_pred):
    """Mean squared error."""
    ls = None  # TODO: finish the loss
    return ls


def gradient(x, y):
    """Both partial derivatives."""
    # YOUR CODE HERE
    raise NotImplementedError()
'''

PROMPTS = """\
def update(w, g, lr):
    ### PROMPT if lr > 0:
    ### PROMPT     w = w  # TODO: one step
    ### BEGIN SOLUTION
    w = w - lr * g
    ### END SOLUTION
    ### PROMPT
    return w
"""

INLINE = """\
def mean(xs):
    total = sum(xs)  # SOLUTION
    n: int = len(xs)  # SOLUTION
    print(total / n)  # SOLUTION
    return total / n
"""

FIXTURES = {"percent.py": PERCENT, "prompts.py": PROMPTS, "inline.py": INLINE}


def _marked(text: str, name: str = "x.py") -> Marked:
    return parse_percent(text, Path(name))


def _notebook(path: Path, cells: list[nbformat.NotebookNode], without_id: int | None = None) -> Path:
    """Written as plain JSON: nbformat would give the cell `without_id` a random id."""
    notebook = v4.new_notebook(cells=cells)
    if without_id is not None:
        del notebook.cells[without_id]["id"]
    path.write_text(json.dumps(notebook), encoding="utf-8")
    return path


def _nb_source(tmp_path: Path) -> Path:
    return _notebook(tmp_path / "lab.ipynb", [
        v4.new_markdown_cell("# Lab\n\nDouble it.", id="intro"),
        v4.new_code_cell("%matplotlib inline\nimport math\n!echo hi", id="setup"),
        v4.new_code_cell("def twice(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"),
        v4.new_code_cell("%%time\ny = twice(2)", id="timed"),
        v4.new_raw_cell("raw text", id="raw"),
    ], without_id=2)


def test_percent_file_round_trips_to_exact_stub_and_reference() -> None:
    marked = _marked(PERCENT)
    assert [cell.kind for cell in marked.cells] == ["markdown", "code", "code", "markdown", "code"]
    assert reference_code(marked) == REFERENCE
    assert stub_code(marked) == STUB


def test_notebook_of_a_percent_file_has_plain_markdown_and_trimmed_code() -> None:
    text = stub_notebook(_marked(PERCENT), "ex")
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    assert text.endswith("}\n")
    assert [cell.source for cell in notebook.cells if cell.cell_type == "markdown"] == [
        "# Loss and gradient\n\nWrite `loss` and `gradient`.", "The gradient, **both** parts:\n  - w0"]
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert code == ["import numpy as np", STUB.split("\n\n\n")[1], STUB.split("\n\n\n")[2].rstrip("\n")]
    assert [cell.id for cell in notebook.cells] == [f"ex-0{n}" for n in range(1, 6)]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in notebook.cells
               if cell.cell_type == "code")
    assert notebook.metadata == {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                                 "language_info": {"name": "python"}}


def test_prompts_replace_the_default_lines_and_keep_their_indentation() -> None:
    marked = _marked(PROMPTS)
    assert stub_code(marked) == ("def update(w, g, lr):\n    if lr > 0:\n        w = w  # TODO: one step\n\n"
                                 "    return w\n")
    assert reference_code(marked) == "def update(w, g, lr):\n    w = w - lr * g\n    return w\n"
    separated = PROMPTS.replace("    ### BEGIN", "\n    ### BEGIN").replace("    ### PROMPT\n", "")
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()\n" in stub_code(_marked(separated))


def test_otter_inline_solution_lines() -> None:
    marked = _marked(INLINE)
    assert stub_code(marked) == "def mean(xs):\n    total = ...\n    n: int = ...\n    ...\n    return total / n\n"
    assert reference_code(marked) == INLINE


def test_notebook_source_gives_stubs_and_a_reference_with_magics_commented(tmp_path: Path) -> None:
    source = _nb_source(tmp_path)
    written = assign(source, tmp_path / "out", "lab_stub.py")
    assert written == [tmp_path / "out" / "lab_stub.py", tmp_path / "out" / "lab_stub.ipynb", tmp_path / "lab.py"]
    assert (tmp_path / "lab.py").read_text(encoding="utf-8") == (
        "# Written by grade assign from lab.ipynb; edit the notebook, not this file.\n"
        "# %matplotlib inline\nimport math\n# !echo hi\n\n"
        "def twice(x):\n    return 2 * x\n\n# %%time\n# y = twice(2)\n")
    assert (tmp_path / "out" / "lab_stub.py").read_text(encoding="utf-8") == (
        "# %matplotlib inline\nimport math\n# !echo hi\n\n"
        "def twice(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n# %%time\n# y = twice(2)\n")
    notebook = nbformat.read(tmp_path / "out" / "lab_stub.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert [cell.id for cell in notebook.cells] == ["intro", "setup", "lab_stub-03", "timed", "raw"]
    assert notebook.cells[1].source == "%matplotlib inline\nimport math\n!echo hi"
    assert notebook.cells[4].cell_type == "raw" and notebook.cells[4].source == "raw text"
    compile((tmp_path / "lab.py").read_text(encoding="utf-8"), "lab.py", "exec")


def test_rerun_overwrites_its_own_reference_but_not_a_hand_written_one(tmp_path: Path) -> None:
    source = _nb_source(tmp_path)
    first = [path.read_bytes() for path in assign(source, tmp_path / "out", "lab.py")]
    assert [path.read_bytes() for path in assign(source, tmp_path / "out", "lab.py")] == first
    (tmp_path / "lab.py").write_text("def twice(x):\n    return x + x\n", encoding="utf-8")
    with pytest.raises(AssignError, match=r"lab\.py: exists and was not written by grade assign"):
        assign(source, tmp_path / "out", "lab.py")
    assert (tmp_path / "lab.py").read_text(encoding="utf-8") == "def twice(x):\n    return x + x\n"
    with pytest.raises(AssignError, match="would overwrite the source"):
        assign(source, tmp_path, "lab.py")


def test_determinism_same_input_same_bytes(tmp_path: Path) -> None:
    (tmp_path / "ex.py").write_text(PERCENT, encoding="utf-8")
    first = [path.read_bytes() for path in assign(tmp_path / "ex.py", tmp_path / "a", "ex.py")]
    second = [path.read_bytes() for path in assign(tmp_path / "ex.py", tmp_path / "b", "ex.py")]
    assert first == second and len(first) == 2
    assert first[0].decode() == STUB
    assert not [p.name for p in (tmp_path / "a").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_every_fixture_stub_parses(name: str) -> None:
    marked = _marked(FIXTURES[name], name)
    ast.parse(stub_code(marked))
    ast.parse(reference_code(marked))
    for cell in nbformat.reads(stub_notebook(marked, "s"), as_version=4).cells:
        if cell.cell_type == "code":
            ast.parse(cell.source)


PY_ERRORS = [
    ("x = 1\n### END SOLUTION\n", "bad.py, line 2: END SOLUTION without a BEGIN SOLUTION"),
    ("### BEGIN SOLUTION\nx = 1\n    ### BEGIN SOLUTION\n",
     "bad.py, line 3: BEGIN SOLUTION inside the solution region opened at line 1"),
    ("# %%\nx = 0\n# BEGIN SOLUTION\nx = 1\n# %%\n# END SOLUTION\n",
     "bad.py, line 3: BEGIN SOLUTION is never closed by an END SOLUTION before the end of its cell"),
    ("x = 1\n", "bad.py: no solution region found; mark the code students write with ### BEGIN SOLUTION / "
                "### END SOLUTION"),
    ("# %% [markdown]\n# Text\nx = 1\n", "bad.py, line 3: a markdown cell holds a line that is not a comment"),
    ("# %% [markdown]\n\n# ### BEGIN SOLUTION\n# %%\n",
     "bad.py, line 3: solution marker '### BEGIN SOLUTION' inside a markdown cell"),
    ("### BEGIN SOLUTION\n### PROMPT x = 0\n### END SOLUTION\n", "bad.py, line 2: ### PROMPT inside a solution region"),
    ("# %%\n\ndef f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n    ### PROMPT\n",
     "bad.py, cell 1 (from line 2): the stub of this cell does not parse: expected an indented block after "
     "function definition on line 2 (line 2 of the cell's stub)"),
]


@pytest.mark.parametrize(("text", "message"), PY_ERRORS)
def test_py_errors_name_file_and_line(text: str, message: str) -> None:
    with pytest.raises(AssignError) as caught:
        stub_code(_marked(text, "bad.py"))
    assert caught.value.message.startswith(message)
    assert isinstance(caught.value, GraderError) and caught.value.exit_code == 2


@pytest.mark.parametrize(("cells", "message"), [
    ([v4.new_markdown_cell("a\n\n### END SOLUTION"), v4.new_code_cell("x = 1  # SOLUTION")],
     "nb.ipynb, cell 1, line 3: solution marker '### END SOLUTION' inside a markdown cell"),
    ([v4.new_markdown_cell("a"), v4.new_code_cell("x = 1  # SOLUTION"), v4.new_code_cell("y = 2\n### END SOLUTION")],
     "nb.ipynb, cell 3, line 2: END SOLUTION without a BEGIN SOLUTION"),
    ([v4.new_code_cell("x = 1"), v4.new_code_cell("if x:\n### BEGIN SOLUTION\n    y = 2\n### END SOLUTION")],
     "nb.ipynb, cell 2: the stub of this cell does not parse: expected an indented block after 'if' statement"),
])
def test_notebook_errors_name_cell_and_line(tmp_path: Path, cells: list[nbformat.NotebookNode], message: str) -> None:
    path = _notebook(tmp_path / "nb.ipynb", cells)
    with pytest.raises(AssignError) as caught:
        assign(path, tmp_path / "out", "nb.py")
    assert caught.value.message.startswith(f"{tmp_path}/{message}")
    assert not (tmp_path / "out").exists()


def test_leaks_and_bad_arguments_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    leaky = tmp_path / "leak.py"
    leaky.write_text("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
                     "    ### PROMPT return x + 1\n", encoding="utf-8")
    with pytest.raises(AssignError, match=r"leak\.py, line 3: the stub would show this solution line"):
        assign(leaky, tmp_path / "out", "leak.py")
    (tmp_path / "ex.py").write_text(PROMPTS, encoding="utf-8")
    monkeypatch.setattr(assign_module, "reference_code", lambda marked: "w = w  # TODO: one step\n")
    with pytest.raises(AssignError, match=r"ex\.py, line 3: the reference would run this prompt as code"):
        assign(tmp_path / "ex.py", tmp_path / "out", "ex.py")
    with pytest.raises(AssignError, match="must be a plain file name ending in .py"):
        assign(tmp_path / "ex.py", tmp_path / "out", "sub/ex.py")
    (tmp_path / "ex.txt").write_text(PROMPTS, encoding="utf-8")
    with pytest.raises(AssignError, match=r"ex\.txt: a marked source must be a \.py or an \.ipynb file"):
        parse_source(tmp_path / "ex.txt")
    assert not (tmp_path / "out").exists()


@st.composite
def _arrangements(draw: st.DrawFn) -> tuple[str, list[str], list[str], list[str]]:
    """Plain lines, and solution regions with prompts before or after, in random cells."""
    lines: list[str] = []
    plain: list[str] = []
    solutions: list[str] = []
    prompts: list[str] = []
    for i in range(draw(st.integers(1, 6))):
        if i and draw(st.booleans()):
            lines.append("# %%")
        size = draw(st.integers(1, 3))
        if i and draw(st.booleans()):
            plain += [f"plain_{i}_{j} = {j}" for j in range(size)]
            lines += plain[-size:]
            continue
        before = [f"prompt_{i}_{j} = None" for j in range(draw(st.integers(0, 2)))]
        after = [f"prompt_{i}_a{j} = None" for j in range(draw(st.integers(0, 1)))]
        solution = [f"solution_{i}_{j} = {j}" for j in range(size)]
        prompts += before + after
        solutions += solution
        lines += [f"### PROMPT {p}" for p in before] + ["### BEGIN SOLUTION", *solution, "### END SOLUTION"]
        lines += [f"### PROMPT {p}" for p in after]
    return "\n".join(lines) + "\n", plain, solutions, prompts


@settings(max_examples=60, deadline=None)
@given(_arrangements())
def test_property_reference_keeps_solutions_and_stub_keeps_prompts(
        arrangement: tuple[str, list[str], list[str], list[str]]) -> None:
    text, plain, solutions, prompts = arrangement
    marked = _marked(text)
    reference = reference_code(marked).splitlines()
    stub = stub_code(marked).splitlines()
    assert reference == [line for line in text.splitlines() if not line.startswith("#")]
    assert set(plain) <= set(stub) and set(prompts) <= set(stub) and set(solutions) <= set(reference)
    assert not set(solutions) & set(stub) and not set(prompts) & set(reference)
    lines = [*text.splitlines(), ""]
    begins, ends = ([i for i, line in enumerate(lines) if line == f"### {m} SOLUTION"] for m in ("BEGIN", "END"))
    bare = sum(1 for b, e in zip(begins, ends, strict=True)
               if not (b and lines[b - 1].startswith("### P")) and not lines[e + 1].startswith("### P"))
    assert stub.count("raise NotImplementedError()") == bare
    ast.parse("\n".join(stub))
