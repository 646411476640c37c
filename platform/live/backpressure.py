"""A websocket whose client does not read costs the server a bounded amount.

daphne writes every message to Twisted's transport, whose send buffer has no limit: a
client that stops reading (a frozen tab, a script that never calls ``recv``) would make
the server keep every message sent to it. This protocol registers itself as the
transport's streaming producer (Twisted's own flow control): when more than the
transport's ``bufferSize`` (``SEND_BUFFER``) waits unsent, Twisted calls ``pauseProducing``. One
large message (a burst of a hundred new rows) does that on its own, before the client
had any chance to read, so up to ``SEND_BUFFER`` more may still be queued while paused;
beyond it data messages to this client are dropped, not buffered, until the buffer has
drained (``resumeProducing``). The client then sees a batch number missing and re-reads
(live/events.py). A client that stays paused for ``DATASLOT_WS_SLOW_CLIENT_SECONDS`` (30)
is disconnected.
Pings and the close handshake are not data messages and still go.

A batch goes to many websockets as the same bytes: ``text_frame`` makes its websocket
frame once, and ``send_prepared`` writes it to each client, with the same checks and
flow control as a message sent through daphne and autobahn, whose per-message work
(encoding, framing, their logging) was otherwise repeated for every client. The server
hands the method to the application in the websocket's scope (``SEND_PREPARED``,
dataslot_server/serve.py); without it (another server, tests in process) messages go
the usual way.

A frame is written to the socket at once when nothing waits before it (``write_now``):
Twisted would queue it and register the socket for writability, then write it and
unregister on the next turn of the loop, two ``epoll_ctl`` calls and a loop callback per
frame, which was a sixth of the server's time when a hundred websockets watch a busy
project. What the socket does not take is queued as before, so the flow control above is
unchanged.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
import time

from daphne.ws_protocol import WebSocketProtocol

logger = logging.getLogger(__name__)

# What may wait unsent for one client (Twisted's default, 64 KiB, is less than one batch
# of a busy project: a client that reads fine would lose messages to a burst).
SEND_BUFFER = 512 * 1024
# The kernel's send buffer of the socket is fixed too (Linux would grow it up to
# ``tcp_wmem``'s maximum, 4 MiB, for a client that reads nothing).
KERNEL_SEND_BUFFER = 256 * 1024
SEND_PREPARED = "dataslot.send_prepared"  # the scope's key of a websocket's ``send_prepared``


def slow_client_seconds() -> float:
    from django.conf import settings  # configured by the time a websocket connects

    return float(settings.DATASLOT_WS_SLOW_CLIENT_SECONDS)


class BoundedWebSocketProtocol(WebSocketProtocol):
    paused_at: float | None = None
    queued_while_paused = 0
    dropped = 0

    def connectionMade(self):
        super().connectionMade()
        # Before the upgrade, daphne's HTTP channel was the transport's producer (it pauses
        # reading the request); the websocket takes its place.
        if getattr(self.transport, "producer", None) is not None:
            self.transport.unregisterProducer()
        self.transport.bufferSize = SEND_BUFFER
        try:
            self.transport.getHandle().setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)
        except (AttributeError, OSError):  # not a plain socket (TLS wrapped): its own buffers
            pass
        self.transport.registerProducer(self, True)
        if not getattr(self.transport, "TLS", True) and hasattr(self.transport, "socket"):
            self.transport.write = write_now(self.transport)

    def pauseProducing(self):
        if self.paused_at is None:
            self.paused_at = time.monotonic()
            self.queued_while_paused = 0
            from twisted.internet import reactor

            reactor.callLater(slow_client_seconds(), self._drop_if_still_paused, self.paused_at)

    def resumeProducing(self):
        self.paused_at = None

    def stopProducing(self):
        self.paused_at = None

    def _drop_if_still_paused(self, since: float) -> None:
        if self.paused_at == since and self.transport is not None:
            logger.info("closing a websocket whose client has not read for %.0f s", slow_client_seconds())
            self.transport.abortConnection()

    def serverSend(self, content, binary=False):
        if not self._admit(len(content)):
            return
        super().serverSend(content, binary)

    def _admit(self, size: int) -> bool:
        """False: a paused client's message beyond what may still be queued, dropped."""
        if self.paused_at is not None and self.state == self.STATE_OPEN:
            if self.queued_while_paused + size > SEND_BUFFER:
                self.dropped += 1  # the client learns it from the next batch number
                return False
            self.queued_while_paused += size
        return True

    def send_prepared(self, frame: bytes) -> bool:
        """Send a frame made by ``text_frame``. False when it cannot go this way (not open,
        compression negotiated, beyond autobahn's limits): send the message as usual."""
        size = len(frame)
        if (
            self.state != self.STATE_OPEN
            or self._perMessageCompress is not None
            or 0 < self.maxMessagePayloadSize < size
            or 0 < self.autoFragmentSize < size
        ):
            return False
        if self._admit(size):
            self.transport.write(frame)
        return True


def write_now(transport):
    """``transport.write`` that first tries the socket itself when nothing is queued (a plain
    TCP transport of Twisted; see the module's docstring)."""
    queue = transport.write

    def write(data: bytes) -> None:
        idle = transport.offset == len(transport.dataBuffer) and not transport._tempDataLen
        if not idle or not transport.connected or transport.disconnecting or transport._writeDisconnected:
            queue(data)
            return
        try:
            sent = transport.socket.send(data)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ENOBUFS):
                queue(data)  # Twisted's own write meets the error and closes the connection
                return
            sent = 0
        if sent < len(data):
            queue(data[sent:])

    return write


def text_frame(text: str) -> bytes:
    """A whole, unmasked websocket text frame (RFC 6455, 5.2): what a server sends."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload
