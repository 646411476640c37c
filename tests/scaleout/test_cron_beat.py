"""Cron triggers in scale-out run on Celery beat (runner/beat.py), not on the workers.

Real processes: `manage.py beat` on hosts of their own (or `manage.py worker --beat`),
workers on others, one PostgreSQL. Each fire time of a schedule runs once however many
beats run, none is skipped when the active beat's host dies, a pause or a deletion
reaches the schedule within a second, and a worker alone fires nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import redis

from tests.scaleout.conftest import wait_for
from tests.support import cluster as clusters
from tests.support.functions import FunctionsApi, function
from tests.support.live import ROOT

pytestmark = pytest.mark.scaleout

SCHEDULE_KEY = "dataslot:beat:schedule"  # what the active beat schedules (runner/beat.py)
TICK_CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def tick(self, config):
        return config
"""


class Beat:
    """One `manage.py beat` process, on a host of its own or on this machine."""

    def __init__(self, cluster: clusters.Cluster, name: str, host=None):
        web = cluster.webs[0]
        env = {
            **{k: v for k, v in web.env.items() if k not in cluster.env},
            **cluster.env,
            "DATASLOT_HOME": str(cluster.root / f"{name}-home"),
        }
        if host is not None:
            for key in ("DATABASE_URL", "REDIS_URL", "DATASLOT_BROKER_URL"):
                env[key] = host.reach(env[key])
        os.makedirs(env["DATASLOT_HOME"], exist_ok=True)
        self.name, self.host = name, host
        self.log_path = cluster.root / f"{name}.log"
        argv = [sys.executable, str(ROOT / "manage.py"), "beat"]
        log = open(self.log_path, "ab")
        options = {"cwd": ROOT, "stdout": log, "stderr": subprocess.STDOUT, "start_new_session": True}
        if host is None:
            self.process = subprocess.Popen(argv, env=env, preexec_fn=clusters._die_with_parent, **options)
        else:
            self.process = host.popen(argv, env, **options)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def scheduling(self) -> bool:
        return "holding the lock" in self.log()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)


@pytest.fixture
def beats():
    started: list[Beat] = []
    yield started
    for beat in started:
        with contextlib.suppress(Exception):
            beat.stop()


def ticker(cluster: clusters.Cluster) -> tuple[FunctionsApi, dict]:
    """An owner's API on the cluster's web process and a deployed service with `tick(config)`."""
    web = cluster.webs[0]
    api = FunctionsApi(web, web.create_user("owner-cron", project="Cron"))
    project_id = api.project("Cron")
    package = api.push(project_id, "ticker", TICK_CODE, [function("tick", ("config", "Json"))])
    service = api.deploy(project_id, package, "ticker", runtime={"concurrency": 8, "numReplicas": 1})
    return api, service


def every_second(api: FunctionsApi, service: dict, name: str = "each-second") -> dict:
    return api.call(
        "POST",
        f"/services/{service['id']}/triggers/",
        201,
        json={
            "name": name,
            "type": "Cron",
            "functionName": "tick",
            "spec": {"cron": "* * * * * *", "inputs": {"config": 7}},
        },
    ).json()


def fire_times(cluster: clusters.Cluster, trigger_id: int) -> list[datetime]:
    return [
        row[0]
        for row in cluster.query(
            "SELECT fire_at FROM faas_triggerfire WHERE trigger_id = %s ORDER BY fire_at", trigger_id
        )
    ]


def executions(cluster: clusters.Cluster, service_id: int) -> list[tuple]:
    """(created_at, status, output, trigger id) of the service's executions, oldest first."""
    return cluster.query(
        "SELECT created_at, status, output, trigger_id FROM faas_execution WHERE service_id = %s ORDER BY created_at",
        service_id,
    )


def test_two_beats_run_each_fire_time_once_and_skip_none_when_the_active_beats_host_dies(cluster_factory, beats):
    cluster = cluster_factory()
    cluster.web()
    api, service = ticker(cluster)
    cluster.worker("a", host=cluster.host("a"))
    cluster.worker("b", host=cluster.host("b"))
    beats += [Beat(cluster, "beat-1", cluster.host("beat-1")), Beat(cluster, "beat-2", cluster.host("beat-2"))]
    active = wait_for(lambda: next((b for b in beats if b.scheduling()), None), 60, "one beat holding the lock")
    standby = next(b for b in beats if b is not active)

    trigger = every_second(api, service)
    wait_for(lambda: len(fire_times(cluster, trigger["id"])) >= 4, 30, "four fire times run")
    assert not standby.scheduling()  # one beat schedules; the other waits for the lock
    active.host.crash()  # its lock is not released: the standby takes it when it expires
    wait_for(standby.scheduling, 30, "the standby beat taking over")
    died = datetime.now(UTC)
    wait_for(
        lambda: fire_times(cluster, trigger["id"])[-1] > died + timedelta(seconds=3),
        30,
        "fire times after the takeover",
    )
    api.call("PATCH", f"/triggers/{trigger['id']}/", 200, json={"active": False})
    time.sleep(2)  # fire times already sent when the pause landed

    fired = fire_times(cluster, trigger["id"])
    # Every second of the window, none skipped (the takeover's gap is sent again, within the grace).
    assert [(b - a).total_seconds() for a, b in zip(fired, fired[1:], strict=False)] == [1.0] * (len(fired) - 1), fired
    runs = wait_for(
        lambda: (rows := executions(cluster, service["id"])) and all(r[1] == "success" for r in rows) and rows,
        60,
        "the trigger's executions finished",
    )
    # One execution per fire time: each claims its unique row and queues its execution in one
    # transaction, so they pair in order, each created at or after its fire time.
    assert len(runs) == len(fired)
    assert all(r[2] == 7 and r[3] == trigger["id"] for r in runs)
    assert all(fire_at <= run[0] < fire_at + timedelta(seconds=30) for fire_at, run in zip(fired, runs, strict=True))


def test_a_paused_cron_trigger_stops_and_a_deleted_one_leaves_beats_schedule(cluster_factory):
    cluster = cluster_factory()
    cluster.web()
    api, service = ticker(cluster)
    # Two workers, each running beat beside it (`manage.py worker --beat`): one of them schedules.
    cluster.worker("a", args=("--beat",))
    cluster.worker("b", args=("--beat",))
    schedule = redis.Redis.from_url(cluster.redis.url(0))

    trigger = every_second(api, service)
    key = str(trigger["id"]).encode()
    wait_for(lambda: len(fire_times(cluster, trigger["id"])) >= 2, 30, "two fire times run")
    assert schedule.hexists(SCHEDULE_KEY, key)

    api.call("PATCH", f"/triggers/{trigger['id']}/", 200, json={"active": False})
    paused = datetime.now(UTC)
    wait_for(lambda: not schedule.hexists(SCHEDULE_KEY, key), 5, "the paused trigger out of the schedule")
    time.sleep(1)  # fire times already sent when the pause landed
    count = len(fire_times(cluster, trigger["id"]))
    time.sleep(4)
    assert len(fire_times(cluster, trigger["id"])) == count
    assert all(fire_at <= paused + timedelta(seconds=1) for fire_at in fire_times(cluster, trigger["id"]))

    api.call("PATCH", f"/triggers/{trigger['id']}/", 200, json={"active": True})
    resumed = datetime.now(UTC)
    wait_for(lambda: len(fire_times(cluster, trigger["id"])) >= count + 2, 30, "runs again once resumed")
    # What the pause missed is not caught up: at most the fire times of a sync before the resume.
    missed = [
        t
        for t in fire_times(cluster, trigger["id"])
        if paused + timedelta(seconds=1) < t < resumed - timedelta(seconds=2)
    ]
    assert missed == []

    api.call("DELETE", f"/triggers/{trigger['id']}/", 204)
    wait_for(lambda: not schedule.hexists(SCHEDULE_KEY, key), 5, "the deleted trigger out of the schedule")
    time.sleep(1)
    count = len(executions(cluster, service["id"]))
    time.sleep(3)
    assert len(executions(cluster, service["id"])) == count


def test_a_worker_alone_fires_no_cron_trigger_and_beat_prunes_old_fire_times(cluster_factory, beats):
    cluster = cluster_factory()
    cluster.web()
    api, service = ticker(cluster)
    cluster.worker("w")
    trigger = every_second(api, service)
    time.sleep(4)
    assert executions(cluster, service["id"]) == []
    assert fire_times(cluster, trigger["id"]) == []

    # Fire-time rows are kept an hour (FIRE_RETENTION), then pruned as the trigger fires again.
    now = datetime.now(UTC).replace(microsecond=0)
    old, recent = now - timedelta(hours=2), now - timedelta(minutes=30)
    for fire_at in (old, recent):
        cluster.query(
            "INSERT INTO faas_triggerfire (trigger_id, fire_at) VALUES (%s, %s) RETURNING id", trigger["id"], fire_at
        )
    beats.append(Beat(cluster, "beat"))
    wait_for(lambda: len(executions(cluster, service["id"])) >= 2, 30, "the trigger firing once beat runs")
    kept = fire_times(cluster, trigger["id"])
    assert old not in kept and recent in kept
