"""A project's batch of execution events: what it shows, and how it travels on Redis (one
script numbers it and publishes its whole text to the group's pub/sub channel, which each
web process reads once; live/fanout.py).

The Redis test is skipped, with the reason, where Redis cannot be reached.
"""

import asyncio
import json
import re
import threading
import time
import uuid

import pytest
import redis
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from live import events, fanout
from live.backpressure import text_frame
from live.consumers import ProjectConsumer
from live.events import _Broadcaster, _LocalSequences, _Pending, _RedisSequences, project_group, watchers
from tests.faas.test_postgres_and_redis import REDIS_URL
from workspace.services.projects import project_create


@pytest.fixture
def sequences():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({type(error).__name__})")
    sequences = _RedisSequences({"hosts": [REDIS_URL], "prefix": f"test-{uuid.uuid4().hex[:8]}"})
    yield sequences
    sequences.redis.delete(f"{sequences.prefix}7")


def received(listener, count: int, timeout: float = 5) -> list[dict]:
    messages, deadline = [], time.monotonic() + timeout
    while len(messages) < count and time.monotonic() < deadline:
        message = listener.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None:
            messages.append(message)
    return messages


def test_a_batch_is_numbered_and_published_whole_in_one_message(sequences):
    group = f"project.test-{uuid.uuid4().hex[:8]}"
    listener = sequences.redis.pubsub()
    listener.subscribe(fanout.channel_of(group))
    assert listener.get_message(timeout=5)["type"] == "subscribe"
    events = [{"id": n, "status": "success"} for n in range(2000)]  # a burst: ~50 KB
    tail = f',"executions":{json.dumps(events)}}}'

    head, middle = '{"type":"executions","seq":', ',"epoch":"'
    first, epoch = sequences.send_numbered(group, 7, head, middle, '"' + tail)
    second, same = sequences.send_numbered(group, 7, head, middle, '","executions":[]}')
    sequences.send(group, '{"type":"seq","seq":2}')

    texts = [fanout.decode(group, m["data"]) for m in received(listener, 3)]
    assert (second, same) == (first + 1, epoch) == sequences.current(7)
    assert [t["type"] for t in texts] == ["live.batch"] * 3 and {t["group"] for t in texts} == {group}
    assert json.loads(texts[0]["text"]) == {"type": "executions", "seq": first, "epoch": epoch, "executions": events}
    assert json.loads(texts[1]["text"]) == {"type": "executions", "seq": second, "epoch": epoch, "executions": []}
    assert json.loads(texts[2]["text"]) == {"type": "seq", "seq": 2}
    listener.close()


def test_numbers_lost_with_redis_start_again_under_a_new_epoch(sequences):
    # Redis keeps nothing here: a restart loses the project's counter, and its epoch with it.
    group = f"project.test-{uuid.uuid4().hex[:8]}"
    head, middle, tail = '{"type":"executions","seq":', ',"epoch":"', '","executions":[]}'
    for _ in range(3):
        before = sequences.send_numbered(group, 7, head, middle, tail)
    sequences.redis.delete(f"{sequences.prefix}7")  # what a restart with nothing kept leaves
    assert sequences.current(7)[0] == 0
    after = sequences.send_numbered(group, 7, head, middle, tail)
    assert before[0] == 3 and after[0] == 1
    assert after[1] != before[1]  # so a client that had 3 re-reads instead of waiting for 4
    assert sequences.current(7) == after


def test_an_event_travels_with_its_group():
    payload = {"type": "live.event", "event": {"type": "logs", "lines": ["a"]}}
    assert fanout.decode("execution.3.logs", fanout.encode(payload).encode()) == payload | {"group": "execution.3.logs"}


def state(status: str, log: int, at: str) -> dict:
    return {"id": 7, "status": status, "statusLog": [{}] * log, "updatedAt": f"2026-12-01T10:00:0{at}Z"}


def test_a_state_delivered_late_does_not_hide_the_newer_one_in_a_batch():
    batch = _Pending()
    # The dispatcher's claim and result reach the batch before the request thread's `created`.
    batch.add(state("in-progress", 2, "1"))
    batch.add(state("success", 3, "2"))
    batch.add(state("created", 1, "0"))

    assert [e["status"] for e in batch.events] == ["in-progress", "success", "created"]  # every transition
    assert [e["status"] for e in batch.latest()] == ["success"]  # what a page shows: the newest


def test_progress_of_one_state_is_coalesced_to_its_latest_value():
    batch = _Pending()
    for percent in (10, 50, 90):
        batch.add(state("in-progress", 2, "1") | {"percentComplete": percent})
    batch.add(state("success", 3, "2"))

    assert [(e["status"], e.get("percentComplete")) for e in batch.events] == [("in-progress", 90), ("success", None)]
    assert [e["status"] for e in batch.latest()] == ["success"]


def test_an_older_event_of_the_same_state_arriving_late_does_not_replace_the_newer_one():
    batch = _Pending()
    # The dispatcher queues a claimed execution again (a third log entry) before the request
    # thread's own `created` (one entry) reaches the batch; and a progress report read before
    # a stop request arrives after the stop request's event.
    batch.add(state("created", 3, "2") | {"attempts": 0})
    batch.add(state("created", 1, "0") | {"attempts": 0, "message": "first"})
    batch.add(state("in-progress", 5, "4") | {"toTerminate": True})
    batch.add(state("in-progress", 5, "3") | {"toTerminate": False})

    assert [(e["status"], len(e["statusLog"])) for e in batch.events] == [("created", 3), ("in-progress", 5)]
    assert batch.events[1]["toTerminate"] is True
    assert [e["status"] for e in batch.latest()] == ["in-progress"]


@pytest.mark.parametrize("length", [0, 125, 126, 65535, 65536, 700_000])
def test_a_prepared_frame_is_one_whole_text_frame_a_client_reads_back(length):
    # Each length form of RFC 6455 (7, 16 and 64 bits), and multibyte text.
    text = "é" * (length // 2) + "x" * (length % 2)
    reader = StreamReader()
    reader.feed_data(text_frame(text))
    reader.feed_eof()
    parsing = Frame.parse(reader.read_exact, mask=False)
    with pytest.raises(StopIteration) as parsed:
        next(parsing)
    frame = parsed.value.value
    assert (frame.opcode, frame.fin, frame.data.decode()) == (Opcode.TEXT, True, text)


class FlakySequences(_LocalSequences):
    """The in-memory layer's numbering, with a Redis outage for some projects: their next
    ``failures[project]`` calls raise before anything is numbered or sent. ``release``
    holds every call until it is set; ``failing(project)`` runs as a call is about to fail."""

    def __init__(self, failures: dict[int, int], failing=lambda project_id: None):
        super().__init__()
        self.failures, self.failing = dict(failures), failing
        self.release = threading.Event()
        self.release.set()
        self.sent: dict[int, list[dict]] = {}

    def send_numbered(self, group, project_id, head, middle, tail):
        self.release.wait(5)
        if self.failures.get(project_id):
            self.failures[project_id] -= 1
            self.failing(project_id)
            raise redis.ConnectionError("Redis went away")
        return super().send_numbered(group, project_id, head, middle, tail)

    def send(self, group, text):
        if text.startswith('{"type":"executions"'):
            self.sent.setdefault(int(group.split(".")[1]), []).append(json.loads(text))


def sent_batches(sequences, projects, timeout: float = 5) -> dict[int, list[dict]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(p in sequences.sent for p in projects):
        time.sleep(0.02)
    return sequences.sent


def statuses(batches: list[dict]) -> list[tuple[int, list[str]]]:
    return [(batch["seq"], [e["status"] for e in batch["executions"]]) for batch in batches]


def test_a_batch_redis_failed_to_number_is_sent_on_a_later_turn_and_other_projects_batches_still_go():
    broadcaster = _Broadcaster()
    # A newer state of the same execution arrives while its batch is failing.
    sequences = FlakySequences({1: 1}, failing=lambda _: broadcaster.add(1, state("success", 3, "2"), final=True))
    broadcaster.sequences = sequences
    sequences.release.clear()
    broadcaster.add(0, state("success", 3, "2"), final=True)  # its turn waits in the numbering...
    time.sleep(0.2)
    broadcaster.add(1, state("in-progress", 2, "1"), final=True)  # ...so these two go in one turn
    broadcaster.add(2, state("success", 3, "2"), final=True)
    sequences.release.set()

    sent = sent_batches(sequences, [0, 1, 2])
    assert statuses(sent.get(2, [])) == [(1, ["success"])]
    # Nothing was lost with the failure: every transition, in order, under the project's first number.
    assert statuses(sent.get(1, [])) == [(1, ["in-progress", "success"])]


def test_a_batch_unsent_through_a_long_outage_is_dropped_with_an_error(monkeypatch, caplog):
    monkeypatch.setattr(events, "RETRY_FOR", 0.5)
    sequences = FlakySequences({3: 10**6})
    broadcaster = _Broadcaster()
    broadcaster.sequences = sequences
    broadcaster.add(3, state("success", 3, "2"), final=True)

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(r.levelname == "ERROR" for r in caplog.records):
        time.sleep(0.05)
    (error,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert re.fullmatch(r"live: dropped a batch of project 3 that Redis could not take for 0\.[5-9] s", error)
    assert 3 not in broadcaster.pending  # an outage holds no memory
    sequences.failures[3] = 0
    broadcaster.add(3, state("success", 4, "3"), final=True)  # Redis is back: the next batch goes
    assert statuses(sent_batches(sequences, [3])[3]) == [(1, ["success"])]


@pytest.mark.django_db(transaction=True)
def test_a_socket_gone_before_its_first_heartbeat_is_not_left_counted_as_a_watcher():
    owner = get_user_model().objects.create_user("wanda", password="pw")
    project = project_create(name="Watched", owner=owner)
    scope = {
        "type": "websocket",
        "path": f"/ws/projects/{project.pk}/",
        "headers": [],
        "query_string": b"",
        "subprotocols": [],
        "user": owner,
        "url_route": {"args": (), "kwargs": {"project_id": project.pk}},
    }

    async def connect_then_vanish():
        inbox = asyncio.Queue()
        inbox.put_nowait({"type": "websocket.connect"})

        async def send(message):
            if message["type"] == "websocket.send":  # what a server says of a client already gone
                raise ConnectionResetError("the client closed the connection")

        await asyncio.wait_for(ProjectConsumer.as_asgi()(scope, inbox.get, send), timeout=5)
        return fanout._here().members.get(project_group(project.pk), set())

    assert async_to_sync(connect_then_vanish)() == set()  # the consumer ended, and left the fan-out
    assert watchers(project.pk, "json") == 0


def test_a_final_state_waits_only_its_projects_gap_which_pages_and_watchers_widen(monkeypatch):
    """One run after another must not wait for the gap (the SDK's run-and-wait loop); a
    project whose rows pages render, or with many watchers, gets its batches spaced."""
    monkeypatch.setattr(events, "_watching", {(5, "json"): 1})
    assert _Broadcaster._pace(5) == (1 / events.FANOUT_BUDGET, events.URGENT_GAP)
    monkeypatch.setitem(events._watching, (5, events.html_stream(events.live_views()[0])), 1)
    assert _Broadcaster._pace(5) == (2 / events.FANOUT_BUDGET, events.RENDERED_GAP)

    broadcaster = _Broadcaster()
    now = time.monotonic()
    broadcaster.since[5], broadcaster.last_batch[5] = now, now
    assert broadcaster._due_at(5, {5: (0.001, events.URGENT_GAP)}) == now + events.TICK  # nothing final: the tick
    broadcaster.urgent.add(5)
    assert broadcaster._due_at(5, {5: (0.001, events.URGENT_GAP)}) == pytest.approx(now + 0.002)
    assert broadcaster._due_at(5, {5: (0.002, events.RENDERED_GAP)}) == pytest.approx(now + 0.01)
    assert broadcaster._due_at(5, {5: (0.05, events.URGENT_GAP)}) == pytest.approx(now + 0.05)  # 50 watchers
    assert broadcaster._due_at(5, {5: (2.0, events.URGENT_GAP)}) == pytest.approx(now + events.MAX_TICK)


class RecordingSequences(_LocalSequences):
    def __init__(self):
        super().__init__()
        self.sent_at: dict[int, float] = {}

    def send_numbered(self, group, project_id, head, middle, tail):
        self.sent_at[project_id] = time.monotonic()
        return super().send_numbered(group, project_id, head, middle, tail)

    def send(self, group, text):
        pass


def test_a_state_that_need_not_go_at_once_does_not_wake_the_thread_and_still_goes_at_its_tick():
    broadcaster = _Broadcaster()
    broadcaster.sequences = sequences = RecordingSequences()
    broadcaster.add(1, state("success", 3, "2"), final=True)  # wakes it: it may go at once
    assert sent_batches_at(sequences, 1) is not None
    deadline = time.monotonic() + 5
    while broadcaster.wake_at > time.monotonic() + events.TICK and time.monotonic() < deadline:
        time.sleep(0.005)  # until the thread, done with that batch, looks every tick

    added = time.monotonic()
    broadcaster.add(2, state("in-progress", 2, "1"))
    assert not broadcaster.wake.is_set()  # the publisher's thread kept the interpreter
    sent = sent_batches_at(sequences, 2)
    assert sent is not None and events.TICK * 0.9 <= sent - added <= events.TICK * 10  # at its tick, not at once

    added = time.monotonic()
    broadcaster.add(3, state("success", 3, "2"), final=True)  # wakes it: it goes at once, not at a look
    sent = sent_batches_at(sequences, 3)
    assert sent is not None and sent - added < events.TICK * 0.8


def sent_batches_at(sequences: RecordingSequences, project_id: int, timeout: float = 5) -> float | None:
    deadline = time.monotonic() + timeout
    while project_id not in sequences.sent_at and time.monotonic() < deadline:
        time.sleep(0.005)
    return sequences.sent_at.get(project_id)


def test_events_redis_does_not_take_are_bounded_and_the_drop_is_said(monkeypatch, caplog):
    monkeypatch.setattr(events, "OUTBOX_LIMIT", 10)
    outbox = events._Outbox()
    stuck, sent = threading.Event(), []

    def publish_through_a_partition(text):
        stuck.wait(5)  # what a PUBLISH does while Redis cannot be reached
        sent.append(text)

    for n in range(25):
        outbox.call(publish_through_a_partition, f"event {n}")
    assert (outbox.waiting, outbox.dropped) == (10, 15)  # memory holds the limit, not the outage
    stuck.set()
    outbox.flush(timeout=5)
    assert sent == [f"event {n}" for n in range(10)]
    assert "live: 15 events were dropped while Redis did not take them" in caplog.text
    outbox.call(sent.append, "after")  # Redis is back: events go again
    outbox.flush(timeout=5)
    assert sent[-1] == "after" and outbox.dropped == 0
