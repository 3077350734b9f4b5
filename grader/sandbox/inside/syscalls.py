"""The system calls a submission never needs, refused by a seccomp filter it cannot remove.

A submission computes with numpy, forks and threads at most: it never mounts, changes or enters
namespaces, traces another process, loads kernel code (modules, BPF), keeps keys in the kernel's
keyrings, opens performance counters or io_uring rings (whose requests a seccomp filter does not
see). Each of these calls is a way out or a kernel attack surface, so the filter answers EPERM.

The filter is a classic BPF program written here instruction by instruction (no library: the
sandbox offers numpy only). The zygote installs it in each submission's process after setting
the process up (mounts, limits, privileges dropped, no_new_privs) and before any student code
runs; a seccomp filter is inherited by every child and can never be removed, only added to.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
_NR, _ARCH, _ARG0_LOW = 0, 4, 16  # (the low 32 bits of args[0] on a little-endian machine)
# Classic BPF opcodes (linux/bpf_common.h)
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS: A = the 32-bit word at offset k of seccomp_data
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K: jump jt if A == k, else jf
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K: jump jt if A >= k, else jf
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K: jump jt if A & k, else jf
_RET = 0x06  # BPF_RET | BPF_K: return k
# Return values (linux/seccomp.h)
ALLOW = 0x7FFF0000
ERRNO = 0x00050000  # | errno: the call fails with that errno, nothing happens
KILL_PROCESS = 0x80000000
CLONE_NEWUSER = 0x10000000
X32_BIT = 0x40000000  # x86_64's x32 ABI: the same calls under other numbers

# The refused calls, by name; each architecture's numbers below (asm/unistd_64.h, asm-generic/unistd.h).
REFUSED = ("unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen",
           "fsconfig", "fsmount", "fspick", "mount_setattr", "ptrace", "process_vm_readv", "process_vm_writev",
           "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "kexec_load",
           "kexec_file_load", "init_module", "finit_module", "delete_module", "io_uring_setup", "io_uring_enter",
           "io_uring_register", "name_to_handle_at", "open_by_handle_at", "acct", "swapon", "swapoff", "reboot",
           "syslog", "quotactl", "sethostname", "setdomainname", "settimeofday", "clock_settime", "clock_adjtime",
           "adjtimex", "vhangup", "lookup_dcookie")

_TABLES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (0xC000003E, {  # AUDIT_ARCH_X86_64
        "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "bpf": 321,
        "perf_event_open": 298, "userfaultfd": 323, "keyctl": 250, "add_key": 248, "request_key": 249,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "delete_module": 176,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "name_to_handle_at": 303,
        "open_by_handle_at": 304, "acct": 163, "swapon": 167, "swapoff": 168, "reboot": 169, "syslog": 103,
        "quotactl": 179, "sethostname": 170, "setdomainname": 171, "settimeofday": 164, "clock_settime": 227,
        "clock_adjtime": 305, "adjtimex": 159, "vhangup": 153, "lookup_dcookie": 212,
        "clone": 56, "clone3": 435}),
    "aarch64": (0xC00000B7, {  # AUDIT_ARCH_AARCH64 (the generic table)
        "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51,
        "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
        "mount_setattr": 442, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "bpf": 280,
        "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219, "add_key": 217, "request_key": 218,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273, "delete_module": 106,
        "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "name_to_handle_at": 264,
        "open_by_handle_at": 265, "acct": 89, "swapon": 224, "swapoff": 225, "reboot": 142, "syslog": 116,
        "quotactl": 60, "sethostname": 161, "setdomainname": 162, "settimeofday": 170, "clock_settime": 112,
        "clock_adjtime": 266, "adjtimex": 171, "vhangup": 58, "lookup_dcookie": 18,
        "clone": 220, "clone3": 435}),
}


def program(machine: str | None = None) -> bytes | None:
    """The filter for this machine's architecture as packed struct sock_filter entries (None where
    the architecture has no table here: the caller says so in the isolation note)."""
    table = _TABLES.get(machine or platform.machine())
    if table is None:
        return None
    arch, numbers = table
    refused = [numbers[name] for name in REFUSED]
    # Labels are resolved at the end: each conditional jump's targets are counted in instructions
    # after the jump itself (jt/jf are 8-bit forward offsets; the program stays far below 255).
    code: list[tuple[int, int | str, int | str, int]] = [
        (_LD_W_ABS, 0, 0, _ARCH),                     # A = arch
        (_JEQ, 0, "kill", arch),                      # another ABI (i386 calls on x86_64): kill the process
        (_LD_W_ABS, 0, 0, _NR),                       # A = the call's number
    ]
    if arch == 0xC000003E:
        code.append((_JGE, "eperm", 0, X32_BIT))      # x32 numbers: refused, whatever the call
    code += [(_JEQ, "eperm", 0, nr) for nr in refused]  # one refused call each: EPERM
    code += [
        (_JEQ, "enosys", 0, numbers["clone3"]),       # clone3's flags sit in memory a filter cannot read:
                                                      # ENOSYS makes the C library fall back to clone
        (_JEQ, 0, "allow", numbers["clone"]),         # not clone: allowed
        (_LD_W_ABS, 0, 0, _ARG0_LOW),                 # A = clone's flags (the low 32 bits of args[0])
        (_JSET, "eperm", "allow", CLONE_NEWUSER),     # a new user namespace: refused; any other clone: allowed
    ]
    labels = {"allow": len(code), "eperm": len(code) + 1, "enosys": len(code) + 2, "kill": len(code) + 3}
    code += [(_RET, 0, 0, ALLOW), (_RET, 0, 0, ERRNO | errno.EPERM), (_RET, 0, 0, ERRNO | errno.ENOSYS),
             (_RET, 0, 0, KILL_PROCESS)]
    packed = b""
    for index, (op, jt, jf, k) in enumerate(code):
        jt_off = labels[jt] - index - 1 if isinstance(jt, str) else jt
        jf_off = labels[jf] - index - 1 if isinstance(jf, str) else jf
        assert 0 <= jt_off < 256 and 0 <= jf_off < 256
        packed += struct.pack("=HBBI", op, jt_off, jf_off, k)
    return packed


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]  # struct sock_fprog


PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2


def install() -> bool:
    """Install the filter on this thread's process (no_new_privs must be set already). False when
    this architecture has no table; an OSError when the kernel refuses it."""
    packed = program()
    if packed is None:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    fprog = _Program(len(packed) // 8, packed)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"seccomp: {os.strerror(error)}")
    return True
