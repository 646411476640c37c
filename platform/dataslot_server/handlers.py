"""Django's HTTP handler under ASGI, run as under WSGI.

Every view here is synchronous. Django's ASGI handler runs each middleware's hooks on a
hop of their own to a thread and back (fifteen a request here), and starts a new thread
for every request: together about a millisecond of every request's time, and CPU that
running executions share on the same machine. ``OneHopHandler`` runs the middleware and
the view in one hop, on a thread that earlier requests used.
"""

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import connections


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
