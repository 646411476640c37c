"""A body past DATASLOT_MAX_UPLOAD_BYTES is refused by the real server before it is read.

The server is the one ``make run`` starts (``python -m dataslot_server.serve``); the
uploads stream from generators over real HTTP, with and without a Content-Length.
"""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest
import requests

from tests.support.images import png

pytestmark = pytest.mark.server

MB = 1024 * 1024
UPLOAD = 300 * MB
LIMIT = 100 * MB  # the default


def resident_bytes(pid: int) -> int:
    """VmRSS of a process and of its children (the replicas), summed."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(resident_bytes(int(child)) for child in f.read().split())
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        pass
    return total


class SizedBody:
    """300 MB from a generator, a little at a time; with ``len`` so a Content-Length is sent."""

    def __init__(self, size: int, chunk: int = MB, pause: float = 0.004):
        self.size, self.chunk, self.pause = size, chunk, pause
        self.started = threading.Event()

    def __len__(self):
        return self.size

    def __iter__(self):
        block = b"\0" * self.chunk
        for sent in range(0, self.size, self.chunk):
            if sent >= 10 * MB:
                self.started.set()
            time.sleep(self.pause)
            yield block


@pytest.fixture(scope="module")
def target(live_server_proc):
    server = live_server_proc
    session = server.session(server.create_user("uploader", project="Uploads", role="owner"))
    project = session.get(f"{server.url}/api/projects/").json()[0]["id"]
    dataset = session.post(f"{server.url}/api/projects/{project}/datasets/", json={"name": "Big"}).json()
    return server, session, f"{server.url}/api/datasets/{dataset['id']}/items/"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_300_mb_upload_is_refused_with_a_413_without_memory_growth_or_stalling_others(target, framing):
    server, session, url = target
    pid = server.process.pid
    baseline = resident_bytes(pid)
    body = SizedBody(UPLOAD)
    answer: dict = {}

    def upload():
        data = body if framing == "content-length" else iter(body)
        headers = {"Content-Type": "multipart/form-data; boundary=x", "Authorization": session.headers["Authorization"]}
        answer["response"] = requests.post(url, data=data, headers=headers, timeout=120)

    peak = baseline
    sender = threading.Thread(target=upload)
    sender.start()
    assert body.started.wait(30)
    delays = []
    while sender.is_alive() and len(delays) < 20:
        t0 = time.monotonic()
        other = session.get(f"{server.url}/api/projects/", timeout=30)
        delays.append(time.monotonic() - t0)
        assert other.status_code == 200
        peak = max(peak, resident_bytes(pid))
        time.sleep(0.02)
    while sender.is_alive():
        peak = max(peak, resident_bytes(pid))
        time.sleep(0.02)
    sender.join()

    response = answer["response"]
    assert response.status_code == 413
    assert f"limit of {LIMIT} bytes" in response.json()["detail"]
    assert delays, "the upload ended before another request could be made"
    assert max(delays) < 2, delays
    assert peak - baseline < 50 * MB, f"resident memory grew by {(peak - baseline) / MB:.0f} MB"
    assert session.get(url).json()["results"] == []  # nothing stored


def test_a_too_large_content_length_is_answered_before_any_body_is_sent(target):
    server, session, url = target
    path = url.removeprefix(server.url)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: {session.headers['Authorization']}\r\n"
            f"Expect: 100-continue\r\nContent-Length: {UPLOAD}\r\n\r\n".encode()
        )
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"100 Continue" not in head
    assert b"application/json" in head and b"DATASLOT_MAX_UPLOAD_BYTES" in payload


def test_a_body_under_the_limit_is_served_as_before(target):
    server, session, url = target
    response = session.post(url, files={"file": ("dot.png", png((4, 4), (1, 2, 3)), "image/png")}, timeout=30)
    assert response.status_code == 201, response.text
    assert response.json()["results"][0]["name"] == "dot.png"
