"""``dl.Dataset``: a named collection of items in a project."""

from __future__ import annotations

from dataslot.entities.base import BaseEntity


class Dataset(BaseEntity):
    __slots__ = ()

    @property
    def items(self):
        return self._cached("items", lambda: self._repository("items", dataset=self))

    @property
    def annotations(self):
        """The dataset's annotations: ``dataset.annotations.list(filters=...)`` gives pages."""
        return self._cached("annotations", lambda: self._repository("annotations", dataset=self))

    @property
    def project(self):
        return self._cached("project", lambda: self._repository("projects").get(project_id=self.project_id))

    def update(self) -> Dataset:
        self._replace(self.client.patch(f"/api/datasets/{self.id}/", {"name": self._json.get("name")}))
        return self

    def delete(self) -> bool:
        self.client.delete(f"/api/datasets/{self.id}/")
        return True
