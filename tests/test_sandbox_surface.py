"""The sandbox's surface, without running a sandbox: the seccomp program (run here by a small
classic-BPF interpreter on made-up system calls), the isolation note, and the inputs a `cases`
check with published numbers adds between them."""

from __future__ import annotations

import errno
import random
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from grader.checks.cases import BETWEEN, _between
from grader.sandbox import isolation
from grader.sandbox.inside import syscalls

X86_64, AARCH64 = 0xC000003E, 0xC00000B7


def run_filter(program: bytes, nr: int, arch: int, arg0: int = 0) -> int:
    """What the kernel would return for one call: the few classic-BPF instructions the filter uses."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, arg0, 0, 0, 0, 0, 0)
    code = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    a, pc = 0, 0
    while True:
        op, jt, jf, k = code[pc]
        if op == 0x20:
            a = struct.unpack("=I", data[k:k + 4])[0]
            pc += 1
        elif op in (0x15, 0x35, 0x45):
            taken = a == k if op == 0x15 else a >= k if op == 0x35 else bool(a & k)
            pc += 1 + (jt if taken else jf)
        elif op == 0x06:
            return k
        else:
            raise AssertionError(f"unknown instruction {op:#x}")


@pytest.mark.parametrize("machine,arch", [("x86_64", X86_64), ("aarch64", AARCH64)])
def test_every_refused_call_fails_with_eperm(machine: str, arch: int) -> None:
    program = syscalls.program(machine)
    assert program is not None
    numbers = syscalls._TABLES[machine][1]
    for name in syscalls.REFUSED:
        assert run_filter(program, numbers[name], arch) == syscalls.ERRNO | errno.EPERM, name
    clone = numbers["clone"]
    assert run_filter(program, clone, arch, syscalls.CLONE_NEWUSER | 17) == syscalls.ERRNO | errno.EPERM
    assert run_filter(program, clone, arch, 0x3D0F00) == syscalls.ALLOW  # a thread's clone flags
    assert run_filter(program, numbers["clone3"], arch) == syscalls.ERRNO | errno.ENOSYS
    other = AARCH64 if arch == X86_64 else X86_64
    assert run_filter(program, 0, other) == syscalls.KILL_PROCESS  # another ABI's numbers


@given(st.integers(min_value=0, max_value=500))
def test_other_calls_are_allowed(nr: int) -> None:
    program = syscalls.program("x86_64")
    assert program is not None
    numbers = syscalls._TABLES["x86_64"][1]
    refused = {numbers[name] for name in syscalls.REFUSED} | {numbers["clone3"]}
    expected = syscalls.ERRNO | errno.EPERM if nr in refused else syscalls.ALLOW
    if nr == numbers["clone3"]:
        expected = syscalls.ERRNO | errno.ENOSYS
    assert run_filter(program, nr, X86_64) == expected
    assert run_filter(program, nr | syscalls.X32_BIT, X86_64) == syscalls.ERRNO | errno.EPERM


def test_an_unknown_architecture_has_no_filter() -> None:
    assert syscalls.program("mips") is None


def test_the_note_names_what_held() -> None:
    full = isolation.Isolation("bubblewrap", None)
    assert isolation.note(full, "cgroup v1", True) is None
    assert isolation.note(full, None, True) == isolation.NO_CGROUP_NOTE
    weak = isolation.Isolation("fallback", isolation.FALLBACK_NOTE)
    text = isolation.note(weak, "cgroup v2", False)
    assert text is not None and text.startswith(isolation.FALLBACK_NOTE)
    assert "cgroup v2" in text and isolation.NO_FILTER_NOTE in text


def test_inputs_between_published_ones() -> None:
    X = np.array([[1.0], [2.0], [3.0], [4.0]])
    y = np.array([[3.1], [4.9], [7.2], [8.9]])
    published = [(w0 + w1 * X, y) for w0, w1 in [(0.0, 0.0), (0.5, 1.7), (0.7, 2.0), (0.8, 2.1)]]
    mixed = _between(published, random.Random(1))
    assert len(mixed) == BETWEEN
    for prediction, target in mixed:
        assert target is y  # equal arguments are kept as they are
        assert not any(np.array_equal(prediction, p) for p, _ in published)
        assert np.all(prediction >= published[0][0]) and np.all(prediction <= published[-1][0])
    assert [m[0].tolist() for m in mixed] == [m[0].tolist() for m in _between(published, random.Random(1))]


def test_no_mix_of_arguments_that_do_not_match() -> None:
    assert _between([(np.zeros(2),), (np.zeros(3),)], random.Random(0)) == []
    assert _between([(1,), (2,)], random.Random(0)) == []  # integers are not mixed
