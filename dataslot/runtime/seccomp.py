"""A small seccomp filter: what Landlock does not mediate, refused at the system call.

Landlock (up to ABI 7) does not decide who may connect to a unix socket that has a
path: a local daemon listening on a world-writable socket (PostgreSQL's
``/var/run/postgresql/.s.PGSQL.5432`` with trust authentication, a Docker socket, ...)
would be reachable from any function. So ``socket(AF_UNIX, ...)`` fails with EACCES.
``socketpair`` stays allowed (it connects to nothing outside the process), and so does
every other socket family (TCP is Landlock's). io_uring can create and connect sockets
without these system calls, so setting it up is refused too, and so is every system
call made through another architecture's ABI (x32, or 32-bit calls from a 64-bit process),
which the filter's numbers would not match.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
LD_W_ABS, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
AF_UNIX = 1
X32_BIT = 0x40000000

# machine: (audit arch, socket, io_uring_setup)
ARCHES = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def program(machine: str) -> list[tuple[int, int, int, int]]:
    arch, socket_nr, io_uring_setup_nr = ARCHES[machine]
    deny = (RET_K, 0, 0, RET_ERRNO | errno.EACCES)
    # struct seccomp_data: nr at 0, arch at 4, args[0] at 16 (its low 32 bits: little-endian).
    return [
        (LD_W_ABS, 0, 0, 4),
        (JEQ_K, 1, 0, arch),
        deny,  # another ABI
        (LD_W_ABS, 0, 0, 0),
        (JGE_K, 5, 0, X32_BIT),  # -> deny (x32 calls on x86_64)
        (JEQ_K, 4, 0, io_uring_setup_nr),  # -> deny
        (JEQ_K, 0, 2, socket_nr),
        (LD_W_ABS, 0, 0, 16),
        (JEQ_K, 1, 0, AF_UNIX),  # -> deny
        (RET_K, 0, 0, RET_ALLOW),
        deny,
    ]


def apply() -> None:
    """Install the filter on this thread (and every thread or child it starts later).

    Needs no_new_privs set first (or CAP_SYS_ADMIN); raises OSError where it cannot be.
    """
    machine = platform.machine()
    if machine not in ARCHES:
        raise OSError(errno.ENOSYS, f"no filter for the {machine} architecture")
    instructions = program(machine)
    filters = (SockFilter * len(instructions))(*(SockFilter(*i) for i in instructions))
    prog = SockFprog(len(instructions), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
