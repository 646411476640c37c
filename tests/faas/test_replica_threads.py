"""A replica's threads (dataslot/runtime/replica.py): each run on the thread that read it,
never on the main thread, and a run that fails even to say why fails alone."""

import pytest

from tests.support.functions import FunctionsApi, function

pytestmark = pytest.mark.server

CODE = """
import os
import threading
import time

import dataslot as dl


class Unsayable(Exception):
    def __str__(self):
        raise RuntimeError("this exception cannot say what it is")


class ServiceRunner(dl.BaseServiceRunner):
    def slow(self):
        time.sleep(1.0)
        return os.getpid()

    def unsayable(self):
        raise Unsayable()

    def where(self):
        return {"main": threading.current_thread() is threading.main_thread(), "pid": os.getpid()}
"""

FUNCTIONS = [function("slow"), function("unsayable"), function("where")]


@pytest.fixture(scope="module")
def threads_project(live_server_proc):
    token = live_server_proc.create_user("threads-owner", project="Threads")
    api = FunctionsApi(live_server_proc, token)
    project_id = api.project("Threads")
    return api, project_id, api.push(project_id, "threads", CODE, FUNCTIONS)


def test_a_run_whose_exception_cannot_be_said_fails_alone(threads_project):
    api, project_id, package = threads_project
    service = api.deploy(project_id, package, "unsayable", runtime={"concurrency": 2, "numReplicas": 1})
    pid = api.wait(api.execute(service["id"], "where")["id"], timeout=30)["output"]["pid"]
    slow = api.execute(service["id"], "slow")
    api.wait(slow["id"], until={"in-progress"})
    failed = api.wait(api.execute(service["id"], "unsayable")["id"], timeout=30)
    assert failed["status"] == "failed"
    assert failed["latestStatus"]["message"].startswith("Unsayable")
    # The run beside it, and the replica, went on.
    assert api.wait(slow["id"], timeout=30)["output"] == pid
    assert api.wait(api.execute(service["id"], "where")["id"], timeout=30)["output"]["pid"] == pid


def test_functions_never_run_on_the_replicas_main_thread(threads_project):
    api, project_id, package = threads_project
    service = api.deploy(project_id, package, "where", runtime={"concurrency": 1, "numReplicas": 1})
    runs = [api.wait(api.execute(service["id"], "where")["id"], timeout=30) for _ in range(4)]
    assert [run["output"]["main"] for run in runs] == [False] * 4
