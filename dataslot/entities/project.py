"""``dl.Project``: the root of everything a team works on, and the door to its repositories."""

from __future__ import annotations

from dataslot.entities.base import BaseEntity
from dataslot.exceptions import NotFound


class Project(BaseEntity):
    __slots__ = ()

    def _repo(self, name: str, build):
        return self._cached(name, build)

    @property
    def datasets(self):
        return self._repo("datasets", lambda: self._repository("datasets", project=self))

    @property
    def tasks(self):
        return self._repo("tasks", lambda: self._repository("tasks", project=self))

    @property
    def annotations(self):
        return self._repo("annotations", lambda: self._repository("annotations", project=self))

    @property
    def triggers(self):
        return self._repo("triggers", lambda: self._repository("triggers", project=self))

    @property
    def packages(self):
        return self._repo("packages", lambda: self._repository("packages", project=self))

    @property
    def services(self):
        return self._repo("services", lambda: self._repository("services", project=self))

    @property
    def executions(self):
        return self._repo("executions", lambda: self._repository("executions", project=self))

    @property
    def integrations(self):
        return self._repo("integrations", lambda: self._repository("integrations", project=self))

    # -- members -------------------------------------------------------------------

    def list_members(self) -> list[dict]:
        """``[{"userId", "username", "role"}]``."""
        return self.client.get(f"/api/projects/{self.id}/members/")

    def add_member(self, username: str, role: str = "developer") -> list[dict]:
        return self.client.post(f"/api/projects/{self.id}/members/", {"username": username, "role": role})

    def remove_member(self, username: str) -> None:
        member = next((m for m in self.list_members() if m["username"] == username), None)
        if member is None:
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
