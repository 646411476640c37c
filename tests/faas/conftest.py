import pytest

from tests.support.functions import FunctionsApi, function

# The contract of executions, run against both modes (ids test_x[embedded], test_x[celery]):
# the embedded dispatcher in the web process, and a scale-out cluster with one Celery worker.
CONTRACT = {"test_execution_control", "test_secrets", "test_live_events", "test_trigger_modes"}


def pytest_generate_tests(metafunc):
    if metafunc.module.__name__.rsplit(".", 1)[-1] in CONTRACT and "live_server_proc" in metafunc.fixturenames:
        metafunc.parametrize("live_server_proc", ["embedded", "celery"], indirect=True, scope="module")


@pytest.fixture(scope="module")
def live_server_proc(request, live_server_proc):
    """The session's embedded server, or (for the contract modules' `celery` runs) the cluster."""
    if getattr(request, "param", "embedded") == "celery":
        return request.getfixturevalue("celery_server")
    return live_server_proc


@pytest.fixture(scope="session")
def celery_server(tmp_path_factory):
    """One scale-out cluster for the session, as the embedded server is: PostgreSQL, a Redis
    broker and channel layer of its own, one web process and one worker on this machine."""
    from tests.support.cluster import Cluster, ClusterServer, unavailable

    reason = unavailable()
    if reason:
        pytest.skip(f"scale-out mode cannot run here: {reason}")
    cluster = Cluster(tmp_path_factory.mktemp("celery-cluster"), DATASLOT_TERMINATION_GRACE="2")
    try:
        web = cluster.web()
        yield ClusterServer(web, cluster.worker("contract", args=("--beat",)))
    finally:
        cluster.close()


RUNNER_CODE = """
import logging
import os
import sys
import time

import dataslot as dl

VERSION = "{version}"


class ServiceRunner(dl.BaseServiceRunner):
    inits = 0

    def __init__(self, greeting="hello"):
        ServiceRunner.inits += 1
        self.greeting = greeting

    def noop(self):
        return None

    def whoami(self):
        return {{"pid": os.getpid(), "inits": ServiceRunner.inits, "greeting": self.greeting}}

    def version(self, seconds):
        time.sleep(seconds)
        return VERSION

    def cooperative(self, progress):
        for i in range(2000):
            self.kill_event()
            progress.update(progress=i % 100, message=f"tick {{i}}")
            time.sleep(0.01)
        return "never"

    def busy(self):
        while True:
            pass

    def swallow(self):
        # A broad except cannot keep a timed-out function alive: it is stopped from outside.
        while True:
            try:
                time.sleep(0.05)
            except Exception:
                return "swallowed"

    def sleepy(self, seconds):
        time.sleep(seconds)
        return {{"slept": seconds}}

    def nap(self, seconds):
        time.sleep(seconds)
        return os.getpid()

    def crash(self):
        os._exit(3)

    def hangup(self):
        # Hostile: closes every descriptor but its input (its channel to the server too) and lives on.
        os.closerange(3, 4096)
        time.sleep(60)

    def surrogate(self):
        # A lone surrogate parses from JSON, but no database stores it as text.
        return {{"text": "\\ud800 lone"}}

    def flood(self, seconds):
        # Below Python, as fast as it can, with no newline.
        chunk = b"x" * 65536
        end = time.time() + seconds
        while time.time() < end:
            os.write(2, chunk)
        return "flooded"

    def secret(self):
        value = os.environ.get("MY_SECRET")
        print(f"the secret is {{value}}")
        logging.getLogger("fn").warning("again %s", value)
        return {{"has": value is not None, "length": len(value or ""), "env": sorted(os.environ)}}

    def chatty(self, progress):
        # 3,000 updates over about half a second: several progress intervals.
        for i in range(3000):
            progress.update(progress=i // 30, message=f"{{i}}")
            if i % 300 == 0:
                time.sleep(0.05)
        return "done"

    def fail(self):
        raise ValueError("bad pixels")

    def chatter(self):
        print("epoch", 3)
        print("part", end="")
        print("ial")
        print("no newline at the end", end="")

    def leak(self):
        value = os.environ.get("MY_SECRET", "")
        print("to stderr:", value, file=sys.stderr)
        os.write(2, ("below Python: " + value + "\\n").encode())
        return None

    def probe(self, paths):
        # What this function can read of the given paths, and whether its home is writable.
        seen = {{}}
        for path in paths:
            try:
                with open(path, "rb") as f:
                    f.read(16)
                seen[path] = "read"
            except PermissionError:
                seen[path] = "denied"
            except OSError as error:
                seen[path] = type(error).__name__
        import tempfile

        with open(os.path.join(os.environ["HOME"], "scratch.txt"), "w") as f:
            f.write("mine")
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"temporary")
        return seen

    def peek(self, item_id):
        # The function acts as its service's bot: what it can reach is what its project can.
        try:
            return {{"name": dl.items.get(item_id=item_id).name}}
        except dl.exceptions.NotFound as error:
            return {{"refused": error.status_code}}
"""

FUNCTIONS = [
    function("noop"),
    function("whoami"),
    function("version", ("seconds", "Float")),
    function("cooperative"),
    function("busy"),
    function("swallow"),
    function("sleepy", ("seconds", "Float")),
    function("nap", ("seconds", "Float")),
    function("crash"),
    function("hangup"),
    function("surrogate"),
    function("flood", ("seconds", "Float")),
    function("secret"),
    function("chatty"),
    function("fail"),
    function("peek", ("item_id", "Integer")),
    function("chatter"),
    function("leak"),
    function("probe", ("paths", "Json")),
]


INIT_INPUTS = [{"name": "greeting", "type": "String"}]


def push_runner(api, project_id, name, *, version="v1", code=None):
    return api.push(project_id, name, code or RUNNER_CODE.format(version=version), FUNCTIONS, init_inputs=INIT_INPUTS)


@pytest.fixture(scope="module")
def project(live_server_proc, request):
    """A project of this test module's own, its owner's API, and the runner package pushed."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    token = live_server_proc.create_user(f"owner-{name}", project=f"P-{name}")
    api = FunctionsApi(live_server_proc, token)
    project_id = api.project(f"P-{name}")
    package = push_runner(api, project_id, "runner")
    return api, project_id, package
