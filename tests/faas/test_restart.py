"""A server killed with SIGKILL mid-execution loses nothing when it starts again."""

import time

import pytest

from tests.faas.conftest import push_runner
from tests.support.functions import FunctionsApi

pytestmark = pytest.mark.server


def test_sigkill_mid_execution_then_restart_follows_on_reset_and_runs_the_queue(fresh_live_server):
    server = fresh_live_server().start()
    api = FunctionsApi(server, server.create_user("owner", project="Restart"))
    project_id = api.project("Restart")
    package = push_runner(api, project_id, "runner")
    failing = api.deploy(
        project_id, package, "on-reset-failed", onReset="failed", runtime={"concurrency": 1, "numReplicas": 1}
    )
    rerunning = api.deploy(project_id, package, "on-reset-rerun", onReset="rerun", maxAttempts=2)

    cut_off = api.execute(failing["id"], "sleepy", {"seconds": 30})
    queued = api.execute(failing["id"], "noop")  # behind it: concurrency 1
    retried = api.execute(rerunning["id"], "sleepy", {"seconds": 1})
    api.wait(cut_off["id"], until={"in-progress"})
    api.wait(retried["id"], until={"in-progress"})
    assert api.execution(queued["id"])["status"] == "created"

    server.kill()
    time.sleep(0.5)
    server.start()

    failed = api.wait(cut_off["id"], timeout=30)
    assert failed["status"] == "failed"
    assert "restarted" in failed["latestStatus"]["message"]
    rerun = api.wait(retried["id"], timeout=30)
    assert (rerun["status"], rerun["attempts"], rerun["output"]) == ("success", 2, {"slept": 1})
    assert api.wait(queued["id"], timeout=30)["status"] == "success"
    page = api.call("GET", f"/projects/{project_id}/executions/", 200).json()
    assert not [e for e in page["results"] if e["status"] in ("in-progress", "created")]
