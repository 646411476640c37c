"""The studio's websocket: a project's execution events as HTML rows for htmx.

``/ws/studio/projects/<pid>/`` has the same membership check and close codes as
``/ws/projects/<pid>/`` (live/consumers.py) but joins the project's studio group, whose
messages are HTML made once per batch by ``render_batch`` (called by live/events.py's
broadcaster, in whichever process published the events): ``hx-swap-oob`` rows that
htmx's websocket extension swaps into the executions drawer, the executions page and an
execution's page, behind a ``<template data-live-seq>`` marker (executions.js).

Rows are rendered from the events' JSON, which holds the post-action recorded on the
execution (``Execution.post_action``); names and drawn annotations cost a few queries
per batch (``rows.rows_of``), none per event or subscriber.
"""

from __future__ import annotations

from live.consumers import ProjectConsumer
from live.events import studio_group
from studio.executions import rows
from studio.tasks.live import render_task_update


def render_batch(*, project_id: int, executions: list[dict]) -> str:
    """The rows of these executions (each one's latest state), every layout, out-of-band."""
    return "".join(rows.render_live_update(row) for row in rows.rows_of(executions))


class StudioProjectConsumer(ProjectConsumer):
    stream = "html"

    async def group_name(self):
        return studio_group(await self.project_id())

    async def live_event(self, message):
        # Events sent one by one (not batched): a task's progress becomes its HTML here.
        event = message["event"]
        if event.get("type") == "task":
            await self.send(text_data=render_task_update(event))
