"""The studio's websocket: a project's execution events as HTML rows for htmx.

``/ws/studio/projects/<pid>/`` has the same membership check and close codes as
``/ws/projects/<pid>/`` (live/consumers.py) but joins the project's studio group, whose
messages are HTML made once per batch by ``render_batch`` (called by live/events.py's
broadcaster, in whichever process published the events): ``hx-swap-oob`` rows that
htmx's websocket extension swaps into the executions drawer, the executions page and an
execution's page, behind a ``<template data-live-seq>`` marker (executions.js).

Rows are rendered from the events' JSON; the only other thing a row needs is its slot's
post-action, kept per project in a small cache keyed by (service, function) and re-read
at most every ``POST_ACTIONS_TTL`` seconds, or once a second while a function is unknown,
so a burst of events costs no queries.
"""

from __future__ import annotations

import threading
import time

from live.consumers import ProjectConsumer
from live.events import studio_group
from studio.annotate.live import render_task_update
from studio.browse import rows, selectors
from studio.browse.labels import labels_for

POST_ACTIONS_TTL = 30.0

_post_actions: dict[int, tuple[float, dict]] = {}  # project id -> (read at, {(service, function): action})
_post_actions_lock = threading.Lock()


def post_actions_of(project_id: int, keys: set[tuple[int, str]]) -> dict:
    now = time.monotonic()
    with _post_actions_lock:
        read_at, actions = _post_actions.get(project_id, (0.0, {}))
    stale = now - read_at > POST_ACTIONS_TTL
    # An unknown function re-reads at most once a second (a function without a slot stays unknown).
    if stale or (not keys <= actions.keys() and now - read_at > 1):
        actions = selectors.post_actions(project_id=project_id)
        with _post_actions_lock:
            _post_actions[project_id] = (now, actions)
    return actions


def render_batch(*, project_id: int, executions: list[dict]) -> str:
    """The rows of these executions (each one's latest state), every layout, out-of-band."""
    actions = post_actions_of(project_id, {(e["serviceId"], e["functionName"]) for e in executions})
    # Slot display names and entity names: a few queries per batch, none per row or subscriber.
    names = labels_for(project_id=project_id, executions=executions)
    return "".join(
        rows.render_live_update(e, post_action=actions.get((e["serviceId"], e["functionName"]), ""), labels=names)
        for e in executions
    )


class StudioProjectConsumer(ProjectConsumer):
    async def group_name(self):
        return studio_group(await self.project_id())

    async def live_event(self, message):
        # Events sent one by one (not batched): a task's progress becomes its HTML here.
        event = message["event"]
        if event.get("type") == "task":
            await self.send(text_data=render_task_update(event))
