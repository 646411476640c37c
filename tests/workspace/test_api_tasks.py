"""Labelling tasks: chosen by DQL or by ids, with progress as items are done."""

import json

import pytest

from tests.workspace.conftest import image_bytes
from workspace.models import Task, TaskItem

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def items(dataset, upload_items):
    made = []
    for batch in range(4):
        made += upload_items(dataset, [(f"b{batch}.jpg", image_bytes())], metadata=json.dumps({"user": {"b": batch}}))
    return made


def test_a_task_by_dql_query_takes_the_matching_items(api, developer, annotator, project, dataset, items):
    response = api(developer).post(
        f"/api/projects/{project.pk}/tasks/",
        {
            "datasetId": dataset.pk,
            "name": "Late batches",
            "dueDate": "2030-01-31",
            "assignees": ["ann"],
            "query": {"name": {"$in": ["b2.jpg", "b3.jpg"]}},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    task = response.json()
    assert set(task) == {
        "id", "projectId", "datasetId", "name", "status", "dueDate", "query", "assignees", "itemsTotal",
        "itemsDone", "progress", "metadata", "createdAt",
    }  # fmt: skip
    assert (task["itemsTotal"], task["itemsDone"], task["progress"], task["status"]) == (2, 0, 0, "open")
    assert (task["assignees"], task["dueDate"], task["projectId"]) == (["ann"], "2030-01-31", project.pk)
    assert task["query"] == {"name": {"$in": ["b2.jpg", "b3.jpg"]}}


def test_a_task_by_ids_shows_its_items_and_progress(api, developer, annotator, project, dataset, items):
    ids = [items[0]["id"], items[2]["id"], items[3]["id"]]
    response = api(developer).post(
        f"/api/projects/{project.pk}/tasks/", {"datasetId": dataset.pk, "name": "Pick", "itemIds": ids}, format="json"
    )
    assert response.status_code == 201, response.content
    task = response.json()
    client = api(annotator)
    page = client.get(f"/api/tasks/{task['id']}/items/").json()
    assert [(i["id"], i["done"]) for i in page["results"]] == [(i, False) for i in ids]

    response = client.post(f"/api/tasks/{task['id']}/items/{ids[1]}/", {"done": True}, format="json")
    assert response.status_code == 200
    assert (response.json()["itemsDone"], response.json()["progress"]) == (1, 33)
    # Marking it again changes nothing; un-marking takes it back.
    assert (
        client.post(f"/api/tasks/{task['id']}/items/{ids[1]}/", {"done": True}, format="json").json()["itemsDone"] == 1
    )
    for item_id in ids:
        last = client.post(f"/api/tasks/{task['id']}/items/{item_id}/", {"done": True}, format="json").json()
    assert (last["itemsDone"], last["progress"]) == (3, 100)
    assert (
        client.post(f"/api/tasks/{task['id']}/items/{ids[0]}/", {"done": False}, format="json").json()["itemsDone"] == 2
    )
    done = [i["done"] for i in client.get(f"/api/tasks/{task['id']}/items/").json()["results"]]
    assert done == [False, True, True]
    # An item outside the task is not one of its items.
    assert client.post(f"/api/tasks/{task['id']}/items/{items[1]['id']}/", {"done": True}).status_code == 404


def test_tasks_are_listed_changed_and_deleted(api, developer, project, dataset, items):
    client = api(developer)
    created = client.post(
        f"/api/projects/{project.pk}/tasks/", {"datasetId": dataset.pk, "name": "All", "query": {}}, format="json"
    ).json()
    assert created["itemsTotal"] == 4
    listed = client.get(f"/api/projects/{project.pk}/tasks/").json()
    assert [t["id"] for t in listed["results"]] == [created["id"]]
    url = f"/api/tasks/{created['id']}/"
    response = client.patch(
        url,
        {"name": "Everything", "status": "in-progress", "dueDate": "2031-02-03", "assignees": ["ann"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["status"], body["dueDate"], body["assignees"]) == (
        "Everything", "in-progress", "2031-02-03", ["ann"],
    )  # fmt: skip
    assert client.delete(url).status_code == 204
    assert not Task.objects.exists() and not TaskItem.objects.exists()


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"query": {"name": {"$near": 1}}}, "query", "$near"),
        ({"itemIds": [999999]}, "itemIds", "Not items of this dataset"),
        ({"query": {}, "itemIds": [1]}, "query", "not both"),
        ({}, "query", "not neither"),
        ({"query": {}, "assignees": ["mallory"]}, "assignees", "Not a member"),
        # A name that exists nowhere answers as one that exists outside the project.
        ({"query": {}, "assignees": ["nobody"]}, "assignees", "Not a member"),
        ({"query": {}, "status": "x"}, None, None),
    ],
)
def test_bad_tasks_are_refused(api, developer, outsider, project, dataset, items, body, field, message):
    response = api(developer).post(
        f"/api/projects/{project.pk}/tasks/", {"datasetId": dataset.pk, "name": "T", **body}, format="json"
    )
    if field is None:  # unknown fields are ignored; status is set with PATCH
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.content
    assert message in response.json()[field][0]
    assert not Task.objects.exists()


def test_a_dataset_of_another_project_cannot_be_used(api, developer, outsider, project):
    from workspace.services.projects import dataset_create, project_create

    theirs = dataset_create(project=project_create(name="Other", owner=outsider), name="D")
    response = api(developer).post(
        f"/api/projects/{project.pk}/tasks/", {"datasetId": theirs.pk, "name": "T", "query": {}}, format="json"
    )
    assert response.status_code == 400 and response.json()["datasetId"]


def test_an_item_in_two_tasks_is_listed_once_per_task_with_that_tasks_done(api, developer, project, dataset, items):
    client = api(developer)
    ids = [i["id"] for i in items]
    tasks = [
        client.post(
            f"/api/projects/{project.pk}/tasks/", {"datasetId": dataset.pk, "name": name, "itemIds": ids}, format="json"
        ).json()
        for name in ("First", "Second")
    ]
    client.post(f"/api/tasks/{tasks[0]['id']}/items/{ids[0]}/", {"done": True}, format="json")
    first = client.get(f"/api/tasks/{tasks[0]['id']}/items/").json()["results"]
    second = client.get(f"/api/tasks/{tasks[1]['id']}/items/").json()["results"]
    assert [(i["id"], i["done"]) for i in first] == [(ids[0], True)] + [(i, False) for i in ids[1:]]
    assert [(i["id"], i["done"]) for i in second] == [(i, False) for i in ids]
