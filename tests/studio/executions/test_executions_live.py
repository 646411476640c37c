"""The studio websocket: members only, and HTML rows for every execution event."""

import asyncio
import json
import re
from html import unescape

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from dataslot_server.asgi import application
from faas.models import Execution
from faas.services.executions import execution_finish, executions_claim
from faas.services.slots import slot_run
from live.events import project_group, publish
from studio.applications import drawn as drawn_module
from studio.applications.drawn import MAX_DRAWN
from tests.studio.browse.conftest import fake_items
from workspace.models import Annotation
from workspace.services.projects import dataset_create, project_create

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


def test_a_member_gets_each_execution_event_as_out_of_band_rows_with_its_post_action(project, alice, service, dataset):
    (item,) = fake_items(dataset, 1)
    event = {
        "id": 41,
        "projectId": project.pk,
        "serviceId": service.pk,
        "serviceName": "tools",
        "functionName": "gray",
        "input": {"item": {"item_id": 3}},
        "output": {"item_id": item.pk, "dataset_id": dataset.pk},
        "status": "success",
        "statusLog": [],
        "latestStatus": {"status": "success", "percentComplete": 100, "message": "done"},
        "toTerminate": False,
        "createdAt": None,
        "creator": None,
        "postAction": "download",
    }

    headers = session_headers(alice)

    async def scenario():
        communicator = WebsocketCommunicator(application, f"/ws/studio/projects/{project.pk}/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        # As the executions service announces a change: the broadcaster renders the batch
        # once and sends it to the project's studio group (live/events.py).
        await asyncio.to_thread(publish, project_group(project.pk), {"type": "execution", "execution": event})
        html = await _receive_until(communicator, 'id="execution-drawer-41"')
        await communicator.disconnect()
        return html

    html = async_to_sync(scenario)()
    assert 'id="execution-drawer-41"' in html and 'hx-swap-oob="true"' in html
    assert html.startswith('<template data-live-seq="')  # the batch's number (executions.js)
    assert (
        'data-status="success" data-finished data-version="000000|" data-post-action="download"' in html
    )  # from the event
    assert f'data-download-count="1" data-download-item="{item.pk}"' in html  # what the page downloads
    assert 'aria-valuenow="100"' in html and 'data-action="terminate"' not in html


def test_each_view_is_sent_the_layouts_its_page_shows_and_an_unknown_view_is_refused(project, alice):
    event = {"id": 42, "projectId": project.pk, "serviceId": 1, "serviceName": "tools", "functionName": "gray"}
    event |= {"input": {}, "output": None, "status": "created", "statusLog": [], "toTerminate": False}
    event |= {"latestStatus": {"status": "created", "percentComplete": 0, "message": ""}, "createdAt": None}
    headers = session_headers(alice)
    base = f"/ws/studio/projects/{project.pk}/"

    async def scenario():
        sockets, first = {}, {}
        for view, query in (("drawer", ""), ("executions", "?view=executions"), ("execution", "?view=execution")):
            sockets[view] = WebsocketCommunicator(application, base + query, headers=headers)
            assert (await sockets[view].connect())[0]
            first[view] = await sockets[view].receive_from(timeout=5)  # where the numbers stand
        await asyncio.to_thread(publish, project_group(project.pk), {"type": "execution", "execution": event})
        received = {view: await _receive_until(socket, 'data-execution-id="42"') for view, socket in sockets.items()}
        for socket in sockets.values():
            await socket.disconnect()
        return first, received, await _closed_with(base + "?view=everything", headers)

    first, received, refused = async_to_sync(scenario)()
    # Each socket is told the latest number on connect, so a batch it is not sent from then
    # on is a gap it notices; the next batch is the next number.
    beats = {
        re.fullmatch(r'<template data-live-seq="(\d+)" data-live-epoch="(\w+)" data-live-heartbeat></template>', b)
        for b in first.values()
    }
    assert None not in beats and len({b.groups() for b in beats}) == 1
    layouts = {"drawer": {"drawer"}, "executions": {"drawer", "table"}, "execution": {"drawer", "summary"}}
    for view, shown in layouts.items():
        for layout in ("drawer", "table", "summary"):
            assert (f'id="execution-{layout}-42"' in received[view]) == (layout in shown), (view, layout)
    numbers = {
        re.match(r'<template data-live-seq="(\d+)" data-live-epoch="(\w+)">', html).groups()
        for html in received.values()
    }
    assert len(numbers) == 1  # one batch, one number (and epoch), whatever the view
    ((seq, epoch),) = numbers
    assert (int(seq) - 1, epoch) == (int(next(iter(beats)).group(1)), next(iter(beats)).group(2))
    assert refused == (True, 4400)


async def _receive_until(communicator, text: str, *, timeout: float = 5) -> str:
    """The first message holding ``text`` (batches before it, and heartbeats, are skipped)."""
    while True:
        message = await communicator.receive_from(timeout=timeout)
        if text in message:
            return message


def test_a_drawannotation_slot_runs_events_carry_its_post_action_and_what_to_draw(project, alice, dataset, service):
    (item,) = fake_items(dataset, 1)
    headers = session_headers(alice)

    def run_and_finish():
        # As a click and a replica would: the slot runs, the function returns a box.
        (execution,) = slot_run(
            project=project,
            service_id=service.pk,
            function_name="detect",
            resource="item",
            panel="studio",
            selection={"ids": [item.pk]},
            user=alice,
        )
        executions_claim(service=service, limit=1, holder="test-runner")
        box = Annotation.objects.create(item=item, type="box", label="cat", coordinates=[[10, 20], [110, 220]])
        output = {"annotation_id": box.pk, "item_id": item.pk, "dataset_id": dataset.pk}
        execution_finish(execution_id=execution.pk, holder="test-runner", status="success", output=output)
        return execution, box

    async def scenario():
        studio = WebsocketCommunicator(application, f"/ws/studio/projects/{project.pk}/", headers=headers)
        sdk = WebsocketCommunicator(application, f"/ws/projects/{project.pk}/", headers=headers)
        assert (await studio.connect())[0] and (await sdk.connect())[0]
        execution, box = await asyncio.to_thread(run_and_finish)
        html = await _receive_until(studio, 'data-status="success"')
        events = await _receive_until(sdk, '"status":"success"')
        await studio.disconnect()
        await sdk.disconnect()
        return execution, box, html, json.loads(events)

    execution, box, html, events = async_to_sync(scenario)()
    assert Execution.objects.get(pk=execution.pk).post_action == "drawAnnotation"  # recorded by the run
    (finished,) = [e for e in events["executions"] if e["status"] == "success"]
    assert finished["postAction"] == "drawAnnotation"
    row = re.search(rf'<li id="execution-drawer-{execution.pk}"[^>]*>', html).group(0)
    assert 'data-post-action="drawAnnotation"' in row
    drawn = json.loads(unescape(re.search(r'data-drawn="([^"]*)"', row).group(1)))
    (annotation,) = drawn["annotations"]  # as the studio draws it: no request for it
    assert (annotation["id"], annotation["itemId"], annotation["type"]) == (box.pk, item.pk, "box")
    assert annotation["coordinates"] == [[10, 20], [110, 220]]
    # The browser's thumbnail overlay of its item, with the new box.
    overlay = drawn["overlays"][str(item.pk)]
    assert (
        f'data-overlay-for="{item.pk}"' in overlay
        and '<rect x="10.0" y="20.0" width="100.0" height="200.0"/>' in overlay
    )


def drew(service, annotations) -> Execution:
    """A drawAnnotation run of the service that returned these annotations."""
    return Execution.objects.create(
        project=service.project,
        service=service,
        package_revision=1,
        function_name="detect",
        status="success",
        post_action="drawAnnotation",
        output=[{"annotation_id": a.pk, "item_id": a.item_id, "dataset_id": a.item.dataset_id} for a in annotations],
    )


def test_an_execution_that_returned_more_annotations_than_a_row_carries_is_drawn_from_one_read(
    client, project, alice, dataset, service
):
    (item,) = fake_items(dataset, 1)
    boxes = Annotation.objects.bulk_create(
        Annotation(item=item, type="box", label="cat", coordinates=[[n, n], [n + 1, n + 1]])
        for n in range(MAX_DRAWN + 1)
    )
    execution = drew(service, boxes)
    client.force_login(alice)
    rows = client.get(f"/projects/{project.pk}/executions/rows/", {"ids": execution.pk}).content.decode()
    assert 'data-drawn="{&quot;more&quot;:true}"' in rows
    drawn = client.get(f"/projects/{project.pk}/executions/{execution.pk}/drawn/").json()
    assert [a["id"] for a in drawn["annotations"]] == [b.pk for b in boxes]
    assert list(drawn["overlays"]) == [str(item.pk)]


def test_a_few_huge_annotations_do_not_ride_on_every_row_and_the_read_keeps_what_fits(
    client, project, alice, dataset, service, monkeypatch
):
    # A hostile function makes annotations of megabytes (attributes, vertices) and returns
    # them: every member's rows and live batches would carry them.
    (item,) = fake_items(dataset, 1)
    small, huge = Annotation.objects.bulk_create(
        [
            Annotation(item=item, type="box", label="cat", coordinates=[[1, 1], [2, 2]]),
            Annotation(
                item=item, type="box", label="cat", coordinates=[[1, 1], [2, 2]], attributes={"x": "y" * 300_000}
            ),
        ]
    )
    execution = drew(service, [small, huge])
    client.force_login(alice)
    rows = client.get(f"/projects/{project.pk}/executions/rows/", {"ids": execution.pk}).content.decode()
    assert 'data-drawn="{&quot;more&quot;:true}"' in rows and len(rows) < 100_000

    monkeypatch.setattr(drawn_module, "MAX_FETCHED_BYTES", 100_000)
    drawn = client.get(f"/projects/{project.pk}/executions/{execution.pk}/drawn/").json()
    assert [a["id"] for a in drawn["annotations"]] == [small.pk] and drawn["left"] == 1


def test_a_download_names_only_an_item_of_the_executions_project(client, project, alice, dataset, service):
    (mine,) = fake_items(dataset, 1)
    other = project_create(name="Elsewhere", owner=alice)
    (theirs,) = fake_items(dataset_create(project=other, name="d"), 1)
    executions = [
        Execution.objects.create(
            project=project,
            service=service,
            package_revision=1,
            function_name="export",
            status="success",
            post_action="download",
            output={"item_id": item.pk, "dataset_id": item.dataset_id},
        )
        for item in (mine, theirs)
    ]
    client.force_login(alice)
    rows = client.get(
        f"/projects/{project.pk}/executions/rows/", {"ids": ",".join(str(e.pk) for e in executions)}
    ).content.decode()
    items = dict(re.findall(r'id="execution-drawer-(\d+)"[^>]*?data-download-item="(\d*)"', rows))
    assert items == {str(executions[0].pk): str(mine.pk), str(executions[1].pk): ""}
