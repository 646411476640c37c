"""Serve Dataslot: daphne, with every request body bounded by ``DATASLOT_MAX_UPLOAD_BYTES``.

    PYTHONPATH=platform:. python -m dataslot_server.serve -b 127.0.0.1 -p 8000 dataslot_server.asgi:application

Takes every option of the ``daphne`` command. daphne (Twisted) receives a whole request
body before it calls the application, so a limit in Django would come after the bytes
were read. Here the request refuses a body as soon as its ``Content-Length`` exceeds the
limit, or, for a chunked body, as soon as the bytes received pass it: it answers 413 with
a JSON message at once and discards the rest unread (no copy in memory or on disk).
"""

from __future__ import annotations

import json

# daphne.cli imports daphne.server first, which installs the asyncio reactor Twisted must use.
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server

# After refusing, the rest of the body is read and dropped for at most this long, so the
# client gets to read the 413 instead of a connection reset (RFC 9112 §9.6, staged close).
LINGER_SECONDS = 10


def max_upload_bytes() -> int:
    from django.conf import settings  # configured by the time a request arrives

    return settings.DATASLOT_MAX_UPLOAD_BYTES


def too_large_response(limit: int) -> bytes:
    body = json.dumps(
        {"detail": f"The request body is larger than the limit of {limit} bytes (DATASLOT_MAX_UPLOAD_BYTES)."}
    ).encode()
    head = (
        "HTTP/1.1 413 Content Too Large\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


class BoundedRequest(WebRequest):
    """daphne's request, refusing an oversized body before it is stored."""

    def __init__(self, channel, *args, **kwargs):
        # Twisted's own form parsing would read a whole multipart body into memory; Django parses it.
        super().__init__(channel, *args, parsePOSTFormSubmission=False, **kwargs)
        self.body_received = 0
        self.refused = False

    def gotLength(self, length):
        if length is not None and length > max_upload_bytes():
            # Answer now; no "100 Continue" invites the body.
            self.requestHeaders.removeHeader(b"Expect")
            self.refuse()
            return
        super().gotLength(length)

    def handleContentChunk(self, data):
        if self.refused:
            return
        self.body_received += len(data)
        if self.body_received > max_upload_bytes():
            self.refuse()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if self.refused:  # the whole refused body has been drained: done
            self.channel.transport.loseConnection()
            return
        super().requestReceived(command, path, version)

    def refuse(self) -> None:
        self.refused = True
        if self.content is not None:
            self.content.close()  # drops what was spooled so far
            self.content = None
        transport = self.channel.transport
        transport.write(too_large_response(max_upload_bytes()))
        transport.loseWriteConnection()
        self.channel.callLater(LINGER_SECONDS, transport.abortConnection)


class BoundedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = BoundedRequest
        return protocol


class BoundedServer(Server):
    """daphne's server with ``BoundedHTTPFactory`` and ``BoundedWebSocketProtocol``.

    ``Server.run()`` builds its factory inline (``self.http_factory = HTTPFactory(self)``);
    this property takes that assignment and builds ours instead.
    """

    @property
    def http_factory(self):
        return self._http_factory

    @http_factory.setter
    def http_factory(self, _daphne_factory):
        self._http_factory = BoundedHTTPFactory(self)

    @property
    def ws_factory(self):
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory):
        # A client that does not read costs a bounded buffer (live/backpressure.py).
        from live.backpressure import BoundedWebSocketProtocol

        factory.protocol = BoundedWebSocketProtocol
        self._ws_factory = factory

    def create_application(self, protocol, scope):
        # A websocket's application may send a prepared frame to many clients (live/fanout.py).
        from live.backpressure import SEND_PREPARED, BoundedWebSocketProtocol

        if isinstance(protocol, BoundedWebSocketProtocol):
            scope[SEND_PREPARED] = protocol.send_prepared
        return super().create_application(protocol, scope)

    def kill_all_applications(self):
        # daphne's shutdown expects an application on every connection; a refused body has none.
        for protocol, details in list(self.connections.items()):
            if "application_instance" not in details:
                del self.connections[protocol]
        return super().kill_all_applications()


class DataslotCommandLineInterface(CommandLineInterface):
    server_class = BoundedServer


if __name__ == "__main__":
    DataslotCommandLineInterface.entrypoint()
