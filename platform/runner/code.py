"""Unpacked package revisions on local disk, shared by every replica of that revision."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.conf import settings

from faas.models import PackageRevision
from faas.packaging import open_archive


def code_dir(revision: PackageRevision) -> Path:
    root = Path(settings.DATASLOT_HOME) / "packages" / str(revision.package_id)
    target = root / f"{revision.version}-{revision.archive_sha256[:12]}"
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with revision.archive.open("rb") as f:
        archive = open_archive(f.read())
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".unpack-"))
    try:
        archive.extract_to(staging)
        staging.rename(target)  # atomic: a replica never sees a half-written folder
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():
            raise
    return target
