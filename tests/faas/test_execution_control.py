"""Execution control on real replica processes (docs/design.md "Termination", "Timeouts", "Service resets")."""

import os
import time

import pytest

from tests.faas.conftest import RUNNER_CODE, push_runner
from tests.support.functions import archive

pytestmark = pytest.mark.server


def deploy(project, name, **fields):
    api, project_id, package = project
    return api.deploy(project_id, package, name, **fields)


def test_a_function_runs_once_initialised_per_replica(project):
    api, _, _ = project
    service = deploy(project, "init-once", initParams={"greeting": "bonjour"})
    first = api.wait(api.execute(service["id"], "whoami")["id"])
    second = api.wait(api.execute(service["id"], "whoami")["id"])
    assert first["status"] == second["status"] == "success"
    assert first["output"]["pid"] == second["output"]["pid"]
    assert second["output"]["inits"] == 1
    assert second["output"]["greeting"] == "bonjour"
    assert [entry["status"] for entry in second["statusLog"]] == ["created", "in-progress", "success"]


# With concurrency 1 the run's thread is busy: the replica reads the terminate on another.
@pytest.mark.parametrize("runtime", [{}, {"runtime": {"concurrency": 1, "numReplicas": 1}}], ids=["default", "busy"])
def test_kill_event_ends_a_terminated_execution_cooperatively(project, runtime):
    api, _, _ = project
    service = deploy(project, "cooperative", **runtime)
    execution = api.execute(service["id"], "cooperative")
    running = api.wait(execution["id"], until={"in-progress"})
    assert running["status"] == "in-progress"
    time.sleep(0.3)
    api.call("POST", f"/executions/{execution['id']}/terminate/", 200)
    ended = api.wait(execution["id"], timeout=10)
    assert ended["status"] == "terminated"
    assert ended["toTerminate"] is True
    assert ended["latestStatus"]["message"] == "Execution received termination signal"


def test_a_busy_loop_is_killed_after_the_grace_period_and_its_replica_replaced(project):
    api, _, _ = project
    service = deploy(project, "busy")
    pid_before = api.wait(api.execute(service["id"], "whoami")["id"])["output"]["pid"]
    execution = api.execute(service["id"], "busy")
    api.wait(execution["id"], until={"in-progress"})
    api.call("POST", f"/executions/{execution['id']}/terminate/", 200)
    ended = api.wait(execution["id"], timeout=15)
    assert ended["status"] == "terminated"
    assert "by force" in ended["latestStatus"]["message"]
    after = api.wait(api.execute(service["id"], "whoami")["id"], timeout=20)
    assert after["status"] == "success"
    assert after["output"]["pid"] != pid_before


def test_terminating_a_queued_execution_ends_it_and_it_never_runs(project):
    api, _, _ = project
    service = deploy(project, "queued", runtime={"concurrency": 1, "numReplicas": 1})
    blocker = api.execute(service["id"], "sleepy", {"seconds": 1.5})
    api.wait(blocker["id"], until={"in-progress"})
    queued = api.execute(service["id"], "noop")
    terminated = api.call("POST", f"/executions/{queued['id']}/terminate/", 200).json()
    assert terminated["status"] == "terminated"
    assert api.wait(blocker["id"])["status"] == "success"
    time.sleep(0.5)
    final = api.execution(queued["id"])
    assert final["status"] == "terminated"
    assert final["attempts"] == 0
    assert "in-progress" not in [entry["status"] for entry in final["statusLog"]]
    assert api.call("POST", f"/executions/{queued['id']}/terminate/").status_code == 409


def test_timeout_with_on_reset_failed_fails_with_a_timeout_message_despite_except_exception(project):
    api, _, _ = project
    service = deploy(project, "timeout-failed", executionTimeout=1, onReset="failed")
    ended = api.wait(api.execute(service["id"], "swallow")["id"], timeout=15)
    assert ended["status"] == "failed"
    assert "timed out" in ended["latestStatus"]["message"]
    assert ended["attempts"] == 1
    assert ended["output"] is None


def test_timeout_with_on_reset_rerun_reruns_until_max_attempts_then_fails(project):
    api, _, _ = project
    service = deploy(project, "timeout-rerun", executionTimeout=1, onReset="rerun", maxAttempts=3)
    assert (service["onReset"], service["maxAttempts"], service["executionTimeout"]) == ("rerun", 3, 1)
    ended = api.wait(api.execute(service["id"], "swallow")["id"], timeout=30)
    assert ended["status"] == "failed"
    assert ended["attempts"] == 3
    assert "timed out" in ended["latestStatus"]["message"]
    statuses = [entry["status"] for entry in ended["statusLog"]]
    assert statuses == ["created", "in-progress", "created", "in-progress", "created", "in-progress", "failed"]


@pytest.mark.parametrize(
    "function, said",
    [
        pytest.param("crash", "exited unexpectedly", id="crashed"),
        # Hostile code may close the descriptor the server reads, and live on: the server must
        # not wait for the process to exit.
        pytest.param("hangup", "closed its channel", id="closed-its-channel"),
    ],
)
def test_a_replica_that_dies_or_hangs_up_fails_its_run_and_is_replaced(project, function, said):
    api, _, _ = project
    service = deploy(project, function)
    ended = api.wait(api.execute(service["id"], function)["id"], timeout=20)
    assert ended["status"] == "failed"
    assert said in ended["latestStatus"]["message"]
    assert api.wait(api.execute(service["id"], "noop")["id"], timeout=20)["status"] == "success"


def test_a_lone_surrogate_in_an_output_is_replaced_and_blocks_nothing(project):
    api, _, _ = project
    service = deploy(project, "surrogate")
    ended = api.wait(api.execute(service["id"], "surrogate")["id"], timeout=20)
    assert ended["status"] == "success", ended
    assert ended["output"] == {"text": "\ufffd lone"}
    assert api.wait(api.execute(service["id"], "noop")["id"], timeout=20)["status"] == "success"


def test_a_flood_below_python_does_not_hold_the_dispatcher(project, live_server_proc):
    from runner.replicas import SERVICE_LOG_LIMIT

    api, _, _ = project
    flooder, neighbour = deploy(project, "flood"), deploy(project, "flood-neighbour")
    flooding = api.execute(flooder["id"], "flood", {"seconds": 3})
    api.wait(flooding["id"], until={"in-progress"})
    # Another service's execution runs to its end while the flood goes on.
    assert api.wait(api.execute(neighbour["id"], "noop")["id"], timeout=6)["status"] == "success"
    assert api.execution(flooding["id"])["status"] == "in-progress"
    assert api.wait(flooding["id"], timeout=30)["status"] == "success"
    # (The cap itself: tests/faas/test_runner_writes.py.)
    assert (live_server_proc.home / "logs" / f"service-{flooder['id']}.log").stat().st_size <= SERVICE_LOG_LIMIT + 1000


def test_a_failing_function_is_failed_with_its_message_and_traceback_in_its_logs(project):
    api, _, _ = project
    service = deploy(project, "fails")
    ended = api.wait(api.execute(service["id"], "fail")["id"])
    assert ended["status"] == "failed"
    assert ended["latestStatus"]["message"] == "ValueError: bad pixels"
    assert "Traceback" in api.logs(ended["id"])


def test_a_paused_service_runs_nothing_until_resumed(project):
    api, _, _ = project
    service = deploy(project, "paused")
    api.call("POST", f"/services/{service['id']}/pause/", 200)
    queued = api.execute(service["id"], "noop")
    time.sleep(1.5)
    assert api.execution(queued["id"])["status"] == "created"
    assert api.call("POST", f"/services/{service['id']}/resume/", 200).json()["active"] is True
    assert api.wait(queued["id"], timeout=20)["status"] == "success"


def test_updating_to_a_new_revision_drains_running_executions_first(project):
    api, project_id, _ = project
    package = push_runner(api, project_id, "versioned")
    service = api.deploy(project_id, package, "versioned", runtime={"concurrency": 2, "numReplicas": 1})
    old_replica = api.wait(api.execute(service["id"], "whoami")["id"])["output"]["pid"]
    running = api.execute(service["id"], "version", {"seconds": 2})
    api.wait(running["id"], until={"in-progress"})
    v2 = api.call(
        "PATCH",
        f"/packages/{package['id']}/",
        200,
        files={"archive": ("code.zip", archive({"main.py": RUNNER_CODE.format(version="v2")}))},
    ).json()
    assert v2["version"] == 2
    updated = api.call("PATCH", f"/services/{service['id']}/", 200, json={"packageRevision": 2}).json()
    assert updated["packageRevision"] == 2
    after = api.execute(service["id"], "version", {"seconds": 0})
    drained = api.wait(running["id"], timeout=20)
    assert (drained["status"], drained["output"], drained["packageRevision"]) == ("success", "v1", 1)
    fresh = api.wait(after["id"], timeout=20)
    assert (fresh["status"], fresh["output"], fresh["packageRevision"]) == ("success", "v2", 2)
    # The old revision's replica ran the drained execution to its end, then was stopped.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and os.path.exists(f"/proc/{old_replica}"):
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{old_replica}")
    assert api.wait(api.execute(service["id"], "whoami")["id"])["output"]["pid"] != old_replica


def test_progress_reaches_the_execution(project):
    api, _, _ = project
    service = deploy(project, "progress")
    execution = api.execute(service["id"], "cooperative")
    deadline = time.monotonic() + 10
    seen = 0
    while time.monotonic() < deadline and not seen:
        seen = api.execution(execution["id"])["latestStatus"]["percentComplete"]
        time.sleep(0.05)
    assert seen > 0
    assert api.execution(execution["id"])["latestStatus"]["message"].startswith("tick ")
    api.call("POST", f"/executions/{execution['id']}/terminate/", 200)
    assert api.wait(execution["id"])["status"] == "terminated"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("import dataslot as dl\nraise RuntimeError('model file missing')\n", "RuntimeError: model file missing"),
        ("import os\nos._exit(7)\n", "exit code 7"),
    ],
)
def test_a_service_that_cannot_start_fails_its_executions_with_the_reason(project, code, words):
    api, project_id, _ = project
    source = code + "\nclass ServiceRunner:\n    def noop(self):\n        return None\n"
    package = api.push(project_id, f"broken-{len(code)}", source, [{"name": "noop", "inputs": []}])
    service = api.deploy(project_id, package, f"broken-{len(code)}")
    ended = api.wait(api.execute(service["id"], "noop")["id"], timeout=30)
    assert ended["status"] == "failed"
    assert "could not start" in ended["latestStatus"]["message"] and words in ended["latestStatus"]["message"]


def test_logs_arrive_a_whole_line_at_a_time(project):
    api, _, _ = project
    service = deploy(project, "chatter")
    ended = api.wait(api.execute(service["id"], "chatter")["id"])
    lines = api.call("GET", f"/executions/{ended['id']}/logs/", 200).json()["lines"]
    assert [line["text"] for line in lines] == ["epoch 3\n", "partial\n", "no newline at the end"]


def test_an_autoscaled_service_starts_cold_grows_to_its_maximum_and_scales_back_to_zero(project):
    api, _, _ = project
    autoscaler = {"type": "rabbitmq", "minReplicas": 0, "maxReplicas": 2, "queueLength": 1, "cooldownPeriod": 1}
    service = deploy(project, "autoscaled", runtime={"concurrency": 1, "numReplicas": 1, "autoscaler": autoscaler})

    def started_cold(execution):
        running = [e for e in execution["statusLog"] if e["status"] == "in-progress"]
        return "cold start" in running[-1]["message"]

    first = api.wait(api.execute(service["id"], "nap", {"seconds": 0})["id"], timeout=30)
    assert first["status"] == "success" and started_cold(first), first["statusLog"]
    # Four at once with one per replica: it grows to its maximum of two replicas, not more.
    burst = [api.execute(service["id"], "nap", {"seconds": 1.0})["id"] for _ in range(4)]
    ended = [api.wait(execution_id, timeout=30) for execution_id in burst]
    assert [e["status"] for e in ended] == ["success"] * 4
    assert len({e["output"] for e in ended}) == 2
    # Idle past its cooldown, it has no replica left: the next execution starts cold again.
    time.sleep(3)
    again = api.wait(api.execute(service["id"], "nap", {"seconds": 0})["id"], timeout=30)
    assert again["status"] == "success" and started_cold(again), again["statusLog"]
    assert again["output"] not in {e["output"] for e in ended}
