"""Publishing live events to websocket groups, only after the transaction commits.

Execution events are the many ones (every state change of every execution), so they do
not go to the channel layer one by one. Each process has one broadcaster (a thread) that
collects them for a tick (``TICK``, longer for a project with many watchers; a final
state: until the project's gap after its previous batch) and then, per project, sends one
message to each of the project's two groups, the same bytes to every subscriber:

- ``project.<pid>`` (``/ws/projects/<pid>/``, the SDK and integrations): JSON
  ``{"type": "executions", "seq": n, "epoch": e, "executions": [Execution, ...]}``. Coalescing only
  merges progress: an execution's pending event is replaced by a newer one *with the same
  status*, so every status it went through (created, in-progress, the final state) is
  sent, in order, and progress is its latest value.
- ``studio.project.<pid>`` (``/ws/studio/projects/<pid>/``, the pages): the HTML rows of
  each execution's latest state (a page shows states, not transitions), rendered once
  per *view* (``DATASLOT_LIVE_ROWS_RENDERER`` names the renderer and its views: which
  layouts a kind of page shows), behind a ``<template data-live-seq="n" data-live-epoch="e">`` marker. Each
  view is a group of its own (``?view=`` on the socket; the first view's group has no
  suffix), and a view no page watches is not rendered.

``seq`` counts a project's batches; both streams carry the same number. It is one
counter per project for every process: a Redis ``HINCRBY`` when the channel layer is Redis
(scale-out: web processes and workers all publish), a counter in the process with the
in-memory layer (the embedded server is one process). ``epoch`` names the counter: Redis
restarting with nothing kept starts the numbers again from 1 under a new epoch, so a
client that sees the epoch change re-reads what it shows instead of waiting for numbers
it already had. A subscriber that sees a number
missing (the channel layer dropped a message for a full channel, or its connection
dropped messages while the client did not read, ``live/backpressure.py``) and not filled
within ``GAP_GRACE`` seconds (batches of two processes may cross) re-reads what it shows.
So that a loss at the end of a burst is noticed too, each group that was active in the
last ``HEARTBEAT_FOR`` seconds gets ``{"type": "seq", "seq": n, "epoch": e}`` (HTML: the bare marker
with ``data-live-heartbeat``) every ``HEARTBEAT`` seconds, without a new number.

Other events (logs, tasks, access revoked) are sent at once, as they come.
Events may be published from request threads or the dispatcher's thread. With the
in-memory layer a group's message is handed to the server's event loop thread-safely; on
Redis the broadcaster publishes from its own thread and other threads hand their events
to one outbox thread (a request never waits on Redis). Either way a process delivers each
message once to all its websockets of the group (``live/fanout.py``).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import threading
import time
import uuid

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connections, transaction
from django.utils.module_loading import import_string

from live import fanout

logger = logging.getLogger(__name__)

TICK = 0.1  # seconds an execution event may wait to share a message with others
# A batch costs a frame per watcher, so a project's batches are spaced so that their frames
# stay within FANOUT_BUDGET a second: the tick grows with the watchers, from TICK up to
# MAX_TICK (a thousand watchers see two batches a second, each carrying everything of its
# half second). A final state waits for no tick: it goes as soon as the project's gap
# has passed since its previous batch, so one watched run is not slowed by the tick. The
# gap is URGENT_GAP, or RENDERED_GAP while pages follow the project (each batch is then
# also rendered as rows, which reads the database), widened the same way up to MAX_TICK.
# Both are shorter than one run after another takes, so such runs never wait for a gap.
URGENT_GAP = 0.002
RENDERED_GAP = 0.01
MAX_TICK = 0.5
FANOUT_BUDGET = 1000  # frames a second per project that its batches may cost
HEARTBEAT = 2.0
HEARTBEAT_FOR = 60.0
# A batch Redis would not number (nothing of it was sent, so no client can notice it
# missing) goes back to pending and is tried again each tick; for at most this long, so
# that an outage cannot hold events without bound.
RETRY_FOR = 30.0
# Events waiting for Redis in a process's outbox; while Redis does not take them (a
# partition: each try waits for its timeout), newer ones beyond this are dropped, so that
# an outage cannot fill the process's memory. Batches are numbered: their clients re-read.
OUTBOX_LIMIT = 10_000
GAP_GRACE = 1.5  # what clients wait for a missing number before they re-read (documented here)
# What renders a batch of executions (latest states) as the pages' HTML, and for which
# views, is named by the project's settings (DATASLOT_LIVE_ROWS_RENDERER: an object with
# ``views`` and ``render(project_id=, executions=, views=) -> {view: html}``): the pages
# sit above this module.


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def studio_group(project_id: int, view: str | None = None) -> str:
    """The pages' group of a project for one view (the renderer's first view: no suffix)."""
    if view is None or view == live_views()[0]:
        return f"studio.project.{project_id}"
    return f"studio.project.{project_id}.{view}"


def live_views() -> tuple[str, ...]:
    """The views the pages' rows are rendered for; the first is the default."""
    return tuple(_renderer().views)


def html_stream(view: str) -> str:
    """The watchers' stream of a view (the default view's is ``html``)."""
    return "html" if view == live_views()[0] else f"html.{view}"


_renderers: dict = {}


def _renderer():
    path = settings.DATASLOT_LIVE_ROWS_RENDERER
    renderer = _renderers.get(path)
    if renderer is None:
        renderer = _renderers[path] = import_string(path)
    return renderer


def execution_logs_group(execution_id: int) -> str:
    return f"execution.{execution_id}.logs"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def publish(group: str, message: dict, *, kind: str = "live.event") -> None:
    """Send now (the caller has committed). Never raises: live events are best-effort.

    An execution event is ``{"type": "execution", "execution": {...}, "final": bool}``: its
    publisher says whether the state is final (the statuses are the functions app's word).
    """
    if kind == "live.event" and message.get("type") == "execution" and group.startswith("project."):
        _broadcaster().add(int(group.split(".", 1)[1]), message["execution"], final=bool(message.get("final")))
        return
    _send(group, {"type": kind, "event": message})


def _send(group: str, payload: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    payload = {**payload, "group": group}  # a process's fan-out hands it to the group's websockets
    try:
        if isinstance(layer, InMemoryChannelLayer):
            if payload["type"] in fanout.KINDS:
                fanout.deliver_here(payload)
                return
            loop = fanout.server_loop()
            if loop is None:
                return  # no websocket has connected to this process: nobody to tell
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(layer.group_send(group, payload))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, payload), loop)
        elif payload["type"] in fanout.KINDS:
            _outbox().call(_broadcaster()._seq().redis.publish, fanout.channel_of(group), fanout.encode(payload))
        else:
            _outbox().send(layer, group, payload)
    except Exception:  # noqa: BLE001 - an event lost must not fail the state change
        logger.exception("could not publish a live event to %s", group)


# --- watchers ------------------------------------------------------------------------
# How many websockets follow a project's batches (JSON and HTML streams): what a batch
# costs. Counted in the process by its consumers and, on the Redis layer, in a shared
# counter (key ``<prefix>:live-watchers:<pid>``) that processes publishing batches without
# consumers (workers) read. A process killed without disconnecting leaves its watchers
# counted for a day at most: that only widens the project's gap, up to the tick.

WATCHERS_TTL = 86400
WATCHERS_CACHE = 1.0  # seconds a broadcaster reuses a shared count
_watching: dict[tuple[int, str], int] = {}
_shared_watchers: dict[int, tuple[float, dict[str, int]]] = {}


def _watchers_key(project_id: int, stream: str) -> str:
    prefix = settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix", "asgi")
    return f"{prefix}:live-watchers:{project_id}:{stream}"


def _redis_layer() -> bool:
    return settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "").startswith("channels_redis")


async def watching(project_id: int, stream: str, delta: int) -> None:
    """A consumer of a project's batches (``stream``: json, or a view's ``html_stream``)
    connected (+1) or left (-1)."""
    count = _watching.get((project_id, stream), 0) + delta
    if count > 0:
        _watching[(project_id, stream)] = count
    else:
        _watching.pop((project_id, stream), None)
    if _redis_layer():
        try:
            key = _watchers_key(project_id, stream)
            async with fanout.redis_reader().pipeline(transaction=False) as pipe:
                await pipe.incrby(key, delta).expire(key, WATCHERS_TTL).execute()
        except Exception:  # noqa: BLE001 - a count only tunes batching
            logger.debug("could not count a watcher of project %s", project_id, exc_info=True)


def watchers(project_id: int, stream: str | None = None) -> int:
    """The project's watchers of one stream, or of all, as far as this process knows."""
    streams = ("json", *map(html_stream, live_views())) if stream is None else (stream,)
    shared = _shared_counts(project_id) if _redis_layer() else {}
    return sum(max(_watching.get((project_id, each), 0), shared.get(each, 0)) for each in streams)


def _shared_counts(project_id: int) -> dict[str, int]:
    """The shared counts of all the project's streams, read in one ``MGET`` at most once a
    ``WATCHERS_CACHE``."""
    now = time.monotonic()
    at, counts = _shared_watchers.get(project_id, (0.0, {}))
    if now - at > WATCHERS_CACHE:
        streams = ("json", *map(html_stream, live_views()))
        try:
            values = _broadcaster()._seq().redis.mget([_watchers_key(project_id, each) for each in streams])
            counts = {each: int(value or 0) for each, value in zip(streams, values, strict=True)}
        except Exception:  # noqa: BLE001 - a count only tunes batching
            counts = {}
        _shared_watchers[project_id] = (now, counts)
    return counts


# --- sequence numbers ----------------------------------------------------------------


def _new_epoch() -> str:
    return uuid.uuid4().hex[:12]


class _LocalSequences:
    """The in-memory layer: one process, so a counter of its own is the project's, and a
    batch goes straight to this process's websockets. Its epoch is the process's."""

    def __init__(self):
        self.values: dict[int, int] = {}
        self.epoch = _new_epoch()

    def current(self, project_id: int) -> tuple[int, str]:
        return self.values.get(project_id, 0), self.epoch

    def send_numbered(self, group: str, project_id: int, head: str, middle: str, tail: str) -> tuple[int, str]:
        """Number the project's next batch and send ``head + number + middle + epoch + tail``;
        the number and its epoch."""
        seq = self.values[project_id] = self.values.get(project_id, 0) + 1
        self.send(group, f"{head}{seq}{middle}{self.epoch}{tail}")
        return seq, self.epoch

    def send(self, group: str, text: str) -> None:
        _send(group, {"type": "live.batch", "text": text})


class _RedisSequences:
    """The Redis layer: one hash per project (``n`` and ``epoch``) in the layer's own Redis
    and prefix, shared by every process that publishes (web processes, workers); a batch
    is one ``PUBLISH`` to the group's channel, which each web process with subscribers
    reads once (``live/fanout.py``). Numbering and publishing are one script: one round
    trip. The hash's epoch is made by the first publisher that finds none (after Redis
    lost it, with the number), so the number and its epoch are lost and made together."""

    EPOCH = (
        "local e = redis.call('HGET', KEYS[1], 'epoch') "
        "if not e then e = ARGV[1] redis.call('HSET', KEYS[1], 'epoch', e) end "
    )
    NUMBERED = (
        EPOCH + "local n = redis.call('HINCRBY', KEYS[1], 'n', 1) "
        "redis.call('PUBLISH', ARGV[2], ARGV[3] .. n .. ARGV[4] .. e .. ARGV[5]) return {n, e}"
    )
    CURRENT = EPOCH + "return {tonumber(redis.call('HGET', KEYS[1], 'n') or 0), e}"

    def __init__(self, config: dict):
        import redis  # noqa: PLC0415 - only with the Redis layer (scale-out)

        host = config["hosts"][0]
        address = host["address"] if isinstance(host, dict) else host
        self.redis = redis.Redis.from_url(address, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = f"{config.get('prefix', 'asgi')}:live-batch:"
        self.numbered = self.redis.register_script(self.NUMBERED)
        self.current_script = self.redis.register_script(self.CURRENT)

    def current(self, project_id: int) -> tuple[int, str]:
        n, epoch = self.current_script(keys=[f"{self.prefix}{project_id}"], args=[_new_epoch()])
        return int(n), epoch.decode()

    def send_numbered(self, group: str, project_id: int, head: str, middle: str, tail: str) -> tuple[int, str]:
        channel = fanout.channel_of(group)
        n, epoch = self.numbered(
            keys=[f"{self.prefix}{project_id}"], args=[_new_epoch(), channel, fanout.BATCH + head, middle, tail]
        )
        return int(n), epoch.decode()

    def send(self, group: str, text: str) -> None:
        self.redis.publish(fanout.channel_of(group), fanout.BATCH + text)


def _sequences():
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if layer.get("BACKEND", "").startswith("channels_redis"):
        return _RedisSequences(layer.get("CONFIG", {}))
    return _LocalSequences()


# --- the broadcaster -------------------------------------------------------------------


def _close_stale_connections() -> None:
    """Rendering rows reads the database: drop this thread's connection when it has gone bad
    or old (only a connection it opened: checking would otherwise open one)."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            try:
                conn.close_if_unusable_or_obsolete()
            except Exception:  # noqa: BLE001 - closing is best-effort
                logger.debug("could not check a database connection", exc_info=True)


class _Pending:
    """A project's execution events of one tick, coalesced (see the module's docstring)."""

    def __init__(self):
        self.events: list[dict] = []
        self.position: dict[int, int] = {}  # execution id -> index of its last event added
        self.newest: dict[int, int] = {}  # execution id -> index of its newest state

    def add(self, execution: dict) -> None:
        index = self.position.get(execution["id"])
        if index is not None and self.events[index]["status"] == execution["status"]:
            # Progress of the same state: the latest is enough. Latest by the record, not by
            # arrival (see below): an older event of the state arriving late is dropped.
            if _version(execution) < _version(self.events[index]):
                return
            self.events[index] = execution
        else:
            index = self.position[execution["id"]] = len(self.events)
            self.events.append(execution)
        # Publishers on other threads may deliver out of order (a request thread's `created`
        # after the dispatcher's `success`): the newest state is the one the execution's own
        # record says is newer, not the last to arrive.
        newest = self.newest.get(execution["id"])
        if newest is None or _version(execution) >= _version(self.events[newest]):
            self.newest[execution["id"]] = index

    def latest(self) -> list[dict]:
        return [self.events[i] for i in sorted(self.newest.values())]


def _version(execution: dict) -> tuple[int, str]:
    """How far an execution's record has gone: its status log's length, then its update time
    (the pages compare the same, ``data-version``)."""
    return len(execution.get("statusLog") or ()), execution.get("updatedAt") or ""


class _Broadcaster:
    def __init__(self):
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.pending: dict[int, _Pending] = {}
        self.since: dict[int, float] = {}  # project id -> when its pending batch began
        self.urgent: set[int] = set()  # projects with a final state pending
        self.last_batch: dict[int, float] = {}  # project id -> when its last batch went
        self.active: dict[int, float] = {}  # project id -> when it last had a batch
        self.unsent_since: dict[int, float] = {}  # project id -> when its batch first failed to go
        self.sequences = None
        self.wake_at = time.monotonic() + HEARTBEAT  # when the thread looks next unless woken
        threading.Thread(target=self._run, name="dataslot-live", daemon=True).start()

    def add(self, project_id: int, execution: dict, *, final: bool = False) -> None:
        with self.lock:
            if project_id not in self.pending:
                self.pending[project_id] = _Pending()
                self.since[project_id] = time.monotonic()
            self.pending[project_id].add(execution)
            if final:
                self.urgent.add(project_id)
            # A state that is not final waits a tick: a thread that will look before then is
            # not woken (each wake-up takes the interpreter from the thread that published,
            # a dispatcher on its way to hand a run to a replica).
            wake = final or self.wake_at > time.monotonic() + TICK
        if wake:
            self.wake.set()

    def _due_at(self, project_id: int, pace: dict[int, tuple[float, float]]) -> float:
        """When a project's pending batch goes: a tick after it began; with a final state in
        it, as soon as the project's gap since its previous batch has passed. ``pace``: each
        project's (watchers / ``FANOUT_BUDGET``, its least gap), counted before the lock is
        taken (a count may read Redis, and publishers wait on the lock)."""
        spacing, least_gap = pace.get(project_id, (0.0, URGENT_GAP))
        due = self.since[project_id] + min(MAX_TICK, max(TICK, spacing))
        if project_id in self.urgent:
            gap = min(MAX_TICK, max(least_gap, spacing))
            due = min(due, self.last_batch.get(project_id, 0.0) + gap)
        return due

    @staticmethod
    def _pace(project_id: int) -> tuple[float, float]:
        every = watchers(project_id)
        rendered = every > watchers(project_id, "json")
        return every / FANOUT_BUDGET, RENDERED_GAP if rendered else URGENT_GAP

    def drain(self) -> None:
        """Send what is pending now (the process is exiting: a worker's last events)."""
        with self.lock:
            pending, self.pending = self.pending, {}
            self.since, self.urgent = {}, set()
        for project_id, batch in pending.items():
            self._flush(project_id, batch)

    def _run(self) -> None:
        next_heartbeat = time.monotonic() + HEARTBEAT
        while True:
            self.wake.wait(timeout=max(0.0, self.wake_at - time.monotonic()))
            self.wake.clear()
            batches, pace = [], {}
            try:
                pace = {p: self._pace(p) for p in list(self.pending)}
                now = time.monotonic()
                with self.lock:
                    due = [p for p in self.pending if self._due_at(p, pace) <= now]
                    batches = [(p, self.pending.pop(p)) for p in due]
                    for project_id in due:
                        self.since.pop(project_id)
                        self.urgent.discard(project_id)
                for project_id, batch in batches:
                    try:  # one project's failure costs no other project its batch
                        self._flush(project_id, batch)
                    except Exception:  # noqa: BLE001 - a number was used: its clients see the gap
                        logger.exception("live broadcaster could not send all of project %s's batch", project_id)
                    self.last_batch[project_id] = time.monotonic()
                if time.monotonic() >= next_heartbeat:
                    next_heartbeat = time.monotonic() + HEARTBEAT
                    self._heartbeat()
            except Exception:  # noqa: BLE001 - the thread must outlive any one failure
                logger.exception("live broadcaster failed a turn")
            if batches:
                _close_stale_connections()
            with self.lock:
                # While the process publishes (a project had a batch lately), the thread also
                # looks every tick, so that states that need not go at once do not wake it.
                next_due = min((self._due_at(p, pace) for p in self.pending), default=float("inf"))
                looks = time.monotonic() + TICK if self.active else float("inf")
                self.wake_at = min(next_heartbeat, next_due, looks)

    def _seq(self):
        if self.sequences is None:
            self.sequences = _sequences()
        return self.sequences

    def _flush(self, project_id: int, batch: _Pending) -> None:
        self.active[project_id] = time.monotonic()
        events = json.dumps(batch.events, separators=(",", ":"))
        # The JSON stream first, sent before the rows are rendered; numbered as it is sent.
        try:
            seq, epoch = self._seq().send_numbered(
                project_group(project_id),
                project_id,
                '{"type":"executions","seq":',
                ',"epoch":"',
                f'","executions":{events}}}',
            )
        except Exception:  # noqa: BLE001 - nothing was numbered nor sent: keep it for the next turn
            logger.warning("live: could not send a batch of project %s; trying again", project_id, exc_info=True)
            self._put_back(project_id, batch)
            return
        self.unsent_since.pop(project_id, None)
        # Only the views some page follows (as far as this process knows) are rendered. A
        # page that connected meanwhile sees this number missing and re-reads.
        views = [view for view in live_views() if watchers(project_id, html_stream(view))]
        if not views:
            return
        try:
            html = _renderer().render(project_id=project_id, executions=batch.latest(), views=views)
        except Exception:  # noqa: BLE001 - nothing is sent: pages see the number missing and re-read
            logger.exception("could not render live rows of project %s", project_id)
            return
        for view in views:
            text = f'<template data-live-seq="{seq}" data-live-epoch="{epoch}"></template>{html.get(view, "")}'
            self._seq().send(studio_group(project_id, view), text)

    def _put_back(self, project_id: int, batch: _Pending) -> None:
        """Return an unsent batch to pending, before what came since (each execution keeps
        its newest state); dropped, with an error, once it has failed for ``RETRY_FOR``."""
        now = time.monotonic()
        failing_for = now - self.unsent_since.setdefault(project_id, now)
        if failing_for >= RETRY_FOR:
            self.unsent_since.pop(project_id, None)
            logger.error(
                "live: dropped a batch of project %s that Redis could not take for %.1f s", project_id, failing_for
            )
            return
        with self.lock:
            newer = self.pending.get(project_id)
            for event in newer.events if newer is not None else ():
                batch.add(event)
            self.pending[project_id] = batch
            self.since.setdefault(project_id, now)  # not urgent again: tried once a tick, not in a loop
        self.wake.set()

    def _heartbeat(self) -> None:
        now = time.monotonic()
        for project_id, at in list(self.active.items()):
            if now - at > HEARTBEAT_FOR:
                del self.active[project_id]
                continue
            seq, epoch = self._seq().current(project_id)
            self._seq().send(project_group(project_id), heartbeat_json(seq, epoch))
            for view in live_views():
                self._seq().send(studio_group(project_id, view), heartbeat_html(seq, epoch))


def heartbeat_json(seq: int, epoch: str) -> str:
    return json.dumps({"type": "seq", "seq": seq, "epoch": epoch}, separators=(",", ":"))


def heartbeat_html(seq: int, epoch: str) -> str:
    return f'<template data-live-seq="{seq}" data-live-epoch="{epoch}" data-live-heartbeat></template>'


def current_batch(project_id: int) -> tuple[int, str]:
    """The project's latest batch number and its epoch (blocking: Redis on that layer)."""
    return _broadcaster()._seq().current(project_id)


_broadcaster_lock = threading.Lock()
_the_broadcaster: _Broadcaster | None = None


def _broadcaster() -> _Broadcaster:
    global _the_broadcaster
    if _the_broadcaster is None:
        with _broadcaster_lock:
            if _the_broadcaster is None:
                _the_broadcaster = _Broadcaster()
                atexit.register(_drain_at_exit)
    return _the_broadcaster


def _drain_at_exit() -> None:
    """A process that stops (a worker's clean shutdown) sends its last tick's events, and
    waits a moment for its outbox: an event never sent has no number, so no client could
    notice it missing."""
    try:
        _the_broadcaster.drain()
        if _the_outbox is not None:
            _the_outbox.flush(timeout=2.0)
    except Exception:  # noqa: BLE001 - exiting anyway
        logger.exception("could not send the last live events")


class _Outbox:
    """One long-lived thread and event loop per process that sends to Redis, in order, for
    the threads that publish (a request must not wait on Redis): channel-layer messages
    (a fresh loop per event, ``async_to_sync``, cost a new Redis connection each) and
    ``PUBLISH`` calls."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue | None = None
        self.lock = threading.Lock()
        self.waiting = 0  # PUBLISH calls handed over and not yet made
        self.dropped = 0  # since the outbox last emptied
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
            work = await self.queue.get()
            try:
                if work[0] == "layer":
                    await work[1].group_send(work[2], work[3])
                else:
                    work[1](*work[2])  # a short synchronous call (PUBLISH): this thread is ours
            except Exception:  # noqa: BLE001 - best-effort, as above
                logger.exception("could not publish a live event")
            finally:
                if work[0] == "call":
                    self._done()
                self.queue.task_done()

    def _done(self) -> None:
        with self.lock:
            self.waiting -= 1
            dropped, emptied = self.dropped, self.waiting == 0
            if emptied:
                self.dropped = 0
        if emptied and dropped:
            logger.warning("live: %d events were dropped while Redis did not take them", dropped)

    def send(self, layer, group: str, payload: dict) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, ("layer", layer, group, payload))

    def call(self, function, *args) -> None:
        with self.lock:
            if self.waiting >= OUTBOX_LIMIT:
                self.dropped += 1
                if self.dropped == 1:
                    logger.warning("live: Redis does not take events; new ones are dropped until it does")
                return
            self.waiting += 1
        self.loop.call_soon_threadsafe(self.queue.put_nowait, ("call", function, args))

    def flush(self, *, timeout: float) -> None:
        """Wait (at most ``timeout``) until what was handed over so far has been sent."""

        async def sent():
            await self.queue.join()

        asyncio.run_coroutine_threadsafe(sent(), self.loop).result(timeout=timeout)


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
