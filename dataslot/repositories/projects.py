from __future__ import annotations

from dataslot.entities.project import Project
from dataslot.repositories.base import need, one_by_name


class ProjectsRepository:
    """``dl.projects``: the projects the caller is a member of."""

    def __init__(self, client):
        self._client = client

    def _entity(self, json: dict) -> Project:
        return Project(json, self._client)

    def list(self) -> list[Project]:
        return [self._entity(j) for page in self._client.iter_pages("/api/projects/") for j in page]

    def get(self, project_name: str | None = None, project_id=None) -> Project:
        if project_id is not None:
            return self._entity(self._client.get(f"/api/projects/{project_id}/"))
        need(project_name, "projects.get needs project_name or project_id")
        return one_by_name(self.list(), project_name, "Project")

    def create(self, project_name: str, description: str = "") -> Project:
        return self._entity(self._client.post("/api/projects/", {"name": project_name, "description": description}))
