"""One delivery per process, not per websocket: a group's message reaches every local
subscriber from one copy.

Channels delivers a group message to each member channel: per websocket a queue put and a
wake of its consumer's receive loop, and on Redis a copy serialised, stored and read back.
A project watched by a hundred websockets paid that a hundred times per batch. Here the
websockets of a stream (a project's JSON or HTML batches, an execution's logs) join the
process, not the channel layer: on the in-memory layer the broadcaster hands each message
straight to the server's loop; on a Redis layer the process joins each group once, with a
channel of its own, and reads each message once. Either way one task delivers the
messages in order: a batch's text is resolved once and the same string is sent to every
subscriber (``consumer.send``, so daphne's flow control still applies per client,
``live/backpressure.py``); a ``live.event`` goes to each subscriber's ``live_event``.

Messages addressed to one user (``access.revoked``) still reach each consumer through the
channel layer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, defaultdict

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

KINDS = ("live.batch", "live.event")  # what a group sends through this module

_server_loop: asyncio.AbstractEventLoop | None = None


def remember_server_loop() -> None:
    """Called by consumers: the in-memory layer's messages are handed to this loop."""
    global _server_loop
    _server_loop = asyncio.get_running_loop()


def server_loop() -> asyncio.AbstractEventLoop | None:
    loop = _server_loop
    return None if loop is None or loop.is_closed() else loop


class _Subscribers:
    """This process's subscribers per group, on the loop their websockets run on."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.members: dict[str, set] = defaultdict(set)
        self.joined: set[str] = set()  # groups this process's channel is in (Redis layer)
        self.locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.channel: str | None = None
        self.tasks = [loop.create_task(self._deliver_forever())]

    async def join(self, group: str, consumer) -> None:
        self.members[group].add(consumer)
        await self._sync(group)

    async def leave(self, group: str, consumer) -> None:
        members = self.members.get(group)
        if members is not None:
            members.discard(consumer)
            if not members:
                del self.members[group]
        await self._sync(group)

    async def _sync(self, group: str) -> None:
        """The layer's membership follows whether any websocket here subscribes (one at a
        time per group: a join and a leave crossing cannot leave it wrong)."""
        layer = get_channel_layer()
        if layer is None or isinstance(layer, InMemoryChannelLayer):
            return
        async with self.locks[group]:
            wanted = group in self.members
            if wanted == (group in self.joined):
                return
            if self.channel is None:
                # channels_redis reads a process's channels from one key, behind one lock,
                # only with the same prefix: another would wait for the consumers' reads.
                self.channel = await layer.new_channel()
                self.tasks.append(self.loop.create_task(self._receive_forever(layer)))
            if wanted:
                await layer.group_add(group, self.channel)
                self.joined.add(group)
            else:
                self.joined.discard(group)
                await layer.group_discard(group, self.channel)

    async def _receive_forever(self, layer) -> None:
        while True:
            try:
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis went away a moment: keep listening
                logger.exception("live fan-out could not receive; retrying")
                await asyncio.sleep(1.0)
                continue
            self.inbox.put_nowait(message)

    async def _deliver_forever(self) -> None:
        while True:
            message = await self.inbox.get()
            try:
                await self._deliver(message)
            except Exception:  # noqa: BLE001 - one bad message must not stop the stream
                logger.exception("live fan-out could not deliver a message")

    async def _deliver(self, message: dict) -> None:
        consumers = list(self.members.get(message.get("group"), ()))
        if not consumers:
            return
        if message.get("type") == "live.batch":
            text = await batch_text(message)
            if text is None:
                return
            for consumer in consumers:
                await _guarded(consumer.send(text_data=text))
        elif message.get("type") == "live.event":
            for consumer in consumers:
                await _guarded(consumer.live_event(message))


async def _guarded(sending) -> None:
    try:
        await sending
    except Exception:  # noqa: BLE001 - a websocket closing meanwhile affects no other
        logger.debug("a live subscriber could not be sent a message", exc_info=True)


_subscribers: _Subscribers | None = None


def _here() -> _Subscribers:
    global _subscribers
    loop = asyncio.get_running_loop()
    if _subscribers is None or _subscribers.loop is not loop:
        _subscribers = _Subscribers(loop)
    return _subscribers


async def join(group: str, consumer) -> None:
    await _here().join(group, consumer)


async def leave(group: str, consumer) -> None:
    await _here().leave(group, consumer)


def deliver_here(message: dict) -> None:
    """In-memory layer: hand a group's message (it names its ``group``) to the server's
    loop, from any thread."""
    loop = server_loop()
    subscribers = _subscribers
    if loop is None or subscribers is None or subscribers.loop is not loop:
        return  # no websocket has subscribed in this process: nobody to tell
    loop.call_soon_threadsafe(subscribers.inbox.put_nowait, message)


# --- batches stored in Redis ------------------------------------------------------------

_texts: OrderedDict[str, asyncio.Future] = OrderedDict()
_async_redis = None


async def batch_text(message: dict) -> str | None:
    """A ``live.batch`` message's text: inline, or read from Redis once per process (None
    when it has expired: the clients then see the number missing)."""
    if "text" in message:
        return message["text"]
    key = message["ref"]
    future = _texts.get(key)
    if future is None:
        future = asyncio.get_running_loop().create_future()
        _texts[key] = future
        while len(_texts) > 256:
            _texts.popitem(last=False)
        try:
            value = await redis_reader().get(key)
            future.set_result(value.decode() if value is not None else None)
        except Exception:  # noqa: BLE001 - a lost batch is a gap, which clients handle
            logger.exception("could not read live batch %s", key)
        finally:
            if not future.done():  # failed, or the reading task was cancelled
                future.set_result(None)
    return await asyncio.shield(future)


def redis_reader():
    """The process's asyncio Redis client of the channel layer's Redis."""
    global _async_redis
    if _async_redis is None:
        import redis.asyncio  # noqa: PLC0415 - only with the Redis layer (scale-out)

        host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
        address = host["address"] if isinstance(host, dict) else host
        _async_redis = redis.asyncio.Redis.from_url(address, socket_timeout=5, socket_connect_timeout=5)
    return _async_redis
