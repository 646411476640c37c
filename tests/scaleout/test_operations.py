"""Operators can see the scale-out workers: Flower against the app, the admin's workers page,
and the admin's and the studio's execution pages naming the worker that ran each execution.

Real processes: a cluster's web process and `manage.py worker`, and Flower started as the
README says (`celery -A dataslot_server.celery_app flower`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests

from tests.scaleout.conftest import counter, wait_for
from tests.support.live import ROOT, free_port

pytestmark = [pytest.mark.scaleout, pytest.mark.server]


def start_flower(cluster, port: int, log) -> subprocess.Popen:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        **cluster.env,
    }
    argv = [sys.executable, "-m", "celery", "-A", "dataslot_server.celery_app", "flower"]
    argv += ["--address=127.0.0.1", f"--port={port}", "--basic-auth=ops:ops-pw"]
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def login(web, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = web.url + "/login/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(page, timeout=10).text).group(1)
    response = session.post(
        page,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": "/admin/"},
        headers={"Referer": page},
        timeout=10,
    )
    assert response.status_code == 200 and response.url == web.url + "/admin/", response.url
    return session


def text_of(html: str) -> str:
    """The page's text, tags dropped and spaces collapsed, to assert what a reader sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_flower_started_against_the_app_lists_the_running_worker_through_its_api(cluster_factory, broker, tmp_path):
    cluster = cluster_factory(broker=broker)
    cluster.web()
    cluster.worker("alpha")
    port = free_port()
    with open(tmp_path / "flower.log", "ab") as log:
        flower = start_flower(cluster, port, log)
    try:
        api = f"http://127.0.0.1:{port}/api/workers"

        def listed():
            if flower.poll() is not None:
                raise AssertionError(f"flower exited:\n{(tmp_path / 'flower.log').read_text()[-3000:]}")
            try:
                response = requests.get(api, params={"refresh": 1}, auth=("ops", "ops-pw"), timeout=10)
            except requests.ConnectionError:
                return None
            return response.json() if response.status_code == 200 else None

        workers = wait_for(lambda: (found := listed()) and any(n.startswith("alpha@") for n in found) and found, 60, "")
        (name,) = [n for n in workers if n.startswith("alpha@")]
        # Flower sees the worker as Celery does: consuming the executions' queue and the cron fire times'.
        assert sorted(q["name"] for q in workers[name]["active_queues"]) == ["dataslot.executions", "dataslot.triggers"]
        assert "runner.tasks.run_execution" in workers[name]["registered"]
        # Without the operator's credentials, Flower shows nothing.
        assert requests.get(api, timeout=10).status_code == 401
    finally:
        flower.terminate()
        flower.wait(20)


def test_the_admin_lists_the_worker_with_its_host_and_running_executions_and_pages_name_the_worker(cluster_factory):
    cluster = cluster_factory()
    web = cluster.web()
    worker = cluster.worker("alpha")
    api, project_id, package = counter(web, project="Ops")
    service = api.deploy(project_id, package, "counter", runtime={"concurrency": 2}, onReset="failed")
    long_run = api.execute(service["id"], "count", {"tag": "long", "seconds": 60})
    api.wait(long_run["id"], until={"in-progress"}, timeout=60)
    ((host,),) = cluster.query("SELECT host FROM runner_worker WHERE id = %s", worker.id)
    # The heartbeat carries what the worker runs.
    wait_for(lambda: cluster.query("SELECT running FROM runner_worker WHERE id = %s", worker.id) == [(1,)], 20, "")

    web.create_user("operator", "operator-pw", project="Ops", superuser=True)
    admin = login(web, "operator", "operator-pw")
    listing = admin.get(web.url + "/admin/runner/worker/", timeout=10)
    assert listing.status_code == 200
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*\balpha\b(?:(?!</tr>).)*</tr>", listing.text, re.S)
    assert row, text_of(listing.text)[:3000]
    cells = [text_of(c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row.group(0), re.S)]
    heads = [text_of(h).strip().lower() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', listing.text, re.S)]
    shown = dict(zip(heads[-len(cells) :], cells, strict=True))
    assert shown["host"] == host and shown["executor"] == "Celery" and shown["state"] == "up", shown
    assert shown["running"] == "1" and shown["replicas"] == "1", shown
    assert "s ago" in shown["last heartbeat"], shown

    detail = text_of(admin.get(web.url + f"/admin/runner/worker/{worker.id}/change/", timeout=10).text)
    assert re.search(rf"counter \(#{service['id']}\) \d+ yes 1", detail), detail[:3000]

    # The execution names its worker: in the API, the admin and the studio.
    assert api.execution(long_run["id"])["worker"] == {"id": worker.id, "name": "alpha", "host": host}
    execution_admin = text_of(admin.get(web.url + f"/admin/faas/execution/{long_run['id']}/change/", timeout=10).text)
    assert f"Worker: alpha ({host})" in execution_admin, execution_admin[:3000]
    studio = text_of(admin.get(web.url + f"/projects/{project_id}/executions/{long_run['id']}/", timeout=10).text)
    assert f"Worker alpha on {host}" in studio, studio[:3000]
    studio_list = text_of(admin.get(web.url + f"/projects/{project_id}/executions/", timeout=10).text)
    assert f"alpha on {host}" in studio_list
