"""Who submitted which file: LMS download layouts (Canvas, Moodle, nbgrader, plain) turned into identities.

A class download is a folder of files whose names or folders carry the student's identity. Grades are only
useful if they go back to the right student, so identity parsing is strict, every file that is not graded is
listed with a reason, and nothing is ever dropped silently. Archives are extracted defensively: they come from
outside and may be hostile (path traversal, symbolic links, zip bombs).
"""

from __future__ import annotations

import os
import re
import stat
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Literal

from grader.errors import GraderError

Lms = Literal["canvas", "moodle", "nbgrader", "plain"]

SUBMISSION_SUFFIXES = (".py", ".ipynb")
# Folders that archivers and editors add; they never hold a submission, so they are ignored without a word.
IGNORED_DIRS = frozenset({"__MACOSX", ".ipynb_checkpoints", "__pycache__"})

MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_FILES = 10_000

_CANVAS_RE = re.compile(r"^(?P<name>[^_/]+)_(?:(?P<late>(?i:late))_)?(?P<uid>[0-9]+)_(?P<sid>[0-9]+)_(?P<orig>[^/]+)$")
_MOODLE_RE = re.compile(r"^(?P<name>.+)_(?P<pid>[0-9]+)_assignsubmission_(?P<plugin>[A-Za-z0-9]+)_(?P<rest>.*)$")
_REVISION_RE = re.compile(r"-(\d+)$")


@dataclass(frozen=True)
class Identity:
    """One submitted file and the student it belongs to.

    `student_key` is stable across runs of the same download and safe as a file name; it is what outputs are
    keyed by. `user_id` is the LMS's own id (Canvas user id, Moodle participant id, nbgrader student id).
    """

    student_key: str
    display_name: str | None
    lms: Lms
    user_id: str | None
    submission_id: str | None
    late: bool
    original_name: str
    path: Path


@dataclass(frozen=True)
class Discovery:
    """What a folder holds: one submission per student, plus everything not graded and why."""

    submissions: list[Identity] = field(default_factory=list)
    superseded: list[Identity] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CanvasName:
    """The parts of a Canvas bulk-download file name."""

    name: str
    late: bool
    user_id: str
    submission_id: str
    original_name: str


class ArchiveError(GraderError):
    """An archive that is unsafe or broken; nothing from it should be graded."""


def parse_canvas_name(filename: str) -> CanvasName | None:
    """Split `lastfirst_[late_]<userid>_<submissionid>_<original name>`; None when the name is not Canvas's."""
    m = _CANVAS_RE.match(filename)
    if m is None:
        return None
    return CanvasName(name=m["name"], late=m["late"] is not None, user_id=m["uid"], submission_id=m["sid"],
                      original_name=m["orig"])


def _slug(name: str) -> str:
    """Lower-case letters and digits only (any script): a display name made safe for a key."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name).casefold() if ch.isalnum())


def _safe_key(text: str) -> str:
    """A file-name-safe key: word characters, dots and dashes; never empty, never hidden."""
    key = re.sub(r"[^\w.-]+", "_", unicodedata.normalize("NFKC", text)).strip("._-")
    return key or "student"


def _relative(path: Path, root: Path) -> PurePosixPath:
    try:
        return PurePosixPath(path.relative_to(root).as_posix())
    except ValueError:
        return PurePosixPath(path.name)


def _moodle_component(rel: PurePosixPath) -> tuple[int, re.Match[str]] | None:
    """The first path component (a per-student folder, or a flat file name) in Moodle's download format."""
    for index, part in enumerate(rel.parts):
        m = _MOODLE_RE.match(part)
        if m is not None:
            return index, m
    return None


def _nbgrader_student(rel: PurePosixPath, root: Path) -> tuple[str, PurePosixPath] | None:
    """(student id, path below the assignment folder) for `submitted/<student>/<assignment>/<file>`."""
    parts = ("submitted", *rel.parts) if root.name == "submitted" else rel.parts
    for index, part in enumerate(parts):
        if part == "submitted" and len(parts) - index >= 4:
            return parts[index + 1], PurePosixPath(*parts[index + 3:])
    return None


def _identify(path: Path, root: Path, plain_root: Path) -> Identity:
    rel = _relative(path, root)
    nb = _nbgrader_student(rel, root)
    if nb is not None:
        student, below = nb
        return Identity(student_key=_safe_key(student), display_name=None, lms="nbgrader", user_id=student,
                        submission_id=None, late=False, original_name=str(below), path=path)
    moodle = _moodle_component(rel)
    if moodle is not None:
        index, m = moodle
        below = PurePosixPath(*rel.parts[index + 1:]) if index + 1 < len(rel.parts) else PurePosixPath(m["rest"])
        full_name = m["name"].strip()
        return Identity(student_key=f"{_slug(full_name) or 'student'}_{m['pid']}", display_name=full_name,
                        lms="moodle", user_id=m["pid"], submission_id=None, late=False,
                        original_name=str(below) or path.name, path=path)
    canvas = parse_canvas_name(path.name)
    if canvas is not None:
        return Identity(student_key=_safe_key(f"{canvas.name}_{canvas.user_id}"), display_name=canvas.name,
                        lms="canvas", user_id=canvas.user_id, submission_id=canvas.submission_id,
                        late=canvas.late, original_name=canvas.original_name, path=path)
    plain_rel = _relative(path, plain_root)
    # A file in a sub-folder belongs to that folder's student (`alice/hw1.py`); a loose file to its stem.
    owner = plain_rel.parts[0] if len(plain_rel.parts) > 1 else path.stem
    return Identity(student_key=_safe_key(owner), display_name=None, lms="plain", user_id=None,
                    submission_id=None, late=False, original_name=str(plain_rel), path=path)


def identify(path: Path, root: Path) -> Identity:
    """The identity of one file of a class download rooted at `root` (nbgrader, then Moodle, Canvas, plain)."""
    return _identify(path, root, root)


def _ignored(name: str) -> bool:
    return name.startswith(".") or name in IGNORED_DIRS


def _plain_root(root: Path) -> Path:
    """Step into lone wrapper folders (a zip of `submissions/…`) so plain keys come from the student folders."""
    current = root
    for _ in range(8):
        try:
            entries = [e for e in os.scandir(current) if not _ignored(e.name)]
        except OSError:
            return current
        if len(entries) != 1 or not entries[0].is_dir(follow_symlinks=False):
            return current
        name = entries[0].name
        if name == "submitted" or _MOODLE_RE.match(name):
            return current
        current = current / name
    return current


def _moodle_plugin(rel: PurePosixPath) -> str | None:
    found = _moodle_component(rel)
    return found[1]["plugin"] if found else None


def _revision(original_name: str) -> int:
    """Canvas's resubmission counter: `hw1-2.ipynb` -> 2, `hw1.ipynb` -> 0."""
    m = _REVISION_RE.search(PurePosixPath(original_name).stem)
    return int(m.group(1)) if m else 0


def discover(root: Path) -> Discovery:
    """Every gradable file under `root`, one per student, and a reason for every file not graded."""
    if not root.is_dir():
        raise GraderError(f"not a folder: {root}")
    found = Discovery()
    plain_root = _plain_root(root)
    candidates: list[tuple[Identity, int]] = []

    def walk_error(err: OSError) -> None:
        found.problems.append(f"cannot list {err.filename}: {err.strerror}")
        if err.filename:
            found.skipped.append((Path(err.filename), f"unreadable folder: {err.strerror}"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=walk_error):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            if _ignored(name):
                continue
            if (here / name).is_symlink():
                found.skipped.append((here / name, "symbolic link, not followed"))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if _ignored(name):
                continue
            path = here / name
            reason = _unsuitable(path, root)
            if reason is not None:
                found.skipped.append((path, reason))
                if reason.startswith("unreadable"):
                    found.problems.append(f"{path.relative_to(root)}: {reason}")
                continue
            candidates.append((_identify(path, root, plain_root), path.lstat().st_mtime_ns))

    groups: dict[tuple[str, str], list[tuple[Identity, int]]] = {}
    for ident, mtime in candidates:
        groups.setdefault((ident.lms, ident.user_id or ident.student_key), []).append((ident, mtime))

    def latest(item: tuple[Identity, int]) -> tuple[int, int, int, str]:
        ident, mtime = item
        sid = int(ident.submission_id) if ident.submission_id and ident.submission_id.isdigit() else -1
        return sid, mtime, _revision(ident.original_name), ident.path.name

    taken: set[str] = set()
    for _, members in sorted(groups.items(), key=lambda kv: min(i.student_key for i, _ in kv[1])):
        members.sort(key=latest, reverse=True)
        winner = members[0][0]
        key = winner.student_key
        n = 2
        while key in taken:
            key = f"{winner.student_key}-{n}"
            n += 1
        if key != winner.student_key:
            found.problems.append(f"two students share the key {winner.student_key!r}; {winner.path.name} "
                                  f"is keyed {key!r}")
            winner = replace(winner, student_key=key)
        taken.add(key)
        found.submissions.append(winner)
        found.superseded.extend(replace(i, student_key=key) for i, _ in members[1:])
    found.submissions.sort(key=lambda i: i.student_key)
    return found


def _unsuitable(path: Path, root: Path) -> str | None:
    """Why `path` is not a gradable submission, or None when it is."""
    try:
        info = path.lstat()
    except OSError as err:
        return f"unreadable: {err.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return "symbolic link, not followed"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    plugin = _moodle_plugin(_relative(path, root))
    if plugin is not None and plugin != "file":
        return f"Moodle {plugin} submission, not code"
    if path.suffix.lower() not in SUBMISSION_SUFFIXES:
        return "not a .py or .ipynb file"
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as err:
        return f"unreadable: {err.strerror}"
    return None


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    """The safe relative path of an archive member, or ArchiveError for anything that could escape `dest`."""
    name = info.filename.replace("\\", "/")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ArchiveError(f"archive entry {info.filename!r} is a symbolic link")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ArchiveError(f"archive entry {info.filename!r} has an absolute path")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise ArchiveError(f"archive entry {info.filename!r} points outside the archive")
    return parts


def _keep_timestamp(target: Path, info: zipfile.ZipInfo) -> None:
    try:
        stamp = time.mktime((*info.date_time, 0, 0, -1))
        os.utime(target, (stamp, stamp))
    except (OverflowError, ValueError, OSError):
        pass  # a nonsense date in the archive: keep the extraction time


def extract_zip(zip_path: Path, dest: Path, *, max_total_bytes: int = MAX_TOTAL_BYTES,
                max_files: int = MAX_FILES) -> Path:
    """Extract a class download into the empty folder `dest` and return it.

    The whole archive is checked before anything is written and rejected (ArchiveError) if any entry is
    absolute, climbs out with `..`, is a symbolic link, or if it has too many entries or too many bytes; the
    byte limit is enforced again while writing, since headers can lie. Timestamps are kept so that "newest
    file" means what the student did, not when the archive was unpacked. A failed extraction may leave files
    in `dest`: extract into a fresh temporary folder.
    """
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise ArchiveError(f"extraction folder is not empty: {dest}")
    try:
        archive = zipfile.ZipFile(zip_path)
    except (OSError, zipfile.BadZipFile) as err:
        raise ArchiveError(f"cannot open archive {zip_path.name}: {err}") from err
    with archive:
        infos = archive.infolist()
        if len(infos) > max_files:
            raise ArchiveError(f"archive has {len(infos)} entries, more than the limit of {max_files}")
        plan: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
        declared = 0
        for info in infos:
            parts = _member_parts(info)
            if not parts:
                continue
            declared += 0 if info.is_dir() else info.file_size
            if declared > max_total_bytes:
                raise ArchiveError(f"archive expands to more than {max_total_bytes} bytes")
            plan.append((info, parts))
        base = dest.resolve()
        written = 0
        for info, parts in plan:
            target = base.joinpath(*parts)
            if not target.resolve().is_relative_to(base):
                raise ArchiveError(f"archive entry {info.filename!r} points outside the archive")
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                with os.fdopen(os.open(target, flags, 0o644), "wb") as out, archive.open(info) as src:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > max_total_bytes:
                            raise ArchiveError(f"archive expands to more than {max_total_bytes} bytes")
                        out.write(chunk)
                _keep_timestamp(target, info)
            except ArchiveError:
                raise
            except FileExistsError as err:
                raise ArchiveError(f"archive entry {info.filename!r} appears twice") from err
            except (OSError, RuntimeError, NotImplementedError, zipfile.BadZipFile, EOFError) as err:
                raise ArchiveError(f"cannot extract {info.filename!r}: {err}") from err
    return dest
