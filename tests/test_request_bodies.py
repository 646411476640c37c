"""Hostile request bodies: every one answers a 4xx with a JSON message and stores nothing.

JSON nested past the limit, numbers JSON cannot carry, oversized bodies and form fields,
and uploaded file names that are paths, each sent to the endpoints that store JSON or files.
"""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from PIL import Image
from rest_framework.test import APIClient

from dataslot_server.parsers import MAX_JSON_DEPTH, json_depth
from faas.models import Execution, Package, Service
from tests.support.functions import archive, function
from tests.support.images import png
from workspace.models import Annotation, Item, Project
from workspace.services.items import item_create
from workspace.services.projects import dataset_create, project_create

pytestmark = pytest.mark.django_db

CODE = """
import dataslot as dl

class ServiceRunner(dl.BaseServiceRunner):
    def count(self, n):
        return n
"""
MODULES = [{"name": "m", "functions": [function("count", ("n", "Json"))]}]

DEEP = "[" * 1000 + "]" * 1000
TOO_DEEP = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
# Raw JSON text: 1e400 reads as infinity in Python; NaN and Infinity are not JSON at all.
NOT_NUMBERS = {"1e400": "out of range", "-1e400": "out of range", "NaN": "not a number", "Infinity": "not a number"}


@pytest.fixture
def world(tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    user = User.objects.create_user("owner", password="pw")
    project = project_create(name="P", owner=user)
    dataset = dataset_create(project=project, name="D")
    item = item_create(dataset=dataset, file=png(), name="a.png", metadata={"kept": 1})
    client = APIClient()
    client.force_authenticate(user)
    form = {
        "name": "pkg",
        "modules": json.dumps(MODULES),
        "archive": io.BytesIO(archive({"main.py": CODE})),
    }
    form["archive"].name = "code.zip"
    package = client.post(f"/api/projects/{project.id}/packages/", form, format="multipart")
    assert package.status_code == 201, package.content
    service = client.post(
        f"/api/projects/{project.id}/services/",
        {"name": "svc", "packageId": package.json()["id"], "initParams": {"kept": 1}},
        format="json",
    )
    assert service.status_code == 201, service.content
    return {
        "client": client,
        "project": project,
        "dataset": dataset,
        "item": item,
        "service": Service.objects.get(pk=service.json()["id"]),
        "root": tmp_path / "media",
    }


def stored(world) -> dict:
    """Everything a refused request must leave as it was."""
    world["item"].refresh_from_db()
    world["service"].refresh_from_db()
    return {
        "projects": Project.objects.count(),
        "annotations": Annotation.objects.count(),
        "executions": Execution.objects.count(),
        "items": Item.objects.count(),
        "packages": Package.objects.count(),
        "metadata": world["item"].metadata,
        "init": world["service"].init_input,
        "files": sorted(p.name for p in world["root"].rglob("*") if p.is_file()),
    }


def json_targets(world, value: str) -> list[tuple[str, str, str]]:
    """(method, path, raw JSON body) putting ``value`` where each endpoint stores JSON."""
    p, i, s = world["project"].id, world["item"].id, world["service"].id
    return [
        ("post", f"/api/services/{s}/execute/", f'{{"functionName": "count", "input": {{"n": {value}}}}}'),
        ("post", "/api/projects/", f'{{"name": "New", "description": "x", "extra": {value}}}'),
        ("post", f"/api/items/{i}/annotations/", f'{{"type": "box", "label": "a", "attributes": {{"a": {value}}}}}'),
        ("patch", f"/api/items/{i}/", f'{{"metadata": {{"a": {value}}}}}'),
        ("patch", f"/api/services/{s}/", f'{{"initParams": {{"a": {value}}}}}'),
        ("post", f"/api/projects/{p}/services/", f'{{"name": "svc2", "packageId": 1, "initParams": {value}}}'),
    ]


def send(client, method: str, path: str, body: str | bytes):
    return client.generic(method.upper(), path, body, content_type="application/json")


def assert_refused(response, status: int, words: str):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert words in response.json()["detail"], response.json()


def test_the_depth_is_measured_without_parsing_and_strings_do_not_count():
    assert json_depth('{"a": [{"b": "[[[[{{{{"}], "c": "\\"[["}') == 3
    assert json_depth("[" * 1_000_000) == 1_000_000  # no recursion, no stack to exhaust
    assert json_depth('"[" 1 2') == 0


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_json_nested_past_the_limit_is_refused_at_every_endpoint_with_the_limit_named(world, depth):
    before = stored(world)
    deep = "[" * depth + "]" * depth
    for method, path, body in json_targets(world, deep):
        response = send(world["client"], method, path, body)
        assert_refused(response, 400, f"more than the limit of {MAX_JSON_DEPTH}")
    assert stored(world) == before


def test_json_at_the_depth_limit_is_read_and_one_level_more_is_not(world):
    client, item = world["client"], world["item"]
    inner = "[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2)  # + object + "metadata" object
    accepted = send(client, "patch", f"/api/items/{item.id}/", f'{{"metadata": {{"a": {inner}}}}}')
    assert accepted.status_code == 200, accepted.content
    refused = send(client, "patch", f"/api/items/{item.id}/", f'{{"metadata": {{"a": [{inner}]}}}}')
    assert_refused(refused, 400, f"{MAX_JSON_DEPTH + 1} levels deep")


@pytest.mark.parametrize("value", list(NOT_NUMBERS))
def test_numbers_json_cannot_carry_are_refused_in_every_stored_json_field(world, value):
    before = stored(world)
    for method, path, body in json_targets(world, value):
        response = send(world["client"], method, path, body)
        assert_refused(response, 400, NOT_NUMBERS[value])
    assert stored(world) == before


@pytest.mark.parametrize(
    "text, words", [('"\\u0000"', "NUL character"), ('"\\ud800"', "unpaired surrogate")], ids=["nul", "surrogate"]
)
def test_text_no_database_can_store_is_refused(world, text, words):
    before = stored(world)
    for method, path, body in json_targets(world, text):
        assert_refused(send(world["client"], method, path, body), 400, words)
    assert stored(world) == before


def test_a_json_body_past_the_size_limit_is_a_json_413(world, settings):
    before = stored(world)
    body = json.dumps({"name": "Big", "description": "x" * (25 * 1024 * 1024)})
    response = send(world["client"], "post", "/api/projects/", body)
    assert_refused(response, 413, f"limit of {settings.DATASLOT_MAX_JSON_BYTES} bytes")
    assert stored(world) == before


def test_json_in_form_fields_follows_the_same_rules(world):
    client, project, dataset = world["client"], world["project"], world["dataset"]
    before = stored(world)
    for bad, words in [(DEEP, "more than the limit"), ('{"a": 1e400}', "out of range"), ("[NaN]", "not a number")]:
        upload = io.BytesIO(png())
        upload.name = "b.png"
        items = client.post(f"/api/datasets/{dataset.id}/items/", {"file": upload, "metadata": bad}, format="multipart")
        assert items.status_code == 400 and words in items.json()["metadata"][0], items.content
        code = io.BytesIO(archive({"main.py": CODE}))
        code.name = "code.zip"
        pushed = client.post(
            f"/api/projects/{project.id}/packages/",
            {"name": "pkg2", "modules": bad, "archive": code},
            format="multipart",
        )
        assert pushed.status_code == 400 and words in pushed.json()["modules"][0], pushed.content
    assert stored(world) == before


def test_form_fields_past_the_size_limit_are_a_json_413(world, settings):
    before = stored(world)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    upload = io.BytesIO(png())
    upload.name = "b.png"
    response = world["client"].post(
        f"/api/datasets/{world['dataset'].id}/items/", {"file": upload, "dir": "x" * 2000}, format="multipart"
    )
    assert_refused(response, 413, "larger than the limit of 1000 bytes")
    assert stored(world) == before


def multipart(filename: bytes, data: bytes, field: str = "file", **fields: str) -> tuple[bytes, str]:
    """A multipart body written by hand: test clients would clean the file name first."""
    boundary = b"dataslot-test-boundary"
    parts = [
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + value.encode()
        for name, value in fields.items()
    ]
    parts.append(
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="'
        + field.encode()
        + b'"; filename="'
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + data
    )
    body = b"\r\n".join(parts) + b"\r\n--" + boundary + b"--\r\n"
    return body, "multipart/form-data; boundary=" + boundary.decode()


UNSAFE_NAMES = {
    b"../a.png": "path separator",
    b"../../etc/passwd": "path separator",
    b"dir/a.png": "path separator",
    b"C:\\\\temp\\\\a.png": "path separator",  # the header's quoting turns \\ into one backslash
    b"..": "'.' or '..'",
    b"a\x00.png": "NUL or control characters",
    b"a\x07b.png": "NUL or control characters",
    b"a&#47;b.png": "path separator",  # Django decodes HTML entities in file names
}


@pytest.mark.parametrize("filename", list(UNSAFE_NAMES), ids=lambda n: repr(n)[2:-1])
def test_an_upload_whose_file_name_is_a_path_is_refused_not_renamed(world, filename):
    client, dataset, project = world["client"], world["dataset"], world["project"]
    before = stored(world)
    body, content_type = multipart(filename, png())
    items = client.generic("POST", f"/api/datasets/{dataset.id}/items/", body, content_type=content_type)
    assert_refused(items, 400, UNSAFE_NAMES[filename])
    body, content_type = multipart(
        filename, archive({"main.py": CODE}), field="archive", name="pkg2", modules=json.dumps(MODULES)
    )
    pushed = client.generic("POST", f"/api/projects/{project.id}/packages/", body, content_type=content_type)
    assert_refused(pushed, 400, UNSAFE_NAMES[filename])
    assert stored(world) == before


def test_a_plain_file_name_is_kept_as_sent(world):
    body, content_type = multipart("café 1.png".encode(), png())
    response = world["client"].generic(
        "POST", f"/api/datasets/{world['dataset'].id}/items/", body, content_type=content_type
    )
    assert response.status_code == 201, response.content
    assert response.json()["results"][0]["name"] == "café 1.png"


def test_a_large_upload_is_stored_from_its_spooled_file_byte_for_byte(world, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # so this upload is spooled to disk
    image = io.BytesIO()
    Image.effect_noise((600, 600), 64).convert("RGB").save(image, format="PNG")
    data = image.getvalue()
    assert len(data) > 1024
    body, content_type = multipart(b"noise.png", data)
    response = world["client"].generic(
        "POST", f"/api/datasets/{world['dataset'].id}/items/", body, content_type=content_type
    )
    assert response.status_code == 201, response.content
    item = Item.objects.get(pk=response.json()["results"][0]["id"])
    assert item.size == len(data)
    with item.file.open("rb") as f:
        assert f.read() == data


def test_fields_of_the_wrong_shape_are_a_400_that_names_them_and_change_nothing(world):
    client, project, service = world["client"], world["project"], world["service"]
    sid, pid = service.pk, project.pk
    cases = [
        ("patch", f"/api/services/{sid}/", {"packageRevision": "abc"}, "packageRevision"),
        ("patch", f"/api/services/{sid}/", {"packageRevision": [1]}, "packageRevision"),
        ("patch", f"/api/services/{sid}/", {"packageRevision": 10**30}, "packageRevision"),
        ("patch", f"/api/services/{sid}/", {"secrets": 5, "integrations": []}, "secrets"),
        ("patch", f"/api/services/{sid}/", {"secrets": "1"}, "secrets"),
        (
            "post",
            f"/api/projects/{pid}/services/",
            {"name": "n2", "packageId": service.package_id, "packageRevision": "abc"},
            "packageRevision",
        ),
        (
            "post",
            f"/api/services/{sid}/execute-batch/",
            {"functionName": "count", "filter": {}, "resource": ["item"]},
            "resource",
        ),
    ]
    before = stored(world)
    for method, path, body, field in cases:
        answer = getattr(client, method)(path, body, format="json")
        assert answer.status_code == 400, (path, body, answer.status_code, answer.content[:300])
        assert field in answer.json(), (path, body, answer.json())
    assert stored(world) == before
