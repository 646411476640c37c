"""Triggers as a Dataloop user writes them (``service.triggers.create(...)``), against a real
server whose dispatcher runs the functions on real replicas."""

import textwrap
import time

import pytest

import dataslot as dl
from tests.support.images import png

pytestmark = pytest.mark.server

MAIN_PY = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def size(self, item: dl.Item):
        return {"name": item.name, "width": item.width}

    def explode(self, item: dl.Item):
        raise RuntimeError(f"cannot handle {item.name}")

    def tick(self, config):
        return config
"""


@pytest.fixture(scope="module")
def service(live_project, tmp_path_factory):
    src = tmp_path_factory.mktemp("triggered")
    (src / "main.py").write_text(textwrap.dedent(MAIN_PY))
    item_in = [dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")]
    module = dl.PackageModule(
        name="triggered",
        functions=[
            dl.PackageFunction(name="size", inputs=item_in),
            dl.PackageFunction(name="explode", inputs=item_in),
            dl.PackageFunction(name="tick", inputs=[dl.FunctionIO(type=dl.PackageInputType.JSON, name="config")]),
        ],
    )
    package = live_project.packages.push(src_path=str(src), package_name="triggered", modules=[module])
    return package.services.deploy(service_name="triggered", module_name="triggered", execution_timeout=60)


@pytest.fixture(scope="module")
def dataset(live_project):
    return live_project.datasets.create(dataset_name="triggered")


def wait_for(trigger, count: int, timeout: float = 30.0) -> list:
    deadline = time.monotonic() + timeout
    while True:
        executions = [e for e in trigger.executions().all() if e.finished]
        if len(executions) >= count or time.monotonic() > deadline:
            return sorted(executions, key=lambda e: e.id)
        time.sleep(0.1)


def test_an_item_uploaded_through_the_sdk_runs_the_triggered_function_once(service, dataset):
    filters = dl.Filters(field="dir", values="/incoming")
    trigger = service.triggers.create(
        name="on-upload",
        function_name="size",
        resource=dl.TriggerResource.ITEM,
        actions=dl.TriggerAction.CREATED,
        filters=filters,
        execution_mode=dl.TriggerExecutionMode.ONCE,
    )
    assert trigger.resource == "Item" and trigger.actions == ["Created"] and trigger.execution_mode == "Once"
    dataset.items.upload(local_path=png(color="blue"), remote_path="/elsewhere", remote_name="skip.png")
    item = dataset.items.upload(local_path=png(color="blue"), remote_path="/incoming", remote_name="new.png")
    (execution,) = wait_for(trigger, 1)
    assert execution.status == "success", execution.latest_status
    assert execution.output == {"name": "new.png", "width": 8}
    assert execution.trigger_id == trigger.id
    item = item[0] if isinstance(item, list) else item
    assert execution.input["item"]["item_id"] == item.id
    trigger.delete()


def test_a_function_failing_on_every_event_keeps_being_triggered_and_its_failures_show(service, dataset):
    trigger = service.triggers.create(
        name="always-fails", function_name="explode", resource="Item", actions=["Created"], filters={"dir": "/bad"}
    )
    for n in range(2):
        dataset.items.upload(local_path=png(color="blue"), remote_path="/bad", remote_name=f"{n}.png")
    first, second = wait_for(trigger, 2)
    assert (first.status, second.status) == ("failed", "failed")
    assert "cannot handle 1.png" in second.latest_status["message"]
    failed = list(service.executions.list(status="failed").all())
    assert {first.id, second.id} <= {e.id for e in failed}
    trigger.delete()


def test_a_deleted_item_runs_its_trigger_with_the_item_as_it_was(service, dataset):
    trigger = service.triggers.create(
        name="on-delete", function_name="size", resource=dl.TriggerResource.ITEM, actions=dl.TriggerAction.DELETED
    )
    item = dataset.items.upload(local_path=png(color="blue"), remote_path="/doomed", remote_name="gone.png")
    item = item[0] if isinstance(item, list) else item
    item.delete()
    (execution,) = wait_for(trigger, 1)
    assert (execution.status, execution.output) == ("success", {"name": "gone.png", "width": 8})
    trigger.delete()


def test_a_cron_trigger_runs_on_schedule_once_per_fire_time_until_paused(service):
    trigger = service.triggers.create(
        name="every-second",
        function_name="tick",
        trigger_type=dl.TriggerType.CRON,
        cron="* * * * * *",  # a sixth field: seconds
        inputs={"config": {"from": "cron"}},
    )
    runs = wait_for(trigger, 2)
    assert len(runs) >= 2 and all(r.output == {"from": "cron"} for r in runs)
    trigger.active = False
    trigger.update()
    stopped = len(list(trigger.executions().all()))
    created = [e.created_at for e in trigger.executions().all()]
    assert len(set(created)) == len(created)
    time.sleep(1.5)
    assert len(list(trigger.executions().all())) == stopped
    assert [t.name for t in service.triggers.list()] == ["every-second"]
    assert dl.triggers.get(trigger_id=trigger.id).active is False
    trigger.delete()
    assert service.triggers.list() == []


def test_a_meaningless_trigger_is_refused_naming_the_field(service):
    with pytest.raises(dl.exceptions.BadRequest, match="cron"):
        service.triggers.create(function_name="tick", trigger_type=dl.TriggerType.CRON, cron="not a schedule")
    with pytest.raises(dl.exceptions.BadRequest, match="actions"):
        service.triggers.create(function_name="size", resource=dl.TriggerResource.DATASET, actions="statusChanged")
    with pytest.raises(dl.exceptions.BadRequest, match="functionName"):
        service.triggers.create(function_name="nope", resource=dl.TriggerResource.ITEM)
