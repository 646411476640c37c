import os

import pytest

from tests.support.live import LiveServer


@pytest.fixture(scope="session")
def live_server_proc():
    """One real Dataslot server (daphne + embedded dispatcher) shared by a test session."""
    server = LiveServer().start()
    yield server
    server.stop()


@pytest.fixture
def fresh_live_server(tmp_path):
    """A server of the test's own, for tests that kill or restart it."""
    servers = []

    def make(**env):
        server = LiveServer(home=tmp_path / f"home{len(servers)}", **env)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


POSTGRES_URL = os.environ.get("DATASLOT_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
