"""A broken service breaks only itself (real server, real replicas, real files on disk).

Whatever goes wrong for one service at run time (its stored archive changed or missing,
its revision gone, a replica that cannot be started) marks that service broken with the
reason: its queued executions fail with it, the API, the admin and the Applications menu
show it, a slot click is refused with 409, and every other project's services go on.
"""

import html
import re
import shutil
import time

import pytest
import requests

from tests.faas.conftest import push_runner
from tests.support.functions import FunctionsApi, function

pytestmark = pytest.mark.server

FRAGILE_CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def noop(self):
        return "ran"

    def touch(self, item):
        return None
"""
FRAGILE_FUNCTIONS = [function("noop"), function("touch", ("item", "Item"))]
TOUCH_SLOT = {
    "moduleName": "m",
    "functionName": "touch",
    "displayName": "Touch",
    "displayScopes": [{"resource": "item", "panel": "all", "filter": {}}],
}


def login(server, username: str, password: str, next_url: str = "/") -> requests.Session:
    session = requests.Session()
    page = server.url + "/login/"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(page).text).group(1)
    response = session.post(
        page,
        data={"username": username, "password": password, "csrfmiddlewaretoken": token, "next": next_url},
        headers={"Referer": page},
    )
    assert response.status_code == 200 and response.url == server.url + next_url, response.url
    return session


@pytest.fixture(scope="module")
def owner(live_server_proc):
    token = live_server_proc.create_user("owner-fragile", "pw", project="P-fragile")
    api = FunctionsApi(live_server_proc, token)
    project_id = api.project("P-fragile")
    dataset = api.call("POST", f"/projects/{project_id}/datasets/", 201, json={"name": "shots"}).json()
    return api, project_id, dataset["id"]


@pytest.fixture(scope="module")
def bystander(live_server_proc):
    """Another owner's project, whose functions must keep running whatever breaks elsewhere."""
    token = live_server_proc.create_user("owner-bystander", "pw", project="P-bystander")
    api = FunctionsApi(live_server_proc, token)
    project_id = api.project("P-bystander")
    return api, project_id, push_runner(api, project_id, "runner")


@pytest.fixture(scope="module")
def admin(live_server_proc):
    live_server_proc.create_user("fragile-admin", "admin-pw", superuser=True)
    return login(live_server_proc, "fragile-admin", "admin-pw", "/admin/")


def fragile_service(owner, name: str) -> tuple[dict, dict]:
    """A service deployed paused (so no replica has unpacked its code yet), its slot activated."""
    api, project_id, _ = owner
    package = api.push(project_id, name, FRAGILE_CODE, FRAGILE_FUNCTIONS, slots=[TOUCH_SLOT])
    service = api.deploy(project_id, package, name, active=False)
    api.call("POST", f"/services/{service['id']}/activate-slots/", 200, json={"projectId": project_id})
    return package, service


def stored_archive(server, package: dict):
    (path,) = (server.home / "media" / "packages" / str(package["id"]) / str(package["version"])).iterdir()
    return path


def bystander_runs(bystander, name: str, count: int = 3) -> list[str]:
    """A fresh service of the other project (it needs a scheduling pass of its own) runs to success."""
    api, project_id, package = bystander
    service = api.deploy(project_id, package, name)
    queued = [api.execute(service["id"], "whoami") for _ in range(count)]
    return [api.wait(e["id"], timeout=30)["status"] for e in queued]


def assert_broken_everywhere(server, owner, admin, service: dict, words: str) -> str:
    """The reason shows in the API, the slot (disabled, a click refused), the studio and the admin."""
    api, project_id, dataset_id = owner
    body = api.call("GET", f"/services/{service['id']}/", 200).json()
    reason = body["brokenReason"]
    assert reason and words in reason
    assert isinstance(body["sandboxGaps"], list)

    slots = api.call("GET", f"/projects/{project_id}/slots/", 200, params={"resource": "item", "panel": "all"})
    touch = next(s for s in slots.json() if s["serviceId"] == service["id"])
    assert (touch["enabled"], touch["reason"]) == (False, f"Service broken: {reason}")
    click = api.call(
        "POST",
        f"/projects/{project_id}/slots/run/",
        409,
        json={"serviceId": service["id"], "functionName": "touch", "resource": "item", "selection": {"ids": []}},
    )
    assert words in click.json()["detail"]

    browser_path = f"/projects/{project_id}/datasets/{dataset_id}/"
    page = login(server, "owner-fragile", "pw", browser_path).get(server.url + browser_path)
    item = re.search(rf'<div role="menuitem"[^>]*data-service-id="{service["id"]}"[^>]*>(.*?)</div>', page.text, re.S)
    assert item and 'aria-disabled="true"' in item.group(0)
    assert html.escape(f"Service broken: {reason}") in item.group(1)

    change = admin.get(f"{server.url}/admin/faas/service/{service['id']}/change/")
    assert change.status_code == 200 and html.escape(reason) in change.text
    listing = admin.get(f"{server.url}/admin/faas/service/", params={"q": service["name"]})
    assert ">broken</strong>" in listing.text
    return reason


@pytest.mark.parametrize(
    ("damage", "words"),
    [("changed", "has changed since it was pushed"), ("missing", "is missing")],
)
def test_a_service_whose_stored_archive_is_damaged_breaks_alone_and_says_why(
    live_server_proc, owner, bystander, admin, damage, words
):
    api, _, _ = owner
    package, service = fragile_service(owner, f"fragile-{damage}")
    queued = api.execute(service["id"], "noop")
    archive = stored_archive(live_server_proc, package)
    original = archive.read_bytes()
    if damage == "changed":
        flipped = bytearray(original)
        at = flipped.index(b"return")
        flipped[at : at + 6] = b"RETURN"
        archive.write_bytes(bytes(flipped))
    else:
        archive.unlink()

    api.call("POST", f"/services/{service['id']}/resume/", 200)
    failed = api.wait(queued["id"], timeout=30)
    assert failed["status"] == "failed"
    assert words in failed["latestStatus"]["message"]
    # Meanwhile another project's new service is scheduled and runs.
    assert bystander_runs(bystander, f"bystander-{damage}") == ["success"] * 3

    reason = assert_broken_everywhere(live_server_proc, owner, admin, service, words)
    assert failed["latestStatus"]["message"] == reason
    later = api.wait(api.execute(service["id"], "noop")["id"], timeout=30)
    assert (later["status"], later["latestStatus"]["message"]) == ("failed", reason)

    # Put right, then paused and resumed: it is tried again, and runs.
    archive.write_bytes(original)
    api.call("POST", f"/services/{service['id']}/pause/", 200)
    resumed = api.call("POST", f"/services/{service['id']}/resume/", 200).json()
    assert resumed["brokenReason"] is None
    ran = api.wait(api.execute(service["id"], "noop")["id"], timeout=30)
    assert (ran["status"], ran["output"]) == ("success", "ran")


def test_a_damaged_archive_breaks_a_service_that_ran_once_its_unpacked_code_is_gone(live_server_proc, owner, bystander):
    api, _, _ = owner
    package, service = fragile_service(owner, "fragile-ran-once")
    api.call("POST", f"/services/{service['id']}/resume/", 200)
    assert api.wait(api.execute(service["id"], "noop")["id"], timeout=30)["status"] == "success"
    api.call("POST", f"/services/{service['id']}/pause/", 200)
    time.sleep(1.5)  # its idle replica stops
    archive = stored_archive(live_server_proc, package)
    archive.write_bytes(archive.read_bytes()[:-100])  # cut short
    for unpacked in (live_server_proc.home / "packages" / str(package["id"])).iterdir():
        shutil.rmtree(unpacked)  # as on a new machine: the code must be unpacked again

    queued = api.execute(service["id"], "noop")
    api.call("POST", f"/services/{service['id']}/resume/", 200)
    failed = api.wait(queued["id"], timeout=30)
    assert failed["status"] == "failed" and "has changed since it was pushed" in failed["latestStatus"]["message"]
    assert bystander_runs(bystander, "bystander-ran-once") == ["success"] * 3


def test_a_service_whose_revision_is_gone_breaks_alone(live_server_proc, owner, bystander):
    api, _, _ = owner
    package, service = fragile_service(owner, "fragile-no-revision")
    queued = api.execute(service["id"], "noop")
    # Nothing in Dataslot deletes a deployed revision: this is what a hand-edited database does.
    live_server_proc.python(
        "from faas.models import PackageRevision, Service\n"
        f"PackageRevision.objects.filter(package_id={package['id']}).delete()\n"
        f"Service.objects.filter(pk={service['id']}).update(active=True)\n"
    )
    failed = api.wait(queued["id"], timeout=30)
    assert failed["status"] == "failed"
    assert failed["latestStatus"]["message"] == "Its package revision 1 no longer exists."
    assert (
        api.call("GET", f"/services/{service['id']}/", 200).json()["brokenReason"] == failed["latestStatus"]["message"]
    )
    refused = api.call("POST", f"/services/{service['id']}/execute/", 409, json={"functionName": "noop"})
    assert "no longer exists" in refused.json()["detail"]
    assert bystander_runs(bystander, "bystander-no-revision") == ["success"] * 3


def test_a_replica_that_cannot_be_started_breaks_only_its_service_until_it_is_resumed(
    live_server_proc, owner, bystander
):
    api, _, _ = owner
    _, service = fragile_service(owner, "fragile-no-spawn")
    queued = api.execute(service["id"], "noop")
    # The replica's log file cannot be opened: starting the replica raises an OSError.
    blocker = live_server_proc.home / "logs" / f"service-{service['id']}.log"
    blocker.mkdir(parents=True)
    api.call("POST", f"/services/{service['id']}/resume/", 200)
    failed = api.wait(queued["id"], timeout=30)
    assert failed["status"] == "failed"
    assert failed["latestStatus"]["message"] == "Its replica could not be started: Is a directory."
    assert bystander_runs(bystander, "bystander-no-spawn") == ["success"] * 3

    blocker.rmdir()
    time.sleep(1.5)  # a few scheduling passes: a broken service stays broken until told
    assert api.call("GET", f"/services/{service['id']}/", 200).json()["brokenReason"]
    api.call("POST", f"/services/{service['id']}/pause/", 200)
    api.call("POST", f"/services/{service['id']}/resume/", 200)
    assert api.wait(api.execute(service["id"], "noop")["id"], timeout=30)["status"] == "success"


def test_a_replica_whose_init_hangs_is_stopped_and_its_executions_fail_with_the_reason(fresh_live_server):
    server = fresh_live_server(DATASLOT_REPLICA_START_TIMEOUT="3").start()
    api = FunctionsApi(server, server.create_user("owner", project="Hangs"))
    project_id = api.project("Hangs")
    source = (
        "import time\n\nclass ServiceRunner:\n    def __init__(self):\n        time.sleep(600)\n\n"
        "    def noop(self):\n        return None\n"
    )
    package = api.push(project_id, "hangs", source, [{"name": "noop", "inputs": []}])
    service = api.deploy(project_id, package, "hangs")
    started = time.monotonic()
    ended = api.wait(api.execute(service["id"], "noop")["id"], timeout=30)
    assert ended["status"] == "failed"
    assert "did not start within 3 s" in ended["latestStatus"]["message"]
    assert time.monotonic() - started < 20
    assert "did not start within 3 s" in api.call("GET", f"/services/{service['id']}/", 200).json()["brokenReason"]
