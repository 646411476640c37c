"""kombu's Redis transport, with two round trips fewer on every message's path.

- **One client per channel.** kombu's Redis channel makes a new ``redis.Redis`` object for
  every command it sends outside its consumer loop: every published message, and a
  worker's bookkeeping of every message it takes. With redis-py 8 that object costs about
  50 µs of CPU (it copies ~170 response callbacks), on every execution's path, twice in a
  worker. A client is safe to share between threads (each command takes a connection
  from the channel's pool), so one client per pool serves them all.
- **No copy of taken messages on Redis** (kombu's ``ack_emulation`` off). kombu keeps one
  (a transaction when a message is taken, another when it is acknowledged) so that a
  message taken and never acknowledged is delivered again after ``visibility_timeout``.
  Ours are acknowledged as soon as a worker's thread starts on them, and the database,
  not the broker, says what still has to run: a message lost on the way (a worker killed
  between taking and starting it) is published again by the workers' sweep
  (``DATASLOT_REQUEUE_AFTER``), as one lost with the broker's state. What a worker has
  taken and not started when it stops cleanly goes back to the queue, from memory.
- **Where a routing key goes is remembered.** kombu reads the exchange's bindings from
  Redis (``SMEMBERS``) before every message it publishes to a direct exchange. The queues
  found for a key are kept for ``BINDINGS_FOR`` seconds (forgotten when this channel binds
  or deletes a queue of that exchange); a key with none (a reply queue bound a moment ago)
  is read again each time. So a second queue another process binds to a key that already
  has one gets its messages within ``BINDINGS_FOR``: Dataslot's queues and keys are fixed.
"""

from __future__ import annotations

import time

from kombu.transport import redis as kombu_redis

BINDINGS_FOR = 10.0


class Channel(kombu_redis.Channel):
    ack_emulation = False
    _shared_client = None  # (pool, client): made again when the channel's pool is

    def __init__(self, *args, **kwargs):
        self._routes: dict[tuple[str, str], tuple[float, list]] = {}  # (exchange, key) -> (when, queues)
        super().__init__(*args, **kwargs)

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        shared = self._shared_client
        if shared is None or shared[0] is not pool:
            shared = self._shared_client = (pool, super()._create_client())
        return shared[1]

    def _lookup(self, exchange, routing_key, default=None):
        """The queues a message to a direct exchange goes to, remembered for ``BINDINGS_FOR``
        once found (a key no remembered binding has, a reply queue just bound, is read anew)."""
        if not exchange or self.typeof(exchange).type != "direct":
            return super()._lookup(exchange, routing_key, default)
        now = time.monotonic()
        at, queues = self._routes.get((exchange, routing_key), (0.0, None))
        if queues is None or now - at > BINDINGS_FOR:
            queues = self.typeof(exchange).lookup(self.get_table(exchange), exchange, routing_key, None)
            if not queues:
                self._routes.pop((exchange, routing_key), None)
                return super()._lookup(exchange, routing_key, default)  # kombu's way with no binding
            self._routes[(exchange, routing_key)] = (now, queues)
        return queues

    def _forget_routes(self, exchange) -> None:
        self._routes = {key: route for key, route in self._routes.items() if key[0] != exchange}

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        self._forget_routes(exchange)
        return super()._queue_bind(exchange, routing_key, pattern, queue)

    def _delete(self, queue, exchange, routing_key, pattern, *args, **kwargs):
        self._forget_routes(exchange)
        return super()._delete(queue, exchange, routing_key, pattern, *args, **kwargs)


class Transport(kombu_redis.Transport):
    Channel = Channel
