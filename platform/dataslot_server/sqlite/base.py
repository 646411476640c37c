"""Django's SQLite backend, with its connections kept for the next request.

Under ASGI each request's synchronous code runs on a thread of its own (asgiref's
``ThreadSensitiveContext``), and Django's connections are per thread: every request
opened a connection (register Django's SQL functions, run the PRAGMAs, parse the schema,
start with an empty page cache) and closed it, ~5 ms of a 15 ms page. Here a connection
that Django closes goes back to a small pool of this process, and the next thread that
connects takes it. Nothing of a request survives in it: an open transaction is rolled
back before it is kept, and Django sets autocommit and the PRAGMAs it relies on again
when it hands the connection to a new wrapper. In-memory databases (the unit tests) are
never pooled: closing one destroys it.
"""

from __future__ import annotations

import os
import threading

from django.db.backends.sqlite3 import base

POOL_SIZE = 8  # connections kept per database and process; more requests at once open more

_lock = threading.Lock()
_pools: dict[tuple[int, str], list] = {}  # (pid, database name) -> idle connections


class DatabaseWrapper(base.DatabaseWrapper):
    def _pool_key(self) -> tuple[int, str] | None:
        if self.is_in_memory_db():
            return None
        return os.getpid(), str(self.settings_dict["NAME"])

    def get_new_connection(self, conn_params):
        key = self._pool_key()
        if key is not None:
            with _lock:
                idle = _pools.get(key)
                connection = idle.pop() if idle else None
            if connection is not None:
                # Migrations turn foreign keys off for a while; a kept connection has them on.
                connection.execute("PRAGMA foreign_keys = ON")
                return connection
        return super().get_new_connection(conn_params)

    def _close(self):
        connection, key = self.connection, self._pool_key()
        if connection is None or key is None:
            return super()._close()
        with self.wrap_database_errors:
            if connection.in_transaction:
                connection.rollback()
            with _lock:
                idle = _pools.setdefault(key, [])
                if len(idle) < POOL_SIZE:
                    idle.append(connection)
                    return None
            return connection.close()
