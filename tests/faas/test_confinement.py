"""A function is hostile code: from inside a real replica it reaches its own service and
the API, and nothing of the server's, the machine's or another project's."""

import errno
import os
import socket
import tempfile
import time

import pytest

from tests.faas.conftest import push_runner
from tests.support.functions import FunctionsApi, function

pytestmark = pytest.mark.server

ATTACKER = """
import ctypes
import os
import socket

import dataslot as dl


def kill(pid):
    os.kill(int(pid), 9)


def tcp(port):
    socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()


def unix(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)


def read(path):
    with open(path, "rb") as f:
        f.read(16)


def ptrace(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(16, int(pid), None, None) != 0:  # PTRACE_ATTACH
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    libc.ptrace(17, int(pid), None, None)  # PTRACE_DETACH: never leave the victim stopped


ATTEMPTS = {"kill": kill, "tcp": tcp, "unix": unix, "read": read, "ptrace": ptrace}


class ServiceRunner(dl.BaseServiceRunner):
    def attempt(self, action, target):
        try:
            ATTEMPTS[action](target)
        except OSError as error:
            return {"refused": type(error).__name__, "errno": error.errno}
        return {"refused": None}

    def identity(self):
        return {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups()}

    def datasets(self, context):
        return sorted(dataset.name for dataset in context.project.datasets.list())
"""

FUNCTIONS = [
    function("attempt", ("action", "String"), ("target", "String")),
    function("identity"),
    function("datasets"),
]

REFUSED = {errno.EPERM, errno.EACCES}


@pytest.fixture(scope="module")
def attacker(project):
    api, project_id, _ = project
    package = api.push(project_id, "attacker", ATTACKER, FUNCTIONS)
    return api, project_id, api.deploy(project_id, package, "attacker")


@pytest.fixture(scope="module")
def victim(live_server_proc):
    """Another owner's project with a running replica, and that replica's pid."""
    api = FunctionsApi(live_server_proc, live_server_proc.create_user("victim-owner", project="P-victim"))
    project_id = api.project("P-victim")
    service = api.deploy(project_id, push_runner(api, project_id, "runner"), "victim")
    pid = api.wait(api.execute(service["id"], "whoami")["id"])["output"]["pid"]
    return api, service, pid


def attempt(attacker, action, target) -> dict:
    api, _, service = attacker
    ended = api.wait(api.execute(service["id"], "attempt", {"action": action, "target": str(target)})["id"])
    assert ended["status"] == "success", ended
    return ended["output"]


def assert_refused(outcome: dict) -> None:
    assert outcome["refused"] == "PermissionError" and outcome["errno"] in REFUSED, outcome


def test_a_function_cannot_kill_another_projects_replica_which_keeps_running(attacker, victim):
    api, service, pid = victim
    assert_refused(attempt(attacker, "kill", pid))
    assert_refused(attempt(attacker, "ptrace", pid))
    assert_refused(attempt(attacker, "read", f"/proc/{pid}/mem"))
    again = api.wait(api.execute(service["id"], "whoami")["id"])
    assert again["status"] == "success" and again["output"]["pid"] == pid


def test_a_function_cannot_kill_trace_or_read_the_server_which_keeps_answering(attacker, live_server_proc):
    server = live_server_proc.process.pid
    assert_refused(attempt(attacker, "kill", server))
    assert_refused(attempt(attacker, "ptrace", server))
    assert_refused(attempt(attacker, "read", f"/proc/{server}/mem"))
    assert_refused(attempt(attacker, "read", f"/proc/{server}/environ"))
    api, project_id, _ = attacker
    assert live_server_proc.process.poll() is None
    api.call("GET", f"/projects/{project_id}/", 200)


def test_a_function_cannot_connect_to_redis_or_postgresql_over_tcp(attacker):
    assert_refused(attempt(attacker, "tcp", 6379))
    assert_refused(attempt(attacker, "tcp", 5432))


def test_a_function_cannot_connect_to_a_world_writable_unix_socket(attacker):
    # A local daemon's socket anyone may write to, as PostgreSQL's is.
    folder = tempfile.mkdtemp(prefix="dataslot-socket-")
    os.chmod(folder, 0o755)
    path = os.path.join(folder, "daemon.sock")
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(path)
        os.chmod(path, 0o777)
        listener.listen()
        assert_refused(attempt(attacker, "unix", path))
    postgresql = "/var/run/postgresql/.s.PGSQL.5432"
    if os.path.exists(postgresql):
        assert_refused(attempt(attacker, "unix", postgresql))


def test_a_function_cannot_read_the_machines_password_hashes(attacker):
    assert_refused(attempt(attacker, "read", "/etc/shadow"))


@pytest.mark.skipif(os.geteuid() != 0, reason="replicas get a user of their own when the server runs as root")
def test_a_function_runs_as_its_services_own_unprivileged_user_without_groups(attacker):
    api, _, service = attacker
    identity = api.wait(api.execute(service["id"], "identity")["id"])["output"]
    own = 1_000_000_000 + service["id"]
    assert identity == {"uid": own, "euid": own, "gid": own, "groups": []}


def test_a_confined_function_still_reaches_the_api_it_was_given(attacker):
    api, project_id, service = attacker
    api.call("POST", f"/projects/{project_id}/datasets/", 201, json={"name": "reachable"})
    ended = api.wait(api.execute(service["id"], "datasets")["id"])
    assert ended["status"] == "success", ended
    assert "reachable" in ended["output"]


def test_a_host_with_every_protection_records_no_sandbox_gaps(attacker, live_server_proc):
    _, _, service = attacker
    attempt(attacker, "read", "/etc/hostname")  # its replica has started
    gaps = live_server_proc.python(
        f"from faas.models import Service; print(Service.objects.get(pk={service['id']}).sandbox_gaps)"
    )
    assert gaps.strip() == "[]"


# Package code that, as it is imported, claims on every open descriptor that nothing is off.
HIDE_GAPS = """
import json as _json, os as _os
for _fd in range(3, 64):
    try:
        _os.write(_fd, (_json.dumps({"op": "confined", "sandboxGaps": []}) + "\\n").encode())
    except OSError:
        pass
"""


def test_with_the_sandbox_turned_off_the_service_and_its_log_say_so(fresh_live_server):
    server = fresh_live_server(DATASLOT_REPLICA_SANDBOX="0").start()
    api = FunctionsApi(server, server.create_user("owner", project="Unconfined"))
    project_id = api.project("Unconfined")
    # The package tries to report a sandbox of its own: only the replica's report counts.
    package = api.push(project_id, "attacker", HIDE_GAPS + ATTACKER, FUNCTIONS)
    service = api.deploy(project_id, package, "unconfined")
    assert api.wait(api.execute(service["id"], "identity")["id"])["status"] == "success"
    gaps = server.python(
        f"from faas.models import Service; print(Service.objects.get(pk={service['id']}).sandbox_gaps)"
    )
    assert "DATASLOT_REPLICA_SANDBOX=0" in gaps
    log = server.home / "logs" / f"service-{service['id']}.log"
    deadline = time.monotonic() + 5
    while "protections off" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "protections off: all confinement: turned off (DATASLOT_REPLICA_SANDBOX=0)" in log.read_text()
    assert "'confined' from a replica that has already said how it is confined" in log.read_text()
