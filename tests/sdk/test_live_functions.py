"""The functions half of the SDK against a real server and real replicas, written as
the seed's code samples are (``import dataslot as dl``)."""

import io
import statistics
import textwrap
import time

import pytest
from PIL import Image

import dataslot as dl

pytestmark = pytest.mark.server

MAIN_PY = """
import os
import time

from PIL import Image

import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def __init__(self, greeting="hello"):
        self.greeting = greeting

    def noop(self):
        return None

    def echo(self, config):
        return {"greeting": self.greeting, "config": config}

    def rgb2gray(self, item: dl.Item, progress: dl.Progress):
        gray = Image.open(item.download(save_locally=False)).convert("L")
        progress.update(progress=50, message="converted")
        return item.dataset.items.upload(local_path=gray, remote_path="/gray" + item.dir, remote_name=item.name)

    def detect(self, item: dl.Item):
        builder = item.annotations.builder()
        builder.add(annotation_definition=dl.Box(top=1, left=1, bottom=3, right=3, label="thing"))
        return item.annotations.upload(builder)[0]

    def slow(self):
        for i in range(1000):
            self.kill_event()
            print(f"tick {i}", flush=True)
            time.sleep(0.02)

    def secret(self):
        return {"length": len(os.environ.get("MY_SECRET", ""))}
"""


def modules():
    item_in = [dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")]
    return [
        dl.PackageModule(
            name="image-processing",
            init_inputs=[dl.FunctionIO(type=dl.PackageInputType.STRING, name="greeting")],
            functions=[
                dl.PackageFunction(name="noop"),
                dl.PackageFunction(name="echo", inputs=[dl.FunctionIO(type=dl.PackageInputType.JSON, name="config")]),
                dl.PackageFunction(name="rgb2gray", inputs=item_in, outputs=item_in),
                dl.PackageFunction(
                    name="detect", inputs=item_in, outputs=[dl.FunctionIO(type=dl.PackageInputType.ANNOTATION)]
                ),
                dl.PackageFunction(name="slow"),
                dl.PackageFunction(name="secret"),
            ],
        )
    ]


def seed_slots():
    # The seed's §5.1 sample, verbatim apart from the import line.
    return [
        dl.PackageSlot(
            module_name="image-processing",
            function_name="rgb2gray",
            display_name="RGB2GRAY",
            post_action=dl.SlotPostAction(type=dl.SlotPostActionType.NO_ACTION),
            display_scopes=[
                dl.SlotDisplayScope(resource=dl.SlotDisplayScopeResource.ITEM, panel=dl.UiBindingPanel.ALL, filters={})
            ],
        )
    ]


@pytest.fixture(scope="module")
def package(live_project, tmp_path_factory):
    src = tmp_path_factory.mktemp("image-processing")
    (src / "main.py").write_text(textwrap.dedent(MAIN_PY))
    return live_project.packages.push(src_path=str(src), package_name="image-processing", modules=modules())


@pytest.fixture(scope="module")
def service(package):
    return package.services.deploy(
        service_name="image-processing",
        module_name="image-processing",
        init_input={"greeting": "hi"},
        execution_timeout=120,
    )


@pytest.fixture(scope="module")
def item(live_project):
    dataset = live_project.datasets.create(dataset_name="inputs")
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), "red").save(buffer, format="PNG")
    return dataset.items.upload(local_path=buffer.getvalue(), remote_path="/in", remote_name="red.png")


def test_push_gives_a_typed_package(package):
    assert package.version == 1
    assert package.slots == []
    assert [f.name for f in package.modules[0].functions][:3] == ["noop", "echo", "rgb2gray"]
    assert package.modules[0].functions[2].inputs[0].type == dl.PackageInputType.ITEM


def test_seed_update_flow_slots_revision_and_activation(live_project, package, service):
    # §5.2 and §5.3 of the seed, as written.
    slots = seed_slots()
    package.slots = slots
    package = package.update()
    assert package.version == 2
    [stored] = package.slots
    assert (stored.module_name, stored.function_name, stored.display_name) == (
        "image-processing",
        "rgb2gray",
        "RGB2GRAY",
    )
    assert stored.post_action.type == dl.SlotPostActionType.NO_ACTION
    assert [(s.resource, s.panel) for s in stored.display_scopes] == [("item", "all")]
    service.package_revision = package.version
    service.update()
    assert service.package_revision == 2
    answer = package.services.activate_slots(service=service, project_id=live_project.id, slots=slots)
    assert answer["serviceId"] == service.id and answer["projectId"] == live_project.id
    assert answer["slots"][0]["displayName"] == "RGB2GRAY"
    assert [r["version"] for r in package.revisions][-1] == 2
    assert service.id in [s.id for s in package.services.list()]


def test_execute_sync_returns_the_output(service):
    assert service.execute(function_name="echo", execution_input={"config": {"k": 1}}, sync=True) == {
        "greeting": "hi",
        "config": {"k": 1},
    }


def test_sync_noop_round_trip_is_fast(service):
    service.execute(function_name="noop", sync=True)  # warm the replica
    durations = []
    for _ in range(20):
        started = time.perf_counter()
        service.execute(function_name="noop", sync=True)
        durations.append(time.perf_counter() - started)
    p50 = statistics.median(durations)
    print(f"sync no-op execute: p50 {p50 * 1000:.0f} ms, max {max(durations) * 1000:.0f} ms")
    assert p50 < 0.2


def test_item_in_item_out(service, item):
    execution = service.execute(function_name="rgb2gray", item_id=item.id, sync=True, return_output=False)
    assert execution.status == dl.ExecutionStatus.SUCCESS
    assert execution.input == {"item": {"item_id": item.id}} or execution.input["item"]["item_id"] == item.id
    assert [s["status"] for s in execution.status_log][:1] == ["created"]
    assert execution.latest_status["percentComplete"] == 100
    gray = dl.items.get(item_id=execution.output["item_id"])
    assert gray.dir == "/gray/in" and gray.name == "red.png"


def test_annotation_output(service, item):
    output = service.execute(function_name="detect", item_id=item.id, sync=True)
    annotation = dl.annotations.get(annotation_id=output["annotation_id"])
    assert annotation.label == "thing" and annotation.source == "function"


def test_update_is_validated_by_the_server(service):
    service.execution_timeout = 1.5
    with pytest.raises(dl.exceptions.BadRequest) as caught:
        service.update()
    assert "executionTimeout" in str(caught.value) or "execution" in str(caught.value).lower()
    service.execution_timeout = 60
    service.on_reset = "rerun"
    service.max_attempts = 2
    updated = service.update()
    assert (updated.execution_timeout, updated.on_reset, updated.max_attempts) == (60, "rerun", 2)
    assert dl.services.get(service_id=service.id).execution_timeout == 60


def test_terminate_a_running_execution_and_read_its_logs(service):
    execution = service.execute(function_name="slow")
    deadline = time.monotonic() + 30
    while execution.refresh().status != dl.ExecutionStatus.IN_PROGRESS and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    execution.terminate()
    assert execution.to_terminate
    assert execution.wait(timeout=30).status == dl.ExecutionStatus.TERMINATED
    lines = list(execution.logs())
    assert any("tick 0" in line for line in lines)
    assert list(execution.logs(follow=True))[: len(lines)] == lines


def test_paused_service_queues_until_resumed(service):
    assert service.pause().active is False
    execution = service.execute(function_name="noop")
    time.sleep(0.5)
    assert execution.refresh().status == dl.ExecutionStatus.CREATED
    assert service.resume().active is True
    assert execution.wait(timeout=30).status == dl.ExecutionStatus.SUCCESS


def test_wait_times_out_and_rerun_requeues(service):
    execution = service.execute(function_name="slow")
    with pytest.raises(TimeoutError):
        execution.wait(timeout=0.2)
    execution.terminate().wait(timeout=30)
    assert execution.rerun().status in (dl.ExecutionStatus.CREATED, dl.ExecutionStatus.IN_PROGRESS)
    execution.terminate().wait(timeout=30)


def test_secrets_reach_only_the_service_as_environment(live_project, package):
    integration = live_project.integrations.create(name="MY_SECRET", value="s3cr3t-value")
    assert "value" not in integration.to_json()
    assert integration.id in [i.id for i in live_project.integrations.list()]
    # §7 of the seed: deploy(name=..., secrets=[id]).
    with_secret = package.services.deploy(
        name="with-integrations", module_name="image-processing", secrets=[integration.id]
    )
    assert with_secret.execute(function_name="secret", sync=True) == {"length": len("s3cr3t-value")}


def test_executions_list_and_batch(live_project, service, item):
    listed = list(service.executions.list())
    assert listed and all(e.service_id == service.id for e in listed)
    assert {e.id for e in live_project.executions.list(function_name="echo")}
    filters = dl.Filters(field="dir", values="/in")
    batch = service.execute_batch(filters=filters, function_name="detect")
    assert len(batch) == 1
    assert batch[0].refresh().wait(timeout=30).status == dl.ExecutionStatus.SUCCESS
