import os

import pytest
from django.contrib.auth import get_user_model

from tests.support.live import LiveServer


@pytest.fixture(scope="session")
def live_server_proc():
    """One real Dataslot server (daphne + embedded dispatcher) shared by a test session.

    A websocket client that reads nothing is let go after 25 s, not 30, so that
    tests/faas/test_live_at_load.py can watch it happen (and still read a late client's
    gap before then on a loaded machine)."""
    server = LiveServer(DATASLOT_WS_SLOW_CLIENT_SECONDS="25").start()
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


# Two people with nothing yet, for the tests that need someone and someone else.
@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", password="secret-a")


@pytest.fixture
def bob():
    return get_user_model().objects.create_user("bob", password="secret-b")
