"""``dl.Trigger``: a service's function run on workspace events, or ``dl.CronTrigger`` on a schedule.

The JSON is dtlpy's: what the trigger does sits under ``spec`` (``resource``, ``actions``,
``filter``, ``executionMode``; or ``cron``, ``startAt``, ``endAt``, ``inputs``), and the
attributes read it (``trigger.resource``, ``trigger.filters``, ``trigger.cron``...).
"""

from __future__ import annotations

from dataslot.entities.base import BaseEntity, plain
from dataslot.entities.execution import Execution
from dataslot.paging import DEFAULT_PAGE_SIZE, PagedEntities

# attribute -> key under "spec"
_SPEC = {
    "resource": "resource",
    "actions": "actions",
    "filters": "filter",
    "execution_mode": "executionMode",
    "cron": "cron",
    "start_at": "startAt",
    "end_at": "endAt",
    "inputs": "inputs",
}
# What update() sends: the fields a user may change.
EDITABLE = ("name", "active", "functionName", "spec")


class Trigger(BaseEntity):
    __slots__ = ()

    def __getattr__(self, name: str):
        if name in _SPEC:
            return (self._json.get("spec") or {}).get(_SPEC[name])
        return super().__getattr__(name)

    def __setattr__(self, name: str, value) -> None:
        if name in _SPEC:
            spec = self._json.setdefault("spec", {})
            spec[_SPEC[name]] = value.prepare() if hasattr(value, "prepare") else plain(value)
        else:
            super().__setattr__(name, value)

    @property
    def service(self):
        return self._cached("service", lambda: self._repository("services").get(service_id=self.service_id))

    @property
    def project(self):
        return self._cached("project", lambda: self._repository("projects").get(project_id=self.project_id))

    def update(self) -> Trigger:
        """Save what was changed (``trigger.active = False``, ``trigger.filters = ...``)."""
        spec = {k: v for k, v in (self._json.get("spec") or {}).items() if k != "operation"}
        body = {key: plain(self._json[key]) for key in EDITABLE if key in self._json and key != "spec"}
        body["spec"] = plain(spec)
        self._replace(self.client.patch(f"/api/triggers/{self.id}/", body))
        return self

    def pause(self) -> Trigger:
        self.active = False
        return self.update()

    def resume(self) -> Trigger:
        self.active = True
        return self.update()

    def delete(self) -> bool:
        self.client.delete(f"/api/triggers/{self.id}/")
        return True

    def executions(self):
        """The executions this trigger made, newest first (pages, as ``service.executions.list()``)."""
        client = self.client
        params = {"triggerId": self.id, "page_size": DEFAULT_PAGE_SIZE}
        path = f"/api/projects/{self.project_id}/executions/"
        return PagedEntities(client, path, params, lambda j: Execution(j, client))


class CronTrigger(Trigger):
    __slots__ = ()


def trigger_from(json: dict, client) -> Trigger:
    return (CronTrigger if json.get("type") == "Cron" else Trigger)(json, client)
