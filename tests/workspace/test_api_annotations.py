"""Annotations: created, read, changed and deleted through the API, validated per type."""

import json

import pytest

from tests.workspace.conftest import image_bytes
from workspace.models import Annotation

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def item(dataset, upload_items):
    (item,) = upload_items(dataset, [("wren.jpg", image_bytes("JPEG", (200, 100)))])
    return item


def _post(client, item, body):
    return client.post(f"/api/items/{item['id']}/annotations/", body, format="json")


@pytest.mark.parametrize(
    "type_, coordinates",
    [
        ("box", [[10, 10], [50, 40]]),
        ("polygon", [[0, 0], [200, 0], [100, 100]]),
        ("point", [[199.5, 99.5]]),
        ("classification", []),
    ],
)
def test_each_annotation_type_is_created(api, annotator, item, type_, coordinates):
    response = _post(api(annotator), item, {"type": type_, "label": "wren", "coordinates": coordinates})
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id", "itemId", "datasetId", "projectId", "type", "label", "coordinates", "attributes",
        "metadata", "source", "creator", "createdAt", "updatedAt",
    }  # fmt: skip
    assert (body["itemId"], body["datasetId"], body["projectId"]) == (item["id"], item["datasetId"], item["projectId"])
    assert (body["type"], body["coordinates"], body["creator"], body["source"]) == (type_, coordinates, "ann", "user")


def test_annotations_are_read_changed_and_deleted(api, annotator, item):
    client = api(annotator)
    created = _post(client, item, {"type": "box", "label": "wren", "coordinates": [[1, 1], [2, 2]]}).json()
    assert [a["id"] for a in client.get(f"/api/items/{item['id']}/annotations/").json()] == [created["id"]]
    url = f"/api/annotations/{created['id']}/"
    assert client.get(url).json()["label"] == "wren"
    response = client.patch(url, {"label": "robin", "attributes": {"sex": "f"}}, format="json")
    assert response.status_code == 200
    assert (response.json()["label"], response.json()["attributes"]) == ("robin", {"sex": "f"})
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert not Annotation.objects.exists()


def test_a_list_of_annotations_is_created_all_or_none(api, annotator, item):
    client = api(annotator)
    good = {"type": "point", "label": "eye", "coordinates": [[5, 5]]}
    response = _post(client, item, [good, good])
    assert response.status_code == 201 and len(response.json()) == 2
    response = _post(client, item, [good, {"type": "point", "label": "eye", "coordinates": [[500, 5]]}])
    assert response.status_code == 400
    assert "outside the image" in response.json()["1.coordinates"][0]
    assert Annotation.objects.count() == 2


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"type": "box", "label": "x", "coordinates": [[10, 10], [500, 40]]}, "coordinates", "outside the image"),
        ({"type": "box", "label": "x", "coordinates": [[50, 40], [10, 10]]}, "coordinates", "left < right"),
        ({"type": "polygon", "label": "x", "coordinates": [[0, 0], [1, 1]]}, "coordinates", "at least 3"),
        ({"type": "point", "label": "x", "coordinates": [[1, 1], [2, 2]]}, "coordinates", "exactly 1"),
        ({"type": "classification", "label": "x", "coordinates": [[1, 1]]}, "coordinates", "no coordinates"),
        ({"type": "ellipse", "label": "x", "coordinates": []}, "type", "not a valid choice"),
        ({"type": "box", "label": "", "coordinates": [[1, 1], [2, 2]]}, "label", "blank"),
        ({"type": "point", "label": "x", "coordinates": [["a", 1]]}, "coordinates", "numbers"),
    ],
)
def test_bad_annotations_are_refused_with_a_field_message(api, annotator, item, body, field, message):
    response = _post(api(annotator), item, body)
    assert response.status_code == 400, response.content
    assert message in response.json()[field][0]
    assert not Annotation.objects.exists()


def test_a_patch_is_validated_against_the_image_too(api, annotator, item):
    client = api(annotator)
    created = _post(client, item, {"type": "box", "label": "wren", "coordinates": [[1, 1], [2, 2]]}).json()
    response = client.patch(f"/api/annotations/{created['id']}/", {"coordinates": [[1, 1], [201, 2]]}, format="json")
    assert response.status_code == 400 and "outside the image" in response.json()["coordinates"][0]
    assert Annotation.objects.get().coordinates == [[1, 1], [2, 2]]


def test_project_annotations_are_paged_and_filtered_by_dql(api, annotator, project, item):
    client = api(annotator)
    for label in ["wren", "robin", "wren"]:
        _post(client, item, {"type": "classification", "label": label})
    url = f"/api/projects/{project.pk}/annotations/"
    response = client.get(url, {"filter": json.dumps({"label": "wren"}), "page_size": 1})
    body = response.json()
    assert response.status_code == 200 and len(body["results"]) == 1 and body["next"]
    assert client.get(body["next"]).json()["results"][0]["label"] == "wren"
    response = client.get(url, {"filter": json.dumps({"colour": "red"})})
    assert response.status_code == 400 and response.json()["filter"]


def test_an_items_annotations_are_filtered_by_dql_on_the_server(api, annotator, item):
    client = api(annotator)
    for label in ["wren", "robin", "wren"]:
        _post(client, item, {"type": "classification", "label": label})
    url = f"/api/items/{item['id']}/annotations/"
    assert [a["label"] for a in client.get(url, {"filter": json.dumps({"label": "wren"})}).json()] == ["wren", "wren"]
    assert len(client.get(url).json()) == 3  # no filter: all of them
    response = client.get(url, {"filter": json.dumps({"colour": "red"})})
    assert response.status_code == 400 and response.json()["filter"]
