"""Execution events over the websocket: after commit, members only, progress throttled."""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets

pytestmark = pytest.mark.server


async def collect(url: str, token: str, execution_trigger, *, until_status: str, timeout: float = 20):
    events = []
    async with websockets.connect(url, additional_headers={"Authorization": f"Token {token}"}) as ws:
        execution = await asyncio.to_thread(execution_trigger)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic()))
            if message["execution"]["id"] != execution["id"]:
                continue
            events.append((time.monotonic(), message["execution"]))
            if message["execution"]["status"] == until_status:
                return execution, events
    raise AssertionError(f"no {until_status} event; got {[e['status'] for _, e in events]}")


def run(coroutine):
    """Run a coroutine on a thread of its own: the browser tests' Playwright keeps an event
    loop running in pytest's main thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def ws_url(server, project_id):
    return server.url.replace("http", "ws") + f"/ws/projects/{project_id}/"


def test_a_member_follows_an_execution_live(project, live_server_proc):
    api, project_id, package = project
    service = api.deploy(project_id, package, "live")
    token = api.http.headers["Authorization"].split()[1]
    execution, events = run(
        collect(
            ws_url(live_server_proc, project_id),
            token,
            lambda: api.execute(service["id"], "whoami"),
            until_status="success",
        )
    )
    statuses = [e["status"] for _, e in events]
    assert statuses[0] == "created" and statuses[-1] == "success" and "in-progress" in statuses
    assert events[-1][1]["output"]["pid"] > 0
    # The event was sent after commit: the API already shows what it says.
    assert api.execution(execution["id"])["status"] == "success"


def test_progress_events_are_throttled_to_ten_a_second(project, live_server_proc):
    api, project_id, package = project
    service = api.deploy(project_id, package, "chatty")
    api.wait(api.execute(service["id"], "noop")["id"])  # warm
    token = api.http.headers["Authorization"].split()[1]
    _, events = run(
        collect(
            ws_url(live_server_proc, project_id),
            token,
            lambda: api.execute(service["id"], "chatty"),
            until_status="success",
        )
    )
    running = [t for t, e in events if e["status"] == "in-progress"]
    span = max(running) - min(running) if running else 0
    # 3,000 progress updates were made; at most ten a second (+ the start and the end) reach clients.
    assert len(running) <= 10 * span + 3


def test_anonymous_and_non_members_are_refused(project, live_server_proc):
    _, project_id, _ = project
    outsider = live_server_proc.create_user("outsider", project="Elsewhere")

    async def close_code(headers):
        try:
            async with websockets.connect(ws_url(live_server_proc, project_id), additional_headers=headers) as ws:
                await asyncio.wait_for(ws.recv(), timeout=5)
        except websockets.ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        except websockets.InvalidStatus as exc:
            return exc.response.status_code
        return None

    assert run(close_code({})) in (4401, 403)
    assert run(close_code({"Authorization": f"Token {outsider}"})) in (4403, 403)
    assert run(close_code({"Authorization": "Token not-a-token"})) in (4401, 403)
