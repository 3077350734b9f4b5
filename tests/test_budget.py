"""One time budget per submission: restarts, loads and checks all spend it, and when it is spent
the checks not yet run fail saying so, and the result is still written. IPython's transformer
runs in a limited child process, never unbounded in the grader's.

The exercise is linreg with small limits (the same stored inputs: they do not depend on the
limits), so that spending the budget takes seconds, not a minute.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from grader.load import _quick, load_submission, transform_cells
from grader.messages import t
from grader.pipeline import Assignment, budget_seconds, grade_path
from grader.sandbox.client import Sandbox

from .conftest import FIXTURES

# The top-level code takes most of load_seconds and every function loops: each check times out,
# and each timeout costs a restart, which runs the top-level code again.
RESTARTS = """import time

import numpy as np

time.sleep(1.6)


def linear_model(w0, w1, X):
    while True:
        pass


def Loss(f_x, y):
    while True:
        pass


def gradient_descent(w0, w1, X, y):
    while True:
        pass


def main():
    while True:
        pass
"""


def _small(assignment: Assignment) -> Assignment:
    spec = assignment.spec
    parts = tuple(dataclasses.replace(part, checks=tuple(dataclasses.replace(check, seconds=None)
                                                           for check in part.checks)) for part in spec.parts)
    limits = dataclasses.replace(spec.limits, load_seconds=2.0, check_seconds=0.5)
    return dataclasses.replace(assignment, spec=dataclasses.replace(spec, parts=parts, limits=limits))


def test_restarts_spend_one_budget_and_the_rest_fail_saying_so(assignment: Assignment, sandbox: Sandbox,
                                                               tmp_path: Path) -> None:
    small = _small(assignment)
    path = tmp_path / "restarts.py"
    path.write_text(RESTARTS)
    budget = budget_seconds(small.spec, "python")
    assert budget == 2.0 + 6 * 0.5 + 5.0
    result = grade_path(path, small, sandbox)
    checks = [c for p in result.parts for c in p.checks]
    assert len(checks) == 6 and result.score == 0
    spent = [c for c in checks if c.feedback == t("budget.spent", seconds=f"{budget:g}")]
    assert spent and all(c.status == "timeout" for c in spent)
    assert checks[-1] in spent  # the last checks are the ones the budget did not reach
    json.dumps(result.to_json(), allow_nan=False)  # and the result is whole


def test_a_correct_submission_is_untouched_by_the_budget(assignment: Assignment, sandbox: Sandbox) -> None:
    result = grade_path(FIXTURES / "pass__reference.py", _small(assignment), sandbox)
    assert result.score == result.max_score


QUADRATIC = "\n".join(f"a{i} = !echo x" for i in range(1000))  # IPython's transformer: seconds per cell


def test_the_transformer_is_cut_short_when_its_time_is_up() -> None:
    assert transform_cells(["x = !ls", "%matplotlib inline"], 30.0) == [
        "x = get_ipython().getoutput('ls')\n", "get_ipython().run_line_magic('matplotlib', 'inline')\n"]
    assert transform_cells([QUADRATIC] * 4, 0.3) == []


def test_a_notebook_too_slow_to_transform_loses_those_cells_only(tmp_path: Path) -> None:
    reference = (FIXTURES / "pass__reference.py").read_text(encoding="utf-8")
    cells = [reference, QUADRATIC, QUADRATIC]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                          for c in cells]}
    path = tmp_path / "slow.ipynb"
    path.write_text(json.dumps(notebook))
    submission = load_submission(path, transform_seconds=0.3)
    assert [u.label for u in submission.units] == ["slow.ipynb [cell 1]"]
    assert submission.notes == ("slow.ipynb [cell 2] and 1 more cell(s): the IPython syntax could not be "
                                "transformed within 0.3 s; not run",)


@pytest.mark.parametrize("magic, runs", [("%%time", True), ("%%capture out", True), ("%%timeit", False),
                                         ("%%bash", False), ("%%writefile x.py", False)])
def test_cell_magics_run_their_body_where_jupyter_does(magic: str, runs: bool, tmp_path: Path) -> None:
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                "cells": [{"cell_type": "code", "source": f"{magic}\ndef f():\n    return 1\n", "metadata": {},
                           "outputs": [], "execution_count": None}]}
    path = tmp_path / "magic.ipynb"
    path.write_text(json.dumps(notebook))
    lines = load_submission(path).units[0].source.splitlines()
    assert (lines[1:2] == ["def f():"]) is runs
    if runs:
        assert lines[0] == ""  # the magic's line is blank: line numbers stay the notebook's
    else:
        assert lines[0].startswith("get_ipython().run_cell_magic(")  # a call that does nothing


@pytest.mark.parametrize("cell", ["%matplotlib inline\nimport numpy as np", "!pip install numpy",
                                  "def f():\n    !echo x\n    return 1", "%load_ext autoreload\nx = 1"])
def test_whole_line_magics_are_written_as_ipython_writes_them_without_ipython(cell: str) -> None:
    quick = _quick(cell)
    assert quick is not None and quick.rstrip("\n") == transform_cells([cell], 30.0)[0].rstrip("\n")


@pytest.mark.parametrize("cell", ["x = !ls", 's = """\n%not a magic\n"""\n!ls', "a = [1,\n!ls\n]", "np.mean?",
                                  "!echo a \\\n  b"])
def test_anything_else_is_left_to_ipython(cell: str) -> None:
    assert _quick(cell) is None
