"""``dl.Project``: the root of everything a team works on, and the door to its repositories."""

from __future__ import annotations

from dataslot.entities.base import BaseEntity


class Project(BaseEntity):
    __slots__ = ()

    def _repo(self, name: str, build):
        return self._cached(name, build)

    @property
    def datasets(self):
        from dataslot.repositories.datasets import DatasetsRepository

        return self._repo("datasets", lambda: DatasetsRepository(self.client, project=self))

    @property
    def tasks(self):
        from dataslot.repositories.tasks import TasksRepository

        return self._repo("tasks", lambda: TasksRepository(self.client, project=self))

    @property
    def annotations(self):
        from dataslot.repositories.annotations import AnnotationsRepository

        return self._repo("annotations", lambda: AnnotationsRepository(self.client, project=self))

    @property
    def triggers(self):
        from dataslot.repositories.triggers import TriggersRepository

        return self._repo("triggers", lambda: TriggersRepository(self.client, project=self))

    @property
    def packages(self):
        from dataslot.repositories.packages import PackagesRepository

        return self._repo("packages", lambda: PackagesRepository(self.client, project=self))

    @property
    def services(self):
        from dataslot.repositories.services import ServicesRepository

        return self._repo("services", lambda: ServicesRepository(self.client, project=self))

    @property
    def executions(self):
        from dataslot.repositories.executions import ExecutionsRepository

        return self._repo("executions", lambda: ExecutionsRepository(self.client, project=self))

    @property
    def integrations(self):
        from dataslot.repositories.integrations import IntegrationsRepository

        return self._repo("integrations", lambda: IntegrationsRepository(self.client, project=self))

    # -- members -------------------------------------------------------------------

    def list_members(self) -> list[dict]:
        """``[{"userId", "username", "role"}]``."""
        return self.client.get(f"/api/projects/{self.id}/members/")

    def add_member(self, username: str, role: str = "developer") -> list[dict]:
        return self.client.post(f"/api/projects/{self.id}/members/", {"username": username, "role": role})

    def remove_member(self, username: str) -> None:
        member = next((m for m in self.list_members() if m["username"] == username), None)
        if member is None:
            from dataslot.exceptions import NotFound

            raise NotFound(f"{username!r} is not a member of project {self.name!r}")
        self.client.delete(f"/api/projects/{self.id}/members/{member['userId']}/")

    # -- changes -------------------------------------------------------------------

    def update(self) -> Project:
        json = self.client.patch(
            f"/api/projects/{self.id}/", {"name": self._json.get("name"), "description": self._json.get("description")}
        )
        self._replace(json)
        return self

    def delete(self, sure: bool = False, really: bool = False) -> bool:
        """Delete the project and everything in it; dtlpy's two confirmations are required."""
        if not (sure and really):
            raise ValueError("Deleting a project deletes all its data: call delete(sure=True, really=True)")
        self.client.delete(f"/api/projects/{self.id}/")
        return True
