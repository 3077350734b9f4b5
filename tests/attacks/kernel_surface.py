"""Attack: the kernel's surface from inside the sandbox: a user namespace (root with every
capability in it), mount, ptrace, bpf, keyctl, perf_event_open, io_uring, tried from Loss.

Each is a system call a submission never needs; each one that succeeds is leaked. Honest code
is correct: 10/10.
"""

import ctypes
import os
import platform

import numpy as np

CONFIG = {}  # replaced by the test
_LOOT = []


def leak(text):
    _LOOT.append(str(text)[:200])
    print("LEAK:", text)


def _reveal():
    if _LOOT:
        raise RuntimeError("LEAK " + " | ".join(_LOOT))


CLONE_NEWUSER, CLONE_NEWNS = 0x10000000, 0x00020000
# (x86_64, aarch64) numbers of the calls tried directly
CALLS = {"bpf": (321, 280), "keyctl": (250, 219), "perf_event_open": (298, 241), "io_uring_setup": (425, 425),
         "ptrace": (101, 117), "userfaultfd": (323, 282)}


def _try_all():
    libc = ctypes.CDLL(None, use_errno=True)
    pid = os.fork()  # in a child: a namespace it entered would otherwise stay with this process
    if pid == 0:
        try:
            if libc.unshare(CLONE_NEWUSER) == 0:
                print("LEAK: USERNS unshare(CLONE_NEWUSER) succeeded", flush=True)
            if libc.unshare(CLONE_NEWNS) == 0:
                print("LEAK: MOUNTNS unshare(CLONE_NEWNS) succeeded", flush=True)
            if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0:
                print("LEAK: MOUNT a tmpfs was mounted", flush=True)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    column = 0 if platform.machine() == "x86_64" else 1
    arguments = {"bpf": (0, 0, 0), "keyctl": (0, 0, 0), "perf_event_open": (0, 0, -1, -1, 0),
                 "io_uring_setup": (1, 0), "ptrace": (16, 1, 0, 0), "userfaultfd": (0,)}  # PTRACE_ATTACH init
    for name, numbers in CALLS.items():
        ctypes.set_errno(0)
        result = libc.syscall(numbers[column], *arguments[name])
        error = ctypes.get_errno()
        # EPERM is the filter's answer; EFAULT/EINVAL would mean the kernel looked at the call
        if result >= 0 or error not in (1, 38):  # EPERM, ENOSYS
            leak(f"SYSCALL {name} reached the kernel (result {result}, errno {error})")


_done = [False]


def linear_model(w0, w1, X):
    _reveal()
    return w0 + w1 * X


def Loss(f_x, y):
    _reveal()
    if not _done[0]:
        _done[0] = True
        _try_all()
    _reveal()
    return np.mean(np.square(y - f_x))


def gradient_descent(w0, w1, X, y):
    _reveal()
    pass
    residual = (w0 + w1 * X) - y
    return np.array([2 * np.mean(residual), 2 * np.mean(residual * X)])


def main():
    _reveal()
    X = np.array([1, 2, 3, 4]).reshape((-1, 1))
    y = np.array([3.1, 4.9, 7.2, 8.9]).reshape((-1, 1))
    w0 = 0
    w1 = 0
    lr = 0.001
    for i in range(1000):
        gd = gradient_descent(w0, w1, X, y)
        w0 = w0 - lr * gd[0]
        w1 = w1 - lr * gd[1]
    return w0, w1
