"""HTTP requests run as under WSGI: the middleware and the view in one hop to a thread, a
thread that earlier requests used (platform/dataslot_server/handlers.py)."""

import asyncio
import threading

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from channels.testing import HttpCommunicator
from django.core.signals import request_finished, request_started

from dataslot_server.handlers import OneHopHandler

pytestmark = pytest.mark.django_db(transaction=True)


def login_page(handler) -> HttpCommunicator:
    return HttpCommunicator(handler, "GET", "/login/", headers=[(b"host", b"127.0.0.1")])


# The same request as a server's scope, for tests that play the server's side themselves.
LOGIN_SCOPE = {
    "type": "http",
    "method": "GET",
    "path": "/login/",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 80),
}


def test_requests_take_one_hop_on_a_reused_thread_and_every_middleware_still_applies(monkeypatch):
    handler = OneHopHandler()
    threads, hops = [], []
    original = SyncToAsync.__call__

    async def counted(self, *args, **kwargs):
        hops.append(getattr(self.func, "__name__", repr(self.func)))
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counted)
    request_started.connect(lambda **_: threads.append(threading.get_ident()), weak=False, dispatch_uid="probe")
    finished = []
    request_finished.connect(lambda **_: finished.append(threading.get_ident()), weak=False, dispatch_uid="probe")
    try:
        for _ in range(5):
            hops.clear()
            response = async_to_sync(login_page(handler).get_response)()
            assert response["status"] == 200
            headers = [(name.lower(), value) for name, value in response["headers"]]
            assert (b"x-frame-options", b"DENY") in headers  # the outermost middleware's
            assert any(name == b"set-cookie" and value.startswith(b"csrftoken=") for name, value in headers)
            assert b'name="csrfmiddlewaretoken"' in response["body"]  # the view, through the CSRF middleware
            # Django's own handler: a hop for each middleware hook (fifteen here), then the view,
            # and one each for request_started and the response's close. Here: one in all.
            assert hops == ["_respond"], hops
    finally:
        request_started.disconnect(dispatch_uid="probe")
        request_finished.disconnect(dispatch_uid="probe")
    assert len(threads) == 5 and len(set(threads)) == 1  # one thread, made once
    assert finished == threads  # the response closed on the request's thread, in its hop
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


def test_the_thread_of_a_cancelled_request_is_not_given_to_the_next_one():
    """The server cancels a request whose client left (daphne, after a while): its view may
    still be running, and the next request must not wait behind it."""
    handler = OneHopHandler()
    view_running, release = threading.Event(), threading.Event()
    threads, answered = [], []
    scope = dict(LOGIN_SCOPE)

    def a_client():
        asked = False

        async def receive():
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # it never leaves on its own

        async def send(message):
            if message["type"] == "http.response.start":
                answered.append(message["status"])

        return receive, send

    def slow_the_first(**_):
        threads.append(threading.get_ident())
        if len(threads) == 1:
            view_running.set()
            release.wait(10)

    request_started.connect(slow_the_first, weak=False, dispatch_uid="slow")
    try:

        async def cancel_the_first_then_ask_again():
            first = asyncio.ensure_future(handler(scope, *a_client()))
            await asyncio.to_thread(view_running.wait, 10)
            first.cancel()  # what the server does with the request task
            await asyncio.gather(first, return_exceptions=True)
            await asyncio.wait_for(handler(scope, *a_client()), 5)

        async_to_sync(cancel_the_first_then_ask_again)()
    finally:
        release.set()
        request_started.disconnect(dispatch_uid="slow")
    assert answered == [200]  # the second, while the first's view still ran
    assert len(threads) == 2 and threads[0] != threads[1]


def test_a_client_that_disconnects_while_its_view_runs_gets_no_answer_and_the_request_finishes():
    """As in Django's handler: a client that left while its view ran is sent nothing (the
    view, synchronous, still runs to its end), and the request finishes."""
    handler = OneHopHandler()
    view_running, release = threading.Event(), threading.Event()
    sent, finished = [], []
    scope = dict(LOGIN_SCOPE)
    left = asyncio.Event()
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if messages:
            return messages.pop(0)
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message["type"])

    def slow(**_):
        view_running.set()
        release.wait(10)

    request_started.connect(slow, weak=False, dispatch_uid="slow")
    request_finished.connect(lambda **_: finished.append(1), weak=False, dispatch_uid="finished")
    try:

        async def leave_while_the_view_runs():
            request = asyncio.ensure_future(handler(scope, receive, send))
            await asyncio.to_thread(view_running.wait, 10)
            left.set()
            await asyncio.sleep(0.2)
            release.set()
            await asyncio.wait_for(request, 5)

        async_to_sync(leave_while_the_view_runs)()
        assert sent == [] and finished == [1]  # once, as in Django
    finally:
        release.set()
        request_started.disconnect(dispatch_uid="slow")
        request_finished.disconnect(dispatch_uid="finished")


def test_a_failing_request_finished_receiver_loses_no_answer(caplog):
    """The response is closed before it is sent (in the request's one hop): a receiver of
    request_finished that raises is logged, and the client still gets its answer."""
    handler = OneHopHandler()

    def broken(**_):
        raise RuntimeError("a receiver failed")

    request_finished.connect(broken, weak=False, dispatch_uid="broken")
    try:
        response = async_to_sync(login_page(handler).get_response)()
    finally:
        request_finished.disconnect(dispatch_uid="broken")
    assert response["status"] == 200 and b'name="csrfmiddlewaretoken"' in response["body"]
    assert "a receiver failed" in caplog.text
