from __future__ import annotations

from dataslot.entities.project import Project
from dataslot.repositories.base import Repository


class ProjectsRepository(Repository):
    """``dl.projects``: the projects the caller is a member of."""

    entity, noun, scopes, parent = Project, "projects", (), None

    def _path(self) -> str:
        return "/api/projects/"

    def get(self, project_name: str | None = None, project_id=None) -> Project:
        return self._get(project_id, project_name)

    def create(self, project_name: str, description: str = "") -> Project:
        return self._entity(self._client.post("/api/projects/", {"name": project_name, "description": description}))
