"""One delivery per process, not per websocket: a group's message reaches every local
subscriber from one copy.

Channels delivers a group message to each member channel: per websocket a queue put and a
wake of its consumer's receive loop, and on Redis a copy serialised, stored and read back.
A project watched by a hundred websockets paid that a hundred times per batch. Here the
websockets of a stream (a project's JSON or HTML batches, an execution's logs) join the
process, not the channel layer: on the in-memory layer the broadcaster hands each message
straight to the server's loop; on a Redis layer a group is a Redis pub/sub channel
(``<prefix>:live:<group>``), to which a web process subscribes once, on one connection,
while any of its websockets follow the group; a publisher (a web process or a worker)
sends one ``PUBLISH``, the whole text, whoever listens. Either way one task delivers the
messages in order: a batch becomes one websocket frame, and the same bytes are written to
every subscriber under daphne's own server (``send_prepared``, with each client's flow
control, ``live/backpressure.py``), or the text is sent through ``consumer.send``
elsewhere; a ``live.event`` goes to each subscriber's ``live_event``. Pub/sub keeps nothing for a
process that is not connected at that moment: its clients then see a batch number
missing and re-read, as for any loss (live/events.py).

Messages addressed to one user (``access.revoked``) still reach each consumer through the
channel layer.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from live.backpressure import SEND_PREPARED, text_frame

logger = logging.getLogger(__name__)

KINDS = ("live.batch", "live.event")  # what a group sends through this module
# A pub/sub message is its kind's letter, then a batch's text or an event's JSON.
BATCH, EVENT = "B", "E"


def channel_of(group: str) -> str:
    """The Redis pub/sub channel of a group, in the channel layer's prefix."""
    return f"{_prefix()}{group}"


def _prefix() -> str:
    return f"{settings.CHANNEL_LAYERS['default'].get('CONFIG', {}).get('prefix', 'asgi')}:live:"


def encode(payload: dict) -> str:
    if payload["type"] == "live.batch":
        return BATCH + payload["text"]
    return EVENT + json.dumps(payload, separators=(",", ":"))


def decode(group: str, data: bytes) -> dict:
    text = data.decode()
    if text.startswith(BATCH):
        return {"type": "live.batch", "text": text[1:], "group": group}
    return json.loads(text[1:]) | {"group": group}


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
        self.joined: set[str] = set()  # groups whose pub/sub channel this process listens to
        self.lock = asyncio.Lock()
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.pubsub = None  # Redis layer: this process's one subscribing connection
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
        """The subscription follows whether any websocket here follows the group (one change
        at a time: a join and a leave crossing cannot leave it wrong)."""
        layer = get_channel_layer()
        if layer is None or isinstance(layer, InMemoryChannelLayer):
            return
        async with self.lock:
            wanted = group in self.members
            if wanted == (group in self.joined):
                return
            if self.pubsub is None:
                self.pubsub = _subscriber().pubsub()
            if wanted:
                self.joined.add(group)
                await self._subscribe([group])
                if len(self.tasks) == 1:
                    self.tasks.append(self.loop.create_task(self._listen_forever()))
            else:
                self.joined.discard(group)
                try:
                    await self.pubsub.unsubscribe(channel_of(group))
                except Exception:  # noqa: BLE001 - a lost connection subscribes again only to what is joined
                    logger.warning("live fan-out could not unsubscribe from %s", group, exc_info=True)

    async def _subscribe(self, groups: list[str]) -> bool:
        try:
            if groups:
                await self.pubsub.subscribe(*[channel_of(group) for group in groups])
            return True
        except Exception:  # noqa: BLE001 - Redis is away: the listener subscribes again
            logger.warning("live fan-out could not subscribe to %s; retrying", groups, exc_info=True)
            self.lost = True
            return False

    lost = False  # a subscription failed: the listener subscribes to every joined group again

    async def _renew(self) -> None:
        """A new subscribing connection for every joined group: the old one's state after
        Redis went away (a restart keeps no subscriptions) is not to be trusted."""
        old, self.pubsub = self.pubsub, _subscriber(renew=True).pubsub()
        try:
            await old.aclose()
        except Exception:  # noqa: BLE001 - it is broken anyway
            logger.debug("could not close a broken subscription", exc_info=True)
        self.lost = not await self._subscribe(sorted(self.joined))

    async def _listen_forever(self) -> None:
        prefix = _prefix()
        while True:
            if self.lost or not self.joined:
                await asyncio.sleep(0.5)
                if self.lost and self.joined:
                    await self._renew()
                continue
            try:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis went away: subscribe again once it is back
                logger.warning("live fan-out lost its Redis subscription; subscribing again", exc_info=True)
                self.lost = True
                continue
            if message is not None and message.get("type") == "message":
                channel = message["channel"].decode()
                self.inbox.put_nowait(decode(channel[len(prefix) :], message["data"]))

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
            text, frame = message["text"], None
            for consumer in consumers:
                send_prepared = consumer.scope.get(SEND_PREPARED)
                if send_prepared is not None:
                    frame = frame or text_frame(text)  # made once for every client
                    if send_prepared(frame):
                        continue
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


# --- Redis ------------------------------------------------------------------------------

_async_redis = None
_async_subscriber = None


def _subscriber(*, renew: bool = False):
    """The client of the process's subscribing connection, alone in its pool: after Redis
    went away it is made anew, so no connection from before can be handed out again."""
    global _async_subscriber
    if _async_subscriber is None or renew:
        _async_subscriber = _client()
    return _async_subscriber


def redis_reader():
    """The process's asyncio Redis client of the channel layer's Redis."""
    global _async_redis
    if _async_redis is None:
        _async_redis = _client()
    return _async_redis


def _client():
    import redis.asyncio  # noqa: PLC0415 - only with the Redis layer (scale-out)

    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    address = host["address"] if isinstance(host, dict) else host
    return redis.asyncio.Redis.from_url(address, socket_timeout=5, socket_connect_timeout=5)
