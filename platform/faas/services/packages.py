"""Pushing packages: every push or update is a new, immutable revision."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from faas.declarations import normalise_modules, normalise_slots, validate_code
from faas.errors import Conflict
from faas.models import Package, PackageRevision
from faas.packaging import StoredArchiveError, open_archive, stored_archive


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "A package needs a name."})
    if "/" in name or "\\" in name or len(name) > 200:
        raise ValidationError({"name": "A package name has no slashes and at most 200 characters."})
    return name.strip()


@transaction.atomic
def package_push(*, project, name: str, archive: bytes | None, modules, slots=None, user=None) -> Package:
    """Create the package, or add a revision to the one of that name in the project.

    ``archive`` may be omitted for an update, which then reuses the newest archive.
    """
    name = _check_name(name)
    package = Package.objects.select_for_update().filter(project=project, name=name).first()
    previous = package.latest if package and package.version else None
    if archive is None:
        if previous is None:
            raise ValidationError({"archive": "The first push of a package needs its code archive."})
        try:
            archive = stored_archive(previous)
        except StoredArchiveError as exc:
            raise ValidationError({"archive": f"{exc} Send the archive with this push."}) from None
    parsed = open_archive(archive)
    modules = normalise_modules(modules if modules is not None else (previous.modules if previous else None))
    validate_code(parsed, modules)
    slots = normalise_slots(slots, modules)
    if package is None:
        package = Package(project=project, name=name, created_by=user)
        package.full_clean()
        package.save()
    package.version += 1
    package.save(update_fields=["version", "updated_at"])
    revision = PackageRevision(
        package=package,
        version=package.version,
        modules=modules,
        slots=slots,
        archive_sha256=hashlib.sha256(archive).hexdigest(),
    )
    revision.archive.save(
        f"{package.name}-{package.version}.{'zip' if parsed.kind == 'zip' else 'tar.gz'}",
        ContentFile(archive),
        save=False,
    )
    revision.save()
    return package


def package_update(*, package: Package, archive: bytes | None = None, modules=None, slots=None, user=None) -> Package:
    latest = package.latest
    return package_push(
        project=package.project,
        name=package.name,
        archive=archive,
        modules=modules if modules is not None else latest.modules,
        slots=slots if slots is not None else latest.slots,
        user=user,
    )


def package_delete(*, package: Package) -> None:
    if package.services.exists():
        raise Conflict(
            f"Package '{package.name}' is deployed by {package.services.count()} service(s); delete them first."
        )
    package.delete()
