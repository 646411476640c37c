"""Unpacked package revisions on local disk, shared by every replica of that revision.

Embedded, the archive is read from the server's storage. A scale-out worker has no
access to it: it fetches the archive from the web API (``runner/archives.py``, a
worker-only endpoint signed with DATASLOT_SECRET_KEY) and checks its sha256 before
unpacking it into its own DATASLOT_HOME.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import requests
from django.conf import settings
from django.core.exceptions import ValidationError

from faas.models import PackageRevision
from faas.packaging import StoredArchiveError, open_archive, stored_archive
from runner.archives import ARCHIVE_PATH, SIGNATURE_HEADER, archive_signature


class CodeUnavailable(Exception):
    """The revision's code cannot be unpacked; the message says why, for the project to read."""


class CodeNotFetched(CodeUnavailable):
    """This worker could not get the code (the network, the API, its own disk): the service
    is not broken for every worker; this worker hands its executions to others
    (``runner/offers.py``, ``_fail_here``)."""


def code_dir(revision: PackageRevision) -> Path:
    root = Path(settings.DATASLOT_HOME) / "packages" / str(revision.package_id)
    target = root / f"{revision.version}-{revision.archive_sha256[:12]}"
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    data = fetch_archive(revision) if settings.DATASLOT_EXECUTOR == "celery" else _stored(revision)
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
            error = CodeNotFetched if settings.DATASLOT_EXECUTOR == "celery" else CodeUnavailable
            raise error(f"The archive of package revision {revision.version} could not be unpacked: {why}.") from exc
    return target


def _stored(revision: PackageRevision) -> bytes:
    try:
        # The stored file must be the one verified at push: a changed file is not trusted.
        return stored_archive(revision)
    except StoredArchiveError as exc:
        raise CodeUnavailable(str(exc)) from None


def fetch_archive(revision: PackageRevision) -> bytes:
    """The revision's archive from the web API, checked against the sha256 taken at push."""
    url = settings.DATASLOT_API_URL.rstrip("/") + ARCHIVE_PATH.format(revision_id=revision.id)
    cannot = f"This worker could not fetch the code of package revision {revision.version}"
    limit = settings.DATASLOT_MAX_ARCHIVE_BYTES
    try:
        with requests.get(
            url, headers={SIGNATURE_HEADER: archive_signature(revision)}, timeout=(5, 60), stream=True
        ) as response:
            if response.status_code == 409:  # the web host's stored archive is missing or changed
                raise CodeUnavailable(response.json().get("detail", f"{cannot}."))
            if response.status_code != 200:
                raise CodeNotFetched(f"{cannot}: the API answered {response.status_code}.")
            data = bytearray()
            for chunk in response.iter_content(1 << 16):
                data += chunk
                if len(data) > limit:
                    raise CodeNotFetched(f"{cannot}: it is larger than DATASLOT_MAX_ARCHIVE_BYTES.")
    except requests.RequestException as exc:
        raise CodeNotFetched(f"{cannot}: {type(exc).__name__}.") from None
    if hashlib.sha256(data).hexdigest() != revision.archive_sha256:
        raise CodeNotFetched(f"{cannot}: what arrived does not match its checksum.")
    return bytes(data)
