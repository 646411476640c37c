"""The tutorial scripts run against one real server (the session's), as a Dataloop user
would run them: ``import dataslot as dl``, the token in the environment, a project called
"Tutorials". Each script runs in this process (``runpy``), so a test can look at the
variables it left behind and at what it printed."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

import dataslot as dl

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture(scope="module")
def tutorials(live_server_proc):
    """Log the default client in as the owner of "Tutorials" (what ``dl.login()`` does for
    a Dataloop user), then give a runner: ``tutorials("single_function")`` -> its globals."""
    token = _owner_token(live_server_proc)
    client = dl.client_api
    saved = (client._url, client._token, client._env_read)
    dl.setenv(live_server_proc.url)
    dl.login_token(token)

    def run(name: str) -> dict:
        return runpy.run_path(str(SCRIPTS / f"{name}.py"), run_name="__main__")

    yield run
    client._url, client._token, client._env_read = saved


_TOKENS: dict[str, str] = {}


def _owner_token(server) -> str:
    # One user and project per server (creating them costs a Django start-up).
    if server.url not in _TOKENS:
        _TOKENS[server.url] = server.create_user("tutorial-writer", "pw", project="Tutorials", role="owner")
    return _TOKENS[server.url]
