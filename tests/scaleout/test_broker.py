"""The broker is transport: a restart that loses its queue loses no execution, and a run
longer than its redelivery window is not delivered twice."""

import shutil
import subprocess
import threading
import time

import celery
import kombu
import psycopg
import pytest
import redis

from dataslot_server.celery_app import transport_for
from tests.scaleout.conftest import counter, runs, wait_for
from tests.support.cluster import RedisServer

pytestmark = pytest.mark.scaleout

QUEUE = "dataslot.executions"


def ready_on_broker(cluster) -> int:
    """Messages waiting on the executions queue."""
    if cluster.vhost is None:
        return redis.Redis.from_url(cluster.broker_url).llen(QUEUE)
    with kombu.Connection(cluster.broker_url, connect_timeout=5) as connection:
        try:
            return connection.default_channel.queue_declare(queue=QUEUE, passive=True).message_count
        except connection.channel_errors:
            return 0  # no such queue (a vhost made anew): nothing waits


def held_unacknowledged(cluster) -> int:
    """Messages delivered to a worker and not acknowledged: what the broker would hand out again."""
    if cluster.vhost is None:
        return redis.Redis.from_url(cluster.broker_url).hlen("unacked")
    out = subprocess.run(
        ["rabbitmqctl", "-q", "list_queues", "-p", cluster.vhost, "name", "messages_unacknowledged"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return sum(int(fields[1]) for fields in map(str.split, out.splitlines()) if fields and fields[0] == QUEUE)


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_broker_that_loses_its_queue_loses_no_execution(cluster_factory, broker):
    cluster = cluster_factory(broker=broker)
    web = cluster.web()
    api, project_id, package = counter(web)
    service = api.deploy(project_id, package, "queued", runtime={"concurrency": 4, "numReplicas": 1})
    # No worker is up: the executions wait on the broker, and only there.
    tags = [f"queued-{i}" for i in range(8)]
    ids = [api.execute(service["id"], "count", {"tag": tag, "seconds": 0.1})["id"] for tag in tags]
    wait_for(lambda: ready_on_broker(cluster) == len(ids), 30, "every execution's message on the broker")

    cluster.lose_broker_state()  # our own Redis restarted (nothing on disk), or our vhost made anew
    assert ready_on_broker(cluster) == 0

    lost_at = time.monotonic()
    cluster.worker("w", host=cluster.host("w"), args=("--concurrency", "4"))
    for execution_id in ids:
        ended = api.wait(execution_id, timeout=60)
        assert (ended["status"], ended["attempts"]) == ("success", 1), ended
    # Published again by the sweep once the worker saw them untouched for DATASLOT_REQUEUE_AFTER.
    assert time.monotonic() - lost_at < 60
    assert [runs(cluster, tag) for tag in tags] == [1] * len(tags)


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_run_longer_than_the_redelivery_window_is_delivered_once(cluster_factory, broker):
    # kombu's Redis transport would hand a message taken and not acknowledged out again after
    # its visibility_timeout; ours keeps no copy of it on Redis (dataslot_server/redis_transport.py).
    # RabbitMQ closes a consumer holding one past consumer_timeout (server-wide, left alone on
    # this shared server). A message taken is acknowledged at once, so neither can happen.
    cluster = cluster_factory(broker=broker)
    web = cluster.web()
    api, project_id, package = counter(web)
    service = api.deploy(project_id, package, "long", runtime={"concurrency": 1, "numReplicas": 1})
    # Two workers on two hosts: a message handed out again would find a taker.
    cluster.worker("a", host=cluster.host("a"))
    cluster.worker("b", host=cluster.host("b"))

    execution = api.execute(service["id"], "count", {"tag": "long", "seconds": 6})
    api.wait(execution["id"], until={"in-progress"}, timeout=60)
    held = []

    def sample():  # while it runs, past the window: no message waits and none is held unacknowledged
        for _ in range(3):
            held.append((ready_on_broker(cluster), held_unacknowledged(cluster)))
            time.sleep(2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    ended = api.wait(execution["id"], timeout=60)
    sampler.join()
    assert (ended["status"], ended["attempts"]) == ("success", 1), ended
    assert [entry["status"] for entry in ended["statusLog"]] == ["created", "in-progress", "success"]
    assert all(counts == (0, 0) for counts in held), held  # nothing left on the broker to hand out
    time.sleep(2)  # past another window: still once
    assert runs(cluster, "long") == 1
    assert api.execution(execution["id"])["attempts"] == 1


def test_a_message_whose_execution_is_locked_for_a_moment_is_not_dropped(cluster_factory):
    # A worker's claim skips rows another transaction holds (its own heartbeat marking the
    # messages it holds, a sweep). Such an execution is still queued: its message stays
    # offered and it runs once the row is free, not when the lost-message sweep comes round.
    cluster = cluster_factory(broker="redis", lease=10, DATASLOT_REQUEUE_AFTER="120")
    web = cluster.web()
    api, project_id, package = counter(web)
    service = api.deploy(project_id, package, "locked", runtime={"concurrency": 2, "numReplicas": 1})
    execution = api.execute(service["id"], "count", {"tag": "locked", "seconds": 0})
    wait_for(lambda: ready_on_broker(cluster) == 1, 30, "the execution's message on the broker")

    with psycopg.connect(cluster.database_url) as holder:
        holder.execute("SELECT id FROM faas_execution WHERE id = %s FOR UPDATE", (execution["id"],))
        cluster.worker("w", host=cluster.host("w")).wait_registered()
        wait_for(lambda: ready_on_broker(cluster) == 0, 30, "the worker took the message")
        time.sleep(2)  # the worker's claims meanwhile skip the locked row
        assert api.execution(execution["id"])["status"] == "created"
    released = time.monotonic()
    ended = api.wait(execution["id"], timeout=30)
    assert ended["status"] == "success"
    assert time.monotonic() - released < 10, "it waited for the lost-message sweep"


def test_a_message_lost_behind_a_backlog_is_published_again_before_the_queue_empties(cluster_factory):
    # Workers take messages in the order they were published: one published well before a
    # message a worker has since taken is not waiting behind the backlog, it is lost. (The
    # sweep's rule is the database's, the same on both brokers: one cluster, Redis, for
    # the suite's time; tests/faas/test_runner_writes.py has the rule itself.)
    cluster = cluster_factory(broker="redis", lease=6, DATASLOT_REQUEUE_AFTER="2")
    web = cluster.web()
    api, project_id, package = counter(web)
    service = api.deploy(project_id, package, "backlog", runtime={"concurrency": 1, "numReplicas": 1})
    lost = api.execute(service["id"], "count", {"tag": "lost", "seconds": 0})
    wait_for(lambda: ready_on_broker(cluster) == 1, 30, "its message on the broker")
    cluster.lose_broker_state()
    time.sleep(2.5)  # then a backlog, published after it
    first = [api.execute(service["id"], "count", {"tag": f"first-{i}", "seconds": 1.5})["id"] for i in range(6)]
    cluster.worker("w", host=cluster.host("w"), args=("--concurrency", "1")).wait_registered()
    wait_for(lambda: api.execution(first[0])["status"] != "created", 30, "the backlog started")
    time.sleep(3)  # more work keeps coming: the queue never empties
    later = [api.execute(service["id"], "count", {"tag": f"later-{i}", "seconds": 0.2})["id"] for i in range(3)]
    assert ready_on_broker(cluster) > 0

    ended = [api.wait(eid, timeout=90) for eid in [lost["id"], *first, *later]]
    assert [e["status"] for e in ended] == ["success"] * len(ended), [e["latestStatus"] for e in ended]
    started = {e["id"]: e["statusLog"][1]["timestamp"] for e in ended}
    # Published again while the backlog waited: it ran before what came after it was found lost.
    assert started[lost["id"]] < min(started[eid] for eid in later), started
    assert runs(cluster, "lost") == 1


def test_a_redis_broker_is_sent_every_command_through_one_client_per_channel(tmp_path, monkeypatch):
    """kombu's own Redis channel makes a client object for every message published, taken
    and acknowledged (about 50 µs of CPU each with redis-py 8, on every execution's path):
    ours sends them all through one, and messages go as before."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    made = []
    real_init = redis.Redis.__init__
    monkeypatch.setattr(redis.Redis, "__init__", lambda self, *a, **k: made.append(1) or real_init(self, *a, **k))
    try:
        with kombu.Connection(server.url(1), transport=transport_for(server.url(1))) as connection:
            queue = kombu.Queue("probe", routing_key="probe")
            with connection.Producer() as producer:
                for n in range(20):
                    producer.publish({"n": n}, routing_key="probe", declare=[queue])
            taken = []
            with connection.Consumer(queue, callbacks=[lambda body, message: taken.append(body["n"]) or message.ack()]):
                while len(taken) < 20:
                    connection.drain_events(timeout=5)
        assert taken == list(range(20))
        assert redis.Redis.from_url(server.url(1)).hlen("unacked") == 0  # every one acknowledged
        assert len(made) <= 4, f"{len(made)} clients for 20 messages published, taken and acknowledged"
    finally:
        server.stop()


def test_a_redis_broker_keeps_no_copy_of_a_taken_message_and_reads_bindings_once(tmp_path):
    """kombu's Redis transport copies every message it hands out into an `unacked` hash (a
    transaction when taken, another when acknowledged) and reads the exchange's bindings
    before every message it publishes: two round trips and a transaction on every
    execution's path. Ours does neither; a rejected message, and one taken and not
    acknowledged when the connection closes, still go back to the queue."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    client = redis.Redis.from_url(server.url(1))

    def calls(command: str) -> int:
        return client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)

    try:
        with kombu.Connection(server.url(1), transport=transport_for(server.url(1))) as connection:
            queue = kombu.Queue("probe", exchange=kombu.Exchange("probe", type="direct"), routing_key="probe")
            with connection.Producer() as producer:
                producer.publish({"n": 0}, exchange=queue.exchange, routing_key="probe", declare=[queue])
                bindings_read = calls("smembers")
                for n in range(1, 20):
                    producer.publish({"n": n}, exchange=queue.exchange, routing_key="probe")
            assert calls("smembers") == bindings_read, "the bindings were read again for each message"
            assert client.llen("probe") == 20
            # A queue another client bound since (a reply queue) is found at once: a key no
            # binding was remembered for is read anew.
            replies = kombu.Queue("replies", exchange=queue.exchange, routing_key="replies")
            with kombu.Connection(server.url(1)) as other:
                replies(other.default_channel).declare()
            with connection.Producer() as producer:
                producer.publish({"n": "reply"}, exchange=queue.exchange, routing_key="replies")
            assert (client.llen("replies"), client.llen("probe")) == (1, 20)

            taken, copies = [], []

            def take(body, message):
                copies.append(client.exists("unacked", "unacked_index"))
                taken.append(body["n"])
                if body["n"] == 0 and len(taken) == 1:
                    message.requeue()  # handed back: it comes round again
                elif body["n"] != 19:
                    message.ack()  # the last is left unacknowledged

            with connection.Consumer(queue, callbacks=[take]):
                transactions = calls("multi")  # after the consumer's own set-up
                while len(taken) < 21:
                    connection.drain_events(timeout=5)
            assert sorted(taken) == [0, *range(20)]
            assert copies == [0] * 21, "a taken message was copied into Redis"
            assert calls("multi") == transactions, "taking or acknowledging a message ran a transaction"
        # The connection closed with the last message taken and not acknowledged: it is back.
        assert client.llen("probe") == 1
        assert client.exists("unacked", "unacked_index") == 0
    finally:
        server.stop()


def tasks_run(cluster) -> int:
    """How many `run_execution` messages the cluster's workers ran as Celery tasks (their
    pool's count, asked over Celery's remote control)."""
    app = celery.Celery(broker=cluster.broker_url)
    try:
        stats = app.control.inspect(timeout=5).stats() or {}
    finally:
        app.close()
    assert stats, "no worker answered Celery's remote control"
    return sum(worker.get("total", {}).get("runner.tasks.run_execution", 0) for worker in stats.values())


def task_events(cluster, on: bool) -> None:
    """Turn the workers' task events on or off over remote control, as Flower does."""
    app = celery.Celery(broker=cluster.broker_url)
    try:
        answers = (app.control.enable_events if on else app.control.disable_events)(reply=True, timeout=5)
    finally:
        app.close()
    assert answers, "no worker answered Celery's remote control"


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_a_message_a_worker_can_take_at_once_is_claimed_as_it_arrives_instead_of_becoming_a_task(
    cluster_factory, broker
):
    # Celery's way from a message to a task on a pool thread took about half a millisecond
    # of every execution's path: a worker that runs the service with room claims the
    # execution on the thread that received its message (runner/tasks.py, claim_on_receipt).
    cluster = cluster_factory(broker=broker)
    web = cluster.web()
    api, project_id, package = counter(web)
    service = api.deploy(project_id, package, "arrival", runtime={"concurrency": 2, "numReplicas": 1})
    cluster.worker("w", host=cluster.host("w"))
    # The first starts the replica: nothing runs it yet, so it goes on as a task and waits.
    first = api.execute(service["id"], "count", {"tag": "arrival-0", "seconds": 0})
    assert api.wait(first["id"], timeout=60)["status"] == "success"
    assert tasks_run(cluster) == 1

    tags = [f"arrival-{n}" for n in range(1, 11)]
    for tag in tags:
        execution = api.execute(service["id"], "count", {"tag": tag, "seconds": 0})
        ended = api.wait(execution["id"], timeout=30)
        assert (ended["status"], ended["attempts"]) == ("success", 1), ended
        assert [entry["status"] for entry in ended["statusLog"]] == ["created", "in-progress", "success"]
    assert [runs(cluster, tag) for tag in tags] == [1] * len(tags)
    # A message goes on as a task when the dispatcher is on its turn just then, or has not
    # looked at the database within the last second: a few may, most must not.
    assert tasks_run(cluster) - 1 <= len(tags) // 2
    # Nothing waits on the broker, nor is held there unacknowledged.
    assert (ready_on_broker(cluster), held_unacknowledged(cluster)) == (0, 0)

    # With task events on (Flower, `celery events`), every message is a task those tools see.
    task_events(cluster, on=True)
    before = tasks_run(cluster)
    for tag in ("seen-1", "seen-2", "seen-3"):
        execution = api.execute(service["id"], "count", {"tag": tag, "seconds": 0})
        assert api.wait(execution["id"], timeout=30)["status"] == "success"
    assert tasks_run(cluster) - before == 3
    task_events(cluster, on=False)
