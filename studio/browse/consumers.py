"""The studio's websocket: a project's execution events as HTML rows for htmx.

``/ws/studio/projects/<pid>/`` joins the same project group as ``/ws/projects/<pid>/``
(with the same membership check and close codes, live/consumers.py) and turns each
``{"type": "execution"}`` event into ``hx-swap-oob`` fragments that htmx's websocket
extension swaps into the executions drawer, the executions page and an execution's page.

Rows are rendered from the event's JSON; the only other thing a row needs is its
slot's post-action, kept per connection in a small cache keyed by (service, function)
and re-read at most every ``POST_ACTIONS_TTL`` seconds or when a function is unknown,
so a burst of events costs no queries.
"""

from __future__ import annotations

import time

from channels.db import database_sync_to_async

from live.consumers import ProjectConsumer
from studio.browse import rows, selectors

POST_ACTIONS_TTL = 30.0


class StudioProjectConsumer(ProjectConsumer):
    post_actions: dict | None = None
    post_actions_read_at: float = 0.0

    async def post_action_for(self, service_id: int, function_name: str) -> str:
        key = (service_id, function_name)
        stale = time.monotonic() - self.post_actions_read_at > POST_ACTIONS_TTL
        # An unknown function re-reads at most once a second (a function without a slot stays unknown).
        missing = self.post_actions is not None and key not in self.post_actions
        if self.post_actions is None or stale or (missing and time.monotonic() - self.post_actions_read_at > 1):
            project_id = await self.project_id()
            self.post_actions = await database_sync_to_async(selectors.post_actions)(project_id=project_id)
            self.post_actions_read_at = time.monotonic()
        return self.post_actions.get(key, "")

    async def live_event(self, message):
        event = message["event"]
        if event.get("type") != "execution":
            return
        execution = event["execution"]
        post_action = await self.post_action_for(execution["serviceId"], execution["functionName"])
        await self.send(text_data=rows.render_live_update(execution, post_action=post_action))
