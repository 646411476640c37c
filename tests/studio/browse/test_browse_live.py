"""The studio websocket: members only, and HTML rows for every execution event."""

import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from dataslot_server.asgi import application
from live.events import project_group, publish

pytestmark = pytest.mark.django_db(transaction=True)


def session_headers(user) -> list:
    client = Client()
    client.force_login(user)
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode())
    ]


async def _closed_with(path, headers):
    """The close code of a refused connection (refusals are accepted, then closed)."""
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect()
    output = await communicator.receive_output()
    await communicator.disconnect()
    return connected, output.get("code")


def test_anonymous_and_non_members_are_refused(project, bob):
    path = f"/ws/studio/projects/{project.pk}/"
    assert async_to_sync(_closed_with)(path, []) == (True, 4401)
    assert async_to_sync(_closed_with)(path, session_headers(bob)) == (True, 4404)


def test_a_member_gets_each_execution_event_as_out_of_band_rows_with_its_post_action(project, alice, service):
    event = {
        "id": 41,
        "projectId": project.pk,
        "serviceId": service.pk,
        "serviceName": "tools",
        "functionName": "gray",
        "input": {"item": {"item_id": 3}},
        "output": {"item_id": 9, "dataset_id": 1},
        "status": "success",
        "statusLog": [],
        "latestStatus": {"status": "success", "percentComplete": 100, "message": "done"},
        "toTerminate": False,
        "createdAt": None,
        "creator": None,
    }

    headers = session_headers(alice)

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/studio/projects/{project.pk}/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        # As the executions service announces a change: the broadcaster renders the batch
        # once and sends it to the project's studio group (live/events.py).
        await asyncio.to_thread(publish, project_group(project.pk), {"type": "execution", "execution": event})
        html = await communicator.receive_from(timeout=5)
        await communicator.disconnect()
        return html

    html = async_to_sync(scenario)()
    assert 'id="execution-drawer-41"' in html and 'hx-swap-oob="true"' in html
    assert html.startswith('<template data-live-seq="')  # the batch's number (executions.js)
    assert 'data-status="success" data-version="000000|" data-post-action="download"' in html  # from the slot
    assert 'data-output="{&quot;item_id&quot;:9,&quot;dataset_id&quot;:1}"' in html
    assert 'aria-valuenow="100"' in html and 'data-action="terminate"' not in html
