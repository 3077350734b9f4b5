"""Every attack in tests/attacks/ is graded, and the test asserts that the attack failed.

Each attack submission carries honest code whose score is known (correct, or wrong in a
known way), so "the attack failed" is checked as: the score is exactly what the honest
code earns, nothing the attack found shows anywhere in the report (it would raise or print
it), the secret in the grader's environment appears nowhere, no process it started is left,
no canary file appeared outside its scratch directory, the loopback listener received
nothing, and the results file is unchanged.

Both isolation modes run. Under bubblewrap everything is asserted. The fallback (no
bubblewrap) is held to what it promises (the grader survives, nothing is left running,
the environment is scrubbed, the score is unaffected); its documented gaps (it can read
world-readable files, reach the network, write where its uid may) are not asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.pipeline import Assignment, grade_path, load_assignment
from grader.sandbox import isolation
from grader.sandbox.client import Sandbox
from grader.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = Path(__file__).resolve().parent / "attacks"
SPEC_PATH = ROOT / "assignments" / "linreg" / "spec.toml"
SECRET_NAME = "GRADER_LMS_TOKEN"
SECRET = f"canary-secret-{uuid.uuid4().hex}"
IS_ROOT = os.geteuid() == 0
BWRAP = isolation.detect().mode == "bubblewrap" if os.environ.get(isolation.ISOLATION_ENV) != "fallback" else False


@dataclass(frozen=True)
class Attack:
    name: str
    score: float  # what the honest code in it earns
    fallback: bool = True  # run in the fallback mode too (value-level attacks do not depend on the mode)
    fallback_exact: bool = True  # in the fallback, also the exact score and no leak (else: a documented gap)
    at_most: bool = False  # the attack may cost its own checks their time: the score is at most `score`


ATTACK_LIST = [
    Attack("read_files", 10, fallback_exact=False),  # gap: the fallback can read world-readable files
    Attack("read_secrets", 10, fallback_exact=False),  # gap: other processes' command lines are visible
    Attack("stack_inspect", 3, fallback=False),
    Attack("gc_hunt", 7, fallback=False),
    Attack("monkeypatch_numpy", 7, fallback=False),
    Attack("lying_float", 7, fallback=False),
    Attack("lying_ndarray", 6, fallback=False),
    Attack("lying_object", 7, fallback=False),
    Attack("nan_games", 3, fallback=False),
    Attack("forge_frames", 7),
    Attack("fake_report", 7),
    Attack("kill_parent", 7),
    Attack("os_exit_at_import", 0),
    Attack("sys_exit_at_import", 0),  # Python stops at the exit: nothing is defined
    Attack("os_exit_in_function", 7),
    Attack("close_fds", 7),
    Attack("daemon", 10),
    Attack("fork_storm", 10),
    Attack("memory_bomb", 10),
    Attack("write_canary", 10, fallback_exact=False),  # gap: it may write where its uid may (/tmp)
    Attack("network", 10, fallback_exact=False),  # gap: the fallback reaches the network
    Attack("ptrace_zygote", 10, fallback_exact=False),  # gap: it sees the host's processes
    Attack("output_flood", 10),
    Attack("scratch_snoop", 10, fallback=False),
    Attack("import_grader", 10, fallback=False),
    # the crashes and stalls of issue 13: each ends in a written result with the honest code's score
    Attack("surrogate_in_error", 7, fallback=False),
    Attack("surrogate_in_repr", 7, fallback=False),
    Attack("surrogate_in_load_note", 10, fallback=False),
    Attack("forged_loaded_frame", 0, fallback=False),
    Attack("bad_unicode_escape", 7, fallback=False),
    Attack("backslash_padding", 7, fallback=False),
    Attack("json_amplification", 7, fallback=False),
    Attack("kernel_surface", 10),  # the system-call filter, in both modes
    Attack("seccomp_daemon", 10),  # the zygote's sweep between parts, whatever the submission's own filters
    Attack("posix_timer", 10),
    # Past the group's memory the kernel ends children while the parent waits: Loss may run out of time.
    Attack("memory_fork_storm", 10, at_most=True),
    Attack("public_numbers_gradient", 6, fallback=False),  # values only: the mode does not matter
    Attack("public_numbers_loss", 7, fallback=False),
]


def test_every_attack_file_is_listed() -> None:
    files = {p.stem for p in ATTACKS.glob("*.py")}
    assert files == {a.name for a in ATTACK_LIST}


# ------------------------------------------------------------------ the world around a run


class Listener:
    """A TCP and a UDP socket on 127.0.0.1 that count whatever reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.connections = 0
        self.datagrams = 0
        self._stop = False
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self._threads = [threading.Thread(target=self._accept, daemon=True),
                         threading.Thread(target=self._receive, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                connection, _ = self.tcp.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def _receive(self) -> None:
        while not self._stop:
            try:
                self.udp.recvfrom(4096)
            except OSError:
                continue
            self.datagrams += 1

    def close(self) -> None:
        self._stop = True
        for thread in self._threads:
            thread.join(1)
        self.tcp.close()
        self.udp.close()


@dataclass
class World:
    listener: Listener
    shared: Path  # a world-writable folder in the host's /tmp
    results: Path  # the results location
    results_file: Path
    results_text: str


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    listener = Listener()
    shared = Path(tempfile.mkdtemp(prefix="grader-attack-shared-", dir="/tmp"))
    shared.chmod(0o777)
    results = Path(tempfile.mkdtemp(prefix="grader-attack-results-", dir="/tmp"))
    results_file = results / "results.json"
    results_text = json.dumps({"student": "someone", "score": 3.0})
    results_file.write_text(results_text)
    try:
        yield World(listener, shared, results, results_file, results_text)
    finally:
        listener.close()
        shutil.rmtree(shared, ignore_errors=True)
        shutil.rmtree(results, ignore_errors=True)


@pytest.fixture(scope="module")
def secret_env() -> Iterator[None]:
    """The grader's environment holds a secret (as an LMS token would) for the whole module."""
    saved = os.environ.get(SECRET_NAME)
    os.environ[SECRET_NAME] = SECRET
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(SECRET_NAME, None)
        else:
            os.environ[SECRET_NAME] = saved


@pytest.fixture(scope="module")
def attack_assignment() -> Assignment:
    return load_assignment(load_spec(SPEC_PATH))


MODES = [pytest.param("bubblewrap", marks=pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable here")),
         "fallback"]


@pytest.fixture(scope="module", params=MODES)
def mode_sandbox(request: pytest.FixtureRequest, secret_env: None) -> Iterator[Sandbox]:
    mode = request.param
    note = None if mode == "bubblewrap" else isolation.FALLBACK_NOTE
    with Sandbox(isolation.Isolation(mode, note)) as sandbox:
        _ = sandbox.versions  # wait until it is warm
        BASELINE[sandbox._process.pid] = _descendants(sandbox._process.pid)
        yield sandbox


BASELINE: dict[int, set[int]] = {}  # the warm worker's own processes, before any submission


def _descendants(root: int) -> set[int]:
    """Live (non-zombie) processes under `root`: in the fallback, escaped daemons are re-parented
    to the zygote (a subreaper); under bubblewrap they stay inside its PID namespace."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


# ------------------------------------------------------------------ running an attack


def _config(world: World, marker: str, mode: str) -> dict[str, Any]:
    return {"repo": str(ROOT), "marker": marker, "port": world.listener.port, "secret": SECRET,
            "canary": str(world.shared / f"{marker}-daemon.txt"),
            "dirs": [str(world.shared), "/tmp", str(world.results)], "files": [str(world.results_file)],
            "processes": load_spec(SPEC_PATH).limits.processes,
            # kill(-1) by a submission running as the grader's own user would kill the test run itself
            "kill_all": IS_ROOT or mode == "bubblewrap"}


def _submission(name: str, config: dict[str, Any], folder: Path) -> Path:
    source = (ATTACKS / f"{name}.py").read_text()
    assert "CONFIG = {}" in source, f"{name}: no CONFIG line"
    path = folder / f"{name}.py"
    path.write_text(source.replace("CONFIG = {}", f"CONFIG = {config!r}", 1))
    return path


def _processes_with(marker: str) -> list[str]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open(f"/proc/{entry}/comm") as handle:
                comm = handle.read().strip()
            with open(f"/proc/{entry}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and (marker in cmdline or marker[:15] == comm):
            found.append(f"{entry}: {cmdline or comm}")
    return found


def _left_in(sandbox: Sandbox | None) -> list[str]:
    if sandbox is None:
        return []
    extra = _descendants(sandbox._process.pid) - BASELINE.get(sandbox._process.pid, set())
    return [f"{pid} (under the sandbox)" for pid in sorted(extra)]


def _no_survivors(marker: str, sandbox: Sandbox | None = None, seconds: float = 3.0) -> None:
    """Killing is asynchronous: give the kernel a moment, then nothing may be left."""
    deadline = time.monotonic() + seconds
    while True:
        left = _processes_with(marker) + _left_in(sandbox)
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"processes survived grading: {left}"


def _canaries(world: World, marker: str) -> list[str]:
    places = [ROOT, ROOT / "solutions", ROOT / "grader", world.shared, Path("/tmp"), world.results,
              Path("/dev/shm"), Path("/var/tmp")]
    return [str(p) for place in places if place.is_dir() for p in place.glob(f"*{marker}*")]


def _grade_library(path: Path, sandbox: Sandbox, assignment: Assignment) -> dict[str, Any]:
    result = grade_path(path, assignment, sandbox)
    data: dict[str, Any] = result.to_json()
    return data


def _assert_complete(report: dict[str, Any]) -> None:
    checks = [c for p in report["parts"] for c in p["checks"]]
    assert len(checks) == 6, "every check must be graded and listed"
    assert all(c["status"] in ("passed", "failed", "error", "timeout") for c in checks)


def _clean(world: World, marker: str) -> None:
    for path in _canaries(world, marker):
        try:
            os.unlink(path)
        except OSError:
            pass
    world.results_file.write_text(world.results_text)


@pytest.mark.parametrize("attack", ATTACK_LIST, ids=[a.name for a in ATTACK_LIST])
def test_attack_fails(attack: Attack, mode_sandbox: Sandbox, attack_assignment: Assignment, world: World,
                      tmp_path: Path) -> None:
    mode = mode_sandbox.isolation.mode
    if mode == "fallback" and not attack.fallback:
        pytest.skip("covered under bubblewrap only (keeps the run short)")
    strict = mode == "bubblewrap" or attack.fallback_exact
    marker = f"atk{uuid.uuid4().hex[:10]}"
    config = _config(world, marker, mode)
    path = _submission(attack.name, config, tmp_path)
    before = world.listener.connections + world.listener.datagrams
    try:
        started = time.monotonic()
        report = _grade_library(path, mode_sandbox, attack_assignment)
        graded_at = time.monotonic()
        text = json.dumps(report, ensure_ascii=False)
        text.encode("utf-8")  # valid Unicode: a lone surrogate from the student's side would raise here

        # the grader survived and graded every check; the secret is nowhere
        _assert_complete(report)
        assert SECRET not in text and SECRET_NAME not in text
        _no_survivors(marker, mode_sandbox)
        if mode == "fallback":
            assert report["isolation_note"].startswith(isolation.FALLBACK_NOTE)
        else:
            assert report["isolation_note"] == mode_sandbox.note
        if attack.name == "memory_fork_storm" and mode_sandbox._hierarchy is None:
            pytest.skip("no cgroup can be made here: memory is limited per process only (the report's note says so)")

        if strict:
            assert "LEAK" not in text, f"the attack found something: {_leaks(report)}"
            if attack.at_most:
                assert report["score"] <= attack.score, _summary(report)
            else:
                assert report["score"] == attack.score, _summary(report)
            assert world.listener.connections + world.listener.datagrams == before, "the listener was reached"
            assert not _canaries(world, marker), f"canary files written: {_canaries(world, marker)}"
            assert world.results_file.read_text() == world.results_text, "the results file was changed"
        else:
            assert report["score"] <= attack.score, _summary(report)
            # even in the fallback the repository and the results (owned by another uid) stay untouched
            if IS_ROOT:
                repo_canaries = [c for c in _canaries(world, marker) if c.startswith(str(ROOT))]
                assert not repo_canaries, f"canary files written in the repository: {repo_canaries}"
                assert world.results_file.read_text() == world.results_text

        _specific_checks(attack, report, world, marker, mode, graded_at - started)
    finally:
        _clean(world, marker)


def _specific_checks(attack: Attack, report: dict[str, Any], world: World, marker: str, mode: str,
                     seconds: float) -> None:
    statuses = {c["id"]: c["status"] for p in report["parts"] for c in p["checks"]}
    if attack.name == "os_exit_at_import":
        assert report["error"] and "os._exit(0) ends the process" in report["error"], report["error"]
        assert "passed" not in set(statuses.values())
    if attack.name == "sys_exit_at_import":
        assert report["error"] and "SystemExit" in report["error"], report["error"]
        assert "passed" not in set(statuses.values())
    if attack.name in ("kill_parent", "os_exit_in_function", "close_fds"):
        # only the checks of the attacking function are lost; the others were graded and passed
        assert statuses["gradient-trajectory"] == statuses["update-property"] == "passed"
    if attack.name == "daemon":
        # a survivor would write its canary 1.5 s after it started: wait that long, then look
        time.sleep(max(0.0, 2.0 - seconds))
        assert not Path(world.shared / f"{marker}-daemon.txt").exists(), "a daemon survived grading"
    if attack.name == "output_flood":
        assert len(report["output"].encode()) <= 64 * 1024 + 16
        assert len(json.dumps(report)) < 200_000
    if attack.name.startswith("surrogate_in_"):
        assert "\ufffd" in json.dumps(report, ensure_ascii=False)  # the student's text is kept, made valid
    if attack.name == "surrogate_in_load_note":
        assert report["error"] and "RuntimeError: \ufffd at import" in report["error"], report["error"]
    if attack.name == "forged_loaded_frame":
        assert report["error"] and "malformed message while its code was being loaded" in report["error"]
    if attack.name in ("bad_unicode_escape", "backslash_padding", "json_amplification"):
        # only the Loss checks are lost (a malformed reply); the others were graded and passed
        assert statuses["gradient-trajectory"] == statuses["update-property"] == "passed", _summary(report)
    if attack.name == "fork_storm":
        assert "fork storm:" in report["output"]
    if attack.name == "memory_fork_storm":
        assert "memory fork storm:" in report["output"]
    if attack.name == "public_numbers_gradient":
        assert statuses["gradient-trajectory"] == "failed"
    if attack.name == "public_numbers_loss":
        assert statuses["loss-trajectory"] == "failed"


def _leaks(report: dict[str, Any]) -> str:
    text = report["output"][:500]
    feedback = [c["feedback"][:300] for p in report["parts"] for c in p["checks"] if "LEAK" in c["feedback"]]
    return f"output: {text!r}; feedback: {feedback}"


def _summary(report: dict[str, Any]) -> str:
    return "; ".join(f"{c['id']}={c['status']}: {c['feedback'][:200]}" for p in report["parts"] for c in p["checks"])


# ------------------------------------------------------------------ two submissions in a row


def test_submissions_do_not_share_scratch(mode_sandbox: Sandbox, attack_assignment: Assignment, world: World,
                                          tmp_path: Path) -> None:
    """A note left in /tmp, /dev/shm or the scratch folder is not found by the next submission."""
    if mode_sandbox.isolation.mode == "fallback":
        pytest.skip("the fallback's scratch folders are separate but its /tmp is the host's (documented)")
    reports = []
    for index in range(2):
        folder = tmp_path / str(index)
        folder.mkdir()
        config = _config(world, f"snoop{index}{uuid.uuid4().hex[:8]}", "bubblewrap")
        reports.append(_grade_library(_submission("scratch_snoop", config, folder), mode_sandbox, attack_assignment))
    for report in reports:
        assert "LEAK" not in json.dumps(report), _leaks(report)
        assert report["score"] == 10, _summary(report)


# ------------------------------------------------------------------ through the command line


def _grade_cli(path: Path, mode: str, timeout: float = 60) -> tuple[int, str, dict[str, Any]]:
    env = dict(os.environ)
    env[SECRET_NAME] = SECRET
    env.pop(isolation.ISOLATION_ENV, None)
    if mode == "fallback":
        env[isolation.ISOLATION_ENV] = "fallback"
    done = subprocess.run([sys.executable, "-m", "grader.cli", str(path), "--json"], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL, cwd=str(ROOT))
    return done.returncode, done.stdout, json.loads(done.stdout)


CLI_MODES = [pytest.param("bubblewrap", marks=pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable here")),
             "fallback"]


@pytest.mark.parametrize("mode", CLI_MODES)
def test_fake_report_never_reaches_the_real_report(mode: str, world: World, tmp_path: Path) -> None:
    marker = f"atk{uuid.uuid4().hex[:10]}"
    path = _submission("fake_report", _config(world, marker, mode), tmp_path)
    code, stdout, report = _grade_cli(path, mode)
    assert code == 1
    assert stdout.count("\n") == 1 and stdout.endswith("}\n"), "stdout must be exactly one JSON object"
    assert report["score"] == 7
    printed = report.pop("output")
    assert "FAKE-REPORT" in printed  # it did print: into the submission's output field, and only there
    assert "FAKE-REPORT" not in json.dumps(report)
    _no_survivors(marker)


@pytest.mark.parametrize("mode", CLI_MODES)
@pytest.mark.parametrize("name,score", [("kill_parent", 7), ("os_exit_at_import", 0), ("sys_exit_at_import", 0)])
def test_cli_survives(name: str, score: float, mode: str, world: World, tmp_path: Path) -> None:
    marker = f"atk{uuid.uuid4().hex[:10]}"
    path = _submission(name, _config(world, marker, mode), tmp_path)
    code, stdout, report = _grade_cli(path, mode)
    assert code == (0 if score == 10 else 1)
    _assert_complete(report)
    assert report["score"] == score
    assert SECRET not in stdout
    _no_survivors(marker)


# ------------------------------------------------------------------ memory per submission


def test_memory_fork_storm_stays_within_the_submission_limit(mode_sandbox: Sandbox, attack_assignment: Assignment,
                                                             world: World, tmp_path: Path) -> None:
    """Twenty children of 64 MiB each: the submission as a whole never holds more than the spec's
    memory_mb (as its cgroup counted it), the grader survives and nothing is left running."""
    if mode_sandbox._hierarchy is None:
        pytest.skip("no cgroup can be made here (the isolation note says memory is limited per process only)")
    marker = f"atk{uuid.uuid4().hex[:10]}"
    path = _submission("memory_fork_storm", _config(world, marker, mode_sandbox.isolation.mode), tmp_path)
    report = _grade_library(path, mode_sandbox, attack_assignment)
    _assert_complete(report)
    assert "LEAK" not in json.dumps(report), _leaks(report)
    limit = attack_assignment.spec.limits.memory_mb * 1024 * 1024
    assert mode_sandbox.last_peak_bytes is not None and 0 < mode_sandbox.last_peak_bytes <= limit
    _no_survivors(marker, mode_sandbox)


def test_without_a_cgroup_the_note_says_so(attack_assignment: Assignment, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no cgroup can be made (here: turned off), grading still works and the note says which
    limits held."""
    from grader.sandbox.client import CGROUPS_ENV

    monkeypatch.setenv(CGROUPS_ENV, "off")
    path = tmp_path / "reference.py"
    path.write_text((ROOT / "tests" / "fixtures" / "submissions" / "pass__reference.py").read_text())
    with Sandbox(isolation.detect()) as sandbox:
        report = grade_path(path, attack_assignment, sandbox).to_json()
    assert report["score"] == 10
    assert isolation.NO_CGROUP_NOTE in report["isolation_note"]


# ------------------------------------------------------------------ published numbers, self-check


@pytest.mark.parametrize("name,check", [("public_numbers_gradient", "gradient-trajectory"),
                                        ("public_numbers_loss", "loss-trajectory")])
def test_public_numbers_earn_nothing_in_the_self_check(name: str, check: str, world: World, tmp_path: Path) -> None:
    """The self-check has no reference; what its build stores still fails both cheats."""
    from grader.selfcheck import grade_selfcheck, load_selfcheck_assignment

    assignment = load_selfcheck_assignment(load_spec(SPEC_PATH))
    path = _submission(name, _config(world, f"pub{uuid.uuid4().hex[:8]}", "bubblewrap"), tmp_path)
    with Sandbox(isolation.detect()) as sandbox:
        report = grade_selfcheck(path, assignment, sandbox).to_json()
    statuses = {c["id"]: c["status"] for p in report["parts"] for c in p["checks"]}
    assert statuses[check] == "failed", _summary(report)
