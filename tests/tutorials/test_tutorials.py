"""Dataloop's FaaS tutorials, written for Dataslot (tests/tutorials/scripts/): each runs end
to end against a real server and real replicas, and differs from what a Dataloop user
writes only in its import and login lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import dataslot as dl

pytestmark = pytest.mark.server

SCRIPTS = Path(__file__).parent / "scripts"


def test_every_script_differs_from_dataloops_only_in_import_and_login():
    for script in sorted(SCRIPTS.glob("*.py")):
        text = script.read_text()
        assert "import dataslot as dl  # Dataloop: import dtlpy as dl" in text, script.name
        assert 'dl.login("you", "your-password")  # Dataloop: dl.login()' in text, script.name
        # Nothing else names this SDK or reaches around it.
        rest = text.replace("import dataslot as dl  # Dataloop: import dtlpy as dl", "")
        assert not re.search(r"\bdataslot\b|requests\.|client_api|_json", rest), script.name


def test_introduction_uploads_one_item_or_a_list_and_lists_pages(tutorials, capsys):
    ns = tutorials("introduction")
    assert isinstance(ns["item"], dl.Item) and ns["item"].name == "red.png"
    assert isinstance(ns["items"], list) and [i.name for i in ns["items"]] == ["green.png", "blue.png"]
    assert ns["pages"].items_count == 2
    assert ns["all_names"] == ["blue.png", "green.png", "red.png"]
    assert "/more/green.png" in capsys.readouterr().out


def test_a_single_function_is_packed_deployed_and_run_on_an_item(tutorials, capsys):
    ns = tutorials("single_function")
    assert ns["execution"].status == dl.ExecutionStatus.SUCCESS
    assert ns["gray_item"].filename == "/gray/red.png"
    assert "converted red.png" in capsys.readouterr().out  # execution.logs() printed it


def test_several_functions_and_modules_run_as_two_services(tutorials):
    ns = tutorials("multiple_functions")
    assert ns["description"] == {"name": "green.png", "width": 32, "height": 24}
    assert ns["tagged"] == "checked"
    assert ns["total"] == 5
    assert [m.name for m in ns["package"].modules] == ["first-module", "second-module"]


def test_a_terminated_execution_stops_at_its_checkpoint_and_a_failure_returns_none(tutorials):
    ns = tutorials("execution_control")
    assert ns["execution"].status == dl.ExecutionStatus.TERMINATED
    assert ns["output"] is None
    assert ns["failed"].status == dl.ExecutionStatus.FAILED
    assert "this function always fails" in ns["failed"].latest_status["message"]


def test_a_timed_out_execution_fails_and_the_reset_choice_is_saved(tutorials):
    ns = tutorials("timeouts_and_resets")
    assert ns["execution"].status == dl.ExecutionStatus.FAILED
    assert "timed out" in ns["execution"].latest_status["message"].lower()
    assert (ns["service"].on_reset, ns["service"].max_attempts) == ("rerun", 2)
    assert "executionTimeout" in ns["refused"]


def test_runtime_and_autoscaler_are_taken_and_cloud_settings_reported_not_applied(tutorials, caplog, capsys):
    ns = tutorials("runtime")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("4 gpu-t4 KubernetesRabbitmqAutoscaler(")  # as deployed
    assert printed[1] == "2 3"  # after service.runtime.concurrency = 2 and a new autoscaler
    # The queue-length autoscaler is applied (runner/autoscale.py); a pod type means nothing here.
    assert [entry["field"] for entry in ns["service"].not_applied] == ["runtime.podType"]
    assert "runtime.podType = 'gpu-t4' is not applied" in caplog.text  # the SDK said so when deploying
    assert dl.services.get(service_id=ns["service"].id).runtime.concurrency == 2
    assert ns["output"] == {"hello": "world"}
    assert "runtime.autoscaler.minReplicas" in ns["refused"]


def test_runtime_settings_are_stored_with_the_service(tutorials):
    service = dl.services.get(service_name="runtime-service")
    assert service.runtime.pod_type == dl.InstanceCatalog.GPU_T4_S
    assert service.runtime.autoscaler == dl.KubernetesRabbitmqAutoscaler(min_replicas=1, max_replicas=3)
    assert "Not stored" not in str(service.not_applied)


def test_a_secret_reaches_the_function_by_its_hyphenated_name_and_is_redacted(tutorials):
    ns = tutorials("secrets")
    assert ns["execution"].output == {"length": 14, "starts": "abc"}
    assert "the key is [redacted]" in ns["log"] and "abc-123-secret" not in ns["log"]


def test_progress_and_context_reach_the_execution(tutorials):
    ns = tutorials("progress_and_context")
    execution = ns["execution"]
    assert execution.latest_status["percentComplete"] == 100
    assert execution.output == {
        "execution_id": execution.id,
        "service": "progress",
        "project": "Tutorials",
        "item": "blue.png",
    }


def test_service_settings_pause_resume_status_revisions_and_restart(tutorials, capsys):
    ns = tutorials("service_settings")
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == ["hello, ada", "paused", "active"]
    assert ns["greeting"] == "good morning, ada"
    assert ns["service"].max_attempts == 2 and ns["service"].drain_time == 60


def test_a_ui_slot_is_added_to_the_package_activated_and_its_service_paused(tutorials):
    ns = tutorials("ui_slots")
    service = dl.services.get(service_id=ns["service"].id)
    assert service.package_revision == ns["package"].version == 2
    assert service.active is False
    [slot] = dl.packages.get(package_id=ns["package"].id).slots
    assert slot.display_scopes[0].to_json()["filter"]["$and"][-1] == {"metadata.system.mimetype": "image/*"}


def test_annotations_from_a_function_carry_the_model_and_are_filtered_by_the_server(tutorials):
    ns = tutorials("annotations_from_a_function")
    [cat] = ns["cats"]
    assert (cat.left, cat.top, cat.right, cat.bottom) == (2, 3, 12, 13)
    assert cat.metadata["user"]["model"] == {"confidence": 0.87, "name": "toy-detector", "model_id": None}
    assert ns["labels"] == ["cat", "dog"]
    assert ns["dog_items"] == ["red.png"]


def test_json_output_comes_back_from_a_synchronous_run(tutorials):
    ns = tutorials("json_output")
    assert ns["output"] == {"count": 4, "total": 12, "mean": 3.0}
    assert ns["execution"].output == ns["output"]


def test_service_logs_print_an_executions_lines_and_the_services_log(tutorials, capsys):
    tutorials("service_logs")
    out = capsys.readouterr().out
    assert "".join(f"step {n}\n" for n in range(5)) in out  # execution.logs(follow=True)
    assert re.search(r"^\d+: step 4$", out, re.M)  # service.log()


def test_a_batch_queued_on_a_paused_service_runs_when_it_resumes(tutorials):
    ns = tutorials("batch_execution")
    assert isinstance(ns["command"], dl.Command)
    assert ns["queued"] == ["created"] * 3
    assert [e.status for e in ns["finished"]] == ["success"] * 3
    assert ns["stamped"].items_count == 3


def test_an_autoscaler_with_negative_values_or_an_integration_env_of_another_name_is_refused(tutorials):
    tutorials("runtime")  # (idempotent: deploying the name again updates it)
    service = dl.services.get(service_name="runtime-service")
    service.runtime.autoscaler = dl.KubernetesRabbitmqAutoscaler(min_replicas=-1, max_replicas=2, queue_length=0)
    with pytest.raises(dl.exceptions.BadRequest) as refused:
        service.update()
    assert {"runtime.autoscaler.minReplicas", "runtime.autoscaler.queueLength"} <= set(refused.value.errors)
    service = dl.services.get(service_name="runtime-service")
    integration = service.project.integrations.create(name="other-key", value="x")
    service.integrations = [{"env": "NOT_ITS_NAME", "value": integration.id}]
    with pytest.raises(dl.exceptions.BadRequest, match=r"integrations\[0\]\.env"):
        service.update()
    service.integrations = [{"env": "other-key", "value": integration.id}]
    assert service.update().secrets == [integration.id]


def test_batch_inputs_that_the_function_does_not_take_are_refused_naming_args(tutorials):
    try:
        service = dl.services.get(service_name="batch-stamp")
    except dl.exceptions.NotFound:  # run alone: the batch tutorial deploys it
        service = tutorials("batch_execution")["service"]
    with pytest.raises(dl.exceptions.BadRequest, match="args"):
        service.execute_batch(filters=dl.Filters(), function_name="stamp", execution_inputs={"colour": "red"})
