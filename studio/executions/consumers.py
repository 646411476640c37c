"""The studio's websocket: a project's execution events as HTML rows for htmx.

``/ws/studio/projects/<pid>/`` has the same membership check and close codes as
``/ws/projects/<pid>/`` (live/consumers.py) but joins the project's studio group, whose
messages are HTML made once per batch and view by ``live_rows`` (called by live/events.py's
broadcaster, in whichever process published the events): ``hx-swap-oob`` rows that
htmx's websocket extension swaps into the executions drawer, the executions page and an
execution's page, behind a ``<template data-live-seq>`` marker (executions.js). A page
says its view (``?view=``): a page that shows only the drawer is sent only drawer rows.

Rows are rendered from the events' JSON, which holds the post-action recorded on the
execution (``Execution.post_action``); names and drawn annotations cost a few queries
per batch (``rows.rows_of``), none per event or subscriber.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from live.consumers import BAD_REQUEST, ProjectConsumer
from live.events import heartbeat_html, html_stream, studio_group
from studio.executions import rows
from studio.tasks.live import render_task_update


class LiveRows:
    """The renderer live/events.py's broadcaster calls (``DATASLOT_LIVE_ROWS_RENDERER``)."""

    views = tuple(rows.VIEWS)

    def render(self, *, project_id: int, executions: list[dict], views) -> dict[str, str]:
        """The rows of these executions (each one's latest state), out-of-band, per view."""
        return rows.render_views(rows.rows_of(executions), views)


live_rows = LiveRows()


class StudioProjectConsumer(ProjectConsumer):
    """``?view=`` (``rows.VIEWS``, the drawer's by default) says which layouts the page shows."""

    view = rows.DEFAULT_VIEW

    async def refusal(self):
        view = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get("view", [rows.DEFAULT_VIEW])[-1]
        if view not in rows.VIEWS:
            return BAD_REQUEST
        self.view, self.stream = view, html_stream(view)
        return None

    def heartbeat(self, seq, epoch):
        return heartbeat_html(seq, epoch)

    async def group_name(self):
        return studio_group(await self.project_id(), self.view)

    async def live_event(self, message):
        # Events sent one by one (not batched): a task's progress becomes its HTML here.
        event = message["event"]
        if event.get("type") == "task":
            await self.send(text_data=render_task_update(event))
