"""Which slots a page offers for a selection, and running them (docs/design.md "Slots and display scopes")."""

import pytest
from django.contrib.auth.models import User

from faas.models import Execution, SlotActivation
from tests.support.functions import function, idle_runner, slot
from tests.support.inprocess import deploy, signed_in_owner
from tests.support.world import image_rows
from workspace.models import Annotation, Task
from workspace.services.projects import membership_set

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CODE = idle_runner(
    "on_item(self, item)",
    "on_items(self, items)",
    "in_studio(self, item)",
    "on_annotation(self, annotation)",
    "on_task(self, task)",
    "on_table(self, item)",
)
PNG_ONLY = {"$and": [{"hidden": False}, {"type": "file"}, {"metadata.system.mimetype": "image/png"}]}

SLOTS = [
    slot("on_item", "PNG everywhere", "noAction", filter=PNG_ONLY),
    slot("on_items", "Browser only", "noAction", panel="browser"),
    slot("in_studio", "Studio only", "drawAnnotation", panel="studio"),
    slot("on_annotation", "Annotation", "noAction", scopes=[("annotation", "studio", {})]),
    slot("on_task", "Task", "noAction", scopes=[("task", "browser", {})]),
    slot("on_table", "Table", "noAction", panel="table"),
]


@pytest.fixture
def setup():
    _, project, dataset, client = signed_in_owner()
    items = image_rows(dataset.id, ["0.png", "1.png", "2.jpeg"])
    annotation = Annotation.objects.create(item=items[0], type="classification", label="cat")
    task = Task.objects.create(dataset=dataset, name="t")
    modules = [
        {
            "name": "m",
            "functions": [
                function("on_item", ("item", "Item")),
                function("on_items", ("items", "Item[]")),
                function("in_studio", ("item", "Item")),
                function("on_annotation", ("annotation", "Annotation")),
                function("on_task", ("task", "Task")),
                function("on_table", ("item", "Item")),
            ],
        }
    ]
    service = deploy(client, project.id, CODE, modules, slots=SLOTS)
    response = client.post(f"/api/services/{service['id']}/activate-slots/", {"projectId": project.id}, format="json")
    assert response.status_code == 200, response.content
    return client, project, service, items, annotation, task


def run_slot(client, project, service, function_name, resource, panel, selection):
    body = {
        "serviceId": service["id"],
        "functionName": function_name,
        "resource": resource,
        "panel": panel,
        "selection": selection,
    }
    return client.post(f"/api/projects/{project.id}/slots/run/", body, format="json")


def names(client, project, resource, panel, selection=None):
    if selection is None:
        slots = client.get(f"/api/projects/{project.id}/slots/", {"resource": resource, "panel": panel}).json()
    else:
        slots = client.post(
            f"/api/projects/{project.id}/slots/resolve/",
            {"resource": resource, "panel": panel, "selection": selection},
            format="json",
        ).json()
    return {s["displayName"]: (s["enabled"], s["reason"]) for s in slots}


def test_each_page_shows_the_scopes_that_belong_to_it(setup):
    client, project, *_ = setup
    assert set(names(client, project, "item", "browser")) == {"PNG everywhere", "Browser only"}
    assert set(names(client, project, "item", "table")) == {"PNG everywhere", "Table"}
    assert set(names(client, project, "item", "studio")) == {"PNG everywhere", "Studio only"}
    assert set(names(client, project, "annotation", "studio")) == {"Annotation"}
    assert set(names(client, project, "task", "browser")) == {"Task"}


def test_a_slot_whose_filter_excludes_part_of_the_selection_is_disabled_with_the_reason(setup):
    client, project, _, items, *_ = setup
    png, _, jpeg = items
    assert names(client, project, "item", "browser", {"ids": [png.id]})["PNG everywhere"] == (True, None)
    enabled, reason = names(client, project, "item", "browser", {"ids": [png.id, jpeg.id]})["PNG everywhere"]
    assert enabled is False and reason == "1 selected item does not match this application's filter."
    assert names(client, project, "item", "browser", {"ids": [png.id, jpeg.id]})["Browser only"] == (True, None)
    everything = {"all": True, "excluded": [], "filter": {}, "datasetId": png.dataset_id}
    assert names(client, project, "item", "browser", everything)["PNG everywhere"][0] is False
    all_but_jpeg = {**everything, "excluded": [jpeg.id]}
    assert names(client, project, "item", "browser", all_but_jpeg)["PNG everywhere"] == (True, None)


def test_running_a_slot_creates_one_execution_per_selected_entity(setup):
    client, project, service, items, annotation, task = setup
    response = run_slot(client, project, service, "on_item", "item", "browser", {"ids": [items[0].id, items[1].id]})
    assert response.status_code == 201, response.content
    executions = response.json()["executions"]
    assert len({e["id"] for e in executions}) == 2
    assert sorted(e["input"]["item"]["item_id"] for e in executions) == [items[0].id, items[1].id]
    assert all(e["status"] == "created" for e in executions)
    # A list input gets the whole selection in one execution.
    listed = run_slot(
        client,
        project,
        service,
        "on_items",
        "item",
        "browser",
        {"all": True, "filter": {}, "datasetId": items[0].dataset_id},
    ).json()
    assert len(listed["executions"]) == 1 and len(listed["executions"][0]["input"]["items"]) == 3
    for fn, resource, panel, ident in (
        ("on_annotation", "annotation", "studio", annotation.id),
        ("on_task", "task", "browser", task.id),
    ):
        response = run_slot(client, project, service, fn, resource, panel, {"ids": [ident]})
        assert response.status_code == 201, response.content


def test_the_server_checks_a_click_again(setup):
    client, project, service, items, *_ = setup
    forged = run_slot(client, project, service, "on_item", "item", "browser", {"ids": [items[2].id]})
    assert forged.status_code == 400 and "does not match" in forged.json()["selection"][0]
    wrong_page = run_slot(client, project, service, "in_studio", "item", "browser", {"ids": [items[0].id]})
    assert wrong_page.status_code == 400
    assert not Execution.objects.exists()


def test_a_paused_services_slot_is_disabled_and_a_click_is_refused_with_409(setup):
    client, project, service, items, *_ = setup
    client.post(f"/api/services/{service['id']}/pause/")
    assert names(client, project, "item", "browser", {"ids": [items[0].id]})["PNG everywhere"] == (
        False,
        "Service paused.",
    )
    response = run_slot(client, project, service, "on_item", "item", "browser", {"ids": [items[0].id]})
    assert response.status_code == 409 and "paused" in response.json()["detail"]
    assert not Execution.objects.exists()


def test_activating_again_updates_the_one_record(setup):
    client, project, service, *_ = setup
    client.post(
        f"/api/services/{service['id']}/activate-slots/", {"projectId": project.id, "slots": [SLOTS[1]]}, format="json"
    )
    assert SlotActivation.objects.count() == 1
    assert set(names(client, project, "item", "browser")) == {"Browser only"}


def test_an_annotator_can_run_but_not_activate(setup):
    client, project, service, items, *_ = setup
    annotator = User.objects.create_user("annotator")
    membership_set(project=project, user=annotator, role="annotator")
    client.force_authenticate(annotator)
    assert client.post(f"/api/services/{service['id']}/activate-slots/", {}, format="json").status_code == 403
    response = run_slot(client, project, service, "on_items", "item", "browser", {"ids": [items[0].id]})
    assert response.status_code == 201
