"""A project's batch of execution events: what it shows, and how it travels on the Redis
channel layer (short ones in the group message, long ones stored once in Redis and named:
channels_redis stores a group message once per subscriber).

The Redis test is skipped, with the reason, where Redis cannot be reached.
"""

import uuid

import pytest
import redis

from live.events import INLINE_TEXT, _Pending, _RedisSequences
from live.fanout import batch_text
from tests.faas.test_live_events import run
from tests.faas.test_postgres_and_redis import REDIS_URL


@pytest.fixture
def sequences():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {REDIS_URL} is not reachable ({type(error).__name__})")
    sequences = _RedisSequences({"hosts": [REDIS_URL], "prefix": f"test-{uuid.uuid4().hex[:8]}"})
    yield sequences
    keys = list(sequences.redis.scan_iter(f"{sequences.batch_prefix}*"))
    if keys:
        sequences.redis.delete(*keys)


def test_a_short_batch_rides_in_the_message_and_a_long_one_is_stored_once(sequences):
    short = '{"type":"executions","seq":1,"executions":[]}'
    long = "x" * (INLINE_TEXT + 1)

    inline = sequences.payload("1:1:json", short)
    named = sequences.payload("1:2:json", long)

    assert inline == {"type": "live.batch", "text": short}
    assert run(batch_text(inline)) == short
    assert set(named) == {"type", "ref"} and long not in named.values()
    assert sequences.redis.get(named["ref"]).decode() == long
    assert 0 < sequences.redis.ttl(named["ref"]) <= 120


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
