"""The functions half of the SDK against a real server and real replicas, written as
the seed's code samples are (``import dataslot as dl``). The samples themselves,
with each documented effect, are tests/sdk/test_specification.py."""

import textwrap
import time

import pytest

import dataslot as dl
from tests.support.images import png

pytestmark = pytest.mark.server

MAIN_PY = """
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

    def label_of(self, annotation: dl.Annotation):
        return {"label": annotation.label, "item_id": annotation.item_id}

    def task_name(self, task: dl.Task):
        return task.name

    def whereami(self, context: dl.Context):
        return {
            "execution_id": context.execution_id,
            "service_id": context.service_id,
            "project_id": context.project_id,
            "project_name": context.project.name,
        }
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
                dl.PackageFunction(
                    name="label_of", inputs=[dl.FunctionIO(type=dl.PackageInputType.ANNOTATION, name="annotation")]
                ),
                dl.PackageFunction(name="task_name", inputs=[dl.FunctionIO(type=dl.PackageInputType.TASK)]),
                dl.PackageFunction(name="whereami"),
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
    return dataset.items.upload(local_path=png((16, 12), "red"), remote_path="/in", remote_name="red.png")


def test_push_gives_a_typed_package(package):
    assert package.version == 1
    assert package.slots == []
    assert [f.name for f in package.modules[0].functions][:3] == ["noop", "echo", "rgb2gray"]
    assert package.modules[0].functions[2].inputs[0].type == dl.PackageInputType.ITEM


def test_execute_sync_returns_the_output(service):
    assert service.execute(function_name="echo", execution_input={"config": {"k": 1}}, sync=True) == {
        "greeting": "hi",
        "config": {"k": 1},
    }


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
    assert lines[:2] == ["tick 0\n", "tick 1\n"]
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
    done = service.execute(function_name="echo", execution_input={"config": 1}, sync=True, return_output=False)
    again = done.rerun()
    assert again.id == done.id and again.output is None
    assert again.wait(timeout=30).status == dl.ExecutionStatus.SUCCESS
    assert again.output == {"greeting": "hi", "config": 1}
    assert "Rerun requested." in [entry["message"] for entry in again.status_log]


def test_annotation_and_task_ids_reach_the_function_as_entities(live_project, service, item):
    [box] = item.annotations.upload(dl.Box(top=1, left=1, bottom=4, right=4, label="cat"))
    assert service.execute(function_name="label_of", annotation_id=box.id, item_id=item.id, sync=True) == {
        "label": "cat",
        "item_id": item.id,
    }
    task = live_project.tasks.create(task_name="check reds", dataset_id=item.dataset_id, items=[item.id])
    assert service.execute(function_name="task_name", task_id=task.id, sync=True) == "check reds"


def test_context_is_injected(live_project, service):
    execution = service.execute(function_name="whereami", sync=True, return_output=False)
    assert execution.output == {
        "execution_id": execution.id,
        "service_id": service.id,
        "project_id": live_project.id,
        "project_name": live_project.name,
    }


def test_deploy_options_are_kept_and_deploying_a_name_again_updates_it(live_project, package):
    deployed = package.services.deploy(
        service_name="options",
        module_name="image-processing",
        runtime={"concurrency": 2, "numReplicas": 1},
        execution_timeout=30,
        on_reset=dl.OnResetAction.RERUN,
        max_attempts=4,
        init_input=[dl.FunctionIO(type=dl.PackageInputType.STRING, name="greeting", value="hey")],
    )
    fetched = live_project.services.get(service_name="options")
    assert fetched.id == deployed.id
    assert (fetched.runtime.to_json(), fetched.execution_timeout, fetched.on_reset, fetched.max_attempts) == (
        {"concurrency": 2, "numReplicas": 1, "podType": "regular-s", "autoscaler": None},
        30,
        "rerun",
        4,
    )
    assert fetched.init_input == {"greeting": "hey"}
    again = live_project.services.deploy(package=package, service_name="options", execution_timeout=45)
    assert again.id == deployed.id and again.execution_timeout == 45
    assert again.execute(function_name="echo", execution_input={"config": 0}, sync=True)["greeting"] == "hey"
    assert again.delete() is True
    with pytest.raises(dl.exceptions.NotFound):
        live_project.services.get(service_name="options")


def test_push_with_slots_and_service_activate_slots_shows_all_of_them(live_project, tmp_path):
    (tmp_path / "main.py").write_text(
        "import dataslot as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
        "    def tag(self, item: dl.Item):\n        return None\n"
    )
    scope = dl.SlotDisplayScope(
        resource=dl.SlotDisplayScopeResource.ITEM,
        panel=dl.UiBindingPanel.BROWSER,
        filters=dl.Filters(field="metadata.system.mimetype", values="image/*"),
    )
    package = live_project.packages.push(
        src_path=str(tmp_path),
        package_name="tagger",
        modules=[
            dl.PackageModule(
                name="tagger", functions=[dl.PackageFunction(name="tag", inputs=[dl.FunctionIO(type="Item")])]
            )
        ],
        slots=[dl.PackageSlot(module_name="tagger", function_name="tag", display_name="Tag", display_scopes=[scope])],
    )
    assert [s.display_name for s in package.slots] == ["Tag"]
    assert package.slots[0].display_scopes[0].filters == scope.filters.prepare()
    service = package.services.deploy()
    assert service.name == "tagger" and service.module_name == "tagger"
    answer = service.activate_slots()
    assert (answer["projectId"], [s["displayName"] for s in answer["slots"]]) == (live_project.id, ["Tag"])
    browser = dl.client_api.get(f"/api/projects/{live_project.id}/slots/", {"resource": "item", "panel": "browser"})
    studio = dl.client_api.get(f"/api/projects/{live_project.id}/slots/", {"resource": "item", "panel": "studio"})
    assert "Tag" in [s["displayName"] for s in browser]
    assert "Tag" not in [s["displayName"] for s in studio]


def test_executions_list_and_batch(live_project, service, item):
    listed = list(service.executions.list().all())
    assert listed and all(e.service_id == service.id for e in listed)
    assert {e.id for e in live_project.executions.list(function_name="echo").all()}
    filters = dl.Filters(field="dir", values="/in")
    batch = service.execute_batch(filters=filters, function_name="detect")
    assert len(batch) == 1
    assert batch[0].refresh().wait(timeout=30).status == dl.ExecutionStatus.SUCCESS


def test_push_without_modules_declares_dtlpys_default_module_and_run(live_project, tmp_path):
    (tmp_path / "main.py").write_text(
        "import dataslot as dl\n\n\nclass ServiceRunner(dl.BaseServiceRunner):\n"
        "    def run(self):\n        print('ran', flush=True)\n        return 'done'\n"
    )
    package = live_project.packages.push(src_path=str(tmp_path), package_name="defaults")
    assert [(m.name, [f.name for f in m.functions]) for m in package.modules] == [("default_module", ["run"])]
    service = package.services.deploy()
    assert (service.name, service.module_name) == ("defaults", "default_module")
    execution = service.execute(sync=True, return_output=False)
    assert (execution.function_name, execution.output) == ("run", "done")
    assert "ran" in "".join(execution.logs())
