"""The tasks browser and a task's page: who may open them, what they list, and their pages."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model

from studio.tasks import selectors
from tests.support.html import StartTags
from tests.support.images import png
from workspace.services.items import item_create
from workspace.services.projects import dataset_create, project_create
from workspace.services.tasks import task_create, task_item_status_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(project):
    dataset = dataset_create(project=project, name="Spring")
    for n in range(3):
        item_create(dataset=dataset, file=png((8, 8)), name=f"bird-{n}.png", dir="/garden")
    return dataset


@pytest.fixture
def task(dataset, owner, annotator):
    task = task_create(
        dataset=dataset,
        name="Count <b>birds</b>",
        query={"dir": "/garden"},
        assignees=["ann"],
        due_date=datetime.date(2030, 5, 17),
        user=owner,
    )
    task_item_status_set(task=task, item=dataset.items.order_by("id").first())
    return task


@pytest.fixture
def other_task(owner):
    elsewhere = project_create(name="Fish", owner=owner)
    dataset = dataset_create(project=elsewhere, name="Pond")
    item_create(dataset=dataset, file=png((8, 8)), name="carp.png")
    return task_create(dataset=dataset, name="Count fish", query={}, user=owner)


@pytest.mark.parametrize("path", ["tasks/", "tasks/{task}/"])
def test_anonymous_visitors_are_sent_to_login(client, project, task, path):
    url = f"/projects/{project.pk}/" + path.format(task=task.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("path", ["tasks/", "tasks/{task}/"])
def test_non_members_get_404(client, project, task, path):
    client.force_login(get_user_model().objects.create_user("mallory", password="pw"))
    assert client.get(f"/projects/{project.pk}/" + path.format(task=task.pk)).status_code == 404


def test_a_task_of_another_project_is_404_under_this_one(client, owner, project, other_task):
    client.force_login(owner)  # a member of both projects
    assert client.get(f"/projects/{project.pk}/tasks/{other_task.pk}/").status_code == 404


def test_the_tasks_browser_lists_only_the_projects_tasks_with_their_progress(
    client, annotator, project, task, other_task
):
    client.force_login(annotator)
    body = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    page = StartTags(body)

    rows = page.with_attr("tr", "data-task-id")
    assert [int(r["data-task-id"]) for r in rows] == [task.pk]
    assert [b["value"] for b in page.with_attr("input", "value") if "select-task" in b.get("class", "")] == [
        str(task.pk)
    ]
    (bar,) = [a for t, a in page.found if a.get("role") == "progressbar"]
    assert bar["aria-valuenow"] == "33"  # 1 of 3 items done, a percent 0-100
    assert "1/3" in body and "33%" in body
    assert "Count &lt;b&gt;birds&lt;/b&gt;" in body and "<b>birds</b>" not in body
    assert "ann" in body and "2030-05-17" in body
    assert "Count fish" not in body


def test_a_tasks_page_lists_its_items_with_their_done_state_and_studio_links(client, annotator, project, task):
    client.force_login(annotator)
    page = StartTags(client.get(f"/projects/{project.pk}/tasks/{task.pk}/").content.decode())

    items = page.with_attr("li", "data-item-id")
    ids = [int(i["data-item-id"]) for i in items]
    assert ids == sorted(ids) and len(ids) == 3
    assert [i["data-done"] for i in items] == ["true", "false", "false"]
    links = [a["href"] for a in page.with_attr("a", "href") if "/items/" in a["href"]]
    assert links[0] == f"/projects/{project.pk}/items/{ids[0]}/?task={task.pk}"  # the studio in the task's context
    assert [a["src"] for a in page.with_attr("img", "src")] == [f"/api/items/{i}/thumbnail/" for i in ids]


def test_a_tasks_items_are_paginated_by_keyset(client, annotator, project, task, monkeypatch):
    monkeypatch.setattr(selectors, "TASK_ITEMS_PAGE_SIZE", 2)
    client.force_login(annotator)
    url = f"/projects/{project.pk}/tasks/{task.pk}/"

    def page(query=""):
        found = StartTags(client.get(url + query).content.decode())
        ids = [int(i["data-item-id"]) for i in found.with_attr("li", "data-item-id")]
        pager = {a["rel"]: a["href"] for a in found.with_attr("a", "rel") if a["rel"] in ("prev", "next")}
        return ids, pager

    first, pager = page()
    assert len(first) == 2 and set(pager) == {"next"}
    second, pager = page(pager["next"].removeprefix(url))
    assert len(second) == 1 and second[0] > first[-1] and set(pager) == {"prev"}
    back, pager = page(pager["prev"].removeprefix(url))
    assert back == first and set(pager) == {"next"}
    # A stale cursor past the end, or garbage, shows the first page rather than nothing.
    assert page(f"?after={second[0]}")[0] == first
    assert page("?before=abc")[0] == first


def _task_bar(client, project, item_id, task_id) -> tuple[int, str]:
    response = client.get(f"/projects/{project.pk}/items/{item_id}/?task={task_id}")
    return response.status_code, response.content.decode()


def test_the_studio_opened_from_a_task_walks_the_tasks_items_and_offers_the_next_unfinished(
    client, annotator, project, task
):
    client.force_login(annotator)
    first, second, third = task.items.order_by("id").values_list("id", flat=True)
    task_item_status_set(task=task, item=task.items.get(pk=second))  # first and second done

    status, body = _task_bar(client, project, third, task.pk)
    assert status == 200
    page = StartTags(body)
    (button,) = [a for t, a in page.found if a.get("id") == "task-item-done"]
    assert button["aria-pressed"] == "false"
    (previous,) = [a for t, a in page.found if a.get("id") == "previous-item"]
    assert previous["href"] == f"/projects/{project.pk}/items/{second}/?task={task.pk}"
    assert "Count &lt;b&gt;birds&lt;/b&gt;" in body and "2/3" in body
    # Nothing unfinished after the last item and nothing before it either: no link.
    (unfinished,) = [a for t, a in page.found if a.get("id") == "next-unfinished"]
    assert "href" not in unfinished

    task_item_status_set(task=task, item=task.items.get(pk=first), done=False)
    _, body = _task_bar(client, project, third, task.pk)
    (unfinished,) = [a for t, a in StartTags(body).found if a.get("id") == "next-unfinished"]
    assert unfinished["href"] == f"/projects/{project.pk}/items/{first}/?task={task.pk}"  # wraps to the start


def test_a_task_link_for_an_item_outside_the_task_says_so_and_a_foreign_task_is_404(
    client, owner, annotator, project, dataset, task, other_task
):
    client.force_login(owner)
    outside = item_create(dataset=dataset, file=png((8, 8)), name="cat.png", dir="/street")
    status, body = _task_bar(client, project, outside.pk, task.pk)
    assert status == 200 and 'id="task-warning"' in body and 'id="task-bar"' not in body
    for bad in (other_task.pk, "x", 2**70):
        assert _task_bar(client, project, outside.pk, bad)[0] == 404


def test_an_annotator_sees_my_tasks_first_and_can_see_all(client, owner, annotator, project, dataset, task):
    mine_only = task_create(dataset=dataset, name="Owner's own", query={}, assignees=["olivia"], user=owner)
    client.force_login(annotator)
    body = client.get(f"/projects/{project.pk}/tasks/").content.decode()
    assert "My tasks</h1>" in body and f'data-task-id="{task.pk}"' in body
    assert f'data-task-id="{mine_only.pk}"' not in body
    body = client.get(f"/projects/{project.pk}/tasks/?show=all").content.decode()
    assert f'data-task-id="{mine_only.pk}"' in body


def test_marking_an_item_done_twice_moves_the_progress_once(task):
    item = task.items.order_by("id").last()
    assert task_item_status_set(task=task, item=item).items_done == 2
    assert task_item_status_set(task=task, item=item).items_done == 2
    assert task_item_status_set(task=task, item=item, done=False).items_done == 1
