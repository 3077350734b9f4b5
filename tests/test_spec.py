"""A bad spec gets one clear message naming the file, the line and the key (exit 2, never a
traceback); a stale or missing build names the command to run; a reference that fails its own
checks is refused by `grade build`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.authoring.build import build_exercise
from grader.build import load_build
from grader.errors import SpecError
from grader.spec import load_spec

from .conftest import ROOT

LOGREG = ROOT / "assignments" / "logreg"


@pytest.fixture()
def exercise(tmp_path: Path) -> Path:
    """A copy of the logreg exercise and its reference, laid out as in the project."""
    shutil.copytree(LOGREG, tmp_path / "assignments" / "logreg")
    (tmp_path / "solutions").mkdir()
    shutil.copy2(ROOT / "solutions" / "logreg.py", tmp_path / "solutions" / "logreg.py")
    return tmp_path / "assignments" / "logreg" / "spec.toml"


def _edit(spec: Path, old: str, new: str) -> None:
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    spec.write_text(text.replace(old, new), encoding="utf-8")


def _line(spec: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(spec.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


BAD = [
    # (old text, new text, what the message must say, the line it must name (a fragment of that line))
    ('  examples = 100\n  args.p', '  exampels = 100\n  args.p', "unknown key 'exampels' (did you mean 'examples'?)",
     "exampels = 100"),
    ('  points = 2\n  title.en = "bce_loss on drawn', '  points = "two"\n  title.en = "bce_loss on drawn',
     "checks[2] (bce-drawn) points: must be a number, not a string", 'points = "two"'),
    ('  kind = "cases"\n  points = 1\n  title.en = "bce_loss', '  kind = "case"\n  points = 1\n  title.en = "bce_loss',
     "'case' is not one of 'against_reference', 'cases', 'trajectory', 'driver' (did you mean 'cases'?)",
     'kind = "case"'),
    ("args.b = { float = [-3, 3] }", "args.b = { float = [3, -3] }", "the range [3, -3] is empty (low > high)",
     "args.b"),
    ('args.w = { array = ["d"], float = [-3, 3] }', 'args.w = { array = ["k"], float = [-3, 3] }',
     "'k' is not an integer draw declared before it", "args.w"),
    ("points = 10\n", "points = 11\n", "the exercise is worth 11 points but its parts add up to 10", "points = 11"),
    ('  uses = ["sigmoid"]     #', '  uses = ["bce_loss"]     #', None, None),
]


@pytest.mark.parametrize("old, new, message, line", BAD, ids=[b[2] or "uses" for b in BAD])
def test_a_bad_spec_is_one_clear_message(exercise: Path, old: str, new: str, message: str | None,
                                         line: str | None) -> None:
    _edit(exercise, old, new)
    if message is None:  # a valid change: uses names an earlier part's function
        load_spec(exercise)
        return
    with pytest.raises(SpecError) as raised:
        load_spec(exercise)
    text = raised.value.message
    assert message in text, text
    assert text.startswith(f"{exercise}, line {_line(exercise, line)}: parts") or \
        text.startswith(f"{exercise}, line {_line(exercise, line)}: assignment"), text


def test_uses_must_name_an_earlier_part(exercise: Path) -> None:
    _edit(exercise, "  examples = 50\n  args.z = { float = [-50, 50] }",
          '  examples = 50\n  uses = ["gradient_step"]\n  args.z = { float = [-50, 50] }')
    with pytest.raises(SpecError, match="'gradient_step' is checked by a later part; put its part first"):
        load_spec(exercise)


def test_the_cli_reports_a_bad_spec_with_exit_code_2(exercise: Path) -> None:
    _edit(exercise, '  examples = 100\n  args.p', '  exampels = 100\n  args.p')
    run = subprocess.run([sys.executable, "-m", "grader.cli", "--assignment", str(exercise.parent),
                          str(ROOT / "solutions" / "logreg.py")], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "unknown key 'exampels'" in run.stderr


def test_a_function_missing_from_the_reference_is_named_by_build(exercise: Path) -> None:
    _edit(exercise, 'name = "bce_loss"\n', 'name = "bce_loss"\nfunction = "cross_entropy"\n')
    spec = load_spec(exercise)
    with pytest.raises(SpecError, match="the reference defines no function 'cross_entropy'"):
        build_exercise(spec, verify=False)


def test_a_mistake_whose_edit_is_not_in_the_reference_is_named(exercise: Path) -> None:
    _edit(exercise, '[["p = sigmoid(X @ w + b)", "p = X @ w + b"]]', '[["p = sigmoid(X@w + b)", "p = X @ w + b"]]')
    with pytest.raises(SpecError, match=r"mistakes\[3\] \(sigmoid_not_applied\).*does not occur"):
        build_exercise(load_spec(exercise), verify=False)


def test_a_stale_or_missing_build_names_the_command(exercise: Path) -> None:
    spec = load_spec(exercise)
    load_build(spec, "official")  # the copy is up to date
    _edit(exercise, "examples = 50\n  let.shape", "examples = 40\n  let.shape")
    with pytest.raises(SpecError, match=r"out of date .*run: grade build"):
        load_build(load_spec(exercise), "official")
    shutil.rmtree(exercise.parent / "build")
    with pytest.raises(SpecError, match=r"has not been built; run: grade build"):
        load_build(load_spec(exercise), "self-check")


def test_a_reference_that_fails_its_own_checks_is_refused(exercise: Path) -> None:
    """A listed expected value the reference does not give (a typo in the lesson's numbers, say)."""
    _edit(exercise, 'cases = [{ p = [0.5], y = [1] }, { p = [0.9, 0.2], y = [1, 0] }, '
                    '{ p = [0.25, 0.75, 0.6], y = [0, 0, 1] }]',
          'cases = [{ p = [0.5], y = [1] }]\n  expected = [0.7]')
    before = (exercise.parent / "build" / "official.json").read_bytes()
    with pytest.raises(SpecError, match="the reference fails its own checks"):
        build_exercise(load_spec(exercise))
    assert (exercise.parent / "build" / "official.json").read_bytes() == before  # nothing half-written


def test_build_check_says_whether_the_build_is_current(exercise: Path) -> None:
    def check() -> int:
        return subprocess.run([sys.executable, "-m", "grader.cli", "build", "--check", str(exercise.parent)],
                              capture_output=True, text=True, timeout=120, cwd=ROOT).returncode

    assert check() == 0
    _edit(exercise, "examples = 50\n  let.shape", "examples = 40\n  let.shape")
    assert check() == 1
