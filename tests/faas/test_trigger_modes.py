"""Triggers in both executor modes ([embedded] and [celery]): an upload's event and a cron
schedule become executions that run, whichever process handles the trigger."""

import time

import pytest

from tests.support.functions import FINISHED, FunctionsApi, function
from tests.support.images import png

pytestmark = pytest.mark.server

CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def on_item(self, item: dl.Item):
        return item.name

    def tick(self, config):
        return config
"""


@pytest.fixture(scope="module")
def setup(live_server_proc):
    token = live_server_proc.create_user("owner-trigger-modes", project="P-trigger-modes")
    api = FunctionsApi(live_server_proc, token)
    project_id = api.project("P-trigger-modes")
    package = api.push(
        project_id, "triggered", CODE, [function("on_item", ("item", "Item")), function("tick", ("config", "Json"))]
    )
    service = api.deploy(project_id, package, "triggered")
    dataset = api.call("POST", f"/projects/{project_id}/datasets/", 201, json={"name": "d"}).json()
    return api, project_id, service, dataset


def finished_runs(api, project_id, trigger_id, count, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        page = api.call("GET", f"/projects/{project_id}/executions/?triggerId={trigger_id}&page_size=100", 200)
        runs = [e for e in page.json()["results"] if e["status"] in FINISHED]
        if len(runs) >= count or time.monotonic() > deadline:
            return runs
        time.sleep(0.1)


def test_an_uploaded_item_runs_its_trigger_and_the_execution_names_it(setup):
    api, project_id, service, dataset = setup
    trigger = api.call(
        "POST",
        f"/services/{service['id']}/triggers/",
        201,
        json={"name": "uploads", "functionName": "on_item", "spec": {"resource": "Item", "actions": ["Created"]}},
    ).json()
    api.call("POST", f"/datasets/{dataset['id']}/items/", 201, files={"file": ("up.png", png((4, 4), "green"))})
    (run,) = finished_runs(api, project_id, trigger["id"], 1)
    assert (run["status"], run["output"], run["triggerId"]) == ("success", "up.png", trigger["id"])


def test_a_cron_trigger_runs_each_fire_time_once_until_it_is_paused(setup):
    api, project_id, service, _ = setup
    started = time.monotonic()
    trigger = api.call(
        "POST",
        f"/services/{service['id']}/triggers/",
        201,
        json={
            "name": "each-second",
            "type": "Cron",
            "functionName": "tick",
            "spec": {"cron": "* * * * * *", "inputs": {"config": 7}},
        },
    ).json()
    runs = finished_runs(api, project_id, trigger["id"], 3)
    assert len(runs) >= 3 and {r["output"] for r in runs} == {7}
    paused = api.call("PATCH", f"/triggers/{trigger['id']}/", 200, json={"active": False}).json()
    assert paused["active"] is False
    elapsed = time.monotonic() - started
    time.sleep(0.3)  # a fire already being queued when the pause landed
    every = api.call("GET", f"/projects/{project_id}/executions/?triggerId={trigger['id']}&page_size=100", 200)
    count = len(every.json()["results"])
    # One run per second at most (the fire times in the window, plus one at its edge).
    assert count <= int(elapsed) + 1, f"{count} runs in {elapsed:.1f} s: a fire time ran twice"
    time.sleep(1.5)
    again = api.call("GET", f"/projects/{project_id}/executions/?triggerId={trigger['id']}&page_size=100", 200)
    assert len(again.json()["results"]) == count
