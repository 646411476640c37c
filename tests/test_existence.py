"""Nothing tells a stranger whether an object exists.

For every kind of object, a non-member asking for one that exists in another project
gets exactly the answer (status, content type, length, bytes) they get for an id that
exists nowhere; so does a member of one project naming another project's object by id,
in a URL of their own project or in a request body. The API and the studio's pages alike.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from faas.models import Execution
from tests.support.world import project_world
from workspace.models import Annotation, Dataset, Item, Membership, Project, Task

pytestmark = pytest.mark.django_db

# An id no table reaches in a test database.
MISSING = 987654321


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def theirs():
    return project_world(get_user_model().objects.create_user("alice", password="pw"), "Theirs")


@pytest.fixture
def stranger():
    return get_user_model().objects.create_user("mallory", password="pw")


@pytest.fixture
def mine(stranger):
    return project_world(stranger, "Mine")


def _api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def _answer(response, *, hide: tuple[int, ...] = ()) -> tuple:
    """What a client can observe of a response; ``hide`` ids are blanked out of the body,
    for answers that name the id the client itself sent."""
    body = response.content
    for number in hide:
        body = re.sub(rb"(?<!\d)" + str(number).encode() + rb"(?!\d)", b"<id>", body)
    headers = dict(response.headers)  # Content-Type, Content-Length, Allow, Vary...
    headers.pop("Expires", None)  # the time of the answer (no-store pages), not what it is about
    if hide:
        headers.pop("Content-Length", None)
    return (response.status_code, headers, body)


def _unchanged(world: dict) -> None:
    assert Project.objects.filter(pk=world["project"], name="Theirs").exists()
    assert Dataset.objects.filter(pk=world["dataset"]).exists() and Item.objects.filter(pk=world["item"]).exists()
    assert Annotation.objects.get(pk=world["annotation"]).label == "x"
    assert Task.objects.get(pk=world["task"]).name == "t"
    assert Execution.objects.get(pk=world["execution"]).status == "created"
    assert Membership.objects.filter(project_id=world["project"]).count() == 2  # the owner and the service's bot


# (method, path, body): {kind} names the id being asked about; the other ids are of the same project.
STRANGER_REQUESTS = {
    "project": [
        ("get", "/api/projects/{project}/", None),
        ("patch", "/api/projects/{project}/", {"name": "taken"}),
        ("delete", "/api/projects/{project}/", None),
        ("get", "/api/projects/{project}/members/", None),
        ("post", "/api/projects/{project}/members/", {"username": "mallory", "role": "owner"}),
        ("delete", "/api/projects/{project}/members/{owner}/", None),
        ("get", "/api/projects/{project}/datasets/", None),
        ("post", "/api/projects/{project}/datasets/", {"name": "mine now"}),
        ("get", "/api/projects/{project}/annotations/", None),
        ("get", "/api/projects/{project}/tasks/", None),
        ("post", "/api/projects/{project}/tasks/", {"datasetId": "{dataset}", "name": "n", "query": {}}),
        ("get", "/api/projects/{project}/packages/", None),
        ("post", "/api/projects/{project}/packages/", {"name": "p"}),
        ("get", "/api/projects/{project}/services/", None),
        ("post", "/api/projects/{project}/services/", {"name": "s", "packageId": "{package}"}),
        ("get", "/api/projects/{project}/slots/", None),
        ("post", "/api/projects/{project}/slots/resolve/", {"resource": "item", "selection": {"ids": []}}),
        ("post", "/api/projects/{project}/slots/run/", {"serviceId": "{service}", "functionName": "run"}),
        ("get", "/api/projects/{project}/executions/", None),
        ("get", "/api/projects/{project}/integrations/", None),
        ("post", "/api/projects/{project}/integrations/", {"name": "MINE", "value": "v"}),
    ],
    "member": [("delete", "/api/projects/{project}/members/{member}/", None)],
    "dataset": [
        ("get", "/api/datasets/{dataset}/", None),
        ("patch", "/api/datasets/{dataset}/", {"name": "n"}),
        ("delete", "/api/datasets/{dataset}/", None),
        ("get", "/api/datasets/{dataset}/items/", None),
        ("post", "/api/datasets/{dataset}/items/", {}),
    ],
    "item": [
        ("get", "/api/items/{item}/", None),
        ("patch", "/api/items/{item}/", {"hidden": True}),
        ("delete", "/api/items/{item}/", None),
        ("get", "/api/items/{item}/download/", None),
        ("get", "/api/items/{item}/thumbnail/", None),
        ("get", "/api/items/{item}/annotations/", None),
        ("post", "/api/items/{item}/annotations/", {"type": "classification", "label": "y"}),
    ],
    "annotation": [
        ("get", "/api/annotations/{annotation}/", None),
        ("patch", "/api/annotations/{annotation}/", {"label": "y"}),
        ("delete", "/api/annotations/{annotation}/", None),
    ],
    "task": [
        ("get", "/api/tasks/{task}/", None),
        ("patch", "/api/tasks/{task}/", {"name": "y"}),
        ("delete", "/api/tasks/{task}/", None),
        ("get", "/api/tasks/{task}/items/", None),
        ("post", "/api/tasks/{task}/items/{item}/", {"done": True}),
    ],
    "task item": [("post", "/api/tasks/{task}/items/{task_item}/", {"done": True})],
    "package": [
        ("get", "/api/packages/{package}/", None),
        ("patch", "/api/packages/{package}/", {"slots": []}),
        ("delete", "/api/packages/{package}/", None),
        ("get", "/api/packages/{package}/revisions/", None),
    ],
    "service": [
        ("get", "/api/services/{service}/", None),
        ("patch", "/api/services/{service}/", {"active": False}),
        ("delete", "/api/services/{service}/", None),
        ("post", "/api/services/{service}/pause/", None),
        ("post", "/api/services/{service}/resume/", None),
        ("post", "/api/services/{service}/activate-slots/", {}),
        ("post", "/api/services/{service}/execute/", {"functionName": "run", "input": {}}),
        ("post", "/api/services/{service}/execute-batch/", {"filter": {}}),
    ],
    "execution": [
        ("get", "/api/executions/{execution}/", None),
        ("post", "/api/executions/{execution}/terminate/", None),
        ("post", "/api/executions/{execution}/rerun/", None),
        ("get", "/api/executions/{execution}/logs/", None),
    ],
    "integration": [
        ("get", "/api/integrations/{integration}/", None),
        ("patch", "/api/integrations/{integration}/", {"value": "v"}),
        ("delete", "/api/integrations/{integration}/", None),
    ],
}


def _fill(value, ids: dict):
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        return ids[whole.group(1)] if whole else value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _ask(client, method, path, body, ids):
    return getattr(client, method)(_fill(path, ids), _fill(body, ids), format="json")


@pytest.mark.parametrize("kind", sorted(STRANGER_REQUESTS))
def test_a_strangers_404_is_the_same_for_an_object_of_another_project_and_for_no_object(kind, theirs, stranger, mine):
    client = _api(stranger)
    theirs = {**theirs, "member": theirs["owner"], "task_item": theirs["item"]}
    missing = {**theirs, kind.replace(" ", "_"): MISSING}
    for method, path, body in STRANGER_REQUESTS[kind]:
        existing = _ask(client, method, path, body, theirs)
        absent = _ask(client, method, path, body, missing)
        assert existing.status_code == 404, (method, path, existing.content)
        assert _answer(existing) == _answer(absent), (method, path)
        assert existing.json() == {"detail": "Not found."} and existing["Content-Length"] == "23"
    _unchanged(theirs)


# A member of their own project naming another project's object: (method, path, body, kind).
CROSS_REQUESTS = [
    ("post", "/api/projects/{mine_project}/tasks/", {"datasetId": "{dataset}", "name": "n", "query": {}}, "dataset"),
    (
        "post",
        "/api/projects/{mine_project}/tasks/",
        {"datasetId": "{mine_dataset}", "name": "n", "itemIds": ["{item}"]},
        "item",
    ),
    ("post", "/api/projects/{mine_project}/services/", {"name": "s", "packageId": "{package}"}, "package"),
    (
        "post",
        "/api/projects/{mine_project}/services/",
        {"name": "s2", "packageId": "{mine_package}", "secrets": ["{integration}"]},
        "integration",
    ),
    (
        "post",
        "/api/projects/{mine_project}/slots/run/",
        {"serviceId": "{service}", "functionName": "run", "resource": "item", "selection": {"ids": []}},
        "service",
    ),
    (
        "post",
        "/api/projects/{mine_project}/slots/run/",
        {
            "serviceId": "{mine_service}",
            "functionName": "run",
            "resource": "item",
            "selection": {"ids": ["{item}"]},
        },
        "item",
    ),
    (
        "post",
        "/api/projects/{mine_project}/slots/resolve/",
        {"resource": "item", "panel": "all", "selection": {"ids": ["{item}"]}},
        "item",
    ),
    ("post", "/api/services/{mine_service}/activate-slots/", {"projectId": "{project}"}, "project"),
    (
        "post",
        "/api/services/{mine_service}/execute/",
        {"functionName": "run", "input": {"item": "{item}"}},
        "item",
    ),
    ("post", "/api/tasks/{mine_task}/items/{item}/", {"done": True}, "item"),
    ("delete", "/api/projects/{mine_project}/members/{owner}/", None, "owner"),
    ("get", "/api/projects/{mine_project}/executions/?serviceId={service}", None, "service"),
]


@pytest.mark.parametrize(("method", "path", "body", "kind"), CROSS_REQUESTS)
def test_a_member_naming_another_projects_object_learns_no_more_than_for_no_object(
    method, path, body, kind, theirs, stranger, mine
):
    client = _api(stranger)
    ids = {**theirs, **{f"mine_{k}": v for k, v in mine.items()}}
    existing = _ask(client, method, path, body, ids)
    absent = _ask(client, method, path, body, {**ids, kind: MISSING})
    assert existing.status_code < 500, existing.content
    # Only reads may succeed (an empty list, a slot resolved for nothing): they found nothing either way.
    assert existing.status_code not in (200, 201, 204) or method == "get" or "resolve" in path, existing.content
    assert _answer(existing, hide=(ids[kind],)) == _answer(absent, hide=(MISSING,)), (method, path)
    _unchanged(theirs)


STUDIO_PAGES = [
    ("/projects/{project}/", "project"),
    ("/projects/{project}/datasets/{dataset}/", "project"),
    ("/projects/{project}/datasets/{dataset}/", "dataset"),
    ("/projects/{project}/datasets/{dataset}/items/", "dataset"),
    ("/projects/{project}/datasets/{dataset}/items/{item}/overlay/", "item"),
    ("/projects/{project}/executions/", "project"),
    ("/projects/{project}/executions/rows/", "project"),
    ("/projects/{project}/executions/download/?ids={execution}", "project"),
    ("/projects/{project}/executions/{execution}/", "execution"),
    ("/projects/{project}/items/{item}/", "item"),
    ("/projects/{project}/tasks/", "project"),
    ("/projects/{project}/tasks/{task}/", "task"),
]


@pytest.mark.parametrize(("path", "kind"), STUDIO_PAGES)
def test_a_strangers_page_404_is_the_same_for_an_object_of_another_project_and_for_no_object(
    client, path, kind, theirs, stranger
):
    client.force_login(stranger)
    existing = client.get(path.format(**theirs))
    absent = client.get(path.format(**{**theirs, kind: MISSING}))
    assert existing.status_code == 404 and "Content-Length" in existing
    assert _answer(existing) == _answer(absent), path
    assert existing.cookies.keys() == absent.cookies.keys()


# A member's own project in the URL, another project's object after it.
CROSS_PAGES = [
    ("/projects/{mine_project}/datasets/{dataset}/", "dataset"),
    ("/projects/{mine_project}/datasets/{mine_dataset}/items/{item}/overlay/", "item"),
    ("/projects/{mine_project}/items/{item}/", "item"),
    ("/projects/{mine_project}/tasks/{task}/", "task"),
    ("/projects/{mine_project}/executions/{execution}/", "execution"),
    ("/projects/{mine_project}/executions/download/?ids={execution}", "execution"),
]


@pytest.mark.parametrize(("path", "kind"), CROSS_PAGES)
def test_a_members_page_for_another_projects_object_is_the_same_as_for_no_object(
    client, path, kind, theirs, stranger, mine
):
    client.force_login(stranger)
    ids = {**theirs, **{f"mine_{k}": v for k, v in mine.items()}}
    existing = client.get(path.format(**ids))
    absent = client.get(path.format(**{**ids, kind: MISSING}))
    assert existing.status_code == 404
    assert _answer(existing) == _answer(absent), path


def test_naming_another_projects_integration_for_a_service_answers_as_for_a_missing_one(theirs, mine, stranger):
    # The integration's name would otherwise be confirmed: a right guess answered differently.
    client = _api(stranger)

    def attach(integration_id: int, env: str):
        body = {"integrations": [{"value": integration_id, "env": env}]}
        return client.patch(f"/api/services/{mine['service']}/", body, format="json")

    foreign = attach(theirs["integration"], "TOKEN")
    assert foreign.status_code == 400
    assert _answer(foreign, hide=(theirs["integration"],)) == _answer(attach(MISSING, "TOKEN"), hide=(MISSING,))
    assert _answer(foreign, hide=(theirs["integration"],)) == _answer(
        attach(theirs["integration"], "WRONG"), hide=(theirs["integration"],)
    )
