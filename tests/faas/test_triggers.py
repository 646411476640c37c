"""Triggers (docs/api.md, "Triggers"): what they refuse, which events run a function, how
often, and cron schedules that fire once per fire time whoever fires them.

The outbox is drained here by calling the pump's own turn (``trigger_events_process``);
tests/sdk/test_live_triggers.py runs the same path end to end on a real server.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from faas.models import Execution, Trigger, TriggerEvent, TriggerFire
from faas.services import services as service_services
from faas.services.trigger_events import trigger_events_process
from faas.services.trigger_schedule import triggers_cron_fire
from tests.support.functions import function, idle_runner
from tests.support.images import png
from tests.support.inprocess import deploy, signed_in_owner
from workspace.models import Item
from workspace.services.annotations import annotation_create, annotation_delete
from workspace.services.items import item_update
from workspace.services.projects import dataset_create, project_create
from workspace.services.tasks import task_create, task_item_status_set, task_update

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CODE = idle_runner(
    "on_item(self, item)",
    "on_annotation(self, annotation)",
    "on_task(self, task)",
    "tick(self, config)",
    "nothing(self)",
)


def png_file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png((4, 4), "red"), content_type="image/png")


@pytest.fixture
def world():
    user, project, dataset, client = signed_in_owner()
    modules = [
        {
            "name": "m",
            "functions": [
                function("on_item", ("item", "Item")),
                function("on_annotation", ("annotation", "Annotation")),
                function("on_task", ("task", "Task")),
                function("tick", ("config", "Json")),
                function("nothing"),
            ],
        }
    ]
    service = deploy(client, project.id, CODE, modules)
    return {"user": user, "project": project, "dataset": dataset, "client": client, "service_id": service["id"]}


def create(world, expect=201, **body):
    response = world["client"].post(f"/api/services/{world['service_id']}/triggers/", body, format="json")
    assert response.status_code == expect, response.content
    return response.json()


def upload(world, *names):
    response = world["client"].post(
        f"/api/datasets/{world['dataset'].id}/items/", {"file": [png_file(n) for n in names]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return Item.objects.filter(dataset=world["dataset"], name__in=names)


def drain():
    while trigger_events_process():
        pass


def executions_of(trigger):
    return list(Execution.objects.filter(trigger_id=trigger["id"]).order_by("id"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"resource": "Item", "actions": ["Created"], "filters": {"$and": [{"nope": 1}]}}, "filters"),
        ({"resource": "Item", "actions": ["Created"], "filters": "{not json"}, "filters"),
        ({"resource": "Item", "actions": ["Created"], "functionName": "missing"}, "functionName"),
        ({"resource": "Item", "actions": ["Created"], "functionName": "on_annotation"}, "functionName"),
        ({"resource": "Item", "actions": ["statusChanged"], "functionName": "on_item"}, "actions"),
        ({"resource": "ItemStatus", "actions": ["Created"], "functionName": "on_item"}, "actions"),
        ({"resource": "Assignment", "actions": ["Created"], "functionName": "on_item"}, "resource"),
        ({"resource": "Item", "actions": ["Exploded"], "functionName": "on_item"}, "actions"),
        ({"resource": "Item", "actions": [], "functionName": "on_item"}, "actions"),
        ({"type": "Cron", "cron": "every tuesday", "functionName": "nothing"}, "cron"),
        ({"type": "Cron", "cron": "61 * * * *", "functionName": "nothing"}, "cron"),
        ({"type": "Cron", "cron": "* * * * *", "functionName": "tick"}, "inputs"),
        ({"type": "Cron", "cron": "* * * * *", "functionName": "nothing", "startAt": "soon"}, "startAt"),
        ({"type": "Sometimes", "functionName": "nothing"}, "type"),
    ],
)
def test_a_trigger_that_cannot_work_is_refused_with_a_400_naming_the_field(world, body, field):
    answer = create(world, expect=400, **body)
    assert field in answer, answer
    assert Trigger.objects.count() == 0


def test_an_item_upload_runs_the_function_once_per_matching_item_after_commit(world):
    trigger = create(
        world,
        name="new-pngs",
        functionName="on_item",
        spec={"resource": "Item", "actions": ["Created"], "filter": {"name": {"$in": ["a.png", "b.png"]}}},
    )
    assert trigger["spec"]["operation"] == {
        "type": "function",
        "serviceId": world["service_id"],
        "functionName": "on_item",
    }
    items = upload(world, "a.png", "b.png", "c.png")
    assert Execution.objects.count() == 0  # nothing runs inside the upload's request
    drain()
    runs = executions_of(trigger)
    matching = sorted(i.id for i in items if i.name != "c.png")
    assert sorted(e.input["item"]["item_id"] for e in runs) == matching
    assert {e.trigger_id for e in runs} == {trigger["id"]}
    answer = world["client"].get(f"/api/executions/{runs[0].id}/").json()
    assert answer["triggerId"] == trigger["id"]
    drain()  # the event was consumed: draining again runs nothing more
    assert len(executions_of(trigger)) == 2


def test_once_runs_once_per_entity_and_always_on_every_event(world):
    once = create(world, name="once", functionName="on_item", resource="Item", actions=["Updated"])
    always = create(
        world, name="always", functionName="on_item", resource="Item", actions=["Updated"], executionMode="Always"
    )
    (item,) = upload(world, "a.png")
    for n in range(3):
        item_update(item=item, metadata={"n": n})
    drain()
    assert len(executions_of(once)) == 1
    assert len(executions_of(always)) == 3


def test_annotation_and_task_item_status_events_run_their_triggers(world):
    drawn = create(world, name="drawn", functionName="on_annotation", resource="Annotation", actions=["Created"])
    gone = create(
        world,
        name="gone",
        functionName="on_annotation",
        resource="Annotation",
        actions=["Deleted"],
        filters={"label": "cat"},
    )
    done = create(world, name="done", functionName="on_item", resource="ItemStatus", actions=["statusChanged"])
    (item,) = upload(world, "a.png")
    cat = annotation_create(item=item, type="classification", label="cat")
    dog = annotation_create(item=item, type="classification", label="dog")
    drain()  # (an entity deleted before its Created event is handled has nothing left to run on)
    annotation_delete(annotation=annotation_get(cat.id))
    annotation_delete(annotation=annotation_get(dog.id))
    task = task_create(dataset=world["dataset"], name="t", item_ids=[item.id])
    task_item_status_set(task=task, item=item, done=True)
    drain()
    assert [e.input["annotation"]["annotation_id"] for e in executions_of(drawn)] == [cat.id, dog.id]
    assert [e.input["annotation"]["annotation_id"] for e in executions_of(gone)] == [cat.id]
    assert [e.input["item"]["item_id"] for e in executions_of(done)] == [item.id]


def test_a_task_status_change_runs_its_statuschanged_trigger_once_and_a_rename_does_not(world):
    changed = create(world, name="task-done", functionName="on_task", resource="Task", actions=["statusChanged"])
    (item,) = upload(world, "t.png")
    task = task_create(dataset=world["dataset"], name="t", item_ids=[item.id])
    drain()
    task_update(task=task, name="renamed")
    task_update(task=task, status="completed")
    task_update(task=task, status="completed")  # the same status again: no change
    drain()
    assert [e.input["task"]["task_id"] for e in executions_of(changed)] == [task.id]


def annotation_get(pk):
    from workspace.models import Annotation

    return Annotation.objects.select_related("item__dataset").get(pk=pk)


def test_a_paused_trigger_or_service_queues_nothing_and_other_projects_events_never_reach_it(world):
    trigger = create(world, name="t", functionName="on_item", resource="Item", actions=["Created"])
    other_owner = User.objects.create_user("other")
    other = dataset_create(project=project_create(name="Q", owner=other_owner), name="d")
    client = APIClient()
    client.force_authenticate(other_owner)
    client.post(f"/api/datasets/{other.id}/items/", {"file": [png_file("x.png")]}, format="multipart")
    paused = world["client"].patch(f"/api/triggers/{trigger['id']}/", {"active": False}, format="json")
    assert paused.status_code == 200 and paused.json()["active"] is False
    upload(world, "a.png")
    world["client"].patch(f"/api/triggers/{trigger['id']}/", {"active": True}, format="json")
    service = service_services.Service.objects.get(pk=world["service_id"])
    service_services.service_pause(service=service)
    upload(world, "b.png")
    drain()
    assert executions_of(trigger) == []
    assert TriggerEvent.objects.count() == 0


def test_triggers_are_listed_updated_and_deleted_through_the_api(world):
    trigger = create(world, name="t", functionName="on_item", resource="Item", actions=["Created"])
    client = world["client"]
    listed = client.get(f"/api/services/{world['service_id']}/triggers/").json()
    assert [t["name"] for t in listed] == ["t"]
    assert [t["id"] for t in client.get(f"/api/projects/{world['project'].id}/triggers/").json()] == [trigger["id"]]
    changed = client.patch(
        f"/api/triggers/{trigger['id']}/", {"spec": {"filter": {"name": "x*"}, "actions": ["Updated"]}}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["spec"]["filter"] == {"name": "x*"} and changed.json()["spec"]["actions"] == ["Updated"]
    bad = client.patch(f"/api/triggers/{trigger['id']}/", {"spec": {"filter": {"$nor": []}}}, format="json")
    assert bad.status_code == 400 and "filters" in bad.json()
    duplicate = create(world, expect=400, name="t", functionName="on_item")
    assert "name" in duplicate
    assert client.delete(f"/api/triggers/{trigger['id']}/").status_code == 204
    assert client.get(f"/api/triggers/{trigger['id']}/").status_code == 404


def test_a_stranger_cannot_see_or_change_a_projects_triggers(world):
    trigger = create(world, name="t", functionName="on_item")
    stranger = APIClient()
    stranger.force_authenticate(User.objects.create_user("stranger"))
    assert stranger.get(f"/api/triggers/{trigger['id']}/").status_code == 404
    assert stranger.delete(f"/api/triggers/{trigger['id']}/").status_code == 404
    assert stranger.get(f"/api/services/{world['service_id']}/triggers/").status_code == 404


def test_a_cron_trigger_fires_each_fire_time_once_however_many_dispatchers_call_it(world):
    trigger = create(
        world, name="every-minute", type="Cron", cron="* * * * *", functionName="tick", inputs={"config": {"k": 1}}
    )
    row = Trigger.objects.get(pk=trigger["id"])
    minute = (row.created_at + timedelta(minutes=1)).replace(second=0, microsecond=0)
    assert triggers_cron_fire(now=minute - timedelta(seconds=1)) == 0  # before its first fire time
    fired = [triggers_cron_fire(now=minute + timedelta(seconds=s)) for s in (0, 1, 2)]
    assert fired == [1, 0, 0]
    assert triggers_cron_fire(now=minute + timedelta(minutes=1, seconds=1)) == 1
    runs = executions_of(trigger)
    assert [e.input for e in runs] == [{"config": {"k": 1}}] * 2
    assert TriggerFire.objects.filter(trigger_id=trigger["id"]).count() == 1  # only the latest is kept


def test_a_cron_trigger_keeps_to_its_window_and_skips_what_a_pause_missed(world):
    start = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    trigger = create(
        world,
        name="window",
        type="Cron",
        cron="0 * * * *",
        functionName="nothing",
        startAt="2030-01-01T12:00:00Z",
        endAt="2030-01-01T14:30:00Z",
    )
    assert triggers_cron_fire(now=start - timedelta(hours=1)) == 0
    assert triggers_cron_fire(now=start + timedelta(seconds=5)) == 1
    # Paused through 13:00: that fire time is not run late after the resume.
    assert triggers_cron_fire(now=start + timedelta(hours=1, minutes=5)) == 0
    assert triggers_cron_fire(now=start + timedelta(hours=2, seconds=5)) == 1
    assert triggers_cron_fire(now=start + timedelta(hours=3, seconds=5)) == 0  # past endAt
    assert len(executions_of(trigger)) == 2


def test_the_service_page_section_shows_each_trigger_and_its_failures(world):
    from django.template import Context, Template

    trigger = create(world, name="shown", functionName="on_item", resource="Item", actions=["Created"])
    upload(world, "a.png")
    drain()
    Execution.objects.filter(trigger_id=trigger["id"]).update(status="failed", message="boom on a.png")
    service = service_services.Service.objects.get(pk=world["service_id"])
    html = Template("{% load service_triggers %}{% service_triggers service %}").render(Context({"service": service}))
    assert "shown" in html and "Item: Created" in html and "boom on a.png" in html


def test_the_admin_lists_and_pauses_triggers(world):
    from django.test import Client

    trigger = create(world, name="admin-me", functionName="on_item")
    admin = User.objects.create_superuser("root", password="pw")
    client = Client()
    client.force_login(admin)
    assert "admin-me" in client.get("/admin/faas/trigger/").content.decode()
    client.post("/admin/faas/trigger/", {"action": "pause_triggers", "_selected_action": [trigger["id"]]})
    assert Trigger.objects.get(pk=trigger["id"]).active is False
