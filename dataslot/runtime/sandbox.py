"""Confining a replica: a function reaches its own service's files and the API, no more.

Every function is treated as hostile. The replica confines itself after reading its
``init`` message and before any package code is imported (its package's folder joins
``sys.path`` only afterwards), with the kernel's own mechanisms, each where the host has it:

1. A private filesystem view (a mount namespace; the server runs as root): the
   server's DATASLOT_HOME, and any directory other users cannot pass through on the
   way to what the replica needs (a Python installed under ``/root``), are covered
   with an empty tmpfs, on which only the replica's own code folder and home are
   mounted again. The keys, the database, other packages and homes are not there.
2. Its own user (the server runs as root): an unprivileged uid and gid of its
   service's own, no supplementary groups, so the kernel's permission checks refuse
   ``/etc/shadow``, root's files, and signals or ptrace to any other user's process.
3. ``no_new_privs``: no setuid program gives the privileges back.
4. Landlock (``dataslot.runtime.landlock``): read and execute only the Python
   installation, the SDK, its code and the system's directories (of ``/etc``, not the
   password hashes, sudoers or ssh keys; of ``/proc``, its own process and machine-wide
   files); write only its home (HOME, TMPDIR) and ``/dev``;
   connect by TCP only to the API's port, bind none (ABI 4); no signals to, and no
   abstract unix sockets of, processes outside its own domain (ABI 6). Ptrace of, and
   ``/proc/<pid>/mem`` of, a process outside the domain are refused by any Landlock ABI.
5. seccomp (``dataslot.runtime.seccomp``): no unix socket, which Landlock does not
   mediate; no io_uring.

What could not be applied is returned as a list of gaps, each a short sentence naming
the protection that is off and why; the replica sends them in its first message (``confined``), before it imports its package.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
import sysconfig
from pathlib import Path
from urllib.parse import urlsplit

from dataslot.runtime import landlock, seccomp

SDK_DIR = str(Path(__file__).parent.parent)  # the dataslot package, which replicas read

SYSTEM_READ = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/sys", "/opt", "/proc/sys")
# Readable only to root, but a replica may be root where it cannot get a user of its own.
ETC_SECRETS = {"shadow", "shadow-", "gshadow", "gshadow-", "sudoers", "sudoers.d", "ssh"}
PROC_FILES = ("cpuinfo", "meminfo", "stat", "loadavg", "uptime", "version", "filesystems", "cgroups")

PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38
CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x1000, 0x4000, 0x40000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.unshare.argtypes = [ctypes.c_int]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]


def _check(result: int) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def _dirs(paths) -> list[str]:
    seen = []
    for path in paths:
        if not path:
            continue
        real = os.path.realpath(path)
        if os.path.isdir(real) and real not in seen:
            seen.append(real)
    return seen


def readable_dirs(*, code_dir: str) -> list[str]:
    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    python += [sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")]
    python += [p for p in sys.path if "site-packages" in p or "dist-packages" in p]
    # The interpreter itself may live elsewhere than its prefix (a venv's symlink).
    python.append(str(Path(os.path.realpath(sys.executable)).parent.parent))
    own_process = f"/proc/{os.getpid()}"
    return _dirs([*SYSTEM_READ, own_process, *python, SDK_DIR, code_dir])


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _topmost(paths) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(_under(path, k) for k in kept):
            kept.append(path)
    return kept


def _closed_ancestor(path: str) -> str | None:
    """The highest directory above ``path`` that other users cannot pass through."""
    for parent in reversed(Path(path).parents):
        if not os.stat(parent).st_mode & 0o001:
            return str(parent)
    return None


def private_view(*, needed: list[str], hidden: list[str]) -> None:
    """A mount namespace in which ``hidden`` and the closed ancestors of ``needed`` are
    empty, except for the ``needed`` directories beneath them, mounted again."""
    covered = _topmost([*hidden, *filter(None, map(_closed_ancestor, needed))])
    covered = [path for path in covered if path != "/"]
    again = _topmost([p for p in needed if any(_under(p, c) for c in covered)])
    _check(_libc.unshare(CLONE_NEWNS))
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None))  # nothing leaks back
    # Held open (in the new namespace, where they can be mounted from): once covered,
    # these paths cannot be reached by name any more.
    fds = {path: os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC) for path in again}
    try:
        try:
            for path in covered:
                _check(_libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=755,size=1m"))
            for path, fd in fds.items():
                os.makedirs(path, mode=0o755, exist_ok=True)
                _check(_libc.mount(f"/proc/self/fd/{fd}".encode(), path.encode(), None, MS_BIND | MS_REC, None))
        except OSError as error:
            # Half a view hides what the replica needs: it cannot go on.
            raise SystemExit(f"the replica's private filesystem view failed half-way: {error}") from error
    finally:
        for fd in fds.values():
            os.close(fd)


def become(*, uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    # A uid change makes the process undumpable, and its /proc/self root's: it could not
    # list its own fds or read its own status. Its uid is its service's alone; no core
    # file (with its secrets in it) is ever written.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _check(_libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))


def _allow_etc(ruleset: landlock.Ruleset) -> None:
    for entry in os.scandir("/etc"):
        if entry.name not in ETC_SECRETS:
            try:
                ruleset.allow_path(entry.path, landlock.READ)
            except FileNotFoundError:
                pass  # a dangling symbolic link


def _landlock(*, read: list[str], home: str, api_url: str) -> list[str]:
    abi = landlock.abi_version()
    if abi == 0:
        return ["filesystem, network and signal rules (Landlock): this kernel has no Landlock"]
    gaps = []
    if abi < 4:
        gaps.append(f"network rules (Landlock ABI 4): the kernel has ABI {abi}, functions can open any TCP port")
    if abi < 6:
        gaps.append(
            f"signal and abstract socket scoping (Landlock ABI 6): the kernel has ABI {abi}, "
            "only the separate user keeps signals from other processes"
        )
    try:
        ruleset = landlock.Ruleset(
            abi=abi,
            handled_net=landlock.BIND_TCP | landlock.CONNECT_TCP,
            scoped=landlock.SCOPE_SIGNAL | landlock.SCOPE_ABSTRACT_UNIX_SOCKET,
        )
        for path in read:
            if path == "/etc":
                _allow_etc(ruleset)
            else:
                ruleset.allow_path(path, landlock.READ)
        for name in PROC_FILES:
            if os.path.isfile(f"/proc/{name}"):
                ruleset.allow_path(f"/proc/{name}", landlock.READ_FILE)
        ruleset.allow_path(home, ruleset.fs)
        ruleset.allow_path("/dev", landlock.FILE_ONLY | landlock.READ_DIR)
        url = urlsplit(api_url)
        if url.hostname:
            ruleset.allow_port(url.port or (443 if url.scheme == "https" else 80), landlock.CONNECT_TCP)
        ruleset.apply()
    except OSError as error:
        return [f"Landlock rules: {error}"]
    return gaps


def confine(*, code_dir: str, home: str, api_url: str, server_home: str | None, user: dict | None) -> list[str]:
    """Apply every protection this host allows (there is no way back); the gaps."""
    gaps = []
    read = readable_dirs(code_dir=code_dir)
    home = os.path.realpath(home)
    root = os.geteuid() == 0
    view = False
    if root:
        try:
            private_view(needed=[*read, home], hidden=[server_home] if server_home else [])
            os.chdir(code_dir)  # the same folder, seen through the new view
            view = True
        except OSError as error:
            gaps.append(f"private filesystem view (mount namespace): {error}")
    else:
        gaps.append("private filesystem view (mount namespace): the server does not run as root")
    closed = [] if view else [p for p in [*read, home] if _closed_ancestor(p)]
    if user is None:
        gaps.append("own user: turned off (DATASLOT_REPLICA_UID_BASE=0), functions run as the server's user")
    elif not root:
        gaps.append("own user: the server does not run as root, functions run as its user")
    elif not view and closed:
        gaps.append(f"own user: other users cannot reach {closed[0]}, and there is no private view to fix it")
    else:
        try:
            become(uid=int(user["uid"]), gid=int(user["gid"]))
        except OSError as error:
            gaps.append(f"own user: {error}")
    try:
        _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
    except OSError as error:
        gaps.append(f"no_new_privs: {error}")
    gaps += _landlock(read=read, home=home, api_url=api_url)
    try:
        seccomp.apply()
    except OSError as error:
        gaps.append(f"unix socket and io_uring filter (seccomp): {error}")
    return gaps
