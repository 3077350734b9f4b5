"""A submission's top-level code runs as Python (a .py) or Jupyter (a notebook) runs it; the
instructor's `top_level = "salvage"` keeps the old leniency. Fixtures cover the whole grading of
such files (tests/fixtures/submissions/broken__*_before_definitions.py and the notebooks); these
tests pin down the loader itself."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.errors import SpecError, SubmissionError
from grader.load import load_submission
from grader.pipeline import Assignment, grade_path
from grader.report.terminal import render
from grader.sandbox.client import Sandbox, SubmissionProcess
from grader.spec import Limits, load_spec

from .conftest import FIXTURES, SPEC_PATH

LIMITS = Limits(load_seconds=1, check_seconds=2)


def _open(sandbox: Sandbox, sources: list[str], kind: str = "python", top_level: str = "run",
          limits: Limits = LIMITS) -> SubmissionProcess:
    if kind == "python":
        units = [{"label": "sub.py", "source": sources[0]}]
    else:
        units = [{"label": f"sub.ipynb [cell {i}]", "source": s} for i, s in enumerate(sources, start=1)]
    return sandbox.open(units, limits, kind, top_level)


@pytest.fixture()
def loaded(sandbox: Sandbox) -> Iterator[list[SubmissionProcess]]:
    opened: list[SubmissionProcess] = []
    yield opened
    for process in opened:
        process.close()


def _load(loaded: list[SubmissionProcess], sandbox: Sandbox, *sources: str, **options: object) -> SubmissionProcess:
    process = _open(sandbox, list(sources), **options)  # type: ignore[arg-type]
    loaded.append(process)
    assert process.load_problem is None, process.load_problem
    return process


# ------------------------------------------------------------------ a .py is a module


def test_every_top_level_statement_runs_and_the_main_guard_does_not(sandbox: Sandbox, loaded: list) -> None:
    process = _load(loaded, sandbox, "calls = []\ndef main():\n    calls.append(1)\n\nmain()\nfor i in range(2):\n"
                                     "    def f(): return i\nif __name__ == '__main__':\n    def guarded(): pass\n")
    assert process.stopped is None and process.notes == []
    assert "f" in process.defined and "main" in process.defined and "guarded" not in process.defined


@pytest.mark.parametrize("statement,said", [
    ("data = pd.read_csv('d.csv')", "line 2: NameError: name 'pd' is not defined at the top level"),
    ("sys.exit(0)", "line 2: sys.exit(0) exits the program (SystemExit: 0) at the top level"),
    ("raise SystemExit(4)", "line 2: raise SystemExit(4) exits the program (SystemExit: 4)"),
    ("os._exit(3)", "line 2: os._exit(3) ends the process (os._exit(3))"),
    ("big = bytearray(10**13)", "line 2: MemoryError at the top level"),
])
def test_a_failing_statement_stops_the_file_and_keeps_what_is_above(statement: str, said: str, sandbox: Sandbox,
                                                                     loaded: list) -> None:
    process = _load(loaded, sandbox, f"import os, sys\n{statement}\ndef below(): pass\n")
    assert process.stopped is not None and process.stopped.startswith("sub.py, " + said), process.stopped
    assert process.stopped.endswith("nothing below it runs")
    assert "below" not in process.defined


def test_definitions_above_the_stop_are_kept(sandbox: Sandbox, loaded: list) -> None:
    process = _load(loaded, sandbox, "def above():\n    return 1\n\nresult = 1 / 0\n\ndef below():\n    return 2\n")
    assert process.stopped == "sub.py, line 4: ZeroDivisionError: division by zero at the top level: " \
                              "nothing below it runs"
    assert "above" in process.defined and "below" not in process.defined


def test_the_load_timer_stops_a_statement_and_keeps_what_is_above(sandbox: Sandbox, loaded: list) -> None:
    process = _load(loaded, sandbox, "def above(): pass\n\nwhile True:\n    pass\n\ndef below(): pass\n")
    assert process.stopped == "sub.py, line 3: the top-level code ran past the 1 s load limit: nothing below it runs"
    assert "above" in process.defined and "below" not in process.defined


def test_catching_the_timeout_defines_nothing_past_it(sandbox: Sandbox, loaded: list) -> None:
    """Python would loop for ever and never define `sneaky`: catching the timer's exception and
    defining it afterwards, in the same statement, must not leave it defined."""
    source = ("def main():\n    global sneaky\n    try:\n        while True:\n            pass\n"
              "    except BaseException:\n        pass\n    def sneaky(): return 1\n\nmain()\ndef below(): pass\n")
    process = _load(loaded, sandbox, source)
    assert process.stopped is not None and "ran past the 1 s load limit" in process.stopped
    assert "sneaky" not in process.defined and "below" not in process.defined and "main" in process.defined


def test_code_that_keeps_catching_the_timeout_is_killed_and_grades_nothing(sandbox: Sandbox) -> None:
    source = "def f(): pass\nwhile True:\n    try:\n        while True:\n            pass\n" \
             "    except BaseException:\n        pass\n"
    process = _open(sandbox, [source], limits=Limits(load_seconds=0.3, check_seconds=1))
    try:
        assert process.load_problem is not None and "could not be stopped" in process.load_problem
    finally:
        process.close()


def test_an_exit_that_bypasses_os_exit_grades_nothing(sandbox: Sandbox) -> None:
    process = _open(sandbox, ["def f(): pass\nimport ctypes\nctypes.CDLL(None)._exit(0)\n"])
    try:
        assert process.load_problem is not None and "ended while its code was being loaded" in process.load_problem
    finally:
        process.close()


# ------------------------------------------------------------------ what the grading machine lacks


def test_missing_modules_absorb_use_and_input_answers_an_empty_line(sandbox: Sandbox, loaded: list) -> None:
    source = ("import matplotlib.pyplot as plt\nfrom matplotlib import pyplot\nimport seaborn as sns\n"
              "fig, ax = plt.subplots()\nax.plot([1, 2], [3, 4]); plt.title('x'); pyplot.show()\n"
              "sns.set_theme(style='dark')['x'] * 2\nanswer = input('name? ')\nassert answer == ''\n"
              "with plt.style.context('ggplot'):\n    pass\ndef f(): pass\n")
    process = _load(loaded, sandbox, source)
    assert process.stopped is None, process.stopped
    assert "f" in process.defined
    assert "input() was answered with an empty line" in process.notes
    assert sum("not available while grading" in note for note in process.notes) == 2  # matplotlib, seaborn


def test_ipython_magics_and_shell_lines_do_nothing(tmp_path: Path, sandbox: Sandbox, loaded: list) -> None:
    path = tmp_path / "magic.ipynb"
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ['
                    '{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null, "id": "a", '
                    '"source": "%matplotlib inline\\n!pip install numpy\\ndef f():\\n    !echo x\\n    return 1\\n'
                    'f()\\nget_ipython().anything(1, key=2)\\n"}]}')
    submission = load_submission(path)
    process = _load(loaded, sandbox, *[u.source for u in submission.units], kind="notebook")
    assert process.notes == [] and "f" in process.defined


# ------------------------------------------------------------------ a notebook is Run All


def test_a_failing_cell_stops_only_itself(sandbox: Sandbox, loaded: list) -> None:
    process = _load(loaded, sandbox, "def a(): pass", "x = 1\ny = 1 / 0\ndef lost(): pass", "import sys\nsys.exit()",
                    "def c(): pass", kind="notebook")
    assert process.stopped is None
    assert process.notes == [
        "sub.ipynb [cell 2], line 2: ZeroDivisionError: division by zero; the rest of this cell did not run",
        "sub.ipynb [cell 3], line 2: sys.exit() exits the program (SystemExit: None); the rest of this cell did not run"]
    assert {"a", "c"} <= set(process.defined) and "lost" not in process.defined


def test_a_cell_past_its_time_stops_itself_only(sandbox: Sandbox, loaded: list) -> None:
    process = _load(loaded, sandbox, "def a(): pass", "while True:\n    pass", "def c(): pass", kind="notebook")
    assert process.notes == ["sub.ipynb [cell 2], line 1: the top-level code ran past the 1 s time limit of a cell; "
                             "the rest of this cell did not run"]
    assert {"a", "c"} <= set(process.defined)


def test_os_exit_in_a_cell_ends_the_notebook(sandbox: Sandbox, loaded: list) -> None:
    process = _load(loaded, sandbox, "def a(): pass", "import os\nos._exit(1)", "def c(): pass", kind="notebook")
    assert process.stopped is None
    assert process.notes[0].startswith("sub.ipynb [cell 2], line 2: os._exit(1) ends the process")
    assert process.notes[1] == "1 more cell(s) did not run"
    assert "a" in process.defined and "c" not in process.defined


# ------------------------------------------------------------------ the instructor's opt-in: salvage


def test_salvage_skips_failing_and_idle_statements_and_says_so(sandbox: Sandbox, loaded: list) -> None:
    source = ("'''docstring'''\nimport sys\nsys.exit(0)\ndata = pd.read_csv('x')\ndef f(): pass\n"
              "if __name__ == '__main__':\n    f()\n")
    process = _load(loaded, sandbox, source, top_level="salvage")
    assert process.stopped is None and "f" in process.defined
    assert process.notes == ["sub.py, line 3: skipped (sys.exit(0))",
                             "sub.py, line 4: skipped (NameError: name 'pd' is not defined)",
                             'the file does not run as written: 2 top-level statement(s) were skipped '
                             '(top_level = "salvage")']


def test_salvage_grades_what_run_does_not(assignment: Assignment, sandbox: Sandbox) -> None:
    path = FIXTURES / "broken__sys_exit_before_definitions.py"
    run = grade_path(path, assignment, sandbox)
    assert run.score == 0 and run.error is not None and "sys.exit(0)" in run.error
    salvaged = grade_path(path, dataclasses.replace(assignment, spec=dataclasses.replace(assignment.spec,
                                                                                         top_level="salvage")), sandbox)
    assert salvaged.score == salvaged.max_score and salvaged.error is None
    assert any("does not run as written" in note for note in salvaged.notes)


def test_the_spec_accepts_only_the_two_modes(tmp_path: Path) -> None:
    assert load_spec(SPEC_PATH).top_level == "run"
    text = SPEC_PATH.read_text(encoding="utf-8")
    for value, ok in (("salvage", True), ("skip", False)):
        spec = tmp_path / "spec.toml"
        spec.write_text(text.replace("[assignment]\n", f'[assignment]\ntop_level = "{value}"\n', 1)
                        .replace('reference = "../../', f'reference = "{SPEC_PATH.parent.parent.parent}/'),
                        encoding="utf-8")
        if ok:
            assert load_spec(spec).top_level == value
        else:
            with pytest.raises(SpecError, match="top_level"):
                load_spec(spec)


# ------------------------------------------------------------------ the report and the source


def test_the_terminal_report_shows_why_a_part_lost_its_points(assignment: Assignment, sandbox: Sandbox) -> None:
    result = grade_path(FIXTURES / "broken__top_level_raises.py", assignment, sandbox)
    text = render(result)
    assert "broken__top_level_raises.py, line 3: NameError: name 'pd' is not defined" in text
    assert "Loss was never defined: the file's top-level code stopped before it" in text


@pytest.mark.parametrize("data,problem", [
    (b"\xef\xbb\xbfx = 1\n", None),
    ("# -*- coding: cp949 -*-\nx = '한글'\n".encode("cp949"), None),
    (b"# coding: no-such-codec\nx = 1\n", "unknown encoding"),
    ("# coding: cp949\nx = '한'\n".encode("cp949") + b"y = '\xff\xfe'\n", "line 3: not valid cp949 text"),
    (b"x = 1\n# caf\xe9\n", "line 2: not valid UTF-8 text"),
])
def test_source_is_decoded_as_python_decodes_it(data: bytes, problem: str | None, tmp_path: Path) -> None:
    path = tmp_path / "sub.py"
    path.write_bytes(data)
    if problem is None:
        source = load_submission(path).units[0].source
        compile(source, "sub.py", "exec")  # a str keeps its coding line: compile() ignores it
        assert "x = " in source and not source.startswith("\ufeff")
    else:
        with pytest.raises(SubmissionError, match=problem):
            load_submission(path)
