"""Several web processes on one database and one Redis: live events reach every one of them,
and a web process restarting never touches executions that others run."""

import os
import signal
import time

import pytest
import websockets

from tests.faas.test_live_events import collect, run, ws_url
from tests.scaleout.conftest import counter, holder

pytestmark = pytest.mark.scaleout


def test_an_execution_created_through_one_web_process_is_seen_live_on_anothers_websocket(cluster_factory):
    cluster = cluster_factory()
    first, second = cluster.web(), cluster.web()
    api, project_id, package = counter(first)
    service = api.deploy(project_id, package, "live")
    cluster.worker("w", host=cluster.host("w"))
    token = api.http.headers["Authorization"].split()[1]

    execution, events = run(
        collect(
            ws_url(second, project_id),
            token,
            lambda: api.execute(service["id"], "count", {"tag": "live", "seconds": 0.2}),
            until_status="success",
        )
    )
    statuses = [event["status"] for _, event in events]
    assert statuses[0] == "created" and "in-progress" in statuses and statuses[-1] == "success"
    assert events[-1][1]["output"]["tag"] == "live"
    assert execution["id"] == events[-1][1]["id"]


def test_a_restarted_web_process_leaves_a_workers_running_executions_alone(cluster_factory):
    cluster = cluster_factory()
    first, second = cluster.web(), cluster.web()
    api, project_id, package = counter(first)
    service = api.deploy(project_id, package, "long", onReset="failed")
    worker = cluster.worker("w", host=cluster.host("w"))
    execution = api.execute(service["id"], "count", {"tag": "long", "seconds": 6})
    api.wait(execution["id"], until={"in-progress"}, timeout=60)

    second.kill()  # a crash, then the restart
    second.start()
    assert holder(cluster, execution["id"]) == worker.id
    ended = api.wait(execution["id"], timeout=30)
    assert (ended["status"], ended["attempts"]) == ("success", 1), ended
    assert [entry["status"] for entry in ended["statusLog"]] == ["created", "in-progress", "success"]


def test_a_restarted_embedded_server_leaves_another_servers_running_executions_alone(cluster_factory):
    # Two `make run`-style servers (each with its embedded dispatcher) on one PostgreSQL database.
    cluster = cluster_factory()
    servers = [cluster.web(DATASLOT_EXECUTOR="embedded"), cluster.web(DATASLOT_EXECUTOR="embedded")]
    api, project_id, package = counter(servers[0])
    service = api.deploy(project_id, package, "long", onReset="failed")
    execution = api.execute(service["id"], "count", {"tag": "long", "seconds": 6})
    api.wait(execution["id"], until={"in-progress"}, timeout=60)
    worker_id = holder(cluster, execution["id"])
    pid = cluster.query("SELECT pid FROM runner_worker WHERE id = %s", worker_id)[0][0]
    running, other = sorted(servers, key=lambda server: server.process.pid != pid)
    assert running.process.pid == pid

    other.process.send_signal(signal.SIGKILL)
    other.process.wait(10)
    other.start()  # its dispatcher starts, and recovers only what expired leases held
    assert os.path.exists(f"/proc/{pid}")
    ended = api.wait(execution["id"], timeout=30)
    assert (ended["status"], ended["attempts"]) == ("success", 1), ended
    assert [entry["status"] for entry in ended["statusLog"]] == ["created", "in-progress", "success"]
    assert holder(cluster, execution["id"]) in ("", worker_id)


def test_live_events_reach_a_web_process_again_after_redis_restarts(cluster_factory):
    # The web process follows the project's pub/sub channel on a connection of its own
    # (live/fanout.py); Redis restarting, with nothing kept, breaks it. What was published
    # before it subscribed again is lost (clients see a batch number missing and re-read),
    # so runs are followed until one is seen live again.
    cluster = cluster_factory()
    web = cluster.web()
    api, project_id, package = counter(web)
    service = api.deploy(project_id, package, "live")
    cluster.worker("w", host=cluster.host("w"))
    token = api.http.headers["Authorization"].split()[1]

    def seen_live(tag: str, timeout: float) -> bool:
        try:
            _, events = run(
                collect(
                    ws_url(web, project_id),
                    token,
                    lambda: api.execute(service["id"], "count", {"tag": tag, "seconds": 0.2}),
                    until_status="success",
                    timeout=timeout,
                )
            )
        except (AssertionError, TimeoutError, websockets.ConnectionClosed):
            return False
        return events[-1][1]["output"]["tag"] == tag

    assert seen_live("before", 40)
    cluster.redis.restart()
    deadline, attempt = time.monotonic() + 60, 0
    while not seen_live(f"after-{attempt}", 10):
        attempt += 1
        assert time.monotonic() < deadline, "no execution's success was seen live within 60 s of the restart"
