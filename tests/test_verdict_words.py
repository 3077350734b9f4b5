"""The words of a failing verdict say what the code did, plainly: the argument a driver passed
wrong, how often it called, float32, the student's own traceback line; never a word of the grader's
insides. (Each fixture's verdict and named mistake are held by test_fixtures and test_misconceptions.)"""

from __future__ import annotations

import re

import pytest

from grader.messages import LANGUAGES, use
from grader.pipeline import Assignment, grade_path
from grader.sandbox.client import Sandbox

from .conftest import FIXTURES
from .outcomes import part_of

# fixture -> (part, words its first failing check's feedback must hold, in English)
WORDS: dict[str, tuple[str, str]] = {
    "fail-update__gradient_called_with_x_as_y.py":
        ("update", "at call 1 of gradient_descent, y = X (the value the given code passes as X)"),
    "fail-update__notebook_gradient_called_with_x_as_y.ipynb":
        ("update", "gradient_descent, y = X (the value"),
    "fail-update__gradient_called_with_x_and_y_swapped.py": ("update", "gradient_descent, X = y (the value"),
    "fail-update__gradient_called_with_y_twice.py": ("update", "gradient_descent, X = y (the value"),
    "fail-update__gradient_called_with_prediction_as_y.py": ("update", "at call 1 of gradient_descent, y = "),
    "fail-update__x_reshaped_to_a_row.py": ("update", "X = an array of shape (1, 4)"),
    "fail-update__y_flattened.py": ("update", "y = an array of shape (4,)"),
    "fail-update__mistyped_data.py": ("update", "[1.0, 2.0, 3.0, 5.0]"),
    "fail-update__float32_data.py": ("update", "dtype float32"),
    "fail-update__float32_weights.py": ("update", "float32, which keeps about 7 digits"),
    "fail-update__notebook_float32_weights.ipynb": ("update", "float32, which keeps about 7 digits"),
    "fail-Loss__float32.py": ("Loss", "float32, which keeps about 7 digits"),
    "fail-update__loop_runs_2000_times.py": ("update", "main() called gradient_descent 2000 times; with the "
                                                       "given code it calls it 1000 times"),
    "fail-update__return_inside_loop.py": ("update", "main() called gradient_descent once; with the given code "
                                                     "it calls it 1000 times"),
    "fail-update__inline_gradient.py": ("update", "main() never called gradient_descent (it must use "
                                                  "gradient_descent(...) as the given code does); with the given "
                                                  "code it calls it 1000 times"),
    "fail-update__notebook_inline_gradient.ipynb": ("update", "main() never called gradient_descent"),
    "fail-update__memorised_printed_trajectory.py": ("update", "main() never called gradient_descent"),
    # the student's own frame, with its line's text
    "fail-Loss__raises.py": ("Loss", "fail-Loss__raises.py, line 18, in Loss: "
                                     "ls = float(np.sum(np.square(y - f_x))) / (len(y) - len(y))"),
    "fail-Loss__notebook_raises.ipynb": ("Loss", "fail-Loss__notebook_raises.ipynb [cell 3], line 8, in Loss: "
                                                 "ls = float(np.sum(np.square(y - f_x))) / (len(y) - len(y))"),
}

INSIDES = re.compile(r"\b(records?|frames?|stand-ins?|stand in|sessions?|replay|fingerprint|wire)\b", re.IGNORECASE)


@pytest.mark.parametrize("name", sorted(WORDS))
def test_the_feedback_says_what_the_code_did(name: str, assignment: Assignment, sandbox: Sandbox) -> None:
    part_name, words = WORDS[name]
    with use("en"):
        part = part_of(grade_path(FIXTURES / name, assignment, sandbox), part_name)
    failed = [c for c in part.checks if not c.passed]
    assert failed and all(words in c.feedback for c in failed), [c.feedback for c in failed]


FAILING = sorted(p.name for p in FIXTURES.iterdir() if p.name.startswith(("fail-", "hardcoded", "timeout-")))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_word_of_the_graders_insides_reaches_a_student(lang: str, assignment: Assignment,
                                                          sandbox: Sandbox) -> None:
    found = []
    with use(lang):
        for name in FAILING:
            for part in grade_path(FIXTURES / name, assignment, sandbox).parts:
                found += [(name, c.id, c.feedback) for c in part.checks if INSIDES.search(c.feedback or "")]
    assert not found, found
