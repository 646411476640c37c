"""An execution's row, rendered from its API/event JSON.

The websocket consumer renders a row for every event, so this reads only the event's
JSON (``faas.representations.execution_json``): no query per event. Pages render their
rows the same way, so a row looks the same whether it came with the page or live.
"""

from __future__ import annotations

import json

from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

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


def execution_row(execution: dict, *, post_action: str = "") -> dict:
    status = execution["status"]
    latest = execution.get("latestStatus") or {}
    return {
        "id": execution["id"],
        "project_id": execution["projectId"],
        "service_id": execution["serviceId"],
        "service_name": execution.get("serviceName") or "",
        "function_name": execution["functionName"],
        "entity": entity_label(execution.get("input")),
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "badge": STATUS_BADGES.get(status, ""),
        "percent": int(latest.get("percentComplete") or 0),
        "message": latest.get("message") or "",
        "finished": status in FINISHED,
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

    return [
        execution_row(execution_json(e), post_action=post_actions.get((e.service_id, e.function_name), ""))
        for e in executions
    ]


def render_live_update(execution: dict, *, post_action: str) -> str:
    """The websocket message for one event: the row in every layout a page may show it in,
    each swapped out-of-band by id (pages drop the layouts they do not show)."""
    row = execution_row(execution, post_action=post_action)
    return render_to_string("studio/partials/execution_oob.html", {"row": row, "oob": True})
