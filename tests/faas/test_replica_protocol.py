"""A replica speaks only for its own runs: forged, malformed and flooding messages are dropped.

The replica's protocol channel is writable from inside a function (here through the
runtime's own channel object, and raw writes to its file descriptor), so every function
below is hostile and the server must hold anyway.
"""

import json
import time

import pytest

from tests.support.functions import FunctionsApi, function

pytestmark = pytest.mark.server

CODE = """
import os
import sys
import time

import dataslot as dl


def channel():
    return sys.stdout._channel


def raw(data):
    os.write(channel()._stream.fileno(), data)


class ServiceRunner(dl.BaseServiceRunner):
    def pid(self):
        return os.getpid()

    def victim(self, progress, seconds):
        print("the victim's own line")
        progress.update(progress=10, message="the victim's own progress")
        time.sleep(seconds)
        return {"victim": "its own output"}

    def forge(self, target):
        send = channel().send
        send({"op": "log", "id": target, "text": "INJECTED log line\\n"})
        send({"op": "progress", "id": target, "percent": 99, "message": "INJECTED progress"})
        send({"op": "done", "id": target, "status": "success", "output": "INJECTED output"})
        send({"op": "done", "status": "success", "output": "no id"})
        send({"op": "log", "text": "no id either"})
        send({"op": "done", "id": [target], "status": "success"})
        send({"op": "done", "id": str(target), "status": "success"})
        send({"op": "ready", "pid": 1})
        send({"op": "init-failed", "message": "INJECTED breakage"})
        send({"op": "reboot"})
        raw(b"this is not JSON\\n")
        raw(b"[1, 2, 3]\\n")
        raw(b'{"op": "log", "id": 1e400, "text": "x"}\\n')
        raw(b"[" * 5000 + b"\\n")
        raw(b"x" * (9 << 20) + b"\\n")
        print("the forger's own line")
        return {"forged": target}

    def claim_terminated(self, context):
        channel().send({"op": "done", "id": context.execution_id, "status": "terminated", "message": "I quit"})
        time.sleep(0.3)
        return "the real result, too late"

    def flood(self):
        while True:
            raw(b"garbage\\n" * 1000)
            time.sleep(0.01)

    def chatter(self, lines):
        for i in range(lines):
            print("line", i)
        return lines

    def huge(self):
        return "x" * (9 << 20)
"""

FUNCTIONS = [
    function("pid"),
    function("victim", ("seconds", "Float")),
    function("forge", ("target", "Integer")),
    function("claim_terminated"),
    function("flood"),
    function("chatter", ("lines", "Integer")),
    function("huge"),
]


@pytest.fixture(scope="module")
def two_projects(live_server_proc):
    """The attacker's project A and the victim's project B, each with its own owner."""
    apis = []
    for name in ("A", "B"):
        token = live_server_proc.create_user(f"protocol-owner-{name}", project=f"Protocol {name}")
        api = FunctionsApi(live_server_proc, token)
        project_id = api.project(f"Protocol {name}")
        apis.append((api, project_id, api.push(project_id, "protocol", CODE, FUNCTIONS)))
    return apis


def service_log(server, service_id, *, containing, timeout=10) -> str:
    path = server.home / "logs" / f"service-{service_id}.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if containing in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"{containing!r} not in the service log:\n{text[-3000:]}")


def test_messages_forged_for_another_projects_execution_change_nothing_of_it(two_projects, live_server_proc):
    (attacker, a_project, a_package), (owner, b_project, b_package) = two_projects
    forger = attacker.deploy(a_project, a_package, "forger")
    victim_service = owner.deploy(b_project, b_package, "victim")
    forger_pid = attacker.wait(attacker.execute(forger["id"], "pid")["id"])["output"]

    victim = owner.execute(victim_service["id"], "victim", {"seconds": 6})
    owner.wait(victim["id"], until={"in-progress"})
    forged = attacker.wait(attacker.execute(forger["id"], "forge", {"target": victim["id"]})["id"], timeout=20)

    # The forger's own run ends as its function made it.
    assert forged["status"] == "success", forged
    assert forged["output"] == {"forged": victim["id"]}
    assert attacker.logs(forged["id"]) == "the forger's own line\n"
    # The victim is still running, with its own progress only.
    running = owner.execution(victim["id"])
    assert running["status"] == "in-progress"
    assert running["latestStatus"]["percentComplete"] == 10
    assert running["latestStatus"]["message"] == "the victim's own progress"

    ended = owner.wait(victim["id"], timeout=20)
    assert ended["status"] == "success"
    assert ended["output"] == {"victim": "its own output"}
    assert owner.logs(victim["id"]) == "the victim's own line\n"
    assert "INJECTED" not in json.dumps(ended)

    # Every dropped message is in the forger's service log; a few are no reason to stop it.
    text = service_log(live_server_proc, forger["id"], containing="a line longer than")
    for reason in (
        f"'log' for execution {victim['id']}, which is not running on this replica",
        f"'progress' for execution {victim['id']}",
        f"'done' for execution {victim['id']}",
        "'done' without an execution id",
        "'log' without an execution id",
        "'ready' from a replica that has already started",
        "'init-failed' from a replica that has already started",
        "an unknown op 'reboot'",
        "not a JSON message",
        "not a JSON object",
    ):
        assert reason in text, reason
    assert text.count("dropped a message") == 15
    again = attacker.wait(attacker.execute(forger["id"], "pid")["id"])
    assert again["status"] == "success" and again["output"] == forger_pid


def test_a_function_cannot_claim_a_termination_nobody_asked_for(two_projects):
    api, project_id, package = two_projects[0]
    service = api.deploy(project_id, package, "claims-terminated")
    ended = api.wait(api.execute(service["id"], "claim_terminated")["id"])
    assert ended["status"] == "failed"
    assert ended["latestStatus"]["message"] == "Ended as terminated, but no termination was asked: I quit"
    assert ended["output"] is None
    # Its real result came after its own `done`, for a run no longer on the replica: dropped.
    time.sleep(0.5)
    assert api.execution(ended["id"])["status"] == "failed"


def test_a_replica_flooding_garbage_is_stopped_and_its_execution_follows_on_reset(two_projects, live_server_proc):
    api, project_id, package = two_projects[0]
    service = api.deploy(project_id, package, "flooder", onReset="rerun", maxAttempts=2)
    ended = api.wait(api.execute(service["id"], "flood")["id"], timeout=30)
    assert ended["status"] == "failed"
    assert ended["attempts"] == 2
    assert ended["latestStatus"]["message"].startswith("Its replica was stopped: it sent 100 or more messages")
    assert [e["status"] for e in ended["statusLog"]] == [
        "created",
        "in-progress",
        "created",
        "in-progress",
        "failed",
    ]
    text = service_log(live_server_proc, service["id"], containing="stopped the replica")
    assert text.count("stopped the replica") == 2
    # Each flood is reported up to the limit, not line by line.
    assert text.count("dropped a message") == 200
    # The service itself runs on, on a new replica.
    assert api.wait(api.execute(service["id"], "pid")["id"], timeout=20)["status"] == "success"


def test_a_chatty_function_logs_up_to_the_limit_then_one_line_says_it_was_cut(two_projects, live_server_proc):
    api, project_id, package = two_projects[0]
    service = api.deploy(project_id, package, "chatterbox")
    ended = api.wait(api.execute(service["id"], "chatter", {"lines": 10_500})["id"], timeout=60)
    assert ended["status"] == "success" and ended["output"] == 10_500
    stored = live_server_proc.python(
        "from faas.models import ExecutionLog; import json; "
        f"lines = list(ExecutionLog.objects.filter(execution_id={ended['id']}).order_by('id')"
        ".values_list('text', flat=True)); print(json.dumps([len(lines), lines[-2], lines[-1]]))"
    )
    count, before_last, last = json.loads(stored)
    assert count == 10_001
    assert before_last == "line 9999\n"
    assert last.startswith("[dataslot] The log stops here: a run keeps at most 10000 log messages")


def test_an_output_too_large_for_the_channel_fails_its_execution_plainly(two_projects):
    api, project_id, package = two_projects[0]
    service = api.deploy(project_id, package, "huge-output")
    ended = api.wait(api.execute(service["id"], "huge")["id"], timeout=30)
    assert ended["status"] == "failed"
    assert ended["latestStatus"]["message"].startswith("The output is too large")
