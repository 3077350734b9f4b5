"""Every attack in tests/attacks_standins/ is graded, and the test asserts that it failed.

The attacks aim at stand-ins: the recorder in the student's process (grader/sandbox/inside/
standins.py), the records it sends and the grader's decoder (grader/sandbox/records.py), the
comparison (grader/checks/calls.py, driver.py) and the "ask" callbacks (grader/sandbox/client.py,
Session._answering and _callback_answer; grader/checks/answers.py, `uses`). Each attack carries
honest code whose score is known, so "the attack failed" is checked as:

* the score is exactly what the honest code earns;
* every check is graded and listed, and none was lost to an exception of the grader's own (the
  "could not be read (SomeError)" verdict of run_check: the grader raised instead of deciding);
* no check took much longer than its time limit (SLACK: what deciding a verdict may add);
* for the attacks on the grader's memory, its peak memory grew by a bounded amount.

The attacks that can exhaust memory run in a child process with an address-space limit
(ISOLATED_AS_BYTES): unbounded, records_bomb_same ran the grader's process to 24 GB of resident
memory on a 23 GB machine and the kernel's OOM killer ended it.
"""

from __future__ import annotations

import dataclasses
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from grader.build import compute, load_build
from grader.checks.context import Shared
from grader.errors import SpecError
from grader.messages import t
from grader.pipeline import Assignment, grade_path, load_assignment
from grader.plain import decode
from grader.reference import Reference
from grader.sandbox.client import Sandbox
from grader.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = Path(__file__).resolve().parent / "attacks_standins"
LINREG = ROOT / "assignments" / "linreg" / "spec.toml"
LOGREG = ROOT / "assignments" / "logreg" / "spec.toml"
SLACK = 1.5  # seconds past a check's limit the grader may spend deciding (decoding, comparing, naming)
FAST_CHECK_SECONDS = 2.0  # logreg's checks, shortened so that attacks that run into the limit stay quick
ISOLATED_AS_BYTES = 3 * 1024**3  # the child grader's address space: a bomb meets MemoryError, not the OOM killer
MEMORY_GROWTH_MB = 300  # what grading one submission may add to the grader's resident memory
_UNREADABLE = t("lost.unreadable", kind="\0").split("\0")[0]  # run_check's verdict on an exception of its own


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture(scope="module")
def logreg() -> Assignment:
    return load_assignment(load_spec(LOGREG))


@pytest.fixture(scope="module")
def logreg_fast(logreg: Assignment) -> Assignment:
    """logreg with every check limited to FAST_CHECK_SECONDS (the build is the same)."""
    spec = logreg.spec
    limits = dataclasses.replace(spec.limits, check_seconds=FAST_CHECK_SECONDS)
    return dataclasses.replace(logreg, spec=dataclasses.replace(spec, limits=limits), shared=Shared())


def _submission(name: str, config: dict[str, Any], folder: Path) -> Path:
    source = (ATTACKS / f"{name}.py").read_text()
    assert "CONFIG = {}" in source, f"{name}: no CONFIG line"
    path = folder / f"{name}.py"
    path.write_text(source.replace("CONFIG = {}", f"CONFIG = {config!r}", 1))
    return path


def _checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for p in report["parts"] for c in p["checks"]]


def _limits(assignment: Assignment) -> dict[str, float]:
    spec = assignment.spec
    return {c.id: c.seconds or spec.limits.check_seconds for p in spec.parts for c in p.checks}


def _summary(report: dict[str, Any]) -> str:
    return "; ".join(f"{c['id']}={c['status']} ({c['duration_s']:.2f} s): {c['feedback'][:160]}"
                     for c in _checks(report))


def _grade(name: str, config: dict[str, Any], assignment: Assignment, sandbox: Sandbox,
           folder: Path) -> tuple[dict[str, Any], float]:
    path = _submission(name, config, folder)
    started = time.monotonic()
    report: dict[str, Any] = grade_path(path, assignment, sandbox).to_json()
    return report, time.monotonic() - started


def _assert_holds(report: dict[str, Any], assignment: Assignment, honest: float,
                  seconds: float | None = None) -> None:
    """What every attack must leave true (see the module's docstring)."""
    checks = _checks(report)
    limits = _limits(assignment)
    assert [c["id"] for c in checks] == list(limits), "every check must be graded and listed"
    assert all(c["status"] in ("passed", "failed", "error", "timeout") for c in checks)
    assert report["error"] is None, report["error"]
    raised = [f"{c['id']}: {c['feedback']}" for c in checks if c["feedback"].startswith(_UNREADABLE)]
    assert not raised, f"the grader raised instead of deciding: {raised}"
    assert "LEAK" not in json.dumps(report), f"the attack found something: {report['output'][:500]}"
    assert report["score"] == honest, _summary(report)
    slow = [f"{c['id']}: {c['duration_s']:.2f} s (limit {limits[c['id']]:g} s)" for c in checks
            if c["duration_s"] > limits[c["id"]] + SLACK]
    assert not slow, f"checks ran far past their time limit: {slow}"
    if seconds is not None:
        assert seconds <= sum(limits.values()) + SLACK * len(limits), f"grading took {seconds:.1f} s"


# ------------------------------------------------------------------ 1. tampering with the recorder


TAMPERING = ["clear_rows", "repeat_first", "negative_extra", "huge_extra", "nan_rows", "liar_rows", "params_cut",
             "rows_short", "snapshot_garbage", "snapshot_swap", "swap_namespace", "frame_records", "patch_column",
             "patch_numpy", "patch_operator", "rows_of_script"]


@pytest.mark.parametrize("strategy", TAMPERING)
def test_tampered_recorder_earns_nothing(strategy: str, sandbox: Sandbox, assignment: Assignment,
                                         tmp_path: Path) -> None:
    report, seconds = _grade("tamper_recorder", {"strategy": strategy}, assignment, sandbox, tmp_path)
    _assert_holds(report, assignment, honest=7, seconds=seconds)
    statuses = {c["id"]: c["status"] for c in _checks(report)}
    assert statuses["update-trajectory"] != "passed" and statuses["update-property"] != "passed"


MALFORMED_RECORDS = ["not_dict", "table_not_dict", "calls_bool", "calls_negative", "calls_float", "calls_huge",
                     "calls_many_digits", "columns_list", "too_many_tables", "too_many_columns", "floats_int_dtype",
                     "floats_wrong_shape", "floats_2d", "index_out_of_range", "index_minus_two", "index_minus_one",
                     "index_float", "index_missing", "same_two_values", "same_no_value", "values_too_many",
                     "value_bad_kind", "value_deep", "array_bytes_mismatch", "array_shape_overflow",
                     "array_bad_dtype", "number_bad_payload", "number_huge_int", "missing_param", "changed_lie",
                     "nan_floats", "column_not_dict", "empty_table", "no_table", "long_names"]


@pytest.mark.parametrize("variant", MALFORMED_RECORDS)
def test_malformed_records_are_refused(variant: str, sandbox: Sandbox, assignment: Assignment,
                                       tmp_path: Path) -> None:
    report, seconds = _grade("malformed_records", {"variant": variant}, assignment, sandbox, tmp_path)
    _assert_holds(report, assignment, honest=7, seconds=seconds)


LIES = ["liar_floats", "liar_floats_eq", "lying_X_subclass", "lying_X_object", "object_array_X", "raising_X",
        "recursive_X", "huge_int_w", "liar_return", "lying_return_array"]


@pytest.mark.parametrize("variant", LIES)
def test_lying_arguments_earn_nothing(variant: str, sandbox: Sandbox, assignment: Assignment,
                                      tmp_path: Path) -> None:
    """Found: liar_floats, liar_floats_eq and liar_return pass (7 -> 10): what is recorded and judged
    for a float subclass is its __float__ (see the attack's docstring)."""
    report, seconds = _grade("lying_arguments", {"variant": variant}, assignment, sandbox, tmp_path)
    _assert_holds(report, assignment, honest=7, seconds=seconds)


# ------------------------------------------------------------------ 2. the recorder's bounds


def test_too_many_calls_cannot_pass(sandbox: Sandbox, assignment: Assignment, tmp_path: Path) -> None:
    report, seconds = _grade("too_many_calls", {}, assignment, sandbox, tmp_path)
    _assert_holds(report, assignment, honest=7, seconds=seconds)
    trajectory = next(c for c in _checks(report) if c["id"] == "update-trajectory")
    assert trajectory["status"] == "failed" and "far more than it should" in trajectory["feedback"], trajectory


@pytest.mark.parametrize("config", [{}, {"grow": True}], ids=["offsets", "growing"])
def test_many_distinct_values_cannot_pass(config: dict[str, Any], sandbox: Sandbox, assignment: Assignment,
                                          tmp_path: Path) -> None:
    report, seconds = _grade("many_distinct", config, assignment, sandbox, tmp_path)
    _assert_holds(report, assignment, honest=7, seconds=seconds)


# ------------------------------------------------------------------ 3. what the stand-ins give away


def test_replayed_gradients_in_the_self_check_earn_nothing(sandbox: Sandbox, assignment: Assignment,
                                                           tmp_path: Path) -> None:
    """Found, and closed: the replay stand-in's answers (the reference's 1000 gradients along the
    document's path) were in build/selfcheck.json, which ships in the student bundle; as a lookup
    table they passed gradient-trajectory (2 points) for a wrong gradient_descent (6 -> 8). The
    self-check now scripts a few values unrelated to the reference's in their place."""
    official = load_build(assignment.spec, "official").checks["update-trajectory"]
    replayed = {tuple(float(v) for v in g) for g in official["settings"][0]["scripts"]["gradient_descent"]}
    assert len(replayed) == 1000
    shipped = load_build(assignment.spec, "self-check").checks["update-trajectory"]
    gradients = [[float(g[0]), float(g[1])] for g in shipped["settings"][0]["scripts"]["gradient_descent"]]
    assert not replayed & {tuple(g) for g in gradients}, "the bundle holds the reference's replayed answers"
    report, seconds = _grade("selfcheck_gradient_table", {"gradients": gradients}, assignment, sandbox, tmp_path)
    _assert_holds(report, assignment, honest=6, seconds=seconds)


def _update_before_gradient(folder: Path) -> Path:
    """linreg's spec with the update part (gradient_descent replayed) moved before the gradient part."""
    text = LINREG.read_text()
    head, *parts = re.split(r"(?m)^(?=\[\[parts\]\]\s*$)", text)
    names = [re.search(r'(?m)^name = "(\w+)"', part).group(1) for part in parts]  # type: ignore[union-attr]
    assert names == ["Loss", "gradient_descent", "update"], names
    head = head.replace('reference = "../../solutions/linreg.py"',
                        f'reference = "{(ROOT / "solutions" / "linreg.py").as_posix()}"')
    head = head.replace('stub = "linreg.py"', f'stub = "{(LINREG.parent / "linreg.py").as_posix()}"')
    path = folder / "spec.toml"
    path.write_text(head + parts[0] + parts[2] + parts[1])
    return path


def test_replay_of_a_later_part_is_refused_or_earns_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    """Found: _validate_uses looks at `uses` only; a driver's "replay"/"reference" stand-in for a
    function whose part is graded later is accepted, and the replayed answers, kept in the scratch
    folder, pass that later part's trajectory check (6 -> 8)."""
    try:
        spec = load_spec(_update_before_gradient(tmp_path))
    except SpecError:
        return  # refused: the reference's answers never precede the student's own
    assert spec.reference is not None
    content = compute(spec, "official", Reference(spec.reference))
    reordered = load_assignment(spec, "official", {key: decode(value) for key, value in content["checks"].items()})
    folder = tmp_path / "submission"
    folder.mkdir()
    report, seconds = _grade("replay_stash", {}, reordered, sandbox, folder)
    _assert_holds(report, reordered, honest=6, seconds=seconds)


def test_asked_sigmoid_tells_nothing_more(sandbox: Sandbox, logreg: Assignment, tmp_path: Path) -> None:
    report, seconds = _grade("ask_probe", {}, logreg, sandbox, tmp_path)
    _assert_holds(report, logreg, honest=5, seconds=seconds)
    assert "ASKED:" in report["output"], "the probe did not run"


# ------------------------------------------------------------------ 4. callbacks


MALFORMED_CALLBACKS = ["variant_negative", "variant_bool", "variant_huge", "variant_null", "index_float",
                       "index_huge", "name_other", "name_reference_only", "name_missing", "name_object",
                       "args_not_list", "args_empty", "args_unknown_kind", "args_nested_seq", "args_json_deep",
                       "args_nested_arrays", "args_array_too_big", "args_shape_mismatch",
                       "args_zero_size_huge_shape", "not_json", "huge_header", "cut_short", "forged_batch",
                       "well_formed"]


@pytest.mark.parametrize("variant", MALFORMED_CALLBACKS)
def test_malformed_callbacks_are_refused(variant: str, sandbox: Sandbox, logreg_fast: Assignment,
                                         tmp_path: Path) -> None:
    report, seconds = _grade("malformed_callbacks", {"variant": variant}, logreg_fast, sandbox, tmp_path)
    _assert_holds(report, logreg_fast, honest=5, seconds=seconds)


@pytest.mark.parametrize("variant", ["well_formed", "variant_negative", "name_other"])
def test_callbacks_without_an_asked_function_are_refused(variant: str, sandbox: Sandbox, assignment: Assignment,
                                                         tmp_path: Path) -> None:
    report, seconds = _grade("malformed_callbacks", {"variant": variant}, assignment, sandbox, tmp_path)
    _assert_holds(report, assignment, honest=7, seconds=seconds)


def test_callback_flood_ends_at_the_time_limit(sandbox: Sandbox, logreg_fast: Assignment, tmp_path: Path) -> None:
    report, seconds = _grade("callback_flood", {}, logreg_fast, sandbox, tmp_path)
    _assert_holds(report, logreg_fast, honest=5, seconds=seconds)


def test_paced_callbacks_end_at_the_time_limit(sandbox: Sandbox, logreg_fast: Assignment, tmp_path: Path) -> None:
    """Found: the grader answers callback frames it has already read without looking at the clock,
    so a submission that reads the answers one at a time holds it long past the limit (here
    ~8 s for a 2 s check; up to the limit per frame, some 600 frames per read, is possible)."""
    report, seconds = _grade("callback_pacing", {"frames": 600, "pace": 0.015}, logreg_fast, sandbox, tmp_path)
    _assert_holds(report, logreg_fast, honest=5, seconds=seconds)


# ------------------------------------------------------------------ 5. the grader's memory (child process)


_CHILD = r"""
import json, sys, time
from pathlib import Path
from grader.pipeline import grade_path, load_assignment
from grader.sandbox.client import Sandbox
from grader.spec import load_spec

def status(key):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(key + ":"))

assignment = load_assignment(load_spec(Path(sys.argv[1])))
with Sandbox() as sandbox:
    _ = sandbox.versions
    for item in sys.argv[2:]:
        label, path = item.split("=", 1)
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # the peak (VmHWM) starts again from what is resident now
        base = status("VmRSS")
        started = time.monotonic()
        try:
            report = grade_path(Path(path), assignment, sandbox).to_json()
            problem = None
        except BaseException as error:
            report, problem = None, f"{type(error).__name__}: {error}"[:500]
        seconds = time.monotonic() - started
        print("RESULT " + json.dumps({"label": label, "report": report, "problem": problem, "seconds": seconds,
                                      "growth_mb": (status("VmHWM") - base) / 1024}), flush=True)
"""

ISOLATED = {  # label: (attack, config, what the honest code earns)
    "baseline": ("records_flood", {"variant": "baseline", "delay": 0.0}, 7),
    "values_flood": ("records_flood", {"variant": "values", "delay": 2.4}, 7),
    "fingerprint_flood": ("records_flood", {"variant": "fingerprint", "delay": 0.0}, 7),
    "bomb_same": ("records_bomb_same", {}, 7),
    "bomb_any_reply": ("records_bomb_any_reply", {}, 7),
}


def _limit_address_space() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (ISOLATED_AS_BYTES, hard))


@pytest.fixture(scope="module")
def isolated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The memory attacks, graded one after the other by a grader in a child process whose address
    space is limited (the bombs last: they leave that process's heap fragmented)."""
    folder = tmp_path_factory.mktemp("isolated")
    items = []
    for label, (name, config, _) in ISOLATED.items():
        sub = folder / label
        sub.mkdir()
        items.append(f"{label}={_submission(name, config, sub)}")
    done = subprocess.run([sys.executable, "-c", _CHILD, str(LINREG), *items], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, preexec_fn=_limit_address_space)
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            results[result["label"]] = result
    for label in ISOLATED:
        results.setdefault(label, {"label": label, "report": None, "seconds": None, "growth_mb": None,
                                   "problem": f"the child grader ended (exit {done.returncode}) before "
                                              f"reporting: {done.stderr[-800:]}"})
    return results


@pytest.mark.parametrize("label", list(ISOLATED))
def test_records_keep_the_grader_bounded(label: str, isolated: dict[str, dict[str, Any]],
                                         assignment: Assignment) -> None:
    """Found (bomb_same, bomb_any_reply): "same" record columns make the decoder allocate an index
    of `calls` int64 each: a reply of some 160 KB asks for 6.5 GB, and records are decoded on every
    reply (also of plain calls and batches). Found (values_flood): one reply at the frame limit
    costs the grader ~3 s and ~400 MB to decode, after the check's time is up."""
    result = isolated[label]
    assert result["problem"] is None, result["problem"]
    report = result["report"]
    honest = ISOLATED[label][2]
    growth = result["growth_mb"]
    try:
        _assert_holds(report, assignment, honest=honest, seconds=result["seconds"])
    finally:
        print(f"{label}: {result['seconds']:.2f} s, peak memory +{growth:.0f} MB; {_summary(report)}")
    assert growth <= MEMORY_GROWTH_MB, f"the grader's memory grew by {growth:.0f} MB"
