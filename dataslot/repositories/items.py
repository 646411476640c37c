from __future__ import annotations

import logging
import os
from pathlib import Path

from dataslot.client import dumps
from dataslot.entities.item import Item
from dataslot.exceptions import NotFound
from dataslot.filters import Filters, query_for
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities
from dataslot.repositories.base import Repository, need, results
from dataslot.uploads import payloads

logger = logging.getLogger("dataslot")

# Files per request when uploading a folder: one bad file refuses only its own batch.
FOLDER_BATCH = 50
# Items a request when walking a dataset (the server's maximum for its item list), cut
# into pages of ``page_size``: a million items' metadata is a hundred round trips.
FETCH_SIZE = 10_000


class ItemsRepository(Repository):
    """``dataset.items`` (or ``dl.items``, which only gets by id)."""

    entity, noun, scopes, parent = Item, "items", ("dataset",), "dataset"

    def get(self, item_id=None, filepath: str | None = None) -> Item:
        if item_id is not None:
            return self._get(item_id)
        need(filepath, "items.get needs item_id or filepath")
        found = self.list(filters=Filters(field="filename", values=filepath, use_defaults=False)).first()
        if found is None:
            raise NotFound(f"Item not found: {filepath!r} in dataset {self.dataset.name!r}")
        return found

    def list(self, filters: Filters | dict | None = None, page_size: int | None = None) -> PagedEntities:
        """The items matching ``filters`` (default: visible files) as pages: ``for page in
        pages``, ``pages.all()``, ``pages[i]``, ``pages.items_count``."""
        # No filters means dtlpy's default item query: visible files only.
        filters = Filters() if filters is None else filters
        is_filters = isinstance(filters, Filters)
        chosen = page_size or (filters.page_size if is_filters else None)
        params = {"page_size": chosen or DEFAULT_PAGE_SIZE}
        query = query_for(filters, self._client, self.dataset._json.get("projectId")) if is_filters else filters
        if query:
            params["filter"] = dumps(query)
        client = self._client
        sort = filters.sort if is_filters else None
        return PagedEntities(
            client,
            self._path(),
            params,
            lambda j: Item(j, client),
            sort=_non_native(sort),
            fetch_size=None if chosen else FETCH_SIZE,  # a page size the user chose is what is asked
        )

    def upload(
        self,
        local_path,
        remote_path: str = "/",
        remote_name: str | None = None,
        item_metadata: dict | None = None,
        return_as_list: bool = False,
        **ignored,
    ):
        """Upload a file path, bytes, a file object (``BytesIO``), a PIL image or a NumPy
        array (sent as PNG). As in dtlpy, one file uploaded returns its ``Item`` and several
        (a list, or a folder) return a list of items; ``return_as_list=True`` always a list."""
        if ignored:
            _warn_ignored(ignored)
        if isinstance(local_path, str | os.PathLike) and Path(local_path).is_dir():
            uploaded = self._upload_folder(Path(local_path), remote_path, item_metadata)
        elif isinstance(local_path, list | tuple):
            files = [f for source in local_path for f in payloads(source, None)]
            uploaded = self._post(files, remote_path, None, item_metadata) if files else []
        else:
            uploaded = self._post(payloads(local_path, remote_name), remote_path, remote_name, item_metadata)
        if return_as_list:
            return uploaded
        if len(uploaded) == 1:
            return uploaded[0]
        return uploaded or None

    def _upload_folder(self, folder: Path, remote_path: str, item_metadata) -> list[Item]:
        uploaded = []
        for root, dirs, names in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            files = sorted(n for n in names if not n.startswith("."))
            relative = Path(root).relative_to(folder).as_posix()
            target = remote_path.rstrip("/") + ("/" + relative if relative != "." else "")
            for start in range(0, len(files), FOLDER_BATCH):
                batch = [(n, open(Path(root) / n, "rb")) for n in files[start : start + FOLDER_BATCH]]
                uploaded += self._post(batch, target or "/", None, item_metadata)
        return uploaded

    def _post(self, files, remote_path: str, remote_name, item_metadata) -> list[Item]:
        data = {"dir": "/" + remote_path.strip("/")}
        if remote_name and len(files) == 1:
            data["name"] = remote_name
        if item_metadata:
            data["metadata"] = dumps(item_metadata)
        try:
            body = self._client.post(
                self._path(), None, data=data, files=[("file", (name, handle)) for name, handle in files]
            )
        finally:
            for _, handle in files:
                handle.close()
        return [self._entity(j) for j in results(body)]


def _non_native(sort):
    """The sort to make in the SDK, or None when it is the server's own order (id ascending)."""
    if sort is None or (sort[0] in ("id", "createdAt") and sort[1] == "ascending"):
        return None
    return sort


def _warn_ignored(options: dict) -> None:
    # dtlpy's upload options with no meaning here (overwrite, local_annotations_path...) are
    # said out loud rather than dropped in silence.
    logger.warning("items.upload: %s not applied in Dataslot", ", ".join(sorted(options)))
