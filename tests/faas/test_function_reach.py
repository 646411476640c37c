"""A function reaches its own project and its own service's secrets, nothing more.

Hostile code on a real server: an entity of another project named in its input by a way
the API's input check does not see, its token used to deploy code of its own with another
service's secrets attached, and its token printed to its log.
"""

from __future__ import annotations

import pytest

from tests.support.functions import function

pytestmark = pytest.mark.server

CODE = """
import json, os, urllib.error, urllib.request
import dataslot as dl


def call(method, path, body=None):
    request = urllib.request.Request(
        os.environ["DATASLOT_URL"].rstrip("/") + "/api" + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Token " + os.environ["DATASLOT_TOKEN"], "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


class ServiceRunner(dl.BaseServiceRunner):
    def grab(self, item):
        return {"name": item.name, "metadata": item.metadata}

    def grab_json(self, x):
        return {"x": x}

    def attack(self, project_id, package_id, service_id, integration_id):
        return {
            "list secrets": call("GET", f"/projects/{project_id}/integrations/"),
            "deploy with secrets": call(
                "POST", f"/projects/{project_id}/services/",
                {"name": "exfil", "packageId": package_id, "secrets": [integration_id]},
            ),
            "attach a secret": call("PATCH", f"/services/{service_id}/", {"secrets": [integration_id]}),
            "change a secret": call("PATCH", f"/integrations/{integration_id}/", {"value": "mine"}),
            "add a secret": call("POST", f"/projects/{project_id}/integrations/", {"name": "MINE", "value": "x"}),
            "pause a service": call("POST", f"/services/{service_id}/pause/"),
            "add a trigger": call(
                "POST", f"/services/{service_id}/triggers/",
                {"type": "Cron", "cron": "* * * * *", "functionName": "grab_json", "input": {"x": 1}},
            ),
            "read its project": call("GET", f"/projects/{project_id}/datasets/"),
        }

    def tell(self):
        print("my token is", os.environ["DATASLOT_TOKEN"])
        return None
"""

VICTIM = """
from workspace.models import Dataset, Item, Project
project, _ = Project.objects.get_or_create(name="Someone else's")
dataset, _ = Dataset.objects.get_or_create(project=project, name="private")
item = Item.objects.create(dataset=dataset, name="victim-secret.png", width=1, height=1, size=1,
                           file="x", thumbnail="x", metadata={"patient": "Jane Doe"})
print(item.id)
"""


def test_a_function_never_gets_another_projects_entity(project, live_server_proc):
    api, project_id, _ = project
    foreign = int(live_server_proc.python(VICTIM).split()[-1])
    functions = [function("grab", ("item", "Item")), function("grab_json", ("x", "Json"))]
    package = api.push(project_id, "reach", CODE, functions)
    service = api.deploy(project_id, package, "reach")
    # Named directly, the API refuses it.
    refused = api.call("POST", f"/services/{service['id']}/execute/", json={"input": {"item": {"item_id": foreign}}})
    assert refused.status_code == 400

    # A package's declared default for the input, which no request checks.
    defaulted = api.push(
        project_id,
        "reach-default",
        CODE,
        [{"name": "grab", "inputs": [{"name": "item", "type": "Item", "value": {"item_id": foreign}}]}],
    )
    by_default = api.wait(api.execute(api.deploy(project_id, defaulted, "by-default")["id"], "grab")["id"], timeout=60)
    # An input stored when its type was Json, run again once a new revision makes it an Item.
    stored = api.wait(api.execute(service["id"], "grab_json", {"x": {"item_id": foreign}})["id"], timeout=60)
    retyped = api.push(
        project_id, "reach", CODE, [function("grab", ("item", "Item")), function("grab_json", ("x", "Item"))]
    )
    api.call("PATCH", f"/services/{service['id']}/", 200, json={"packageRevision": retyped["version"]})
    api.call("POST", f"/executions/{stored['id']}/rerun/", 200)
    rerun = api.wait(stored["id"], timeout=60)

    for ended in (by_default, rerun):
        assert ended["status"] == "failed", ended
        assert "Jane Doe" not in str(ended) and "victim-secret" not in str(ended)


def test_a_functions_token_changes_no_package_service_secret_or_trigger(project, live_server_proc):
    api, project_id, _ = project
    integration = api.call(
        "POST", f"/projects/{project_id}/integrations/", 201, json={"name": "VICTIM_KEY", "value": "victim-only-42"}
    ).json()
    package = api.push(
        project_id,
        "reach-token",
        CODE,
        [
            function(
                "attack",
                ("project_id", "Integer"),
                ("package_id", "Integer"),
                ("service_id", "Integer"),
                ("integration_id", "Integer"),
            ),
            function("grab_json", ("x", "Json")),
        ],
    )
    victim = api.deploy(project_id, package, "victim", secrets=[integration["id"]])
    attacker = api.deploy(project_id, package, "attacker")
    inputs = {
        "project_id": project_id,
        "package_id": package["id"],
        "service_id": victim["id"],
        "integration_id": integration["id"],
    }
    ended = api.wait(api.execute(attacker["id"], "attack", inputs)["id"], timeout=60)

    assert ended["status"] == "success", ended["latestStatus"]
    statuses = ended["output"]
    assert statuses.pop("read its project") == 200  # its project's data, as any developer
    assert statuses.pop("list secrets") == 200  # names only: no value is ever answered
    assert statuses == {what: 403 for what in statuses}, statuses
    services = api.call("GET", f"/projects/{project_id}/services/", 200).json()
    assert [s["name"] for s in services if s["name"] == "exfil"] == []
    assert api.call("GET", f"/services/{victim['id']}/", 200).json()["active"] is True


def test_a_functions_token_is_kept_out_of_its_log(project):
    api, project_id, _ = project
    package = api.push(project_id, "reach-log", CODE, [function("tell")])
    service = api.deploy(project_id, package, "teller")
    ended = api.wait(api.execute(service["id"], "tell")["id"], timeout=60)
    assert ended["status"] == "success", ended["latestStatus"]
    log = api.logs(ended["id"])
    assert "my token is" in log
    token = log.split("my token is", 1)[1].split()[0]
    assert token == "[redacted]", log
