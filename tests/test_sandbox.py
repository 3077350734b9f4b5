"""The sandbox client on its own: how every misbehaviour of a student's process surfaces.

Timeouts, exits and malformed frames become SessionLost("timeout" | "exited" | "protocol"),
the next session after any of them starts a fresh process, the student's environment is
scrubbed and its descriptors are its own. Both isolation modes run.
"""

from __future__ import annotations

import os
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import isolation
from grader.sandbox.client import OWN, Reply, Sandbox, SessionLost, StandIn, SubmissionProcess
from grader.spec import Limits
from grader.values import numbers_of

ROOT = Path(__file__).resolve().parent.parent
SECRET_NAME = "GRADER_TEST_SECRET"
SECRET = f"sandbox-secret-{uuid.uuid4().hex}"
BWRAP = os.environ.get(isolation.ISOLATION_ENV) != "fallback" and isolation.detect().mode == "bubblewrap"
LIMITS = Limits(load_seconds=5, check_seconds=2, output_kb=4)

CODE = r'''
import os
import socket
import struct
import sys
import time

import numpy as np

counter = [0]


def ok(x):
    return x + 1


def spin():
    while True:
        pass


def die():
    os._exit(3)


def leave():
    sys.exit(0)


def _channel():
    for fd in range(3, 64):
        try:
            sock = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        if sock.family == socket.AF_UNIX:
            return sock
        sock.detach()
    raise RuntimeError("no channel")


def garbage():
    _channel().sendall(struct.pack(">I", 5) + b"hello")
    time.sleep(5)


def huge_header():
    _channel().sendall(struct.pack(">I", 0xFFFFFFF0))
    time.sleep(5)


def odd_reply():
    sock = _channel()
    data = b'{"op": "weird"}'
    sock.sendall(struct.pack(">I", len(data)) + data)
    time.sleep(5)


def forge_ahead():
    """Writes a valid-looking reply for a later call, then answers; the grader must not be fooled."""
    sock = _channel()
    import json, base64
    value = {"t": "number", "type": "float", "dtype": "float64", "raw": "float64",
             "b64": base64.b64encode(np.array([42.0]).tobytes()).decode()}
    for message in ({"op": "returned", "value": value}, {"op": "session_end", "status": 0}):
        data = json.dumps(message).encode()
        sock.sendall(struct.pack(">I", len(data)) + data)
    return 1.0


def count():
    counter[0] += 1
    return counter[0]


LOADED_PID = os.getpid()
BUFFER = np.zeros(2)
SHARED = [0.0]


def reuse(x):
    """Returns the same array each time, changed: each answer must be the one of its own call."""
    BUFFER[:] = x
    return BUFFER


def reuse_in_a_list(x):
    SHARED[0] = x
    return SHARED


def forked():
    return float(os.getpid() != LOADED_PID)


def kill_myself():
    os.kill(os.getpid(), 9)
    return 1.0


def forked_after_a_nap():
    time.sleep(0.8)
    return forked()


def environment():
    raise RuntimeError(repr(sorted(os.environ.items())))


def descriptors():
    raise RuntimeError(repr(sorted(int(fd) for fd in os.listdir("/proc/self/fd"))))


def chatter():
    for _ in range(1000):
        print("x" * 100)
    os.write(1, b"y" * 100000)
    return 0.0


def escapes():
    print("\x1b[2J\x1b[1;1Hfake: 10 / 10\r\u202e")
    raise ValueError("\x1b[1A\x1b[2K\rsubmission.py: 10 / 10\u202e\x9b\nsecond line\ttab")


def identity():
    raise RuntimeError(repr((os.getuid(), os.getgid())))


def halve(a, b, scale):
    return np.array([a, b]) * scale  # the gradient of (a^2 + b^2) * scale / 2


def halve_tuple(a, b, scale):
    return (np.float64(a * scale), b * scale)


def halve_odd(a, b, scale):
    return [np.array([a * scale]), np.array([b * scale])]  # two numbers, but not a plain list


def walk_with_halve():
    a, b = 1.0, 2.0
    for _ in range(3):
        g = halve(a, b, 1.0)
        g *= 0.5  # the caller may change what it got
        a, b = a - g[0], b - g[1]
    return np.array([a, b])


def walk_with_ghost():
    return ghost(1.0, 2.0)


def walk_by_keywords():
    g = halve(b=2.0, scale=1.0, a=1.0)  # keywords, in another order
    h = halve(3.0, 4.0)  # the default scale
    return np.concatenate([g, h])


def walk_wrongly():
    return halve(1.0, 2.0, 3.0, 4.0)


def sigmoid_twice(z):
    return sigmoid(z) + sigmoid(2 * z)


def sigmoid(z):
    return 0.0


def slowly(a, b):
    time.sleep(0.01)
    return np.array([a, b])


def halve_then_fail(a, b, scale):
    counter[0] += 1
    if counter[0] > 3:
        raise ValueError("step four")
    return np.array([a, b]) * scale
'''


@pytest.fixture(scope="module", params=[
    pytest.param("bubblewrap", marks=pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable here")),
    "fallback"])
def box(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    saved = os.environ.get(SECRET_NAME)
    os.environ[SECRET_NAME] = SECRET
    try:
        mode = request.param
        with Sandbox(isolation.Isolation(mode, None if mode == "bubblewrap" else isolation.FALLBACK_NOTE)) as sandbox:
            _ = sandbox.versions
            yield sandbox
    finally:
        if saved is None:
            os.environ.pop(SECRET_NAME, None)
        else:
            os.environ[SECRET_NAME] = saved


@pytest.fixture()
def proc(box: Sandbox) -> Iterator[SubmissionProcess]:
    process = box.open([{"label": "submission.py", "source": CODE}], LIMITS)
    assert process.load_problem is None, process.load_problem
    try:
        yield process
    finally:
        process.close()


def _value(process: SubmissionProcess, name: str, *args: object, seconds: float = 2.0) -> float:
    session = process.session(seconds)
    try:
        reply = session.call(name, *args)
    finally:
        session.end()
    assert reply.kind == "returned" and reply.value is not None, reply
    return reply.value.scalar()


def _raised(process: SubmissionProcess, name: str) -> str:
    session = process.session(2.0)
    try:
        reply = session.call(name)
    finally:
        session.end()
    assert reply.kind == "raised" and reply.error is not None, reply
    return reply.error.message


def _lost(process: SubmissionProcess, name: str, seconds: float = 2.0) -> SessionLost:
    session = process.session(seconds)
    with pytest.raises(SessionLost) as caught:
        session.call(name)
    session.end()
    return caught.value


def test_a_call_returns_plain_float64(proc: SubmissionProcess) -> None:
    assert _value(proc, "ok", np.float64(1.5)) == 2.5
    assert "ok" in proc.defined


def test_timeout_then_restart(proc: SubmissionProcess) -> None:
    started = time.monotonic()
    lost = _lost(proc, "spin", seconds=0.5)
    assert lost.kind == "timeout"
    assert time.monotonic() - started < 3
    assert not proc.alive  # the whole submission was killed ...
    assert _value(proc, "ok", 1.0) == 2.0  # ... and the next session starts it again


def test_exit_is_exited(proc: SubmissionProcess) -> None:
    lost = _lost(proc, "die")
    assert (lost.kind, lost.detail) == ("exited", "exit status 3")
    assert _value(proc, "ok", 2.0) == 3.0


def _final(process: SubmissionProcess, name: str, *args: object) -> Reply:
    """One call in the final session: the last part's, served by the loaded process itself."""
    session = process.session(2.0, final=True)
    try:
        return session.call(name, *args)
    finally:
        session.end()


@pytest.mark.parametrize("name", ["reuse", "reuse_in_a_list"])
def test_each_answer_of_a_batch_is_taken_when_it_is_returned(proc: SubmissionProcess, name: str) -> None:
    session = proc.session(2.0)
    try:
        replies = session.map(name, [[1.0], [2.0], [3.0]], independent=True)
    finally:
        session.end()
    answers = [numbers_of(r.value).tolist() for r in replies if r.value is not None]  # type: ignore[union-attr]
    assert answers == ([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]] if name == "reuse" else [[1.0], [2.0], [3.0]])


def test_the_final_session_is_the_loaded_process_itself(proc: SubmissionProcess) -> None:
    assert _value(proc, "forked") == 1.0  # a part's session: a fork of the loaded process
    reply = _final(proc, "forked")
    assert reply.value is not None and reply.value.scalar() == 0.0  # the last part's: that process
    assert not proc.alive  # it ended with its session ...
    assert _value(proc, "count") == 1  # ... and a session asked for later loads the submission afresh


@pytest.mark.parametrize("name, status", [("die", "exit status 3"), ("kill_myself", "exit status -9")])
@pytest.mark.parametrize("final", [False, True])
def test_the_final_session_ends_as_a_fork_does(proc: SubmissionProcess, name: str, status: str, final: bool) -> None:
    session = proc.session(2.0, final=final)
    with pytest.raises(SessionLost) as caught:
        session.call(name)
    session.end()
    assert (caught.value.kind, caught.value.detail) == ("exited", status)
    assert _value(proc, "ok", 2.0) == 3.0


def test_a_timer_set_while_loading_never_fires_later(box: Sandbox) -> None:
    extra = "import signal\n_timer = signal.setitimer(signal.ITIMER_REAL, 0.2)\n"
    process = box.open([{"label": "submission.py", "source": CODE + extra}], LIMITS)
    try:
        assert process.load_problem is None, process.load_problem
        time.sleep(0.4)  # past the timer: the loaded process is still there, as in every mode
        assert _value(process, "count") == 1
        assert process.alive
    finally:
        process.close()


@pytest.mark.parametrize("extra, expected", [
    # a thread started while loading would keep running in the loaded process: a fork instead
    ("import _thread\n_started = _thread.start_new_thread(time.sleep, (3,))\n", 1.0),
    # a timer set while loading would end the loaded process during the call: cleared, as a
    # fork clears it
    ("import signal\n_timer = signal.setitimer(signal.ITIMER_REAL, 0.4)\n", 0.0),
    # the CPU limit counts from a process's start: after a loading that used CPU, a fork
    ("def _burn():\n    end = time.process_time() + 0.7\n    while time.process_time() < end:\n        pass\n"
     "_burnt = _burn()\n", 1.0)])
def test_the_final_session_starts_as_a_fork_would(box: Sandbox, extra: str, expected: float) -> None:
    process = box.open([{"label": "submission.py", "source": CODE + extra}], LIMITS)
    try:
        assert process.load_problem is None, process.load_problem
        assert not process.notes, process.notes
        reply = _final(process, "forked_after_a_nap")
        assert reply.kind == "returned" and reply.value is not None, reply
        assert reply.value.scalar() == expected
    finally:
        process.close()


def test_sys_exit_in_a_function_is_an_exception(proc: SubmissionProcess) -> None:
    assert "SystemExit" in _raised(proc, "leave")
    assert _value(proc, "ok", 2.0) == 3.0


@pytest.mark.parametrize("name", ["garbage", "huge_header", "odd_reply"])
def test_malformed_frames_are_protocol_errors(proc: SubmissionProcess, name: str) -> None:
    assert _lost(proc, name).kind == "protocol"
    assert _value(proc, "ok", 3.0) == 4.0


def test_forged_frames_do_not_reach_the_next_session(proc: SubmissionProcess) -> None:
    session = proc.session(2.0)
    first = session.call("forge_ahead")
    assert first.value is not None and first.value.scalar() == 42.0  # a forged frame reads as a returned value
    session.end()  # reads the forged end of session; the real reply and end are still queued
    assert _value(proc, "ok", 5.0) == 6.0  # the next session skips to its own start


def test_each_session_is_a_fresh_fork(proc: SubmissionProcess) -> None:
    assert _value(proc, "count") == 1
    assert _value(proc, "count") == 1


def test_environment_is_scrubbed(proc: SubmissionProcess) -> None:
    text = _raised(proc, "environment")
    assert SECRET not in text and SECRET_NAME not in text
    names = set(eval(text.split(": ", 1)[1]))  # noqa: S307 - a repr of our own list of pairs
    assert {name for name, _ in names} <= {"PATH", "HOME", "LANG", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}


def test_only_its_own_descriptors(proc: SubmissionProcess) -> None:
    text = _raised(proc, "descriptors")
    fds = eval(text.split(": ", 1)[1])  # noqa: S307
    # stdin, stdout, stderr, the channel, and the one listdir opened
    assert len(fds) <= 5 and fds[:3] == [0, 1, 2], fds


def test_runs_unprivileged_under_its_own_uid(box: Sandbox, proc: SubmissionProcess) -> None:
    uid, gid = eval(_raised(proc, "identity").split(": ", 1)[1])  # noqa: S307
    if os.geteuid() != 0:
        return  # the grader's own user (the fallback) or that user in a user namespace (bubblewrap)
    assert uid != 0 and gid != 0 and uid in range(1_700_000_000, 1_800_000_000)
    other = box.open([{"label": "other.py", "source": CODE}], LIMITS)
    try:
        other_uid, _ = eval(_raised(other, "identity").split(": ", 1)[1])  # noqa: S307
    finally:
        other.close()
    assert other_uid != uid  # a process limit and kill(-1) of its own


def test_output_is_bounded(proc: SubmissionProcess) -> None:
    assert _value(proc, "chatter") == 0.0
    proc.close()
    for output in proc.outputs:
        output.wait(2.0)
    assert len(proc.output_text().encode()) <= LIMITS.output_kb * 1024


def test_load_timeout_stops_the_statement(box: Sandbox) -> None:
    process = box.open([{"label": "slow.py", "source": "def f(): return 1\nx = [0 for _ in iter(int, 1)]"}],
                       Limits(load_seconds=0.5, check_seconds=1))
    try:
        assert process.load_problem is None, process.load_problem
        assert process.stopped == "slow.py, line 2: the top-level code ran past the 0.5 s load limit: " \
                                  "nothing below it runs"
        assert "f" in process.defined
    finally:
        process.close()


def test_load_timeout_that_cannot_be_stopped_is_a_load_problem(box: Sandbox) -> None:
    # one call into C that never returns to the interpreter, so no Python-level timer can stop it
    # (a loop that catches the timer's exception still has instants outside its `try`)
    source = "x = sum(range(10 ** 15))\n"
    # a budget with room for one load and not for a second (the hard kill comes at 0.5 s + the grace)
    process = box.open([{"label": "slow.py", "source": source}], Limits(load_seconds=0.5, check_seconds=1),
                       deadline=time.monotonic() + 4.5)
    try:
        assert process.load_problem is not None and "longer than" in process.load_problem
        with pytest.raises(SessionLost):
            process.session(1.0)  # no restart: what is left of the budget cannot hold a whole load
    finally:
        process.close()


def test_os_exit_at_load_stops_the_file(box: Sandbox) -> None:
    process = box.open([{"label": "gone.py", "source": "import os\n_ = os._exit(0)\ndef f(): pass\n"}], LIMITS)
    try:
        assert process.load_problem is None and process.stopped is not None
        assert process.stopped.startswith("gone.py, line 2: _ = os._exit(0) ends the process")
        assert "f" not in process.defined
    finally:
        process.close()


def test_exit_past_os_exit_at_load_is_a_load_problem(box: Sandbox) -> None:
    process = box.open([{"label": "gone.py", "source": "import ctypes\n_ = ctypes.CDLL(None)._exit(0)\n"}], LIMITS)
    try:
        assert process.load_problem is not None and "ended while its code was being loaded" in process.load_problem
    finally:
        process.close()


def test_many_submissions_in_one_worker(box: Sandbox) -> None:
    for _ in range(5):
        process = box.open([{"label": "s.py", "source": textwrap.dedent(CODE)}], LIMITS)
        try:
            assert _value(process, "ok", 0.0) == 1.0
        finally:
            process.close()


# ------------------------------------------------------------------ the bubblewrap command


def test_bwrap_command_hides_the_repository() -> None:
    command = isolation.zygote_command(isolation.Isolation("bubblewrap", None), 5)
    joined = " ".join(command)
    for flag in ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--clearenv", "--die-with-parent",
                 "--new-session"):
        assert flag in command
    sources = [command[i + 1] for i, arg in enumerate(command) if arg in ("--ro-bind", "--bind")]
    harness = str(isolation.HARNESS_DIR)
    for source in sources:
        installed = "site-packages" in Path(source).parts  # numpy, from a virtualenv that may sit in the repo
        assert source == harness or installed or not source.startswith(str(ROOT)), f"{source} exposes the repository"
    assert "--bind" not in command  # nothing is mounted writable
    assert str(ROOT / "solutions") not in joined


def test_bwrap_parents_are_traversable() -> None:
    command = isolation.zygote_command(isolation.Isolation("bubblewrap", None), 5)
    prefix = os.path.realpath(__import__("sys").base_prefix)
    made = [command[i + 3] for i, arg in enumerate(command) if arg == "--perms" and command[i + 2] == "--dir"]
    parent = os.path.dirname(prefix)
    while parent not in ("/", "") and not parent.startswith("/usr"):
        assert parent in made
        parent = os.path.dirname(parent)


def test_fallback_is_forced_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(isolation.ISOLATION_ENV, "fallback")
    detected = isolation.detect()
    assert detected.mode == "fallback" and detected.note == isolation.FALLBACK_NOTE


HALVE = ("a", "b", "scale")


def _column(reply: Reply, function: str, param: str) -> list[float]:
    column = reply.records[function].columns[param]
    assert column.floats is not None
    return column.floats.tolist()


def test_stand_ins_script_spy_and_ask(proc: SubmissionProcess) -> None:
    session = proc.session(5.0)
    try:
        scripted, spied, asked, ghost = session.run("walk_with_halve", [], [
            {"halve": StandIn("script", HALVE, values=[np.array([1.0, 1.0])])},
            {"halve": StandIn("own", HALVE)},
            {"halve": StandIn("ask", HALVE, answer=lambda index, args: np.array([4 * args[0], 4 * args[1]]))},
            {"ghost": StandIn("own", ("x", "y"))}])
        (missing,) = session.run("walk_with_ghost", [], [{"ghost": StandIn("own", ("x", "y"))}])
    finally:
        session.end()
    # each scripted answer is a fresh array: the caller's `g *= 0.5` does not change the next one
    assert (_column(scripted, "halve", "a"), _column(scripted, "halve", "b")) == ([1.0, 0.5, 0.0], [2.0, 1.5, 1.0])
    assert (_column(spied, "halve", "a"), _column(spied, "halve", "b")) == ([1.0, 0.5, 0.25], [2.0, 1.0, 0.5])
    assert (_column(asked, "halve", "a"), _column(asked, "halve", "b")) == ([1.0, -1.0, 1.0], [2.0, -2.0, 2.0])
    assert _column(spied, "halve", "scale") == [1.0, 1.0, 1.0]  # every argument is recorded, by name
    assert ghost.kind == "returned" and ghost.value is not None
    assert missing.kind == "raised" and missing.error is not None and "ghost" in missing.error.message


def test_a_stand_in_binds_keywords_and_defaults_as_python_does(proc: SubmissionProcess) -> None:
    session = proc.session(5.0)
    try:
        (bound,) = session.run("walk_by_keywords", [], [
            {"halve": StandIn("own", HALVE, defaults={"scale": 0.5})}])
        (wrong,) = session.run("walk_wrongly", [], [{"halve": StandIn("own", HALVE)}])
    finally:
        session.end()
    assert _column(bound, "halve", "a") == [1.0, 3.0] and _column(bound, "halve", "b") == [2.0, 4.0]
    assert _column(bound, "halve", "scale") == [1.0, 0.5]
    assert bound.value is not None and bound.value.data is not None
    assert bound.value.data.tolist() == [1.0, 2.0, 1.5, 2.0]
    assert wrong.kind == "raised" and wrong.error is not None and "takes 3 positional arguments" in wrong.error.message


def test_an_asked_stand_in_answers_a_batch_call_by_call(proc: SubmissionProcess) -> None:
    """`uses`: the checked function's calls of another are answered by the grader, each from its
    own arguments; OWN lets the submission's own function answer."""
    answers = {0: lambda z: 1.0 / (1.0 + np.exp(-z)), 1: lambda z: OWN}

    def answer(index: int, args: tuple[object, ...]) -> object:
        found = answers[index](args[0])
        return found

    stand_in = {"sigmoid": StandIn("ask", ("z",), answer=answer, record=False)}
    session = proc.session(5.0)
    try:
        replies = session.map("sigmoid_twice", [(0.0,), (1.0,)], independent=True, stand_ins=stand_in)
    finally:
        session.end()
    assert replies[0].value is not None and replies[0].value.scalar() == 0.5 + 0.5
    assert replies[1].value is not None and replies[1].value.scalar() == 0.0  # the submission's own sigmoid


def test_map_streams_unless_independent(proc: SubmissionProcess) -> None:
    session = proc.session(5.0)
    try:
        streamed = session.map("ok", [(1.0,), (2.0,), (3.0,)])
        batched = session.map("ok", [(1.0,), (2.0,), (3.0,)], independent=True)
    finally:
        session.end()
    assert [r.value.scalar() for r in streamed if r.value] == [2.0, 3.0, 4.0]
    assert [r.value.scalar() for r in batched if r.value] == [2.0, 3.0, 4.0]


@pytest.mark.parametrize("name", ["halve", "halve_tuple"])
def test_a_descent_runs_on_the_students_side_with_the_same_arithmetic(proc: SubmissionProcess, name: str) -> None:
    session = proc.session(5.0)
    try:
        (kept,) = session.keep(np.array(2.0))
        descent = session.descend(name, (1.0, -3.0), 0.25, 6, kept)
    finally:
        session.end()
    assert descent.stopped is None and descent.answers.shape == (6, 2)
    point = [1.0, -3.0]
    for g0, g1 in descent.answers:
        assert (g0, g1) == (point[0] * 2.0, point[1] * 2.0)  # each answer at the point the last one led to
        point = [point[0] - 0.25 * g0, point[1] - 0.25 * g1]


def test_a_descent_stops_at_an_answer_it_cannot_read_or_an_exception(proc: SubmissionProcess) -> None:
    session = proc.session(5.0)
    try:
        (kept,) = session.keep(np.array(2.0))
        odd = session.descend("halve_odd", (1.0, 1.0), 0.25, 5, kept)
        failing = session.descend("halve_then_fail", (1.0, 1.0), 0.25, 10, kept)
        missing = session.descend("nowhere", (1.0, 1.0), 0.25, 10, kept)
    finally:
        session.end()
    assert odd.answers.shape == (0, 2) and odd.stopped is not None and odd.stopped.kind == "returned"
    assert failing.answers.shape == (3, 2) and failing.stopped is not None and failing.stopped.kind == "raised"
    assert failing.stopped.error is not None and "step four" in failing.stopped.error.message
    assert missing.answers.shape == (0, 2) and missing.stopped is not None and missing.stopped.kind == "missing"


def test_a_slow_descent_is_a_timeout(proc: SubmissionProcess) -> None:
    session = proc.session(0.5)
    with pytest.raises(SessionLost) as caught:
        session.descend("slowly", (1.0, 1.0), 0.1, 1000)  # 10 s of steps
    session.end()
    assert caught.value.kind == "timeout"


def test_control_characters_never_reach_the_grader(proc: SubmissionProcess) -> None:
    message = _raised(proc, "escapes")
    assert "\x1b" not in message and "\r" not in message and "\u202e" not in message and "\x9b" not in message
    assert "\nsecond line\ttab" in message  # newline and tab are kept
    proc.close()
    for output in proc.outputs:
        output.wait(2.0)
    assert "fake: 10 / 10" in proc.output_text() and "\x1b" not in proc.output_text()


@pytest.mark.skipif(not BWRAP, reason="bubblewrap is not usable here")
def test_a_sandbox_that_cannot_isolate_refuses_to_grade(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the capabilities to give a submission its namespaces, the worker's self-test fails:
    grading stops with a SandboxError (exit 2), instead of every student getting a load error."""
    from grader.errors import SandboxError

    original = isolation.zygote_command

    def without_capabilities(chosen: isolation.Isolation, fd: int) -> list[str]:
        command = original(chosen, fd)
        while "--cap-add" in command:
            index = command.index("--cap-add")
            del command[index:index + 2]
        return command

    monkeypatch.setattr(isolation, "zygote_command", without_capabilities)
    with Sandbox(isolation.Isolation("bubblewrap", None)) as sandbox:
        with pytest.raises(SandboxError, match="cannot isolate a submission here: sandbox set-up failed"):
            _ = sandbox.versions


def test_a_parts_checks_share_one_fork_until_one_loses_it(proc: SubmissionProcess) -> None:
    from grader.checks.context import PartSession

    sessions = PartSession(proc)
    try:
        first = sessions.get(time.monotonic() + 2.0)
        assert first.call("count").value.scalar() == 1  # type: ignore[union-attr]
        same = sessions.get(time.monotonic() + 0.5)
        assert same is first and same.call("count").value.scalar() == 2  # type: ignore[union-attr]
        with pytest.raises(SessionLost):
            same.call("spin")  # this check's own limit (0.5 s), not the first one's
        fresh = sessions.get(time.monotonic() + 2.0)
        assert fresh is not first and fresh.call("count").value.scalar() == 1  # type: ignore[union-attr]
    finally:
        sessions.end()


def test_a_session_left_mid_exchange_is_never_reused(proc: SubmissionProcess) -> None:
    from grader.checks.context import PartSession

    def broken(*_: object) -> object:
        raise KeyboardInterrupt  # the grader stopped while answering a stand-in's call

    sessions = PartSession(proc)
    try:
        first = sessions.get(time.monotonic() + 2.0)
        assert first.call("count").value.scalar() == 1  # type: ignore[union-attr]
        with pytest.raises(KeyboardInterrupt):
            first.run("walk_with_halve", [], [{"halve": StandIn("ask", HALVE, answer=broken)}])
        assert not first.open  # its process still waits for an answer: out of step
        fresh = sessions.get(time.monotonic() + 2.0)
        assert fresh is not first and fresh.call("count").value.scalar() == 1  # type: ignore[union-attr]
    finally:
        sessions.end()
