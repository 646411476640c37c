"""``execute_batch`` creates its executions in bulk (faas.services.executions): one row per
matching item, each exactly what a single ``execute`` would have made."""

import pytest

from faas.models import Execution, Service
from faas.representations import execution_json
from faas.services.executions import executions_create_batch
from faas.services.slots import batch_run
from tests.support.functions import function, idle_runner
from tests.support.inprocess import deploy, signed_in_owner
from workspace.models import Item

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

CODE = idle_runner('on_item(self, item, note="x")')


@pytest.fixture
def setup():
    user, project, dataset, client = signed_in_owner()
    # More items than one INSERT statement takes, so the batch crosses statements.
    Item.objects.bulk_create(
        Item(dataset=dataset, name=f"{i}.png", width=1, height=1, size=1, file="x", thumbnail="x") for i in range(1234)
    )
    modules = [{"name": "m", "functions": [function("on_item", ("item", "Item"), ("note", "Json"))]}]
    service = deploy(client, project.id, CODE, modules)
    return client, user, dataset, service


def test_a_batch_makes_one_created_execution_per_item_with_its_input_and_creator(setup):
    client, user, dataset, service = setup
    response = client.post(
        f"/api/services/{service['id']}/execute-batch/",
        {"functionName": "on_item", "filter": {"dir": "/"}, "args": {"note": "hi"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    ids = response.json()["ids"]
    assert len(ids) == 1234 == len(set(ids)) and response.json()["count"] == 1234
    rows = list(Execution.objects.filter(pk__in=ids).order_by("id"))
    assert [e.id for e in rows] == sorted(ids)
    item_ids = list(Item.objects.filter(dataset=dataset).order_by("id").values_list("id", flat=True))
    assert sorted(e.input["item"]["item_id"] for e in rows) == item_ids
    for execution in rows:
        assert execution.input["note"] == "hi"
        assert execution.status == "created" and execution.function_name == "on_item"
        assert execution.creator_id == user.id and execution.service_id == service["id"]
        assert [entry["status"] for entry in execution.status_log] == ["created"]
        assert execution.created_at is not None and execution.enqueued_at is not None


def test_the_returned_executions_are_the_stored_rows_and_render_without_queries(setup, django_assert_max_num_queries):
    _, user, _, service = setup
    svc = Service.objects.select_related("project").get(pk=service["id"])
    made = batch_run(service=svc, function_name="on_item", query={"dir": "/"}, user=user)
    with django_assert_max_num_queries(0):
        rendered = [execution_json(e) for e in made]
    stored = {e.id: execution_json(e) for e in Execution.objects.select_related("service", "creator").all()}
    assert {r["id"]: r for r in rendered} == stored
    made[0].status_log.append({"status": "x"})  # each execution owns its status log
    assert len(made[1].status_log) == 1


def test_a_batch_of_no_inputs_creates_nothing(setup):
    _, user, _, service = setup
    assert executions_create_batch(service=Service.objects.get(pk=service["id"]), function_name=None, inputs=[]) == []
    assert not Execution.objects.exists()
