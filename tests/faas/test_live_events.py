"""Execution events over the websocket: after commit, members only, progress throttled."""

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import websockets

pytestmark = pytest.mark.server


ORDER = {"created": 0, "in-progress": 1, "success": 2, "failed": 2, "terminated": 2}


async def collect(url: str, token: str, execution_trigger, *, until_status: str, timeout: float = 20, on_event=None):
    """The execution's events, each with when its frame arrived. Frames are read while the
    request that creates the execution is still out (its events may come first): a frame
    read only once the request returned would be timed by when the client got to it."""
    events = []
    async with websockets.connect(url, additional_headers={"Authorization": f"Token {token}"}) as ws:
        created = asyncio.ensure_future(asyncio.to_thread(execution_trigger))
        arrived: list[tuple[float, dict]] = []  # of every execution, until ours is known
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            frame = asyncio.ensure_future(ws.recv())
            await asyncio.wait({frame, created}, timeout=deadline - time.monotonic(), return_when="FIRST_COMPLETED")
            if frame.done():
                # A batch of events of the project (docs/api.md, "Websockets"); heartbeats carry none.
                now = time.monotonic()
                arrived.extend((now, event) for event in json.loads(frame.result()).get("executions", []))
            else:
                frame.cancel()
            if not created.done():
                continue
            execution = created.result()
            for at, event in arrived:
                if event["id"] != execution["id"]:
                    continue
                events.append((at, event))
                if on_event is not None:
                    await asyncio.to_thread(on_event, event)
                if event["status"] == until_status:
                    return execution, events
            arrived.clear()
    raise AssertionError(f"no {until_status} event; got {[e['status'] for _, e in events]}")


def run(coroutine):
    """Run a coroutine on a thread of its own: the browser tests' Playwright keeps an event
    loop running in pytest's main thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def refusal(url: str, headers: dict, *, wait: float = 5):
    """How a connection ends: an HTTP status at the handshake, a close code, or "open"."""
    try:
        async with websockets.connect(url, additional_headers=headers) as ws:
            await asyncio.wait_for(ws.recv(), timeout=wait)
    except websockets.InvalidStatus as exc:
        return exc.response.status_code
    except websockets.ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None
    except TimeoutError:
        return "open"
    return None


def ws_url(server, project_id):
    return server.url.replace("http", "ws") + f"/ws/projects/{project_id}/"


def test_a_member_follows_an_execution_live(project, live_server_proc):
    api, project_id, package = project
    service = api.deploy(project_id, package, "live")
    token = api.http.headers["Authorization"].split()[1]
    checks = []
    execution, events = run(
        collect(
            ws_url(live_server_proc, project_id),
            token,
            lambda: api.execute(service["id"], "whoami"),
            until_status="success",
            on_event=lambda e: checks.append(
                (e["status"], ORDER[api.execution(e["id"])["status"]] >= ORDER[e["status"]])
            ),
        )
    )
    statuses = [e["status"] for _, e in events]
    assert statuses[0] == "created" and statuses[-1] == "success" and "in-progress" in statuses
    assert events[-1][1]["output"]["pid"] > 0
    # Every event, the final one too, names the service and its package as the API does.
    named = {(e["status"], e["serviceName"], e["packageId"]) for _, e in events}
    assert named == {(status, "live", package["id"]) for status in set(statuses)}, named
    # Each event was checked on arrival (see collect): the API already showed what it said.
    assert all(seen for _, seen in checks)


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
    # When each state was written, not when its frame arrived: a client (or a web process)
    # held up for a moment receives several frames at once.
    running = [datetime.fromisoformat(e["updatedAt"]).timestamp() for _, e in events if e["status"] == "in-progress"]
    span = max(running) - min(running) if running else 0
    # 3,000 progress updates were made; at most ten a second (+ the start and the end) reach clients.
    assert len(running) <= 10 * span + 3
    # And progress did arrive while it ran: the check is not vacuous.
    assert any(e["latestStatus"]["percentComplete"] > 0 for _, e in events if e["status"] == "in-progress")


def test_anonymous_and_non_members_are_refused(project, live_server_proc):
    _, project_id, _ = project
    outsider = live_server_proc.create_user("outsider", project="Elsewhere")
    url = ws_url(live_server_proc, project_id)
    # Accepted, then closed with the code docs/api.md gives (tests/test_websocket_refusals.py has them all).
    assert run(refusal(url, {})) == 4401
    assert run(refusal(url, {"Authorization": f"Token {outsider}"})) == 4404
    assert run(refusal(url, {"Authorization": "Token not-a-token"})) == 4401


def test_a_removed_member_stops_receiving_at_once_and_a_deactivated_token_opens_nothing(project, live_server_proc):
    api, project_id, _ = project
    leaving = live_server_proc.create_user(
        "leaving-member", project=f"P-{__name__.rsplit('.', 1)[-1]}", role="annotator"
    )

    async def removed_while_connected():
        async with websockets.connect(
            ws_url(live_server_proc, project_id), additional_headers={"Authorization": f"Token {leaving}"}
        ) as ws:
            user_id = next(
                m["userId"]
                for m in api.call("GET", f"/projects/{project_id}/members/", 200).json()
                if m["username"] == "leaving-member"
            )
            await asyncio.to_thread(api.call, "DELETE", f"/projects/{project_id}/members/{user_id}/", 204)
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), timeout=5)
            except websockets.ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd else None

    assert run(removed_while_connected()) == 4403

    inactive = live_server_proc.create_user("inactive-member", project=f"P-{__name__.rsplit('.', 1)[-1]}")
    live_server_proc.python(
        "from django.contrib.auth.models import User; "
        "User.objects.filter(username='inactive-member').update(is_active=False)"
    )

    assert run(refusal(ws_url(live_server_proc, project_id), {"Authorization": f"Token {inactive}"})) == 4401


def test_the_logs_websocket_refuses_non_members(project, live_server_proc):
    api, project_id, package = project
    service = api.deploy(project_id, package, "logs-guarded")
    execution = api.wait(api.execute(service["id"], "noop")["id"])
    outsider = live_server_proc.create_user("logs-outsider", project="Logs elsewhere")
    url = live_server_proc.url.replace("http", "ws") + f"/ws/executions/{execution['id']}/logs/"

    assert run(refusal(url, {"Authorization": f"Token {outsider}"}, wait=3)) == 4404
    assert run(refusal(url, {}, wait=3)) == 4401
    owner = api.http.headers["Authorization"].split()[1]
    assert run(refusal(url, {"Authorization": f"Token {owner}"}, wait=3)) == "open"
