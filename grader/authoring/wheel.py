"""The engine as a wheel, written from the installed package: what a student's folder and a
Gradescope autograder install, whether this grader was installed from a wheel, from PyPI or
from a source tree.

The wheel holds the `grader` package and its installed metadata (name, version, dependencies,
the `grade` command), never an exercise or a reference. Its bytes depend only on those files
(fixed timestamps, sorted entries), so the same grader writes the same wheel.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from importlib import metadata
from pathlib import Path

from grader.errors import UsageError

DISTRIBUTION = "exercise-grader"
PACKAGE = Path(__file__).resolve().parent.parent
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)
_SKIPPED_PARTS = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def write_engine_wheel(folder: Path) -> Path:
    """Write the engine's wheel into `folder` and return its path."""
    distribution = _distribution()
    name, version = _normalized(distribution.metadata["Name"]), distribution.version
    info = f"{name}-{version}.dist-info"
    entries: list[tuple[str, bytes]] = []
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE.parent)
        if path.is_file() and not _SKIPPED_PARTS.intersection(relative.parts) and path.suffix not in (".pyc", ".pyo"):
            entries.append((relative.as_posix(), path.read_bytes()))
    # METADATA in an installed wheel, PKG-INFO (the same format) in a source tree's egg-info
    core = distribution.read_text("METADATA") or distribution.read_text("PKG-INFO")
    if not core:
        raise UsageError(f"{DISTRIBUTION}: its installed metadata is missing; reinstall it with pip")
    entries.append((f"{info}/METADATA", core.encode()))
    entry_points = distribution.read_text("entry_points.txt")
    if entry_points:
        entries.append((f"{info}/entry_points.txt", entry_points.encode()))
    wheel = f"Wheel-Version: 1.0\nGenerator: {name} {version}\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    entries.append((f"{info}/WHEEL", wheel.encode()))
    record = "".join(f"{member},sha256={_digest(data)},{len(data)}\n" for member, data in entries)
    entries.append((f"{info}/RECORD", (record + f"{info}/RECORD,,\n").encode()))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in entries:
            item = zipfile.ZipInfo(member, date_time=_FIXED_TIME)
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(item, data)
    return target


def _distribution() -> metadata.Distribution:
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise UsageError(f"the grader is not installed as a package ({DISTRIBUTION}), so it cannot copy itself: "
                         "install it with pip install . (or pip install -e .)") from None
    return distribution


def _normalized(name: str) -> str:
    """A distribution name as wheel file names spell it (PEP 427: runs of -_. become _)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
