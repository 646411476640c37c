"""Django's Redis cache, as a cache should be: Redis away is a miss, never a 500.

What the cache holds here is worth having, not needed (the login throttle's counts, the
service page's older activity buckets): while Redis is unreachable, reads miss and writes
are dropped, with a warning, and the request goes on.
"""

import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _missed(what: str, error: Exception) -> None:
    logger.warning("cache unreachable (%s): %s goes on without it", error, what)


class TolerantRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            _missed("a read", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            _missed("a read", error)
            return {}

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            _missed("a write", error)

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            _missed("a write", error)
            return False

    def touch(self, key, timeout=None, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            _missed("a write", error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            _missed("a count", error)
            raise ValueError("the cache is unreachable") from error
