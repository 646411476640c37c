"""Live at load: one message per batch for every watcher, numbered, and bad clients cost a bound.

The session's server lets a client that reads nothing go after 25 seconds
(``DATASLOT_WS_SLOW_CLIENT_SECONDS``, tests/conftest.py), not thirty.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import time

import pytest
import websockets

from tests.faas.test_live_events import refusal, run
from tests.support.functions import FINISHED, function

pytestmark = pytest.mark.server

SEQ = re.compile(r'<template data-live-seq="(\d+)" data-live-epoch="[^"]+"( data-live-heartbeat)?>')
ROW = re.compile(r'data-list="drawer" data-execution-id="(\d+)" data-status="([a-z-]+)"')
BATCH = 150
CODE = """
import dataslot as dl


class ServiceRunner(dl.BaseServiceRunner):
    def noop(self):
        return None

    def touch(self, item: dl.Item):
        return None
"""


@pytest.fixture(scope="module")
def watched(project, live_server_proc):
    """The project's no-op service, warm, and a dataset of ``BATCH`` items to run it on."""
    api, project_id, _ = project
    package = api.push(project_id, "load", CODE, [function("noop"), function("touch", ("item", "Item"))])
    service = api.deploy(project_id, package, "load", runtime={"concurrency": 10})
    api.wait(api.execute(service["id"], "noop")["id"])
    live_server_proc.python(
        "from workspace.models import Dataset, Item, Project;"
        f"d = Dataset.objects.create(project=Project.objects.get(pk={project_id}), name='load');"
        f"Item.objects.bulk_create([Item(dataset=d, name=f'{{i}}.png', dir='/load', width=1, height=1, size=1,"
        f" file='x', thumbnail='x', metadata={{'system': {{'mimetype': 'image/png'}}}}) for i in range({BATCH})])"
    )
    return api, project_id, service


def token_of(api) -> str:
    return api.http.headers["Authorization"].split()[1]


def urls(server, project_id):
    base = server.url.replace("http", "ws")
    return base + f"/ws/projects/{project_id}/", base + f"/ws/studio/projects/{project_id}/"


def run_batch(api, service) -> set[int]:
    """``BATCH`` executions in one request (one transaction: one burst of events)."""
    answer = api.call(
        "POST",
        f"/services/{service['id']}/execute-batch/",
        201,
        json={"functionName": "touch", "filter": {"dir": "/load"}},
    ).json()
    assert len(answer["ids"]) == BATCH
    return set(answer["ids"])


def run_one(api, service) -> int:
    return api.execute(service["id"], "noop")["id"]


class Seen:
    """What one client received: each execution's statuses in order, and the batch numbers."""

    def __init__(self):
        self.statuses: dict[int, list[str]] = {}
        self.seqs: list[int] = []
        self.heartbeats: list[int] = []
        self.messages = 0

    def take(self, text: str) -> None:
        self.messages += 1
        if text.startswith("{"):
            message = json.loads(text)
            if message.get("type") == "seq":
                self.heartbeats.append(message["seq"])
            elif message.get("type") == "executions":
                self.seqs.append(message["seq"])
                for execution in message["executions"]:
                    self.statuses.setdefault(execution["id"], []).append(execution["status"])
            return
        marker = SEQ.search(text)
        if marker:
            (self.heartbeats if marker.group(2) else self.seqs).append(int(marker.group(1)))
        for execution_id, status in ROW.findall(text):
            self.statuses.setdefault(int(execution_id), []).append(status)

    def finished(self, ids) -> bool:
        return all(self.statuses.get(i) and self.statuses[i][-1] in FINISHED for i in ids)

    def missing_numbers(self) -> bool:
        """True when a number is missing among the batches, or a heartbeat names one never received."""
        numbers = sorted(self.seqs)
        if not numbers:
            return bool(self.heartbeats)
        return numbers != list(range(numbers[0], numbers[-1] + 1)) or max(self.heartbeats, default=0) > numbers[-1]


async def follow(ws, seen: Seen, until, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        try:
            seen.take(await asyncio.wait_for(ws.recv(), timeout=deadline - time.monotonic()))
        except TimeoutError:
            unfinished = {i: s for i, s in seen.statuses.items() if s[-1] not in FINISHED}
            raise AssertionError(f"after {timeout} s: seqs {seen.seqs}, unfinished {unfinished}") from None


def open_sockets(pid: int) -> int:
    return sum(1 for fd in os.listdir(f"/proc/{pid}/fd") if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"))


def test_a_burst_reaches_every_watcher_in_a_few_numbered_messages_with_each_creation_and_final_state(
    watched, live_server_proc
):
    api, project_id, service = watched
    json_url, studio_url = urls(live_server_proc, project_id)
    headers = {"Authorization": f"Token {token_of(api)}"}

    async def scenario():
        sockets = [await websockets.connect(json_url, additional_headers=headers, max_queue=None) for _ in range(20)]
        studio = await websockets.connect(studio_url, additional_headers=headers, max_queue=None)
        ids = await asyncio.to_thread(run_batch, api, service)
        seens = [Seen() for _ in sockets]
        studio_seen = Seen()
        await asyncio.gather(
            *(follow(ws, seen, lambda seen=seen: seen.finished(ids)) for ws, seen in zip(sockets, seens, strict=True)),
            follow(studio, studio_seen, lambda: studio_seen.finished(ids)),
        )
        for ws in [*sockets, studio]:
            await ws.close()
        return ids, seens, studio_seen

    ids, seens, studio_seen = run(scenario())
    for seen in seens:
        # Every execution's creation and final state reached every watcher, in order ...
        assert all(seen.statuses[i][0] == "created" and seen.statuses[i][-1] == "success" for i in ids)
        # ... numbered without a gap, and many executions shared each message.
        assert not seen.missing_numbers(), seen.seqs
        assert seen.messages < 3 * BATCH / 5
    assert [s.seqs for s in seens[1:]] == [seens[0].seqs] * (len(seens) - 1)  # the same messages for all
    # The studio's stream has the same numbers and shows each execution's latest state.
    assert set(studio_seen.seqs) == set(seens[0].seqs)
    assert all(studio_seen.statuses[i][-1] == "success" for i in ids)


def slow_socket(server) -> socket.socket:
    """A client socket whose receive buffer is tiny, so that not reading shows at once."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    return sock


class RawClient:
    """A websocket client that reads nothing until told to (a client library would read
    whole frames into memory on its own, so the server would see a reader)."""

    def __init__(self, server, path: str, token: str):
        self.sock = slow_socket(server)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Token {token}\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def _need(self, n: int) -> bool:
        while len(self.buffer) < n:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return False
            self.buffer += chunk
        return True

    def read(self, seen: Seen, until, timeout: float) -> bool:
        """Take text frames into ``seen`` until ``until()``; False when the server closed."""
        self.sock.settimeout(timeout)
        while not until():
            if not self._need(2):
                return False
            opcode, length, offset = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            if length == 126:
                if not self._need(4):
                    return False
                length, offset = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                if not self._need(10):
                    return False
                length, offset = int.from_bytes(self.buffer[2:10], "big"), 10
            if not self._need(offset + length):
                return False
            payload, self.buffer = self.buffer[offset : offset + length], self.buffer[offset + length :]
            if opcode == 8:
                return False
            if opcode == 1:
                seen.take(payload.decode())
        return True


def test_a_client_that_stops_reading_slows_no_one_learns_of_its_gap_and_is_let_go_if_it_never_reads(
    watched, live_server_proc
):
    api, project_id, service = watched
    json_url, studio_url = urls(live_server_proc, project_id)
    headers = {"Authorization": f"Token {token_of(api)}"}

    async def scenario():
        reader = await websockets.connect(json_url, additional_headers=headers, max_queue=None)
        # As an execution's page (the view sent the most HTML per execution).
        late = RawClient(live_server_proc, f"/ws/studio/projects/{project_id}/?view=execution", token_of(api))
        never = RawClient(live_server_proc, f"/ws/studio/projects/{project_id}/?view=execution", token_of(api))
        # Two bursts: more HTML than may wait unsent for one client (live/backpressure.py).
        started = time.monotonic()
        ids = await asyncio.to_thread(run_batch, api, service)
        ids |= await asyncio.to_thread(run_batch, api, service)
        seen, late_seen = Seen(), Seen()
        await follow(reader, seen, lambda: seen.finished(ids))
        reader_took = time.monotonic() - started
        # The late client starts reading only now (before it would be let go): what could
        # not wait for it was dropped, and the numbers (or the next heartbeat's) tell it so.
        await asyncio.to_thread(late.read, late_seen, late_seen.missing_numbers, 10)
        # The client that never read was let go: reading now finds the connection closed.
        await asyncio.sleep(max(0.0, started + 27 - time.monotonic()))
        closed = not await asyncio.to_thread(never.read, Seen(), lambda: False, 10)
        await reader.close()
        for raw in (late, never):
            raw.sock.close()
        return ids, seen, reader_took, late_seen, closed

    ids, seen, reader_took, late_seen, closed = run(scenario())
    assert seen.finished(ids) and not seen.missing_numbers()
    assert reader_took < 20  # the bursts ran to their end meanwhile, for the reader
    assert late_seen.missing_numbers(), (late_seen.seqs, late_seen.heartbeats)
    # It then re-reads (as the SDK and pages do), and the API has every final state.
    states = {
        e["id"]: e["status"]
        for e in api.call("GET", f"/projects/{project_id}/executions/?page_size=1000", 200).json()["results"]
    }
    assert all(states[i] == "success" for i in ids)
    assert closed


def test_connecting_and_disconnecting_in_a_loop_leaves_no_sockets_behind_and_watchers_see_everything(
    watched, live_server_proc
):
    api, project_id, service = watched
    json_url, studio_url = urls(live_server_proc, project_id)
    headers = {"Authorization": f"Token {token_of(api)}"}
    pid = live_server_proc.process.pid

    async def scenario():
        watcher = await websockets.connect(json_url, additional_headers=headers, max_queue=None)
        before = open_sockets(pid)
        for n in range(150):
            ws = await websockets.connect(studio_url if n % 2 else json_url, additional_headers=headers)
            if n % 3 == 0:
                ws.transport.abort()  # gone without a close handshake
            else:
                await ws.close()
        execution_id = await asyncio.to_thread(run_one, api, service)
        seen = Seen()
        await follow(watcher, seen, lambda: seen.finished([execution_id]))
        deadline = time.monotonic() + 10
        while open_sockets(pid) > before + 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        after = open_sockets(pid)
        await watcher.close()
        return before, after, seen, execution_id

    before, after, seen, execution_id = run(scenario())
    assert seen.statuses[execution_id][-1] == "success"
    assert after <= before + 2, (before, after)


def test_garbage_frames_are_ignored_and_an_oversized_one_closes_only_its_own_socket(watched, live_server_proc):
    api, project_id, service = watched
    json_url, studio_url = urls(live_server_proc, project_id)
    headers = {"Authorization": f"Token {token_of(api)}"}

    async def scenario():
        bystander = await websockets.connect(json_url, additional_headers=headers, max_queue=None)
        sender = await websockets.connect(studio_url, additional_headers=headers, max_queue=None)
        for frame in (b"\x00\xff" * 500, "{not json", '{"type": "executions", "seq": 1}', "[" * 10000, "x" * 100_000):
            await sender.send(frame)
        # Still open and still delivering, to the sender and the bystander.
        execution_id = await asyncio.to_thread(run_one, api, service)
        sender_seen, bystander_seen = Seen(), Seen()
        await follow(sender, sender_seen, lambda: sender_seen.finished([execution_id]))
        await follow(bystander, bystander_seen, lambda: bystander_seen.finished([execution_id]))
        oversized = await websockets.connect(json_url, additional_headers=headers, max_size=None)
        code = None
        try:
            await oversized.send("x" * (2 * 1024 * 1024))  # above daphne's 1 MiB message limit
            while True:  # the heartbeat sent on connect, then the close
                await asyncio.wait_for(oversized.recv(), timeout=10)
        except websockets.ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else "closed"
        second = await asyncio.to_thread(run_one, api, service)
        await follow(bystander, bystander_seen, lambda: bystander_seen.finished([second]))
        for ws in (bystander, sender):
            await ws.close()
        return code

    assert run(scenario()) in (1009, "closed")


def test_subscribing_to_a_project_one_is_not_a_member_of_is_refused_every_time_and_costs_the_members_nothing(
    watched, live_server_proc
):
    api, project_id, service = watched
    json_url, studio_url = urls(live_server_proc, project_id)
    outsider = live_server_proc.create_user("load-outsider", project="Load elsewhere")
    pid = live_server_proc.process.pid

    async def scenario():
        member = await websockets.connect(json_url, additional_headers={"Authorization": f"Token {token_of(api)}"})
        before = open_sockets(pid)
        codes = await asyncio.gather(
            *(refusal(url, {"Authorization": f"Token {outsider}"}, wait=5) for url in [json_url, studio_url] * 25)
        )
        execution_id = await asyncio.to_thread(run_one, api, service)
        seen = Seen()
        await follow(member, seen, lambda: seen.finished([execution_id]))
        deadline = time.monotonic() + 10
        while open_sockets(pid) > before + 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        after = open_sockets(pid)
        await member.close()
        return codes, before, after

    codes, before, after = run(scenario())
    assert set(codes) == {4404}
    assert after <= before + 2
