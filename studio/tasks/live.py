"""A task's live ``task`` event (workspace.services.tasks.task_item_status_set) as htmx
fragments: the task's progress and the item's state, swapped in place by id on every
page that shows them (the tasks browser, the task's page, the studio opened from it).

Rendered from the event alone: a burst of "done" clicks costs no queries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string


@dataclass(frozen=True)
class _TaskProgress:
    pk: int
    name: str
    items_done: int
    items_total: int
    progress: int


def render_task_update(event: dict) -> str:
    data = event["task"]
    task = _TaskProgress(
        pk=int(data["id"]),
        name=str(data["name"]),
        items_done=int(data["itemsDone"]),
        items_total=int(data["itemsTotal"]),
        progress=int(data["progress"]),
    )
    html = render_to_string("studio/tasks/_task_progress.html", {"task": task, "oob": True})
    if event.get("itemId") is not None:
        html += render_to_string(
            "studio/tasks/_task_item_state.html",
            {"task": task, "item_id": int(event["itemId"]), "done": bool(event.get("done")), "oob": True},
        )
    return html
