"""A worker host lost mid-execution (killed, or cut off the network): what it held follows
on_reset within the lease, nothing stays in progress, nothing is lost or run twice."""

import time

import pytest

from tests.scaleout.conftest import counter, holder, runs, wait_for

pytestmark = pytest.mark.scaleout

LEASE = 3.0
# The documented bound: the lease, then the next sweep of a live worker (a heartbeat), with
# room for a busy 2-core machine.
BOUND = LEASE + 3.0
# on_reset='failed' runs would go on long after the loss; on_reset='rerun' ones run again on B.
ONCE_SECONDS, AGAIN_SECONDS = 30.0, 8.0


def alive(pid: int) -> bool:
    """Running (a killed process its parent has not reaped yet is a zombie: not running)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def work_on_host_a(cluster_factory):
    """Worker A (its own host) runs two executions of an on_reset='failed' service and two of
    an on_reset='rerun' one, with one more of each queued; worker B (another host) is up."""
    cluster = cluster_factory(lease=LEASE)
    web = cluster.web()
    api, project_id, package = counter(web)
    runtime = {"concurrency": 2, "numReplicas": 1}
    once = api.deploy(project_id, package, "once", onReset="failed", runtime=runtime)
    again = api.deploy(project_id, package, "again", onReset="rerun", maxAttempts=2, runtime=runtime)
    host_a = cluster.host("a")
    worker_a = cluster.worker("a", host=host_a, args=("--concurrency", "8"))

    def start(service, tag, seconds):
        return api.execute(service["id"], "count", {"tag": tag, "seconds": seconds})["id"]

    running = {start(once, tag, ONCE_SECONDS): tag for tag in ("once-1", "once-2")}
    running |= {start(again, tag, AGAIN_SECONDS): tag for tag in ("again-1", "again-2")}
    for execution_id in running:
        api.wait(execution_id, until={"in-progress"}, timeout=60)
        assert holder(cluster, execution_id) == worker_a.id
    wait_for(lambda: all(runs(cluster, tag) == 1 for tag in running.values()), 20, "every run started on A")
    queued = {start(once, "once-queued", 0.1): "once-queued", start(again, "again-queued", 0.1): "again-queued"}
    worker_b = cluster.worker("b", host=cluster.host("b"), args=("--concurrency", "8"))
    # Still running on A when A is lost (else the test would prove nothing).
    assert {api.execution(execution_id)["status"] for execution_id in running} == {"in-progress"}
    return cluster, api, host_a, worker_a, worker_b, running, queued


def check_outcome(cluster, api, worker_a, worker_b, running, queued, lost_at):
    by_tag = {tag: execution_id for execution_id, tag in (running | queued).items()}

    # on_reset='failed': failed within the bound, once, with the reason.
    for tag in ("once-1", "once-2"):
        ended = api.wait(by_tag[tag], until={"failed", "success", "terminated"}, timeout=BOUND + 10)
        assert ended["status"] == "failed", ended
        assert ended["attempts"] == 1 and ended["output"] is None
        assert "stopped answering" in ended["latestStatus"]["message"]
        assert [entry["status"] for entry in ended["statusLog"]] == ["created", "in-progress", "failed"]
        failed_at = time.monotonic()
        assert failed_at - lost_at <= BOUND + 1, f"{tag} failed {failed_at - lost_at:.1f} s after A was lost"

    # on_reset='rerun': run again, on B, to success.
    for tag in ("again-1", "again-2"):
        ended = api.wait(by_tag[tag], timeout=BOUND + AGAIN_SECONDS + 20)
        assert ended["status"] == "success", ended
        assert ended["attempts"] == 2
        assert ended["worker"]["name"] == "b"
        assert [entry["status"] for entry in ended["statusLog"]][:4] == [
            "created",
            "in-progress",
            "created",
            "in-progress",
        ]

    # What was queued ran, once.
    for tag in ("once-queued", "again-queued"):
        ended = api.wait(by_tag[tag], timeout=BOUND + 30)
        assert (ended["status"], ended["attempts"]) == ("success", 1), ended

    # None stays in progress; none ran more often than its attempts.
    assert cluster.query("SELECT count(*) FROM faas_execution WHERE status = 'in-progress'")[0][0] == 0
    assert {tag: runs(cluster, tag) for tag in by_tag} == {
        "once-1": 1,
        "once-2": 1,
        "again-1": 2,
        "again-2": 2,
        "once-queued": 1,
        "again-queued": 1,
    }


def test_a_worker_host_killed_mid_execution_loses_nothing_and_runs_nothing_twice(cluster_factory):
    cluster, api, host_a, worker_a, worker_b, running, queued = work_on_host_a(cluster_factory)
    killed = host_a.crash()  # SIGKILL of the worker and its replicas, all at once
    lost_at = time.monotonic()
    assert worker_a.process.pid in killed and len(killed) >= 3  # the worker and its two replicas
    check_outcome(cluster, api, worker_a, worker_b, running, queued, lost_at)


def test_a_worker_host_cut_off_mid_execution_loses_nothing_and_delivers_no_second_result(cluster_factory):
    cluster, api, host_a, worker_a, worker_b, running, queued = work_on_host_a(cluster_factory)
    replicas_on_a = set(host_a.pids()) - {worker_a.process.pid}
    assert len(replicas_on_a) >= 2
    host_a.cut()
    lost_at = time.monotonic()
    try:
        # A, unable to heartbeat for a lease, stops its runs itself (their replicas are killed).
        wait_for(
            lambda: not any(alive(pid) for pid in replicas_on_a),
            LEASE + 3,
            "A's replicas stopped after its lease was lost",
        )
        check_outcome(cluster, api, worker_a, worker_b, running, queued, lost_at)
        ended = {execution_id: api.execution(execution_id) for execution_id in running}
    finally:
        host_a.heal()
    # A is back: whatever it still had to say reaches the database now, and changes nothing.
    time.sleep(LEASE + 2)
    for execution_id, before in ended.items():
        after = api.execution(execution_id)
        keys = ("status", "attempts", "output", "statusLog", "latestStatus")
        assert {k: after[k] for k in keys} == {k: before[k] for k in keys}, running[execution_id]
    assert {tag: runs(cluster, tag) for tag in running.values()} == {
        "once-1": 1,
        "once-2": 1,
        "again-1": 2,
        "again-2": 2,
    }
    # And A works again: with B stopped, a new execution runs there.
    worker_b.stop()
    service_id = api.execution(next(iter(running)))["serviceId"]
    after = api.wait(api.execute(service_id, "count", {"tag": "after-heal", "seconds": 0})["id"], timeout=30)
    assert (after["status"], after["worker"]["name"]) == ("success", "a"), after
