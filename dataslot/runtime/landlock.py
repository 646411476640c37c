"""The kernel's Landlock interface, as much of it as a replica uses (ctypes, no privileges).

One ruleset holds all three kinds of rules: filesystem (ABI 1+: what may be opened
beneath which directories), TCP (ABI 4+: which ports may be connected to or bound) and
scopes (ABI 6+: no signals to, and no abstract unix sockets of, processes outside the
domain). Each kind is asked for only when the running kernel knows it; what it does not
know is returned to the caller as a gap, never silently dropped.
"""

from __future__ import annotations

import ctypes
import os

# Landlock's syscalls have the same numbers on every architecture.
CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH, RULE_NET_PORT = 1, 2

# Filesystem access rights, by the ABI that introduced them.
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_ABI1 = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_ONLY = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # what a rule on a file may allow
READ = READ_FILE | READ_DIR | EXECUTE

BIND_TCP, CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6


class RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class NetPortAttr(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _call(number: int, *args) -> int:
    result = _libc.syscall(ctypes.c_long(number), *args)
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    return result


def abi_version() -> int:
    """The kernel's Landlock ABI; 0 when it has none (or it is turned off)."""
    try:
        return _call(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    except OSError:
        return 0


def handled_fs(abi: int) -> int:
    return FS_ABI1 | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0) | (IOCTL_DEV if abi >= 5 else 0)


class Ruleset:
    """Rules gathered, then applied to this thread and every thread or child it starts later."""

    def __init__(self, *, abi: int, handled_net: int = 0, scoped: int = 0):
        self.fs = handled_fs(abi)
        attr = RulesetAttr(self.fs, handled_net if abi >= 4 else 0, scoped if abi >= 6 else 0)
        self.net = attr.handled_access_net
        self.fd = _call(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))

    def allow_path(self, path: str, access: int) -> None:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        try:
            if not os.path.isdir(path):
                access &= FILE_ONLY
            rule = PathBeneathAttr(access & self.fs, fd)
            _call(
                ADD_RULE, ctypes.c_int(self.fd), ctypes.c_int(RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)
            )
        finally:
            os.close(fd)

    def allow_port(self, port: int, access: int) -> None:
        rule = NetPortAttr(access & self.net, port)
        _call(ADD_RULE, ctypes.c_int(self.fd), ctypes.c_int(RULE_NET_PORT), ctypes.byref(rule), ctypes.c_uint32(0))

    def apply(self) -> None:
        """Needs no_new_privs set (or CAP_SYS_ADMIN); there is no way back."""
        try:
            _call(RESTRICT_SELF, ctypes.c_int(self.fd), ctypes.c_uint32(0))
        finally:
            os.close(self.fd)
