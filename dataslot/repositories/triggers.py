from __future__ import annotations

import datetime

from dataslot.entities.base import plain
from dataslot.entities.trigger import Trigger, trigger_from
from dataslot.enums import TriggerExecutionMode, TriggerResource, TriggerType
from dataslot.repositories.base import Repository, need


class TriggersRepository(Repository):
    """``service.triggers`` / ``project.triggers`` (or ``dl.triggers``: by id, or with ``service_id=``)."""

    entity, noun, scopes = Trigger, "triggers", ("project", "service")

    def _entity(self, json: dict) -> Trigger:
        return trigger_from(json, self._client)  # an event or a cron trigger

    def _path(self, service_id=None, project_id=None) -> str:
        service_id = service_id or (self.service.id if self.service is not None else None)
        if service_id is not None:
            return f"/api/services/{service_id}/triggers/"
        project_id = project_id or (self.project.id if self.project is not None else None)
        need(project_id, "This needs a service or a project: use service.triggers or project.triggers")
        return f"/api/projects/{project_id}/triggers/"

    def list(self, service_id=None, project_id=None) -> list[Trigger]:
        return [self._entity(j) for page in self._client.iter_pages(self._path(service_id, project_id)) for j in page]

    def get(self, trigger_id=None, trigger_name: str | None = None) -> Trigger:
        return self._get(trigger_id, trigger_name)

    def create(
        self,
        service_id=None,
        trigger_type=TriggerType.EVENT,
        name: str | None = None,
        webhook_id=None,
        function_name: str = "run",
        project_id=None,
        active: bool = True,
        filters=None,
        resource=TriggerResource.ITEM,
        actions=None,
        execution_mode=TriggerExecutionMode.ONCE,
        start_at=None,
        end_at=None,
        inputs=None,
        cron: str | None = None,
        pipeline_id=None,
        pipeline=None,
        pipeline_node_id=None,
        root_node_namespace=None,
        **kwargs,
    ) -> Trigger:
        """dtlpy's signature. An event trigger runs ``function_name`` on each ``actions``
        event of ``resource`` that ``filters`` (DQL or ``dl.Filters``) matches; a cron trigger
        runs it on the ``cron`` schedule (UTC) between ``start_at`` and ``end_at`` with ``inputs``."""
        if webhook_id is not None or pipeline_id is not None or pipeline is not None:
            raise ValueError("Dataslot triggers run a service's function: webhooks and pipelines are not supported.")
        if isinstance(actions, str):
            actions = [actions]
        if TriggerType(trigger_type) == TriggerType.CRON:
            operation_spec = {
                "cron": cron,
                "startAt": _moment(start_at),
                "endAt": _moment(end_at),
                "inputs": plain(inputs or {}),
            }
        else:
            operation_spec = {
                "resource": str(resource),
                "actions": [str(a) for a in actions] if actions is not None else None,
                "filter": filters.prepare() if hasattr(filters, "prepare") else plain(filters or {}),
                "executionMode": str(execution_mode),
            }
        service_id = service_id or (self.service.id if self.service is not None else None)
        need(service_id, "triggers.create needs service_id= (or use service.triggers.create)")
        spec = {k: v for k, v in operation_spec.items() if v is not None}
        spec["operation"] = {"type": "function", "serviceId": service_id, "functionName": function_name}
        body = {"type": str(trigger_type), "active": active, "spec": spec}
        if name is not None:
            body["name"] = name
        return self._entity(self._client.post(f"/api/services/{service_id}/triggers/", body))

    def update(self, trigger: Trigger) -> Trigger:
        return trigger.update()

    def delete(self, trigger_id=None, trigger_name: str | None = None) -> bool:
        if trigger_id is None:
            trigger_id = self.get(trigger_name=trigger_name).id
        return super().delete(trigger_id)


def _moment(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.isoformat()
    return value
