"""Scale-out on this machine: a web process and `manage.py worker`, real processes, both brokers.

An execution created through the web API runs on the worker and names it; the web
process runs no dispatcher; a worker that cannot work (broker, database, keys, version)
says why in one line and exits 1; scale-out refuses SQLite and the in-memory layer.
Skipped, with the reason, where PostgreSQL, Redis or RabbitMQ cannot be reached.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
import requests

from tests.faas.conftest import push_runner
from tests.support import cluster as clusters
from tests.support.functions import FunctionsApi
from tests.support.live import ROOT, free_port

pytestmark = [pytest.mark.scaleout, pytest.mark.server]


@pytest.fixture(params=["redis", "rabbitmq"])
def cluster(request, tmp_path):
    reason = clusters.unavailable(request.param)
    if reason:
        pytest.skip(f"a scale-out cluster cannot run here: {reason}")
    with clusters.Cluster(tmp_path / "cluster", broker=request.param) as made:
        yield made


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    """A migrated database, a broker and a web process, for workers started with one thing wrong."""
    reason = clusters.unavailable("redis")
    if reason:
        pytest.skip(f"a scale-out cluster cannot run here: {reason}")
    with clusters.Cluster(tmp_path_factory.mktemp("configured")) as made:
        web = made.web()
        yield (
            made,
            {
                **{k: v for k, v in web.env.items() if k not in made.env},
                **made.env,
                "DATASLOT_HOME": str(made.root / "bad-worker-home"),
                "DATASLOT_API_URL": web.url,
            },
        )


def run_worker(env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "worker", "--name", "bad"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out, time.monotonic() - started


def one_line(out: subprocess.CompletedProcess) -> str:
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{out.stderr}"
    assert "Traceback" not in out.stderr
    return lines[0]


def test_an_execution_created_through_the_api_runs_on_a_worker_that_the_execution_names(cluster):
    web = cluster.web()
    worker = cluster.worker("alpha")
    api = FunctionsApi(web, web.create_user("owner", project="Scale"))
    project_id = api.project("Scale")
    service = api.deploy(project_id, push_runner(api, project_id, "runner"), "svc", runtime={"concurrency": 2})

    ran = api.wait(api.execute(service["id"], "whoami")["id"], timeout=60)
    assert ran["status"] == "success", ran["latestStatus"]
    assert ran["worker"]["id"] == worker.id and ran["worker"]["name"] == "alpha"
    # Warm: a second run goes to the same replica, whose __init__ ran once.
    again = api.wait(api.execute(service["id"], "whoami")["id"], timeout=60)
    assert (again["output"]["pid"], again["output"]["inits"]) == (ran["output"]["pid"], 1)
    listed = api.call("GET", f"/projects/{project_id}/executions/", 200).json()["results"]
    assert {e["worker"]["name"] for e in listed} == {"alpha"}

    # The web process runs no dispatcher: the worker is the only one registered.
    assert cluster.query("SELECT name, executor FROM runner_worker") == [("alpha", "celery")]


def test_a_stopped_worker_hands_back_what_it_held_and_says_it_stopped(cluster):
    web = cluster.web()
    worker = cluster.worker("beta")
    api = FunctionsApi(web, web.create_user("owner", project="Stop"))
    project_id = api.project("Stop")
    service = api.deploy(project_id, push_runner(api, project_id, "runner"), "svc", onReset="failed")
    running = api.execute(service["id"], "sleepy", {"seconds": 60})
    api.wait(running["id"], until={"in-progress"}, timeout=60)

    worker.stop()  # SIGTERM: a clean stop
    assert worker.process.returncode == 0, worker.log()[-3000:]
    ended = api.execution(running["id"])
    assert ended["status"] == "failed" and "worker stopped" in ended["latestStatus"]["message"]
    assert cluster.query("SELECT stopped_at IS NOT NULL FROM runner_worker WHERE name = 'beta'") == [(True,)]


def test_a_worker_that_cannot_fetch_a_services_code_fails_its_executions_there_without_breaking_the_service(cluster):
    web = cluster.web()
    # A worker whose key differs: the web API does not hand it the archive.
    cluster.worker("wrong-key", DATASLOT_SECRET_KEY="not-the-clusters-key")
    api = FunctionsApi(web, web.create_user("owner", project="Fetch"))
    project_id = api.project("Fetch")
    service = api.deploy(project_id, push_runner(api, project_id, "runner"), "svc")

    failed = api.wait(api.execute(service["id"], "noop")["id"], timeout=60)
    assert failed["status"] == "failed"
    assert "could not fetch the code of package revision 1" in failed["latestStatus"]["message"]
    assert api.call("GET", f"/services/{service['id']}/", 200).json()["brokenReason"] is None

    cluster.workers[0].stop()
    cluster.worker("right-key")
    assert api.wait(api.execute(service["id"], "noop")["id"], timeout=60)["status"] == "success"
    # A user's token does not open the workers' archive endpoint.
    revision = cluster.query("SELECT id FROM faas_packagerevision")[0][0]
    assert api.call("GET", f"/runner/revisions/{revision}/archive").status_code == 404


def test_executions_a_worker_cannot_fetch_go_to_a_worker_that_can_and_fail_only_when_none_can(tmp_path):
    # The hand-back travels in Celery's message, the same on both brokers: one cluster,
    # RabbitMQ, for the suite's time (the test above runs on both).
    reason = clusters.unavailable("rabbitmq")
    if reason:
        pytest.skip(f"a scale-out cluster cannot run here: {reason}")
    with clusters.Cluster(tmp_path / "cluster", broker="rabbitmq") as cluster:
        hand_back_then_fail(cluster)


def hand_back_then_fail(cluster) -> None:
    web = cluster.web()
    wrong = [cluster.worker(f"wrong-key-{n}", DATASLOT_SECRET_KEY="not-the-clusters-key") for n in (1, 2)]
    right = cluster.worker("right-key")
    api = FunctionsApi(web, web.create_user("owner", project="Beside"))
    project_id = api.project("Beside")
    service = api.deploy(project_id, push_runner(api, project_id, "runner"), "svc", runtime={"concurrency": 4})

    # Every one runs, on the worker that can fetch the code, whichever worker each message reached.
    ids = [api.execute(service["id"], "noop")["id"] for _ in range(8)]
    ran = [api.wait(eid, timeout=60) for eid in ids]
    assert [e["status"] for e in ran] == ["success"] * 8, [e["latestStatus"] for e in ran]
    assert {e["worker"]["id"] for e in ran} == {right.id}
    assert any("cannot run on this worker" in worker.log() for worker in wrong)
    assert api.call("GET", f"/services/{service['id']}/", 200).json()["brokenReason"] is None

    # With no live worker able to run it, an execution fails with the reason, not waits
    # forever: each message names the workers that handed it back, and the last one fails it.
    right.stop()
    failed = api.wait(api.execute(service["id"], "noop")["id"], timeout=60)
    assert failed["status"] == "failed"
    assert "could not fetch the code of package revision 1" in failed["latestStatus"]["message"]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"DATASLOT_BROKER_URL": "redis://127.0.0.1:{port}/0"}, "The broker (DATASLOT_BROKER_URL) cannot be reached"),
        ({"DATASLOT_BROKER_URL": "amqp://guest:guest@127.0.0.1:{port}//"}, "The broker (DATASLOT_BROKER_URL)"),
        ({"DATABASE_URL": "postgres://postgres@127.0.0.1:{port}/dataslot"}, "The database (127.0.0.1:"),
        ({"DATABASE_URL": "{database_url}_missing"}, "cannot be reached"),
        ({"DATABASE_URL": "nonsense://"}, "DATABASE_URL cannot be read"),
        ({"DATASLOT_SECRET_KEY": ""}, "needs DATASLOT_SECRET_KEY"),
        ({"DATASLOT_ENCRYPTION_KEY": ""}, "needs DATASLOT_ENCRYPTION_KEY"),
        ({"DATASLOT_ENCRYPTION_KEY": "not-a-fernet-key"}, "is not a Fernet key"),
        ({"DATASLOT_API_URL": ""}, "needs DATASLOT_API_URL"),
        ({"DATASLOT_API_URL": "http://127.0.0.1:{port}"}, "The API (DATASLOT_API_URL="),
        ({"DATASLOT_EXECUTOR": "embedded"}, "runs in scale-out mode only"),
    ],
)
def test_a_worker_with_something_wrong_says_what_in_one_line_and_exits_1(configured, change, said):
    cluster, env = configured
    values = {"port": free_port(), "database_url": cluster.database_url}
    out, took = run_worker({**env, **{k: v.format(**values) for k, v in change.items()}})
    assert out.returncode == 1, out.stderr
    assert said in one_line(out)
    assert took < 20


def test_a_worker_on_a_database_of_another_version_says_so_in_one_line(configured):
    import psycopg

    cluster, env = configured
    name = f"dataslot_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(clusters.POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = clusters.POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        out, took = run_worker({**env, "DATABASE_URL": url})
        assert out.returncode == 1 and took < 20
        assert "is not migrated to this Dataslot version" in one_line(out)

        migrate = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"],
            cwd=ROOT,
            env={**env, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr
        with psycopg.connect(url, autocommit=True) as db:
            db.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('faas', '9999_future', now())")
        out, _ = run_worker({**env, "DATABASE_URL": url})
        assert out.returncode == 1
        assert "migrated by another Dataslot version (faas.9999_future" in one_line(out)
    finally:
        with psycopg.connect(clusters.POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize(
    ("drop", "said"),
    [("DATABASE_URL", "needs PostgreSQL"), ("REDIS_URL", "needs a Redis channel layer")],
)
def test_scale_out_refuses_sqlite_and_the_in_memory_layer_in_one_line(configured, tmp_path, drop, said):
    _, env = configured
    env = {k: v for k, v in env.items() if k != drop} | {"DATASLOT_HOME": str(tmp_path)}
    port = free_port()
    started = time.monotonic()
    web = subprocess.run(
        [sys.executable, "-m", "dataslot_server.serve", "-b", "127.0.0.1", "-p", str(port)]
        + ["dataslot_server.asgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert web.returncode == 1 and time.monotonic() - started < 20
    assert said in one_line(web)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/login/", timeout=2)
    worker, _ = run_worker(env)
    assert worker.returncode == 1
    assert said in one_line(worker)
