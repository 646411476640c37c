from __future__ import annotations

from dataslot.entities.dataset import Dataset
from dataslot.repositories.base import Repository


class DatasetsRepository(Repository):
    """``project.datasets`` (or ``dl.datasets``, which only gets by id)."""

    entity, noun = Dataset, "datasets"

    def get(self, dataset_name: str | None = None, dataset_id=None) -> Dataset:
        return self._get(dataset_id, dataset_name)

    def create(self, dataset_name: str) -> Dataset:
        return self._entity(self._client.post(self._path(), {"name": dataset_name}))
