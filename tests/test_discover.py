"""Which exercise `grade` grades when none is named: found upward from the submission's folder,
then the current folder; chosen by the stub's name, then by pyproject.toml; else a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.discover import find_spec
from grader.errors import UsageError


def _exercise(folder: Path, stub: str) -> Path:
    folder.mkdir(parents=True)
    spec = folder / "spec.toml"
    spec.write_text(f'[assignment]\nstub = "{stub}"\n', encoding="utf-8")
    return spec


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GRADER_SPEC", raising=False)
    monkeypatch.chdir(tmp_path)  # pytest's tmp folders hold no exercise above them


def test_a_folder_holding_spec_toml_is_the_exercise(tmp_path: Path) -> None:
    spec = _exercise(tmp_path / "handout", "linreg.py")
    (tmp_path / "handout" / "work").mkdir()
    assert find_spec(near=[tmp_path / "handout" / "work"], stem="anything") == spec


def test_the_stub_name_chooses_among_several(tmp_path: Path) -> None:
    _exercise(tmp_path / "course" / "assignments" / "linreg", "linreg.py")
    logreg = _exercise(tmp_path / "course" / "assignments" / "logreg", "logreg.py")
    class_folder = tmp_path / "course" / "class"
    class_folder.mkdir()
    assert find_spec(near=[class_folder], stem="logreg") == logreg


def test_pyproject_names_the_default_when_the_name_does_not_choose(tmp_path: Path) -> None:
    linreg = _exercise(tmp_path / "course" / "assignments" / "linreg", "linreg.py")
    _exercise(tmp_path / "course" / "assignments" / "logreg", "logreg.py")
    (tmp_path / "course" / "pyproject.toml").write_text('[tool.grader]\nassignment = "assignments/linreg"\n')
    assert find_spec(near=[tmp_path / "course"], stem="submission") == linreg


def test_several_without_a_choice_name_every_one(tmp_path: Path) -> None:
    _exercise(tmp_path / "course" / "assignments" / "a", "a.py")
    _exercise(tmp_path / "course" / "assignments" / "b", "b.py")
    with pytest.raises(UsageError, match=r"several exercises .*assignments/a.*assignments/b.*--assignment"):
        find_spec(near=[tmp_path / "course"], stem="c")


def test_the_submissions_folder_comes_before_the_current_folder(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    here = _exercise(tmp_path / "here", "x.py")
    there = _exercise(tmp_path / "there", "x.py")
    monkeypatch.chdir(tmp_path / "here")
    assert find_spec(near=[tmp_path / "there"], stem="x") == there
    assert find_spec(stem="x") == here


def test_none_found_says_where_it_looked_and_how_to_name_one(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"no exercise \(spec.toml\) found in .*empty.*--assignment"):
        find_spec(near=[tmp_path / "empty"])


def test_a_named_exercise_must_hold_a_spec(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(UsageError, match="no spec.toml there"):
        find_spec(tmp_path / "folder")
    with pytest.raises(UsageError, match="no such folder or file"):
        find_spec(tmp_path / "missing")
    spec = _exercise(tmp_path / "real", "r.py")
    assert find_spec(tmp_path / "real") == spec and find_spec(spec) == spec
