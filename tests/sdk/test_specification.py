"""The user's specification (Dataloop's FaaS tutorial; docs/design.md "Purpose"), sections 5, 6 and 7,
as a test: every code sample runs as written with only the import changed to
``import dataslot as dl`` (the 60-second timeout is shortened to 1 s where it must be
enforced), against a real server with real replicas, and each documented effect is
asserted.

The samples are marked ``# -- spec §x.y`` below; the lines between such a marker and
``# -- end`` are the specification's own.
"""

import textwrap
import time

import pytest

import dataslot as dl
from tests.support.images import png

pytestmark = pytest.mark.server

SECRET_VALUE = "integration-value-7f3a"

# The package's code: the tutorial's rgb2gray (which the slot binds to), §6.1's
# ServiceRunner.detect as written, a long "training" whose work is cut by the same
# checkpoints, and §7's two lines inside a function.
MAIN_PY = '''
import time

from PIL import Image

import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def rgb2gray(self, item: dl.Item):
        gray = Image.open(item.download(save_locally=False)).convert("L")
        return item.dataset.items.upload(local_path=gray, remote_path="/gray" + item.dir, remote_name=item.name)

    # -- spec §6.1
    def detect(self, item: dl.Item):
        # Do some work
        foo = 0
        self.kill_event()
        # Do some more work
        bar = 1
        self.kill_event()
        # Sleep for a while
        import time
        time.sleep(1)
        # And... done!
        return
    # -- end

    def train(self, item: dl.Item):
        """§6.1's pattern over a long run (model training): a checkpoint after each epoch."""
        for epoch in range(200):
            time.sleep(0.05)  # an epoch of work
            print(f"epoch {epoch} saved", flush=True)
            self.kill_event()
        return

    def show_secret(self):
        # -- spec §7
        import os
        print(os.environ['INTEGRATION_NAME'])
        # -- end
'''


def image_processing_module():
    item = [dl.FunctionIO(type=dl.PackageInputType.ITEM, name="item")]
    return dl.PackageModule(
        name="image-processing",
        functions=[
            dl.PackageFunction(name="rgb2gray", inputs=item, outputs=item),
            dl.PackageFunction(name="detect", inputs=item),
            dl.PackageFunction(name="train", inputs=item),
            dl.PackageFunction(name="show_secret"),
        ],
    )


def spec_slots():
    # -- spec §5.1 (only the import line differs)
    # fmt: off
    slots = [
        dl.PackageSlot(module_name='image-processing',
                       function_name='rgb2gray',
                       display_name='RGB2GRAY',
                       post_action=dl.SlotPostAction(type=dl.SlotPostActionType.NO_ACTION),
                       display_scopes=[
                           dl.SlotDisplayScope(
                               resource=dl.SlotDisplayScopeResource.ITEM,
                               panel=dl.UiBindingPanel.ALL,
                               filters={})])
    ]
    # fmt: on
    # -- end
    return slots


def slot_names(project, panel, resource="item"):
    """What a page of the project offers: ``{displayName: (enabled, reason)}``."""
    listed = dl.client_api.get(f"/api/projects/{project.id}/slots/", {"resource": resource, "panel": panel})
    return {s["displayName"]: (s["enabled"], s["reason"]) for s in listed}


def click(project, service, item, panel="browser"):
    """A click on the slot's button for one selected item, as the dataset browser sends it."""
    answer = dl.client_api.post(
        f"/api/projects/{project.id}/slots/run/",
        {
            "serviceId": service.id,
            "functionName": "rgb2gray",
            "resource": "item",
            "panel": panel,
            "selection": {"ids": [item.id]},
        },
    )
    return [dl.Execution(e) for e in answer["executions"]]


@pytest.fixture(scope="module")
def project(live_project):
    return live_project


@pytest.fixture(scope="module")
def package(project, tmp_path_factory):
    # The tutorial pushed and deployed the package before §5; its slots come with §5.2.
    src = tmp_path_factory.mktemp("image-processing")
    (src / "main.py").write_text(textwrap.dedent(MAIN_PY))
    return project.packages.push(
        src_path=str(src), package_name="image-processing", modules=[image_processing_module()]
    )


@pytest.fixture(scope="module")
def service(package):
    return package.services.deploy(service_name="image-processing", module_name="image-processing")


@pytest.fixture(scope="module")
def item(project):
    dataset = project.datasets.create(dataset_name="spec")
    return dataset.items.upload(local_path=png((16, 12), "red"), remote_path="/in", remote_name="red.png")


@pytest.fixture(scope="module")
def runner(package):
    """A second, active service of the same package for §6 (§5 ends by pausing its own)."""
    return package.services.deploy(service_name="execution-control", module_name="image-processing")


# --- §5 UI slots ------------------------------------------------------------------


def test_5_2_package_update_makes_a_revision_and_service_update_switches_to_it(project, package, service, item):
    assert (package.version, package.slots, service.package_revision) == (1, [], 1)
    slots = spec_slots()

    # -- spec §5.2
    # Update package with the slot
    package.slots = slots
    package = package.update()
    # Update service with the new package version
    service.package_revision = package.version
    service.update()
    # -- end

    assert package.version == 2
    assert [r["version"] for r in package.revisions] == [1, 2]
    [stored] = dl.packages.get(package_id=package.id).slots
    assert (stored.module_name, stored.function_name, stored.display_name) == (
        "image-processing",
        "rgb2gray",
        "RGB2GRAY",
    )
    assert stored.post_action.type == dl.SlotPostActionType.NO_ACTION
    assert [(s.resource, s.panel, s.filters) for s in stored.display_scopes] == [("item", "all", {})]
    assert service.package_revision == 2
    assert dl.services.get(service_id=service.id).package_revision == 2
    assert service.id in [s.id for s in package.services.list()]
    # The service now runs revision 2.
    ran = service.execute(function_name="detect", item_id=item.id, sync=True, return_output=False)
    assert (ran.status, ran.package_revision) == (dl.ExecutionStatus.SUCCESS, 2)


def test_5_3_activated_slot_shows_in_the_browser_and_studio_and_runs_only_while_active(project, package, service, item):
    slots = package.slots
    for panel in ("browser", "studio", "table"):
        assert "RGB2GRAY" not in slot_names(project, panel)

    # -- spec §5.3
    # fmt: off
    answer = package.services.activate_slots(service=service,
                                    project_id=project.id,
                                    slots=slots)
    # fmt: on
    # -- end

    assert (answer["projectId"], answer["serviceId"]) == (project.id, service.id)
    assert [s["displayName"] for s in answer["slots"]] == ["RGB2GRAY"]
    # Item as a resource: the dataset browser and the annotation studio (panel "all").
    assert slot_names(project, "browser")["RGB2GRAY"] == (True, None)
    assert slot_names(project, "studio")["RGB2GRAY"] == (True, None)
    assert slot_names(project, "table")["RGB2GRAY"] == (True, None)
    assert "RGB2GRAY" not in slot_names(project, "studio", resource="annotation")
    assert "RGB2GRAY" not in slot_names(project, "browser", resource="task")

    # A click runs the function on the selected item while the service is active.
    for panel in ("browser", "studio"):
        [execution] = click(project, service, item, panel=panel)
        assert execution.wait(timeout=60).status == dl.ExecutionStatus.SUCCESS
        gray = dl.items.get(item_id=execution.output["item_id"])
        assert (gray.dir, gray.name) == ("/gray/in", "red.png")

    # -- spec §5.3
    service.pause()
    # -- end

    assert dl.services.get(service_id=service.id).active is False
    assert slot_names(project, "browser")["RGB2GRAY"] == (False, "Service paused.")
    assert slot_names(project, "studio")["RGB2GRAY"] == (False, "Service paused.")
    before = {e.id for e in service.executions.list().all()}
    with pytest.raises(dl.exceptions.Conflict) as refused:
        click(project, service, item)
    assert refused.value.status_code == 409 and "paused" in str(refused.value)
    assert {e.id for e in service.executions.list().all()} == before  # nothing was queued


# --- §6 Executions control --------------------------------------------------------


def test_6_1_the_sample_runs_through_its_checkpoints_when_not_terminated(runner, item):
    execution = runner.execute(function_name="detect", item_id=item.id, sync=True, return_output=False)
    assert execution.status == dl.ExecutionStatus.SUCCESS
    assert execution.output is None and execution.to_terminate is False


def test_6_1_terminate_ends_the_execution_at_its_next_kill_event(runner, item):
    execution = runner.execute(function_name="train", item_id=item.id)
    deadline = time.monotonic() + 30
    while execution.refresh().status != dl.ExecutionStatus.IN_PROGRESS and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a few epochs in

    # -- spec §6.1
    execution.terminate()
    # -- end

    assert execution.to_terminate is True
    ended = execution.wait(timeout=30)
    assert ended.status == dl.ExecutionStatus.TERMINATED
    # Stopped by kill_event() at a checkpoint, not by force after the grace period.
    assert ended.latest_status["message"] == "Execution received termination signal"
    logs = list(ended.logs())
    assert any("epoch 0 saved" in line for line in logs)  # the work done before stopping
    assert [s["status"] for s in ended.status_log][-1] == "terminated"


def test_6_2_execution_timeout_is_persisted(runner):
    service = runner

    # -- spec §6.2
    service.execution_timeout = 60  # 1 minute
    # -- end
    service.update()

    assert service.execution_timeout == 60
    assert dl.services.get(service_id=service.id).execution_timeout == 60


def test_6_2_on_reset_failed_is_persisted_and_a_timed_out_execution_fails(runner, item):
    service = runner

    # -- spec §6.2 (the 60 s shortened to 1 s)
    # fmt: off
    service.execution_timeout = 1  # 1 minute (the spec's 60, shortened)
    service.on_reset = 'failed'
    # The service must be updated after changing these attributes
    service.update()
    # fmt: on
    # -- end

    fetched = dl.services.get(service_id=service.id)
    assert (fetched.execution_timeout, fetched.on_reset) == (1, "failed")
    ended = service.execute(function_name="train", item_id=item.id).wait(timeout=30)
    assert ended.status == dl.ExecutionStatus.FAILED
    assert "timed out" in ended.latest_status["message"]
    assert ended.attempts == 1


def test_6_2_on_reset_rerun_is_persisted_and_a_timed_out_execution_is_retried(runner, item):
    service = runner
    service.execution_timeout = 1  # still shortened
    service.max_attempts = 2  # two tries in all, to keep the test short

    # -- spec §6.2
    # fmt: off
    service.on_reset = 'failed'
    service.on_reset = 'rerun'
    # fmt: on
    # The service must be updated after changing these attributes
    service.update()
    # -- end

    fetched = dl.services.get(service_id=service.id)
    assert (fetched.execution_timeout, fetched.on_reset, fetched.max_attempts) == (1, "rerun", 2)
    ended = service.execute(function_name="train", item_id=item.id).wait(timeout=60)
    assert ended.status == dl.ExecutionStatus.FAILED
    assert ended.attempts == 2
    assert "timed out" in ended.latest_status["message"]
    assert [s["status"] for s in ended.status_log] == [
        "created",
        "in-progress",
        "created",
        "in-progress",
        "failed",
    ]


def test_6_2_a_bad_timeout_is_refused_with_the_servers_message(runner):
    runner.execution_timeout = 1.5
    with pytest.raises(dl.exceptions.BadRequest) as refused:
        runner.update()
    assert refused.value.status_code == 400
    assert "natural number" in str(refused.value)
    assert "executionTimeout" in refused.value.errors
    assert dl.services.get(service_id=runner.id).execution_timeout != 1.5


# --- §7 Using secrets in a function -------------------------------------------------


def test_7_deploy_with_secrets_gives_the_function_its_environment_variable(project, package, runner):
    integration = project.integrations.create(name="INTEGRATION_NAME", value=SECRET_VALUE)
    assert SECRET_VALUE not in str(integration.to_json())
    assert integration.id in [i.id for i in project.integrations.list()]
    package = dl.packages.get(package_id=package.id)  # the package variable of the sample

    # -- spec §7
    # fmt: off
    package: dl.Package
    service = package.services.deploy(name='with-integrations',
                                      secrets=[integration.id])
    # fmt: on
    # -- end

    assert service.name == "with-integrations" and service.secrets == [integration.id]
    assert service.module_name == "image-processing"  # the package's only module
    ended = service.execute(function_name="show_secret").wait(timeout=60)
    assert ended.status == dl.ExecutionStatus.SUCCESS, ended.latest_status
    # The function printed the value; captured logs show it redacted.
    logs = "".join(ended.logs())
    assert "[redacted]" in logs and SECRET_VALUE not in logs
    # A service deployed without the secret does not have it.
    without = runner.execute(function_name="show_secret").wait(timeout=60)
    assert without.status == dl.ExecutionStatus.FAILED
    assert "KeyError" in without.latest_status["message"] and "INTEGRATION_NAME" in without.latest_status["message"]
