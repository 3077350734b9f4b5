"""Every JSON the grader writes is RFC 8259 (no NaN, no Infinity, valid Unicode), whatever the
submission returned or raised; and a batch never dies of one submission.

The JSON is read back with a strict parser (one that rejects NaN and the infinities, as
JavaScript's and Go's do), from `grade --json`, Gradescope's results.json and the batch's store.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.batch.runner import Job, LocalPool, run_batch
from grader.spec import load_spec
from grader.strict_json import dumps

from .conftest import FIXTURES, ROOT, SPEC_PATH

ATTACKS = ROOT / "tests" / "attacks"

# gradient_descent answers NaN and -inf: the trajectory's table of checkpoints holds them
GRADIENT = "def gradient_descent(w0, w1, X, y):"
NON_FINITE = (FIXTURES / "pass__reference.py").read_text(encoding="utf-8").replace(
    GRADIENT, GRADIENT + "\n    return np.array([np.nan, -np.inf])\n", 1)


def strict_loads(text: str) -> Any:
    def reject(constant: str) -> Any:
        raise ValueError(f"not RFC 8259 JSON: {constant}")

    return json.loads(text, parse_constant=reject)


def _grade_json(path: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "grader.cli", str(path), "--assignment", str(SPEC_PATH), "--json"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.stdout.count("\n") == 1, done.stderr
    data: dict[str, Any] = strict_loads(done.stdout)
    return data


JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text()),
                       lambda inner: st.one_of(st.lists(inner, max_size=4),
                                               st.dictionaries(st.text(max_size=4), inner, max_size=4)),
                       max_leaves=12)


@settings(max_examples=300, deadline=None, database=None)
@given(JSONISH)
def test_any_value_is_written_as_strict_json(value: Any) -> None:
    text = dumps(value, ensure_ascii=False)
    text.encode("utf-8")
    strict_loads(text)


def test_non_finite_numbers_are_null_with_their_text_beside() -> None:
    data = strict_loads(dumps({"got": math.nan, "row": [1.5, -math.inf], "s": "a\ud800"}))
    assert data == {"got": None, "got_text": "nan", "row": [1.5, None], "row_text": ["1.5", "-inf"], "s": "a\ufffd"}


def test_grade_json_is_strict_when_answers_are_not_finite(tmp_path: Path) -> None:
    path = tmp_path / "non_finite.py"
    path.write_text(NON_FINITE, encoding="utf-8")
    report = _grade_json(path)
    assert report["score"] < report["max_score"]
    checks = {c["id"]: c for p in report["parts"] for c in p["checks"]}
    assert checks["gradient-trajectory"]["status"] == "failed"


def test_grade_json_is_written_whatever_the_text_of_the_submission(tmp_path: Path) -> None:
    for name in ("surrogate_in_error", "surrogate_in_load_note"):
        report = _grade_json(shutil.copy(ATTACKS / f"{name}.py", tmp_path / f"{name}.py"))
        assert "\ufffd" in json.dumps(report, ensure_ascii=False)


def test_gradescope_always_writes_strict_results(tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    shutil.copy(ATTACKS / "surrogate_in_error.py", root / "submission" / "linreg.py")
    done = subprocess.run([sys.executable, "-m", "grader.cli", "gradescope", "run", "--root", str(root),
                           "--assignment", str(SPEC_PATH)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    results = strict_loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 7.0


# ------------------------------------------------------------------ a batch never dies of one submission


def test_hostile_submissions_get_rows_and_strict_store_rows(tmp_path: Path) -> None:
    source = tmp_path / "class"
    source.mkdir()
    files = {"smithjohn_101_9001_linreg.py": FIXTURES / "pass__reference.py",
             "leeminji_102_9002_linreg.py": ATTACKS / "surrogate_in_error.py",
             "parkjisu_103_9003_linreg.ipynb": FIXTURES / "broken__notebook_huge_integer.ipynb",
             "kimdohyun_104_9004_linreg.py": ATTACKS / "forged_loaded_frame.py"}
    for name, origin in files.items():
        shutil.copy(origin, source / name)
    (source / "hanseojun_105_9005_linreg.py").write_text(NON_FINITE, encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grader.cli", "batch", str(source), "--out", str(out),
                           "--assignment", str(SPEC_PATH), "--jobs", "1"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode in (0, 1), done.stderr
    with (out / "grades.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["student_key"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"smithjohn_101", "leeminji_102", "parkjisu_103", "kimdohyun_104", "hanseojun_105"}
    with sqlite3.connect(out / "results.sqlite") as db:
        stored = [strict_loads(text) for (text,) in db.execute("SELECT result FROM results")]
    assert len(stored) == 5


class _OneUnreadable:
    """A real pool, except that the first result comes back as something that is not a result."""

    def __init__(self) -> None:
        self.pool = LocalPool(1)

    def start(self, spec_path: str) -> None:
        self.pool.start(spec_path)

    def close(self) -> None:
        self.pool.close()

    def run(self, spec_path: str, jobs: list[Job], lang: str = "en") -> Iterator[tuple[Job, dict[str, Any]]]:
        for index, (job, data) in enumerate(self.pool.run(spec_path, jobs, lang)):
            yield job, ({"score": "?", "parts": 3} if index == 0 else data)


def test_a_result_that_cannot_be_stored_costs_one_row_and_is_retried(tmp_path: Path) -> None:
    source = tmp_path / "class"
    source.mkdir()
    for index, fixture in enumerate(["pass__reference.py", "fail-Loss__half_mse.py", "pass__notebook.ipynb"]):
        shutil.copy(FIXTURES / fixture, source / f"student{index}_{100 + index}_{9000 + index}_linreg"
                                                  f"{Path(fixture).suffix}")
    spec = load_spec(SPEC_PATH)
    first = run_batch(source, tmp_path / "out", spec, SPEC_PATH, executor=_OneUnreadable())
    assert first.total == 3 and first.graded == 2 and first.crashed == 1
    assert sum(1 for row in first.rows.values() if row.error and "could not be stored" in row.error) == 1
    again = run_batch(source, tmp_path / "out", spec, SPEC_PATH, executor=LocalPool(1))
    assert again.reused == 2 and again.graded == 1 and again.crashed == 0
