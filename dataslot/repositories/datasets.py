from __future__ import annotations

from dataslot.entities.dataset import Dataset
from dataslot.repositories.base import need, one_by_name


class DatasetsRepository:
    """``project.datasets`` (or ``dl.datasets``, which only gets by id)."""

    def __init__(self, client, project=None):
        self._client = client
        self.project = project

    def _entity(self, json: dict) -> Dataset:
        return Dataset(json, self._client)

    def _path(self) -> str:
        need(self.project, "This needs a project: use project.datasets")
        return f"/api/projects/{self.project.id}/datasets/"

    def list(self) -> list[Dataset]:
        return [self._entity(j) for page in self._client.iter_pages(self._path()) for j in page]

    def get(self, dataset_name: str | None = None, dataset_id=None) -> Dataset:
        if dataset_id is not None:
            return self._entity(self._client.get(f"/api/datasets/{dataset_id}/"))
        need(dataset_name, "datasets.get needs dataset_name or dataset_id")
        return one_by_name(self.list(), dataset_name, "Dataset", f" in project {self.project.name!r}")

    def create(self, dataset_name: str) -> Dataset:
        return self._entity(self._client.post(self._path(), {"name": dataset_name}))

    def delete(self, dataset_id) -> bool:
        self._client.delete(f"/api/datasets/{dataset_id}/")
        return True
