"""Publishing live events to websocket groups, only after the transaction commits.

Events may be published from request threads or the dispatcher's thread. The
in-memory channel layer lives on the server's event loop, so events are handed to that
loop thread-safely; a Redis layer is reached from any thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop() -> None:
    """Called from async code on the server's loop (a consumer connecting)."""
    global _server_loop
    _server_loop = asyncio.get_running_loop()


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def execution_logs_group(execution_id: int) -> str:
    return f"execution.{execution_id}.logs"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def publish(group: str, message: dict, *, kind: str = "live.event") -> None:
    """Send now (the caller has committed). Never raises: live events are best-effort."""
    layer = get_channel_layer()
    if layer is None:
        return
    payload = {"type": kind, "event": message}
    try:
        if isinstance(layer, InMemoryChannelLayer):
            loop = _server_loop
            if loop is None or loop.is_closed():
                return  # no websocket has connected to this process: nobody to tell
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(layer.group_send(group, payload))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, payload), loop)
        else:
            _outbox().send(layer, group, payload)
    except Exception:  # noqa: BLE001 - an event lost must not fail the state change
        logger.exception("could not publish a live event to %s", group)


class _Outbox:
    """One long-lived event loop per process that sends to a Redis channel layer, in
    order: a fresh loop per event (``async_to_sync``) cost a new Redis connection each."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue | None = None
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), name="dataslot-events", daemon=True).start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue()
        ready.set()
        self.loop.run_until_complete(self._drain())

    async def _drain(self) -> None:
        while True:
            layer, group, payload = await self.queue.get()
            try:
                await layer.group_send(group, payload)
            except Exception:  # noqa: BLE001 - best-effort, as above
                logger.exception("could not publish a live event to %s", group)

    def send(self, layer, group: str, payload: dict) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (layer, group, payload))


_outbox_lock = threading.Lock()
_the_outbox: _Outbox | None = None


def _outbox() -> _Outbox:
    global _the_outbox
    if _the_outbox is None:
        with _outbox_lock:
            if _the_outbox is None:
                _the_outbox = _Outbox()
    return _the_outbox


def publish_on_commit(group: str, message: dict) -> None:
    transaction.on_commit(lambda: publish(group, message))


def revoke_access_on_commit(*, user_ids, project_id: int) -> None:
    """Close these users' websockets on the project once their membership is gone."""
    user_ids = list(user_ids)

    def send():
        for user_id in user_ids:
            publish(user_group(user_id), {"projectId": project_id}, kind="access.revoked")

    transaction.on_commit(send)
