"""Unpacked package revisions on local disk, shared by every replica of that revision."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from faas.models import PackageRevision
from faas.packaging import StoredArchiveError, open_archive, stored_archive


class CodeUnavailable(Exception):
    """The revision's code cannot be unpacked; the message says why, for the project to read."""


def code_dir(revision: PackageRevision) -> Path:
    root = Path(settings.DATASLOT_HOME) / "packages" / str(revision.package_id)
    target = root / f"{revision.version}-{revision.archive_sha256[:12]}"
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    try:
        # The stored file must be the one verified at push: a changed file is not trusted.
        data = stored_archive(revision)
    except StoredArchiveError as exc:
        raise CodeUnavailable(str(exc)) from None
    try:
        archive = open_archive(data)
    except ValidationError as exc:
        reasons = " ".join(m for messages in exc.message_dict.values() for m in messages)
        raise CodeUnavailable(
            f"The archive of package revision {revision.version} cannot be unpacked: {reasons}"
        ) from None
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".unpack-"))
    try:
        archive.extract_to(staging)
        staging.rename(target)  # atomic: a replica never sees a half-written folder
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():
            why = exc.strerror or type(exc).__name__  # never the server's paths
            raise CodeUnavailable(
                f"The archive of package revision {revision.version} could not be unpacked: {why}."
            ) from exc
    return target
