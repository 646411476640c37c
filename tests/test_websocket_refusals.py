"""Websocket refusals close with the codes docs/api.md gives, on a real server.

4401: no valid login or token. 4404: the project or execution does not exist, or the user
is not a member (one code for both, as the API's 404). 4403: a member who loses the
project while connected (tests/faas/test_live_events.py). A browser handshake from
another site is refused before it opens: HTTP 403.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets

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
