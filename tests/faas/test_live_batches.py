"""A project's batch of execution events: what it shows, and how it travels on Redis (one
script numbers it and publishes its whole text to the group's pub/sub channel, which each
web process reads once; live/fanout.py).

The Redis test is skipped, with the reason, where Redis cannot be reached.
"""

import json
import time
import uuid

import pytest
import redis
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from live import fanout
from live.backpressure import text_frame
from live.events import _Pending, _RedisSequences
from tests.faas.test_postgres_and_redis import REDIS_URL


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
