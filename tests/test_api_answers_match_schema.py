"""Every API operation answers what the committed OpenAPI schema says, key for key.

One real request per operation of docs/openapi.yaml (kept equal to the served schema by
tests/test_openapi_schema.py), made through the test client against a project with one
object of every kind. Each JSON body is checked against the schema of its status with
``jsonschema``, strictly: an object may hold only the keys its schema declares (at every
depth), must hold the ones it requires, and every scalar has its declared type. An
operation the schema gains without a request here fails the test, so none goes unchecked.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tests.support.functions import archive, function
from tests.support.images import png
from tests.support.live import ROOT
from tests.support.world import CODE, SLOT, project_world

SCHEMA = yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text())
METHODS = ("get", "post", "put", "patch", "delete")


def _strict(node):
    """OpenAPI 3.0's schema objects as JSON Schema that refuses undeclared keys."""
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _strict(v) for k, v in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


COMPONENTS = {name: _strict(schema) for name, schema in SCHEMA["components"]["schemas"].items()}


def _operation(method: str, path: str) -> dict:
    return SCHEMA["paths"][path][method]


def check_answer(method: str, path: str, response) -> None:
    """``response`` is documented for its status, and its JSON body matches that schema exactly."""
    where = f"{method.upper()} {path} -> {response.status_code}"
    documented = _operation(method, path)["responses"]
    assert str(response.status_code) in documented, f"{where}: status not in the schema"
    content = documented[str(response.status_code)].get("content")
    if not content:
        assert not response.content, f"{where}: a body where the schema documents none"
        return
    content_type = response["Content-Type"].split(";")[0]
    if content_type != "application/json":
        assert content_type in content or "*/*" in content, f"{where}: {content_type} not documented"
        return
    schema = {"components": {"schemas": COMPONENTS}, "allOf": [_strict(content["application/json"]["schema"])]}
    body = json.loads(response.content)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, f"{where}:\n" + "\n".join(
        f"  at {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:10]
    )


class Caller:
    """Requests as the project's owner; records which operations answered successfully."""

    def __init__(self, client: APIClient):
        self.client = client
        self.answered: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, body=None, *, multipart: bool = False, **ids):
        url = path.format(**ids)
        kwargs = {"format": "multipart" if multipart else "json"} if body is not None else {}
        response = getattr(self.client, method)(url, body, **kwargs)
        assert response.status_code < 300, f"{method.upper()} {url}: {response.status_code} {response.content[:300]}"
        check_answer(method, path, response)
        self.answered.add((method, path))
        return response.json() if response.get("Content-Type") == "application/json" and response.content else None


EVENT_TRIGGER = {
    "name": "on-new-item",
    "spec": {"resource": "Item", "actions": ["Created"], "filter": {}, "operation": {"functionName": "run"}},
}


@pytest.mark.django_db(transaction=True)
def test_every_api_operation_answers_exactly_what_the_schema_declares():
    owner = User.objects.create_user("schema-owner", password="pw-for-schema")
    world = project_world(owner, "Schema")
    client = APIClient()
    client.force_authenticate(owner)
    call = Caller(client)
    p, d, i, a, t = world["project"], world["dataset"], world["item"], world["annotation"], world["task"]
    pkg, svc, ex, integ = world["package"], world["service"], world["execution"], world["integration"]

    # The workspace.
    call("get", "/api/projects/")
    new_project = call("post", "/api/projects/", {"name": "Another"})
    call("get", "/api/projects/{project_id}/", project_id=p)
    call("patch", "/api/projects/{project_id}/", {"description": "Checked"}, project_id=p)
    User.objects.create_user("schema-annotator")
    member = call(
        "post",
        "/api/projects/{project_id}/members/",
        {"username": "schema-annotator", "role": "annotator"},
        project_id=p,
    )
    call("get", "/api/projects/{project_id}/members/", project_id=p)
    call("get", "/api/projects/{project_id}/datasets/", project_id=p)
    dataset = call("post", "/api/projects/{project_id}/datasets/", {"name": "second"}, project_id=p)
    call("get", "/api/datasets/{dataset_id}/", dataset_id=d)
    call("patch", "/api/datasets/{dataset_id}/", {"name": "first"}, dataset_id=d)
    upload = {"file": [_file("b.png")], "dir": "/more", "metadata": '{"batch": 2}'}
    uploaded = call("post", "/api/datasets/{dataset_id}/items/", upload, multipart=True, dataset_id=d)
    call("get", "/api/datasets/{dataset_id}/items/", dataset_id=d)
    # A jump and a count add keys to the page: they are declared too.
    check_answer("get", "/api/datasets/{dataset_id}/items/", client.get(f"/api/datasets/{d}/items/?count=true&page=1"))
    call("get", "/api/items/{item_id}/", item_id=i)
    call("patch", "/api/items/{item_id}/", {"metadata": {"checked": True}}, item_id=i)
    call("get", "/api/items/{item_id}/download/", item_id=i)
    call("get", "/api/items/{item_id}/thumbnail/", item_id=i)
    call("get", "/api/items/{item_id}/annotations/", item_id=i)
    box = {"type": "box", "label": "car", "coordinates": [[1, 1], [4, 4]]}
    created = call("post", "/api/items/{item_id}/annotations/", box, item_id=i)
    call("post", "/api/items/{item_id}/annotations/", [box, {**box, "label": "bus"}], item_id=i)
    call("get", "/api/projects/{project_id}/annotations/", project_id=p)
    call("get", "/api/annotations/{annotation_id}/", annotation_id=a)
    call("patch", "/api/annotations/{annotation_id}/", {"label": "truck"}, annotation_id=created["id"])
    call("get", "/api/projects/{project_id}/tasks/", project_id=p)
    task = call(
        "post", "/api/projects/{project_id}/tasks/", {"datasetId": d, "name": "more", "itemIds": [i]}, project_id=p
    )
    call("get", "/api/tasks/{task_id}/", task_id=t)
    call("patch", "/api/tasks/{task_id}/", {"name": "first task"}, task_id=t)
    call("get", "/api/tasks/{task_id}/items/", task_id=t)
    call("post", "/api/tasks/{task_id}/items/{item_id}/", {"done": True}, task_id=t, item_id=i)

    # Functions.
    call("get", "/api/projects/{project_id}/packages/", project_id=p)
    push = {
        "name": "other",
        "archive": _file("code.zip", archive({"main.py": CODE})),
        "modules": json.dumps([{"name": "m", "functions": [function("run", ("item", "Item"))]}]),
        "slots": json.dumps([SLOT]),
    }
    other = call("post", "/api/projects/{project_id}/packages/", push, multipart=True, project_id=p)
    call("get", "/api/packages/{package_id}/", package_id=pkg)
    call("patch", "/api/packages/{package_id}/", {"slots": json.dumps([SLOT])}, multipart=True, package_id=pkg)
    call("get", "/api/packages/{package_id}/revisions/", package_id=pkg)
    call("get", "/api/projects/{project_id}/services/", project_id=p)
    service = call(
        "post", "/api/projects/{project_id}/services/", {"name": "other-svc", "packageId": other["id"]}, project_id=p
    )
    call("get", "/api/services/{service_id}/", service_id=svc)
    call("patch", "/api/services/{service_id}/", {"maxAttempts": 2}, service_id=svc)
    call("post", "/api/services/{service_id}/pause/", service_id=svc)
    call("post", "/api/services/{service_id}/resume/", service_id=svc)
    call("post", "/api/services/{service_id}/restart/", service_id=svc)
    call("post", "/api/services/{service_id}/activate-slots/", {}, service_id=svc)
    call("post", "/api/services/{service_id}/execute/", {"functionName": "run", "input": {"item": i}}, service_id=svc)
    call("post", "/api/services/{service_id}/execute-batch/", {"functionName": "run", "filter": {}}, service_id=svc)
    call("get", "/api/projects/{project_id}/slots/", project_id=p)
    selection = {"ids": [i]}
    call(
        "post", "/api/projects/{project_id}/slots/resolve/", {"resource": "item", "selection": selection}, project_id=p
    )
    run = {"serviceId": svc, "functionName": "run", "resource": "item", "selection": selection}
    call("post", "/api/projects/{project_id}/slots/run/", run, project_id=p)
    call("get", "/api/projects/{project_id}/executions/", project_id=p)
    call("get", "/api/executions/{execution_id}/", execution_id=ex)
    call("post", "/api/executions/{execution_id}/terminate/", execution_id=ex)
    call("post", "/api/executions/{execution_id}/rerun/", execution_id=ex)
    call("get", "/api/executions/{execution_id}/logs/", execution_id=ex)
    call("get", "/api/services/{service_id}/triggers/", service_id=svc)
    trigger = call("post", "/api/services/{service_id}/triggers/", EVENT_TRIGGER, service_id=svc)
    call("get", "/api/projects/{project_id}/triggers/", project_id=p)
    call(
        "post",
        "/api/projects/{project_id}/triggers/",
        {**EVENT_TRIGGER, "name": "by-project", "serviceId": svc},
        project_id=p,
    )
    call("get", "/api/triggers/{trigger_id}/", trigger_id=trigger["id"])
    call("patch", "/api/triggers/{trigger_id}/", {"active": False}, trigger_id=trigger["id"])
    call("get", "/api/projects/{project_id}/integrations/", project_id=p)
    integration = call(
        "post", "/api/projects/{project_id}/integrations/", {"name": "OTHER", "value": "v"}, project_id=p
    )
    call("get", "/api/integrations/{integration_id}/", integration_id=integ)
    call("patch", "/api/integrations/{integration_id}/", {"value": "w"}, integration_id=integ)

    # Deletions, last.
    call("delete", "/api/triggers/{trigger_id}/", trigger_id=trigger["id"])
    call("delete", "/api/integrations/{integration_id}/", integration_id=integration["id"])
    call("delete", "/api/services/{service_id}/", service_id=service["id"])
    call("delete", "/api/packages/{package_id}/", package_id=other["id"])
    call("delete", "/api/annotations/{annotation_id}/", annotation_id=created["id"])
    call("delete", "/api/tasks/{task_id}/", task_id=task["id"])
    call("delete", "/api/items/{item_id}/", item_id=uploaded["results"][0]["id"])
    call("delete", "/api/datasets/{dataset_id}/", dataset_id=dataset["id"])
    call("delete", "/api/projects/{project_id}/members/{user_id}/", project_id=p, user_id=member["userId"])
    call("delete", "/api/projects/{project_id}/", project_id=new_project["id"])

    # Outside the session login: a token for a username and password.
    anonymous = Caller(APIClient())
    anonymous("post", "/api/auth/token/", {"username": "schema-owner", "password": "pw-for-schema"})
    call.answered |= anonymous.answered

    documented = {(m, path) for path, item in SCHEMA["paths"].items() for m in item if m in METHODS}
    assert documented - call.answered == set(), "operations of the schema that this test does not call"


@pytest.mark.django_db
def test_error_answers_match_the_schema_too():
    owner = User.objects.create_user("schema-errors")
    client = APIClient()
    client.force_authenticate(owner)
    check_answer("get", "/api/projects/{project_id}/", client.get("/api/projects/987654/"))
    check_answer("post", "/api/projects/", client.post("/api/projects/", {}, format="json"))
    check_answer("get", "/api/projects/", APIClient().get("/api/projects/"))


def test_the_strict_check_refuses_a_key_the_schema_does_not_declare():
    schema = {"components": {"schemas": COMPONENTS}, "allOf": [{"$ref": "#/components/schemas/Integration"}]}
    good = {
        "id": 1,
        "projectId": 2,
        "name": "A",
        "createdAt": "2026-01-01T00:00:00Z",
        "updatedAt": "2026-01-01T00:00:00Z",
    }
    assert jsonschema.Draft7Validator(schema).is_valid(good)
    assert not jsonschema.Draft7Validator(schema).is_valid({**good, "value": "leaked"})
    assert not jsonschema.Draft7Validator(schema).is_valid({**good, "id": "1"})


def _file(name: str, content: bytes | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content if content is not None else png())
