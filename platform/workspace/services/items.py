"""Uploading items (validated images with a thumbnail each), editing and deleting them.

An upload of several files is all-or-nothing: every file is decoded and checked before
the first byte is written, and if anything fails later the files already written are
removed again, so a refused request leaves neither rows nor orphan files.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction

from workspace.events import entities_changed
from workspace.images import ProcessedImage, normalize_dir, process_image, validate_name
from workspace.models import Dataset, Item, item_upload_to, thumbnail_upload_to
from workspace.selectors.items import items_list
from workspace.services.storage import delete_files, delete_files_on_commit

SYSTEM = "system"
UPLOAD_KEY = "uploadKey"
UPLOAD_KEY_MAX_LENGTH = 64


@dataclass(frozen=True)
class _Upload:
    name: str
    image: ProcessedImage
    originalname: str
    source: bytes | File

    def content(self) -> File:
        """What is stored: the image's bytes, or the uploaded file itself, copied from disk."""
        return self.source if self.image.content is None else ContentFile(self.image.content)


def _source(file) -> tuple[bytes | File, str]:
    """Raw bytes, or a seekable file (an upload spooled to disk stays there), and the client-side name."""
    if isinstance(file, (bytes, bytearray, memoryview)):
        return bytes(file), ""
    name = os.path.basename(getattr(file, "name", "") or "")
    if isinstance(file, File) and file.seekable():
        return file, name
    return bytes(file.read()), name  # a stream that cannot rewind


def _user_metadata(metadata, *, field: str = "metadata") -> dict:
    """The client's part of metadata: a JSON object; ``system`` belongs to the server."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValidationError({field: "Must be a JSON object."})
    return {k: v for k, v in metadata.items() if k != SYSTEM}


def _prepare(*, file, name: str | None) -> _Upload:
    source, client_name = _source(file)
    originalname = client_name or name or ""
    if name is None:
        name = client_name
        if not name:
            raise ValidationError({"name": "A name is needed when the file has none."})
    validate_name(name, field="name" if name != client_name else "file")
    image = process_image(source if isinstance(source, bytes) else source.file, name=name)
    return _Upload(name=name, image=image, originalname=originalname, source=source)


def _build(*, dataset: Dataset, upload: _Upload, dir: str, metadata: dict, user, key: str | None = None) -> Item:
    image = upload.image
    system = {
        "mimetype": image.mimetype,
        "originalname": upload.originalname or upload.name,
        "format": image.format,
        "size": image.size,
        "width": image.width,
        "height": image.height,
    }
    if image.reencoded:
        system["exifTransposed"] = True
    if key is not None:
        system[UPLOAD_KEY] = key
    return Item(
        dataset=dataset,
        name=upload.name,
        dir=dir,
        type="file",
        width=image.width,
        height=image.height,
        size=image.size,
        metadata={**metadata, SYSTEM: system},
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


@transaction.atomic
def _store(
    *, dataset: Dataset, prepared: list[_Upload], dir: str, metadata: dict, user, key: str | None = None
) -> list[Item]:
    written: list[str] = []
    try:
        items = []
        for upload in prepared:
            item = _build(dataset=dataset, upload=upload, dir=dir, metadata=metadata, user=user, key=key)
            stem = uuid.uuid4().hex
            # Stored under a random name: the item's name is data, not a path on disk.
            file_name = default_storage.save(item_upload_to(item, stem + upload.image.extension), upload.content())
            written.append(file_name)
            thumb_name = default_storage.save(
                thumbnail_upload_to(item, stem + upload.image.thumbnail_extension),
                ContentFile(upload.image.thumbnail),
            )
            written.append(thumb_name)
            item.file.name, item.thumbnail.name = file_name, thumb_name
            # The dataset and the user are loaded instances: checking they exist would be two
            # queries an item.
            item.full_clean(exclude=["dataset", "created_by"])
            items.append(item)
        items = Item.objects.bulk_create(items)  # one INSERT for the request (ids come back)
        entities_changed(project_id=dataset.project_id, resource="Item", action="Created", entities=items, user=user)
        return items
    except BaseException:
        delete_files(written)
        raise


def items_upload(
    *, dataset: Dataset, files, dir: str = "/", metadata: dict | None = None, user=None, key: str | None = None
) -> list[Item]:
    """Upload ``files`` into ``dataset``: all of them, or none if one is refused.

    ``key``: the client's name for a one-file upload (``metadata.system.uploadKey``). The
    same key sent again to the dataset (a retry after an answer that was lost on the way)
    returns the item it made instead of making another."""
    files = list(files)
    if not files:
        raise ValidationError({"file": "Send at least one file."})
    if key is not None:
        if len(files) != 1 or not isinstance(key, str) or not 0 < len(key) <= UPLOAD_KEY_MAX_LENGTH:
            raise ValidationError({"key": f"A key names one file's upload: 1 to {UPLOAD_KEY_MAX_LENGTH} characters."})
        # The metadata index finds it: no scan of the dataset.
        done = items_list(dataset=dataset, filter={f"metadata.{SYSTEM}.{UPLOAD_KEY}": key}).first()
        if done is not None:
            return [done]
    dir = normalize_dir(dir)
    metadata = _user_metadata(metadata)
    prepared = [_prepare(file=f, name=None) for f in files]
    return _store(dataset=dataset, prepared=prepared, dir=dir, metadata=metadata, user=user, key=key)


def item_create(
    *,
    dataset: Dataset,
    file,
    name: str | None = None,
    dir: str = "/",
    metadata: dict | None = None,
    user=None,
) -> Item:
    """One item from a Django File/UploadedFile or bytes; ``name`` defaults to the file's name."""
    dir = normalize_dir(dir)
    metadata = _user_metadata(metadata)
    upload = _prepare(file=file, name=name)
    return _store(dataset=dataset, prepared=[upload], dir=dir, metadata=metadata, user=user)[0]


_UNSET = object()


def item_update(*, item: Item, name=_UNSET, dir=_UNSET, hidden=_UNSET, metadata=_UNSET) -> Item:
    """Change what a client may change; ``metadata.system`` stays the server's."""
    if name is not _UNSET:
        item.name = validate_name(name)
    if dir is not _UNSET:
        item.dir = normalize_dir(dir)
    if hidden is not _UNSET:
        if not isinstance(hidden, bool):
            raise ValidationError({"hidden": "Must be true or false."})
        item.hidden = hidden
    if metadata is not _UNSET:
        system = (item.metadata or {}).get(SYSTEM, {})
        item.metadata = {**_user_metadata(metadata), SYSTEM: system}
    item.full_clean()
    item.save()
    entities_changed(project_id=item.dataset.project_id, resource="Item", action="Updated", entities=[item])
    return item


@transaction.atomic
def item_delete(*, item: Item) -> None:
    names = [n for n in (item.file.name, item.thumbnail.name) if n]
    entities_changed(
        project_id=item.dataset.project_id, resource="Item", action="Deleted", entities=[item], deleted=True
    )
    item.delete()
    delete_files_on_commit(names)
