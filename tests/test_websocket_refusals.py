"""Websocket refusals close with the codes docs/api.md gives, on a real server.

4401: no valid login or token. 4404: the project or execution does not exist, or the user
is not a member (one code for both, as the API's 404). 4403: a member who loses the
project while connected (tests/faas/test_live_events.py, tests/test_access_revocation.py).
A browser handshake from another site is refused before it opens: HTTP 403. Whatever
else a client sends (a malformed token, a path that names nothing) is one of these
codes, never a server error.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets

from tests.conftest import POSTGRES_URL
from tests.support.live import LiveServer

pytestmark = pytest.mark.server

MISSING = 987654321

SETUP = """
from faas.models import Execution
from faas.services.packages import package_push
from faas.services.services import service_deploy
from rest_framework.authtoken.models import Token
from tests.support.functions import archive, function
from workspace.models import Project

project = Project.objects.get(name="Refusals")
package = package_push(
    project=project,
    name="pkg",
    archive=archive({"main.py": "import dataslot as dl\\nclass ServiceRunner(dl.BaseServiceRunner):\\n    def run(self):\\n        return None\\n"}),
    modules=[{"name": "m", "functions": [function("run")]}],
)
service, _ = service_deploy(project=project, package=package, name="quiet", fields={"active": False})
execution = Execution.objects.create(
    project=project, service=service, package_revision=service.package_revision, function_name="run", input={}
)
bot_token, _ = Token.objects.get_or_create(user_id=service.bot_id)
print(json.dumps({"project": project.pk, "execution": execution.pk, "bot": bot_token.key}))
"""


def run(coroutine):
    """On a thread of its own: the browser tests' Playwright keeps a loop in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _ending(url: str, headers: dict):
    """How a connection ends: its close code, an HTTP status at the handshake, or "open"
    (a member's socket says where the batch numbers stand, and nothing else)."""
    try:
        async with websockets.connect(url, additional_headers=headers) as ws:
            while True:
                message = await asyncio.wait_for(ws.recv(), timeout=1.5)  # a refusal closes at once
                if not (message.startswith('{"type":"seq"') or "data-live-heartbeat" in message):
                    return "message"
    except websockets.InvalidStatus as exc:
        return f"HTTP {exc.response.status_code}"
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except TimeoutError:
        return "open"


def ending(server, path: str, token: str | None = None, **headers):
    if token is not None:
        headers["Authorization"] = f"Token {token}"
    return run(_ending(server.url.replace("http", "ws") + path, headers))


@pytest.fixture(scope="module")
def refusals(live_server_proc):
    server = live_server_proc
    member = server.create_user("refusals-member", project="Refusals")
    stranger = server.create_user("refusals-stranger", project="Refusals elsewhere")
    ids = json.loads(server.python("import json\n" + SETUP).strip().splitlines()[-1])
    return server, ids, member, stranger


PATHS = [
    ("/ws/projects/{project}/", "project"),
    ("/ws/studio/projects/{project}/", "project"),
    ("/ws/executions/{execution}/logs/", "execution"),
]


@pytest.mark.parametrize(("path", "kind"), PATHS)
def test_anonymous_and_invalid_tokens_are_closed_with_4401(refusals, path, kind):
    server, ids, _, _ = refusals
    assert ending(server, path.format(**ids)) == 4401
    assert ending(server, path.format(**ids), "not-a-token") == 4401
    assert ending(server, path.format(**{**ids, kind: MISSING})) == 4401


@pytest.mark.parametrize(("path", "kind"), PATHS)
def test_a_non_member_gets_4404_whether_the_object_exists_or_not(refusals, path, kind):
    server, ids, _, stranger = refusals
    assert ending(server, path.format(**ids), stranger) == 4404
    assert ending(server, path.format(**{**ids, kind: MISSING}), stranger) == 4404


@pytest.mark.parametrize(("path", "kind"), PATHS)
def test_a_member_stays_connected_and_is_told_4404_for_what_does_not_exist(refusals, path, kind):
    server, ids, member, _ = refusals
    assert ending(server, path.format(**ids), member) == "open"
    assert ending(server, path.format(**{**ids, kind: MISSING}), member) == 4404


def test_a_bots_token_opens_only_its_own_projects_sockets(refusals, live_server_proc):
    server, ids, _, _ = refusals
    elsewhere = json.loads(
        server.python(
            "import json; from workspace.models import Project; "
            "print(json.dumps(Project.objects.get(name='Refusals elsewhere').pk))"
        ).strip()
    )
    assert ending(server, f"/ws/projects/{ids['project']}/", ids["bot"]) == "open"
    assert ending(server, f"/ws/projects/{elsewhere}/", ids["bot"]) == 4404


def test_a_browser_handshake_from_another_site_is_refused_before_it_opens(refusals):
    server, ids, member, _ = refusals
    path = f"/ws/projects/{ids['project']}/"
    assert ending(server, path, member, Origin="https://evil.example") == "HTTP 403"
    assert ending(server, path, member, Origin=server.url) == "open"
    # The same host on another port is another site (a notebook, Flower): cookies are not
    # kept apart by port, so only the Origin tells.
    scheme, host, port = server.url.split(":")
    assert ending(server, path, member, Origin=f"{scheme}:{host}:{int(port) + 1}") == "HTTP 403"
    assert ending(server, path, member, Origin=f"{scheme}:{host}") == "HTTP 403"


def test_a_malformed_token_is_refused_as_any_invalid_token(refusals):
    server, ids, _, _ = refusals
    path = f"/ws/projects/{ids['project']}/"
    assert ending(server, path + "?token=%00") == 4401
    assert ending(server, path + "?token=" + "f" * 10_000) == 4401
    assert ending(server, path + "?token=%ff%fe") == 4401
    assert ending(server, path, "\xff\xfe\x80") == 4401  # sent as latin-1: not UTF-8


@pytest.mark.parametrize(
    "path",
    [
        "/ws/nothing/",
        "/",
        "/ws/projects/99999999999999999999/",  # past the largest id
        "/ws/projects/9223372036854775808/",
        "/ws/projects/0/",
        "/ws/projects/{project}/more/",
        "/ws/studio/projects/99999999999999999999/",
        "/ws/executions/99999999999999999999/logs/",
    ],
)
def test_a_path_that_names_nothing_is_closed_with_4404(refusals, path):
    server, ids, member, _ = refusals
    assert ending(server, path.format(**ids), member) == 4404
    assert ending(server, path.format(**ids)) == 4404  # as the API's 404: before any login


@pytest.fixture(scope="module")
def postgres_server(tmp_path_factory):
    """The same server on PostgreSQL, whose text cannot hold a NUL (a query with one fails)."""
    import psycopg

    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except Exception as error:  # noqa: BLE001 - any failure is a reason to skip, said plainly
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__})")
    name = f"dataslot_refusals_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    server = None
    try:
        url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        server = LiveServer(home=tmp_path_factory.mktemp("refusals-pg"), DATABASE_URL=url).start()
        yield server
    finally:
        if server is not None:
            server.stop()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_token_with_a_nul_is_refused_on_postgresql_too(postgres_server):
    token = postgres_server.create_user("pg-member", project="Refusals on PostgreSQL")
    project = postgres_server.python(
        "from workspace.models import Project; print(Project.objects.get(name='Refusals on PostgreSQL').pk)"
    ).split()[-1]
    path = f"/ws/projects/{project}/"
    assert ending(postgres_server, path, token) == "open"  # a member's token opens it
    assert ending(postgres_server, path + "?token=%00") == 4401
    assert ending(postgres_server, path + "?token=" + "0" * 39 + "%00") == 4401
