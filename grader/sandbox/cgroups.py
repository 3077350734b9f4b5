"""A cgroup per submission: its memory and its processes counted as a whole, not per process.

The rlimits the sandbox sets (address space, processes of its uid) bind each process alone: twenty
forked children may each take the spec's memory. Where the machine lets the grader make cgroups
(cgroup v2 with the memory and pids controllers delegated to the grader's own group, or writable
cgroup v1 memory and pids hierarchies, as when grading runs as root), each submission gets its own
group, with memory.max (v1: memory.limit_in_bytes) at the spec's memory_mb and pids.max at its
processes, and its first process joins it before anything of the submission runs. Elsewhere the
rlimits stay the only bound, and the report's isolation note says so.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ROOT = Path("/sys/fs/cgroup")
PIDS_SPARE = 2  # the submission's namespace init and its loaded process, beside the spec's processes
REMOVE_SECONDS = 2.0  # for the kernel to finish emptying a killed group before it can be removed


@dataclass(frozen=True)
class Hierarchy:
    """Where the grader may make groups: one folder per controller (one folder for both in v2)."""

    version: Literal["v1", "v2"]
    memory: Path
    pids: Path

    def describe(self) -> str:
        return f"cgroup {self.version}"


def _own_paths() -> dict[str, str]:
    """This process's cgroup per controller ("" for v2's unified one), from /proc/self/cgroup."""
    found: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as listing:
            for line in listing:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) == 3:
                    for controller in parts[1].split(",") if parts[1] else [""]:
                        found[controller] = parts[2]
    except OSError:
        pass
    return found


def _writable(folder: Path) -> bool:
    """A group can be made (and removed) under `folder`: tried, not guessed from permissions."""
    probe = folder / f"grade-probe-{os.getpid()}"
    try:
        probe.mkdir()
    except OSError:
        return False
    try:
        probe.rmdir()
    except OSError:
        pass
    return True


def _v2() -> Hierarchy | None:
    own = _own_paths().get("")
    if own is None:
        return None
    for mount in (ROOT, ROOT / "unified"):
        base = mount / own.lstrip("/")
        try:
            enabled = (base / "cgroup.subtree_control").read_text().split()
        except OSError:
            continue
        if not {"memory", "pids"} <= set(enabled):
            try:  # refused where this group holds processes itself (v2 has no internal processes)
                (base / "cgroup.subtree_control").write_text("+memory +pids")
            except OSError:
                continue
        if _writable(base):
            return Hierarchy("v2", base, base)
    return None


def _v1() -> Hierarchy | None:
    own = _own_paths()
    folders = {}
    for controller in ("memory", "pids"):
        if controller not in own:
            return None
        base = ROOT / controller / own[controller].lstrip("/")
        if not (base / "cgroup.procs").exists() or not _writable(base):
            return None
        folders[controller] = base
    return Hierarchy("v1", folders["memory"], folders["pids"])


_detected: list[Hierarchy | None] = []


def detect() -> Hierarchy | None:
    """The hierarchy this machine lets the grader use, once per process; None where there is none.
    Empty groups left by a grader that was killed (SIGKILL leaves no time to remove them) go."""
    if not _detected:
        _detected.append(_v2() or _v1() if os.path.isdir(ROOT) else None)
        if _detected[0] is not None:
            _remove_stale(_detected[0])
    return _detected[0]


def _remove_stale(hierarchy: Hierarchy) -> None:
    for base in {hierarchy.memory, hierarchy.pids}:
        try:
            found = list(base.glob("grade-*-s*"))
        except OSError:
            continue
        for folder in found:
            owner = folder.name.split("-")[1]
            if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
                _remove(folder, 0.0)  # (busy: its processes are still dying; the next grader's turn)


class Group:
    """One submission's cgroup(s). `procs()` opens the files its first process writes itself into
    (that process is inside the sandbox, where /sys/fs/cgroup does not show)."""

    def __init__(self, hierarchy: Hierarchy, name: str, memory_mb: int, processes: int) -> None:
        self.hierarchy = hierarchy
        self.folders = sorted({hierarchy.memory / name, hierarchy.pids / name})
        made: list[Path] = []
        try:
            for folder in self.folders:
                folder.mkdir()
                made.append(folder)
            limit = str(memory_mb * 1024 * 1024)
            if hierarchy.version == "v2":
                folder = self.folders[0]
                _write(folder / "memory.max", limit)
                _write(folder / "memory.swap.max", "0", optional=True)
                _write(folder / "memory.oom.group", "1", optional=True)  # one out of memory ends them all
                _write(folder / "pids.max", str(processes + PIDS_SPARE))
            else:
                _write(hierarchy.memory / name / "memory.limit_in_bytes", limit)
                _write(hierarchy.memory / name / "memory.memsw.limit_in_bytes", limit, optional=True)
                _write(hierarchy.pids / name / "pids.max", str(processes + PIDS_SPARE))
        except OSError:
            for folder in made:
                _remove(folder, 0.0)
            raise

    def procs(self) -> list[int]:
        """Open write ends of the groups' `cgroup.procs` (the caller passes and closes them)."""
        return [os.open(folder / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for folder in self.folders]

    def peak_bytes(self) -> int | None:
        """The most memory the submission held at once (what the kernel counted), if known."""
        name = "memory.peak" if self.hierarchy.version == "v2" else "memory.max_usage_in_bytes"
        folder = self.hierarchy.memory / self.folders[0].name
        try:
            return int((folder / name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def tasks(self) -> int | None:
        """How many tasks (threads included) the submission runs now, as the kernel counts them."""
        try:
            return int((self.hierarchy.pids / self.folders[0].name / "pids.current").read_text())
        except (OSError, ValueError):
            return None

    def kill(self, rounds: int = 100) -> None:
        """SIGKILL whatever is still in the group (v2: cgroup.kill, one write; v1: each listed pid,
        for up to `rounds` rounds until none is left)."""
        for folder in self.folders:
            if self.hierarchy.version == "v2" and _write(folder / "cgroup.kill", "1", optional=True):
                continue
            for _ in range(rounds):
                try:
                    pids = [int(p) for p in (folder / "cgroup.procs").read_text().split()]
                except (OSError, ValueError):
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, 9)
                    except OSError:
                        pass
                time.sleep(0.001)

    def remove(self, seconds: float = REMOVE_SECONDS) -> bool:
        """Remove the groups once the kernel has emptied them (waiting up to `seconds`); False if
        one is still busy."""
        return all([_remove(folder, seconds) for folder in self.folders])


def _write(path: Path, value: str, optional: bool = False) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        if optional:
            return False
        raise


def _remove(folder: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        try:
            folder.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError as error:
            if error.errno != errno.EBUSY or time.monotonic() >= deadline:
                return False
            time.sleep(0.002)
