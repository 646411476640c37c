"""An execution's row, rendered from its API/event JSON.

The websocket consumer renders a row for every event, so this reads only the event's
JSON (``faas.representations.execution_json``), plus a few queries per batch (names,
drawn annotations), none per event. Pages render their rows the same way
(``rows_of``), so a row looks the same whether it came with the page or live, and it
says all the page needs to apply the execution's post-action (executions.js).
"""

from __future__ import annotations

import json

from django.template.loader import render_to_string
from django.utils.dateparse import parse_datetime

from faas.enums import FINISHED_STATUSES, SlotPostActionType
from faas.representations import execution_json
from studio.applications.drawn import drawn_for
from studio.executions.labels import Labels, describe_refs, input_refs, labels_for, output_summary
from workspace.models import Item
from workspace.references import ids_of

STATUS_LABELS = {
    "created": "Queued",
    "in-progress": "Running",
    "success": "Succeeded",
    "failed": "Failed",
    "terminated": "Terminated",
}
STATUS_BADGES = {"success": "success", "failed": "danger", "terminated": "warning", "in-progress": "accent"}


def worker_label(worker: dict | None) -> str:
    return f"{worker['name']} on {worker['host']}" if worker else ""


def execution_row(
    execution: dict, *, labels: Labels | None = None, drawn: dict | None = None, downloadable: frozenset = frozenset()
) -> dict:
    """``labels`` (``studio.executions.labels.labels_for``) names the slot and the entities;
    without them a row says "item 30" and the function's name. ``drawn``: what a
    drawAnnotation post-action draws (``studio.applications.drawn``)."""
    status = execution["status"]
    post_action = execution.get("postAction") or ""
    # The items a download post-action fetches: one is downloaded, several as one zip.
    items = ids_of(execution.get("output"), "item") if post_action == SlotPostActionType.DOWNLOAD else []
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
        "entity": entity,
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
        "finished": status in FINISHED_STATUSES,
        # Which of two renderings of an execution is newer (live batches of two processes
        # may cross, a re-read may race one): each status change adds a log entry, progress
        # moves updatedAt. Compared as strings by executions.js.
        "version": f"{len(execution.get('statusLog') or []):06d}|{execution.get('updatedAt') or ''}",
        "to_terminate": bool(execution.get("toTerminate")),
        "post_action": post_action,
        "download_count": len(items),
        # Only an item of this project (``downloadable``): a function may return any id.
        "download_item": items[0] if len(items) == 1 and items[0] in downloadable else "",
        "drawn": json.dumps(drawn, separators=(",", ":")) if drawn is not None else "",
        "creator": execution.get("creator") or "",
        # Which worker ran it, e.g. "alpha on gpu-1" ("" while none has taken it).
        "worker": worker_label(execution.get("worker")),
        "created_at": parse_datetime(execution.get("createdAt") or "") if execution.get("createdAt") else None,
        "duration": execution.get("duration"),
        "status_log": [
            {**entry, "at": parse_datetime(entry.get("timestamp") or "")} for entry in execution.get("statusLog") or []
        ],
    }


def rows_of(executions: list[dict]) -> list[dict]:
    """Rows of executions' API/event JSON, all of one project: names and drawn annotations
    are read once for all of them."""
    if not executions:
        return []
    project_id = executions[0]["projectId"]
    labels = labels_for(project_id=project_id, executions=executions)
    drawn = drawn_for(project_id=project_id, executions=executions)
    downloadable = _downloadable(project_id, executions)
    return [execution_row(e, labels=labels, drawn=drawn.get(e["id"]), downloadable=downloadable) for e in executions]


def _downloadable(project_id: int, executions: list[dict]) -> frozenset:
    """Of the items download post-actions would fetch one by one, those of this project."""
    wanted = set()
    for execution in executions:
        if execution.get("postAction") == SlotPostActionType.DOWNLOAD:
            items = ids_of(execution.get("output"), "item")
            if len(items) == 1:
                wanted.add(items[0])
    if not wanted:
        return frozenset()
    return frozenset(Item.objects.filter(pk__in=wanted, dataset__project_id=project_id).values_list("pk", flat=True))


def rows_for(executions) -> list[dict]:
    """Rows of Execution objects, for pages."""
    return rows_of([execution_json(e) for e in executions])


# What each kind of page shows of an execution (its studio websocket's ``?view=``): every
# project page has the drawer; the Executions page adds its table, an execution's page its
# summary and status log. The first is the default.
LAYOUTS = {
    "drawer": ("studio/executions/execution_row.html",),
    "table": ("studio/executions/execution_table_row.html",),
    "detail": ("studio/executions/execution_summary.html", "studio/executions/execution_status_log.html"),
}
DEFAULT_VIEW = "drawer"
VIEWS = {
    DEFAULT_VIEW: ("drawer",),
    "executions": ("drawer", "table"),
    "execution": ("drawer", "detail"),
}


def render_views(rows: list[dict], views) -> dict[str, str]:
    """The rows, out-of-band, for each of these views; each layout rendered once."""
    wanted = {layout for view in views for layout in VIEWS[view]}
    html = {}
    for layout in wanted:
        parts = []
        for row in rows:
            for template in LAYOUTS[layout]:
                parts.append(render_to_string(template, {"row": row, "oob": True}))
        text = "".join(parts)
        # A bare <tr> after an <li> is dropped by HTML parsers: table rows come in a <template>.
        html[layout] = f"<template>{text}</template>" if layout == "table" and text else text
    return {view: "".join(html[layout] for layout in VIEWS[view]) for view in views}
