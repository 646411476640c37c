"""Where Dataslot keeps its data, and the keys it generates on first start.

Everything lives under ``DATASLOT_HOME`` (default ``./var``): the SQLite database,
media files, unpacked packages, replica logs, and two generated keys. The keys are
written once with mode 0600 and never committed (``var/`` is git-ignored).
"""

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def home() -> Path:
    path = Path(os.environ.get("DATASLOT_HOME") or PROJECT_ROOT / "var").resolve()
    # Closed to other users: replicas run as users of their own (runner/users.py).
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _key_file(name: str, make) -> str:
    path = home() / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(make())
    return path.read_text().strip()


def secret_key() -> str:
    return _key_file("secret.key", lambda: secrets.token_urlsafe(50))


def encryption_key() -> str:
    return _key_file("encryption.key", lambda: Fernet.generate_key().decode())
