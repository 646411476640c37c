"""Projects, members, datasets, who may do what, token auth and the API schema."""

import pytest
from django.contrib.auth.models import User

from tests.workspace.conftest import image_bytes, stored_files, upload
from workspace.models import Annotation, Item, Membership, Project
from workspace.services.annotations import annotation_create
from workspace.services.items import item_create
from workspace.services.tasks import task_create

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_token_auth_gives_a_token_that_opens_the_api(client, owner, project):
    response = client.post("/api/auth/token/", {"username": "olivia", "password": "pw"})
    assert response.status_code == 200
    token = response.json()["token"]
    response = client.get("/api/projects/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200 and [p["name"] for p in response.json()] == ["Birds"]
    assert client.post("/api/auth/token/", {"username": "olivia", "password": "no"}).status_code == 400


def test_without_credentials_the_api_answers_401(api, project):
    assert api().get("/api/projects/").status_code == 401
    assert api().get(f"/api/projects/{project.pk}/").status_code == 401


def test_the_creator_of_a_project_is_its_owner(api, outsider):
    response = api(outsider).post("/api/projects/", {"name": "Mine", "description": "d"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "description", "createdAt", "role"}
    assert (body["name"], body["description"], body["role"]) == ("Mine", "d", "owner")
    assert Membership.objects.get(project_id=body["id"]).user == outsider


def test_each_member_sees_their_own_role(api, owner, developer, annotator, outsider, project):
    for user, role in [(owner, "owner"), (developer, "developer"), (annotator, "annotator")]:
        assert [p["role"] for p in api(user).get("/api/projects/").json()] == [role]
        assert api(user).get(f"/api/projects/{project.pk}/").json()["role"] == role
    assert api(outsider).get("/api/projects/").json() == []


def test_members_are_listed_added_and_removed_by_the_owner(api, owner, outsider, project):
    client = api(owner)
    url = f"/api/projects/{project.pk}/members/"
    assert {m["username"]: m["role"] for m in client.get(url).json()} == {
        "olivia": "owner", "dev": "developer", "ann": "annotator",
    }  # fmt: skip
    response = client.post(url, {"username": "mallory", "role": "annotator"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"userId": outsider.pk, "username": "mallory", "role": "annotator"}
    assert api(outsider).get(f"/api/projects/{project.pk}/").status_code == 200
    assert client.delete(f"{url}{outsider.pk}/").status_code == 204
    assert api(outsider).get(f"/api/projects/{project.pk}/").status_code == 404


def test_the_last_owner_cannot_leave(api, owner, project):
    response = api(owner).delete(f"/api/projects/{project.pk}/members/{owner.pk}/")
    assert response.status_code == 400 and "at least one owner" in response.json()["role"][0]


def test_a_member_is_added_by_an_existing_username(api, owner, project):
    response = api(owner).post(f"/api/projects/{project.pk}/members/", {"username": "ghost", "role": "annotator"})
    assert response.status_code == 400 and "No user named 'ghost'" in response.json()["username"][0]


def test_project_is_renamed_and_deleted_by_its_owner(api, owner, developer, project):
    url = f"/api/projects/{project.pk}/"
    assert api(developer).patch(url, {"name": "X"}, format="json").status_code == 403
    assert api(owner).patch(url, {"name": "Wild birds"}, format="json").json()["name"] == "Wild birds"
    assert api(developer).delete(url).status_code == 403
    assert api(owner).delete(url).status_code == 204
    assert not Project.objects.exists()


def test_datasets_are_made_renamed_and_deleted_by_writers(api, developer, annotator, project):
    url = f"/api/projects/{project.pk}/datasets/"
    assert api(annotator).post(url, {"name": "D"}, format="json").status_code == 403
    response = api(developer).post(url, {"name": "Summer"}, format="json")
    assert response.status_code == 201
    dataset = response.json()
    assert set(dataset) == {"id", "projectId", "name", "createdAt", "itemsCount"} and dataset["projectId"] == project.pk
    assert api(developer).post(url, {"name": "Summer"}, format="json").json()["name"] == [
        "A dataset named 'Summer' already exists in this project."
    ]
    assert [d["name"] for d in api(annotator).get(url).json()] == ["Summer"]
    detail = f"/api/datasets/{dataset['id']}/"
    assert api(developer).patch(detail, {"name": "Autumn"}, format="json").json()["name"] == "Autumn"
    assert api(annotator).delete(detail).status_code == 403
    assert api(developer).delete(detail).status_code == 204


def test_an_annotator_cannot_upload_or_edit_items(api, annotator, dataset, media_root):
    response = api(annotator).post(
        f"/api/datasets/{dataset.pk}/items/", {"file": [upload("a.jpg", image_bytes())]}, format="multipart"
    )
    assert response.status_code == 403
    assert Item.objects.count() == 0 and stored_files(media_root) == []
    item = item_create(dataset=dataset, file=image_bytes(), name="a.jpg")
    assert api(annotator).patch(f"/api/items/{item.pk}/", {"hidden": True}, format="json").status_code == 403
    assert api(annotator).delete(f"/api/items/{item.pk}/").status_code == 403
    assert (
        api(annotator)
        .post(
            f"/api/projects/{dataset.project_id}/tasks/",
            {"datasetId": dataset.pk, "name": "T", "query": {}},
            format="json",
        )
        .status_code
        == 403
    )


def test_nothing_of_another_project_is_visible_to_a_non_member(api, owner, outsider, project, dataset):
    item = item_create(dataset=dataset, file=image_bytes(), name="a.jpg")
    annotation = annotation_create(item=item, type="classification", label="x")
    task = task_create(dataset=dataset, name="T", item_ids=[item.pk])
    client = api(outsider)
    reads = [
        f"/api/projects/{project.pk}/",
        f"/api/projects/{project.pk}/members/",
        f"/api/projects/{project.pk}/datasets/",
        f"/api/projects/{project.pk}/annotations/",
        f"/api/projects/{project.pk}/tasks/",
        f"/api/datasets/{dataset.pk}/",
        f"/api/datasets/{dataset.pk}/items/",
        f"/api/items/{item.pk}/",
        f"/api/items/{item.pk}/download/",
        f"/api/items/{item.pk}/thumbnail/",
        f"/api/items/{item.pk}/annotations/",
        f"/api/annotations/{annotation.pk}/",
        f"/api/tasks/{task.pk}/",
        f"/api/tasks/{task.pk}/items/",
    ]
    for url in reads:
        response = client.get(url)
        assert response.status_code == 404, url
    writes = [
        ("patch", f"/api/projects/{project.pk}/", {"name": "x"}),
        ("delete", f"/api/projects/{project.pk}/", None),
        ("post", f"/api/projects/{project.pk}/members/", {"username": "mallory", "role": "owner"}),
        ("delete", f"/api/projects/{project.pk}/members/{owner.pk}/", None),
        ("post", f"/api/projects/{project.pk}/datasets/", {"name": "x"}),
        ("post", f"/api/projects/{project.pk}/tasks/", {"datasetId": dataset.pk, "name": "x", "query": {}}),
        ("patch", f"/api/datasets/{dataset.pk}/", {"name": "x"}),
        ("delete", f"/api/datasets/{dataset.pk}/", None),
        ("patch", f"/api/items/{item.pk}/", {"hidden": True}),
        ("delete", f"/api/items/{item.pk}/", None),
        ("post", f"/api/items/{item.pk}/annotations/", {"type": "classification", "label": "y"}),
        ("patch", f"/api/annotations/{annotation.pk}/", {"label": "y"}),
        ("delete", f"/api/annotations/{annotation.pk}/", None),
        ("patch", f"/api/tasks/{task.pk}/", {"name": "y"}),
        ("delete", f"/api/tasks/{task.pk}/", None),
        ("post", f"/api/tasks/{task.pk}/items/{item.pk}/", {"done": True}),
    ]
    for method, url, body in writes:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url)
    response = client.post(
        f"/api/datasets/{dataset.pk}/items/", {"file": [upload("b.jpg", image_bytes())]}, format="multipart"
    )
    assert response.status_code == 404
    assert Item.objects.count() == 1 and Annotation.objects.get().label == "x"
    assert Project.objects.get().name == "Birds" and not Membership.objects.filter(user=outsider).exists()


def test_unknown_ids_are_404_as_well(api, owner):
    for url in ["/api/projects/999/", "/api/datasets/999/items/", "/api/items/999/download/", "/api/tasks/999/"]:
        assert api(owner).get(url).status_code == 404


def test_the_schema_documents_the_workspace_api_and_the_docs_page_loads(api, owner):
    client = api(owner)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path in [
        "/api/projects/",
        "/api/projects/{project_id}/members/{user_id}/",
        "/api/datasets/{dataset_id}/items/",
        "/api/items/{item_id}/download/",
        "/api/items/{item_id}/thumbnail/",
        "/api/projects/{project_id}/annotations/",
        "/api/tasks/{task_id}/items/{item_id}/",
    ]:
        assert path in schema["paths"], path
    upload_body = schema["paths"]["/api/datasets/{dataset_id}/items/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload_body
    params = schema["paths"]["/api/datasets/{dataset_id}/items/"]["get"]["parameters"]
    assert {"filter", "cursor", "page_size"} <= {p["name"] for p in params}
    assert client.get("/api/docs/").status_code == 200


def test_the_workspace_schema_is_valid_openapi_without_warnings(capsys):
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/", include("workspace.api.urls"))])
    validate_schema(generator.get_schema(request=None, public=True))
    assert not GENERATOR_STATS, capsys.readouterr().err


def test_user_model_is_djangos(owner):
    assert isinstance(owner, User)
