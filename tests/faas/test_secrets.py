"""Secrets: encrypted at rest, write-only, only in their own service's replicas, redacted in
what leaves it (outputs, messages, progress, status logs, logs, the admin)."""

import json
import re

import pytest
import requests

from tests.faas.conftest import RUNNER_CODE, push_runner
from tests.faas.test_live_events import collect, run, ws_url
from tests.support.functions import function

pytestmark = pytest.mark.server

VALUE = "s3cr3t-Value-that-must-not-leak"
OTHER = "another-services-secret-value"


def test_a_service_sees_its_own_secrets_as_environment_variables_and_logs_are_redacted(project, live_server_proc):
    api, project_id, package = project
    mine = api.call(
        "POST", f"/projects/{project_id}/integrations/", 201, json={"name": "MY_SECRET", "value": VALUE}
    ).json()
    other = api.call(
        "POST", f"/projects/{project_id}/integrations/", 201, json={"name": "OTHER_SECRET", "value": OTHER}
    ).json()
    assert "value" not in mine and VALUE not in str(mine)

    service = api.deploy(project_id, package, "with-integrations", secrets=[mine["id"]])
    api.deploy(project_id, package, "other-service", secrets=[other["id"]])
    ended = api.wait(api.execute(service["id"], "secret")["id"])
    assert ended["status"] == "success"
    assert ended["output"]["has"] is True and ended["output"]["length"] == len(VALUE)
    env = set(ended["output"]["env"])
    assert "OTHER_SECRET" not in env
    # Nothing of the server's: no keys, no settings, no database.
    assert not {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DATASLOT_HOME", "SECRET_KEY"} & env
    assert {"MY_SECRET", "DATASLOT_URL", "DATASLOT_TOKEN"} <= env

    logs = api.logs(ended["id"])
    assert "the secret is [redacted]" in logs
    assert "again [redacted]" in logs
    assert VALUE not in logs

    for listing in (
        api.call("GET", f"/projects/{project_id}/integrations/", 200).text,
        api.call("GET", f"/integrations/{mine['id']}/", 200).text,
    ):
        assert VALUE not in listing and OTHER not in listing

    stored = live_server_proc.python(
        f"from faas.models import Integration; print(bytes(Integration.objects.get(pk={mine['id']}).encrypted_value))"
    )
    assert VALUE not in stored and VALUE.encode().hex() not in stored


def test_updating_a_secret_value_reaches_new_replicas(project):
    api, project_id, package = project
    integration = api.call(
        "POST", f"/projects/{project_id}/integrations/", 201, json={"name": "ROTATED", "value": "old"}
    ).json()
    code_package = push_runner(
        api,
        project_id,
        "env-reader",
        code=RUNNER_CODE.format(version="v1").replace('os.environ.get("MY_SECRET")', 'os.environ.get("ROTATED")'),
    )
    service = api.deploy(project_id, code_package, "rotating", secrets=[integration["id"]])
    assert api.wait(api.execute(service["id"], "secret")["id"])["output"]["length"] == 3
    api.call("PATCH", f"/integrations/{integration['id']}/", 200, json={"value": "brand-new"})
    assert api.wait(api.execute(service["id"], "secret")["id"], timeout=20)["output"]["length"] == len("brand-new")


def test_a_function_reaches_only_what_its_project_can(project, live_server_proc):
    api, project_id, package = project
    code = """
from workspace.models import Dataset, Item, Project
def item_in(name):
    dataset, _ = Dataset.objects.get_or_create(project=Project.objects.get_or_create(name=name)[0], name="d")
    return Item.objects.create(dataset=dataset, name=name + ".png", width=1, height=1, size=1, file="x", thumbnail="x").id
print(item_in(%r), item_in("Someone else's"))
"""
    own, foreign = live_server_proc.python(code % f"P-{__name__.rsplit('.', 1)[-1]}").split()
    service = api.deploy(project_id, package, "peeking")
    mine = api.wait(api.execute(service["id"], "peek", {"item_id": int(own)})["id"])
    theirs = api.wait(api.execute(service["id"], "peek", {"item_id": int(foreign)})["id"])
    assert mine["output"] == {"name": f"P-{__name__.rsplit('.', 1)[-1]}.png"}
    assert theirs["output"] == {"refused": 404}


def test_a_secret_written_to_stderr_is_redacted_in_every_log(project, live_server_proc):
    api, project_id, package = project
    existing = [
        i for i in api.call("GET", f"/projects/{project_id}/integrations/", 200).json() if i["name"] == "MY_SECRET"
    ]
    integration = (
        existing[0]
        if existing
        else api.call(
            "POST", f"/projects/{project_id}/integrations/", 201, json={"name": "MY_SECRET", "value": VALUE}
        ).json()
    )
    service = api.deploy(project_id, package, "leaky", secrets=[integration["id"]])
    ended = api.wait(api.execute(service["id"], "leak")["id"])
    assert ended["status"] == "success"
    assert "to stderr: [redacted]" in api.logs(ended["id"])
    log_file = live_server_proc.home / "logs" / f"service-{service['id']}.log"
    import time

    deadline = time.monotonic() + 5
    while "below Python" not in (log_file.read_text() if log_file.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log_file.read_text()
    assert "below Python: [redacted]" in text
    assert VALUE not in text


def test_a_function_cannot_read_the_servers_keys_database_or_other_replicas(project, live_server_proc):
    from pathlib import Path

    api, project_id, package = project
    home = live_server_proc.home
    neighbour = api.deploy(project_id, package, "neighbour")
    neighbour_pid = api.wait(api.execute(neighbour["id"], "whoami")["id"])["output"]["pid"]
    project_sources = Path(__file__).resolve().parents[2] / "platform" / "dataslot_server" / "settings.py"
    forbidden = [
        str(home / "encryption.key"),
        str(home / "secret.key"),
        str(home / "dataslot.sqlite3"),
        f"/proc/{live_server_proc.process.pid}/environ",
        f"/proc/{neighbour_pid}/environ",
        str(home / "replica-homes" / str(neighbour["id"]) / "tmp"),
        str(project_sources),
    ]
    service = api.deploy(project_id, package, "prober")
    ended = api.wait(api.execute(service["id"], "probe", {"paths": forbidden})["id"])
    assert ended["status"] == "success", ended
    assert {path: outcome for path, outcome in ended["output"].items() if outcome == "read"} == {}
    # Absent from its private view of the filesystem (server run as root), else refused.
    assert ended["output"][str(home / "encryption.key")] in ("FileNotFoundError", "denied")
    assert ended["output"][f"/proc/{neighbour_pid}/environ"] == "denied"
    assert (home / "replica-homes" / str(service["id"]) / "scratch.txt").read_text() == "mine"


TOLD = "t0ld-Secret-9f8e7d-never-shown"
TELLER_CODE = """
import logging
import os
import time

import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def tell(self, progress):
        value = os.environ["TOLD_SECRET"]
        print("printed", value)
        logging.getLogger("fn").warning("logged %s", value)
        progress.update(progress=50, message=f"progress {value}")
        time.sleep(0.5)
        return {"value": value, value: "as a key", "nested": [f"<{value}>", {"deeper": value}], "number": 7}

    def confess(self, progress):
        value = os.environ["TOLD_SECRET"]
        progress.update(progress=20, message=f"about to fail with {value}")
        time.sleep(0.5)
        raise ValueError(f"bad secret {value}")
"""


def admin_session(server) -> requests.Session:
    server.create_user("secrets-admin", "admin-pw", superuser=True)
    session = requests.Session()
    login = server.url + "/login/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(login).text).group(1)
    response = session.post(
        login,
        data={"username": "secrets-admin", "password": "admin-pw", "csrfmiddlewaretoken": token, "next": "/admin/"},
        headers={"Referer": login},
    )
    assert response.status_code == 200 and response.url == server.url + "/admin/", response.url
    return session


def test_a_secret_returned_raised_or_reported_by_a_function_is_redacted_everywhere(project, live_server_proc):
    api, project_id, _ = project
    integration = api.call(
        "POST", f"/projects/{project_id}/integrations/", 201, json={"name": "TOLD_SECRET", "value": TOLD}
    ).json()
    package = api.push(project_id, "teller", TELLER_CODE, [function("tell"), function("confess")], module="m")
    service = api.deploy(project_id, package, "teller", secrets=[integration["id"]])
    token = api.http.headers["Authorization"].split()[1]
    url = ws_url(live_server_proc, project_id)
    told, told_events = run(collect(url, token, lambda: api.execute(service["id"], "tell"), until_status="success"))
    confessed, confessed_events = run(
        collect(url, token, lambda: api.execute(service["id"], "confess"), until_status="failed")
    )

    # The websocket: progress arrived, redacted, and nothing carried the value.
    events = json.dumps([e for _, e in told_events + confessed_events])
    assert TOLD not in events
    assert "progress [redacted]" in events and "about to fail with [redacted]" in events

    # The API: the output (keys included), the failure message and the status log.
    told = api.execution(told["id"])
    assert told["output"] == {
        "value": "[redacted]",
        "[redacted]": "as a key",
        "nested": ["<[redacted]>", {"deeper": "[redacted]"}],
        "number": 7,
    }
    confessed = api.execution(confessed["id"])
    assert confessed["status"] == "failed"
    assert confessed["latestStatus"]["message"] == "ValueError: bad secret [redacted]"
    assert confessed["statusLog"][-1]["message"] == "ValueError: bad secret [redacted]"
    assert "printed [redacted]" in api.logs(told["id"]) and "logged [redacted]" in api.logs(told["id"])
    assert "bad secret [redacted]" in api.logs(confessed["id"])  # the traceback
    listing = api.call("GET", f"/projects/{project_id}/executions/", 200).text
    for text in (json.dumps(told), json.dumps(confessed), listing, api.logs(told["id"]), api.logs(confessed["id"])):
        assert TOLD not in text

    # The admin's pages of both executions and of their logs.
    admin = admin_session(live_server_proc)
    for execution in (told, confessed):
        page = admin.get(f"{live_server_proc.url}/admin/faas/execution/{execution['id']}/change/")
        assert page.status_code == 200
        assert "[redacted]" in page.text and TOLD not in page.text
    logs_page = admin.get(f"{live_server_proc.url}/admin/faas/executionlog/?q={told['id']}")
    assert logs_page.status_code == 200 and TOLD not in logs_page.text
