"""An execution's row, rendered from its API/event JSON.

The websocket consumer renders a row for every event, so this reads only the event's
JSON (``faas.representations.execution_json``): no query per event. Pages render their
rows the same way, so a row looks the same whether it came with the page or live.
"""

from __future__ import annotations

import json

from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

from studio.browse.labels import Labels, describe_refs, input_refs, labels_for, output_summary

STATUS_LABELS = {
    "created": "Queued",
    "in-progress": "Running",
    "success": "Succeeded",
    "failed": "Failed",
    "terminated": "Terminated",
}
STATUS_BADGES = {"success": "success", "failed": "danger", "terminated": "warning", "in-progress": "accent"}
FINISHED = {"success", "failed", "terminated"}
# Post-actions need only entity references; a function returning a large JSON value
# must not make every row and websocket message large.
MAX_OUTPUT_CHARS = 4000
ENTITY_KEYS = (("annotation_id", "annotation"), ("item_id", "item"), ("task_id", "task"), ("dataset_id", "dataset"))


def _entity_of(value) -> str | None:
    if isinstance(value, dict):
        for key, noun in ENTITY_KEYS:
            if key in value:
                return f"{noun} {value[key]}"
    if isinstance(value, list) and value:
        first = _entity_of(value[0])
        if first:
            noun = first.split(" ", 1)[0]
            return f"{len(value)} {noun}s" if len(value) > 1 else first
    return None


def entity_label(input: dict | None) -> str:
    """What the execution ran on, e.g. "item 12", from its input references."""
    for value in (input or {}).values():
        label = _entity_of(value)
        if label:
            return label
    return ""


def output_json(output) -> str:
    text = json.dumps(output, separators=(",", ":"))
    return text if len(text) <= MAX_OUTPUT_CHARS else json.dumps({"truncated": True})


def worker_label(worker: dict | None) -> str:
    return f"{worker['name']} on {worker['host']}" if worker else ""


def execution_row(execution: dict, *, post_action: str = "", labels: Labels | None = None) -> dict:
    """``labels`` (``studio.browse.labels.labels_for``) names the slot and the entities;
    without them a row says "item 30" and the function's name."""
    status = execution["status"]
    latest = execution.get("latestStatus") or {}
    service_function = f"{execution.get('serviceName') or ''} · {execution['functionName']}"
    slot_name = (labels.slot_names.get((execution["serviceId"], execution["functionName"])) if labels else "") or ""
    entity, entity_url = describe_refs(input_refs(execution.get("input")), labels)
    summary, summary_url = output_summary(execution.get("output"), labels)
    return {
        "id": execution["id"],
        "project_id": execution["projectId"],
        "service_id": execution["serviceId"],
        "service_name": execution.get("serviceName") or "",
        "function_name": execution["functionName"],
        # The slot's display name when a slot runs this function, else "service · function".
        "title": slot_name or service_function,
        "service_function": service_function,
        "entity": entity or entity_label(execution.get("input")),
        "entity_url": entity_url,
        # A short rendering of what it returned ("" when nothing), and the entity's page.
        "output_summary": summary,
        "output_url": summary_url,
        "has_output": execution.get("output") is not None,
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "badge": STATUS_BADGES.get(status, ""),
        "percent": int(latest.get("percentComplete") or 0),
        "message": latest.get("message") or "",
        "finished": status in FINISHED,
        # Which of two renderings of an execution is newer (live batches of two processes
        # may cross, a re-read may race one): each status change adds a log entry, progress
        # moves updatedAt. Compared as strings by executions.js.
        "version": f"{len(execution.get('statusLog') or []):06d}|{execution.get('updatedAt') or ''}",
        "to_terminate": bool(execution.get("toTerminate")),
        "post_action": post_action,
        "output": output_json(execution.get("output")),
        "creator": execution.get("creator") or "",
        # Which worker ran it, e.g. "alpha on gpu-1" ("" while none has taken it).
        "worker": worker_label(execution.get("worker")),
        "created_at": parse_datetime(execution.get("createdAt") or "") if execution.get("createdAt") else None,
        "duration": execution.get("duration"),
        "status_log": [
            {**entry, "at": parse_datetime(entry.get("timestamp") or "")} for entry in execution.get("statusLog") or []
        ],
    }


def rows_for(executions, *, post_actions: dict) -> list[dict]:
    """Rows of Execution objects, for pages (``post_actions`` from ``selectors.post_actions``)."""
    from faas.representations import execution_json

    data = [execution_json(e) for e in executions]
    labels = labels_for(project_id=data[0]["projectId"], executions=data) if data else None
    return [
        execution_row(d, post_action=post_actions.get((d["serviceId"], d["functionName"]), ""), labels=labels)
        for d in data
    ]


def render_live_update(execution: dict, *, post_action: str, labels: Labels | None = None) -> str:
    """The websocket message for one event: the row in every layout a page may show it in,
    each swapped out-of-band by id (pages drop the layouts they do not show)."""
    row = execution_row(execution, post_action=post_action, labels=labels)
    return render_to_string("studio/partials/execution_oob.html", {"row": row, "oob": True})
