"""Confining a replica to what it needs on the filesystem, with Landlock.

A replica runs as the server's OS user, so without this a function could read the
server's keys and database under DATASLOT_HOME. Before any package code is imported,
the replica restricts itself (no privileges needed; Linux 5.13+):

- read and execute: the Python installation and its site-packages, the SDK, the
  package's own code, and the system's directories (/usr, /lib, /etc, /sys);
- of /proc, only the replica's own process and the machine-wide files libraries read
  (cpuinfo, meminfo, ...): never another process's environment, where secrets are.
  (Landlock's own ptrace scoping would also guard that, but it yields to a process with
  CAP_SYS_PTRACE, which a server run as root has.)
- read and write: the service's own home (HOME, with TMPDIR inside it) and /dev;
- nothing else: not DATASLOT_HOME, not the project's sources, not another service's
  home.

Where Landlock is missing (an old kernel), the replica says so on stderr and runs
unconfined; the service log shows the warning.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

SYSTEM_READ = ("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/sys", "/opt", "/proc/sys")
PROC_FILES = ("cpuinfo", "meminfo", "stat", "loadavg", "uptime", "version", "filesystems", "cgroups")


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
    import dataslot

    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    python += [sysconfig.get_path(name) for name in ("stdlib", "platstdlib", "purelib", "platlib")]
    python += [p for p in sys.path if "site-packages" in p or "dist-packages" in p]
    # The interpreter itself may live elsewhere than its prefix (a venv's symlink).
    python.append(str(Path(os.path.realpath(sys.executable)).parent.parent))
    own_process = f"/proc/{os.getpid()}"
    return _dirs([*SYSTEM_READ, own_process, *python, str(Path(dataslot.__file__).parent), code_dir])


def confine(*, code_dir: str, home: str) -> str | None:
    """Apply the sandbox to this process; None when applied, else why it could not be."""
    try:
        import landlock
        from landlock.plumbing import FSAccess
    except ImportError as error:
        return f"the landlock package is missing ({error})"
    try:
        read = FSAccess.READ_FILE | FSAccess.READ_DIR | FSAccess.EXECUTE
        ruleset = landlock.Ruleset()
        ruleset.allow(*readable_dirs(code_dir=code_dir), rules=read)
        proc_files = [f"/proc/{name}" for name in PROC_FILES if os.path.isfile(f"/proc/{name}")]
        ruleset.allow(*proc_files, rules=FSAccess.READ_FILE)
        ruleset.allow(*_dirs([home]), rules=ruleset.restrict_rules)
        ruleset.allow(*_dirs(["/dev"]), rules=FSAccess.all_file() | FSAccess.READ_DIR)
        ruleset.apply()
    except Exception as error:  # noqa: BLE001 - any failure means "not confined", said plainly
        return f"{type(error).__name__}: {error}"
    return None
