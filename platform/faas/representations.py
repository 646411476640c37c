"""The JSON of functions' entities, shared by the API, live events and the SDK's wire."""

from __future__ import annotations

from faas.models import Execution, Integration, Package, Service
from faas.runtime import not_applied, runtime_json


def _ts(value):
    return value.isoformat() if value else None


def execution_json(execution: Execution) -> dict:
    service = execution.service
    return {
        "id": execution.id,
        "projectId": execution.project_id,
        "serviceId": execution.service_id,
        "serviceName": service.name,
        "packageId": service.package_id,
        "packageRevision": execution.package_revision,
        "functionName": execution.function_name,
        "input": execution.input,
        "output": execution.output,
        "status": execution.status,
        "statusLog": execution.status_log,
        "latestStatus": {
            "status": execution.status,
            "percentComplete": execution.percent_complete,
            "message": execution.message,
        },
        "attempts": execution.attempts,
        "maxAttempts": execution.max_attempts,
        "toTerminate": execution.to_terminate,
        # What the page that ran it does on success (the clicked slot's post-action type),
        # or null when no slot ran it: rows and live events read it from here.
        "postAction": execution.post_action or None,
        "createdAt": _ts(execution.created_at),
        "updatedAt": _ts(execution.updated_at),
        "startedAt": _ts(execution.started_at),
        "finishedAt": _ts(execution.finished_at),
        "duration": execution.duration,
        "creator": execution.creator.username if execution.creator_id and execution.creator else None,
        # The trigger that queued it (dtlpy's ``triggerId``), or null.
        "triggerId": execution.trigger_id,
        # The worker that ran it (last), or null: load executions with select_related("worker").
        "worker": worker_ref(execution.worker) if execution.worker_id else None,
    }


def worker_ref(worker) -> dict | None:
    return {"id": worker.id, "name": worker.name, "host": worker.host} if worker is not None else None


def service_json(service: Service) -> dict:
    return {
        "id": service.id,
        "name": service.name,
        "projectId": service.project_id,
        "packageId": service.package_id,
        "packageRevision": service.package_revision,
        "moduleName": service.module_name,
        "initParams": service.init_input,
        "runtime": runtime_json(service),
        "executionTimeout": service.execution_timeout,
        "drainTime": service.drain_time,
        "onReset": service.on_reset,
        "maxAttempts": service.max_attempts,
        "secrets": [i.id for i in service.secrets.all()],
        "active": service.active,
        # Why it cannot run (null while it can); an update or a resume tries it again.
        "brokenReason": service.broken_reason or None,
        # Replica sandbox protections this host could not apply (empty: all of them hold).
        "sandboxGaps": list(service.sandbox_gaps or []),
        # Settings kept as sent but not acted on here (pod type, runner image...): [{field, value, reason}].
        "notApplied": not_applied(service.runtime_settings),
        "botUserId": service.bot_id,
        "createdAt": _ts(service.created_at),
        "updatedAt": _ts(service.updated_at),
    }


def package_json(package: Package, revision=None) -> dict:
    revision = revision or package.latest
    return {
        "id": package.id,
        "projectId": package.project_id,
        "name": package.name,
        "version": package.version,
        "modules": revision.modules,
        "slots": revision.slots,
        "createdAt": _ts(package.created_at),
        "updatedAt": _ts(package.updated_at),
    }


def revision_json(revision) -> dict:
    return {
        "version": revision.version,
        "modules": revision.modules,
        "slots": revision.slots,
        "createdAt": _ts(revision.created_at),
    }


def log_line_json(line) -> dict:
    """A chunk of an execution's captured output, as the API and the live log stream send it."""
    return {"id": line.id, "text": line.text, "createdAt": _ts(line.created_at)}


def integration_json(integration: Integration) -> dict:
    # Never the value: it is write-only.
    return {
        "id": integration.id,
        "projectId": integration.project_id,
        "name": integration.name,
        "createdAt": _ts(integration.created_at),
        "updatedAt": _ts(integration.updated_at),
    }
