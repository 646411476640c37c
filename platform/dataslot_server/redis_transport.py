"""kombu's Redis transport, sending its commands through one client per channel.

kombu's Redis channel makes a new ``redis.Redis`` object for every command it sends
outside its consumer loop: every published message, and a worker's bookkeeping and
acknowledgement of every message it takes. With redis-py 8 that object costs about 50 µs
of CPU (it copies ~170 response callbacks), on every execution's path, twice in a worker.
A client is safe to share between threads (each command takes a connection from the
channel's pool), so one client per pool serves them all.
"""

from __future__ import annotations

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _shared_client = None  # (pool, client): made again when the channel's pool is

    def _create_client(self, asynchronous=False):
        if asynchronous:
            return super()._create_client(asynchronous=True)
        pool = self.pool
        shared = self._shared_client
        if shared is None or shared[0] is not pool:
            shared = self._shared_client = (pool, super()._create_client())
        return shared[1]


class Transport(kombu_redis.Transport):
    Channel = Channel
