"""``dl.Task``: a labelling assignment over some items of a dataset."""

from __future__ import annotations

from dataslot.entities.base import BaseEntity
from dataslot.entities.item import Item
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities


class Task(BaseEntity):
    __slots__ = ()

    @property
    def dataset(self):
        return self._cached("dataset", lambda: self._repository("datasets").get(dataset_id=self.dataset_id))

    def get_items(self, page_size: int = DEFAULT_PAGE_SIZE) -> PagedEntities:
        """The task's items; each item's JSON carries ``done``."""
        client = self.client
        return PagedEntities(
            client, f"/api/tasks/{self.id}/items/", {"page_size": page_size}, lambda j: Item(j, client)
        )

    def set_item_done(self, item_id, done: bool = True) -> Task:
        self._replace(self.client.post(f"/api/tasks/{self.id}/items/{item_id}/", {"done": done}))
        return self

    def update(self) -> Task:
        body = {k: self._json.get(k) for k in ("name", "status", "dueDate", "assignees")}
        self._replace(self.client.patch(f"/api/tasks/{self.id}/", body))
        return self

    def delete(self) -> bool:
        self.client.delete(f"/api/tasks/{self.id}/")
        return True
