"""Identity parsing, discovery and safe extraction of LMS class downloads."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.batch.identity import (
    ArchiveError,
    Identity,
    discover,
    extract_zip,
    identify,
    parse_canvas_name,
)


def _write(path: Path, text: str = "x = 1\n", mtime: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


# --- identify -------------------------------------------------------------------------------------------------


def test_canvas_name(tmp_path: Path) -> None:
    ident = identify(tmp_path / "smithjohn_12345_67890_linreg.ipynb", tmp_path)
    assert ident == Identity(student_key="smithjohn_12345", display_name="smithjohn", lms="canvas",
                             user_id="12345", submission_id="67890", late=False, original_name="linreg.ipynb",
                             path=tmp_path / "smithjohn_12345_67890_linreg.ipynb")


def test_canvas_late_resubmission(tmp_path: Path) -> None:
    ident = identify(tmp_path / "smithjohn_late_12345_67891_linreg-1.ipynb", tmp_path)
    assert (ident.lms, ident.late, ident.user_id, ident.submission_id) == ("canvas", True, "12345", "67891")
    assert ident.original_name == "linreg-1.ipynb"
    assert ident.student_key == "smithjohn_12345"


def test_canvas_original_name_may_hold_underscores(tmp_path: Path) -> None:
    ident = identify(tmp_path / "doejane_7_8_my_lin_reg_v2.py", tmp_path)
    assert (ident.user_id, ident.submission_id, ident.original_name) == ("7", "8", "my_lin_reg_v2.py")


def test_moodle_folder(tmp_path: Path) -> None:
    path = tmp_path / "John Smith_4567_assignsubmission_file_" / "linreg.py"
    ident = identify(path, tmp_path)
    assert (ident.lms, ident.display_name, ident.user_id, ident.original_name) == (
        "moodle", "John Smith", "4567", "linreg.py")
    assert ident.student_key == "johnsmith_4567"


def test_moodle_flat_file_and_nested_file(tmp_path: Path) -> None:
    flat = identify(tmp_path / "Ana María López_88_assignsubmission_file_linreg.py", tmp_path)
    assert (flat.lms, flat.display_name, flat.user_id, flat.original_name) == (
        "moodle", "Ana María López", "88", "linreg.py")
    assert flat.student_key == "anamaríalópez_88"
    nested = identify(tmp_path / "Bo Li_9_assignsubmission_file_" / "src" / "linreg.py", tmp_path)
    assert (nested.user_id, nested.original_name) == ("9", "src/linreg.py")


def test_nbgrader(tmp_path: Path) -> None:
    ident = identify(tmp_path / "submitted" / "bob" / "linreg" / "linreg.ipynb", tmp_path)
    assert (ident.lms, ident.student_key, ident.user_id, ident.original_name) == (
        "nbgrader", "bob", "bob", "linreg.ipynb")
    # The "submitted" folder itself may be the root.
    root = tmp_path / "course" / "submitted"
    ident = identify(root / "eve" / "linreg" / "linreg.ipynb", root)
    assert (ident.lms, ident.student_key) == ("nbgrader", "eve")


def test_plain(tmp_path: Path) -> None:
    assert identify(tmp_path / "alice.py", tmp_path).student_key == "alice"
    folder = identify(tmp_path / "alice" / "linreg.py", tmp_path)
    assert (folder.lms, folder.student_key, folder.original_name) == ("plain", "alice", "alice/linreg.py")
    assert identify(tmp_path / " .. weird name!.py", tmp_path).student_key == "weird_name"


# --- Canvas file names, property-based ------------------------------------------------------------------------

_names = st.text(st.characters(exclude_characters="_/", exclude_categories=["Cs"]), min_size=1, max_size=20)
_ids = st.integers(min_value=0, max_value=10**12).map(str) | st.text("0123456789", min_size=1, max_size=12)
_originals = st.text(st.characters(exclude_characters="/", exclude_categories=["Cs"]), min_size=1, max_size=30)


@given(name=_names, late=st.booleans(), uid=_ids, sid=_ids, original=_originals)
def test_canvas_name_round_trip(name: str, late: bool, uid: str, sid: str, original: str) -> None:
    filename = f"{name}_{'late_' if late else ''}{uid}_{sid}_{original}"
    parsed = parse_canvas_name(filename)
    assert parsed is not None
    assert (parsed.name, parsed.late, parsed.user_id, parsed.submission_id, parsed.original_name) == (
        name, late, uid, sid, original)


@given(st.text(st.characters(exclude_characters="_", exclude_categories=["Cs"]), max_size=40))
def test_names_without_canvas_fields_are_not_canvas(name: str) -> None:
    assert parse_canvas_name(name) is None


def test_canvas_parser_rejects_near_misses() -> None:
    assert parse_canvas_name("smithjohn_12345_linreg.py") is None
    assert parse_canvas_name("smithjohn_abc_67890_linreg.py") is None
    assert parse_canvas_name("_12345_67890_linreg.py") is None


# --- discover ---------------------------------------------------------------------------------------------------


@pytest.fixture()
def download(tmp_path: Path) -> Path:
    root = tmp_path / "download"
    _write(root / "smithjohn_12345_67890_linreg.ipynb", mtime=2_000_000)
    # The resubmission has the higher submission id but an older mtime: the id decides for Canvas.
    _write(root / "smithjohn_late_12345_67891_linreg-1.ipynb", mtime=1_000_000)
    _write(root / "doejane_222_300_linreg.py")
    _write(root / "doejane_222_301_notes.txt")
    _write(root / "John Smith_4567_assignsubmission_file_" / "linreg.py")
    _write(root / "Mary OBrien_4568_assignsubmission_onlinetext_" / "onlinetext.html", "<p>hi</p>")
    _write(root / "submitted" / "bob" / "linreg" / "linreg.ipynb")
    _write(root / "submitted" / "bob" / "linreg" / "timestamp.txt", "2024-01-01 10:00:00")
    _write(root / "alice.py", mtime=1_000_000)
    _write(root / "alice.ipynb", mtime=3_000_000)
    _write(root / "__MACOSX" / "._alice.py")
    _write(root / ".hidden.py")
    _write(root / ".ipynb_checkpoints" / "alice-checkpoint.ipynb")
    _write(root / "sub" / ".DS_Store")
    os.symlink("/etc/passwd", root / "sneaky.py")
    return root


def test_discover_groups_and_keeps_latest(download: Path) -> None:
    found = discover(download)
    by_key = {i.student_key: i for i in found.submissions}
    assert set(by_key) == {"smithjohn_12345", "doejane_222", "johnsmith_4567", "bob", "alice"}
    assert [i.student_key for i in found.submissions] == sorted(by_key)
    assert by_key["smithjohn_12345"].submission_id == "67891"
    assert by_key["smithjohn_12345"].late
    assert by_key["alice"].path.name == "alice.ipynb"
    assert by_key["johnsmith_4567"].lms == "moodle"
    assert by_key["bob"].lms == "nbgrader"
    superseded = sorted(i.path.name for i in found.superseded)
    assert superseded == ["alice.py", "smithjohn_12345_67890_linreg.ipynb"]
    assert found.problems == []


def test_discover_lists_every_skipped_file_with_a_reason(download: Path) -> None:
    skipped = {p.relative_to(download).as_posix(): reason for p, reason in discover(download).skipped}
    assert skipped == {
        "doejane_222_301_notes.txt": "not a .py or .ipynb file",
        "Mary OBrien_4568_assignsubmission_onlinetext_/onlinetext.html": "Moodle onlinetext submission, not code",
        "submitted/bob/linreg/timestamp.txt": "not a .py or .ipynb file",
        "sneaky.py": "symbolic link, not followed",
    }


def test_discover_newest_mtime_then_name(tmp_path: Path) -> None:
    _write(tmp_path / "carol.py", mtime=5_000)
    _write(tmp_path / "carol.ipynb", mtime=5_000)
    found = discover(tmp_path)
    assert [i.path.name for i in found.submissions] == ["carol.py"]
    assert [i.path.name for i in found.superseded] == ["carol.ipynb"]


def test_discover_canvas_revision_breaks_ties(tmp_path: Path) -> None:
    # Same submission id is impossible in Canvas, but mtimes often tie after extraction: the -N counter decides.
    _write(tmp_path / "a" / "x_1_5_linreg.py", mtime=10)
    _write(tmp_path / "b" / "x_1_5_linreg-2.py", mtime=10)
    found = discover(tmp_path)
    assert [i.path.name for i in found.submissions] == ["x_1_5_linreg-2.py"]


def test_discover_plain_student_folders_in_a_wrapper(tmp_path: Path) -> None:
    _write(tmp_path / "submissions" / "alice" / "linreg.py")
    _write(tmp_path / "submissions" / "bob" / "linreg.py")
    _write(tmp_path / "submissions" / "bob" / "helper.py", mtime=1)
    found = discover(tmp_path)
    assert [i.student_key for i in found.submissions] == ["alice", "bob"]
    assert [i.path.name for i in found.superseded] == ["helper.py"]


def test_discover_disambiguates_clashing_keys(tmp_path: Path) -> None:
    _write(tmp_path / "bob.py")
    _write(tmp_path / "submitted" / "bob" / "linreg" / "linreg.ipynb")
    found = discover(tmp_path)
    assert sorted(i.student_key for i in found.submissions) == ["bob", "bob-2"]
    assert len(found.problems) == 1 and "bob" in found.problems[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file whatever its mode")
def test_discover_reports_unreadable_files(tmp_path: Path) -> None:
    locked = _write(tmp_path / "dave.py")
    locked.chmod(0)
    try:
        found = discover(tmp_path)
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert found.submissions == []
    assert [(p.name, r.split(":")[0]) for p, r in found.skipped] == [("dave.py", "unreadable")]
    assert found.problems and "dave.py" in found.problems[0]


def test_discover_reports_unreadable_files_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path, with the permission error simulated, so it is covered where tests run as root."""
    _write(tmp_path / "dave.py")
    _write(tmp_path / "erin.py")
    real_open = Path.open

    def guarded_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "dave.py":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    found = discover(tmp_path)
    assert [i.student_key for i in found.submissions] == ["erin"]
    assert [(p.name, r) for p, r in found.skipped] == [("dave.py", "unreadable: Permission denied")]
    assert found.problems == ["dave.py: unreadable: Permission denied"]


def test_discover_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not a folder"):
        discover(tmp_path / "missing")


# --- extract_zip ------------------------------------------------------------------------------------------------


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def test_extract_zip_and_discover(tmp_path: Path) -> None:
    stamped = zipfile.ZipInfo("smithjohn_12345_67890_linreg.py", date_time=(2024, 3, 1, 12, 0, 0))
    archive = _zip(tmp_path / "class.zip", [(stamped, b"x = 1\n"), ("folder/", b""),
                                            ("John Smith_4567_assignsubmission_file_/linreg.py", b"y = 2\n")])
    dest = extract_zip(archive, tmp_path / "out")
    assert (dest / "smithjohn_12345_67890_linreg.py").read_bytes() == b"x = 1\n"
    assert (dest / "folder").is_dir()
    mtime = (dest / "smithjohn_12345_67890_linreg.py").stat().st_mtime
    assert abs(mtime - __import__("time").mktime((2024, 3, 1, 12, 0, 0, 0, 0, -1))) < 2
    assert [i.student_key for i in discover(dest).submissions] == ["johnsmith_4567", "smithjohn_12345"]


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/tmp/evil_abs.py", "C:/evil.py",
                                  "..\\evil.py"])
def test_extract_zip_rejects_escaping_paths(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / "bad.zip", [("good.py", b"ok"), (zipfile.ZipInfo(name), b"pwned")])
    dest = tmp_path / "deep" / "out"
    with pytest.raises(ArchiveError):
        extract_zip(archive, dest)
    assert not (tmp_path / "deep" / "evil.py").exists()
    assert not (tmp_path / "evil.py").exists()
    assert not Path("/tmp/evil_abs.py").exists()
    assert list(dest.iterdir()) == []  # checked before anything is written


def test_extract_zip_rejects_symlinks(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("link.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "link.zip", [(link, b"/etc/passwd")])
    with pytest.raises(ArchiveError, match="symbolic link"):
        extract_zip(archive, tmp_path / "out")


def test_extract_zip_limits_size_and_count(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", [("zeros.py", b"\0" * (2 << 20))])
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ArchiveError, match="more than"):
        extract_zip(bomb, tmp_path / "out1", max_total_bytes=1 << 20)
    many = _zip(tmp_path / "many.zip", [(f"f{i}.py", b"") for i in range(5)])
    with pytest.raises(ArchiveError, match="entries"):
        extract_zip(many, tmp_path / "out2", max_files=4)


def test_extract_zip_enforces_size_while_writing(tmp_path: Path) -> None:
    """Headers can lie about sizes; the bytes actually written are counted too."""
    archive = _zip(tmp_path / "lie.zip", [("a.py", b"1" * 1000)])
    with pytest.raises(ArchiveError):
        extract_zip(archive, tmp_path / "out", max_total_bytes=999)


def test_extract_zip_rejects_duplicates_and_non_zip(tmp_path: Path) -> None:
    with pytest.warns(UserWarning):
        dup = _zip(tmp_path / "dup.zip", [("a.py", b"1"), ("a.py", b"2")])
    with pytest.raises(ArchiveError, match="twice"):
        extract_zip(dup, tmp_path / "out")
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ArchiveError):
        extract_zip(junk, tmp_path / "out2")


def test_extract_zip_needs_an_empty_folder(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "ok.zip", [("a.py", b"1")])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    with pytest.raises(ArchiveError, match="not empty"):
        extract_zip(archive, tmp_path / "out")
