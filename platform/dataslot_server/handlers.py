"""Django's HTTP handler under ASGI, run as under WSGI.

Every view here is synchronous. Django's ASGI handler runs each middleware's hooks on a
hop of their own to a thread and back (fifteen a request here), sends ``request_started``
and closes the response (``request_finished``) on two hops more, and starts a new thread
for every request: together about a millisecond of every request's time, and CPU that
running executions share on the same machine. ``OneHopHandler`` runs all of it (the
signals, the middleware, the view, the close of a response that is not streamed) in one
hop, on a thread that earlier requests used.
"""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import connections
from django.http import FileResponse
from django.urls import set_script_prefix

logger = logging.getLogger("django.request")


class _Close:
    """Who ends a request: its thread closes the response once the view has answered,
    unless the wait for it was given up first (the client left), when the handler sends
    ``request_finished`` instead, and the late response is not closed: as in Django, the
    signal is sent once."""

    def __init__(self):
        self._lock = threading.Lock()
        self._taken = False

    def take(self) -> bool:
        with self._lock:
            first, self._taken = not self._taken, True
            return first


class OneHopHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain loaded synchronously and requests
    run on pooled threads (asgiref's executor for a thread-sensitive context)."""

    IDLE_THREADS = 16  # kept for the next requests; more at once are made and let go

    def __init__(self):
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []  # touched by the event loop's thread only

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    def _respond(self, scope, body_file, close: _Close):
        """On the request's thread: the response, closed already unless it is streamed."""
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming and close.take():
            try:
                response.close()  # its content stays; request_finished is sent here, on this thread
            except Exception:  # noqa: BLE001 - the answer still goes; Django's server would log it after sending
                logger.exception("Closing the response of %s failed", scope.get("path"))
        return response

    async def handle(self, scope, receive, send):
        """Django's, with one hop to the request's thread (see the module's docstring). As in
        Django's, a client that disconnects cancels the wait for its response."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        close = _Close()

        async def process_request():
            response = await sync_to_async(self._respond, thread_sensitive=True)(scope, body_file, close)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client disconnected while it was sent
            return response

        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)), asyncio.create_task(process_request())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            if close.take():
                await signals.request_finished.asend(sender=self.__class__)
        else:
            if response.streaming:
                await sync_to_async(response.close, thread_sensitive=True)()
        body_file.close()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        # One thread for the whole request (its database connection, its thread-locals), as
        # Django's own handler does, but taken from the idle ones (asgiref's executor pool).
        executor = self._idle.pop() if self._idle else ThreadPoolExecutor(1, thread_name_prefix="request")
        finished = False
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
            finished = True
        finally:
            if finished and len(self._idle) < self.IDLE_THREADS:
                self._idle.append(executor)
            else:
                # Cancelled (the server gave up on a client that left): its view may still run
                # on that thread, so no later request waits behind it. Its database connection
                # goes back once the view is done; the thread then ends.
                executor.submit(connections.close_all)
                executor.shutdown(wait=False)
