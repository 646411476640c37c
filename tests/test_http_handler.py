"""HTTP requests run as under WSGI: the middleware and the view in one hop to a thread, a
thread that earlier requests used (platform/dataslot_server/handlers.py)."""

import asyncio
import threading

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from channels.testing import HttpCommunicator
from django.core.signals import request_started

from dataslot_server.handlers import OneHopHandler

pytestmark = pytest.mark.django_db(transaction=True)


def login_page(handler) -> HttpCommunicator:
    return HttpCommunicator(handler, "GET", "/login/", headers=[(b"host", b"127.0.0.1")])


def test_requests_take_one_hop_on_a_reused_thread_and_every_middleware_still_applies(monkeypatch):
    handler = OneHopHandler()
    threads, hops = [], []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__name__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    request_started.connect(lambda **_: threads.append(threading.get_ident()), weak=False, dispatch_uid="probe")
    try:
        for _ in range(5):
            hops.clear()
            response = async_to_sync(login_page(handler).get_response)()
            assert response["status"] == 200
            headers = [(name.lower(), value) for name, value in response["headers"]]
            assert (b"x-frame-options", b"DENY") in headers  # the outermost middleware's
            assert any(name == b"set-cookie" and value.startswith(b"csrftoken=") for name, value in headers)
            assert b'name="csrfmiddlewaretoken"' in response["body"]  # the view, through the CSRF middleware
            # Django's own handler: a hop for each middleware hook (fifteen here), then the view.
            assert hops.count("get_response") == 1 and len(hops) <= 3, hops
    finally:
        request_started.disconnect(dispatch_uid="probe")
    assert len(threads) == 5 and len(set(threads)) == 1  # one thread, made once
    assert threads[0] != threading.get_ident()


def test_requests_at_the_same_time_run_on_threads_of_their_own():
    handler = OneHopHandler()
    inside = threading.Barrier(2, timeout=10)
    threads = []

    def both_inside(**_):
        threads.append(threading.get_ident())
        inside.wait()  # only passes when the other request is inside too

    request_started.connect(both_inside, weak=False, dispatch_uid="both")
    try:

        async def two():
            return await asyncio.gather(
                login_page(handler).get_response(),
                login_page(handler).get_response(),
            )

        responses = async_to_sync(two)()
    finally:
        request_started.disconnect(dispatch_uid="both")
    assert [r["status"] for r in responses] == [200, 200]
    assert len(set(threads)) == 2
