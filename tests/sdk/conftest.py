import socket

import pytest

import dataslot as dl
from tests.sdk.fake_server import FakeServer


@pytest.fixture
def fake_server():
    server = FakeServer().start()
    yield server
    server.stop()


@pytest.fixture
def fake_client(fake_server):
    return dl.ApiClient(url=fake_server.url, token="secret-token")


@pytest.fixture
def closed_port_url():
    # A port that was free a moment ago and has nothing listening on it.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def default_client_at():
    """Point the module-level default client somewhere for one test, then restore it."""
    client = dl.client_api
    saved = (client._url, client._token, client._env_read)

    def point(url: str, token: str | None = None):
        dl.setenv(url)
        dl.login_token(token)
        return client

    yield point
    client._url, client._token, client._env_read = saved


@pytest.fixture(scope="module")
def live_project(live_server_proc, request):
    """A project of its own on the live server, with the default client logged in as its
    owner via ``dl.setenv`` + ``dl.login`` (as a user's script would be)."""
    name = f"sdk-{request.module.__name__.rsplit('.', 1)[-1]}"
    live_server_proc.create_user(f"{name}-owner", "pw", project=name, role="owner")
    client = dl.client_api
    saved = (client._url, client._token, client._env_read)
    dl.setenv(live_server_proc.url)
    dl.login(f"{name}-owner", "pw")
    yield dl.projects.get(project_name=name)
    client._url, client._token, client._env_read = saved
