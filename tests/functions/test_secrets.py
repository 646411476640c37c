"""Secrets: encrypted at rest, write-only, only in their own service's replicas, redacted in logs."""

import pytest

from tests.functions.conftest import RUNNER_CODE, push_runner

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
    assert ended["output"][str(home / "encryption.key")] == "denied"
    assert ended["output"][f"/proc/{neighbour_pid}/environ"] == "denied"
    assert (home / "replica-homes" / str(service["id"]) / "scratch.txt").read_text() == "mine"
