"""Each service's own unprivileged user, and the files that user must own or read.

When the server runs as root, a replica gives up root for ``DATASLOT_REPLICA_UID_BASE +
service id`` (uid and gid, no supplementary groups) once it has made its private view
of the filesystem (``dataslot.runtime.sandbox``). The server prepares what that user
needs: its home, owned by it, and its unpacked code, readable by it. Nothing else under
DATASLOT_HOME is: the home folder itself is 0700 and the keys 0600.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.conf import settings

UID_MAX = 2**32 - 2  # (uid_t)-1 means "unchanged" to the kernel


def replica_user(service_id: int) -> dict | None:
    """The uid and gid a service's replicas run as; None when turned off."""
    base = settings.DATASLOT_REPLICA_UID_BASE
    if not base or base + service_id > UID_MAX:
        return None
    return {"uid": base + service_id, "gid": base + service_id}


def prepare_home(home: Path, user: dict | None) -> None:
    """The service's home (HOME, with TMPDIR inside), owned by its user."""
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    if user is None or os.geteuid() != 0:
        return
    if home.lstat().st_uid != user["uid"]:
        _hand_over(home, user["uid"], user["gid"])
    os.chmod(home, 0o700)


def _hand_over(folder: Path, uid: int, gid: int) -> None:
    # A home written before its service had a user of its own: every folder and file in
    # it becomes the service's. Never a hard link, which could be a file of the server's.
    os.lchown(folder, uid, gid)
    for entry in os.scandir(folder):
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(info.st_mode):
            _hand_over(Path(entry.path), uid, gid)
        elif info.st_nlink == 1:
            os.lchown(entry.path, uid, gid)


def share_code(folder: Path) -> Path:
    """An unpacked revision, readable by other users: it is shared by every service of its
    package (each with its own user) and reached only through a replica's private view."""
    if os.stat(folder).st_mode & 0o005 == 0o005:
        return folder  # done before: the top folder is opened up last
    for path, folders, files in os.walk(folder, topdown=False):
        for name in files:
            _add_mode(os.path.join(path, name), 0o444)
        for name in folders:
            _add_mode(os.path.join(path, name), 0o555)
    _add_mode(str(folder), 0o555)
    return folder


def _add_mode(path: str, bits: int) -> None:
    mode = os.lstat(path).st_mode
    if not stat.S_ISLNK(mode) and mode & bits != bits:
        os.chmod(path, stat.S_IMODE(mode) | bits)
