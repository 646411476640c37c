"""``dl.Item``: one file of a dataset (an image), its bytes and its annotations."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from dataslot.entities.base import BaseEntity

_CHUNK = 1 << 20


class Item(BaseEntity):
    __slots__ = ()

    @property
    def dataset(self):
        return self._cached("dataset", lambda: self._repository("datasets").get(dataset_id=self.dataset_id))

    @property
    def project(self):
        return self._cached("project", lambda: self._repository("projects").get(project_id=self.project_id))

    @property
    def annotations(self):
        return self._cached("annotations", lambda: self._repository("annotations", item=self))

    @property
    def mimetype(self) -> str | None:
        return ((self._json.get("metadata") or {}).get("system") or {}).get("mimetype")

    @property
    def filename(self) -> str:
        if "filename" in self._json:
            return self._json["filename"]
        return (self._json.get("dir") or "/").rstrip("/") + "/" + self._json.get("name", "")

    def download(self, local_path: str | os.PathLike | None = None, save_locally: bool = True):
        """The original bytes: saved to a file (returns its path) or, with
        ``save_locally=False``, returned as a ``BytesIO`` named after the item."""
        response = self.client.request("GET", f"/api/items/{self.id}/download/", stream=save_locally)
        if not save_locally:
            buffer = io.BytesIO(response.content)
            buffer.name = self._json.get("name", f"item-{self.id}")
            return buffer
        target = self._download_path(local_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with response, open(target, "wb") as out:
            for chunk in response.iter_content(_CHUNK):
                out.write(chunk)
        return str(target)

    def _download_path(self, local_path) -> Path:
        name = self._json.get("name") or f"item-{self.id}"
        if local_path is None:
            # A stable place per dataset, like dtlpy's local cache.
            folder = Path(tempfile.gettempdir()) / "dataslot" / "items" / str(self.dataset_id)
            return folder / (self._json.get("dir") or "/").strip("/") / name
        path = Path(local_path)
        if path.is_dir() or str(local_path).endswith(os.sep):
            return path / name
        return path

    def update(self) -> Item:
        """Save ``name``, ``dir``, ``hidden`` and the user keys of ``metadata``."""
        metadata = {k: v for k, v in (self._json.get("metadata") or {}).items() if k != "system"}
        body = {
            "name": self._json.get("name"),
            "dir": self._json.get("dir"),
            "hidden": self._json.get("hidden"),
            "metadata": metadata,
        }
        self._replace(self.client.patch(f"/api/items/{self.id}/", body))
        return self

    def delete(self) -> bool:
        self.client.delete(f"/api/items/{self.id}/")
        return True
