"""Reading triggers: their JSON (dtlpy's shape) and what their executions did."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from faas.enums import ExecutionStatus, TriggerType
from faas.models import Execution, Service, Trigger
from workspace.models import Project


def _ts(value):
    return value.isoformat() if value else None


def trigger_json(trigger: Trigger) -> dict:
    """dtlpy's trigger JSON: what it does under ``spec`` (``operation`` names the service and
    function), plus the service and function at the top for convenience."""
    operation = {"type": "function", "serviceId": trigger.service_id, "functionName": trigger.function_name}
    if trigger.type == TriggerType.CRON:
        spec = {
            "cron": trigger.cron,
            "startAt": _ts(trigger.start_at),
            "endAt": _ts(trigger.end_at),
            "inputs": trigger.inputs,
            "operation": operation,
        }
    else:
        spec = {
            "resource": trigger.resource,
            "actions": list(trigger.actions),
            "filter": trigger.filters,
            "executionMode": trigger.execution_mode,
            "operation": operation,
        }
    return {
        "id": trigger.id,
        "name": trigger.name,
        "type": trigger.type,
        "active": trigger.active,
        "projectId": trigger.project_id,
        "serviceId": trigger.service_id,
        "functionName": trigger.function_name,
        "spec": spec,
        "lastFiredAt": _ts(trigger.last_fired_at),
        "creator": trigger.created_by.username if trigger.created_by_id and trigger.created_by else None,
        "createdAt": _ts(trigger.created_at),
        "updatedAt": _ts(trigger.updated_at),
    }


def triggers_of(*, project: Project | None = None, service: Service | None = None) -> QuerySet:
    queryset = Trigger.objects.select_related("created_by").order_by("id")
    if service is not None:
        queryset = queryset.filter(service=service)
    if project is not None:
        queryset = queryset.filter(project=project)
    return queryset


def trigger_summaries(*, service: Service) -> list[dict]:
    """A service's triggers with how their executions went, for the studio: one query for
    the counts, one for the latest failure of each trigger that has failures."""
    triggers = list(triggers_of(service=service))
    counts = {
        row["trigger_id"]: row
        for row in Execution.objects.filter(trigger__in=triggers)
        .values("trigger_id")
        .annotate(total=Count("id"), failed=Count("id", filter=Q(status=ExecutionStatus.FAILED)))
        .order_by()
    }
    failing = [t.id for t in triggers if counts.get(t.id, {}).get("failed")]
    last_failure = {}
    for execution in Execution.objects.filter(trigger_id__in=failing, status=ExecutionStatus.FAILED).order_by("-id"):
        last_failure.setdefault(execution.trigger_id, execution)
        if len(last_failure) == len(failing):
            break
    return [
        {
            "trigger": t,
            "executions": counts.get(t.id, {}).get("total", 0),
            "failed": counts.get(t.id, {}).get("failed", 0),
            "lastFailure": last_failure.get(t.id),
        }
        for t in triggers
    ]
